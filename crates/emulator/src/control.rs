//! `/_emulator/…`: fault injection and inspection for tests (only with `--control`).

use crate::state::{ConnectionCommand, Publication};
use crate::Emulator;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

type AppState = Arc<Emulator>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_emulator/connections", get(list_connections))
        .route("/_emulator/drop", post(drop_connections))
        .route("/_emulator/silence", post(silence))
        .route("/_emulator/resume", post(resume))
        .route("/_emulator/send", post(send_frame))
        .route("/_emulator/refuse", post(refuse))
        .route("/_emulator/publish", post(publish))
        .route("/_emulator/reset", post(reset))
}

/// A 400 with a message; kept small so `Result`s stay cheap.
struct BadRequest(String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, Json(json!({"message": self.0}))).into_response()
    }
}

fn bad_request(message: &str) -> BadRequest {
    BadRequest(message.to_string())
}

fn body_object(body: &Bytes) -> Result<Map<String, Value>, BadRequest> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(bad_request("body must be a JSON object")),
    }
}

/// Sends a command to one connection (`connectionId`) or all; returns how many got it.
fn command_connections(
    emulator: &Emulator,
    body: &Map<String, Value>,
    make: impl Fn() -> ConnectionCommand,
) -> Result<usize, BadRequest> {
    let target = match body.get("connectionId") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_u64()
                .ok_or_else(|| bad_request("connectionId must be a number"))?,
        ),
    };
    Ok(emulator.with_state(|state| {
        state
            .connections
            .values()
            .filter(|connection| target.is_none_or(|id| connection.id == id))
            .filter(|connection| connection.outbox.push(make()))
            .count()
    }))
}

/// The longest `ms` a control call accepts (ten minutes): longer than any test needs, short
/// enough that `Instant::now() + ms` cannot overflow and a stray call cannot wedge a server.
pub const MAX_CONTROL_MILLIS: u64 = 10 * 60 * 1000;

fn optional_millis(body: &Map<String, Value>) -> Result<Option<Duration>, BadRequest> {
    match body.get("ms") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .filter(|ms| *ms <= MAX_CONTROL_MILLIS)
            .map(|ms| Some(Duration::from_millis(ms)))
            .ok_or_else(|| {
                BadRequest(format!(
                    "ms must be an integer from 0 to {MAX_CONTROL_MILLIS}"
                ))
            }),
    }
}

fn affected(count: usize) -> Response {
    Json(json!({"affected": count})).into_response()
}

async fn list_connections(State(emulator): State<AppState>) -> Json<Value> {
    let connections: Vec<Value> = emulator.with_state(|state| {
        state
            .connections
            .values()
            .map(|connection| connection.describe())
            .collect()
    });
    Json(json!({"total": connections.len(), "connections": connections}))
}

async fn drop_connections(State(emulator): State<AppState>, body: Bytes) -> Response {
    let result = body_object(&body)
        .and_then(|body| command_connections(&emulator, &body, || ConnectionCommand::Drop));
    result.map_or_else(IntoResponse::into_response, affected)
}

async fn silence(State(emulator): State<AppState>, body: Bytes) -> Response {
    let result = body_object(&body).and_then(|body| {
        let duration = optional_millis(&body)?;
        command_connections(&emulator, &body, || ConnectionCommand::Silence(duration))
    });
    result.map_or_else(IntoResponse::into_response, affected)
}

async fn resume(State(emulator): State<AppState>, body: Bytes) -> Response {
    let result = body_object(&body)
        .and_then(|body| command_connections(&emulator, &body, || ConnectionCommand::Resume));
    result.map_or_else(IntoResponse::into_response, affected)
}

async fn send_frame(State(emulator): State<AppState>, body: Bytes) -> Response {
    let result = body_object(&body).and_then(|body| {
        let frame = match body.get("frame") {
            Some(Value::String(text)) => text.clone(),
            Some(other) if !other.is_null() => other.to_string(),
            _ => {
                return Err(bad_request(
                    "frame is required (a string, or JSON sent as text)",
                ))
            }
        };
        command_connections(&emulator, &body, || ConnectionCommand::Frame(frame.clone()))
    });
    result.map_or_else(IntoResponse::into_response, affected)
}

async fn refuse(State(emulator): State<AppState>, body: Bytes) -> Response {
    let result = body_object(&body).and_then(|body| {
        let duration = optional_millis(&body)?.ok_or_else(|| bad_request("ms is required"))?;
        emulator.with_state(|state| state.refuse_until = Some(Instant::now() + duration));
        Ok(Json(json!({"refusingForMs": duration.as_millis() as u64})).into_response())
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

fn string_list(body: &Map<String, Value>, key: &str) -> Result<Vec<String>, BadRequest> {
    match body.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad_request(&format!("{key} must be a list of strings"))),
        _ => Err(bad_request(&format!("{key} must be a list of strings"))),
    }
}

async fn publish(State(emulator): State<AppState>, body: Bytes) -> Response {
    let result = body_object(&body).and_then(|body| {
        let project = body
            .get("project")
            .and_then(Value::as_str)
            .ok_or_else(|| bad_request("project is required"))?
            .to_string();
        let publication = Publication {
            project,
            events: string_list(&body, "events")?,
            channels: string_list(&body, "channels")?,
            roles: string_list(&body, "roles")?,
            payload: body.get("payload").cloned().unwrap_or_else(|| json!({})),
            permissions_changed_for: None,
        };
        let delivered =
            emulator.with_state(|state| state.publish(publication, emulator.config.server_version));
        Ok(Json(json!({"delivered": delivered})).into_response())
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn reset(State(emulator): State<AppState>) -> Json<Value> {
    emulator.reset();
    Json(json!({"reset": true}))
}
