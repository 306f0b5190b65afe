//! The in-band messages of `/v1/realtime` (ping, authentication, subscribe, unsubscribe)
//! and the dispatch that routes each inbound frame to its handler.

use super::presence::presence;
use super::subscriptions::{
    check_subscription_limits, convert_channels, rebind_account_channel, stored_filter,
};
use super::{FrameError, MISSING_PROJECT_CONTEXT};
use crate::ids;
use crate::protocol;
use crate::queries::{self, Query, QueryError};
use crate::Emulator;
use serde_json::{json, Map, Value};

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
pub(super) fn object_param<'a>(data: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    match data {
        Some(Value::Object(object)) => object.get(key),
        _ => None,
    }
}

pub(super) fn required_param<'a>(
    data: Option<&'a Value>,
    key: &str,
) -> Result<&'a Value, FrameError> {
    object_param(data, key).ok_or_else(|| {
        let mut name = key.to_string();
        if let Some(first) = name.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        FrameError::format(format!("Payload is not valid. {name} is required"))
    })
}

/// utopia `Text(max)` validation.
pub(super) fn text_param(key: &str, value: &Value, max_chars: usize) -> Result<String, FrameError> {
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
pub(super) fn as_php_list(value: &Value) -> Option<Vec<Value>> {
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

/// The `items` list of a `subscribe` or `unsubscribe` message, as the server reads it.
fn payload_items(data: Option<&Value>) -> Result<Vec<Value>, FrameError> {
    let data = data.ok_or_else(|| FrameError::format("Payload is not valid. Items is required"))?;
    as_php_list(data).ok_or_else(|| FrameError::format("items: Payload is not valid."))
}

fn subscribe(
    state: &mut crate::state::State,
    connection_id: u64,
    data: Option<&Value>,
) -> Result<String, FrameError> {
    let items = payload_items(data)?;
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

fn unsubscribe(
    state: &mut crate::state::State,
    connection_id: u64,
    data: Option<&Value>,
) -> Result<String, FrameError> {
    let items = payload_items(data)?;
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
