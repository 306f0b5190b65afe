//! The `presence` message of `/v1/realtime`: stores the caller's presence document and
//! publishes its `upsert` event.

use super::messages::{as_php_list, object_param, required_param, text_param};
use super::{FrameError, MISSING_PROJECT_CONTEXT};
use crate::events::EventNames;
use crate::ids;
use crate::permissions;
use crate::protocol;
use crate::state::Publication;
use crate::Emulator;
use serde_json::{json, Map, Value};
use std::time::Duration;

pub(super) fn presence(
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
