//! Function executions: synchronous and async runs of the emulator's stand-in function,
//! and their `functions.*` events.

use super::access::{allowed, caller_roles};
use super::fields::{parse_body, permissions_field, string_field};
use super::request::{read, write, ApiRequest};
use super::responses::{ok, ApiError, ApiResult};
use crate::events::EventNames;
use crate::ids;
use crate::permissions;
use crate::state::Publication;
use crate::Emulator;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Map, Value};

/// How long an async execution waits in the queue, then runs, before it completes.
const ASYNC_EXECUTION_STEP: std::time::Duration = std::time::Duration::from_millis(25);

fn execution_not_found() -> ApiError {
    ApiError::not_found(
        "execution_not_found",
        "Execution with the requested ID could not be found.",
    )
}

/// The event of one execution change, readable by the execution's read roles (none: no event).
fn execution_publication(
    project_id: &str,
    execution: &Map<String, Value>,
    action: &str,
) -> Publication {
    let text = |key: &str| {
        execution
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let pattern = format!("functions.[functionId].executions.[executionId].{action}");
    let names = EventNames::from_pattern(
        &pattern,
        &[
            ("functionId", text("functionId")),
            ("executionId", text("$id")),
        ],
        project_id,
    );
    let permissions: Vec<String> = execution
        .get("$permissions")
        .and_then(|value| serde_json::from_value(value.clone()).ok())
        .unwrap_or_default();
    Publication {
        project: project_id.to_string(),
        events: names.events,
        channels: names.channels,
        roles: permissions::read_roles(&permissions),
        payload: Value::Object(execution.clone()),
        permissions_changed_for: None,
    }
}

/// Moves an execution to `processing`, or to `completed` (the emulator's stand-in function
/// answers 200 at once).
fn advance_execution(
    execution: &mut Map<String, Value>,
    status: &str,
    started: std::time::Instant,
) {
    execution.insert("$updatedAt".into(), json!(ids::now_timestamp()));
    execution.insert("status".into(), json!(status));
    if status == "completed" {
        execution.insert("responseStatusCode".into(), json!(200));
        // Seconds as a float, never exactly 0 (a real run always takes time).
        let duration = (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
        execution.insert("duration".into(), json!(duration.max(0.001)));
    }
}

/// Moves a stored execution on; `completed` also publishes `…executions.E.update` (the
/// functions worker's only event: `processing` is a silent database update). False when the
/// execution is gone (e.g. after `/_emulator/reset`).
fn step_execution(
    emulator: &Emulator,
    (project_id, execution_id): (&str, &str),
    status: &str,
    started: std::time::Instant,
) -> bool {
    emulator.with_state(|state| {
        let Some(execution) = state
            .project_mut(project_id)
            .and_then(|project| project.executions.get_mut(execution_id))
        else {
            return false;
        };
        advance_execution(execution, status, started);
        if status == "completed" {
            let event = execution_publication(project_id, execution, "update");
            state.publish(event, emulator.config.server_version);
        }
        true
    })
}

/// `POST /v1/functions/{fn}/executions {body?, async?, path?, method?, headers?, permissions?}`.
/// As Appwrite's `Executions/Create.php` and functions worker do:
/// synchronous: runs at once and answers 201 `completed` with the response body; the route's
/// `…create` event carries that answer (published before the answer leaves). The stored copy
/// keeps no response body (`GET` shows `""`), as Appwrite stores the execution before it sets it.
/// `async: true`: 202 `waiting` and the `…create` event; the execution then turns `processing`
/// (no event) and `completed`, announced by one `…update` event; async executions keep no
/// response body.
pub(super) async fn create_execution(
    request: ApiRequest,
    Path(function_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    let requested_permissions = permissions_field(&body)?;
    let request_body = string_field(&body, "body")?.unwrap_or_default();
    let path = string_field(&body, "path")?.unwrap_or_else(|| "/".to_string());
    let method = string_field(&body, "method")?.unwrap_or_else(|| "POST".to_string());
    let is_async = match body.get("async") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => {
            return Err(ApiError::bad_request(
                "Invalid `async` param: Value must be a valid boolean",
            ))
        }
    };
    let request_headers: Vec<Value> = match body.get("headers") {
        Some(Value::Object(headers)) => headers
            .iter()
            .map(|(name, value)| {
                let value = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_string);
                json!({"name": name.to_lowercase(), "value": value})
            })
            .collect(),
        _ => Vec::new(),
    };
    let started = std::time::Instant::now();
    let execution_id = ids::unique_id();
    let response = write(&request, |project, caller| {
        // Real executions are readable by their caller only; the emulator also takes `permissions`.
        let execution_permissions = requested_permissions.unwrap_or_else(|| {
            caller
                .user_id
                .iter()
                .map(|user| format!("read(\"user:{user}\")"))
                .collect()
        });
        let now = ids::now_timestamp();
        let execution = json!({
            "$id": execution_id,
            "$createdAt": now,
            "$updatedAt": now,
            "$permissions": execution_permissions,
            "functionId": function_id,
            "resourceId": function_id,
            "resourceType": "functions",
            "deploymentId": "",
            "trigger": "http",
            "status": if is_async { "waiting" } else { "processing" },
            "requestMethod": method,
            "requestPath": path,
            "requestHeaders": request_headers,
            "responseStatusCode": 0,
            "responseBody": "",
            "responseHeaders": [],
            "logs": "",
            "errors": "",
            "duration": 0.0,
            "scheduledAt": null,
        });
        let Value::Object(mut execution) = execution else {
            return Err(ApiError::bad_request("execution model"));
        };
        if !is_async {
            advance_execution(&mut execution, "completed", started);
        }
        project
            .executions
            .insert(execution_id.clone(), execution.clone());
        if !is_async {
            execution.insert("responseBody".into(), json!(request_body));
            execution.insert(
                "responseHeaders".into(),
                json!([{"name": "x-appwrite-execution-id", "value": execution_id}]),
            );
        }
        let events = vec![execution_publication(&caller.project, &execution, "create")];
        let status = if is_async {
            StatusCode::ACCEPTED
        } else {
            StatusCode::CREATED
        };
        Ok((
            (status, Json(Value::Object(execution))).into_response(),
            events,
        ))
    })?;
    if is_async {
        let emulator = request.emulator.clone();
        let project_id = request.credentials.project_id.clone().unwrap_or_default();
        tokio::spawn(async move {
            let key = (project_id.as_str(), execution_id.as_str());
            tokio::time::sleep(ASYNC_EXECUTION_STEP).await;
            if step_execution(&emulator, key, "processing", started) {
                tokio::time::sleep(ASYNC_EXECUTION_STEP).await;
                step_execution(&emulator, key, "completed", started);
            }
        });
    }
    Ok(response)
}

/// `GET /v1/functions/{fn}/executions/{id}`: readable by the execution's read roles.
pub(super) async fn get_execution(
    request: ApiRequest,
    Path((function_id, execution_id)): Path<(String, String)>,
) -> ApiResult {
    let open = request.emulator.config.no_permissions;
    read(&request, |project, caller| {
        let execution = project
            .executions
            .get(&execution_id)
            .filter(|execution| execution.get("functionId") == Some(&json!(function_id)))
            .ok_or_else(execution_not_found)?;
        let permissions: Vec<String> = execution
            .get("$permissions")
            .and_then(|value| serde_json::from_value(value.clone()).ok())
            .unwrap_or_default();
        if !open && !allowed(&caller_roles(project, caller), &permissions, "read") {
            return Err(execution_not_found());
        }
        ok(Value::Object(execution.clone()))
    })
}
