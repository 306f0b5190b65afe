//! `/v1/realtime`: the handshake checks, the message handlers and the socket loop.

use crate::config::ServerVersion;
use crate::events::{EventNames, SUPPORTED_ACTIONS};
use crate::ids;
use crate::permissions;
use crate::php_query::{self, PhpParam};
use crate::protocol;
use crate::queries::{self, Filter, Query, QueryError};
use crate::state::{
    Connection, ConnectionCommand, OutboxReceiver, OverflowSignal, Publication, StoredFilter,
    CONSOLE_PROJECT,
};
use crate::Emulator;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use indexmap::IndexMap;
use serde_json::{json, Map, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Swoole's `package_max_length`.
pub const MAX_INBOUND_FRAME_BYTES: usize = 64_000;
/// Read chunk and write batching size of each socket.
const SOCKET_BUFFER_BYTES: usize = 8 * 1024;
const CONNECTS_PER_MINUTE: u32 = 128;
const MESSAGES_PER_MINUTE: u32 = 32;
const MISSING_PROJECT_CONTEXT: &str = "Missing project context. Reconnect to the project first.";
const SERVER_ERROR: &str = "Error: Server Error";

/// An error frame to send; 1008 also ends the connection.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameError {
    pub code: i64,
    pub message: String,
}

impl FrameError {
    fn new(code: i64, message: impl Into<String>) -> FrameError {
        FrameError {
            code,
            message: message.into(),
        }
    }

    fn format(message: impl Into<String>) -> FrameError {
        FrameError::new(1003, message)
    }
}

fn sanitised(error: &FrameError, production: bool, exempt_policy_violation: bool) -> String {
    let sensitive = error.code == 0 || error.code >= 500;
    if production && sensitive && !(exempt_policy_violation && error.code == 1008) {
        SERVER_ERROR.to_string()
    } else {
        error.message.clone()
    }
}

/// What the handshake request carried.
pub struct Handshake {
    pub query: php_query::PhpQuery,
    pub headers: HeaderMap,
    pub peer: SocketAddr,
}

impl Handshake {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    fn query_text(&self, name: &str) -> Option<&str> {
        match self.query.get(name) {
            Some(PhpParam::Text(text)) => Some(text),
            _ => None,
        }
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("cookie")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|header| header.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| php_query::percent_decode(value))
    }
}

pub async fn upgrade(
    State(emulator): State<Arc<Emulator>>,
    ConnectInfo(peer): ConnectInfo<crate::guard::Peer>,
    headers: HeaderMap,
    RawQuery(raw_query): RawQuery,
    upgrade: WebSocketUpgrade,
) -> Response {
    if emulator.is_refusing_connections() {
        return (StatusCode::SERVICE_UNAVAILABLE, "refusing connections").into_response();
    }
    let handshake = Handshake {
        query: php_query::parse(raw_query.as_deref().unwrap_or("")),
        headers,
        peer: peer.remote,
    };
    upgrade
        .max_message_size(MAX_INBOUND_FRAME_BYTES)
        .max_frame_size(MAX_INBOUND_FRAME_BYTES)
        // tungstenite's defaults (128 KiB each way) cost ~256 KiB per idle socket.
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
        .on_upgrade(move |socket| run_connection(emulator, socket, handshake))
}

struct Opened {
    connection_id: u64,
    connected_frame: String,
    outbox: OutboxReceiver,
}

async fn run_connection(emulator: Arc<Emulator>, mut socket: WebSocket, handshake: Handshake) {
    let opened = match open_connection(&emulator, &handshake) {
        Ok(opened) => opened,
        Err(error) => {
            let message = sanitised(&error, emulator.config.production, true);
            emulator.log(&format!(
                "connect refused from {}: {} {}",
                handshake.peer, error.code, message
            ));
            // Error frame, then drop TCP without a close frame (Swoole's close()).
            let _ = socket
                .send(Message::Text(
                    protocol::error_frame(error.code, &message).into(),
                ))
                .await;
            return;
        }
    };
    let connection_id = opened.connection_id;
    emulator.log(&format!(
        "connection {connection_id} opened from {}",
        handshake.peer
    ));
    let ended_by = serve_connection(&emulator, socket, opened).await;
    emulator.log(&format!("connection {connection_id} closed ({ended_by})"));
    emulator
        .with_state(|state| state.close_connection(connection_id, emulator.config.server_version));
}

/// How long a closing handshake may wait for a client that does not read.
const CLOSE_FRAME_TIMEOUT: Duration = Duration::from_secs(1);

/// Why a send did not complete.
enum SendFailure {
    Socket,
    /// The outbound queue overflowed while this send waited on a client that does not read.
    FellBehind,
}

/// Sends one text frame, giving up when the queue overflows meanwhile: a client that stops
/// reading blocks the send, and only the overflow signal can end the wait.
async fn send_text(
    socket: &mut WebSocket,
    overflow: &mut OverflowSignal,
    text: String,
) -> Result<(), SendFailure> {
    tokio::select! {
        sent = socket.send(Message::Text(text.into())) => sent.map_err(|_| SendFailure::Socket),
        _ = overflow.fallen_behind() => Err(SendFailure::FellBehind),
    }
}

fn ended_by(failure: SendFailure) -> &'static str {
    match failure {
        SendFailure::Socket => "send failed",
        SendFailure::FellBehind => "fell behind (outbound queue full)",
    }
}

/// The socket loop; returns why it ended.
async fn serve_connection(
    emulator: &Arc<Emulator>,
    mut socket: WebSocket,
    opened: Opened,
) -> &'static str {
    let Opened {
        connection_id,
        connected_frame,
        mut outbox,
    } = opened;
    let mut overflow = outbox.overflow_signal();
    if let Err(failure) = send_text(&mut socket, &mut overflow, connected_frame).await {
        return ended_by(failure);
    }
    let mut shutdown = emulator.shutdown_signal();
    let mut rate_window = (0u64, 0u32);
    // Silenced until this instant (`Some(None)` = until resumed).
    let mut silenced: Option<Option<Instant>> = None;
    loop {
        let silence_deadline = silenced.flatten();
        tokio::select! {
            _ = shutdown.changed() => {
                let _ = tokio::time::timeout(CLOSE_FRAME_TIMEOUT, socket.send(Message::Close(None))).await;
                return "server shutdown";
            }
            _ = overflow.fallen_behind() => return ended_by(SendFailure::FellBehind),
            _ = async { if let Some(deadline) = silence_deadline { tokio::time::sleep_until(deadline).await } else { std::future::pending::<()>().await } } => {
                silenced = None;
            }
            command = outbox.recv() => match command {
                Some(ConnectionCommand::Frame(frame)) => {
                    if silenced.is_none() {
                        if let Err(failure) = send_text(&mut socket, &mut overflow, frame).await {
                            return ended_by(failure);
                        }
                    }
                }
                Some(ConnectionCommand::Drop) | None => return "dropped",
                Some(ConnectionCommand::Silence(duration)) => {
                    silenced = Some(duration.map(|duration| Instant::now() + duration));
                }
                Some(ConnectionCommand::Resume) => silenced = None,
            },
            inbound = socket.recv() => {
                let text = match inbound {
                    Some(Ok(Message::Text(text))) => text.to_string(),
                    Some(Ok(Message::Binary(bytes))) => String::from_utf8_lossy(&bytes).into_owned(),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_))) | None => return "client closed",
                    // Includes frames over 64 000 bytes: dropped without an error frame.
                    Some(Err(_)) => return "socket error",
                };
                if silenced.is_some() {
                    continue;
                }
                if emulator.config.rate_limits && !accept_message(&mut rate_window) {
                    let error = FrameError::new(1013, "Too many messages.");
                    let message = sanitised(&error, emulator.config.production, false);
                    if let Err(failure) = send_text(&mut socket, &mut overflow, protocol::error_frame(error.code, &message)).await {
                        return ended_by(failure);
                    }
                    continue;
                }
                let (reply, drop_after) = match handle_message(emulator, connection_id, &text) {
                    Ok(frame) => (frame, false),
                    Err(error) => {
                        let message = sanitised(&error, emulator.config.production, false);
                        (protocol::error_frame(error.code, &message), error.code == 1008)
                    }
                };
                if let Err(failure) = send_text(&mut socket, &mut overflow, reply).await {
                    return ended_by(failure);
                }
                if drop_after {
                    return "policy violation";
                }
            }
        }
    }
}

/// Fixed wall-clock-aligned window; only accepted messages count.
fn accept_message(window: &mut (u64, u32)) -> bool {
    let current = crate::state::current_window();
    if window.0 != current {
        *window = (current, 0);
    }
    if window.1 >= MESSAGES_PER_MINUTE {
        return false;
    }
    window.1 += 1;
    true
}

// ---- handshake ----------------------------------------------------------------------

fn open_connection(emulator: &Emulator, handshake: &Handshake) -> Result<Opened, FrameError> {
    let config = &emulator.config;
    let project_id = handshake
        .header("x-appwrite-project")
        .filter(|value| !value.is_empty())
        .or_else(|| handshake.query_text("project"))
        .filter(|value| !value.is_empty())
        .unwrap_or(CONSOLE_PROJECT)
        .to_string();

    emulator.with_state(|state| {
        let project = state
            .project(&project_id)
            .ok_or_else(|| FrameError::new(1008, "Missing or unknown project ID"))?;
        let user_id = resolve_user(project, handshake, &project_id)?;

        if config.rate_limits && !state.accept_connect(handshake.peer.ip(), CONNECTS_PER_MINUTE) {
            return Err(FrameError::new(1013, "Too many requests"));
        }
        if let (Some(allowed), Some(origin)) = (&config.allowed_origins, handshake.header("origin")) {
            let host = origin_host(origin);
            if project_id != CONSOLE_PROJECT && !allowed.iter().any(|allowed| allowed == &host) {
                return Err(FrameError::new(
                    1008,
                    format!("Invalid Origin. Register your new client ({host}) as a new Web platform on your project console dashboard"),
                ));
            }
        }

        let project = state
            .project(&project_id)
            .ok_or_else(|| FrameError::new(1008, "Missing or unknown project ID"))?;
        let roles = match &user_id {
            Some(user_id) => project.roles_for(user_id),
            None => permissions::guest_roles(),
        };
        let user_json = user_id
            .as_ref()
            .and_then(|user_id| project.users.get(user_id))
            .map_or(Value::Null, |user| user.account_json());

        let requested_channels = url_channels(handshake)?;
        let channels = convert_channels(&requested_channels, user_id.as_deref().unwrap_or(""));
        if channels.is_empty() && !config.server_version.has_message_protocol() {
            return Err(FrameError::new(1008, "Missing channels"));
        }
        let slots = if config.server_version == ServerVersion::V1_8 {
            // No per-channel queries before 1.9: one select-all subscription.
            let mut slots = IndexMap::new();
            if !channels.is_empty() {
                slots.insert("0".to_string(), (channels.clone(), vec![Query::select_all()]));
            }
            slots
        } else {
            construct_url_subscriptions(&channels, handshake)?
        };

        let mut subscriptions = IndexMap::new();
        let mut slot_map = Vec::new();
        for (slot, (slot_channels, slot_queries)) in slots {
            let subscription_id = ids::unique_id();
            let stored = stored_filter(&slot_queries);
            subscriptions.insert(
                subscription_id.clone(),
                slot_channels.into_iter().map(|channel| (channel, stored.clone())).collect(),
            );
            slot_map.push((slot, subscription_id));
        }
        check_subscription_limits(&subscriptions).map_err(|error| {
            FrameError::new(1008, error.message.trim_start_matches("items: "))
        })?;

        let (sender, receiver) = crate::state::outbox();
        let connection_id = state.register_connection(Connection {
            id: 0,
            project: project_id.clone(),
            ip: handshake.peer.ip().to_string(),
            user_id,
            roles,
            has_project_context: true,
            subscriptions,
            presences: Vec::new(),
            outbox: sender,
        });
        let subscriptions_json = config
            .server_version
            .has_subscriptions()
            .then(|| protocol::php_array(&slot_map));
        Ok(Opened {
            connection_id,
            connected_frame: protocol::connected_frame(&channels, subscriptions_json, user_json),
            outbox: receiver,
        })
    })
}

/// Cookie, then `X-Appwrite-Session`, then `X-Fallback-Cookies`, then JWT (§1.3).
fn resolve_user(
    project: &crate::state::Project,
    handshake: &Handshake,
    project_id: &str,
) -> Result<Option<String>, FrameError> {
    let cookie_name = format!("a_session_{project_id}");
    let stored = handshake
        .cookie(&cookie_name)
        .or_else(|| handshake.cookie(&format!("{cookie_name}_legacy")))
        .and_then(|value| crate::state::decode_session_value(&value));
    let stored = stored
        .or_else(|| {
            handshake
                .header("x-appwrite-session")
                .and_then(crate::state::decode_session_value)
        })
        .or_else(|| {
            let fallback: Value =
                serde_json::from_str(handshake.header("x-fallback-cookies")?).ok()?;
            crate::state::decode_session_value(fallback.get(&cookie_name)?.as_str()?)
        });
    let mut user_id = stored.and_then(|(id, secret)| project.user_for_session(&id, &secret));

    let jwt = handshake
        .header("x-appwrite-jwt")
        .or_else(|| handshake.query_text("jwt"))
        .filter(|jwt| !jwt.is_empty());
    if let Some(jwt) = jwt {
        if user_id.is_some() {
            return Err(FrameError::new(
                403,
                "JWT and cookie used in the same request. Use either `setJWT` or `setCookie`. Learn about which authentication method to use in the SSR docs: https://appwrite.io/docs/products/auth/server-side-rendering",
            ));
        }
        // Opaque tokens stand in for HS256 JWTs; the failure texts mimic ahc/jwt [inferred].
        user_id = project
            .user_for_jwt(jwt)
            .map_err(|reason| FrameError::new(401, format!("Failed to verify JWT. {reason}")))?;
    }
    // A blocked user's session still exists but no longer signs a socket in.
    Ok(user_id.filter(|id| project.is_active(id)))
}

fn origin_host(origin: &str) -> String {
    let without_scheme = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    let authority = without_scheme.split('/').next().unwrap_or("");
    match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host.to_string(),
        _ => authority.to_string(),
    }
}

/// `channels[]` from the URL; anything but an array is a PHP TypeError (code 0).
fn url_channels(handshake: &Handshake) -> Result<Vec<String>, FrameError> {
    match handshake.query.get("channels") {
        None => Ok(Vec::new()),
        Some(PhpParam::Array(entries)) => Ok(entries
            .values()
            .filter_map(|entry| match entry {
                PhpParam::Text(text) => Some(text.clone()),
                PhpParam::Array(_) => None,
            })
            .collect()),
        Some(PhpParam::Text(_)) => Err(FrameError::new(
            0,
            "array_flip(): Argument #1 ($array) must be of type array, string given",
        )),
    }
}

/// `Realtime::convertChannels` (§5.3): dedupe; `account` adds `account.<uid>`;
/// `account.<action>` becomes `account.<uid>.<action>` when authenticated; other
/// `account.*` are dropped. Rewritten entries move to the end, as with PHP arrays.
pub fn convert_channels(channels: &[String], user_id: &str) -> Vec<String> {
    let mut result: indexmap::IndexSet<String> = channels.iter().cloned().collect();
    let snapshot: Vec<String> = result.iter().cloned().collect();
    for channel in snapshot {
        if channel == "account" {
            if !user_id.is_empty() {
                result.insert(format!("account.{user_id}"));
            }
        } else if let Some(suffix) = channel.strip_prefix("account.") {
            if SUPPORTED_ACTIONS.contains(&suffix) {
                if !user_id.is_empty() {
                    result.shift_remove(&channel);
                    result.insert(format!("account.{user_id}.{suffix}"));
                }
            } else {
                result.shift_remove(&channel);
            }
        }
    }
    result.into_iter().collect()
}

/// `Realtime::rebindAccountChannels` for in-band authentication.
fn rebind_account_channel(channel: &str, old_user: &str, new_user: &str) -> String {
    if new_user.is_empty() || old_user == new_user {
        return channel.to_string();
    }
    let Some(suffix) = channel.strip_prefix("account.") else {
        return channel.to_string();
    };
    if old_user.is_empty() {
        return if SUPPORTED_ACTIONS.contains(&suffix) {
            format!("account.{new_user}.{suffix}")
        } else {
            channel.to_string()
        };
    }
    if suffix == old_user {
        return format!("account.{new_user}");
    }
    match suffix
        .strip_prefix(old_user)
        .and_then(|rest| rest.strip_prefix('.'))
    {
        Some(action) if SUPPORTED_ACTIONS.contains(&action) => {
            format!("account.{new_user}.{action}")
        }
        _ => channel.to_string(),
    }
}

type UrlSlots = IndexMap<String, (Vec<String>, Vec<Query>)>;

/// `Realtime::constructSubscriptions`: per-channel `<channel>[<slot>][]=<query>` params.
fn construct_url_subscriptions(
    channels: &[String],
    handshake: &Handshake,
) -> Result<UrlSlots, FrameError> {
    let mut slots: UrlSlots = IndexMap::new();
    for channel in channels {
        let param_key = channel.replace('.', "_");
        let mut param = handshake.query.get(&param_key);
        // `project` is the project id, not a query list.
        if param_key == "project" && matches!(param, Some(PhpParam::Text(_))) {
            param = None;
        }
        let Some(param) = param else {
            let slot = slots
                .entry("0".to_string())
                .or_insert_with(|| (Vec::new(), Vec::new()));
            slot.0.push(channel.clone());
            if slot.1.is_empty() {
                slot.1 = vec![Query::select_all()];
            }
            continue;
        };
        let entries: Vec<(String, &PhpParam)> = match param {
            PhpParam::Text(_) => vec![("0".to_string(), param)],
            PhpParam::Array(entries) => entries
                .iter()
                .map(|(key, value)| (key.clone(), value))
                .collect(),
        };
        for (index, slot_value) in entries {
            let slot = slots
                .entry(index)
                .or_insert_with(|| (Vec::new(), Vec::new()));
            if !slot.0.contains(channel) {
                slot.0.push(channel.clone());
            }
            if slot.1.is_empty() {
                let raw: Vec<Value> = match slot_value {
                    PhpParam::Text(text) => vec![Value::String(text.clone())],
                    PhpParam::Array(items) => items
                        .values()
                        .map(|item| match item {
                            PhpParam::Text(text) => Value::String(text.clone()),
                            PhpParam::Array(_) => Value::Array(Vec::new()),
                        })
                        .collect(),
                };
                slot.1 = queries::parse_realtime_queries(&raw).map_err(|error| match error {
                    QueryError::Invalid(message) => FrameError::new(1008, message),
                    QueryError::Internal(message) => FrameError::new(0, message),
                })?;
            }
        }
    }
    Ok(slots)
}

/// An empty query list is stored as `select("*")`.
fn stored_filter(queries: &[Query]) -> StoredFilter {
    let strings = if queries.is_empty() {
        vec![Query::select_all().to_query_string()]
    } else {
        queries.iter().map(Query::to_query_string).collect()
    };
    StoredFilter {
        strings,
        filter: Filter::compile(queries),
    }
}

// ---- messages -----------------------------------------------------------------------

/// Handles one inbound text frame; `Ok` is the reply frame.
pub fn handle_message(
    emulator: &Emulator,
    connection_id: u64,
    text: &str,
) -> Result<String, FrameError> {
    let message: Value = serde_json::from_str(text)
        .map_err(|_| FrameError::format("Message format is not valid."))?;
    let object = match &message {
        Value::Null => return Err(FrameError::format("Message format is not valid.")),
        Value::Object(object) => object.clone(),
        Value::Array(_) => Map::new(),
        other => {
            return Err(FrameError::new(
                0,
                format!(
                    "array_key_exists(): Argument #2 ($array) must be of type array, {} given",
                    match other {
                        Value::Bool(_) => "bool",
                        Value::Number(number) if number.is_f64() => "float",
                        Value::Number(_) => "int",
                        _ => "string",
                    }
                ),
            ))
        }
    };
    if !object.contains_key("type") && !object.contains_key("data") {
        return Err(FrameError::format("Message format is not valid."));
    }
    let message_type = match object.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        _ => return Err(FrameError::format("Message type is not valid.")),
    };
    let modern = emulator.config.server_version.has_message_protocol();
    let known = match message_type {
        "ping" | "authentication" => true,
        "subscribe" | "unsubscribe" | "presence" => modern,
        _ => false,
    };
    if !known {
        return Err(FrameError::format("Message type is not valid."));
    }
    if message_type == "ping" {
        return Ok(protocol::pong_frame());
    }
    let data = object.get("data").filter(|data| !data.is_null());
    emulator.with_state(|state| {
        let has_context = state
            .connections
            .get(&connection_id)
            .is_some_and(|connection| connection.has_project_context);
        if !has_context {
            return Err(FrameError::new(1008, MISSING_PROJECT_CONTEXT));
        }
        match message_type {
            "authentication" => authenticate(emulator, state, connection_id, data),
            "subscribe" => subscribe(state, connection_id, data),
            "unsubscribe" => unsubscribe(state, connection_id, data),
            _ => presence(emulator, state, connection_id, data),
        }
    })
}

/// An object-shaped param: present only when `data` is a PHP array with that key.
fn object_param<'a>(data: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    match data {
        Some(Value::Object(object)) => object.get(key),
        _ => None,
    }
}

fn required_param<'a>(data: Option<&'a Value>, key: &str) -> Result<&'a Value, FrameError> {
    object_param(data, key).ok_or_else(|| {
        let mut name = key.to_string();
        if let Some(first) = name.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        FrameError::format(format!("Payload is not valid. {name} is required"))
    })
}

/// utopia `Text(max)` validation.
fn text_param(key: &str, value: &Value, max_chars: usize) -> Result<String, FrameError> {
    match value {
        Value::String(text) if text.chars().count() <= max_chars => Ok(text.clone()),
        _ => Err(FrameError::format(format!(
            "{key}: Value must be a valid string and no longer than {max_chars} chars"
        ))),
    }
}

fn authenticate(
    emulator: &Emulator,
    state: &mut crate::state::State,
    connection_id: u64,
    data: Option<&Value>,
) -> Result<String, FrameError> {
    let session = text_param("session", required_param(data, "session")?, 2048)?;
    let connection = state
        .connections
        .get(&connection_id)
        .ok_or_else(|| FrameError::new(1008, MISSING_PROJECT_CONTEXT))?;
    let project = state
        .project(&connection.project)
        .ok_or_else(|| FrameError::new(1008, MISSING_PROJECT_CONTEXT))?;
    let user_id = project
        .user_for_session_value(&session)
        .filter(|id| project.is_active(id))
        .ok_or_else(|| FrameError::format("Session is not valid."))?;
    let roles = project.roles_for(&user_id);
    let account = project
        .users
        .get(&user_id)
        .map_or(Value::Null, |user| user.account_json());

    let connection = state
        .connections
        .get_mut(&connection_id)
        .ok_or_else(|| FrameError::new(1008, MISSING_PROJECT_CONTEXT))?;
    if emulator.config.auth_without_subscriptions_quirk && connection.subscriptions.is_empty() {
        // The real server unsubscribes everything and has nothing to re-add, so the
        // connection record (and its project context) is gone.
        connection.has_project_context = false;
    } else {
        let previous_user = connection.user_id.clone().unwrap_or_default();
        for channels in connection.subscriptions.values_mut() {
            let rebound = channels
                .drain(..)
                .map(|(channel, stored)| {
                    (
                        rebind_account_channel(&channel, &previous_user, &user_id),
                        stored,
                    )
                })
                .collect();
            *channels = rebound;
        }
        connection.roles = roles;
        connection.user_id = Some(user_id);
    }
    Ok(protocol::response_frame(
        json!({"to": "authentication", "success": true, "user": account}),
    ))
}

/// A JSON list, or `{}` (an empty PHP array is a list).
fn as_php_list(value: &Value) -> Option<Vec<Value>> {
    match value {
        Value::Array(items) => Some(items.clone()),
        Value::Object(object) if object.is_empty() => Some(Vec::new()),
        _ => None,
    }
}

struct SubscribeItem {
    subscription_id: String,
    channels: Vec<String>,
    queries: Vec<Query>,
}

fn validate_subscribe_payload(items: &[Value]) -> Result<(), &'static str> {
    for item in items {
        let object = match item {
            Value::Object(object) => object.clone(),
            Value::Array(_) => Map::new(),
            _ => return Err("Each subscribe payload must be an object."),
        };
        if let Some(id) = object.get("subscriptionId") {
            let valid = id
                .as_str()
                .is_some_and(|id| id == "unique()" || ids::is_valid_custom_id(id));
            if !valid {
                return Err("subscriptionId is not a valid id.");
            }
        }
        let channels = object
            .get("channels")
            .ok_or("channels is not present in payload.")?;
        let channels = as_php_list(channels).ok_or("channels is not a valid array.")?;
        if !channels.iter().all(Value::is_string) {
            return Err("channels must contain only strings.");
        }
        if let Some(queries) = object.get("queries") {
            if as_php_list(queries).is_none() {
                return Err("queries is not a valid array.");
            }
        }
    }
    Ok(())
}

fn subscribe(
    state: &mut crate::state::State,
    connection_id: u64,
    data: Option<&Value>,
) -> Result<String, FrameError> {
    let data = data.ok_or_else(|| FrameError::format("Payload is not valid. Items is required"))?;
    let items =
        as_php_list(data).ok_or_else(|| FrameError::format("items: Payload is not valid."))?;
    validate_subscribe_payload(&items)
        .map_err(|reason| FrameError::format(format!("items: {reason}")))?;

    let connection = state
        .connections
        .get_mut(&connection_id)
        .ok_or_else(|| FrameError::new(1008, MISSING_PROJECT_CONTEXT))?;
    let user_id = connection.user_id.clone().unwrap_or_default();
    let mut parsed = Vec::with_capacity(items.len());
    for item in &items {
        let subscription_id = match item.get("subscriptionId").and_then(Value::as_str) {
            // The literal `unique()` is accepted and used as-is, like the server.
            Some(id) => id.to_string(),
            None => ids::unique_id(),
        };
        let raw_queries = item
            .get("queries")
            .and_then(as_php_list)
            .unwrap_or_default();
        let queries =
            queries::parse_realtime_queries(&raw_queries).map_err(|error| match error {
                QueryError::Invalid(message) => {
                    FrameError::format(format!("Invalid query: {message}"))
                }
                QueryError::Internal(message) => FrameError::new(0, message),
            })?;
        let requested: Vec<String> = item
            .get("channels")
            .and_then(as_php_list)
            .unwrap_or_default()
            .iter()
            .filter_map(|channel| channel.as_str().map(str::to_string))
            .collect();
        parsed.push(SubscribeItem {
            subscription_id,
            channels: convert_channels(&requested, &user_id),
            queries,
        });
    }

    // Applied to a copy first: a batch over the limits changes nothing.
    let mut subscriptions = connection.subscriptions.clone();
    for item in &parsed {
        if item.channels.is_empty() {
            continue;
        }
        let stored = stored_filter(&item.queries);
        let channels = subscriptions
            .entry(item.subscription_id.clone())
            .or_default();
        for channel in &item.channels {
            channels.insert(channel.clone(), stored.clone());
        }
    }
    check_subscription_limits(&subscriptions)?;
    connection.subscriptions = subscriptions;
    let acknowledged: Vec<Value> = parsed
        .iter()
        .map(|item| {
            json!({
                "subscriptionId": item.subscription_id,
                "channels": item.channels,
                "queries": item.queries.iter().map(Query::to_query_string).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(protocol::response_frame(
        json!({"to": "subscribe", "success": true, "subscriptions": acknowledged}),
    ))
}

/// Appwrite has no limit here; the emulator does, so that one socket cannot grow without
/// bound. Generous for any real app; over them, `subscribe` answers 1003 and changes nothing.
pub const MAX_SUBSCRIPTIONS_PER_CONNECTION: usize = 1000;
pub const MAX_CHANNELS_PER_SUBSCRIPTION: usize = 100;
pub const MAX_CHANNELS_PER_CONNECTION: usize = 10_000;
/// Channel names plus query strings, counted once per (subscription, channel).
pub const MAX_SUBSCRIPTION_BYTES_PER_CONNECTION: usize = 1024 * 1024;

fn check_subscription_limits(
    subscriptions: &IndexMap<String, IndexMap<String, StoredFilter>>,
) -> Result<(), FrameError> {
    if subscriptions.len() > MAX_SUBSCRIPTIONS_PER_CONNECTION {
        return Err(FrameError::format(format!(
            "items: Too many subscriptions: at most {MAX_SUBSCRIPTIONS_PER_CONNECTION} per connection."
        )));
    }
    if subscriptions
        .values()
        .any(|channels| channels.len() > MAX_CHANNELS_PER_SUBSCRIPTION)
    {
        return Err(FrameError::format(format!(
            "items: Too many channels: at most {MAX_CHANNELS_PER_SUBSCRIPTION} per subscription."
        )));
    }
    let channels: usize = subscriptions.values().map(IndexMap::len).sum();
    if channels > MAX_CHANNELS_PER_CONNECTION {
        return Err(FrameError::format(format!(
            "items: Too many channels: at most {MAX_CHANNELS_PER_CONNECTION} per connection."
        )));
    }
    let bytes: usize = subscriptions
        .values()
        .flat_map(IndexMap::iter)
        .map(|(channel, stored)| {
            channel.len() + stored.strings.iter().map(String::len).sum::<usize>()
        })
        .sum();
    if bytes > MAX_SUBSCRIPTION_BYTES_PER_CONNECTION {
        return Err(FrameError::format(format!(
            "items: Subscriptions too large: at most {MAX_SUBSCRIPTION_BYTES_PER_CONNECTION} bytes of channels and queries per connection."
        )));
    }
    Ok(())
}

fn unsubscribe(
    state: &mut crate::state::State,
    connection_id: u64,
    data: Option<&Value>,
) -> Result<String, FrameError> {
    let data = data.ok_or_else(|| FrameError::format("Payload is not valid. Items is required"))?;
    let items =
        as_php_list(data).ok_or_else(|| FrameError::format("items: Payload is not valid."))?;
    let mut ids_to_remove = Vec::with_capacity(items.len());
    for item in &items {
        match item.get("subscriptionId").and_then(Value::as_str) {
            Some(id) if !id.is_empty() && item.is_object() => ids_to_remove.push(id.to_string()),
            _ => {
                return Err(FrameError::format(
                    "items: Each unsubscribe payload must include a non-empty subscriptionId.",
                ))
            }
        }
    }
    let connection = state
        .connections
        .get_mut(&connection_id)
        .ok_or_else(|| FrameError::new(1008, MISSING_PROJECT_CONTEXT))?;
    let results: Vec<Value> = ids_to_remove
        .iter()
        .map(|id| json!({"subscriptionId": id, "removed": connection.subscriptions.shift_remove(id).is_some()}))
        .collect();
    Ok(protocol::response_frame(
        json!({"to": "unsubscribe", "success": true, "subscriptions": results}),
    ))
}

fn presence(
    emulator: &Emulator,
    state: &mut crate::state::State,
    connection_id: u64,
    data: Option<&Value>,
) -> Result<String, FrameError> {
    let status = text_param("status", required_param(data, "status")?, 2048)?;
    let requested_id = match object_param(data, "presenceId") {
        Some(value) => text_param("presenceId", value, 36)?,
        None => "unique()".to_string(),
    };
    let metadata = object_param(data, "metadata")
        .filter(|value| !value.is_null())
        .cloned();
    let requested_permissions: Option<Vec<String>> = match object_param(data, "permissions") {
        None | Some(Value::Null) => None,
        Some(value) => {
            let list = as_php_list(value).unwrap_or_default();
            let strings: Option<Vec<String>> = list
                .iter()
                .map(|item| item.as_str().map(str::to_string))
                .collect();
            match strings {
                Some(strings)
                    if as_php_list(value).is_some()
                        && strings
                            .iter()
                            .all(|p| permissions::parse_permission(p).is_some()) =>
                {
                    Some(strings)
                }
                _ => {
                    return Err(FrameError::format(
                        "permissions: Permissions are not valid.",
                    ))
                }
            }
        }
    };

    let connection = state
        .connections
        .get(&connection_id)
        .ok_or_else(|| FrameError::new(1008, MISSING_PROJECT_CONTEXT))?;
    let project_id = connection.project.clone();
    let user_id = connection
        .user_id
        .clone()
        .ok_or_else(|| FrameError::new(401, "User must be authorized"))?;
    let project = state
        .project_mut(&project_id)
        .ok_or_else(|| FrameError::new(1008, "Presence requires a project context."))?;
    if !project.users.contains_key(&user_id) {
        return Err(FrameError::new(
            404,
            "User with the requested ID could not be found.",
        ));
    }
    let mut document_permissions = match requested_permissions {
        Some(requested) => {
            let mut allowed = vec!["any".to_string()];
            allowed.extend(project.roles_for(&user_id));
            for permission in &requested {
                if let Some((_, role)) = permissions::parse_permission(permission) {
                    if !allowed.iter().any(|allowed| allowed == role) {
                        return Err(FrameError::new(
                            401,
                            format!("Permissions must be one of: ({})", allowed.join(", ")),
                        ));
                    }
                }
            }
            requested
        }
        None => ["read", "update", "delete", "write"]
            .iter()
            .map(|kind| format!("{kind}(\"user:{user_id}\")"))
            .collect(),
    };
    document_permissions.sort();

    // One presence per user: an existing one keeps its id.
    let existing = project
        .presences
        .iter()
        .find(|(_, presence)| presence.user_id == user_id)
        .map(|(id, presence)| (id.clone(), presence.document.clone()));
    let now = ids::now_timestamp();
    let (presence_id, created_at, sequence) = match &existing {
        Some((id, document)) => (
            id.clone(),
            document.get("$createdAt").cloned().unwrap_or(json!(now)),
            document.get("$sequence").cloned().unwrap_or(json!("0")),
        ),
        None => (
            ids::resolve_id(&requested_id),
            json!(now),
            json!(project.next_sequence().to_string()),
        ),
    };
    let expires =
        ids::format_timestamp(std::time::SystemTime::now() + Duration::from_secs(30 * 24 * 3600));
    let mut document = Map::new();
    document.insert("$id".into(), json!(presence_id));
    document.insert("$sequence".into(), sequence);
    document.insert("$createdAt".into(), created_at);
    document.insert("$updatedAt".into(), json!(now));
    document.insert("$permissions".into(), json!(document_permissions));
    document.insert("userId".into(), json!(user_id));
    document.insert("source".into(), json!("realtime"));
    document.insert("status".into(), json!(status));
    document.insert("expiresAt".into(), json!(expires));
    if let Some(metadata) = metadata {
        document.insert("metadata".into(), metadata);
    }
    project.presences.insert(
        presence_id.clone(),
        crate::state::Presence {
            user_id: user_id.clone(),
            document: document.clone(),
        },
    );
    if let Some(connection) = state.connections.get_mut(&connection_id) {
        if !connection.presences.contains(&presence_id) {
            connection.presences.push(presence_id.clone());
        }
    }
    let names = EventNames::from_pattern(
        "presences.[presenceId].upsert",
        &[("presenceId", &presence_id)],
        &project_id,
    );
    state.publish(
        Publication {
            project: project_id,
            events: names.events,
            channels: names.channels,
            roles: permissions::read_roles(&document_permissions),
            payload: Value::Object(document.clone()),
            permissions_changed_for: None,
        },
        emulator.config.server_version,
    );
    Ok(protocol::response_frame(
        json!({"to": "presence", "presence": document}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    #[test]
    fn converts_account_channels() {
        assert_eq!(
            convert_channels(
                &strings(&["account.update", "rows", "account", "account.other", "rows"]),
                "u"
            ),
            strings(&["rows", "account", "account.u.update", "account.u"])
        );
        assert_eq!(
            convert_channels(&strings(&["account.update", "account", "account.u"]), ""),
            strings(&["account.update", "account"])
        );
    }

    #[test]
    fn rebinds_account_channels() {
        assert_eq!(
            rebind_account_channel("account.update", "", "u"),
            "account.u.update"
        );
        assert_eq!(rebind_account_channel("account", "", "u"), "account");
        assert_eq!(rebind_account_channel("account.a", "a", "b"), "account.b");
        assert_eq!(
            rebind_account_channel("account.a.delete", "a", "b"),
            "account.b.delete"
        );
        assert_eq!(rebind_account_channel("rows", "a", "b"), "rows");
    }

    #[test]
    fn origin_hosts() {
        assert_eq!(origin_host("http://localhost:5173"), "localhost");
        assert_eq!(origin_host("https://app.example.com"), "app.example.com");
    }
}
