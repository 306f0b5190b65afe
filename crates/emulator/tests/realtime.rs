mod common;

use appwrite_realtime_emulator::{Config, ServerVersion};
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const SHORT: Duration = Duration::from_millis(300);

fn document_body(id: &str, data: Value, permissions: &[&str]) -> Value {
    json!({"documentId": id, "data": data, "permissions": permissions})
}

#[tokio::test]
async fn message_mode_frames_ping_subscribe_unsubscribe() {
    let server = start_default().await;
    let (mut client, connected) = connect(&server, "project=demo", &[]).await;
    assert_eq!(
        connected.to_string(),
        r#"{"type":"connected","data":{"channels":[],"subscriptions":[],"user":null}}"#
    );

    client.send(r#"{"type":"ping"}"#).await;
    assert_eq!(client.next_text().await, r#"{"type":"pong"}"#);

    let ack = client.subscribe(json!([{"subscriptionId": "s1", "channels": ["documents", "account.update"], "queries": []}])).await;
    assert_eq!(
        ack.to_string(),
        r#"{"type":"response","data":{"to":"subscribe","success":true,"subscriptions":[{"subscriptionId":"s1","channels":["documents","account.update"],"queries":[]}]}}"#
    );
    let ack = client.subscribe(json!([{"channels": ["rows"]}])).await;
    let minted = ack["data"]["subscriptions"][0]["subscriptionId"]
        .as_str()
        .expect("minted id");
    assert_eq!(minted.len(), 20);

    client.send_json(json!({"type": "unsubscribe", "data": [{"subscriptionId": "s1"}, {"subscriptionId": "nope"}]})).await;
    assert_eq!(
        client.next().await.to_string(),
        r#"{"type":"response","data":{"to":"unsubscribe","success":true,"subscriptions":[{"subscriptionId":"s1","removed":true},{"subscriptionId":"nope","removed":false}]}}"#
    );
}

#[tokio::test]
async fn validation_texts() {
    let server = start_default().await;
    let (mut client, _) = connect(&server, "project=demo", &[]).await;
    let cases: Vec<(&str, i64, &str)> = vec![
        ("not json", 1003, "Message format is not valid."),
        (r#"{"foo":1}"#, 1003, "Message format is not valid."),
        (r#"{"type":"bogus"}"#, 1003, "Message type is not valid."),
        (r#"{"type":5,"data":{}}"#, 1003, "Message type is not valid."),
        (r#"{"type":"subscribe"}"#, 1003, "Payload is not valid. Items is required"),
        (r#"{"type":"subscribe","data":{"a":1}}"#, 1003, "items: Payload is not valid."),
        (r#"{"type":"subscribe","data":[5]}"#, 1003, "items: Each subscribe payload must be an object."),
        (r#"{"type":"subscribe","data":[{"subscriptionId":"_x","channels":[]}]}"#, 1003, "items: subscriptionId is not a valid id."),
        (r#"{"type":"subscribe","data":[{"queries":[]}]}"#, 1003, "items: channels is not present in payload."),
        (r#"{"type":"subscribe","data":[{"channels":"rows"}]}"#, 1003, "items: channels is not a valid array."),
        (r#"{"type":"subscribe","data":[{"channels":[1]}]}"#, 1003, "items: channels must contain only strings."),
        (r#"{"type":"subscribe","data":[{"channels":["rows"],"queries":"x"}]}"#, 1003, "items: queries is not a valid array."),
        (r#"{"type":"subscribe","data":[{"channels":["rows"],"queries":["{bad"]}]}"#, 1003, "Invalid query: Invalid query: Syntax error"),
        (r#"{"type":"subscribe","data":[{"channels":["rows"],"queries":["{\"method\":\"nope\"}"]}]}"#, 1003, "Invalid query: Invalid query method: nope"),
        (
            r#"{"type":"subscribe","data":[{"channels":["rows"],"queries":["{\"method\":\"limit\",\"values\":[1]}"]}]}"#,
            1003,
            "Invalid query: Query method 'limit' is not supported in Realtime queries. Allowed: equal, notEqual, lessThan, lessThanEqual, greaterThan, greaterThanEqual, isNull, isNotNull, and, or, select",
        ),
        (r#"{"type":"subscribe","data":[{"channels":["rows"],"queries":["{\"method\":\"select\",\"values\":[\"a\"]}"]}]}"#, 0, "Only select(\"*\") is allowed in Realtime queries. select(\"*\") means \"listen to all events\"."),
        (r#"{"type":"unsubscribe"}"#, 1003, "Payload is not valid. Items is required"),
        (r#"{"type":"unsubscribe","data":[{"subscriptionId":""}]}"#, 1003, "items: Each unsubscribe payload must include a non-empty subscriptionId."),
        (r#"{"type":"authentication","data":{}}"#, 1003, "Payload is not valid. Session is required"),
        (r#"{"type":"authentication","data":{"session":"garbage"}}"#, 1003, "Session is not valid."),
        (r#"{"type":"presence","data":{"status":"online"}}"#, 401, "User must be authorized"),
    ];
    for (frame, code, message) in cases {
        client.send(frame).await;
        let error = client.next().await;
        assert_eq!(
            error,
            json!({"type": "error", "data": {"code": code, "message": message}}),
            "for {frame}"
        );
    }
    // The socket stays open after non-1008 errors.
    client.send(r#"{"type":"ping"}"#).await;
    assert_eq!(client.next().await["type"], "pong");
}

#[tokio::test]
async fn project_resolution() {
    let server = start_default().await;
    let (_, console) = connect(&server, "", &[]).await;
    assert_eq!(console["data"]["user"], Value::Null);
    let mut unknown = open(&server, "project=nope", &[]).await;
    assert_eq!(
        unknown.next().await,
        json!({"type": "error", "data": {"code": 1008, "message": "Missing or unknown project ID"}})
    );
    unknown.expect_tcp_drop().await;
    let (_, via_header) = connect(&server, "project=nope", &[("X-Appwrite-Project", "demo")]).await;
    assert_eq!(via_header["type"], "connected");
}

#[tokio::test]
async fn rest_write_reaches_matching_subscriptions_once_per_connection() {
    let server = start_default().await;
    let (mut client, _) = connect(&server, "project=demo", &[]).await;
    client.subscribe(json!([{"subscriptionId": "a", "channels": ["documents"]}, {"subscriptionId": "b", "channels": ["databases.db1.collections.col1.documents", "rows"]}, {"subscriptionId": "c", "channels": ["files"]}])).await;
    let created = http(
        &server,
        "POST",
        "/v1/databases/db1/collections/col1/documents",
        &[PROJECT],
        Some(document_body(
            "doc1",
            json!({"title": "hi"}),
            &[r#"read("any")"#],
        )),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let event = client.next().await;
    assert_eq!(event["type"], "event");
    let data = &event["data"];
    assert_eq!(data["events"].as_array().map(Vec::len), Some(42));
    assert_eq!(
        data["events"][0],
        "databases.db1.collections.col1.documents.doc1.create"
    );
    assert_eq!(data["channels"].as_array().map(Vec::len), Some(16));
    assert_eq!(data["subscriptions"], json!(["a", "b"]));
    assert_eq!(data["payload"]["$id"], "doc1");
    assert_eq!(data["payload"]["$collectionId"], "col1");
    assert_eq!(data["payload"]["$databaseId"], "db1");
    assert_eq!(data["payload"]["title"], "hi");
    let timestamp = data["timestamp"].as_str().expect("timestamp");
    assert_eq!(timestamp.len(), "2026-08-21T12:42:57.123+00:00".len());
    assert!(timestamp.ends_with("+00:00"));
    let keys: Vec<&str> = data
        .as_object()
        .expect("data object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        vec![
            "events",
            "channels",
            "timestamp",
            "payload",
            "subscriptions"
        ]
    );
    client.expect_silence(SHORT).await;
}

#[tokio::test]
async fn tablesdb_rows_emit_64_events() {
    let server = start_default().await;
    let (mut client, _) = connect(&server, "project=demo", &[]).await;
    client.subscribe(json!([{"subscriptionId": "r", "channels": ["tablesdb.db2.tables.t.rows.row1.update"]}])).await;
    let body = json!({"rowId": "row1", "data": {"n": 1}, "permissions": [r#"read("any")"#]});
    assert_eq!(
        http(
            &server,
            "POST",
            "/v1/tablesdb/db2/tables/t/rows",
            &[PROJECT],
            Some(body)
        )
        .await
        .status,
        201
    );
    let updated = http(
        &server,
        "PATCH",
        "/v1/tablesdb/db2/tables/t/rows/row1",
        &[PROJECT],
        Some(json!({"data": {"n": 2}})),
    )
    .await;
    assert_eq!(updated.status, 200);
    assert_eq!(updated.body["$tableId"], "t");
    let event = client.next().await;
    assert_eq!(event["data"]["events"].as_array().map(Vec::len), Some(64));
    assert_eq!(
        event["data"]["events"][0],
        "tablesdb.db2.tables.t.rows.row1.update"
    );
    assert_eq!(event["data"]["payload"]["n"], 2);
}

#[tokio::test]
async fn role_rules_guest_user_team_label_verified() {
    let server = start_default().await;
    let (alice, alice_token) = user_with_session(&server, "alice").await;
    let (_bob, bob_token) = user_with_session(&server, "bob").await;
    let (mut guest, _) = connect(&server, "project=demo", &[]).await;
    let alice_cookie = format!("a_session_demo={alice_token}");
    let (mut alice_ws, connected) =
        connect(&server, "project=demo", &[("Cookie", &alice_cookie)]).await;
    assert_eq!(connected["data"]["user"]["$id"], alice);
    let bob_cookie = format!("a_session_demo={bob_token}");
    let (mut bob_ws, _) = connect(&server, "project=demo", &[("Cookie", &bob_cookie)]).await;
    for client in [&mut guest, &mut alice_ws, &mut bob_ws] {
        client
            .subscribe(json!([{"subscriptionId": "s", "channels": ["documents"]}]))
            .await;
    }
    let post = |id: &str, permission: &str| {
        (
            "/v1/databases/db/collections/c/documents".to_string(),
            document_body(id, json!({}), &[permission]),
        )
    };

    let cases = [
        (r#"read("guests")"#, [true, false, false]),
        (r#"read("users")"#, [false, true, true]),
        (r#"read("user:alice")"#, [false, true, false]),
        (r#"read("users/unverified")"#, [false, true, true]),
        (r#"read("any")"#, [true, true, true]),
    ];
    for (index, (permission, expected)) in cases.iter().enumerate() {
        let (path, body) = post(&format!("d{index}"), permission);
        assert_eq!(
            http(&server, "POST", &path, &[PROJECT], Some(body))
                .await
                .status,
            201
        );
        let mut received = [false; 3];
        for (slot, client) in [&mut guest, &mut alice_ws, &mut bob_ws]
            .into_iter()
            .enumerate()
        {
            if expected[slot] {
                let event = client.next().await;
                assert_eq!(event["data"]["payload"]["$id"], format!("d{index}"));
                received[slot] = true;
            } else {
                client.expect_silence(Duration::from_millis(150)).await;
            }
        }
        assert_eq!(received, *expected, "{permission}");
    }

    // Labels and verification are read at connect time.
    assert_eq!(
        http(
            &server,
            "PUT",
            "/v1/users/bob/labels",
            &[PROJECT],
            Some(json!({"labels": ["vip"]}))
        )
        .await
        .status,
        200
    );
    assert_eq!(
        http(
            &server,
            "PATCH",
            "/v1/users/bob/verification",
            &[PROJECT],
            Some(json!({"emailVerification": true}))
        )
        .await
        .status,
        200
    );
    let (mut bob_again, _) = connect(&server, "project=demo", &[("Cookie", &bob_cookie)]).await;
    bob_again
        .subscribe(json!([{"subscriptionId": "s", "channels": ["documents"]}]))
        .await;
    let (path, body) = post("vip", r#"read("label:vip")"#);
    http(&server, "POST", &path, &[PROJECT], Some(body)).await;
    assert_eq!(bob_again.next().await["data"]["payload"]["$id"], "vip");
    let (path, body) = post("verified", r#"read("user:bob/verified")"#);
    http(&server, "POST", &path, &[PROJECT], Some(body)).await;
    assert_eq!(bob_again.next().await["data"]["payload"]["$id"], "verified");

    // Team roles arrive through membership changes on open sockets.
    let team = http(
        &server,
        "POST",
        "/v1/teams",
        &[PROJECT],
        Some(json!({"teamId": "t1", "name": "Team"})),
    )
    .await;
    assert_eq!(team.status, 201);
    let membership = http(
        &server,
        "POST",
        "/v1/teams/t1/memberships",
        &[PROJECT],
        Some(json!({"userId": "alice", "roles": ["editor"]})),
    )
    .await;
    assert_eq!(membership.status, 201, "{}", membership.body);
    let (path, body) = post("team", r#"read("team:t1/editor")"#);
    http(&server, "POST", &path, &[PROJECT], Some(body)).await;
    assert_eq!(alice_ws.next().await["data"]["payload"]["$id"], "team");
    bob_ws.expect_silence(Duration::from_millis(150)).await;
}

#[tokio::test]
async fn queries_filter_events_with_type_strictness() {
    let server = start_default().await;
    let (mut client, _) = connect(&server, "project=demo", &[]).await;
    let equal_int = json!({"method": "equal", "attribute": "n", "values": [5]}).to_string();
    let greater = json!({"method": "greaterThan", "attribute": "n", "values": ["4"]}).to_string();
    let is_null = json!({"method": "isNull", "attribute": "gone"}).to_string();
    let ack = client
        .subscribe(json!([
            {"subscriptionId": "int", "channels": ["documents"], "queries": [equal_int]},
            {"subscriptionId": "gt", "channels": ["documents"], "queries": [greater]},
            {"subscriptionId": "null", "channels": ["documents"], "queries": [is_null]},
        ]))
        .await;
    assert_eq!(
        ack["data"]["subscriptions"][2]["queries"][0],
        r#"{"method":"isNull","attribute":"gone","values":[]}"#
    );
    let write = |id: &str, raw_data: &str| {
        format!(r#"{{"documentId":"{id}","data":{raw_data},"permissions":["read(\"any\")"]}}"#)
    };
    for (id, raw, expected) in [
        ("a", r#"{"n":5}"#, vec!["int", "gt"]),
        ("b", r#"{"n":5.0}"#, vec!["gt"]),
        ("c", r#"{"n":"5","gone":null}"#, vec!["gt", "null"]),
    ] {
        let body: Value = serde_json::from_str(&write(id, raw)).expect("test body");
        assert_eq!(
            http(
                &server,
                "POST",
                "/v1/databases/q/collections/c/documents",
                &[PROJECT],
                Some(body)
            )
            .await
            .status,
            201
        );
        let event = client.next().await;
        assert_eq!(event["data"]["subscriptions"], json!(expected), "doc {id}");
    }
    let body: Value = serde_json::from_str(&write("d", r#"{"n":1}"#)).expect("test body");
    http(
        &server,
        "POST",
        "/v1/databases/q/collections/c/documents",
        &[PROJECT],
        Some(body),
    )
    .await;
    client.expect_silence(SHORT).await;
}

#[tokio::test]
async fn additive_resubscribe_keeps_old_channels() {
    let server = start_default().await;
    let (mut client, _) = connect(&server, "project=demo", &[]).await;
    client
        .subscribe(json!([{"subscriptionId": "s", "channels": ["files"]}]))
        .await;
    client
        .subscribe(json!([{"subscriptionId": "s", "channels": ["documents"]}]))
        .await;
    let file = http(
        &server,
        "POST",
        "/v1/storage/buckets/b1/files",
        &[PROJECT],
        Some(json!({"fileId": "f1", "name": "a.txt", "permissions": [r#"read("any")"#]})),
    )
    .await;
    assert_eq!(file.status, 201);
    let event = client.next().await;
    assert_eq!(event["data"]["channels"][0], "files");
    assert_eq!(event["data"]["subscriptions"], json!(["s"]));
}

#[tokio::test]
async fn auth_paths_cookie_header_inband_jwt() {
    let server = start_default().await;
    let (user, token) = user_with_session(&server, "carol").await;
    let (_, via_header) = connect(&server, "project=demo", &[("X-Appwrite-Session", &token)]).await;
    assert_eq!(via_header["data"]["user"]["$id"], user);
    let legacy = format!("a_session_demo_legacy={token}");
    let (_, via_legacy) = connect(&server, "project=demo", &[("Cookie", &legacy)]).await;
    assert_eq!(via_legacy["data"]["user"]["$id"], user);

    // In-band authentication rewrites account.<action> to account.<uid>.<action>.
    let (mut client, _) = connect(&server, "project=demo", &[]).await;
    client
        .subscribe(json!([{"subscriptionId": "acc", "channels": ["account.update"]}]))
        .await;
    client
        .send_json(json!({"type": "authentication", "data": {"session": token}}))
        .await;
    let response = client.next().await;
    assert_eq!(response["data"]["to"], "authentication");
    assert_eq!(response["data"]["success"], true);
    assert_eq!(response["data"]["user"]["$id"], user);
    let cookie = format!("a_session_demo={token}");
    let renamed = http(
        &server,
        "PATCH",
        "/v1/account/name",
        &[PROJECT, ("Cookie", &cookie)],
        Some(json!({"name": "Carol"})),
    )
    .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    let event = client.next().await;
    assert_eq!(event["data"]["events"][2], "users.carol.update.name");
    assert_eq!(
        event["data"]["channels"],
        json!([
            "account",
            "account.carol",
            "account.update",
            "account.carol.update"
        ])
    );
    assert_eq!(event["data"]["subscriptions"], json!(["acc"]));

    // JWT in the URL.
    let jwt = http(
        &server,
        "POST",
        "/v1/account/jwts",
        &[PROJECT, ("Cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(jwt.status, 201);
    let jwt = jwt.body["jwt"].as_str().expect("jwt").to_string();
    let (_, via_jwt) = connect(&server, &format!("project=demo&jwt={jwt}"), &[]).await;
    assert_eq!(via_jwt["data"]["user"]["$id"], user);

    let mut both = open(
        &server,
        &format!("project=demo&jwt={jwt}"),
        &[("Cookie", &cookie)],
    )
    .await;
    let error = both.next().await;
    assert_eq!(error["data"]["code"], 403);
    both.expect_tcp_drop().await;

    let mut bad = open(&server, "project=demo&jwt=nope", &[]).await;
    assert_eq!(
        bad.next().await["data"],
        json!({"code": 401, "message": "Failed to verify JWT. Invalid token"})
    );
    bad.expect_tcp_drop().await;
}

#[tokio::test]
async fn session_events_use_account_channels_without_action() {
    let server = start_default().await;
    let (user, token) = user_with_session(&server, "dave").await;
    let cookie = format!("a_session_demo={token}");
    let (mut client, _) = connect(&server, "project=demo", &[("Cookie", &cookie)]).await;
    let ack = client
        .subscribe(json!([{"subscriptionId": "a", "channels": ["account"]}]))
        .await;
    assert_eq!(
        ack["data"]["subscriptions"][0]["channels"],
        json!(["account", format!("account.{user}")])
    );
    let session = http(
        &server,
        "POST",
        "/v1/account/sessions/email",
        &[PROJECT],
        Some(json!({"email": "dave@example.com", "password": "password123"})),
    )
    .await;
    assert_eq!(session.status, 201);
    assert_eq!(session.body["secret"].as_str().map(str::len), Some(64));
    let event = client.next().await;
    assert_eq!(
        event["data"]["channels"],
        json!(["account", "account.dave"])
    );
    assert!(event["data"]["events"][0]
        .as_str()
        .is_some_and(|name| name.starts_with("users.dave.sessions.")));
}

#[tokio::test]
async fn presence_upsert_and_delete_on_close() {
    let server = start_default().await;
    let (_, token) = user_with_session(&server, "erin").await;
    let cookie = format!("a_session_demo={token}");
    let (mut watcher, _) = connect(&server, "project=demo", &[("Cookie", &cookie)]).await;
    watcher
        .subscribe(json!([{"subscriptionId": "p", "channels": ["presences"]}]))
        .await;
    let (mut present, _) = connect(&server, "project=demo", &[("Cookie", &cookie)]).await;
    present.send_json(json!({"type": "presence", "data": {"status": "online", "presenceId": "pres1", "metadata": {"x": 1}}})).await;
    let response = present.next().await;
    assert_eq!(response["data"]["to"], "presence");
    assert!(response["data"].get("success").is_none());
    assert_eq!(response["data"]["presence"]["$id"], "pres1");
    let upsert = watcher.next().await;
    assert_eq!(upsert["data"]["events"][0], "presences.pres1.upsert");
    assert_eq!(
        upsert["data"]["channels"],
        json!([
            "presences",
            "presences.pres1",
            "presences.upsert",
            "presences.pres1.upsert"
        ])
    );
    present.socket.close(None).await.expect("client close");
    let delete = watcher.next().await;
    assert_eq!(delete["data"]["events"][0], "presences.pres1.delete");
}

#[tokio::test]
async fn url_mode_slot_maps_and_errors() {
    let server = start_default().await;
    let (_, dense) = connect(
        &server,
        "project=demo&channels[]=files&channels[]=documents",
        &[],
    )
    .await;
    assert_eq!(dense["data"]["channels"], json!(["files", "documents"]));
    assert!(dense["data"]["subscriptions"]
        .as_array()
        .is_some_and(|slots| slots.len() == 1));

    let query = r#"{"method":"equal","attribute":"a","values":[1]}"#;
    let encoded: String = query.bytes().map(|byte| format!("%{byte:02X}")).collect();
    let (_, sparse) = connect(
        &server,
        &format!("project=demo&channels[]=files&files[1][]={encoded}&files[3][]={encoded}"),
        &[],
    )
    .await;
    let slots = sparse["data"]["subscriptions"]
        .as_object()
        .expect("sparse slots are an object");
    assert_eq!(slots.keys().collect::<Vec<_>>(), vec!["1", "3"]);

    let bad: String =
        r#"{"method":"limit","values":[1]}"#.bytes().map(|byte| format!("%{byte:02X}")).collect();
    let mut client = open(
        &server,
        &format!("project=demo&channels[]=files&files[0][]={bad}"),
        &[],
    )
    .await;
    let error = client.next().await;
    assert_eq!(error["data"]["code"], 1008);
    assert!(error["data"]["message"]
        .as_str()
        .is_some_and(|text| text.starts_with("Query method 'limit' is not supported")));
    client.expect_tcp_drop().await;
}

#[tokio::test]
async fn production_sanitises_and_rate_limits() {
    let server = start(Config {
        production: true,
        rate_limits: true,
        ..Config::default()
    })
    .await;
    let (mut client, _) = connect(&server, "project=demo", &[]).await;
    client.send("garbage").await;
    assert_eq!(
        client.next().await["data"],
        json!({"code": 1003, "message": "Error: Server Error"})
    );
    client
        .send(r#"{"type":"presence","data":{"status":"x"}}"#)
        .await;
    assert_eq!(
        client.next().await["data"],
        json!({"code": 401, "message": "User must be authorized"})
    );
    // 32 messages per wall-clock minute; two are used. A window boundary may reset the
    // count mid-test, so only require that a 1013 appears within 31 + 32 + 1 frames.
    let mut limited = None;
    for _ in 0..65 {
        client.send(r#"{"type":"ping"}"#).await;
        let frame = client.next().await;
        if frame["type"] == "error" {
            limited = Some(frame);
            break;
        }
    }
    assert_eq!(
        limited.expect("a 1013 error")["data"],
        json!({"code": 1013, "message": "Error: Server Error"})
    );
    let mut unknown = open(&server, "project=nope", &[]).await;
    assert_eq!(
        unknown.next().await["data"]["message"],
        "Missing or unknown project ID"
    );
}

#[tokio::test]
async fn oversized_frames_drop_the_connection() {
    let server = start_default().await;
    let (mut client, _) = connect(&server, "project=demo", &[]).await;
    let huge = format!(r#"{{"type":"ping","data":"{}"}}"#, "x".repeat(70_000));
    let _ = futures_util::SinkExt::send(
        &mut client.socket,
        tokio_tungstenite::tungstenite::Message::Text(huge.into()),
    )
    .await;
    client.expect_tcp_drop().await;
}

#[tokio::test]
async fn old_server_versions() {
    let old = start(Config {
        server_version: ServerVersion::V1_9_0,
        ..Config::default()
    })
    .await;
    let mut client = open(&old, "project=demo", &[]).await;
    assert_eq!(
        client.next().await["data"],
        json!({"code": 1008, "message": "Missing channels"})
    );
    client.expect_tcp_drop().await;
    let (mut client, connected) = connect(&old, "project=demo&channels[]=files", &[]).await;
    assert!(connected["data"]["subscriptions"].is_array());
    client.send(r#"{"type":"subscribe","data":[]}"#).await;
    assert_eq!(
        client.next().await["data"]["message"],
        "Message type is not valid."
    );

    let ancient = start(Config {
        server_version: ServerVersion::V1_8,
        ..Config::default()
    })
    .await;
    let (mut client, connected) = connect(&ancient, "project=demo&channels[]=files", &[]).await;
    assert!(connected["data"].get("subscriptions").is_none());
    http(
        &ancient,
        "POST",
        "/v1/storage/buckets/b/files",
        &[PROJECT],
        Some(json!({"fileId": "f", "permissions": [r#"read("any")"#]})),
    )
    .await;
    let event = client.next().await;
    assert!(event["data"].get("subscriptions").is_none());
}

#[tokio::test]
async fn auth_quirk_loses_project_context() {
    let server = start(Config {
        auth_without_subscriptions_quirk: true,
        ..Config::default()
    })
    .await;
    let (_, token) = user_with_session(&server, "fred").await;
    let (mut client, _) = connect(&server, "project=demo", &[]).await;
    client
        .send_json(json!({"type": "authentication", "data": {"session": token}}))
        .await;
    assert_eq!(client.next().await["data"]["success"], true);
    client
        .send_json(json!({"type": "subscribe", "data": [{"channels": ["files"]}]}))
        .await;
    assert_eq!(
        client.next().await["data"],
        json!({"code": 1008, "message": "Missing project context. Reconnect to the project first."})
    );
    client.expect_tcp_drop().await;
}

#[tokio::test]
async fn executions_and_memberships_channels() {
    let server = start_default().await;
    let (user, token) = user_with_session(&server, "gina").await;
    let cookie = format!("a_session_demo={token}");
    let (mut client, _) = connect(&server, "project=demo", &[("Cookie", &cookie)]).await;
    client
        .subscribe(
            json!([{"subscriptionId": "e", "channels": ["executions", "memberships", "teams"]}]),
        )
        .await;
    let execution = http(
        &server,
        "POST",
        "/v1/functions/fn1/executions",
        &[PROJECT, ("Cookie", &cookie)],
        Some(json!({})),
    )
    .await;
    assert_eq!(execution.status, 201);
    let event = client.next().await;
    assert_eq!(event["data"]["channels"][0], "console");
    assert_eq!(event["data"]["channels"][1], "projects.demo");
    let team = http(
        &server,
        "POST",
        "/v1/teams",
        &[PROJECT, ("Cookie", &cookie)],
        Some(json!({"teamId": "t9", "name": "T"})),
    )
    .await;
    assert_eq!(team.status, 201);
    // The creator's roles are refreshed before delivery, so the team event arrives.
    assert_eq!(client.next().await["data"]["events"][0], "teams.t9.create");
    let membership_id = http(
        &server,
        "POST",
        "/v1/teams",
        &[PROJECT],
        Some(json!({"teamId": "t10", "name": "T"})),
    )
    .await;
    assert_eq!(membership_id.status, 201);
    let membership = http(
        &server,
        "POST",
        "/v1/teams/t10/memberships",
        &[PROJECT],
        Some(json!({"userId": user, "roles": []})),
    )
    .await;
    let id = membership.body["$id"]
        .as_str()
        .expect("membership id")
        .to_string();
    assert_eq!(
        client.next().await["data"]["channels"],
        json!([
            "memberships",
            format!("memberships.{id}"),
            "memberships.create",
            format!("memberships.{id}.create")
        ])
    );
    let status = http(
        &server,
        "PATCH",
        &format!("/v1/teams/t10/memberships/{id}/status"),
        &[PROJECT],
        Some(json!({})),
    )
    .await;
    assert_eq!(status.status, 200);
    assert_eq!(
        client.next().await["data"]["events"][0],
        format!("teams.t10.memberships.{id}.update.status")
    );
}

#[tokio::test]
async fn control_surface() {
    let server = start(Config {
        control: true,
        ..Config::default()
    })
    .await;
    let (mut client, _) = connect(&server, "project=demo", &[]).await;
    client.subscribe(json!([{"subscriptionId": "s", "channels": ["custom"], "queries": [r#"{"method":"equal","attribute":"k","values":[1]}"#]}])).await;
    let listed = http(&server, "GET", "/_emulator/connections", &[], None).await;
    assert_eq!(listed.body["total"], 1);
    assert_eq!(
        listed.body["connections"][0]["subscriptions"][0]["channels"],
        json!(["custom"])
    );
    assert_eq!(listed.body["connections"][0]["roles"], json!(["guests"]));

    let published = http(&server, "POST", "/_emulator/publish", &[], Some(json!({"project": "demo", "events": ["x"], "channels": ["custom"], "roles": ["any"], "payload": {"k": 1}}))).await;
    assert_eq!(published.body["delivered"], 1);
    assert_eq!(client.next().await["data"]["events"], json!(["x"]));

    http(
        &server,
        "POST",
        "/_emulator/send",
        &[],
        Some(json!({"frame": "{\"type\":\"raw\"}"})),
    )
    .await;
    assert_eq!(client.next_text().await, r#"{"type":"raw"}"#);

    http(&server, "POST", "/_emulator/silence", &[], Some(json!({}))).await;
    client.send(r#"{"type":"ping"}"#).await;
    client.expect_silence(SHORT).await;
    http(&server, "POST", "/_emulator/resume", &[], None).await;
    client.send(r#"{"type":"ping"}"#).await;
    assert_eq!(client.next().await["type"], "pong");

    let refused = http(
        &server,
        "POST",
        "/_emulator/refuse",
        &[],
        Some(json!({"ms": 60_000})),
    )
    .await;
    assert_eq!(refused.status, 200);
    let attempt = tokio_tungstenite::connect_async(format!(
        "ws://{}/v1/realtime?project=demo",
        server.address
    ))
    .await;
    assert!(attempt.is_err(), "handshake refused");

    let dropped = http(&server, "POST", "/_emulator/drop", &[], None).await;
    assert_eq!(dropped.body["affected"], 1);
    client.expect_tcp_drop().await;

    let reset = http(&server, "POST", "/_emulator/reset", &[], None).await;
    assert_eq!(reset.body["reset"], true);
}

#[tokio::test]
async fn rest_shapes_and_cors() {
    let server = start(Config {
        seed_demo: true,
        ..Config::default()
    })
    .await;
    let listed = http(
        &server,
        "GET",
        "/v1/databases/main/collections/posts/documents",
        &[PROJECT],
        None,
    )
    .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["total"], 3);
    let login = http(
        &server,
        "POST",
        "/v1/account/sessions/email",
        &[PROJECT],
        Some(json!({"email": "demo@example.com", "password": "password123"})),
    )
    .await;
    assert_eq!(login.status, 201);
    let missing = http(
        &server,
        "GET",
        "/v1/databases/main/collections/posts/documents/none",
        &[PROJECT],
        None,
    )
    .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["type"], "document_not_found");
    let guest = http(&server, "GET", "/v1/account", &[PROJECT], None).await;
    assert_eq!(guest.status, 401);
    let preflight = http(
        &server,
        "OPTIONS",
        "/v1/account",
        &[
            ("Origin", "http://localhost:5173"),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "x-appwrite-project,content-type",
            ),
        ],
        None,
    )
    .await;
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert_eq!(
        preflight.header("access-control-allow-credentials"),
        Some("true")
    );
    let upsert = http(
        &server,
        "PUT",
        "/v1/databases/main/collections/posts/documents/new",
        &[PROJECT],
        Some(json!({"data": {"a": 1}})),
    )
    .await;
    assert_eq!(upsert.status, 200);
    let unique = http(
        &server,
        "POST",
        "/v1/databases/main/collections/posts/documents",
        &[PROJECT],
        Some(json!({"documentId": "unique()", "data": {}})),
    )
    .await;
    assert_eq!(unique.body["$id"].as_str().map(str::len), Some(20));
    assert_eq!(
        http(
            &server,
            "DELETE",
            "/v1/databases/main/collections/posts/documents/new",
            &[PROJECT],
            None
        )
        .await
        .status,
        204
    );
}

#[tokio::test]
async fn origin_check_when_enabled() {
    let server = start(Config {
        allowed_origins: Some(vec!["localhost".into()]),
        ..Config::default()
    })
    .await;
    let (_, ok) = connect(
        &server,
        "project=demo",
        &[("Origin", "http://localhost:3000")],
    )
    .await;
    assert_eq!(ok["type"], "connected");
    let mut refused = open(&server, "project=demo", &[("Origin", "http://evil.test")]).await;
    let error = refused.next().await;
    assert_eq!(error["data"]["code"], 1008);
    assert!(error["data"]["message"]
        .as_str()
        .is_some_and(|text| text.starts_with("Invalid Origin.")));
    refused.expect_tcp_drop().await;
}

/// The official web SDK uploads with `multipart/form-data` (`fileId`, `file`, `permissions[]`).
#[tokio::test]
async fn multipart_file_upload_as_the_web_sdk_sends_it() {
    let server = start_default().await;
    let (mut client, _) = connect(&server, "project=demo", &[]).await;
    client
        .subscribe(json!([{"subscriptionId": "s", "channels": ["buckets.b1.files"]}]))
        .await;
    let form = "------WebKitFormBoundaryQ\r\n\
        Content-Disposition: form-data; name=\"fileId\"\r\n\r\n\
        f1\r\n\
        ------WebKitFormBoundaryQ\r\n\
        Content-Disposition: form-data; name=\"file\"; filename=\"hello.txt\"\r\n\
        Content-Type: text/plain\r\n\r\n\
        hello\r\n\
        ------WebKitFormBoundaryQ\r\n\
        Content-Disposition: form-data; name=\"permissions[]\"\r\n\r\n\
        read(\"any\")\r\n\
        ------WebKitFormBoundaryQ--\r\n";
    let content_type = "multipart/form-data; boundary=----WebKitFormBoundaryQ";
    let path = "/v1/storage/buckets/b1/files";
    let created = http_with_body(&server, "POST", path, &[PROJECT], Some(content_type), form).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["$id"], "f1");
    assert_eq!(created.body["name"], "hello.txt");
    assert_eq!(created.body["mimeType"], "text/plain");
    assert_eq!(created.body["sizeOriginal"], 5);
    assert_eq!(created.body["$permissions"], json!(["read(\"any\")"]));
    let event = client.next().await;
    assert_eq!(event["data"]["events"][0], "buckets.b1.files.f1.create");
    assert_eq!(event["data"]["payload"], created.body);

    let without_file =
        "------B\r\nContent-Disposition: form-data; name=\"fileId\"\r\n\r\nf2\r\n------B--\r\n";
    let empty = http_with_body(
        &server,
        "POST",
        path,
        &[PROJECT],
        Some("multipart/form-data; boundary=----B"),
        without_file,
    )
    .await;
    assert_eq!(empty.status, 400);
    assert_eq!(empty.body["type"], "storage_file_empty");
    let malformed = http_with_body(
        &server,
        "POST",
        path,
        &[PROJECT],
        Some("multipart/form-data; boundary=----B"),
        "not multipart",
    )
    .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.body["type"], "general_argument_invalid");
}

/// Headers the web SDK adds after `setLocale`, `setImpersonateUserId` and for chunked uploads
/// must pass a cross-origin preflight, and both session headers must be readable.
#[tokio::test]
async fn preflight_allows_every_header_the_web_sdk_sends() {
    let server = start_default().await;
    let requested = "content-type,x-appwrite-project,x-appwrite-locale,x-appwrite-response-format,\
        x-sdk-name,x-sdk-platform,x-sdk-language,x-sdk-version,x-fallback-cookies,x-appwrite-jwt,\
        x-appwrite-session,x-appwrite-impersonate-user-id,x-appwrite-id,content-range";
    let preflight = http(
        &server,
        "OPTIONS",
        "/v1/storage/buckets/b/files",
        &[
            ("Origin", "http://localhost:5173"),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", requested),
        ],
        None,
    )
    .await;
    assert_eq!(preflight.status, 200);
    let allowed = preflight
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for header in requested.split(',') {
        assert!(
            allowed.split(',').any(|item| item.trim() == header),
            "{header} is not allowed: {allowed}"
        );
    }
    let login = http(
        &server,
        "POST",
        "/v1/account/sessions/email",
        &[PROJECT, ("Origin", "http://localhost:5173")],
        Some(json!({"email": "nobody@example.com", "password": "wrong"})),
    )
    .await;
    assert_eq!(
        login.header("access-control-expose-headers"),
        Some("x-appwrite-session,x-fallback-cookies")
    );
}
