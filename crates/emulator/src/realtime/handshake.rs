//! The handshake of `/v1/realtime`: project, caller and URL subscriptions read from the
//! upgrade request, and the `connected` frame that opens the connection.

use super::subscriptions::{check_subscription_limits, convert_channels, stored_filter};
use super::FrameError;
use crate::config::ServerVersion;
use crate::cookies::request_cookie;
use crate::ids;
use crate::permissions;
use crate::php_query::{self, PhpParam};
use crate::protocol;
use crate::queries::{self, Query, QueryError};
use crate::state::{Connection, OutboxReceiver, CONSOLE_PROJECT};
use crate::Emulator;
use axum::http::HeaderMap;
use indexmap::IndexMap;
use serde_json::Value;
use std::net::SocketAddr;

const CONNECTS_PER_MINUTE: u32 = 128;

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
}

pub(super) struct Opened {
    pub(super) connection_id: u64,
    pub(super) connected_frame: String,
    pub(super) outbox: OutboxReceiver,
}

pub(super) fn open_connection(
    emulator: &Emulator,
    handshake: &Handshake,
) -> Result<Opened, FrameError> {
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
    let cookie_name = crate::cookies::session_cookie_name(project_id);
    let stored = request_cookie(&handshake.headers, &cookie_name)
        .or_else(|| request_cookie(&handshake.headers, &format!("{cookie_name}_legacy")))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_hosts() {
        assert_eq!(origin_host("http://localhost:5173"), "localhost");
        assert_eq!(origin_host("https://app.example.com"), "app.example.com");
    }
}
