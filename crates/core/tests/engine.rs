//! The engine rules, each driven with the fake clock and scripted frames.

mod common;

use appwrite_realtime_core::{
    query, Config, ConnectionState, Endpoint, ErrorKind, Instant, Output, Presence, PresenceError,
    SubscribeError, SubscriptionKey, UpdateError, CLOSE_HANDOVER,
};
use common::*;
use serde_json::{json, Value};

fn driver() -> Driver {
    Driver::new(Config {
        jitter_seed: 7,
        ..Config::default()
    })
}

fn has(outputs: &[Output<Value>], wanted: &Output<Value>) -> bool {
    outputs.contains(wanted)
}

fn errors(outputs: &[Output<Value>]) -> Vec<(i64, ErrorKind)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Error(e) => Some((e.code, e.kind)),
            _ => None,
        })
        .collect()
}

fn is_retrying(state: ConnectionState) -> bool {
    matches!(state, ConnectionState::Reconnecting { .. })
}

#[test]
fn connects_lazily_with_an_encoded_url() {
    let mut d = driver();
    assert_eq!(d.drain(), vec![]);
    assert_eq!(d.state(), ConnectionState::Idle);
    d.engine.set_endpoint(
        d.at(),
        Endpoint {
            realtime: "wss://x/v1".into(),
            project: "a b".into(),
            jwt: Some("j+k".into()),
        },
    );
    assert_eq!(d.drain(), vec![], "setting an endpoint alone opens nothing");
    d.subscribe(&["files"], &[]);
    let outputs = d.drain();
    assert_eq!(
        outputs,
        vec![
            Output::Connect {
                url: "wss://x/v1/realtime?project=a%20b&jwt=j%2Bk".into()
            },
            Output::StateChanged(ConnectionState::Connecting),
        ]
    );
}

#[test]
fn subscribe_requires_a_project_channels_and_valid_queries() {
    let mut empty = appwrite_realtime_core::Engine::<Value>::new(Config::default());
    let files = vec!["files".to_string()];
    assert_eq!(
        empty.subscribe(Instant(0), files.clone(), vec![]),
        Err(SubscribeError::MissingProject)
    );
    let mut d = driver();
    assert_eq!(
        d.engine.subscribe(d.at(), vec![], vec![]),
        Err(SubscribeError::NoChannels)
    );
    let bad = query::select(&["name"]);
    let result = d
        .engine
        .subscribe(d.at(), files, vec![query::is_null("a"), bad]);
    assert!(
        matches!(result, Err(SubscribeError::InvalidQuery { index: 1, error }) if error.code == 0)
    );
    assert_eq!(d.drain(), vec![], "a refused subscribe opens no socket");
}

#[test]
fn the_rest_only_queries_are_refused_at_subscribe_and_update_with_the_server_text() {
    let refusal = |index: usize, method: &str| {
        format!(
            "query {index}: Invalid query: Query method '{method}' is not supported in Realtime queries. Allowed query methods are: equal, notEqual, lessThan, lessThanEqual, greaterThan, greaterThanEqual, isNull, isNotNull, and, or, select"
        )
    };
    let mut d = driver();
    let files = vec!["files".to_string()];
    for (method, rest_only) in [
        ("limit", query::limit(1)),
        ("orderAsc", query::order_asc("x")),
        ("orderDesc", query::order_desc("x")),
        ("offset", query::offset(0)),
        ("cursorAfter", query::cursor_after("abc")),
        ("cursorBefore", query::cursor_before("abc")),
    ] {
        let queries = vec![query::is_null("a"), rest_only.clone()];
        match d.engine.subscribe(d.at(), files.clone(), queries) {
            Err(error @ SubscribeError::InvalidQuery { index: 1, .. }) => {
                assert_eq!(error.message(), refusal(1, method));
                assert!(
                    matches!(error, SubscribeError::InvalidQuery { error, .. } if error.code == 1003)
                );
            }
            other => panic!("{method}: {other:?}"),
        }
        // Inside `or` too: the server checks nested queries.
        let nested = query::or(&[&query::equal("a", &[1i64.into()]), &rest_only]).unwrap();
        let refused = d.engine.subscribe(d.at(), files.clone(), vec![nested]);
        assert_eq!(
            refused.map_err(|error| error.message()),
            Err(refusal(0, method))
        );
    }
    assert_eq!(d.drain(), vec![], "refused subscribes open no socket");

    let key = d.subscribe(&["files"], &[]);
    d.open_and_connect(Value::Null);
    let id = d.wire(key);
    d.frame(subscribe_ack(std::slice::from_ref(&id)));
    d.tick();
    let refused = d
        .engine
        .update(d.at(), key, None, Some(vec![query::order_asc("x")]));
    assert_eq!(
        refused.map_err(|error| error.message()),
        Err(refusal(0, "orderAsc"))
    );
    assert_eq!(d.tick(), vec![], "a refused update sends nothing");
    assert_eq!(d.wire(key), id, "and keeps the subscription as it was");
}

#[test]
fn nothing_but_ping_before_connected_then_one_coalesced_subscribe() {
    let mut d = driver();
    let a = d.subscribe(&["files"], &[]);
    let b = d.subscribe(&["documents"], &[]);
    d.engine.handle_open(d.at());
    let before = d.advance_to(100);
    assert_eq!(
        sent(&before),
        Vec::<Value>::new(),
        "no frame before connected"
    );
    assert!(has(&before, &Output::StateChanged(ConnectionState::Open)));
    d.frame(connected(Value::Null));
    let c = d.subscribe(&["rows"], &[&query::equal("s", &["x".into()])]);
    let outputs = d.tick();
    assert_eq!(
        subscribe_rows(&outputs),
        vec![vec![d.wire(a), d.wire(b), d.wire(c)]]
    );
    let frame = &sent(&outputs)[0];
    assert_eq!(frame["data"][2]["channels"], json!(["rows"]));
    assert_eq!(
        frame["data"][2]["queries"],
        json!([r#"{"method":"equal","attribute":"s","values":["x"]}"#])
    );
}

#[test]
fn every_connected_resends_all_subscriptions_in_one_frame() {
    let mut d = driver();
    let a = d.subscribe(&["files"], &[]);
    let b = d.subscribe(&["rows"], &[]);
    let first = d.open_and_connect(Value::Null);
    assert_eq!(subscribe_rows(&first).len(), 1);
    d.frame(subscribe_ack(&[d.wire(a), d.wire(b)]));
    d.engine.handle_close(d.at(), 1006);
    assert!(is_retrying(d.state()));
    let retry = d.advance_to(1_000);
    assert!(
        retry.iter().any(|o| matches!(o, Output::Connect { .. })),
        "first retry within 1 s"
    );
    let again = d.open_and_connect(Value::Null);
    assert_eq!(subscribe_rows(&again), vec![vec![d.wire(a), d.wire(b)]]);
    let acked = d.frame(subscribe_ack(&[d.wire(a), d.wire(b)]));
    assert!(
        !acked.iter().any(|o| matches!(o, Output::Subscribed(_))),
        "reported once per version"
    );
}

#[test]
fn resynced_follows_a_reconnect_once_every_subscription_is_acknowledged_again() {
    let mut d = driver();
    let a = d.subscribe(&["files"], &[]);
    let b = d.subscribe(&["rows"], &[]);
    d.open_and_connect(Value::Null);
    let first = d.frame(subscribe_ack(&[d.wire(a), d.wire(b)]));
    assert!(
        !first.contains(&Output::Resynced),
        "nothing was missed on the first connection"
    );

    d.engine.handle_close(d.at(), 1006);
    d.advance_to(1_000);
    let reconnected = d.open_and_connect(Value::Null);
    assert!(
        !reconnected.contains(&Output::Resynced),
        "not before the server confirmed"
    );
    let partly = d.frame(subscribe_ack(&[d.wire(a)]));
    assert!(
        !partly.contains(&Output::Resynced),
        "not while one subscription is unconfirmed"
    );
    let restored = d.frame(subscribe_ack(&[d.wire(b)]));
    assert_eq!(
        restored.iter().filter(|o| **o == Output::Resynced).count(),
        1
    );

    let later = d.frame(subscribe_ack(&[d.wire(a), d.wire(b)]));
    assert!(!later.contains(&Output::Resynced), "once per reconnect");
    d.engine.disconnect(d.at());
    assert!(
        !d.drain().contains(&Output::Resynced),
        "a chosen disconnect misses nothing"
    );
}

#[test]
fn a_socket_without_connected_is_replaced_after_the_connect_timeout() {
    let mut d = driver();
    d.subscribe(&["files"], &[]);
    d.drain();
    d.engine.handle_open(d.at());
    let waiting = d.advance_to(9_999);
    assert!(
        !has(&waiting, &Output::Close { code: 4000 }),
        "not before the deadline"
    );
    let timed_out = d.advance_to(10_000);
    assert!(has(&timed_out, &Output::Close { code: 4000 }));
    assert_eq!(errors(&timed_out), vec![(4000, ErrorKind::Closed)]);
    assert!(is_retrying(d.state()));
    let retry = d.advance_to(11_000);
    assert!(
        retry.iter().any(|o| matches!(o, Output::Connect { .. })),
        "retried within 1 s"
    );
    let connected = d.open_and_connect(Value::Null);
    assert_eq!(
        sent_types(&connected),
        vec!["subscribe"],
        "a timely `connected` clears the deadline"
    );
    assert!(!has(&d.advance_to(30_000), &Output::Close { code: 4000 }));
}

#[test]
fn events_route_by_wire_id_and_channel_in_creation_order() {
    let mut d = driver();
    let files = d.subscribe(&["files"], &[]);
    let both = d.subscribe(&["documents", "files"], &[]);
    let docs = d.subscribe(&["documents"], &[]);
    d.open_and_connect(Value::Null);
    let ids = [d.wire(docs), d.wire(both), d.wire(files)];
    let outputs = d.frame(event(&["files", "buckets.b.files"], &ids));
    let Some(Output::Deliver {
        targets,
        event: delivered,
    }) = outputs.first()
    else {
        panic!("{outputs:?}")
    };
    assert_eq!(
        targets,
        &vec![files, both],
        "docs' id matched but its channels did not"
    );
    assert_eq!(delivered.payload, json!({"n":1}));
    assert_eq!(d.frame(event(&["files"], &["someone-else".into()])), vec![]);
}

#[test]
fn query_update_keeps_the_wire_id_and_waits_for_the_previous_ack() {
    let mut d = driver();
    let key = d.subscribe(&["files"], &[]);
    d.open_and_connect(Value::Null);
    let id = d.wire(key);
    d.engine
        .update(d.at(), key, None, Some(vec![query::is_null("a")]))
        .unwrap();
    assert_eq!(
        subscribe_rows(&d.tick()),
        Vec::<Vec<String>>::new(),
        "one version in flight per id"
    );
    let first_ack = d.frame(subscribe_ack(std::slice::from_ref(&id)));
    assert!(
        !has(&first_ack, &Output::Subscribed(key)),
        "that ack was for the old version"
    );
    let resend = d.tick();
    assert_eq!(subscribe_rows(&resend), vec![vec![id.clone()]]);
    assert_eq!(
        sent(&resend)[0]["data"][0]["queries"],
        json!([query::is_null("a")])
    );
    assert_eq!(d.frame(subscribe_ack(&[id])), vec![Output::Subscribed(key)]);
}

#[test]
fn channel_update_takes_a_new_id_and_unsubscribes_the_old() {
    let mut d = driver();
    let key = d.subscribe(&["files"], &[]);
    d.open_and_connect(Value::Null);
    let old = d.wire(key);
    d.frame(subscribe_ack(std::slice::from_ref(&old)));
    d.engine
        .update(d.at(), key, Some(vec!["rows".into()]), None)
        .unwrap();
    let new = d.wire(key);
    assert_ne!(old, new);
    assert_eq!(
        d.frame(event(&["files"], std::slice::from_ref(&old))),
        vec![],
        "old channel is gone"
    );
    let outputs = d.tick();
    assert_eq!(subscribe_rows(&outputs), vec![vec![new.clone()]]);
    assert_eq!(unsubscribe_ids(&outputs), vec![vec![old.clone()]]);
    let routed = d.frame(event(&["rows"], std::slice::from_ref(&new)));
    assert!(matches!(&routed[..], [Output::Deliver { targets, .. }] if targets == &vec![key]));
    assert_eq!(
        d.frame(subscribe_ack(&[new])),
        vec![Output::Subscribed(key)]
    );
    d.frame(unsubscribe_ack(&[old]));
    assert_eq!(d.tick(), vec![], "nothing left to send");
    let unknown = appwrite_realtime_core::SubscriptionKey(999);
    assert_eq!(
        d.engine.update(d.at(), unknown, None, None),
        Err(UpdateError::UnknownSubscription)
    );
}

#[test]
fn unsubscribe_waits_for_the_subscribe_ack_and_is_idempotent() {
    let mut d = driver();
    let key = d.subscribe(&["files"], &[]);
    d.open_and_connect(Value::Null);
    let id = d.wire(key);
    d.engine.unsubscribe(d.at(), key);
    d.engine.unsubscribe(d.at(), key);
    assert_eq!(
        unsubscribe_ids(&d.tick()),
        Vec::<Vec<String>>::new(),
        "subscribe still in flight"
    );
    d.frame(subscribe_ack(std::slice::from_ref(&id)));
    assert_eq!(unsubscribe_ids(&d.tick()), vec![vec![id]]);
    assert_eq!(d.state(), ConnectionState::Connected, "the socket stays");
}

#[test]
fn a_failed_batch_is_isolated_row_by_row_then_the_bad_row_fails() {
    let mut d = driver();
    let good = d.subscribe(&["files"], &[]);
    let bad = d.subscribe(&["rows"], &[]);
    d.open_and_connect(Value::Null);
    let outputs = d.frame(error(1003, "Error: Server Error"));
    assert_eq!(errors(&outputs), vec![(1003, ErrorKind::Server)]);
    let isolated = d.tick();
    assert_eq!(
        subscribe_rows(&isolated),
        vec![vec![d.wire(good)], vec![d.wire(bad)]]
    );
    assert_eq!(
        d.frame(subscribe_ack(&[d.wire(good)])),
        vec![Output::Subscribed(good)]
    );
    let failed = d.frame(error(1003, "Invalid query: x"));
    assert!(failed.iter().any(
        |o| matches!(o, Output::SubscribeFailed { key, error } if *key == bad && error.code == 1003)
    ));
    assert_eq!(d.engine.wire_id(bad), None);
    assert_eq!(d.state(), ConnectionState::Connected);
}

#[test]
fn authentication_waits_for_the_first_ack_and_subscribed_and_presence_wait_for_it() {
    let mut d = driver();
    d.engine.set_session(d.at(), Some("c2Vzc2lvbg==".into()));
    let key = d.subscribe(&["account"], &[]);
    let presence = Presence {
        status: "online".into(),
        presence_id: None,
        metadata_json: Some("{ \"a\" : 1 }".into()),
        permissions: vec![],
    };
    d.engine.upsert_presence(d.at(), presence).unwrap();
    let first = d.open_and_connect(Value::Null);
    assert_eq!(sent_types(&first), vec!["subscribe"]);
    let acked = d.frame(subscribe_ack(&[d.wire(key)]));
    assert!(
        !has(&acked, &Output::Subscribed(key)),
        "the server still holds it under guest roles until authentication settles"
    );
    let auth = d.tick();
    assert_eq!(
        sent(&auth),
        vec![json!({"type":"authentication","data":{"session":"c2Vzc2lvbg=="}})]
    );
    signed_in_and_subscribed(&mut d, key);
    let presence = d.tick();
    assert_eq!(
        sent(&presence),
        vec![json!({"type":"presence","data":{"status":"online","metadata":{"a":1}}})]
    );
}

#[test]
fn no_authentication_when_connected_already_has_a_user_until_set_session() {
    let mut d = driver();
    d.engine.set_session(d.at(), Some("s1".into()));
    let key = d.subscribe(&["account"], &[]);
    let user = json!({"$id":"u1"});
    let outputs = d.open_and_connect(user.clone());
    assert!(has(&outputs, &Output::Authenticated { user: Some(user) }));
    d.frame(subscribe_ack(&[d.wire(key)]));
    assert_eq!(d.tick(), vec![]);
    d.engine.set_session(d.at(), Some("s2".into()));
    assert_eq!(
        sent_types(&d.tick()),
        vec!["authentication"],
        "in band, no new socket"
    );
    d.engine.set_session(d.at(), None);
    let outputs = d.drain();
    assert!(
        has(&outputs, &Output::Close { code: 1000 }),
        "clearing the session drops the user's socket"
    );
    assert!(outputs.iter().any(|o| matches!(o, Output::Connect { .. })));
}

#[test]
fn presence_is_resent_after_every_connected() {
    let mut d = driver();
    let presence = Presence {
        status: "away".into(),
        presence_id: Some("me".into()),
        metadata_json: None,
        permissions: vec![],
    };
    d.engine.upsert_presence(d.at(), presence).unwrap();
    assert!(
        d.drain()
            .iter()
            .any(|o| matches!(o, Output::Connect { .. })),
        "presence alone connects"
    );
    assert_eq!(
        sent_types(&d.open_and_connect(Value::Null)),
        vec!["presence"]
    );
    d.frame(json!({"type":"response","data":{"to":"presence","presence":{"$id":"me"}}}));
    d.engine.handle_close(d.at(), 1006);
    d.advance_to(1_000);
    assert_eq!(
        sent_types(&d.open_and_connect(Value::Null)),
        vec!["presence"]
    );
    let bad_id = Presence {
        status: "x".into(),
        presence_id: Some("_x".into()),
        metadata_json: None,
        permissions: vec![],
    };
    assert!(d.engine.upsert_presence(d.at(), bad_id).is_err());
    let bad_meta = Presence {
        status: "x".into(),
        presence_id: None,
        metadata_json: Some("[1]".into()),
        permissions: vec![],
    };
    assert!(d.engine.upsert_presence(d.at(), bad_meta).is_err());
}

#[test]
fn pings_every_interval_and_a_missing_pong_closes_with_4000() {
    let mut d = driver();
    d.subscribe(&["files"], &[]);
    d.open_and_connect(Value::Null);
    assert_eq!(d.engine.poll_timeout(), Some(Instant(20_000)));
    assert_eq!(sent_types(&d.advance_to(20_000)), vec!["ping"]);
    d.frame(json!({"type":"pong"}));
    assert_eq!(sent_types(&d.advance_to(40_000)), vec!["ping"]);
    // No pong; the timer fires late (throttled tab) and simply does what is due.
    d.now = 75_000;
    d.engine.handle_timeout(d.at());
    let outputs = d.drain();
    assert!(has(&outputs, &Output::Close { code: 4000 }));
    assert_eq!(errors(&outputs), vec![(4000, ErrorKind::PongTimeout)]);
    assert_eq!(
        sent_types(&outputs),
        Vec::<String>::new(),
        "no ping on a dead socket"
    );
    assert!(is_retrying(d.state()));
}

/// The attempt number and the delay of the pending reconnect.
fn pending_retry(d: &Driver) -> (u32, u64) {
    match d.state() {
        ConnectionState::Reconnecting { attempt, at } => (attempt, at.0 - d.now),
        other => panic!("not reconnecting: {other:?}"),
    }
}

/// Waits out the pending reconnect; the socket is requested then.
fn reconnect(d: &mut Driver) {
    let ConnectionState::Reconnecting { at, .. } = d.state() else {
        panic!("not reconnecting: {:?}", d.state())
    };
    d.advance_to(at.0);
    assert_eq!(d.state(), ConnectionState::Connecting);
}

/// Opens, connects and acknowledges every subscribe frame sent.
fn connect_and_ack(d: &mut Driver) {
    let outputs = d.open_and_connect(Value::Null);
    for ids in subscribe_rows(&outputs) {
        d.frame(subscribe_ack(&ids));
    }
}

#[test]
fn backoff_has_full_jitter_doubling_to_a_cap() {
    let mut d = driver();
    d.subscribe(&["files"], &[]);
    let mut ceilings = vec![];
    for _ in 0..8 {
        d.engine.handle_close(d.at(), 1006);
        ceilings.push(pending_retry(&d));
        reconnect(&mut d);
    }
    for (attempt, delay) in &ceilings {
        let ceiling = (1_000u64 << (attempt - 1)).min(30_000);
        assert!(*delay <= ceiling, "attempt {attempt}: {delay} > {ceiling}");
    }
    assert_eq!(ceilings.last().map(|c| c.0), Some(8));
}

#[test]
fn backoff_starts_over_once_the_server_acknowledged_the_restored_subscriptions() {
    // A link that drops every 3 to 5 s for two minutes, each socket connecting and getting its
    // subscriptions acknowledged at once: every drop is a first retry, below 1 s.
    let mut d = driver();
    d.subscribe(&["files"], &[]);
    d.subscribe(&["rows"], &[]);
    connect_and_ack(&mut d);
    let mut gap = 3_000;
    let mut drops = 0;
    while d.now < 120_000 {
        d.advance_to(d.now + gap);
        d.engine.handle_close(d.at(), 1006);
        drops += 1;
        let (attempt, delay) = pending_retry(&d);
        assert_eq!(attempt, 1, "drop {drops} at {} ms", d.now);
        assert!(delay <= 1_000, "drop {drops}: {delay} ms");
        reconnect(&mut d);
        connect_and_ack(&mut d);
        gap = if gap == 5_000 { 3_000 } else { gap + 1_000 };
    }
    assert!(drops >= 24, "{drops}");
}

#[test]
fn backoff_keeps_growing_while_sockets_fail_before_the_server_acknowledged_them() {
    let mut d = driver();
    d.engine.set_session(d.at(), Some("c2Vzc2lvbg==".into()));
    let key = d.subscribe(&["files"], &[]);
    d.engine
        .upsert_presence(
            d.at(),
            Presence {
                status: "online".into(),
                presence_id: None,
                metadata_json: None,
                permissions: vec![],
            },
        )
        .expect("valid presence");
    let mut retries = vec![];
    let mut lose = |d: &mut Driver| {
        d.engine.handle_close(d.at(), 1006);
        retries.push(pending_retry(d));
        reconnect(d);
    };
    // Refused handshakes (no open), and a server that accepts and closes at once.
    lose(&mut d);
    lose(&mut d);
    d.engine.handle_open(d.at());
    lose(&mut d);
    // `connected`, then 15 s with answered pings but no subscribe ack.
    d.open_and_connect(Value::Null);
    for _ in 0..3 {
        d.advance_to(d.now + 5_000);
        d.frame(json!({"type":"pong"}));
    }
    lose(&mut d);
    // The subscriptions acknowledged, the in-band authentication not yet answered.
    d.open_and_connect(Value::Null);
    d.frame(subscribe_ack(&[d.wire(key)]));
    assert_eq!(sent_types(&d.tick()), vec!["authentication"]);
    d.advance_to(d.now + 12_000);
    lose(&mut d);
    // Authenticated too, the presence not yet answered.
    d.open_and_connect(Value::Null);
    d.frame(subscribe_ack(&[d.wire(key)]));
    d.tick();
    d.frame(authentication_ack(&json!({"$id":"u"})));
    assert_eq!(sent_types(&d.tick()), vec!["presence"]);
    d.advance_to(d.now + 12_000);
    lose(&mut d);
    // An error before `connected`.
    d.engine.handle_open(d.at());
    d.frame(error(1011, "Server error"));
    retries.push(pending_retry(&d));
    reconnect(&mut d);

    let attempts: Vec<u32> = retries.iter().map(|r| r.0).collect();
    assert_eq!(attempts, (1..=7).collect::<Vec<_>>());
    for (attempt, delay) in &retries {
        assert!(*delay <= 1_000u64 << (attempt - 1), "{retries:?}");
    }
    // Full jitter: random below the bound, not the bound itself.
    assert!(
        retries
            .iter()
            .any(|(attempt, delay)| *delay < 1_000u64 << (attempt - 1) >> 1),
        "{retries:?}"
    );
    assert!(retries[4..].iter().any(|r| r.1 > 1_000), "{retries:?}");

    // Everything answered: the next loss is a first retry again.
    d.open_and_connect(Value::Null);
    d.frame(subscribe_ack(&[d.wire(key)]));
    d.tick();
    d.frame(authentication_ack(&json!({"$id":"u"})));
    d.tick();
    d.frame(json!({"type":"response","data":{"to":"presence","presence":{"$id":"me"}}}));
    d.advance_to(d.now + 500);
    d.engine.handle_close(d.at(), 1006);
    let (attempt, delay) = pending_retry(&d);
    assert_eq!(attempt, 1);
    assert!(delay <= 1_000);
}

#[test]
fn a_presence_only_connection_is_healthy_once_its_presence_is_answered() {
    let mut d = driver();
    let presence = Presence {
        status: "online".into(),
        presence_id: None,
        metadata_json: None,
        permissions: vec![],
    };
    d.engine
        .upsert_presence(d.at(), presence)
        .expect("valid presence");
    d.engine.handle_close(d.at(), 1006);
    reconnect(&mut d);
    // `connected` and 15 s, but the presence is never answered.
    assert_eq!(
        sent_types(&d.open_and_connect(Value::Null)),
        vec!["presence"]
    );
    d.advance_to(d.now + 15_000);
    d.engine.handle_close(d.at(), 1006);
    assert_eq!(pending_retry(&d).0, 2);
    reconnect(&mut d);
    d.open_and_connect(Value::Null);
    d.frame(json!({"type":"response","data":{"to":"presence","presence":{"$id":"me"}}}));
    d.advance_to(d.now + 100);
    d.engine.handle_close(d.at(), 1006);
    assert_eq!(pending_retry(&d).0, 1);
}

#[test]
fn jitter_differs_between_seeds() {
    let delays: Vec<u64> = (0..6)
        .map(|seed| {
            let mut d = Driver::new(Config {
                jitter_seed: seed,
                ..Config::default()
            });
            d.subscribe(&["files"], &[]);
            d.engine.handle_close(d.at(), 1006);
            match d.state() {
                ConnectionState::Reconnecting { at, .. } => at.0,
                other => panic!("{other:?}"),
            }
        })
        .collect();
    assert!(delays.iter().any(|&d| d != delays[0]), "{delays:?}");
}

#[test]
fn connect_time_refusals_are_terminal_and_fail_every_subscription() {
    for code in [1008, 401, 403] {
        let mut d = driver();
        let a = d.subscribe(&["files"], &[]);
        let b = d.subscribe(&["rows"], &[]);
        d.engine.handle_open(d.at());
        let outputs = d.frame(error(code, "Missing or unknown project ID"));
        let failed: Vec<_> = outputs
            .iter()
            .filter_map(|o| match o {
                Output::SubscribeFailed { key, error } => Some((*key, error.code)),
                _ => None,
            })
            .collect();
        assert_eq!(failed, vec![(a, code), (b, code)]);
        assert!(has(
            &outputs,
            &Output::StateChanged(ConnectionState::Failed)
        ));
        d.engine.handle_close(d.at(), 1006);
        assert_eq!(d.advance_to(120_000), vec![], "no retry");
        d.subscribe(&["files"], &[]);
        assert!(
            d.drain()
                .iter()
                .any(|o| matches!(o, Output::Connect { .. })),
            "a new subscribe tries again"
        );
    }
}

#[test]
fn other_connect_time_errors_retry_and_1013_waits_the_window() {
    let mut d = driver();
    d.subscribe(&["files"], &[]);
    d.engine.handle_open(d.at());
    d.frame(error(1013, "Too many requests"));
    let ConnectionState::Reconnecting { at, .. } = d.state() else {
        panic!("{:?}", d.state())
    };
    assert!(at.0 >= 60_000);
    d.advance_to(at.0);
    d.engine.handle_open(d.at());
    d.frame(error(500, "Error: Server Error"));
    assert!(is_retrying(d.state()));
}

#[test]
fn in_band_1008_reconnects_and_other_errors_keep_the_socket() {
    let mut d = driver();
    let key = d.subscribe(&["files"], &[]);
    d.open_and_connect(Value::Null);
    d.frame(subscribe_ack(&[d.wire(key)]));
    let outputs = d.frame(error(500, "Error: Server Error"));
    assert_eq!(errors(&outputs), vec![(500, ErrorKind::Server)]);
    assert_eq!(d.state(), ConnectionState::Connected);
    let outputs = d.frame(error(
        1008,
        "Missing project context. Reconnect to the project first.",
    ));
    assert!(has(&outputs, &Output::Close { code: 1000 }));
    assert!(is_retrying(d.state()));
    assert!(d.engine.wire_id(key).is_some(), "nothing lost");
}

#[test]
fn rate_limit_holds_sends_then_resends_everything_unacknowledged() {
    let mut d = driver();
    let a = d.subscribe(&["files"], &[]);
    let b = d.subscribe(&["rows"], &[]);
    d.open_and_connect(Value::Null);
    let (wire_a, wire_b) = (d.wire(a), d.wire(b));
    d.frame(subscribe_ack(&[wire_a.clone(), wire_b.clone()]));
    d.engine.unsubscribe(d.at(), a);
    let c = d.subscribe(&["documents"], &[]);
    let first = d.tick();
    assert_eq!(sent_types(&first), vec!["subscribe", "unsubscribe"]);
    let outputs = d.frame(error(1013, "Too many messages."));
    assert_eq!(errors(&outputs), vec![(1013, ErrorKind::RateLimited)]);
    let e = d.subscribe(&["teams"], &[]);
    d.engine.unsubscribe(d.at(), b);
    let mut held = d.advance_to(20_000);
    d.frame(json!({"type":"pong"}));
    held.extend(d.advance_to(40_000));
    d.frame(json!({"type":"pong"}));
    held.extend(d.advance_to(59_999));
    assert_eq!(
        sent_types(&held),
        vec!["ping", "ping"],
        "only pings during the hold"
    );
    let resent = d.advance_to(60_000);
    assert_eq!(subscribe_rows(&resent), vec![vec![d.wire(c), d.wire(e)]]);
    let mut gone = unsubscribe_ids(&resent).concat();
    gone.sort();
    let mut expected = vec![wire_a, wire_b];
    expected.sort();
    assert_eq!(gone, expected);
}

#[test]
fn disconnect_clears_everything_and_stays_idle() {
    let mut d = driver();
    let key = d.subscribe(&["files"], &[]);
    d.open_and_connect(Value::Null);
    d.engine.disconnect(d.at());
    let outputs = d.drain();
    assert_eq!(
        outputs,
        vec![
            Output::Close { code: 1000 },
            Output::StateChanged(ConnectionState::Idle)
        ]
    );
    assert_eq!(d.engine.wire_id(key), None);
    d.engine.handle_close(d.at(), 1000);
    assert_eq!(d.advance_to(100_000), vec![]);
}

#[test]
fn a_close_with_nothing_subscribed_goes_idle() {
    let mut d = driver();
    let key = d.subscribe(&["files"], &[]);
    d.open_and_connect(Value::Null);
    d.engine.unsubscribe(d.at(), key);
    d.engine.handle_close(d.at(), 1006);
    assert_eq!(d.state(), ConnectionState::Idle);
    assert_eq!(d.engine.poll_timeout(), None);
}

#[test]
fn garbage_frames_are_reported_and_lose_nothing() {
    let mut d = driver();
    let key = d.subscribe(&["files"], &[]);
    d.open_and_connect(Value::Null);
    let outputs = d.frame(json!({"type":"surprise","data":{}}));
    assert_eq!(errors(&outputs), vec![(-1, ErrorKind::Protocol)]);
    let outputs = d.frame(json!({"type":"event","data":{"channels":["files"]}}));
    assert_eq!(errors(&outputs), vec![(-1, ErrorKind::Protocol)]);
    assert_eq!(d.state(), ConnectionState::Connected);
    assert!(d.engine.wire_id(key).is_some());
}

#[test]
fn a_new_endpoint_moves_the_connection() {
    let mut d = driver();
    d.subscribe(&["files"], &[]);
    d.open_and_connect(Value::Null);
    let same = Endpoint {
        realtime: "ws://h/v1".into(),
        project: "demo".into(),
        jwt: None,
    };
    d.engine.set_endpoint(d.at(), same);
    assert_eq!(d.drain(), vec![]);
    let other = Endpoint {
        realtime: "ws://h/v1".into(),
        project: "other".into(),
        jwt: None,
    };
    d.engine.set_endpoint(d.at(), other);
    let outputs = d.drain();
    assert_eq!(outputs[0], Output::Close { code: 1000 });
    assert_eq!(
        outputs[1],
        Output::Connect {
            url: "ws://h/v1/realtime?project=other".into()
        }
    );
}

/// Every frame this batch sends, with its byte length.
fn sent_frames(outputs: &[Output<Value>]) -> Vec<String> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Send(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn large_batches_are_split_below_the_frame_limit_and_each_row_is_sent_once() {
    let mut d = driver();
    let channels: Vec<String> = (0..2_000)
        .map(|i| format!("databases.main.collections.posts-{i:04}.documents"))
        .collect();
    let keeper = d.subscribe(&["account"], &[]);
    let keys: Vec<_> = channels
        .iter()
        .map(|c| d.subscribe(&[c.as_str()], &[]))
        .collect();
    let first = d.open_and_connect(Value::Null);
    let frames = sent_frames(&first);
    assert!(
        frames.len() > 1,
        "2,000 rows of ~100 bytes need several frames"
    );
    assert!(
        frames.iter().all(|f| f.len() <= 64_000),
        "{:?}",
        frames.iter().map(String::len).collect::<Vec<_>>()
    );
    let rows = subscribe_rows(&first);
    let all: Vec<String> = rows.iter().flatten().cloned().collect();
    let wires: Vec<String> = keys.iter().map(|&k| d.wire(k)).collect();
    let expected: Vec<String> = [d.wire(keeper)].into_iter().chain(wires.clone()).collect();
    assert!(all == expected, "every row once, in order");

    // Acks pair with frames in order: every subscription is acknowledged.
    let mut subscribed = 0;
    for frame_rows in &rows {
        let acked = d.frame(subscribe_ack(frame_rows));
        subscribed += acked
            .iter()
            .filter(|o| matches!(o, Output::Subscribed(_)))
            .count();
    }
    assert_eq!(subscribed, 2_001);

    // The socket stays for `keeper`, so the 2,000 are unsubscribed on the wire.
    for &key in &keys {
        d.engine.unsubscribe(d.at(), key);
    }
    let gone = d.tick();
    let unsubscribed: Vec<String> = unsubscribe_ids(&gone).into_iter().flatten().collect();
    assert!(
        unsubscribed == wires,
        "{} of 2,000 ids unsubscribed",
        unsubscribed.len()
    );
    assert!(
        unsubscribe_ids(&gone).len() > 1,
        "2,000 ids of ~40 bytes need two frames"
    );
    assert!(sent_frames(&gone).iter().all(|f| f.len() <= 64_000));
}

#[test]
fn events_reach_exactly_the_subscriptions_they_name_through_any_mix_of_changes() {
    let mut d = driver();
    let mut live: Vec<(appwrite_realtime_core::SubscriptionKey, String)> = Vec::new();
    let mut state = 12345u64;
    let mut roll = |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    d.open_and_connect(Value::Null);
    for step in 0..300 {
        match roll(4) {
            0 | 1 => {
                let channel = format!("c{step}");
                live.push((d.subscribe(&[channel.as_str()], &[]), channel));
            }
            2 if !live.is_empty() => {
                let at = roll(live.len() as u64) as usize;
                let channel = format!("c{step}");
                d.engine
                    .update(d.at(), live[at].0, Some(vec![channel.clone()]), None)
                    .expect("a live subscription updates");
                live[at].1 = channel;
            }
            3 if !live.is_empty() => {
                let (key, _) = live.remove(roll(live.len() as u64) as usize);
                d.engine.unsubscribe(d.at(), key);
            }
            _ => {}
        }
        d.tick();
        for (key, channel) in &live {
            let wire = d.wire(*key);
            let outputs = d.frame(event(&[channel.as_str()], std::slice::from_ref(&wire)));
            let delivered: Vec<_> = outputs
                .iter()
                .filter_map(|o| match o {
                    Output::Deliver { targets, .. } => Some(targets.clone()),
                    _ => None,
                })
                .collect();
            assert_eq!(
                delivered,
                vec![vec![*key]],
                "step {step}: {wire} on {channel}"
            );
        }
    }
}

#[test]
fn offline_holds_reconnects_and_online_reconnects_at_once() {
    let mut d = driver();
    d.subscribe(&["files"], &[]);
    d.open_and_connect(Value::Null);
    d.engine.set_online(d.at(), false);
    d.engine.handle_close(d.at(), 1006);
    d.drain();
    assert!(is_retrying(d.state()));
    assert_eq!(d.engine.poll_timeout(), None, "no timer while offline");
    let waited = d.advance_to(120_000);
    assert!(
        !waited.iter().any(|o| matches!(o, Output::Connect { .. })),
        "no attempt while offline"
    );
    d.engine.set_online(d.at(), true);
    let back = d.drain();
    assert!(
        back.iter().any(|o| matches!(o, Output::Connect { .. })),
        "online reconnects at once, not after the backoff"
    );
}

#[test]
fn online_leaves_a_live_or_idle_connection_alone() {
    let mut d = driver();
    d.engine.set_online(d.at(), true);
    assert_eq!(d.drain(), vec![], "idle stays idle");
    d.subscribe(&["files"], &[]);
    d.open_and_connect(Value::Null);
    d.engine.set_online(d.at(), false);
    d.engine.set_online(d.at(), true);
    assert!(
        !d.drain()
            .iter()
            .any(|o| matches!(o, Output::Connect { .. } | Output::Close { .. })),
        "a connected socket is kept"
    );
}

#[test]
fn a_frozen_page_closes_cleanly_and_comes_back_with_a_resync() {
    let mut d = driver();
    let key = d.subscribe(&["files"], &[]);
    d.open_and_connect(Value::Null);
    let id = d.wire(key);
    d.frame(subscribe_ack(std::slice::from_ref(&id)));
    d.engine.set_frozen(d.at(), true);
    let frozen = d.drain();
    assert!(has(&frozen, &Output::Close { code: 1000 }), "{frozen:?}");
    assert!(
        errors(&frozen).is_empty(),
        "a clean close is no error: {frozen:?}"
    );
    assert!(is_retrying(d.state()));
    assert_eq!(
        d.engine.poll_timeout(),
        None,
        "nothing reconnects while frozen"
    );
    assert!(d.engine.is_held(d.at()));
    d.engine.set_frozen(d.at(), false);
    assert!(
        d.drain()
            .iter()
            .any(|o| matches!(o, Output::Connect { .. })),
        "resume reconnects at once"
    );
    let restored = d.open_and_connect(Value::Null);
    let rows = subscribe_rows(&restored);
    assert_eq!(rows.len(), 1, "the subscription is restored: {restored:?}");
    let after = d.frame(subscribe_ack(&rows[0]));
    assert!(has(&after, &Output::Resynced), "{after:?}");
}

#[test]
fn a_page_hidden_past_the_timeout_holds_no_socket_until_shown() {
    let mut d = Driver::new(Config {
        jitter_seed: 7,
        hidden_timeout: Some(std::time::Duration::from_secs(60)),
        ..Config::default()
    });
    let key = d.subscribe(&["files"], &[]);
    d.open_and_connect(Value::Null);
    let id = d.wire(key);
    d.frame(subscribe_ack(std::slice::from_ref(&id)));
    d.engine.set_visible(d.at(), false);
    let early = d.advance_to(59_000);
    assert!(!has(&early, &Output::Close { code: 1000 }), "{early:?}");
    let late = d.advance_to(61_000);
    assert!(has(&late, &Output::Close { code: 1000 }), "{late:?}");
    let waited = d.advance_to(600_000);
    assert!(
        !waited.iter().any(|o| matches!(o, Output::Connect { .. })),
        "no reconnect while hidden: {waited:?}"
    );
    d.engine.set_visible(d.at(), true);
    assert!(d
        .drain()
        .iter()
        .any(|o| matches!(o, Output::Connect { .. })));
    let restored = d.open_and_connect(Value::Null);
    let after = d.frame(subscribe_ack(&subscribe_rows(&restored)[0]));
    assert!(has(&after, &Output::Resynced));
}

#[test]
fn without_a_hidden_timeout_a_hidden_page_keeps_its_socket_and_showing_it_pings() {
    let mut d = driver();
    d.subscribe(&["files"], &[]);
    d.open_and_connect(Value::Null);
    d.engine.set_visible(d.at(), false);
    let hidden = d.advance_to(15_000);
    assert!(!hidden.iter().any(|o| matches!(o, Output::Close { .. })));
    d.engine.set_visible(d.at(), true);
    let shown = d.tick();
    assert_eq!(
        sent_types(&shown),
        vec!["ping"],
        "the link is checked at once"
    );
    d.now += 35;
    d.frame(json!({"type":"pong"}));
    assert_eq!(
        d.engine.round_trip(),
        Some(std::time::Duration::from_millis(35))
    );
}

#[test]
fn subscribing_while_held_waits_for_the_network() {
    let mut d = driver();
    d.engine.set_online(d.at(), false);
    d.subscribe(&["files"], &[]);
    let outputs = d.drain();
    assert!(!outputs.iter().any(|o| matches!(o, Output::Connect { .. })));
    assert!(is_retrying(d.state()));
    d.engine.set_online(d.at(), true);
    assert!(d
        .drain()
        .iter()
        .any(|o| matches!(o, Output::Connect { .. })));
}

fn connect_url(outputs: &[Output<Value>]) -> String {
    outputs
        .iter()
        .rev()
        .find_map(|o| match o {
            Output::Connect { url } => Some(url.clone()),
            _ => None,
        })
        .expect("a connect")
}

fn connected_with(subscriptions: Value) -> Value {
    json!({"type":"connected","data":{"channels":[],"subscriptions":subscriptions,"user":null}})
}

#[test]
fn missing_channels_switches_to_url_mode_with_one_slot_per_subscription() {
    let mut d = driver();
    let a = d.subscribe(&["files", "documents"], &[]);
    let b = d.subscribe(
        &["files"],
        &[&query::equal("n", &[query::QueryValue::Bool(true)])],
    );
    d.drain();
    d.engine.handle_open(d.at());
    let refused = d.frame(error(1008, "Missing channels"));
    assert!(
        errors(&refused).is_empty(),
        "the fallback is silent: {refused:?}"
    );
    let url = connect_url(&refused);
    assert!(d.engine.uses_url_channels());
    let select_all = "%7B%22method%22%3A%22select%22%2C%22values%22%3A%5B%22*%22%5D%7D";
    assert_eq!(
        url,
        [
            "ws://h/v1/realtime?project=demo&channels[]=files&channels[]=documents",
            "&files[0][]=",
            select_all,
            "&documents[0][]=",
            select_all,
            "&files[1][]=%7B%22method%22%3A%22equal%22%2C%22attribute%22%3A%22n%22%2C%22values%22%3A%5Btrue%5D%7D",
        ]
        .concat()
    );
    d.engine.handle_open(d.at());
    // PHP's slot map in its insertion order: files (slots 0, 1) came before documents.
    let acked = d.frame(connected_with(json!({"1":"srv-b","0":"srv-a"})));
    assert!(has(&acked, &Output::Subscribed(a)) && has(&acked, &Output::Subscribed(b)));
    assert!(
        sent_types(&d.tick()).is_empty(),
        "no subscribe messages in URL mode"
    );
    let only_b = d.frame(event(&["files"], &["srv-b".to_string()]));
    assert!(
        only_b
            .iter()
            .any(|o| matches!(o, Output::Deliver { targets, .. } if targets == &vec![b])),
        "{only_b:?}"
    );
}

#[test]
fn url_mode_takes_a_new_socket_for_a_new_set_and_resyncs() {
    let mut d = driver();
    d.subscribe(&["files"], &[]);
    d.drain();
    d.engine.handle_open(d.at());
    d.frame(error(1008, "Missing channels"));
    d.engine.handle_open(d.at());
    d.frame(connected_with(json!(["srv-1"])));
    d.tick();
    let second = d.subscribe(&["documents"], &[]);
    let changed = d.tick();
    assert!(has(&changed, &Output::Close { code: 1000 }), "{changed:?}");
    assert!(connect_url(&changed).contains("&channels[]=files&channels[]=documents"));
    d.engine.handle_open(d.at());
    let acked = d.frame(connected_with(json!(["srv-2", "srv-3"])));
    assert!(has(&acked, &Output::Subscribed(second)));
    assert!(
        has(&acked, &Output::Resynced),
        "the first one missed events: {acked:?}"
    );
    d.engine.unsubscribe(d.at(), second);
    let smaller = d.tick();
    assert!(connect_url(&smaller).ends_with("&channels[]=files&files[0][]=%7B%22method%22%3A%22select%22%2C%22values%22%3A%5B%22*%22%5D%7D"), "{smaller:?}");
    d.engine.handle_open(d.at());
    d.frame(connected_with(json!(["srv-4"])));
    d.engine.unsubscribe(d.at(), SubscriptionKey(1));
    let emptied = d.tick();
    assert!(has(&emptied, &Output::Close { code: 1000 }), "{emptied:?}");
    assert_eq!(d.state(), ConnectionState::Idle);
}

#[test]
fn servers_before_1_9_route_by_channel_and_refuse_queries_and_presence() {
    let mut d = driver();
    let plain = d.subscribe(&["files"], &[]);
    let filtered = d.subscribe(&["files"], &[&query::select(&["*"])]);
    d.drain();
    d.engine.handle_open(d.at());
    d.frame(error(1008, "Missing channels"));
    d.engine.handle_open(d.at());
    let connected = d.frame(json!({"type":"connected","data":{"channels":["files"],"user":null}}));
    assert!(has(&connected, &Output::Subscribed(plain)));
    assert!(
        connected
            .iter()
            .any(|o| matches!(o, Output::SubscribeFailed { key, .. } if *key == filtered)),
        "{connected:?}"
    );
    let delivered = d.frame(event(&["files"], &[]));
    assert!(delivered
        .iter()
        .any(|o| matches!(o, Output::Deliver { targets, .. } if targets == &vec![plain])));
    d.engine
        .upsert_presence(
            d.at(),
            Presence {
                status: "online".into(),
                presence_id: None,
                metadata_json: None,
                permissions: vec![],
            },
        )
        .expect("valid presence");
    let refused = d.tick();
    assert!(sent_types(&refused).is_empty(), "{refused:?}");
    assert_eq!(errors(&refused), vec![(0, ErrorKind::Server)]);
}

#[test]
fn a_new_server_gets_the_message_protocol_again() {
    let mut d = driver();
    d.subscribe(&["files"], &[]);
    d.drain();
    d.engine.handle_open(d.at());
    d.frame(error(1008, "Missing channels"));
    assert!(d.engine.uses_url_channels());
    d.engine.set_endpoint(
        d.at(),
        Endpoint {
            realtime: "ws://other/v1".into(),
            project: "demo".into(),
            jwt: None,
        },
    );
    assert!(!d.engine.uses_url_channels());
    assert_eq!(
        connect_url(&d.drain()),
        "ws://other/v1/realtime?project=demo"
    );
}

#[test]
fn presence_status_length_counts_characters_not_bytes() {
    let mut d = driver();
    let presence = |status: String| Presence {
        status,
        presence_id: None,
        metadata_json: None,
        permissions: vec![],
    };
    // 2048 two-byte characters are 4096 bytes, and allowed.
    assert!(d
        .engine
        .upsert_presence(d.at(), presence("é".repeat(2048)))
        .is_ok());
    assert_eq!(
        d.engine.upsert_presence(d.at(), presence("é".repeat(2049))),
        Err(PresenceError::StatusTooLong)
    );
}

#[test]
fn a_handover_of_a_healthy_socket_reconnects_at_once_and_reports_nothing() {
    let mut d = driver();
    d.subscribe(&["files"], &[]);
    connect_and_ack(&mut d);
    d.advance_to(d.now + 3_000);
    d.engine.handle_close(d.at(), CLOSE_HANDOVER);
    let outputs = d.drain();
    assert_eq!(errors(&outputs), vec![]);
    assert_eq!(pending_retry(&d), (1, 0), "at once");
    reconnect(&mut d);
    // A handover before the replacement was healthy is a failure like any other: reported, and
    // retried after the grown, jittered delay, so a carrier that keeps handing over is not
    // hammered.
    d.engine.handle_open(d.at());
    d.engine.handle_close(d.at(), CLOSE_HANDOVER);
    assert_eq!(
        errors(&d.drain()),
        vec![(i64::from(CLOSE_HANDOVER), ErrorKind::Closed)]
    );
    let (attempt, delay) = pending_retry(&d);
    assert_eq!(attempt, 2);
    assert!(delay <= 2_000);
}

/// A driver whose engine mints `early0prefix-<n>` ids, as the browser's early socket expects.
fn driver_with_prefix() -> Driver {
    Driver::new(Config {
        jitter_seed: 7,
        id_prefix: Some("early0prefix".into()),
        ..Config::default()
    })
}

/// The engine of `d` (driver_with_prefix) adopts the row the browser driver's early socket sent
/// as the `ordinal`-th subscription, for `channels` and `queries`.
fn adopt_early_row(d: &mut Driver, ordinal: u32, channels: &[&str], queries: Vec<String>) {
    let channels = channels.iter().map(|channel| channel.to_string()).collect();
    let at = d.at();
    d.engine
        .adopt_sent_subscribe(at, format!("early0prefix-{ordinal}"), channels, queries);
}

#[test]
fn the_id_prefix_comes_from_the_config_when_well_formed() {
    let mut d = driver_with_prefix();
    let key = d.subscribe(&["files"], &[]);
    assert_eq!(d.wire(key), "early0prefix-1");
    for malformed in ["short", "UPPER0PREFIX", "early-prefix", "early0prefix0"] {
        let mut d = Driver::new(Config {
            jitter_seed: 7,
            id_prefix: Some(malformed.into()),
            ..Config::default()
        });
        let key = d.subscribe(&["files"], &[]);
        let id = d.wire(key);
        assert!(!id.starts_with(malformed), "{malformed} was used: {id}");
        let mut seeded = driver();
        let seeded_key = seeded.subscribe(&["files"], &[]);
        assert_eq!(
            id,
            seeded.wire(seeded_key),
            "the seed's prefix, for {malformed}"
        );
    }
}

#[test]
fn an_adopted_subscribe_is_not_sent_again_and_its_ack_and_events_count() {
    let mut d = driver_with_prefix();
    let filter = query::is_null("a");
    let key = d.subscribe(&["files", "account"], &[&filter]);
    let outputs = d.drain();
    assert!(
        outputs.iter().any(|o| matches!(o, Output::Connect { .. })),
        "{outputs:?}"
    );
    adopt_early_row(&mut d, 1, &["files", "account"], vec![filter.clone()]);
    let outputs = d.open_and_connect(Value::Null);
    assert_eq!(
        subscribe_rows(&outputs),
        Vec::<Vec<String>>::new(),
        "already sent"
    );
    let outputs = d.frame(subscribe_ack(&["early0prefix-1".into()]));
    assert!(has(&outputs, &Output::Subscribed(key)), "{outputs:?}");
    let outputs = d.frame(event(&["files"], &["early0prefix-1".into()]));
    assert!(
        matches!(outputs.as_slice(), [Output::Deliver { targets, .. }] if targets == &vec![key]),
        "{outputs:?}"
    );
    assert_eq!(sent(&d.tick()), Vec::<Value>::new());
}

#[test]
fn an_adopted_row_that_no_longer_matches_is_replaced_or_unsubscribed() {
    // Same id, other queries: the subscription's own row follows and replaces it.
    let mut d = driver_with_prefix();
    let key = d.subscribe(&["files"], &[]);
    d.drain();
    adopt_early_row(&mut d, 1, &["files"], vec![query::is_null("a")]);
    let outputs = d.open_and_connect(Value::Null);
    assert_eq!(
        subscribe_rows(&outputs),
        vec![vec!["early0prefix-1".to_string()]]
    );
    assert_eq!(unsubscribe_ids(&d.tick()), Vec::<Vec<String>>::new());
    let id = d.wire(key);
    let mut acks = d.frame(subscribe_ack(std::slice::from_ref(&id)));
    acks.extend(d.frame(subscribe_ack(std::slice::from_ref(&id))));
    assert!(has(&acks, &Output::Subscribed(key)), "{acks:?}");
    assert_eq!(
        unsubscribe_ids(&d.tick()),
        Vec::<Vec<String>>::new(),
        "its id stays"
    );

    // An id the engine has not minted: unsubscribed once acknowledged, and never minted.
    let mut d = driver_with_prefix();
    let first = d.subscribe(&["files"], &[]);
    d.drain();
    adopt_early_row(&mut d, 2, &["files"], Vec::new());
    let outputs = d.open_and_connect(Value::Null);
    assert_eq!(
        subscribe_rows(&outputs),
        vec![vec!["early0prefix-1".to_string()]]
    );
    assert_eq!(
        unsubscribe_ids(&outputs),
        Vec::<Vec<String>>::new(),
        "its subscribe is in flight"
    );
    d.frame(subscribe_ack(&["early0prefix-2".into()]));
    assert_eq!(
        unsubscribe_ids(&d.tick()),
        vec![vec!["early0prefix-2".to_string()]]
    );
    let later = d.subscribe(&["account"], &[]);
    assert_eq!(d.wire(later), "early0prefix-3");
    assert_eq!(d.wire(first), "early0prefix-1");
    assert_eq!(d.state(), ConnectionState::Connected);
}

/// The server answers the `authentication` sent: `d` is signed in as `u1`, and the subscription
/// `key`, held until then, is confirmed.
fn signed_in_and_subscribed(d: &mut Driver, key: SubscriptionKey) {
    let user = json!({"$id":"u1"});
    assert_eq!(
        d.frame(authentication_ack(&user)),
        vec![
            Output::Authenticated { user: Some(user) },
            Output::Subscribed(key)
        ]
    );
}

/// A driver with `session` set and the early row for `account` adopted, as the browser
/// driver's early socket leaves them, with an `authentication` for `sent_session` sent too.
fn driver_with_adopted_authentication(
    session: &str,
    sent_session: &str,
) -> (Driver, SubscriptionKey) {
    let mut d = driver_with_prefix();
    d.engine.set_session(d.at(), Some(session.into()));
    let key = d.subscribe(&["account"], &[]);
    d.drain();
    adopt_early_row(&mut d, 1, &["account"], Vec::new());
    d.engine.adopt_sent_authentication(d.at(), sent_session);
    (d, key)
}

#[test]
fn an_adopted_authentication_is_not_sent_again_and_its_answer_settles_it() {
    let (mut d, key) = driver_with_adopted_authentication("c2Vzc2lvbg==", "c2Vzc2lvbg==");
    assert_eq!(
        sent_types(&d.open_and_connect(Value::Null)),
        Vec::<String>::new()
    );
    let acked = d.frame(subscribe_ack(&["early0prefix-1".into()]));
    assert!(!has(&acked, &Output::Subscribed(key)), "{acked:?}");
    assert_eq!(sent_types(&d.tick()), Vec::<String>::new(), "already sent");
    signed_in_and_subscribed(&mut d, key);
}

#[test]
fn an_adopted_authentication_for_another_session_is_followed_by_the_engines_own() {
    let (mut d, key) = driver_with_adopted_authentication("bmV3", "b2xk");
    d.open_and_connect(Value::Null);
    d.frame(subscribe_ack(&["early0prefix-1".into()]));
    assert_eq!(
        sent(&d.tick()),
        vec![json!({"type":"authentication","data":{"session":"bmV3"}})]
    );
    let answer = |id: &str| authentication_ack(&json!({"$id":id}));
    assert_eq!(
        d.frame(answer("old")),
        vec![],
        "the replaced session's answer settles nothing"
    );
    let own = d.frame(answer("new"));
    assert!(has(&own, &Output::Subscribed(key)), "{own:?}");
}

#[test]
fn a_connected_that_names_a_user_needs_no_adopted_authentication() {
    let (mut d, key) = driver_with_adopted_authentication("c2Vzc2lvbg==", "c2Vzc2lvbg==");
    d.open_and_connect(json!({"$id":"u1"}));
    let acked = d.frame(subscribe_ack(&["early0prefix-1".into()]));
    assert!(has(&acked, &Output::Subscribed(key)), "{acked:?}");
    assert_eq!(sent_types(&d.tick()), Vec::<String>::new());
}

#[test]
fn a_refused_subscribe_takes_its_id_and_its_early_row_is_unsubscribed() {
    let mut d = driver_with_prefix();
    // The first call is refused by the engine, and the early socket had sent its row.
    let refused = d
        .engine
        .subscribe(d.at(), vec!["files".into()], vec![query::select(&["name"])]);
    assert!(matches!(refused, Err(SubscribeError::InvalidQuery { .. })));
    let key = d.subscribe(&["account"], &[]);
    assert_eq!(d.wire(key), "early0prefix-2", "the refused call took -1");
    d.drain();
    adopt_early_row(&mut d, 1, &["files"], vec![query::select(&["name"])]);
    let outputs = d.open_and_connect(Value::Null);
    assert_eq!(
        subscribe_rows(&outputs),
        vec![vec!["early0prefix-2".to_string()]]
    );
    // The server fails on the early row (code 0, as for `select` other than `*`): that answers
    // it, fails no live subscription, and the row is unsubscribed.
    let outputs = d.frame(error(0, "Error: Server Error"));
    assert!(
        !outputs
            .iter()
            .any(|o| matches!(o, Output::SubscribeFailed { .. })),
        "{outputs:?}"
    );
    assert_eq!(
        unsubscribe_ids(&d.tick()),
        vec![vec!["early0prefix-1".to_string()]]
    );
    let outputs = d.frame(subscribe_ack(&["early0prefix-2".into()]));
    assert!(has(&outputs, &Output::Subscribed(key)), "{outputs:?}");
}

#[test]
fn a_server_error_answers_the_oldest_request_like_a_refusal() {
    for code in [0, 500, 1003] {
        let mut d = driver();
        let key = d.subscribe(&["files"], &[]);
        d.open_and_connect(Value::Null);
        let outputs = d.frame(error(code, "Error: Server Error"));
        assert_eq!(errors(&outputs), vec![(code, ErrorKind::Server)]);
        assert!(
            outputs.iter().any(
                |o| matches!(o, Output::SubscribeFailed { key: failed, .. } if *failed == key)
            ),
            "code {code}: {outputs:?}"
        );
        // The next refusal is blamed on the next request, not on the answered one.
        let other = d.subscribe(&["account"], &[]);
        d.tick();
        let outputs = d.frame(error(1003, "Invalid query: x"));
        assert!(
            outputs.iter().any(
                |o| matches!(o, Output::SubscribeFailed { key: failed, .. } if *failed == other)
            ),
            "code {code}: {outputs:?}"
        );
    }
}
