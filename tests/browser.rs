//! Browser tests: the JS-facing API in headless Chromium, Firefox and WebKit against the
//! emulator, whose URL `scripts/test` passes at build time in `APPWRITE_EMULATOR_URL`.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use appwrite_realtime_wasm::{Client, ErrorKind, Options, Realtime};
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen]
extern "C" {
    #[derive(Clone)]
    type Storage;
    #[wasm_bindgen(js_name = localStorage, thread_local_v2)]
    static LOCAL_STORAGE: Storage;
    #[wasm_bindgen(method, js_name = setItem)]
    fn set_item(this: &Storage, key: &str, value: &str);
    #[wasm_bindgen(method, js_name = removeItem)]
    fn remove_item(this: &Storage, key: &str);
}

fn local_storage() -> Storage {
    LOCAL_STORAGE.with(Storage::clone)
}

const EMULATOR: &str = match option_env!("APPWRITE_EMULATOR_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:8787",
};
const WAIT_MS: u32 = 5000;

#[wasm_bindgen(module = "/tests/support.js")]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn request(
        base: &str,
        method: &str,
        path: &str,
        body: JsValue,
        headers: JsValue,
    ) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_name = requestRaw, catch)]
    async fn request_raw(
        base: &str,
        method: &str,
        path: &str,
        text: &str,
    ) -> Result<JsValue, JsValue>;

    type Queue;
    fn queue() -> Queue;
    #[wasm_bindgen(method)]
    fn push(this: &Queue, item: JsValue);
    #[wasm_bindgen(method, catch)]
    async fn next(this: &Queue, timeout_ms: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn length(this: &Queue) -> u32;

    #[wasm_bindgen(js_name = throwingCallback)]
    fn throwing_callback(target: &Queue) -> Function;
    #[wasm_bindgen(js_name = selfUnsubscribingCallback)]
    fn self_unsubscribing_callback(target: &Queue) -> Object;

    #[wasm_bindgen(js_name = waitForSubscription, catch)]
    async fn wait_for_subscription(
        base: &str,
        channel: &str,
        exclude_connection_id: JsValue,
        timeout_ms: u32,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = waitForSubscriptionCount)]
    async fn wait_for_subscription_count(
        base: &str,
        channel: &str,
        count: u32,
        timeout_ms: u32,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = waitForNoSubscription, catch)]
    async fn wait_for_no_subscription(
        base: &str,
        channel: &str,
        timeout_ms: u32,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = uniqueEmail)]
    fn unique_email() -> String;
    #[wasm_bindgen(js_name = sessionToken)]
    fn session_token(session: &JsValue) -> String;

    #[wasm_bindgen(js_name = waitForUser, catch)]
    async fn wait_for_user(base: &str, channel: &str, timeout_ms: u32) -> Result<JsValue, JsValue>;

    type TimerDelays;
    #[wasm_bindgen(js_name = recordTimerDelays)]
    fn record_timer_delays() -> TimerDelays;
    #[wasm_bindgen(method, getter)]
    fn delays(this: &TimerDelays) -> Array;
    #[wasm_bindgen(method)]
    fn stop(this: &TimerDelays);

    fn field(object: &JsValue, name: &str) -> JsValue;
    #[wasm_bindgen(js_name = typeOf)]
    fn type_of(value: &JsValue) -> String;

    #[wasm_bindgen(js_name = dispatchPageEvent)]
    fn dispatch_page_event(name: &str);
    #[wasm_bindgen(js_name = dispatchPageTransition)]
    fn dispatch_page_transition(name: &str, persisted: bool);
    #[wasm_bindgen(js_name = setPageHidden)]
    fn set_page_hidden(hidden: bool);
}

fn v1() -> String {
    format!("{EMULATOR}/v1")
}

fn client(project: &str) -> Client {
    Client::new()
        .set_endpoint(&v1())
        .expect("the emulator URL is valid")
        .set_project(project)
}

/// Each test uses its own collection so events of other tests never reach it.
fn collection_channel(collection: &str) -> String {
    appwrite_realtime_core::channel::database("tests")
        .and_then(|db| db.collection(collection))
        .and_then(|col| col.document(None))
        .expect("valid ids")
        .into()
}

async fn create_document(collection: &str, data: JsValue) -> JsValue {
    let body = Object::new();
    set(&body, "documentId", &"unique()".into());
    set(&body, "data", &data);
    set(&body, "permissions", &Array::of1(&"read(\"any\")".into()));
    request(
        &v1(),
        "POST",
        &format!("/databases/tests/collections/{collection}/documents"),
        body.into(),
        JsValue::UNDEFINED,
    )
    .await
    .expect("the emulator creates the document")
}

async fn control(method: &str, path: &str, body: JsValue) -> JsValue {
    request(
        EMULATOR,
        method,
        &format!("/_emulator{path}"),
        body,
        JsValue::UNDEFINED,
    )
    .await
    .expect("the control call succeeds")
}

fn set(object: &Object, key: &str, value: &JsValue) {
    Reflect::set(object, &key.into(), value).expect("plain objects accept properties");
}

fn title(text: &str) -> JsValue {
    let data = Object::new();
    set(&data, "title", &text.into());
    data.into()
}

fn payload_field(event: &JsValue, name: &str) -> JsValue {
    field(&field(event, "payload"), name)
}

fn push_into(target: &Queue) -> Function {
    let push = Reflect::get(target, &"push".into()).expect("queue has push");
    push.unchecked_into::<Function>().bind0(target)
}

async fn subscribe(realtime: &Realtime, channel: &str, callback: &Function) -> JsValue {
    let promise = realtime.subscribe(channel.into(), callback.into(), JsValue::UNDEFINED);
    JsFuture::from(promise)
        .await
        .expect("the server acknowledges the subscription")
}

async fn call_method(object: &JsValue, name: &str, arg: &JsValue) -> JsValue {
    let method: Function = field(object, name).unchecked_into();
    let result = method
        .call1(&JsValue::UNDEFINED, arg)
        .expect("method does not throw");
    JsFuture::from(Promise::from(result))
        .await
        .expect("the promise resolves")
}

async fn live_connections(project: &str) -> u32 {
    emulator_connections()
        .await
        .filter(|connection| field(connection, "project").as_string().as_deref() == Some(project))
        .count() as u32
}

/// The ids of the sockets holding a subscription on `channel`. Counting by channel rather than
/// by project keeps the sockets earlier tests are still closing out of the figure.
async fn sockets_holding(channel: &str) -> Vec<f64> {
    emulator_connections()
        .await
        .filter(|connection| {
            Array::from(&field(connection, "subscriptions"))
                .iter()
                .any(|subscription| {
                    Array::from(&field(&subscription, "channels")).includes(&channel.into(), 0)
                })
        })
        .filter_map(|connection| field(&connection, "id").as_f64())
        .collect()
}

async fn emulator_connections() -> impl Iterator<Item = JsValue> {
    let list = control("GET", "/connections", JsValue::UNDEFINED).await;
    Array::from(&field(&list, "connections")).into_iter()
}

#[wasm_bindgen_test]
async fn subscribe_then_receive_a_created_document() {
    let realtime = Realtime::with_client(&client("demo"), Options::default()).unwrap();
    let events = queue();
    subscribe(
        &realtime,
        &collection_channel("receive"),
        &push_into(&events),
    )
    .await;

    create_document("receive", title("hello")).await;
    let event = events
        .next(WAIT_MS)
        .await
        .expect("the create event arrives");

    assert_eq!(
        payload_field(&event, "title").as_string().as_deref(),
        Some("hello")
    );
    let first_event = Array::from(&field(&event, "events"))
        .get(0)
        .as_string()
        .unwrap();
    assert!(first_event.starts_with("databases.tests.collections.receive.documents."));
    assert!(first_event.ends_with(".create"), "{first_event}");
    assert_eq!(type_of(&field(&event, "timestamp")), "string");
    let _ = realtime.disconnect();
}

#[wasm_bindgen_test]
async fn update_switches_channels_on_the_same_socket_without_stale_events() {
    let project = "demo";
    let realtime = Realtime::with_client(&client(project), Options::default()).unwrap();
    let events = queue();
    let subscription = subscribe(
        &realtime,
        &collection_channel("switch-a"),
        &push_into(&events),
    )
    .await;
    let socket_before = sockets_holding(&collection_channel("switch-a")).await;
    assert_eq!(socket_before.len(), 1);

    let changes = Object::new();
    set(
        &changes,
        "channels",
        &Array::of1(&collection_channel("switch-b").into()),
    );
    call_method(&subscription, "update", &changes.into()).await;
    assert_eq!(
        sockets_holding(&collection_channel("switch-b")).await,
        socket_before,
        "the update went out on the same socket"
    );

    // Published in this order on one socket: a stale event would arrive first.
    create_document("switch-a", title("old channel")).await;
    create_document("switch-b", title("new channel")).await;
    let event = events
        .next(WAIT_MS)
        .await
        .expect("the new channel's event arrives");
    assert_eq!(
        payload_field(&event, "title").as_string().as_deref(),
        Some("new channel")
    );
    let _ = realtime.disconnect();
}

#[wasm_bindgen_test]
async fn unsubscribe_from_inside_a_callback_stops_delivery() {
    let realtime = Realtime::with_client(&client("demo"), Options::default()).unwrap();
    let once = queue();
    let others = queue();
    let harness = self_unsubscribing_callback(&once);
    let callback: Function = field(&harness, "callback").unchecked_into();
    let subscription = subscribe(&realtime, &collection_channel("inside"), &callback).await;
    set(
        &field(&harness, "state").unchecked_into(),
        "subscription",
        &subscription,
    );
    subscribe(
        &realtime,
        &collection_channel("inside"),
        &push_into(&others),
    )
    .await;

    create_document("inside", title("first")).await;
    create_document("inside", title("second")).await;
    // The second subscription sees both; by then the first has unsubscribed itself.
    others.next(WAIT_MS).await.expect("first event");
    others.next(WAIT_MS).await.expect("second event");
    assert_eq!(
        once.length(),
        1,
        "the self-unsubscribed callback ran exactly once"
    );
    let _ = realtime.disconnect();
}

#[wasm_bindgen_test]
async fn a_throwing_callback_is_isolated_and_reported() {
    let realtime = Realtime::with_client(&client("demo"), Options::default()).unwrap();
    let thrown = queue();
    let errors = queue();
    let healthy = queue();
    realtime.on_error(push_into(&errors).into()).unwrap();
    subscribe(
        &realtime,
        &collection_channel("throws"),
        &throwing_callback(&thrown),
    )
    .await;
    subscribe(
        &realtime,
        &collection_channel("throws"),
        &push_into(&healthy),
    )
    .await;

    create_document("throws", title("boom")).await;
    thrown
        .next(WAIT_MS)
        .await
        .expect("the throwing callback ran");
    healthy
        .next(WAIT_MS)
        .await
        .expect("the other callback still ran");
    let error = errors.next(WAIT_MS).await.expect("the throw was reported");
    assert_eq!(
        field(&error, "kind").as_string().as_deref(),
        Some("callback")
    );
    let _ = realtime.disconnect();
}

#[wasm_bindgen_test]
async fn terminal_error_at_connect_rejects_and_does_not_retry() {
    let realtime = Realtime::with_client(&client("no-such-project"), Options::default()).unwrap();
    let promise = realtime.subscribe(
        collection_channel("terminal").into(),
        Function::new_no_args("").into(),
        JsValue::UNDEFINED,
    );
    let error = JsFuture::from(promise)
        .await
        .expect_err("an unknown project is refused");
    assert_eq!(field(&error, "code").as_f64(), Some(1008.0));
    assert_eq!(
        field(&error, "kind").as_string().as_deref(),
        Some("terminal")
    );
    assert_eq!(live_connections("no-such-project").await, 0);
}

#[wasm_bindgen_test]
async fn integers_beyond_2_pow_53_arrive_as_bigint() {
    let realtime = Realtime::with_client(&client("demo"), Options::default()).unwrap();
    let events = queue();
    subscribe(
        &realtime,
        &collection_channel("bigint"),
        &push_into(&events),
    )
    .await;

    let frame = format!(
        r#"{{"project":"demo","events":["test.bigint"],"channels":["{}"],"roles":["any"],"payload":{{"big":9223372036854775807,"above":9007199254740993,"small":42}}}}"#,
        collection_channel("bigint")
    );
    request_raw(EMULATOR, "POST", "/_emulator/publish", &frame)
        .await
        .expect("the emulator publishes");

    let event = events.next(WAIT_MS).await.expect("the event arrives");
    let big = payload_field(&event, "big");
    assert!(big.is_bigint(), "got {}", type_of(&big));
    assert_eq!(
        String::from(js_sys::BigInt::from(big).to_string(10).unwrap()),
        "9223372036854775807"
    );
    let above = payload_field(&event, "above");
    assert_eq!(
        String::from(js_sys::BigInt::from(above).to_string(10).unwrap()),
        "9007199254740993"
    );
    assert_eq!(payload_field(&event, "small").as_f64(), Some(42.0));
    let _ = realtime.disconnect();
}

async fn connection_holding(channel: &str, other_than: JsValue) -> JsValue {
    wait_for_subscription(EMULATOR, channel, other_than, WAIT_MS)
        .await
        .expect("the server holds the subscription")
}

fn options(heartbeat_ms: u64, pong_timeout_ms: u64) -> Options {
    Options {
        heartbeat_interval: Duration::from_millis(heartbeat_ms),
        pong_timeout: Duration::from_millis(pong_timeout_ms),
        ..Options::default()
    }
}

fn connection_id_body(connection: &JsValue) -> JsValue {
    let body = Object::new();
    set(&body, "connectionId", &field(connection, "id"));
    body.into()
}

#[wasm_bindgen_test]
async fn reconnects_after_the_server_drops_the_socket_and_restores_subscriptions() {
    let realtime = Realtime::with_client(&client("demo"), Options::default()).unwrap();
    let (events, opens, closes, resyncs) = (queue(), queue(), queue(), queue());
    realtime.on_open(push_into(&opens).into()).unwrap();
    realtime.on_close(push_into(&closes).into()).unwrap();
    realtime.on_resync(push_into(&resyncs).into()).unwrap();
    let channel = collection_channel("reconnect");
    subscribe(&realtime, &channel, &push_into(&events)).await;
    opens.next(WAIT_MS).await.expect("connected");
    let first = connection_holding(&channel, JsValue::UNDEFINED).await;
    assert_eq!(resyncs.length(), 0, "the first connection missed nothing");

    control("POST", "/drop", connection_id_body(&first)).await;
    closes.next(WAIT_MS).await.expect("the drop is noticed");
    opens.next(WAIT_MS).await.expect("connected again");
    // Resync: the server acknowledged the subscription on the new socket.
    resyncs
        .next(WAIT_MS)
        .await
        .expect("the resync is announced");
    let second = connection_holding(&channel, field(&first, "id")).await;
    assert_ne!(field(&second, "id").as_f64(), field(&first, "id").as_f64());

    create_document("reconnect", title("after the drop")).await;
    let event = events
        .next(WAIT_MS)
        .await
        .expect("events flow on the new socket");
    assert_eq!(
        payload_field(&event, "title").as_string().as_deref(),
        Some("after the drop")
    );
    let _ = realtime.disconnect();
}

#[wasm_bindgen_test]
async fn a_timer_beyond_the_range_of_settimeout_waits_rather_than_spins() {
    // setTimeout takes a signed 32-bit delay: a longer one wraps around, fires at once, and a
    // timer re-armed for the same far deadline would spin. 3e9 ms (~35 days) is a heartbeat
    // interval a page may choose to ping (almost) never.
    const MAX_DELAY: f64 = 2_147_483_647.0;
    let recorder = record_timer_delays();
    let realtime = Realtime::with_client(&client("demo"), options(3_000_000_000, 10_000)).unwrap();
    let channel = collection_channel("far-timer");
    subscribe(&realtime, &channel, &push_into(&queue())).await;
    let delays: Vec<f64> = recorder
        .delays()
        .iter()
        .filter_map(|d| d.as_f64())
        .collect();
    recorder.stop();
    let _ = realtime.disconnect();
    assert!(
        delays.iter().any(|&d| !(0.0..1e9).contains(&d)),
        "connected, the SDK arms its timer for the far ping: {delays:?}"
    );
    assert!(
        delays.iter().all(|&d| (0.0..=MAX_DELAY).contains(&d)),
        "every delay fits setTimeout: {delays:?}"
    );
}

#[wasm_bindgen_test]
async fn a_silent_server_is_detected_by_the_pong_deadline() {
    let realtime = Realtime::with_client(&client("demo"), options(150, 150)).unwrap();
    let (events, errors) = (queue(), queue());
    realtime.on_error(push_into(&errors).into()).unwrap();
    let channel = collection_channel("silent");
    subscribe(&realtime, &channel, &push_into(&events)).await;
    let silent = connection_holding(&channel, JsValue::UNDEFINED).await;

    // The server keeps TCP open but answers nothing, as a half-open socket would.
    control("POST", "/silence", connection_id_body(&silent)).await;
    let error = errors
        .next(WAIT_MS)
        .await
        .expect("the missing pong is reported");
    assert_eq!(
        field(&error, "kind").as_string().as_deref(),
        Some("pong-timeout")
    );
    connection_holding(&channel, field(&silent, "id")).await;

    create_document("silent", title("after the silence")).await;
    let event = events
        .next(WAIT_MS)
        .await
        .expect("events flow on the replacement socket");
    assert_eq!(
        payload_field(&event, "title").as_string().as_deref(),
        Some("after the silence")
    );
    let _ = realtime.disconnect();
}

/// Signs up a fresh user and logs in; returns the session value `setSession` takes.
async fn new_user_session() -> String {
    let account = Object::new();
    set(&account, "userId", &"unique()".into());
    set(&account, "email", &unique_email().into());
    set(&account, "password", &"password123".into());
    request(
        &v1(),
        "POST",
        "/account",
        account.clone().into(),
        JsValue::UNDEFINED,
    )
    .await
    .expect("sign-up");
    let session = request(
        &v1(),
        "POST",
        "/account/sessions/email",
        account.into(),
        JsValue::UNDEFINED,
    )
    .await
    .expect("login");
    session_token(&session)
}

async fn rename_account(token: &str, name: &str) {
    let headers = Object::new();
    set(&headers, "X-Appwrite-Session", &token.into());
    let body = Object::new();
    set(&body, "name", &name.into());
    request(&v1(), "PATCH", "/account/name", body.into(), headers.into())
        .await
        .expect("rename");
}

async fn expect_renamed(events: &Queue, name: &str) {
    let event = events
        .next(WAIT_MS)
        .await
        .expect("the account event arrives");
    assert_eq!(
        payload_field(&event, "name").as_string().as_deref(),
        Some(name)
    );
    let channels = Array::from(&field(&event, "channels"));
    assert!(channels.includes(&"account".into(), 0));
}

#[wasm_bindgen_test]
async fn a_session_set_on_the_client_receives_its_account_events() {
    let token = new_user_session().await;
    let realtime =
        Realtime::with_client(&client("demo").set_session(&token), Options::default()).unwrap();
    let events = queue();
    // Resolves only once the in-band authentication settled, so the user's events arrive.
    subscribe(&realtime, "account", &push_into(&events)).await;
    rename_account(&token, "Renamed").await;
    expect_renamed(&events, "Renamed").await;
    let _ = realtime.disconnect();
}

#[wasm_bindgen_test]
async fn the_cookie_fallback_session_in_local_storage_is_used() {
    let token = new_user_session().await;
    let storage = local_storage();
    let fallback = format!(r#"{{"a_session_demo":"{token}"}}"#);
    storage.set_item("cookieFallback", &fallback);
    let realtime = Realtime::with_client(&client("demo"), Options::default()).unwrap();
    let events = queue();
    subscribe(&realtime, "account", &push_into(&events)).await;
    storage.remove_item("cookieFallback");

    rename_account(&token, "From fallback").await;
    expect_renamed(&events, "From fallback").await;
    let _ = realtime.disconnect();
}

#[wasm_bindgen_test]
async fn set_session_while_connected_authenticates_on_the_same_socket() {
    let token = new_user_session().await;
    let client = client("demo");
    // A socket of its own re-authenticates in place; a shared one moves to its session's group
    // (e2e/tabs.test.mjs).
    let own = Options {
        share_across_tabs: false,
        ..Options::default()
    };
    let realtime = Realtime::with_client(&client, own).unwrap();
    let events = queue();
    let channel = collection_channel("reauth");
    subscribe(&realtime, &channel, &push_into(&events)).await;
    subscribe(&realtime, "account", &push_into(&events)).await;
    let guest = connection_holding(&channel, JsValue::UNDEFINED).await;
    assert!(
        field(&guest, "user").is_null(),
        "connected as a guest first"
    );

    client.set_session(&token);
    let user = wait_for_user(EMULATOR, &channel, WAIT_MS)
        .await
        .expect("the connection authenticates");
    assert_eq!(
        field(&user, "id").as_f64(),
        field(&guest, "id").as_f64(),
        "no new socket"
    );

    rename_account(&token, "Signed in later").await;
    expect_renamed(&events, "Signed in later").await;
    let _ = realtime.disconnect();
}

#[wasm_bindgen_test]
async fn legacy_client_subscribe_returns_a_working_unsubscribe_function() {
    let client = client("demo");
    let channel = collection_channel("legacy");
    let legacy = queue();
    // What js/client.js's `subscribe` calls on a connection of its own.
    let unsubscribe = Realtime::with_client(&client, Options::default())
        .unwrap()
        .subscribe_legacy(
            channel.clone().into(),
            push_into(&legacy).into(),
            JsValue::UNDEFINED,
        )
        .unwrap();
    connection_holding(&channel, JsValue::UNDEFINED).await;

    create_document("legacy", title("while subscribed")).await;
    let event = legacy
        .next(WAIT_MS)
        .await
        .expect("the legacy callback receives the event");
    assert_eq!(
        payload_field(&event, "title").as_string().as_deref(),
        Some("while subscribed")
    );

    unsubscribe.call0(&JsValue::UNDEFINED).unwrap();
    wait_for_no_subscription(EMULATOR, &channel, WAIT_MS)
        .await
        .expect("the unsubscribe reached the server");
    let witness = Realtime::with_client(&client, Options::default()).unwrap();
    let seen = queue();
    subscribe(&witness, &channel, &push_into(&seen)).await;
    create_document("legacy", title("after unsubscribe")).await;
    seen.next(WAIT_MS)
        .await
        .expect("the witness sees the event");
    assert_eq!(
        legacy.length(),
        0,
        "the unsubscribed callback got nothing more"
    );
    let _ = witness.disconnect();
}

#[derive(serde::Deserialize, Debug, PartialEq)]
struct Post {
    title: String,
}

/// Resolves after `ms`, to bound how long a Rust future may take.
async fn deadline(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        let global: JsValue = js_sys::global().into();
        let set_timeout: Function = field(&global, "setTimeout").unchecked_into();
        set_timeout
            .call2(&global, &resolve, &ms.into())
            .expect("setTimeout");
    });
    let _ = JsFuture::from(promise).await;
}

async fn within<F: std::future::Future>(future: F) -> F::Output {
    use futures_util::future::{select, Either};
    match select(Box::pin(future), Box::pin(deadline(WAIT_MS as i32))).await {
        Either::Left((output, _)) => output,
        Either::Right(_) => panic!("nothing arrived within {WAIT_MS} ms"),
    }
}

#[wasm_bindgen_test]
async fn the_rust_api_streams_typed_payloads_and_ends_when_dropped() {
    use appwrite_realtime_wasm::typed::Connection;
    use futures_util::StreamExt;

    let connection = Connection::new(&client("demo"));
    let channel = collection_channel("typed");
    let (subscription, mut events) = connection
        .stream::<Post>(channel.as_str(), Vec::<String>::new())
        .await
        .expect("acknowledged");

    create_document("typed", title("typed payload")).await;
    let event = within(events.next())
        .await
        .expect("stream open")
        .expect("decodes");
    assert_eq!(
        event.payload,
        Post {
            title: "typed payload".into()
        }
    );
    assert!(event.channels.contains(&channel));

    // A payload of another shape is an error item; the stream goes on.
    let untitled = Object::new();
    set(&untitled, "body", &"no title".into());
    create_document("typed", untitled.into()).await;
    let mismatch = within(events.next()).await.expect("stream open");
    assert_eq!(
        mismatch.expect_err("no title field").kind,
        ErrorKind::Protocol
    );

    drop(subscription);
    assert!(
        within(events.next()).await.is_none(),
        "dropping the subscription ends the stream"
    );
    connection.disconnect();
}

#[wasm_bindgen_test]
async fn a_connection_with_subscriptions_outlives_its_dropped_realtime_object() {
    let realtime = Realtime::with_client(&client("demo"), Options::default()).unwrap();
    let events = queue();
    let channel = collection_channel("orphan");
    let subscription = subscribe(&realtime, &channel, &push_into(&events)).await;
    // What the page's garbage collector does to an unreferenced `Realtime`.
    drop(realtime);

    create_document("orphan", title("still delivered")).await;
    let event = events
        .next(WAIT_MS)
        .await
        .expect("the live subscription keeps its connection");
    assert_eq!(
        payload_field(&event, "title").as_string().as_deref(),
        Some("still delivered")
    );

    call_method(&subscription, "unsubscribe", &JsValue::UNDEFINED).await;
    wait_for_no_subscription(EMULATOR, &channel, WAIT_MS)
        .await
        .expect("the last unsubscribe still reaches the server");
}

#[wasm_bindgen_test]
async fn garbage_frames_are_reported_and_lose_no_subscription() {
    let realtime = Realtime::with_client(&client("demo"), Options::default()).unwrap();
    let (events, errors) = (queue(), queue());
    realtime.on_error(push_into(&errors).into()).unwrap();
    let channel = collection_channel("garbage");
    subscribe(&realtime, &channel, &push_into(&events)).await;
    let connection = connection_holding(&channel, JsValue::UNDEFINED).await;

    let garbage = [
        "not json at all",
        "[1,2,3]",
        r#"{"type":42}"#,
        r#"{"type":"mystery","data":{}}"#,
        r#"{"type":"event","data":{"channels":"not a list","payload":{}}}"#,
        r#"{"type":"event","data":{"channels":["x"]}}"#,
        r#"{"type":"response","data":{"to":"subscribe","subscriptions":[{"removed":true}]}}"#,
        r#"{"type":"error","data":{"code":"not a number","message":"x"}}"#,
    ];
    for frame in garbage {
        let body = Object::new();
        set(&body, "connectionId", &field(&connection, "id"));
        set(&body, "frame", &frame.into());
        control("POST", "/send", body.into()).await;
        let error = errors
            .next(WAIT_MS)
            .await
            .expect("each bad frame is reported");
        assert_eq!(
            field(&error, "kind").as_string().as_deref(),
            Some("protocol"),
            "{frame}"
        );
    }

    create_document("garbage", title("still subscribed")).await;
    let event = events
        .next(WAIT_MS)
        .await
        .expect("the subscription survived");
    assert_eq!(
        payload_field(&event, "title").as_string().as_deref(),
        Some("still subscribed")
    );
    assert_eq!(errors.length(), 0, "nothing else went wrong");
    let _ = realtime.disconnect();
}

#[wasm_bindgen_test]
async fn a_socket_that_cannot_open_reports_without_the_jwt() {
    let secret = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJl";
    // A fragment makes `new WebSocket(url)` throw, with the URL in the browser's message.
    let client = Client::new()
        .set_endpoint_realtime("ws://127.0.0.1:1/v1#fragment")
        .unwrap()
        .set_project("demo")
        .set_jwt(secret);
    let realtime = Realtime::with_client(&client, Options::default()).unwrap();
    let errors = queue();
    realtime.on_error(push_into(&errors).into()).unwrap();
    let _pending = realtime.subscribe(
        "files".into(),
        Function::new_no_args("").into(),
        JsValue::UNDEFINED,
    );
    // Every report (the failed open, and any the failure leads to) is free of the secret.
    let mut kinds = Vec::new();
    while !kinds.iter().any(|kind| kind == "environment") {
        let error = errors
            .next(WAIT_MS)
            .await
            .expect("the failed open is reported");
        let message = field(&error, "message").as_string().unwrap_or_default();
        assert!(!message.contains("c2VjcmV0"), "the JWT leaked: {message}");
        let kind = field(&error, "kind").as_string().unwrap_or_default();
        if kind == "environment" {
            assert!(message.contains("jwt=[redacted]"), "{message}");
        }
        kinds.push(kind);
        assert!(kinds.len() < 10, "no environment error among {kinds:?}");
    }
    let _ = realtime.disconnect();
}

#[wasm_bindgen_test]
async fn the_state_api_follows_the_connection_and_listeners_can_be_removed() {
    let realtime = Realtime::with_client(&client("demo"), options(150, 150)).unwrap();
    let status = |realtime: &Realtime| field(&realtime.state(), "status").as_string().unwrap();
    assert_eq!(status(&realtime), "idle");
    let states = queue();
    let removed = queue();
    let _keep = realtime.on_state_change(push_into(&states).into()).unwrap();
    let remove: Function = realtime
        .on_state_change(push_into(&removed).into())
        .unwrap();
    remove.call0(&JsValue::UNDEFINED).unwrap();

    let channel = collection_channel("state");
    subscribe(&realtime, &channel, &push_into(&queue())).await;
    assert_eq!(status(&realtime), "connected");
    let mut seen = Vec::new();
    while seen.last().map(String::as_str) != Some("connected") {
        let state = states
            .next(WAIT_MS)
            .await
            .expect("state changes are reported");
        // A sharing connection is also told when its role changes, with the same status.
        let status = field(&state, "status").as_string().unwrap();
        if seen.last() != Some(&status) {
            seen.push(status);
        }
    }
    assert_eq!(seen, ["connecting", "connected"]);

    let connection = connection_holding(&channel, JsValue::UNDEFINED).await;
    control("POST", "/drop", connection_id_body(&connection)).await;
    let state = states.next(WAIT_MS).await.expect("the loss is reported");
    assert_eq!(
        field(&state, "status").as_string().as_deref(),
        Some("reconnecting")
    );
    assert!(
        field(&state, "retryIn").as_f64().is_some(),
        "the backoff delay is given"
    );
    assert!(
        !field(&state, "lastError").is_null(),
        "the loss was reported as an error"
    );

    let _ = realtime.disconnect();
    assert_eq!(status(&realtime), "closed");
    assert_eq!(removed.length(), 0, "a removed listener hears nothing");
}

#[wasm_bindgen_test]
async fn offline_holds_the_reconnect_and_online_makes_it_at_once() {
    // A reconnect delay of up to a minute: only the `online` event can bring the socket back soon.
    let options = Options {
        reconnect_delay: Duration::from_secs(60),
        max_reconnect_delay: Duration::from_secs(60),
        ..Options::default()
    };
    let realtime = Realtime::with_client(&client("demo"), options).unwrap();
    let states = queue();
    let _listening = realtime.on_state_change(push_into(&states).into()).unwrap();
    let channel = collection_channel("offline");
    subscribe(&realtime, &channel, &push_into(&queue())).await;
    let window = js_sys::global();
    let announce = |name: &str| {
        let event = web_sys::Event::new(name).unwrap();
        let dispatch: Function = js_sys::Reflect::get(&window, &"dispatchEvent".into())
            .unwrap()
            .into();
        dispatch.call1(&window, &event).unwrap();
    };
    let next_status = || async {
        let state = states.next(WAIT_MS).await.expect("a state change");
        (
            field(&state, "status").as_string().unwrap(),
            field(&state, "retryIn"),
        )
    };
    while next_status().await.0 != "connected" {}

    announce("offline");
    let connection = connection_holding(&channel, JsValue::UNDEFINED).await;
    control("POST", "/drop", connection_id_body(&connection)).await;
    let (status, retry_in) = next_status().await;
    assert_eq!(status, "reconnecting");
    assert!(retry_in.is_null(), "offline: no attempt is pending");

    announce("online");
    let (status, _) = next_status().await;
    assert_eq!(status, "connecting", "online: the attempt is made at once");
    assert_eq!(next_status().await.0, "connected");
    let _ = realtime.disconnect();
}

/** Statuses from `states` until `until` (included). */
async fn statuses_until(states: &Queue, until: &str) -> Vec<(String, JsValue)> {
    let mut seen: Vec<(String, JsValue)> = Vec::new();
    loop {
        let state = states.next(WAIT_MS).await.expect("a state change");
        let status = field(&state, "status").as_string().unwrap();
        let done = status == until;
        // A sharing connection is also told when its role changes, with the same status: the
        // latest report of a status stands for it.
        if seen.last().is_some_and(|(last, _)| *last == status) {
            seen.pop();
        }
        seen.push((status, field(&state, "retryIn")));
        if done {
            return seen;
        }
    }
}

/// Subscribes on a fresh connection and waits until connected; returns it with its state queue,
/// its resync queue and its event queue.
async fn connected_realtime(channel: &str, options: Options) -> (Realtime, Queue, Queue, Queue) {
    let realtime = Realtime::with_client(&client("demo"), options).unwrap();
    let states = queue();
    let resyncs = queue();
    let events = queue();
    let _ = realtime.on_state_change(push_into(&states).into()).unwrap();
    let _ = realtime.on_resync(push_into(&resyncs).into()).unwrap();
    subscribe(&realtime, channel, &push_into(&events)).await;
    statuses_until(&states, "connected").await;
    (realtime, states, resyncs, events)
}

/// The page went away (`leave`) and came back (`back`): the socket was closed cleanly and
/// nothing retried meanwhile; back, every subscription is restored, `onResync` fires, and
/// events flow again.
async fn leaves_and_comes_back(channel_name: &str, leave: impl Fn(), back: impl Fn()) {
    let channel = collection_channel(channel_name);
    let (realtime, states, resyncs, events) =
        connected_realtime(&channel, Options::default()).await;
    leave();
    let away = statuses_until(&states, "reconnecting").await;
    assert!(
        away.last().unwrap().1.is_null(),
        "no attempt is pending while away"
    );
    wait_for_no_subscription(EMULATOR, &channel, WAIT_MS)
        .await
        .expect("the socket was closed");
    assert!(
        field(&realtime.state(), "lastError").is_null(),
        "a clean close is no error"
    );
    back();
    let statuses: Vec<String> = statuses_until(&states, "connected")
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    assert_eq!(statuses, ["connecting", "connected"]);
    resyncs
        .next(WAIT_MS)
        .await
        .expect("onResync after coming back");
    create_document(channel_name, title("after the pause")).await;
    let event = events.next(WAIT_MS).await.expect("events flow again");
    assert_eq!(
        payload_field(&event, "title").as_string().as_deref(),
        Some("after the pause")
    );
    let _ = realtime.disconnect();
}

#[wasm_bindgen_test]
async fn a_frozen_page_closes_its_socket_and_resume_restores_everything() {
    leaves_and_comes_back(
        "frozen",
        || dispatch_page_event("freeze"),
        || dispatch_page_event("resume"),
    )
    .await;
}

#[wasm_bindgen_test]
async fn the_back_forward_cache_closes_the_socket_and_pageshow_restores_everything() {
    leaves_and_comes_back(
        "bfcache",
        || dispatch_page_transition("pagehide", true),
        || dispatch_page_transition("pageshow", true),
    )
    .await;
}

#[wasm_bindgen_test]
async fn a_page_hidden_past_the_hidden_timeout_reconnects_when_shown() {
    let channel = collection_channel("hidden");
    let options = Options {
        hidden_timeout: Some(Duration::from_millis(150)),
        ..Options::default()
    };
    let (realtime, states, resyncs, _events) = connected_realtime(&channel, options).await;
    set_page_hidden(true);
    let hidden = statuses_until(&states, "reconnecting").await;
    assert!(
        hidden.last().unwrap().1.is_null(),
        "held until the page is shown"
    );
    wait_for_no_subscription(EMULATOR, &channel, WAIT_MS)
        .await
        .expect("the socket was closed");
    set_page_hidden(false);
    statuses_until(&states, "connected").await;
    resyncs.next(WAIT_MS).await.expect("onResync once shown");
    let _ = realtime.disconnect();
}

#[wasm_bindgen_test]
async fn showing_a_page_checks_its_socket_with_a_ping_at_once() {
    // Pings every 10 minutes: only the page being shown can send one within this test.
    let options = Options {
        heartbeat_interval: Duration::from_secs(600),
        ..Options::default()
    };
    let (realtime, states, _resyncs, _events) =
        connected_realtime(&collection_channel("shown"), options).await;
    set_page_hidden(true);
    set_page_hidden(false);
    let started = js_sys::Date::now();
    while field(&realtime.stats(), "lastPingRoundTrip").is_null() {
        assert!(
            js_sys::Date::now() - started < f64::from(WAIT_MS),
            "no pong came back"
        );
        deadline(10).await;
    }
    assert_eq!(states.length(), 0, "the socket was kept");
    let _ = realtime.disconnect();
}

#[wasm_bindgen_test]
async fn stats_count_the_traffic_and_the_debug_log_leaves_secrets_and_payloads_out() {
    let token = new_user_session().await;
    let client = client("demo");
    client.set_session(&token);
    let realtime = Realtime::with_client(&client, Options::default()).unwrap();
    let events = queue();
    let channel = collection_channel("diagnostics");
    subscribe(&realtime, &channel, &push_into(&events)).await;
    create_document("diagnostics", title("a private title")).await;
    events.next(WAIT_MS).await.expect("the event");

    let stats = realtime.stats();
    let count = |name: &str| field(&stats, name).as_f64().unwrap_or(-1.0);
    assert_eq!(count("connects"), 1.0);
    assert_eq!(count("reconnects"), 0.0);
    assert_eq!(count("eventsDelivered"), 1.0);
    assert_eq!(count("callbackErrors"), 0.0);
    assert!(count("framesIn") >= 3.0, "connected, response, event");
    assert!(count("bytesIn") > count("framesIn"));
    assert!(count("framesOut") >= 1.0 && count("bytesOut") > 0.0);
    assert!(count("connectedFor") >= 0.0);

    let log = realtime.debug_log();
    let text = js_sys::JSON::stringify(&log).unwrap().as_string().unwrap();
    for wanted in [
        "\"connect\"",
        "\"subscribe\"",
        "\"event\"",
        "session [redacted]",
    ] {
        assert!(text.contains(wanted), "{wanted} is missing from {text}");
    }
    for secret in [token.as_str(), "a private title", "@example.com"] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
    let _ = realtime.disconnect();
}

#[wasm_bindgen_test]
async fn subscriptions_made_in_one_go_on_a_live_connection_share_one_frame() {
    let realtime = Realtime::with_client(&client("demo"), Options::default()).unwrap();
    let events = queue();
    subscribe(
        &realtime,
        &collection_channel("batch-first"),
        &push_into(&events),
    )
    .await;
    // The flush runs once this code is done, not per call.
    let pair = ["batch-second", "batch-third"].map(|name| {
        let channel = collection_channel(name);
        realtime.subscribe(
            channel.as_str().into(),
            push_into(&events).into(),
            JsValue::UNDEFINED,
        )
    });
    for promise in pair {
        JsFuture::from(promise).await.expect("acknowledged");
    }
    let log = realtime.debug_log();
    let subscribe_frames = Array::from(&log)
        .iter()
        .filter(|entry| field(entry, "direction") == "out" && field(entry, "type") == "subscribe")
        .count();
    assert_eq!(
        subscribe_frames, 2,
        "one frame for the first, one for the pair"
    );
    let _ = realtime.disconnect();
}

#[wasm_bindgen_test]
async fn realtimes_that_share_use_one_socket_and_each_gets_its_own_events() {
    // Sharing is the default.
    let first = Realtime::with_client(&client("demo"), Options::default()).unwrap();
    let second = Realtime::with_client(&client("demo"), Options::default()).unwrap();
    let (first_events, second_events) = (queue(), queue());
    let channel = collection_channel("shared");
    subscribe(&first, &channel, &push_into(&first_events)).await;
    subscribe(&second, &channel, &push_into(&second_events)).await;
    wait_for_subscription_count(EMULATOR, &channel, 2, WAIT_MS)
        .await
        .expect("the server holds both subscriptions");
    let shared_socket = sockets_holding(&channel).await;
    assert_eq!(shared_socket.len(), 1, "one socket for both");
    for realtime in [&first, &second] {
        let state = realtime.state();
        assert_eq!(
            field(&state, "sharing").as_string().as_deref(),
            Some("owner")
        );
        assert_eq!(
            field(&state, "status").as_string().as_deref(),
            Some("connected")
        );
    }

    create_document("shared", title("to both")).await;
    for events in [&first_events, &second_events] {
        let event = events.next(WAIT_MS).await.expect("each gets the event");
        assert_eq!(
            payload_field(&event, "title").as_string().as_deref(),
            Some("to both")
        );
    }

    // The first leaves: its subscription leaves the shared socket, the second keeps it.
    let _ = first.disconnect();
    wait_for_subscription_count(EMULATOR, &channel, 1, WAIT_MS)
        .await
        .expect("the first one's subscription leaves the shared socket");
    create_document("shared", title("to the second")).await;
    let event = second_events
        .next(WAIT_MS)
        .await
        .expect("the second still gets events");
    assert_eq!(
        payload_field(&event, "title").as_string().as_deref(),
        Some("to the second")
    );
    assert_eq!(first_events.length(), 0, "nothing for the one that left");
    assert_eq!(sockets_holding(&channel).await, shared_socket);

    let _ = second.disconnect();
    wait_for_no_subscription(EMULATOR, &channel, WAIT_MS)
        .await
        .expect("the last one closes the shared socket");
}

#[wasm_bindgen_test]
fn a_zero_duration_is_refused_and_sharing_is_on_by_default() {
    let error = Realtime::with_client(&client("demo"), options(20_000, 0))
        .err()
        .expect("a zero pong timeout is refused");
    assert_eq!(error.kind, ErrorKind::Invalid);
    assert_eq!(error.message, "pong_timeout must be a positive duration");
    // Before its first socket, a sharing connection waits to join a group: `member`.
    let default = Realtime::with_client(&client("demo"), Options::default()).unwrap();
    let state = default.state();
    assert_eq!(
        field(&state, "sharing").as_string().as_deref(),
        Some("member")
    );
    assert_eq!(field(&state, "tabs").as_f64(), Some(1.0));
    let own = Options {
        share_across_tabs: false,
        ..Options::default()
    };
    let plain = Realtime::with_client(&client("demo"), own).unwrap();
    let state = plain.state();
    assert_eq!(field(&state, "sharing").as_string().as_deref(), Some("off"));
}

#[derive(serde::Deserialize, Debug, PartialEq)]
struct Task {
    #[serde(rename = "$id")]
    id: String,
    title: String,
    done: bool,
}

fn task(title: &str, done: bool) -> JsValue {
    let data = Object::new();
    set(&data, "title", &title.into());
    set(&data, "done", &done.into());
    data.into()
}

/// A fresh collection of database `tests` that anyone may read and write.
async fn fresh_collection(prefix: &str) -> String {
    let id = format!("{prefix}{}", (js_sys::Math::random() * 1e9) as u64);
    let body = Object::new();
    set(&body, "collectionId", &id.as_str().into());
    set(&body, "name", &id.as_str().into());
    let permissions = Array::new();
    for permission in ["read", "create", "update", "delete"] {
        permissions.push(&format!("{permission}(\"any\")").into());
    }
    set(&body, "permissions", &permissions);
    request(
        &v1(),
        "POST",
        "/databases/tests/collections",
        body.into(),
        JsValue::UNDEFINED,
    )
    .await
    .expect("the emulator creates the collection");
    id
}

async fn create_task(collection: &str, title: &str, done: bool) -> String {
    let body = Object::new();
    set(&body, "documentId", &"unique()".into());
    set(&body, "data", &task(title, done));
    let permissions = Array::new();
    for permission in ["read", "update", "delete"] {
        permissions.push(&format!("{permission}(\"any\")").into());
    }
    set(&body, "permissions", &permissions);
    let created = request(
        &v1(),
        "POST",
        &format!("/databases/tests/collections/{collection}/documents"),
        body.into(),
        JsValue::UNDEFINED,
    )
    .await
    .expect("the emulator creates the document");
    field(&created, "$id").as_string().expect("an $id")
}

#[wasm_bindgen_test]
async fn a_live_view_follows_creates_updates_out_of_its_filter_and_deletes() {
    use appwrite_realtime_wasm::typed::{Connection, LiveChange, LiveView, ViewStatus};

    let collection = fresh_collection("live").await;
    let documents = format!("/databases/tests/collections/{collection}/documents");
    let first = create_task(&collection, "first", false).await;
    create_task(&collection, "hidden", true).await;

    let connection = Connection::new(&client("demo"));
    let changes = queue();
    let push = push_into(&changes);
    let open = r#"{"method":"equal","attribute":"done","values":[false]}"#;
    let view = within(connection.live(
        &collection_channel(&collection),
        [open],
        move |_: &LiveView<Task>, changed: &[LiveChange<Task>]| {
            for change in changed {
                let text = format!(
                    "{:?} {} {:?} {:?}",
                    change.kind, change.row.title, change.old_index, change.new_index
                );
                push.call1(&JsValue::UNDEFINED, &text.into()).expect("push");
            }
        },
    ))
    .await
    .expect("the first list is in");
    assert_eq!(view.status(), ViewStatus::Synced);
    let titles = |view: &LiveView<Task>| -> Vec<String> {
        view.rows().iter().map(|task| task.title.clone()).collect()
    };
    assert_eq!(titles(&view), ["first"]);

    let second = create_task(&collection, "second", false).await;
    let next = || async { changes.next(WAIT_MS).await.expect("a change").as_string() };
    assert_eq!(next().await.as_deref(), Some("Added second None Some(1)"));

    // Out of the filter: the server sends the update, and the view drops the row.
    request(
        &v1(),
        "PATCH",
        &format!("{documents}/{first}"),
        {
            let body = Object::new();
            set(&body, "data", &task("first", true));
            body.into()
        },
        JsValue::UNDEFINED,
    )
    .await
    .expect("the emulator updates the document");
    assert_eq!(next().await.as_deref(), Some("Removed first Some(0) None"));

    request(
        &v1(),
        "DELETE",
        &format!("{documents}/{second}"),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    )
    .await
    .expect("the emulator deletes the document");
    assert_eq!(next().await.as_deref(), Some("Removed second Some(0) None"));
    assert!(view.is_empty());

    // The REST list of the same query agrees.
    let third = create_task(&collection, "third", false).await;
    assert_eq!(next().await.as_deref(), Some("Added third None Some(0)"));
    let listed = request(
        &v1(),
        "GET",
        &format!(
            "{documents}?queries[0]={}",
            String::from(js_sys::encode_uri_component(open))
        ),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    )
    .await
    .expect("the emulator lists");
    let listed: Vec<String> = Array::from(&field(&listed, "documents"))
        .iter()
        .map(|row| field(&row, "$id").as_string().expect("an $id"))
        .collect();
    let held: Vec<String> = view.rows().iter().map(|task| task.id.clone()).collect();
    assert_eq!(held, listed);
    assert_eq!(held, [third]);

    // Closing unsubscribes: later writes change nothing.
    view.close();
    assert!(view.is_closed());
    create_task(&collection, "after", false).await;
    deadline(300).await;
    assert_eq!(changes.length(), 0);
    assert_eq!(titles(&view), ["third"]);
    connection.disconnect();
}

#[wasm_bindgen_test]
async fn a_live_view_refuses_other_channels_and_a_list_refused_for_good() {
    use appwrite_realtime_wasm::typed::Connection;

    let connection = Connection::new(&client("demo"));
    let error = connection
        .live::<Task>("files", Vec::<String>::new(), |_, _| {})
        .await
        .expect_err("files are no table");
    assert_eq!(error.kind, ErrorKind::Invalid);
    let error = connection
        .live::<Task>(
            &collection_channel("tasks"),
            ["{\"method\":\"nope\"}"],
            |_, _| {},
        )
        .await
        .expect_err("no such query");
    assert_eq!(error.kind, ErrorKind::Invalid);

    connection.disconnect();

    // A REST endpoint where nothing is found: the list answers 404, and the view ends.
    let elsewhere = Client::new()
        .set_endpoint(&format!("{}/nowhere", v1()))
        .and_then(|client| client.set_endpoint_realtime(&v1().replacen("http", "ws", 1)))
        .expect("valid endpoints")
        .set_project("demo");
    let connection = Connection::new(&elsewhere);
    let error = within(connection.live::<Task>(
        &collection_channel("tasks"),
        Vec::<String>::new(),
        |_, _| {},
    ))
    .await
    .expect_err("the list is refused");
    assert_eq!((error.kind, error.code), (ErrorKind::Terminal, 404));
    connection.disconnect();
}
