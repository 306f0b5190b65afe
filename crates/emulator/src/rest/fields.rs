//! Reading request bodies and their fields, with Appwrite's texts for invalid ones.

use super::responses::ApiError;
use crate::ids;
use crate::permissions;
use axum::body::Bytes;
use serde_json::{Map, Value};

pub(super) fn parse_body(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(ApiError::bad_request("Request body must be a JSON object.")),
    }
}

pub(super) fn string_field(
    body: &Map<String, Value>,
    key: &str,
) -> Result<Option<String>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ApiError::bad_request(format!(
            "Invalid `{key}` param: Value must be a valid string"
        ))),
    }
}

pub(super) fn required_string(body: &Map<String, Value>, key: &str) -> Result<String, ApiError> {
    string_field(body, key)?
        .ok_or_else(|| ApiError::bad_request(format!("Param \"{key}\" is not optional.")))
}

pub(super) fn string_list(
    body: &Map<String, Value>,
    key: &str,
) -> Result<Option<Vec<String>>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Invalid `{key}` param: Value must be an array of strings"
                ))
            }),
        Some(_) => Err(ApiError::bad_request(format!(
            "Invalid `{key}` param: Value must be an array"
        ))),
    }
}

pub(super) fn permissions_field(
    body: &Map<String, Value>,
) -> Result<Option<Vec<String>>, ApiError> {
    let permissions = string_list(body, "permissions")?;
    if let Some(list) = &permissions {
        if let Some(bad) = list
            .iter()
            .find(|permission| permissions::parse_permission(permission).is_none())
        {
            return Err(ApiError::bad_request(format!(
                "Invalid `permissions` param: Permission \"{bad}\" is not allowed."
            )));
        }
    }
    Ok(permissions)
}

pub(super) fn new_id(body: &Map<String, Value>, key: &str) -> Result<String, ApiError> {
    let requested = string_field(body, key)?.unwrap_or_else(|| "unique()".to_string());
    let id = ids::resolve_id(&requested);
    if !ids::is_valid_custom_id(&id) {
        return Err(ApiError::bad_request(format!("Invalid `{key}` param: Parameter must contain at most 36 chars. Valid chars are a-z, A-Z, 0-9, period, hyphen, and underscore. Can't start with a special char")));
    }
    Ok(id)
}

pub(super) fn bool_field(body: &Map<String, Value>, key: &str) -> Result<Option<bool>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(flag)) => Ok(Some(*flag)),
        Some(_) => Err(ApiError::bad_request(format!(
            "Invalid `{key}` param: Value must be a valid boolean"
        ))),
    }
}
