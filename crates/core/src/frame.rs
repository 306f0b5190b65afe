//! Server frames, read from the envelope JSON the driver hands over (payloads stay the driver's
//! own values), and client frames (hand-written JSON).

use crate::json::{self, JsonValue};
use core::fmt;

/// The envelope every server frame shares, read by [`RawFrame::from_envelope`];
/// [`RawFrame::into_frame`] validates it.
#[derive(Debug)]
pub struct RawFrame<P> {
    /// `connected`, `event`, `response`, `error` or `pong`.
    pub kind: String,
    /// Absent on `pong`.
    pub data: Option<RawData<P>>,
}

/// The union of every frame's `data` fields.
#[derive(Debug)]
pub struct RawData<P> {
    /// `connected` and `event`.
    pub channels: Option<Vec<String>>,
    /// Ids (`event`), a slot map or list (`connected`), or ack rows (`response`).
    pub subscriptions: Option<RawSubscriptions>,
    /// `connected` and the authentication `response`.
    pub user: Option<P>,
    /// `event`.
    pub payload: Option<P>,
    /// `response`: which request it answers.
    pub to: Option<String>,
    /// `response` (absent on the presence ack).
    pub success: Option<bool>,
    /// The presence `response`.
    pub presence: Option<P>,
    /// `error`.
    pub code: Option<i64>,
    /// `error`.
    pub message: Option<String>,
}

/// One acknowledged row of a `subscribe` or `unsubscribe` response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// The wire id the row was about.
    pub subscription_id: String,
    /// Subscribe acks: the channels as the server stored them (account channels rewritten).
    pub channels: Option<Vec<String>>,
    /// Subscribe acks: the queries as the server re-serialised them.
    pub queries: Option<Vec<String>>,
    /// Unsubscribe acks: whether the id existed.
    pub removed: Option<bool>,
}

/// The polymorphic `subscriptions` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawSubscriptions {
    /// A list of ids (`event`; `connected` when PHP's slot keys are 0..n-1).
    Ids(Vec<String>),
    /// Ack rows (`response`).
    Acks(Vec<Ack>),
}

fn malformed(message: &str) -> FrameError {
    FrameError::Malformed(message.into())
}

fn wrong_type(field: &str, expected: &str) -> FrameError {
    FrameError::Malformed(["`", field, "` must be ", expected].concat())
}

/// A member's value; `null` counts as absent.
fn member<'a>(object: &'a JsonValue, name: &str) -> Option<&'a JsonValue> {
    object
        .member(name)
        .filter(|value| **value != JsonValue::Null)
}

fn string(value: &JsonValue, name: &str) -> Result<String, FrameError> {
    match value {
        JsonValue::String(text) => Ok(text.clone()),
        _ => Err(wrong_type(name, "a string")),
    }
}

fn string_member(object: &JsonValue, name: &str) -> Result<Option<String>, FrameError> {
    member(object, name)
        .map(|value| string(value, name))
        .transpose()
}

fn strings(value: &JsonValue, name: &str) -> Result<Vec<String>, FrameError> {
    match value {
        JsonValue::Array(items) => items.iter().map(|item| string(item, name)).collect(),
        _ => Err(wrong_type(name, "a list of strings")),
    }
}

fn strings_member(object: &JsonValue, name: &str) -> Result<Option<Vec<String>>, FrameError> {
    member(object, name)
        .map(|value| strings(value, name))
        .transpose()
}

fn bool_member(object: &JsonValue, name: &str) -> Result<Option<bool>, FrameError> {
    member(object, name)
        .map(|value| match value {
            JsonValue::Bool(flag) => Ok(*flag),
            _ => Err(wrong_type(name, "a boolean")),
        })
        .transpose()
}

/// `subscriptions`: ids (event), a slot map or list of ids (connected), or ack rows (response).
fn subscriptions(value: &JsonValue) -> Result<RawSubscriptions, FrameError> {
    const NAME: &str = "subscriptions";
    let items = match value {
        // PHP's slot map {"1":"id",…}, whose order is the server's insertion order: ids are
        // listed by slot number, as a URL-mode client numbered them.
        JsonValue::Object(slots) => {
            // An insertion sort: a handful of slots, and `sort` would add kilobytes to the wasm.
            let mut numbered: Vec<(u64, String)> = Vec::with_capacity(slots.len());
            for (slot, id) in slots {
                let slot = slot.parse().unwrap_or(u64::MAX);
                let at = numbered.partition_point(|(other, _)| *other <= slot);
                numbered.insert(at, (slot, string(id, NAME)?));
            }
            return Ok(RawSubscriptions::Ids(
                numbered.into_iter().map(|(_, id)| id).collect(),
            ));
        }
        JsonValue::Array(items) => items,
        _ => return Err(wrong_type(NAME, "a list or a map")),
    };
    if items
        .iter()
        .all(|item| matches!(item, JsonValue::String(_)))
    {
        return strings(value, NAME).map(RawSubscriptions::Ids);
    }
    items
        .iter()
        .map(|row| {
            if !matches!(row, JsonValue::Object(_)) {
                return Err(malformed("mixed ids and ack rows in `subscriptions`"));
            }
            Ok(Ack {
                subscription_id: string_member(row, "subscriptionId")?
                    .ok_or_else(|| malformed("an ack row has no `subscriptionId`"))?,
                channels: strings_member(row, "channels")?,
                queries: strings_member(row, "queries")?,
                removed: bool_member(row, "removed")?,
            })
        })
        .collect::<Result<_, _>>()
        .map(RawSubscriptions::Acks)
}

/// An integer `code` within ±(2^53 − 1), the range every JSON reader agrees on.
fn code(value: &JsonValue) -> Result<i64, FrameError> {
    let JsonValue::Number(text) = value else {
        return Err(wrong_type("code", "an integer"));
    };
    let digits = text.strip_prefix('-').unwrap_or(text);
    let magnitude = (digits.len() <= 16 && !digits.is_empty())
        .then(|| {
            digits.bytes().try_fold(0i64, |n, b| {
                b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
            })
        })
        .flatten()
        .filter(|n| *n < 1 << 53)
        .ok_or_else(|| wrong_type("code", "an integer"))?;
    Ok(if digits.len() < text.len() {
        -magnitude
    } else {
        magnitude
    })
}

impl<P> RawFrame<P> {
    /// Reads a frame's envelope from JSON. The members of `data` that carry a resource
    /// (`payload`, `user`, `presence`) are not read: when one is present and not `null`,
    /// `handle(name)` makes the driver's own value for it (the browser driver sends `true` in
    /// their place and keeps the parsed objects in JS). `events` and `timestamp` are left to
    /// the driver too. Never panics.
    pub fn from_envelope(
        text: &str,
        mut handle: impl FnMut(&'static str) -> P,
    ) -> Result<RawFrame<P>, FrameError> {
        let root = json::parse(text).map_err(|_| malformed("invalid JSON"))?;
        if !matches!(root, JsonValue::Object(_)) {
            return Err(malformed("a frame must be a JSON object"));
        }
        let kind =
            string_member(&root, "type")?.ok_or_else(|| malformed("missing field `type`"))?;
        let Some(data) = member(&root, "data") else {
            return Ok(RawFrame { kind, data: None });
        };
        if !matches!(data, JsonValue::Object(_)) {
            return Err(malformed("`data` must be an object"));
        }
        let mut handle_of = |name| member(data, name).map(|_| handle(name));
        let (user, payload, presence) = (
            handle_of("user"),
            handle_of("payload"),
            handle_of("presence"),
        );
        Ok(RawFrame {
            kind,
            data: Some(RawData {
                channels: strings_member(data, "channels")?,
                subscriptions: member(data, "subscriptions")
                    .map(subscriptions)
                    .transpose()?,
                user,
                payload,
                to: string_member(data, "to")?,
                success: bool_member(data, "success")?,
                presence,
                code: member(data, "code").map(code).transpose()?,
                message: string_member(data, "message")?,
            }),
        })
    }
}

/// What the engine routes an `event` frame by, and its payload. Event names and the timestamp
/// stay with the driver's payload value (the JS callbacks receive the frame's `data` as is).
#[derive(Debug, Clone, PartialEq)]
pub struct EventFrame<P> {
    /// Channels the event was published on.
    pub channels: Vec<String>,
    /// The driver's handle to the frame's `payload`.
    pub payload: P,
    /// Wire ids of this connection's matching subscriptions.
    pub subscriptions: Vec<String>,
}

/// A validated server frame.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerFrame<P> {
    /// The handshake succeeded.
    Connected {
        /// URL-mode channels (empty in message mode).
        channels: Vec<String>,
        /// URL-mode subscription ids (empty in message mode).
        subscriptions: Vec<String>,
        /// The account, or `None` for a guest.
        user: Option<P>,
    },
    /// A realtime event.
    Event(EventFrame<P>),
    /// An acknowledgement.
    Response {
        /// `subscribe`, `unsubscribe`, `authentication` or `presence`.
        to: String,
        /// `None` on presence acks.
        success: Option<bool>,
        /// Subscribe/unsubscribe rows, in request order.
        acks: Vec<Ack>,
        /// The account after `authentication`.
        user: Option<P>,
        /// The stored presence document.
        presence: Option<P>,
    },
    /// An error; no correlation id exists.
    Error {
        /// Server code (1003, 1008, 1013, 401, …).
        code: i64,
        /// Server text (`Error: Server Error` on production servers for most codes).
        message: String,
    },
    /// Reply to `ping`.
    Pong,
}

/// Why a decoded envelope is not a frame this client understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The text was not JSON, or the envelope's fields had the wrong types (from the driver).
    Malformed(String),
    /// A `type` this client does not know.
    UnknownType(String),
    /// A field the frame type requires is missing.
    MissingField {
        /// The frame type.
        kind: &'static str,
        /// The field.
        field: &'static str,
    },
}

impl FrameError {
    /// The text reported for the frame (built without `core::fmt`, as the wasm build needs).
    pub fn message(&self) -> String {
        match self {
            FrameError::Malformed(reason) => ["malformed frame: ", reason].concat(),
            FrameError::UnknownType(kind) => ["unknown frame type `", kind, "`"].concat(),
            FrameError::MissingField { kind, field } => {
                ["`", kind, "` frame without `", field, "`"].concat()
            }
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for FrameError {}

impl<P> RawFrame<P> {
    /// Validates the envelope by hand; never panics.
    pub fn into_frame(self) -> Result<ServerFrame<P>, FrameError> {
        let missing = |kind, field| FrameError::MissingField { kind, field };
        if self.kind == "pong" {
            return Ok(ServerFrame::Pong);
        }
        let kind: &'static str = match self.kind.as_str() {
            "connected" => "connected",
            "event" => "event",
            "response" => "response",
            "error" => "error",
            _ => return Err(FrameError::UnknownType(self.kind)),
        };
        let data = self.data.ok_or(missing(kind, "data"))?;
        let (ids, acks) = match data.subscriptions {
            None => (Vec::new(), Vec::new()),
            Some(RawSubscriptions::Ids(ids)) => (ids, Vec::new()),
            Some(RawSubscriptions::Acks(acks)) => (Vec::new(), acks),
        };
        match kind {
            "connected" => Ok(ServerFrame::Connected {
                channels: data.channels.unwrap_or_default(),
                subscriptions: ids,
                user: data.user,
            }),
            "event" => Ok(ServerFrame::Event(EventFrame {
                channels: data.channels.ok_or(missing(kind, "channels"))?,
                payload: data.payload.ok_or(missing(kind, "payload"))?,
                subscriptions: ids,
            })),
            "response" => Ok(ServerFrame::Response {
                to: data.to.ok_or(missing(kind, "to"))?,
                success: data.success,
                acks,
                user: data.user,
                presence: data.presence,
            }),
            _ => Ok(ServerFrame::Error {
                code: data.code.ok_or(missing(kind, "code"))?,
                message: data.message.unwrap_or_default(),
            }),
        }
    }
}

/// One row of a `subscribe` frame.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SubscribeRow<'a> {
    pub(crate) id: &'a str,
    pub(crate) channels: &'a [String],
    pub(crate) queries: &'a [String],
}

pub(crate) fn encode_ping() -> String {
    "{\"type\":\"ping\"}".to_string()
}

/// The largest frame the server accepts; a larger one makes it drop the connection.
pub(crate) const MAX_FRAME_BYTES: usize = 64_000;

/// The opening of a subscribe frame, for [`pack`].
pub(crate) const SUBSCRIBE_START: &str = "{\"type\":\"subscribe\",\"data\":[";
/// The opening of an unsubscribe frame, for [`pack`].
pub(crate) const UNSUBSCRIBE_START: &str = "{\"type\":\"unsubscribe\",\"data\":[";

pub(crate) const END: &str = "]}";

/// One row of a subscribe frame.
pub(crate) fn subscribe_row(row: &SubscribeRow<'_>) -> String {
    let mut out = String::from("{\"subscriptionId\":");
    json::write_string(&mut out, row.id);
    out.push_str(",\"channels\":");
    json::write_string_array(&mut out, row.channels);
    out.push_str(",\"queries\":");
    json::write_string_array(&mut out, row.queries);
    out.push('}');
    out
}

/// One row of an unsubscribe frame.
pub(crate) fn unsubscribe_row(id: &str) -> String {
    let mut out = String::from("{\"subscriptionId\":");
    json::write_string(&mut out, id);
    out.push('}');
    out
}

/// Encoded rows, in order, in as few frames of at most [`MAX_FRAME_BYTES`] as that order
/// allows; each frame comes with the keys of its rows. A row too large for any frame still gets
/// one of its own (the engine refuses such rows before they are queued).
pub(crate) fn pack<K>(start: &str, rows: Vec<(K, String)>) -> Vec<(Vec<K>, String)> {
    let mut frames: Vec<(Vec<K>, String)> = Vec::new();
    for (key, row) in rows {
        match frames.last_mut() {
            Some((keys, text)) if text.len() + 1 + row.len() + END.len() <= MAX_FRAME_BYTES => {
                text.push(',');
                text.push_str(&row);
                keys.push(key);
            }
            _ => {
                let mut text = String::from(start);
                text.push_str(&row);
                frames.push((vec![key], text));
            }
        }
    }
    for (_, text) in &mut frames {
        text.push_str(END);
    }
    frames
}

pub(crate) fn encode_authentication(session: &str) -> String {
    let mut out = String::from("{\"type\":\"authentication\",\"data\":{\"session\":");
    json::write_string(&mut out, session);
    out.push_str("}}");
    out
}

/// `metadata_json` must already be a minified JSON object (see [`crate::Presence`]).
pub(crate) fn encode_presence(presence: &crate::Presence) -> String {
    let mut out = String::from("{\"type\":\"presence\",\"data\":{\"status\":");
    json::write_string(&mut out, &presence.status);
    if let Some(id) = &presence.presence_id {
        out.push_str(",\"presenceId\":");
        json::write_string(&mut out, id);
    }
    if let Some(metadata) = &presence.metadata_json {
        out.push_str(",\"metadata\":");
        out.push_str(metadata);
    }
    if !presence.permissions.is_empty() {
        out.push_str(",\"permissions\":");
        json::write_string_array(&mut out, &presence.permissions);
    }
    out.push_str("}}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// Reads `text` as the browser driver does, with the resources taken from the full frame.
    fn decode(text: &str) -> Result<ServerFrame<Value>, FrameError> {
        let full: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        RawFrame::from_envelope(text, |name| full["data"][name].clone())?.into_frame()
    }

    #[test]
    fn decodes_connected_with_list_or_map_subscriptions() {
        let list =
            decode(r#"{"type":"connected","data":{"channels":[],"subscriptions":[],"user":null}}"#);
        assert_eq!(
            list,
            Ok(ServerFrame::Connected {
                channels: vec![],
                subscriptions: vec![],
                user: None
            })
        );
        let map = decode(
            r#"{"type":"connected","data":{"channels":["files"],"subscriptions":{"3":"b","1":"a"},"user":{"$id":"u"}}}"#,
        );
        assert_eq!(
            map,
            Ok(ServerFrame::Connected {
                channels: vec!["files".into()],
                subscriptions: vec!["a".into(), "b".into()],
                user: Some(json!({"$id":"u"})),
            })
        );
    }

    #[test]
    fn reads_the_compact_envelope_the_browser_sends() {
        let mut asked = Vec::new();
        let frame = RawFrame::from_envelope(
            r#"{"type":"event","data":{"channels":["files"],"subscriptions":["s1"],"payload":true}}"#,
            |name| {
                asked.push(name);
                7
            },
        )
        .and_then(RawFrame::into_frame);
        assert_eq!(
            frame,
            Ok(ServerFrame::Event(EventFrame {
                channels: vec!["files".into()],
                payload: 7,
                subscriptions: vec!["s1".into()],
            }))
        );
        assert_eq!(
            asked,
            ["payload"],
            "one handle, for the member that is there"
        );
    }

    #[test]
    fn refuses_malformed_envelopes_with_a_reason() {
        let reason = |text: &str| match RawFrame::from_envelope(text, |_| ()) {
            Err(FrameError::Malformed(reason)) => reason,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(reason("[1]"), "a frame must be a JSON object");
        assert_eq!(reason("{"), "invalid JSON");
        assert_eq!(reason(r#"{"data":{}}"#), "missing field `type`");
        assert_eq!(
            reason(r#"{"type":"event","data":[]}"#),
            "`data` must be an object"
        );
        assert_eq!(
            reason(r#"{"type":"event","data":{"channels":"files"}}"#),
            "`channels` must be a list of strings"
        );
        assert_eq!(
            reason(r#"{"type":"event","data":{"subscriptions":["a",{"subscriptionId":"b"}]}}"#),
            "mixed ids and ack rows in `subscriptions`"
        );
        for code in ["1.5", "9007199254740992", "\"1008\""] {
            let text = [r#"{"type":"error","data":{"code":"#, code, "}}"].concat();
            assert_eq!(reason(&text), "`code` must be an integer", "{code}");
        }
        let negative = RawFrame::from_envelope(r#"{"type":"error","data":{"code":-1}}"#, |_| ());
        assert_eq!(
            negative.ok().and_then(|f| f.data).and_then(|d| d.code),
            Some(-1)
        );
    }

    #[test]
    fn decodes_the_fixture_event() {
        let text = include_str!("../tests/fixtures/document-update-frame.json");
        match decode(text) {
            Ok(ServerFrame::Event(event)) => {
                assert!(!event.channels.is_empty());
                assert!(!event.subscriptions.is_empty());
                assert!(event.payload.is_object());
            }
            other => panic!("not an event: {other:?}"),
        }
    }

    #[test]
    fn decodes_responses_errors_and_pong() {
        let ack = decode(
            r#"{"type":"response","data":{"to":"subscribe","success":true,"subscriptions":[{"subscriptionId":"s1","channels":["rows"],"queries":[]}]}}"#,
        );
        let Ok(ServerFrame::Response {
            to, success, acks, ..
        }) = ack
        else {
            panic!("{ack:?}")
        };
        assert_eq!(
            (to.as_str(), success, acks[0].subscription_id.as_str()),
            ("subscribe", Some(true), "s1")
        );
        let removed = decode(
            r#"{"type":"response","data":{"to":"unsubscribe","success":true,"subscriptions":[{"subscriptionId":"s1","removed":false}]}}"#,
        );
        let Ok(ServerFrame::Response { acks, .. }) = removed else {
            panic!("{removed:?}")
        };
        assert_eq!(acks[0].removed, Some(false));
        assert_eq!(
            decode(
                r#"{"type":"error","data":{"code":1003,"message":"Message type is not valid."}}"#
            ),
            Ok(ServerFrame::Error {
                code: 1003,
                message: "Message type is not valid.".into()
            })
        );
        assert_eq!(decode(r#"{"type":"pong"}"#), Ok(ServerFrame::Pong));
    }

    #[test]
    fn rejects_unknown_and_incomplete_frames() {
        assert_eq!(
            decode(r#"{"type":"hello","data":{}}"#),
            Err(FrameError::UnknownType("hello".into()))
        );
        assert_eq!(
            decode(r#"{"type":"event","data":{"channels":["x"]}}"#),
            Err(FrameError::MissingField {
                kind: "event",
                field: "payload"
            })
        );
        assert_eq!(
            decode(r#"{"type":"error"}"#),
            Err(FrameError::MissingField {
                kind: "error",
                field: "data"
            })
        );
        assert!(matches!(
            decode(r#"{"type":"event","data":{"subscriptions":5}}"#),
            Err(FrameError::Malformed(_))
        ));
        assert!(matches!(
            decode(r#"{"type":"event","data":{"subscriptions":["a",{"subscriptionId":"b"}]}}"#),
            Err(FrameError::Malformed(_))
        ));
    }

    #[test]
    fn encodes_client_frames() {
        let rows = [SubscribeRow {
            id: "p-1",
            channels: &["files".into()],
            queries: &["{\"m\":1}".into()],
        }];
        let text = pack(SUBSCRIBE_START, vec![((), subscribe_row(&rows[0]))])
            .remove(0)
            .1;
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"type":"subscribe","data":[{"subscriptionId":"p-1","channels":["files"],"queries":["{\"m\":1}"]}]})
        );
        let ids = ["a", "b"].map(|id| (id, unsubscribe_row(id)));
        assert_eq!(
            pack(UNSUBSCRIBE_START, ids.to_vec()),
            [(
                vec!["a", "b"],
                r#"{"type":"unsubscribe","data":[{"subscriptionId":"a"},{"subscriptionId":"b"}]}"#
                    .to_string()
            )]
        );
        // Rows fill a frame up to the limit and go on in the next one, in order.
        let big = "x".repeat(40_000);
        let frames = pack(
            UNSUBSCRIBE_START,
            vec![(1, big.clone()), (2, big.clone()), (3, "y".into())],
        );
        let keys: Vec<_> = frames.iter().map(|(keys, _)| keys.clone()).collect();
        assert_eq!(keys, [vec![1], vec![2, 3]]);
        assert!(frames.iter().all(|(_, text)| text.len() <= MAX_FRAME_BYTES));
        assert_eq!(
            encode_authentication("s\"x"),
            r#"{"type":"authentication","data":{"session":"s\"x"}}"#
        );
        assert_eq!(encode_ping(), r#"{"type":"ping"}"#);
        let presence = crate::Presence {
            status: "online".into(),
            presence_id: Some("me".into()),
            metadata_json: Some("{\"a\":1}".into()),
            permissions: vec!["read(\"any\")".into()],
        };
        assert_eq!(
            serde_json::from_str::<Value>(&encode_presence(&presence)).unwrap(),
            json!({"type":"presence","data":{"status":"online","presenceId":"me","metadata":{"a":1},"permissions":["read(\"any\")"]}})
        );
    }
}
