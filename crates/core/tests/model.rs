//! Property test: random commands, connection drops, rate limits and partial server progress,
//! against a fake server with the real server's additive subscribe semantics (§5.4). Once the
//! system settles, what the server was last told must equal the client's live subscriptions.

mod common;

use appwrite_realtime_core::{query, Config, ConnectionState, Output, SubscriptionKey};
use common::{connected, Driver};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};

const CHANNEL_SETS: [&[&str]; 4] = [&["files"], &["rows"], &["files", "documents"], &["account"]];

fn query_set(index: usize) -> Vec<String> {
    match index {
        0 => vec![],
        1 => vec![query::equal("status", &["live".into()])],
        _ => vec![
            query::is_null("a"),
            query::greater_than("n", &[3i64.into()]),
        ],
    }
}

#[derive(Debug, Clone)]
enum Op {
    Subscribe {
        channels: usize,
        queries: usize,
    },
    Update {
        which: usize,
        channels: Option<usize>,
        queries: Option<usize>,
    },
    Unsubscribe {
        which: usize,
    },
    Disconnect,
    DropConnection,
    /// The server answers the handshake.
    Accept,
    /// The server processes this many queued client frames, in order.
    Process(usize),
    /// The server finishes the second queued frame before the first (it runs frames concurrently).
    Overtake,
    /// The server rejects the oldest queued frame with 1013.
    RateLimit,
    Flush,
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..4usize, 0..3usize).prop_map(|(channels, queries)| Op::Subscribe { channels, queries }),
        3 => (0..8usize, proptest::option::of(0..4usize), proptest::option::of(0..3usize))
            .prop_map(|(which, channels, queries)| Op::Update { which, channels, queries }),
        2 => (0..8usize).prop_map(|which| Op::Unsubscribe { which }),
        1 => Just(Op::Disconnect),
        1 => Just(Op::DropConnection),
        3 => Just(Op::Accept),
        4 => (1..4usize).prop_map(Op::Process),
        2 => Just(Op::Overtake),
        1 => Just(Op::RateLimit),
        4 => Just(Op::Flush),
        1 => (0..70_000u64).prop_map(Op::Advance),
    ]
}

/// One server-side connection: the frames in transit and the subscriptions it stores,
/// as wire id → channel → queries.
#[derive(Default)]
struct ServerSocket {
    accepted: bool,
    inbox: VecDeque<Value>,
    stored: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

struct World {
    driver: Driver,
    socket: Option<ServerSocket>,
    /// The client's live subscriptions as the test believes them to be.
    live: Vec<(SubscriptionKey, Vec<String>, Vec<String>)>,
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(String::from))
        .collect()
}

impl World {
    fn new() -> Self {
        World {
            driver: Driver::new(Config {
                jitter_seed: 3,
                ..Config::default()
            }),
            socket: None,
            live: vec![],
        }
    }

    /// Carries the client's outputs to the fake server.
    fn absorb(&mut self, outputs: Vec<Output<Value>>) {
        for output in outputs {
            match output {
                Output::Connect { .. } => self.socket = Some(ServerSocket::default()),
                Output::Close { .. } => self.socket = None,
                Output::Send(text) => {
                    let socket = self
                        .socket
                        .as_mut()
                        .expect("sends only go to an open socket");
                    assert!(socket.accepted, "sent before connected: {text}");
                    socket
                        .inbox
                        .push_back(serde_json::from_str(&text).expect("frames are JSON"));
                }
                Output::SubscribeFailed { key, .. } => self.live.retain(|(k, _, _)| *k != key),
                _ => {}
            }
        }
    }

    fn run(&mut self, op: &Op) {
        let now = self.driver.at();
        match op {
            Op::Subscribe { channels, queries } => {
                let channels: Vec<String> = CHANNEL_SETS[*channels]
                    .iter()
                    .map(|c| c.to_string())
                    .collect();
                let queries = query_set(*queries);
                let key = self
                    .driver
                    .engine
                    .subscribe(now, channels.clone(), queries.clone())
                    .expect("valid");
                self.live.push((key, channels, queries));
            }
            Op::Update {
                which,
                channels,
                queries,
            } => {
                if self.live.is_empty() {
                    return;
                }
                let index = which % self.live.len();
                let channels = channels.map(|c| {
                    CHANNEL_SETS[c]
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                });
                let queries = queries.map(query_set);
                let key = self.live[index].0;
                self.driver
                    .engine
                    .update(now, key, channels.clone(), queries.clone())
                    .expect("live key");
                if let Some(channels) = channels {
                    self.live[index].1 = channels;
                }
                if let Some(queries) = queries {
                    self.live[index].2 = queries;
                }
            }
            Op::Unsubscribe { which } => {
                if !self.live.is_empty() {
                    let (key, _, _) = self.live.remove(which % self.live.len());
                    self.driver.engine.unsubscribe(now, key);
                }
            }
            Op::Disconnect => {
                self.driver.engine.disconnect(now);
                self.live.clear();
            }
            Op::DropConnection => {
                if self.socket.take().is_some() {
                    self.driver.engine.handle_close(now, 1006);
                }
            }
            Op::Accept => self.accept(),
            Op::Process(count) => {
                for _ in 0..*count {
                    self.process_one();
                }
            }
            Op::Overtake => {
                if let Some(socket) = self.socket.as_mut().filter(|s| s.inbox.len() >= 2) {
                    socket.inbox.swap(0, 1);
                    self.process_one();
                }
            }
            Op::RateLimit => {
                let dropped = self.socket.as_mut().and_then(|s| s.inbox.pop_front());
                if dropped.is_some() {
                    let outputs = self.driver.frame(
                        json!({"type":"error","data":{"code":1013,"message":"Too many messages."}}),
                    );
                    self.absorb(outputs);
                }
            }
            Op::Flush => {}
            Op::Advance(ms) => {
                let outputs = self.driver.advance_to(self.driver.now + ms);
                self.absorb(outputs);
            }
        }
        let outputs = self.driver.tick();
        self.absorb(outputs);
    }

    fn accept(&mut self) {
        let Some(socket) = self.socket.as_mut().filter(|s| !s.accepted) else {
            return;
        };
        socket.accepted = true;
        self.driver.engine.handle_open(self.driver.at());
        let outputs = self.driver.frame(connected(Value::Null));
        self.absorb(outputs);
    }

    /// The server handles the oldest queued frame (additively, like `Realtime::subscribe`).
    fn process_one(&mut self) {
        let Some(socket) = self.socket.as_mut() else {
            return;
        };
        let Some(frame) = socket.inbox.pop_front() else {
            return;
        };
        let reply = match frame["type"].as_str() {
            Some("ping") => json!({"type":"pong"}),
            Some("subscribe") => {
                let mut acks = vec![];
                for row in frame["data"].as_array().into_iter().flatten() {
                    let id = row["subscriptionId"]
                        .as_str()
                        .expect("client ids")
                        .to_string();
                    let queries = strings(&row["queries"]);
                    let stored = socket.stored.entry(id.clone()).or_default();
                    for channel in strings(&row["channels"]) {
                        stored.insert(channel, queries.clone());
                    }
                    acks.push(json!({"subscriptionId":id,"channels":row["channels"],"queries":row["queries"]}));
                }
                json!({"type":"response","data":{"to":"subscribe","success":true,"subscriptions":acks}})
            }
            Some("unsubscribe") => {
                let mut acks = vec![];
                for row in frame["data"].as_array().into_iter().flatten() {
                    let id = row["subscriptionId"]
                        .as_str()
                        .expect("client ids")
                        .to_string();
                    let removed = socket.stored.remove(&id).is_some();
                    acks.push(json!({"subscriptionId":id,"removed":removed}));
                }
                json!({"type":"response","data":{"to":"unsubscribe","success":true,"subscriptions":acks}})
            }
            other => panic!("unexpected frame type {other:?}"),
        };
        let outputs = self.driver.frame(reply);
        self.absorb(outputs);
    }

    /// Lets the server answer everything and the clock run until nothing is left to do.
    fn settle(&mut self) {
        for _ in 0..40 {
            self.accept();
            while self.socket.as_ref().is_some_and(|s| !s.inbox.is_empty()) {
                self.process_one();
            }
            let outputs = self.driver.tick();
            self.absorb(outputs);
            if let Some(deadline) = self.driver.engine.poll_timeout() {
                let outputs = self.driver.advance_to(deadline.0);
                self.absorb(outputs);
            }
        }
        while self.socket.as_ref().is_some_and(|s| !s.inbox.is_empty()) {
            self.process_one();
        }
        let outputs = self.driver.tick();
        self.absorb(outputs);
    }

    fn check(&self) -> Result<(), TestCaseError> {
        let mut expected: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        for (key, channels, queries) in &self.live {
            let wire = self.driver.engine.wire_id(*key);
            prop_assert!(
                wire.is_some(),
                "live subscription {key:?} missing from the client"
            );
            let per_channel = channels
                .iter()
                .map(|c| (c.clone(), queries.clone()))
                .collect();
            expected.insert(wire.unwrap_or_default().to_string(), per_channel);
        }
        if self.live.is_empty() && self.socket.is_none() {
            prop_assert_eq!(self.driver.state(), ConnectionState::Idle);
            return Ok(());
        }
        prop_assert_eq!(self.driver.state(), ConnectionState::Connected);
        let socket = self.socket.as_ref().expect("connected means a socket");
        prop_assert_eq!(&socket.stored, &expected);
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn the_server_converges_to_the_live_subscriptions(ops in proptest::collection::vec(op(), 1..40)) {
        let mut world = World::new();
        for op in &ops {
            world.run(op);
        }
        world.settle();
        world.check()?;
    }
}
