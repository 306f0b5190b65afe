//! Server frames (decoded through serde from whatever the driver parsed: `serde_json` on the
//! host, `serde-wasm-bindgen` in the browser) and client frames (hand-written JSON).

use crate::json;
use core::fmt;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// The envelope every server frame shares. Plain structs with optional fields keep serde's
/// generated code small; [`RawFrame::into_frame`] does the validation by hand.
#[derive(Debug, serde::Deserialize)]
pub struct RawFrame<P> {
    /// `connected`, `event`, `response`, `error` or `pong`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Absent on `pong`.
    pub data: Option<RawData<P>>,
}

/// The union of every frame's `data` fields.
#[derive(Debug, serde::Deserialize)]
pub struct RawData<P> {
    /// `connected` and `event`.
    pub channels: Option<Vec<String>>,
    /// Ids (`event`), a slot map or list (`connected`), or ack rows (`response`).
    pub subscriptions: Option<RawSubscriptions>,
    /// `connected` and the authentication `response`.
    pub user: Option<P>,
    /// `event`.
    pub events: Option<Vec<String>>,
    /// `event`.
    pub timestamp: Option<String>,
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Ack {
    /// The wire id the row was about.
    #[serde(rename = "subscriptionId")]
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

enum SubscriptionItem {
    Id(String),
    Ack(Ack),
}

impl<'de> Deserialize<'de> for SubscriptionItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemVisitor;
        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = SubscriptionItem;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a subscription id or an ack row")
            }
            fn visit_str<E: de::Error>(self, id: &str) -> Result<Self::Value, E> {
                Ok(SubscriptionItem::Id(id.to_string()))
            }
            fn visit_string<E: de::Error>(self, id: String) -> Result<Self::Value, E> {
                Ok(SubscriptionItem::Id(id))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Ack::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(SubscriptionItem::Ack)
            }
        }
        deserializer.deserialize_any(ItemVisitor)
    }
}

impl<'de> Deserialize<'de> for RawSubscriptions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SubscriptionsVisitor;
        impl<'de> Visitor<'de> for SubscriptionsVisitor {
            type Value = RawSubscriptions;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of ids, a slot-to-id map or a list of ack rows")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut ids = Vec::new();
                let mut acks = Vec::new();
                while let Some(item) = seq.next_element::<SubscriptionItem>()? {
                    match item {
                        SubscriptionItem::Id(id) => ids.push(id),
                        SubscriptionItem::Ack(ack) => acks.push(ack),
                    }
                }
                match (ids.is_empty(), acks.is_empty()) {
                    (_, true) => Ok(RawSubscriptions::Ids(ids)),
                    (true, false) => Ok(RawSubscriptions::Acks(acks)),
                    (false, false) => Err(de::Error::custom("mixed ids and ack rows")),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                // PHP's slot map {"1":"id",…}: only the ids matter to a message-mode client.
                let mut ids = Vec::new();
                while let Some((_slot, id)) = map.next_entry::<String, String>()? {
                    ids.push(id);
                }
                Ok(RawSubscriptions::Ids(ids))
            }
        }
        deserializer.deserialize_any(SubscriptionsVisitor)
    }
}

/// An `event` frame's data.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<P> {
    /// Event names, concrete first.
    pub events: Vec<String>,
    /// Channels the event was published on.
    pub channels: Vec<String>,
    /// `Y-m-d\TH:i:s.vP`; empty when the server sent none.
    pub timestamp: String,
    /// The resource, untouched.
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
    Event(Event<P>),
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

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Malformed(reason) => write!(f, "malformed frame: {reason}"),
            FrameError::UnknownType(kind) => write!(f, "unknown frame type `{kind}`"),
            FrameError::MissingField { kind, field } => {
                write!(f, "`{kind}` frame without `{field}`")
            }
        }
    }
}

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
            "event" => Ok(ServerFrame::Event(Event {
                events: data.events.unwrap_or_default(),
                channels: data.channels.ok_or(missing(kind, "channels"))?,
                timestamp: data.timestamp.unwrap_or_default(),
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

pub(crate) fn encode_subscribe(rows: &[SubscribeRow<'_>]) -> String {
    let mut out = String::from("{\"type\":\"subscribe\",\"data\":[");
    for (index, row) in rows.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str("{\"subscriptionId\":");
        json::write_string(&mut out, row.id);
        out.push_str(",\"channels\":");
        json::write_string_array(&mut out, row.channels);
        out.push_str(",\"queries\":");
        json::write_string_array(&mut out, row.queries);
        out.push('}');
    }
    out.push_str("]}");
    out
}

pub(crate) fn encode_unsubscribe(ids: &[String]) -> String {
    let mut out = String::from("{\"type\":\"unsubscribe\",\"data\":[");
    for (index, id) in ids.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str("{\"subscriptionId\":");
        json::write_string(&mut out, id);
        out.push('}');
    }
    out.push_str("]}");
    out
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

    fn decode(text: &str) -> Result<ServerFrame<Value>, FrameError> {
        serde_json::from_str::<RawFrame<Value>>(text)
            .map_err(|error| FrameError::Malformed(error.to_string()))?
            .into_frame()
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
            r#"{"type":"connected","data":{"channels":["files"],"subscriptions":{"1":"a","3":"b"},"user":{"$id":"u"}}}"#,
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
        let text = encode_subscribe(&rows);
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"type":"subscribe","data":[{"subscriptionId":"p-1","channels":["files"],"queries":["{\"m\":1}"]}]})
        );
        assert_eq!(
            encode_unsubscribe(&["a".into(), "b".into()]),
            r#"{"type":"unsubscribe","data":[{"subscriptionId":"a"},{"subscriptionId":"b"}]}"#
        );
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
