//! Issue 12: account routes and their events, execution lifecycles, and REST permissions.
mod common;

use appwrite_realtime_emulator::Config;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const SHORT: Duration = Duration::from_millis(300);

fn cookie_of(token: &str) -> String {
    format!("a_session_demo={token}")
}

/// A signed-in socket subscribed to `account` as subscription `acc`.
async fn account_socket(server: &Server, token: &str) -> Client {
    let cookie = cookie_of(token);
    let (mut client, _) = connect(server, "project=demo", &[("Cookie", &cookie)]).await;
    client
        .subscribe(json!([{"subscriptionId": "acc", "channels": ["account"]}]))
        .await;
    client
}

fn account_channels(user: &str, action: &str) -> Value {
    json!([
        "account",
        format!("account.{user}"),
        format!("account.{action}"),
        format!("account.{user}.{action}")
    ])
}

/// Asserts an account attribute event: `users.U.update` first, the attribute second.
fn assert_update_event(event: &Value, user: &str, attribute: &str) {
    assert_eq!(event["type"], "event", "{event}");
    let data = &event["data"];
    assert_eq!(
        data["events"],
        json!([
            format!("users.{user}.update"),
            "users.*.update",
            format!("users.{user}.update.{attribute}"),
            format!("users.*.update.{attribute}"),
            format!("users.{user}"),
            "users.*"
        ])
    );
    assert_eq!(data["channels"], account_channels(user, "update"));
    assert_eq!(data["subscriptions"], json!(["acc"]));
    assert_eq!(data["payload"]["$id"], user);
    assert!(data["payload"].get("password").is_none(), "no secrets");
}

#[tokio::test]
async fn account_email_password_and_prefs_events_reach_only_the_users_sockets() {
    let server = start_default().await;
    let (user, token) = user_with_session(&server, "erin").await;
    let (_, other_token) = user_with_session(&server, "frank").await;
    let mut mine = account_socket(&server, &token).await;
    let mut other = account_socket(&server, &other_token).await;
    let cookie = cookie_of(&token);
    let headers = [PROJECT, ("Cookie", cookie.as_str())];

    let wrong = http(
        &server,
        "PATCH",
        "/v1/account/email",
        &headers,
        Some(json!({"email": "new@example.com", "password": "nope"})),
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.body["type"], "user_invalid_credentials");
    let taken = http(
        &server,
        "PATCH",
        "/v1/account/email",
        &headers,
        Some(json!({"email": "frank@example.com", "password": "password123"})),
    )
    .await;
    assert_eq!(taken.status, 409);
    assert_eq!(taken.body["type"], "user_target_already_exists");

    let email = http(
        &server,
        "PATCH",
        "/v1/account/email",
        &headers,
        Some(json!({"email": "erin.new@example.com", "password": "password123"})),
    )
    .await;
    assert_eq!(email.status, 200, "{}", email.body);
    assert_eq!(email.body["email"], "erin.new@example.com");
    let event = mine.next().await;
    assert_update_event(&event, &user, "email");
    assert_eq!(event["data"]["payload"]["email"], "erin.new@example.com");
    assert_eq!(
        event["data"]["payload"], email.body,
        "payload is the response"
    );

    let short = http(
        &server,
        "PATCH",
        "/v1/account/password",
        &headers,
        Some(json!({"password": "short", "oldPassword": "password123"})),
    )
    .await;
    assert_eq!(short.status, 400);
    let bad_old = http(
        &server,
        "PATCH",
        "/v1/account/password",
        &headers,
        Some(json!({"password": "new-password-1", "oldPassword": "wrong"})),
    )
    .await;
    assert_eq!(bad_old.status, 401);
    assert_eq!(bad_old.body["type"], "user_invalid_credentials");
    let password = http(
        &server,
        "PATCH",
        "/v1/account/password",
        &headers,
        Some(json!({"password": "new-password-1", "oldPassword": "password123"})),
    )
    .await;
    assert_eq!(password.status, 200, "{}", password.body);
    assert_update_event(&mine.next().await, &user, "password");
    // The new password signs in; the old one does not.
    let login = |password: &'static str| {
        let server = &server;
        async move {
            http(
                server,
                "POST",
                "/v1/account/sessions/email",
                &[PROJECT],
                Some(json!({"email": "erin.new@example.com", "password": password})),
            )
            .await
            .status
        }
    };
    assert_eq!(login("password123").await, 401);
    assert_eq!(login("new-password-1").await, 201);
    // The sign-in emits a session event on the account channel (no action sibling).
    let session_event = mine.next().await;
    assert_eq!(
        session_event["data"]["channels"],
        json!(["account", format!("account.{user}")])
    );

    let prefs = http(
        &server,
        "PATCH",
        "/v1/account/prefs",
        &headers,
        Some(json!({"prefs": {"theme": "dark", "n": 2}})),
    )
    .await;
    assert_eq!(prefs.status, 200, "{}", prefs.body);
    let event = mine.next().await;
    assert_update_event(&event, &user, "prefs");
    assert_eq!(
        event["data"]["payload"]["prefs"],
        json!({"theme": "dark", "n": 2})
    );
    let read_back = http(&server, "GET", "/v1/account/prefs", &headers, None).await;
    assert_eq!(read_back.body, json!({"theme": "dark", "n": 2}));

    // Guests cannot change an account.
    let guest = http(
        &server,
        "PATCH",
        "/v1/account/prefs",
        &[PROJECT],
        Some(json!({"prefs": {}})),
    )
    .await;
    assert_eq!(guest.status, 401);

    other.expect_silence(SHORT).await;
}

#[tokio::test]
async fn blocking_an_account_sends_the_status_event_then_ends_its_sockets() {
    let server = start_default().await;
    let (user, token) = user_with_session(&server, "gwen").await;
    let mut first = account_socket(&server, &token).await;
    let mut second = account_socket(&server, &token).await;
    let (mut guest, _) = connect(&server, "project=demo", &[]).await;
    guest
        .subscribe(json!([{"subscriptionId": "g", "channels": ["account"]}]))
        .await;
    let cookie = cookie_of(&token);

    let blocked = http(
        &server,
        "PATCH",
        "/v1/account/status",
        &[PROJECT, ("Cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(blocked.status, 200, "{}", blocked.body);
    assert_eq!(blocked.body["status"], false);
    let cleared: Vec<&str> = blocked
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, value)| value.as_str())
        .collect();
    for name in ["a_session_demo=;", "a_session_demo_legacy=;"] {
        assert!(
            cleared
                .iter()
                .any(|cookie| cookie.starts_with(name) && cookie.contains("Max-Age=0")),
            "{name} cleared: {cleared:?}"
        );
    }
    assert_eq!(blocked.header("x-fallback-cookies"), Some("[]"));

    for socket in [&mut first, &mut second] {
        let event = socket.next().await;
        assert_update_event(&event, &user, "status");
        assert_eq!(event["data"]["payload"]["status"], false);
        socket.expect_tcp_drop().await;
    }
    guest.expect_silence(SHORT).await;

    // The session still exists, but every call made with it is refused, and so is sign-in.
    let me = http(
        &server,
        "GET",
        "/v1/account",
        &[PROJECT, ("Cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(me.status, 401);
    assert_eq!(me.body["type"], "user_blocked");
    let login = http(
        &server,
        "POST",
        "/v1/account/sessions/email",
        &[PROJECT],
        Some(json!({"email": "gwen@example.com", "password": "password123"})),
    )
    .await;
    assert_eq!(login.status, 401);
    assert_eq!(login.body["type"], "user_blocked");
    assert!(login.body["message"]
        .as_str()
        .is_some_and(|text| text.starts_with("The current user has been blocked.")));
    // A socket opened with the old cookie is a guest's.
    let (_, connected) = connect(&server, "project=demo", &[("Cookie", &cookie)]).await;
    assert_eq!(connected["data"]["user"], Value::Null);
}

#[tokio::test]
async fn deleting_a_user_emits_users_delete_on_its_account_channels() {
    let server = start_default().await;
    let (user, token) = user_with_session(&server, "hank").await;
    let mut socket = account_socket(&server, &token).await;
    let deleted = http(&server, "DELETE", "/v1/users/hank", &[PROJECT], None).await;
    assert_eq!(deleted.status, 204);
    let event = socket.next().await;
    assert_eq!(
        event["data"]["events"],
        json!([
            format!("users.{user}.delete"),
            "users.*.delete",
            format!("users.{user}"),
            "users.*"
        ])
    );
    assert_eq!(event["data"]["channels"], account_channels(&user, "delete"));
    assert_eq!(event["data"]["payload"]["$id"], user);
    assert_eq!(event["data"]["payload"]["email"], "hank@example.com");

    let cookie = cookie_of(&token);
    let me = http(
        &server,
        "GET",
        "/v1/account",
        &[PROJECT, ("Cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(me.status, 401, "the sessions went with the user");
    let again = http(&server, "DELETE", "/v1/users/hank", &[PROJECT], None).await;
    assert_eq!(again.status, 404);
    assert_eq!(again.body["type"], "user_not_found");
}

async fn execution_socket(server: &Server, token: &str) -> Client {
    let cookie = cookie_of(token);
    let (mut client, _) = connect(server, "project=demo", &[("Cookie", &cookie)]).await;
    client
        .subscribe(json!([{"subscriptionId": "x", "channels": ["functions.fn"]}]))
        .await;
    client
}

#[tokio::test]
async fn synchronous_execution_answers_completed_and_emits_one_create_event() {
    let server = start_default().await;
    let (user, token) = user_with_session(&server, "ivy").await;
    let mut socket = execution_socket(&server, &token).await;
    let cookie = cookie_of(&token);
    let headers = [PROJECT, ("Cookie", cookie.as_str())];
    let answer = http(
        &server,
        "POST",
        "/v1/functions/fn/executions",
        &headers,
        Some(json!({"body": "hello", "method": "GET", "path": "/ping"})),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let execution = &answer.body;
    let id = execution["$id"].as_str().expect("execution id").to_string();
    assert_eq!(execution["status"], "completed");
    assert_eq!(execution["responseStatusCode"], 200);
    assert_eq!(execution["responseBody"], "hello");
    assert_eq!(execution["requestMethod"], "GET");
    assert_eq!(execution["requestPath"], "/ping");
    assert_eq!(execution["trigger"], "http");
    assert!(execution["duration"].as_f64().is_some_and(|d| d > 0.0));
    assert_eq!(
        execution["$permissions"],
        json!([format!("read(\"user:{user}\")")])
    );

    // The route's event was queued before the answer: the frame is already there, and it
    // is the only one (Appwrite's synchronous path publishes no update events).
    let create = socket.next().await;
    assert_eq!(
        create["data"]["events"][0],
        format!("functions.fn.executions.{id}.create")
    );
    assert_eq!(&create["data"]["payload"], execution);
    assert!(create["data"]["channels"]
        .as_array()
        .is_some_and(|channels| channels.contains(&json!("functions.fn.create"))));
    socket.expect_silence(SHORT).await;

    // Appwrite stores the execution before it sets the response body.
    let stored = http(
        &server,
        "GET",
        &format!("/v1/functions/fn/executions/{id}"),
        &headers,
        None,
    )
    .await;
    assert_eq!(stored.status, 200);
    assert_eq!(stored.body["status"], "completed");
    assert_eq!(stored.body["responseBody"], "");
}

#[tokio::test]
async fn async_execution_answers_waiting_then_completes_with_an_update_event() {
    let server = start_default().await;
    let (_, token) = user_with_session(&server, "jack").await;
    let mut socket = execution_socket(&server, &token).await;
    let cookie = cookie_of(&token);
    let headers = [PROJECT, ("Cookie", cookie.as_str())];
    let answer = http(
        &server,
        "POST",
        "/v1/functions/fn/executions",
        &headers,
        Some(json!({"body": "later", "async": true})),
    )
    .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let id = answer.body["$id"].as_str().expect("id").to_string();
    assert_eq!(answer.body["status"], "waiting");
    assert_eq!(answer.body["responseBody"], "");
    assert_eq!(answer.body["responseStatusCode"], 0);
    assert_eq!(answer.body["duration"], 0.0);

    let create = socket.next().await;
    assert_eq!(
        create["data"]["events"][0],
        format!("functions.fn.executions.{id}.create")
    );
    assert_eq!(create["data"]["payload"], answer.body);
    // `processing` is a silent step: the next frame is the completion.
    let completed = socket.next().await;
    assert_eq!(
        completed["data"]["events"][0],
        format!("functions.fn.executions.{id}.update")
    );
    assert_eq!(
        completed["data"]["channels"],
        json!([
            "console",
            "projects.demo",
            "executions",
            format!("executions.{id}"),
            "functions.fn",
            "executions.update",
            format!("executions.{id}.update"),
            "functions.fn.update"
        ])
    );
    let payload = &completed["data"]["payload"];
    assert_eq!(payload["status"], "completed");
    assert_eq!(payload["responseStatusCode"], 200);
    assert_eq!(payload["responseBody"], "", "async executions keep no body");
    assert!(payload["duration"].as_f64().is_some_and(|d| d > 0.0));
    socket.expect_silence(SHORT).await;

    let polled = http(
        &server,
        "GET",
        &format!("/v1/functions/fn/executions/{id}"),
        &headers,
        None,
    )
    .await;
    assert_eq!(polled.status, 200);
    assert_eq!(&polled.body, payload);
    // Only its reader may poll it.
    let stranger = http(
        &server,
        "GET",
        &format!("/v1/functions/fn/executions/{id}"),
        &[PROJECT],
        None,
    )
    .await;
    assert_eq!(stranger.status, 404);
    assert_eq!(stranger.body["type"], "execution_not_found");
}

const DOCS: &str = "/v1/databases/db/collections/private/documents";

async fn private_collection(server: &Server, permissions: Value, document_security: bool) {
    let created = http(
        server,
        "POST",
        "/v1/databases/db/collections",
        &[PROJECT],
        Some(json!({"collectionId": "private", "name": "Private", "permissions": permissions, "documentSecurity": document_security})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
}

#[tokio::test]
async fn document_security_decides_who_reads_updates_and_deletes() {
    let server = start_default().await;
    private_collection(&server, json!(["create(\"users\")"]), true).await;
    let (alice, alice_token) = user_with_session(&server, "alice").await;
    let (_, bob_token) = user_with_session(&server, "bob").await;
    let alice_cookie = cookie_of(&alice_token);
    let bob_cookie = cookie_of(&bob_token);
    let as_alice = [PROJECT, ("Cookie", alice_cookie.as_str())];
    let as_bob = [PROJECT, ("Cookie", bob_cookie.as_str())];

    let (mut alice_socket, _) =
        connect(&server, "project=demo", &[("Cookie", &alice_cookie)]).await;
    alice_socket
        .subscribe(json!([{"subscriptionId": "a", "channels": ["documents"]}]))
        .await;
    let (mut bob_socket, _) = connect(&server, "project=demo", &[("Cookie", &bob_cookie)]).await;
    bob_socket
        .subscribe(json!([{"subscriptionId": "b", "channels": ["documents"]}]))
        .await;

    let guest = http(
        &server,
        "POST",
        DOCS,
        &[PROJECT],
        Some(json!({"documentId": "g", "data": {}})),
    )
    .await;
    assert_eq!(guest.status, 401);
    assert_eq!(guest.body["type"], "user_unauthorized");
    assert_eq!(
        guest.body["message"],
        "The current user is not authorized to perform the requested action."
    );

    // No permissions given: Appwrite grants the creator read, update and delete.
    let created = http(
        &server,
        "POST",
        DOCS,
        &as_alice,
        Some(json!({"documentId": "d1", "data": {"n": 1}})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        created.body["$permissions"],
        json!([
            format!("read(\"user:{alice}\")"),
            format!("update(\"user:{alice}\")"),
            format!("delete(\"user:{alice}\")")
        ])
    );
    assert_eq!(alice_socket.next().await["data"]["payload"]["$id"], "d1");
    bob_socket.expect_silence(SHORT).await;

    let hidden = http(&server, "GET", &format!("{DOCS}/d1"), &as_bob, None).await;
    assert_eq!(hidden.status, 404);
    assert_eq!(hidden.body["type"], "document_not_found");
    let listed = http(&server, "GET", DOCS, &as_bob, None).await;
    assert_eq!(listed.body["total"], 0);
    let update = http(
        &server,
        "PATCH",
        &format!("{DOCS}/d1"),
        &as_bob,
        Some(json!({"data": {"n": 2}})),
    )
    .await;
    assert_eq!(update.status, 401);
    assert_eq!(update.body["type"], "user_unauthorized");
    let delete = http(&server, "DELETE", &format!("{DOCS}/d1"), &as_bob, None).await;
    assert_eq!(delete.status, 401);

    let own = http(&server, "GET", &format!("{DOCS}/d1"), &as_alice, None).await;
    assert_eq!(own.status, 200);
    assert_eq!(
        http(&server, "GET", DOCS, &as_alice, None).await.body["total"],
        1
    );
    let update = http(
        &server,
        "PATCH",
        &format!("{DOCS}/d1"),
        &as_alice,
        Some(json!({"data": {"n": 2}})),
    )
    .await;
    assert_eq!(update.status, 200);
    assert_eq!(alice_socket.next().await["data"]["payload"]["n"], 2);
    // A signed-in client may grant only roles it holds itself.
    let foreign = http(
        &server,
        "PATCH",
        &format!("{DOCS}/d1"),
        &as_alice,
        Some(json!({"permissions": ["read(\"user:bob\")"]})),
    )
    .await;
    assert_eq!(foreign.status, 401);
    assert_eq!(foreign.body["type"], "user_unauthorized");
    assert_eq!(
        foreign.body["message"],
        format!("Permissions must be one of: (any, user:{alice}, users, user:{alice}/unverified, users/unverified)")
    );
    // Alice shares it with bob for reading only.
    let shared = http(
        &server,
        "PATCH",
        &format!("{DOCS}/d1"),
        &as_alice,
        Some(json!({"permissions": ["read(\"users\")", format!("update(\"user:{alice}\")"), format!("delete(\"user:{alice}\")")]})),
    )
    .await;
    assert_eq!(shared.status, 200);
    alice_socket.next().await;
    assert_eq!(
        bob_socket.next().await["data"]["events"][0],
        "databases.db.collections.private.documents.d1.update"
    );
    assert_eq!(
        http(&server, "GET", &format!("{DOCS}/d1"), &as_bob, None)
            .await
            .status,
        200
    );
    assert_eq!(
        http(&server, "DELETE", &format!("{DOCS}/d1"), &as_bob, None)
            .await
            .status,
        401
    );
    assert_eq!(
        http(&server, "DELETE", &format!("{DOCS}/d1"), &as_alice, None)
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn collection_permissions_without_document_security() {
    let server = start_default().await;
    private_collection(
        &server,
        json!(["read(\"users\")", "write(\"users\")"]),
        false,
    )
    .await;
    let (_, token) = user_with_session(&server, "kim").await;
    let cookie = cookie_of(&token);
    let as_kim = [PROJECT, ("Cookie", cookie.as_str())];
    let created = http(
        &server,
        "POST",
        DOCS,
        &as_kim,
        Some(json!({"documentId": "d", "data": {}, "permissions": []})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    // Collection read covers every document; guests have none, and no document security.
    assert_eq!(
        http(&server, "GET", &format!("{DOCS}/d"), &as_kim, None)
            .await
            .status,
        200
    );
    let guest_get = http(&server, "GET", &format!("{DOCS}/d"), &[PROJECT], None).await;
    assert_eq!(guest_get.status, 401);
    assert_eq!(guest_get.body["type"], "user_unauthorized");
    assert_eq!(
        http(&server, "GET", DOCS, &[PROJECT], None).await.status,
        401
    );
    // The same collection through TablesDB: rows follow the same rules.
    let row = http(
        &server,
        "PATCH",
        "/v1/tablesdb/db/tables/private/rows/d",
        &as_kim,
        Some(json!({"data": {"x": 1}})),
    )
    .await;
    assert_eq!(row.status, 200, "{}", row.body);
    let guest_row = http(
        &server,
        "DELETE",
        "/v1/tablesdb/db/tables/private/rows/d",
        &[PROJECT],
        None,
    )
    .await;
    assert_eq!(guest_row.status, 401);
}

#[tokio::test]
async fn file_security_and_bucket_permissions() {
    let server = start_default().await;
    let bucket = http(
        &server,
        "POST",
        "/v1/storage/buckets",
        &[PROJECT],
        Some(json!({"bucketId": "vault", "name": "Vault", "permissions": ["create(\"users\")"], "fileSecurity": true})),
    )
    .await;
    assert_eq!(bucket.status, 201, "{}", bucket.body);
    let (_, token) = user_with_session(&server, "lena").await;
    let cookie = cookie_of(&token);
    let as_lena = [PROJECT, ("Cookie", cookie.as_str())];
    let files = "/v1/storage/buckets/vault/files";
    let guest = http(
        &server,
        "POST",
        files,
        &[PROJECT],
        Some(json!({"fileId": "f", "name": "f.txt"})),
    )
    .await;
    assert_eq!(guest.status, 401);
    let created = http(
        &server,
        "POST",
        files,
        &as_lena,
        Some(json!({"fileId": "f", "name": "f.txt"})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let guest_get = http(&server, "GET", &format!("{files}/f"), &[PROJECT], None).await;
    assert_eq!(guest_get.status, 404);
    assert_eq!(guest_get.body["type"], "storage_file_not_found");
    assert_eq!(
        http(&server, "GET", files, &[PROJECT], None).await.body["total"],
        0
    );
    assert_eq!(
        http(&server, "DELETE", &format!("{files}/f"), &[PROJECT], None)
            .await
            .status,
        401
    );
    assert_eq!(
        http(&server, "GET", &format!("{files}/f"), &as_lena, None)
            .await
            .status,
        200
    );
    assert_eq!(
        http(&server, "DELETE", &format!("{files}/f"), &as_lena, None)
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn no_permissions_flag_keeps_rest_open_but_realtime_filtered() {
    let server = start(Config {
        no_permissions: true,
        ..Config::default()
    })
    .await;
    private_collection(&server, json!([]), false).await;
    let (mut guest_socket, _) = connect(&server, "project=demo", &[]).await;
    guest_socket
        .subscribe(json!([{"subscriptionId": "g", "channels": ["documents"]}]))
        .await;
    let created = http(
        &server,
        "POST",
        DOCS,
        &[PROJECT],
        Some(json!({"documentId": "d", "data": {}, "permissions": ["read(\"user:nobody\")"]})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        http(&server, "GET", &format!("{DOCS}/d"), &[PROJECT], None)
            .await
            .status,
        200
    );
    assert_eq!(
        http(&server, "DELETE", &format!("{DOCS}/d"), &[PROJECT], None)
            .await
            .status,
        204
    );
    // Realtime still follows read permissions: the guest saw none of it.
    guest_socket.expect_silence(SHORT).await;
}

#[tokio::test]
async fn auto_created_and_seeded_collections_stay_open_to_guests() {
    let server = start(Config {
        seed_demo: true,
        ..Config::default()
    })
    .await;
    for collection in [
        "/v1/databases/main/collections/posts/documents",
        "/v1/databases/tests/collections/fresh/documents",
    ] {
        let created = http(
            &server,
            "POST",
            collection,
            &[PROJECT],
            Some(json!({"documentId": "unique()", "data": {"t": 1}, "permissions": ["read(\"any\")"]})),
        )
        .await;
        assert_eq!(created.status, 201, "{}", created.body);
        let id = created.body["$id"].as_str().expect("id");
        let path = format!("{collection}/{id}");
        assert_eq!(
            http(&server, "GET", &path, &[PROJECT], None).await.status,
            200
        );
        let updated = http(
            &server,
            "PATCH",
            &path,
            &[PROJECT],
            Some(json!({"data": {"t": 2}})),
        )
        .await;
        assert_eq!(updated.status, 200);
        assert_eq!(
            http(&server, "DELETE", &path, &[PROJECT], None)
                .await
                .status,
            204
        );
    }
    let posts = http(
        &server,
        "GET",
        "/v1/databases/main/collections/posts/documents",
        &[PROJECT],
        None,
    )
    .await;
    assert_eq!(posts.body["total"], 3);
}

#[tokio::test]
async fn team_roles_decide_who_sees_and_manages_a_team() {
    let server = start_default().await;
    let (_, owner_token) = user_with_session(&server, "olga").await;
    let (member, member_token) = user_with_session(&server, "mia").await;
    let (_, outsider_token) = user_with_session(&server, "otto").await;
    let owner_cookie = cookie_of(&owner_token);
    let member_cookie = cookie_of(&member_token);
    let outsider_cookie = cookie_of(&outsider_token);
    let as_owner = [PROJECT, ("Cookie", owner_cookie.as_str())];
    let as_member = [PROJECT, ("Cookie", member_cookie.as_str())];
    let as_outsider = [PROJECT, ("Cookie", outsider_cookie.as_str())];

    let team = http(
        &server,
        "POST",
        "/v1/teams",
        &as_owner,
        Some(json!({"teamId": "crew", "name": "Crew"})),
    )
    .await;
    assert_eq!(team.status, 201, "{}", team.body);
    let membership = http(
        &server,
        "POST",
        "/v1/teams/crew/memberships",
        &as_owner,
        Some(json!({"userId": member, "roles": ["editor"]})),
    )
    .await;
    assert_eq!(membership.status, 201, "{}", membership.body);
    let membership_id = membership.body["$id"].as_str().expect("id").to_string();

    // Outsiders do not see the team at all.
    let hidden = http(&server, "GET", "/v1/teams/crew", &as_outsider, None).await;
    assert_eq!(hidden.status, 404);
    assert_eq!(hidden.body["type"], "team_not_found");
    // Members see it but may not rename it, invite, change roles or delete it.
    assert_eq!(
        http(&server, "GET", "/v1/teams/crew", &as_member, None)
            .await
            .status,
        200
    );
    let renamed = http(
        &server,
        "PUT",
        "/v1/teams/crew",
        &as_member,
        Some(json!({"name": "Mine"})),
    )
    .await;
    assert_eq!(renamed.status, 401);
    assert_eq!(renamed.body["type"], "user_unauthorized");
    let invite = http(
        &server,
        "POST",
        "/v1/teams/crew/memberships",
        &as_member,
        Some(json!({"userId": "otto", "roles": []})),
    )
    .await;
    assert_eq!(invite.status, 401);
    assert_eq!(
        invite.body["message"],
        "User is not allowed to send invitations for this team"
    );
    let promote = http(
        &server,
        "PATCH",
        &format!("/v1/teams/crew/memberships/{membership_id}"),
        &as_member,
        Some(json!({"roles": ["owner"]})),
    )
    .await;
    assert_eq!(promote.status, 401);
    assert_eq!(
        http(&server, "DELETE", "/v1/teams/crew", &as_member, None)
            .await
            .status,
        401
    );
    // The owner may; a member may leave on its own.
    let renamed = http(
        &server,
        "PUT",
        "/v1/teams/crew",
        &as_owner,
        Some(json!({"name": "Crew 2"})),
    )
    .await;
    assert_eq!(renamed.status, 200);
    let leave = http(
        &server,
        "DELETE",
        &format!("/v1/teams/crew/memberships/{membership_id}"),
        &as_member,
        None,
    )
    .await;
    assert_eq!(leave.status, 204);
    assert_eq!(
        http(&server, "GET", "/v1/teams/crew", &as_member, None)
            .await
            .status,
        404
    );
    assert_eq!(
        http(&server, "DELETE", "/v1/teams/crew", &as_owner, None)
            .await
            .status,
        204
    );
}
