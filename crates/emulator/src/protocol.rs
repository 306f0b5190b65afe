//! Server → client frames, built in the field order the PHP server emits.

use serde_json::{json, Map, Value};

pub fn error_frame(code: i64, message: &str) -> String {
    json!({"type": "error", "data": {"code": code, "message": message}}).to_string()
}

/// `pong` carries no `data` key.
pub fn pong_frame() -> String {
    json!({"type": "pong"}).to_string()
}

/// `subscriptions` is `None` for servers older than 1.9.
pub fn connected_frame(channels: &[String], subscriptions: Option<Value>, user: Value) -> String {
    let mut data = Map::new();
    data.insert("channels".into(), json!(channels));
    if let Some(subscriptions) = subscriptions {
        data.insert("subscriptions".into(), subscriptions);
    }
    data.insert("user".into(), user);
    json!({"type": "connected", "data": data}).to_string()
}

pub fn response_frame(data: Value) -> String {
    json!({"type": "response", "data": data}).to_string()
}

pub fn event_frame(
    events: &[String],
    channels: &[String],
    timestamp: &str,
    payload: &Value,
    subscriptions: Option<&[String]>,
) -> String {
    let mut data = Map::new();
    data.insert("events".into(), json!(events));
    data.insert("channels".into(), json!(channels));
    data.insert("timestamp".into(), json!(timestamp));
    data.insert("payload".into(), payload.clone());
    if let Some(subscriptions) = subscriptions {
        data.insert("subscriptions".into(), json!(subscriptions));
    }
    json!({"type": "event", "data": data}).to_string()
}

/// PHP encodes an array as a JSON list only when its keys are exactly 0..n-1 in order.
pub fn php_array(entries: &[(String, String)]) -> Value {
    let is_list = entries
        .iter()
        .enumerate()
        .all(|(index, (key, _))| *key == index.to_string());
    if is_list {
        Value::Array(entries.iter().map(|(_, value)| json!(value)).collect())
    } else {
        Value::Object(
            entries
                .iter()
                .map(|(key, value)| (key.clone(), json!(value)))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_keep_field_order() {
        assert_eq!(
            error_frame(1003, "x"),
            r#"{"type":"error","data":{"code":1003,"message":"x"}}"#
        );
        assert_eq!(pong_frame(), r#"{"type":"pong"}"#);
        assert_eq!(
            connected_frame(&[], Some(json!([])), Value::Null),
            r#"{"type":"connected","data":{"channels":[],"subscriptions":[],"user":null}}"#
        );
    }

    #[test]
    fn slot_maps_are_lists_only_for_dense_keys() {
        let dense = vec![
            ("0".to_string(), "a".to_string()),
            ("1".to_string(), "b".to_string()),
        ];
        assert_eq!(php_array(&dense), json!(["a", "b"]));
        let sparse = vec![
            ("1".to_string(), "a".to_string()),
            ("3".to_string(), "b".to_string()),
        ];
        assert_eq!(php_array(&sparse).to_string(), r#"{"1":"a","3":"b"}"#);
        let unordered = vec![
            ("1".to_string(), "a".to_string()),
            ("0".to_string(), "b".to_string()),
        ];
        assert!(php_array(&unordered).is_object());
    }
}
