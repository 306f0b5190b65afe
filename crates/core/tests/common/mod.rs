//! A hand-cranked driver: a fake clock, scripted server frames, and output collection.
#![allow(dead_code)] // each test binary uses a different subset

use appwrite_realtime_core::{
    Config, ConnectionState, Endpoint, Engine, Instant, Output, RawFrame, SubscriptionKey,
};
use serde_json::{json, Value};

pub struct Driver {
    pub engine: Engine<Value>,
    pub now: u64,
}

impl Driver {
    pub fn new(config: Config) -> Self {
        let mut engine = Engine::new(config);
        engine.set_endpoint(
            Instant(0),
            Endpoint {
                realtime: "ws://h/v1".into(),
                project: "demo".into(),
                jwt: None,
            },
        );
        Driver { engine, now: 0 }
    }

    pub fn at(&self) -> Instant {
        Instant(self.now)
    }

    pub fn drain(&mut self) -> Vec<Output<Value>> {
        std::iter::from_fn(|| self.engine.poll_output()).collect()
    }

    /// Moves the clock to `to`, firing every deadline due on the way, as a timer would.
    pub fn advance_to(&mut self, to: u64) -> Vec<Output<Value>> {
        let mut outputs = self.drain();
        while let Some(Instant(deadline)) = self.engine.poll_timeout() {
            if deadline > to {
                break;
            }
            self.now = self.now.max(deadline);
            self.engine.handle_timeout(Instant(self.now));
            outputs.extend(self.drain());
            // The browser driver re-arms its timer for the next deadline: one left due would spin.
            assert!(
                self.engine
                    .poll_timeout()
                    .is_none_or(|next| next.0 > self.now),
                "handling the timeouts due at {} left one due",
                self.now
            );
        }
        self.now = to;
        outputs
    }

    /// Runs the 0-ms timer (the flush) without moving the clock.
    pub fn tick(&mut self) -> Vec<Output<Value>> {
        self.advance_to(self.now)
    }

    pub fn frame(&mut self, frame: Value) -> Vec<Output<Value>> {
        // The full frame is a valid envelope: the reader skips what `handle` stands for.
        let text = frame.to_string();
        let raw = RawFrame::from_envelope(&text, |name| frame["data"][name].clone());
        match raw.and_then(RawFrame::into_frame) {
            Ok(frame) => self.engine.handle_frame(self.at(), frame),
            Err(error) => self.engine.handle_bad_frame(self.at(), error),
        }
        self.drain()
    }

    pub fn open_and_connect(&mut self, user: Value) -> Vec<Output<Value>> {
        self.engine.handle_open(self.at());
        let mut outputs = self.drain();
        outputs.extend(self.frame(connected(user)));
        outputs.extend(self.tick());
        outputs
    }

    pub fn subscribe(&mut self, channels: &[&str], queries: &[&str]) -> SubscriptionKey {
        let channels = channels.iter().map(|c| c.to_string()).collect();
        let queries = queries.iter().map(|q| q.to_string()).collect();
        self.engine
            .subscribe(self.at(), channels, queries)
            .expect("valid subscription")
    }

    pub fn wire(&self, key: SubscriptionKey) -> String {
        self.engine
            .wire_id(key)
            .expect("live subscription")
            .to_string()
    }

    pub fn state(&self) -> ConnectionState {
        self.engine.state()
    }
}

pub fn connected(user: Value) -> Value {
    json!({"type":"connected","data":{"channels":[],"subscriptions":[],"user":user}})
}

pub fn subscribe_ack(ids: &[String]) -> Value {
    let rows: Vec<Value> = ids
        .iter()
        .map(|id| json!({"subscriptionId":id,"channels":[],"queries":[]}))
        .collect();
    json!({"type":"response","data":{"to":"subscribe","success":true,"subscriptions":rows}})
}

/// The server's answer to an `authentication`: signed in as `user`.
pub fn authentication_ack(user: &Value) -> Value {
    json!({"type":"response","data":{"to":"authentication","success":true,"user":user}})
}

pub fn unsubscribe_ack(ids: &[String]) -> Value {
    let rows: Vec<Value> = ids
        .iter()
        .map(|id| json!({"subscriptionId":id,"removed":true}))
        .collect();
    json!({"type":"response","data":{"to":"unsubscribe","success":true,"subscriptions":rows}})
}

pub fn error(code: i64, message: &str) -> Value {
    json!({"type":"error","data":{"code":code,"message":message}})
}

pub fn event(channels: &[&str], subscriptions: &[String]) -> Value {
    json!({"type":"event","data":{"events":["e"],"channels":channels,
        "timestamp":"2026-01-01T00:00:00.000+00:00","payload":{"n":1},"subscriptions":subscriptions}})
}

/// Every `Send` as parsed JSON.
pub fn sent(outputs: &[Output<Value>]) -> Vec<Value> {
    outputs
        .iter()
        .filter_map(|output| match output {
            Output::Send(text) => Some(serde_json::from_str(text).expect("frames are JSON")),
            _ => None,
        })
        .collect()
}

/// The `type`s of every `Send`.
pub fn sent_types(outputs: &[Output<Value>]) -> Vec<String> {
    sent(outputs)
        .iter()
        .map(|f| f["type"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The subscription ids of every row, frame by frame, of the sent frames of type `kind`.
fn row_ids(outputs: &[Output<Value>], kind: &str) -> Vec<Vec<String>> {
    sent(outputs)
        .iter()
        .filter(|f| f["type"] == kind)
        .map(|f| {
            f["data"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|row| {
                    row["subscriptionId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string()
                })
                .collect()
        })
        .collect()
}

/// Ids of every row of every subscribe frame.
pub fn subscribe_rows(outputs: &[Output<Value>]) -> Vec<Vec<String>> {
    row_ids(outputs, "subscribe")
}

/// Ids of every unsubscribe frame.
pub fn unsubscribe_ids(outputs: &[Output<Value>]) -> Vec<Vec<String>> {
    row_ids(outputs, "unsubscribe")
}
