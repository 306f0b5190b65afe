//! Hostile requests against a real emulator on 127.0.0.1: after each, the server must still
//! answer, refuse what it should, and keep its memory bounded.

mod common;

use appwrite_realtime_emulator::state::{Publication, OUTBOUND_QUEUE_BYTES};
use appwrite_realtime_emulator::{Config, ServerVersion};
use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

/// Tests that measure this process's memory (or use many descriptors) run one at a time.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Resident memory of this process (the emulator runs in it).
fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|pages| pages.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

const LOOPBACK_PAGE: &str = "http://127.0.0.1:5173";
const FOREIGN_PAGE: &str = "https://evil.example";

fn control_config() -> Config {
    Config {
        control: true,
        seed_demo: true,
        ..Config::default()
    }
}

/// The server is alive and answering.
async fn assert_healthy(server: &Server) {
    let health = http(server, "GET", "/v1/health/version", &[], None).await;
    assert_eq!(health.status, 200, "health: {}", health.body);
    assert_eq!(health.body["version"], "1.9.6");
}

// ---- CORS and the control surface -------------------------------------------------------

#[tokio::test]
async fn loopback_and_listed_origins_get_credentialed_cors_others_do_not() {
    let server = start(Config {
        cors_origins: vec!["https://app.example.com".into()],
        ..control_config()
    })
    .await;
    for origin in [
        LOOPBACK_PAGE,
        "http://localhost:8080",
        "http://[::1]:3000",
        "https://app.example.com",
    ] {
        let response = http(
            &server,
            "GET",
            "/v1/health/version",
            &[("Origin", origin)],
            None,
        )
        .await;
        assert_eq!(response.header("access-control-allow-origin"), Some(origin));
        assert_eq!(
            response.header("access-control-allow-credentials"),
            Some("true"),
            "{origin}"
        );
    }
    for origin in [FOREIGN_PAGE, "http://app.example.com", "null"] {
        let response = http(
            &server,
            "GET",
            "/v1/health/version",
            &[("Origin", origin)],
            None,
        )
        .await;
        assert_eq!(response.status, 200);
        assert_eq!(response.header("access-control-allow-origin"), Some(origin));
        assert_eq!(
            response.header("access-control-allow-credentials"),
            None,
            "{origin} must not get credentials"
        );
        let preflight = http(
            &server,
            "OPTIONS",
            "/v1/account",
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "POST"),
                (
                    "Access-Control-Request-Headers",
                    "content-type,x-appwrite-project",
                ),
            ],
            None,
        )
        .await;
        assert_eq!(preflight.status, 200);
        assert_eq!(preflight.header("access-control-allow-credentials"), None);
    }
    assert_healthy(&server).await;
}

#[tokio::test]
async fn foreign_pages_cannot_drive_the_control_surface() {
    let server = start(control_config()).await;
    let (mut client, _) = connect(&server, "project=demo", &[]).await;
    let foreign = [("Origin", FOREIGN_PAGE)];
    let listed = http(&server, "GET", "/_emulator/connections", &foreign, None).await;
    assert_eq!(listed.status, 403);
    assert_eq!(listed.header("access-control-allow-origin"), None);
    for path in ["/_emulator/drop", "/_emulator/reset", "/_emulator/refuse"] {
        let response = http(&server, "POST", path, &foreign, Some(json!({"ms": 1000}))).await;
        assert_eq!(response.status, 403, "{path}");
        let preflight = http(
            &server,
            "OPTIONS",
            path,
            &[
                ("Origin", FOREIGN_PAGE),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type"),
            ],
            None,
        )
        .await;
        assert_eq!(preflight.status, 403, "preflight {path}");
        assert_eq!(preflight.header("access-control-allow-origin"), None);
    }
    // Nothing happened: the socket is still served and connections are not refused.
    client.send(r#"{"type":"ping"}"#).await;
    assert_eq!(client.next().await["type"], "pong");
    let listed = http(&server, "GET", "/_emulator/connections", &[], None).await;
    assert_eq!(listed.body["total"], 1);
    assert_healthy(&server).await;
}

#[tokio::test]
async fn page_control_posts_need_json_or_the_control_header() {
    let server = start(control_config()).await;
    let page = ("Origin", LOOPBACK_PAGE);
    // A form or `no-cors` fetch (no preflight) cannot drive the control surface.
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let response = http_with_body(
            &server,
            "POST",
            "/_emulator/reset",
            &[page],
            content_type,
            "",
        )
        .await;
        assert_eq!(response.status, 415, "{content_type:?}");
    }
    let json_body = http(
        &server,
        "POST",
        "/_emulator/reset",
        &[page],
        Some(json!({})),
    )
    .await;
    assert_eq!(json_body.status, 200);
    assert_eq!(
        json_body.header("access-control-allow-credentials"),
        Some("true")
    );
    let with_header = http(
        &server,
        "POST",
        "/_emulator/reset",
        &[page, ("X-Emulator-Control", "1")],
        None,
    )
    .await;
    assert_eq!(with_header.status, 200);
    // Programs (no Origin: curl, Node's fetch) may still POST without a body.
    let program = http(&server, "POST", "/_emulator/reset", &[], None).await;
    assert_eq!(program.status, 200);
    let preflight = http(
        &server,
        "OPTIONS",
        "/_emulator/reset",
        &[
            page,
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "x-emulator-control"),
        ],
        None,
    )
    .await;
    let allowed = preflight
        .header("access-control-allow-headers")
        .unwrap_or_default();
    assert!(
        allowed.split(',').any(|item| item == "x-emulator-control"),
        "{allowed}"
    );
}

#[tokio::test]
async fn control_durations_are_capped() {
    let server = start(control_config()).await;
    for ms in [
        json!(u64::MAX),
        json!(600_001),
        json!(-1),
        json!(1.5),
        json!("10"),
    ] {
        for path in ["/_emulator/refuse", "/_emulator/silence"] {
            let answer = http(&server, "POST", path, &[], Some(json!({ "ms": ms }))).await;
            assert_eq!(answer.status, 400, "{path} {ms}");
        }
    }
    assert!(!server.emulator.is_refusing_connections());
    let longest = http(
        &server,
        "POST",
        "/_emulator/refuse",
        &[],
        Some(json!({"ms": 600_000})),
    )
    .await;
    assert_eq!(longest.status, 200);
    assert!(server.emulator.is_refusing_connections());
    assert_healthy(&server).await;
}

/// A page the emulator served itself (opened through a LAN address or the `--host` name) may
/// use its own control surface: its origin is the Host it was served from.
#[tokio::test]
async fn the_emulators_own_pages_are_trusted_under_any_accepted_name() {
    let server = start(Config {
        bind_host: Some("emulator.lan".into()),
        ..control_config()
    })
    .await;
    let port = server.address.port();
    let host = format!("emulator.lan:{port}");
    let own = format!("http://emulator.lan:{port}");
    let drop = http(
        &server,
        "POST",
        "/_emulator/drop",
        &[("Host", &host), ("Origin", &own)],
        Some(json!({})),
    )
    .await;
    assert_eq!(drop.status, 200);
    assert_eq!(
        drop.header("access-control-allow-credentials"),
        Some("true")
    );
    let other_port = "http://emulator.lan:1";
    let foreign = http(
        &server,
        "POST",
        "/_emulator/drop",
        &[("Host", &host), ("Origin", other_port)],
        Some(json!({})),
    )
    .await;
    assert_eq!(foreign.status, 403);
}

// ---- Host ------------------------------------------------------------------------------

#[tokio::test]
async fn requests_for_other_hosts_are_refused() {
    let server = start(Config {
        cors_origins: vec!["http://dev.test:3000".into()],
        ..control_config()
    })
    .await;
    let port = server.address.port();
    for host in [
        format!("evil.example:{port}"),
        "evil.example".into(),
        format!("127.0.0.1.evil.example:{port}"),
    ] {
        for path in [
            "/v1/health/version",
            "/_emulator/connections",
            "/v1/realtime?project=demo",
        ] {
            let response = http(&server, "GET", path, &[("Host", &host)], None).await;
            assert_eq!(response.status, 403, "{host} {path}");
        }
    }
    let upgrade = format!(
        "GET /v1/realtime?project=demo HTTP/1.1\r\nHost: rebound.example:{port}\r\nConnection: Upgrade, close\r\n\
         Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    let refused = tokio::time::timeout(FRAME_TIMEOUT, raw_http(&server, upgrade.as_bytes()))
        .await
        .expect("an answer, not an upgrade");
    assert_eq!(refused.status, 403);
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        "localhost".to_string(),
        format!("dev.test:{port}"),
    ] {
        let response = http(
            &server,
            "GET",
            "/v1/health/version",
            &[("Host", &host)],
            None,
        )
        .await;
        assert_eq!(response.status, 200, "{host}");
    }
}

// ---- static files ------------------------------------------------------------------------

/// A fake repository: the served folders plus things that must never be served.
fn static_root(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("emulator-{name}-{}", std::process::id()));
    let files = [
        ("www/index.html", "<p>demo</p>"),
        ("www/.env", "SECRET=1"),
        ("pkg/appwrite_realtime_wasm.js", "export {}"),
        ("examples/vite/dist/index.html", "<p>vite</p>"),
        ("examples/vite/src/main.js", "source"),
        ("e2e/conformance/blank.html", "<!doctype html>"),
        ("e2e/harness.mjs", "harness"),
        (".git/config", "[core]"),
        ("target/debug/secret", "binary"),
        ("Cargo.toml", "[workspace]"),
    ];
    for (path, content) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create folders");
        std::fs::write(path, content).expect("write fixture");
    }
    root
}

#[tokio::test]
async fn static_root_serves_only_the_demo_folders_and_no_dotfiles() {
    let root = static_root("static");
    let server = start(Config {
        static_root: Some(root.clone()),
        ..Config::default()
    })
    .await;
    let redirect = http(&server, "GET", "/", &[], None).await;
    assert_eq!(redirect.status, 307);
    assert_eq!(redirect.header("location"), Some("/www/"));
    for (path, expected) in [
        ("/www/", "<p>demo</p>"),
        ("/pkg/appwrite_realtime_wasm.js", "export {}"),
        ("/examples/vite/dist/", "<p>vite</p>"),
        ("/e2e/conformance/blank.html", "<!doctype html>"),
    ] {
        let response = http(&server, "GET", path, &[("Origin", LOOPBACK_PAGE)], None).await;
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(response.body, json!(expected), "{path}");
    }
    for path in [
        "/.git/config",
        "/www/.env",
        "/www/%2e%2e/Cargo.toml",
        "/www/../.git/config",
        "/%2Egit/config",
        "/target/debug/secret",
        "/Cargo.toml",
        "/examples/vite/src/main.js",
        "/e2e/harness.mjs",
    ] {
        let response = http(&server, "GET", path, &[], None).await;
        assert_eq!(response.status, 404, "{path} must not be served");
    }
    let _ = std::fs::remove_dir_all(root);
}

// ---- query strings -----------------------------------------------------------------------

#[tokio::test]
async fn deeply_nested_and_numerous_query_parameters_are_cheap_and_harmless() {
    let server = start(control_config()).await;
    let deep = "[]".repeat(4_000);
    let many = "a[]=x&".repeat(10_000);
    for query in [
        format!("project=demo&a{deep}=x"),
        format!("project=demo&{many}"),
    ] {
        let started = Instant::now();
        let response = http(&server, "GET", &format!("/v1/account?{query}"), &[], None).await;
        assert_eq!(response.status, 401, "a guest asking for its account");
        assert_eq!(response.body["type"], "general_unauthorized_scope");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );

        let (mut client, connected) = connect(&server, &query, &[]).await;
        assert_eq!(connected["data"]["channels"], json!([]));
        client.send(r#"{"type":"ping"}"#).await;
        assert_eq!(client.next().await["type"], "pong");
    }
    // 3,000 channels in the URL (near the 64 KiB a URI may have): PHP reads 1,000 variables,
    // still more than one subscription holds.
    let channels: String = (0..3_000).map(|i| format!("channels[]=c{i}&")).collect();
    let mut refused = open(&server, &format!("project=demo&{channels}"), &[]).await;
    let error = refused.next().await;
    assert_eq!(error["data"]["code"], 1008, "{error}");
    assert_eq!(
        error["data"]["message"],
        "Too many channels: at most 100 per subscription."
    );
    refused.expect_tcp_drop().await;
    assert_healthy(&server).await;
}

// ---- bodies ------------------------------------------------------------------------------

/// Streams `total` bytes of body after a head announcing them, while reading the answer; stops
/// writing once the server answered or closed. Returns the response status.
async fn post_streamed_body(server: &Server, path: &str, content_type: &str, total: usize) -> u16 {
    let stream = tokio::net::TcpStream::connect(server.address)
        .await
        .expect("tcp connect");
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nX-Appwrite-Project: demo\r\nContent-Type: {content_type}\r\n\
         Content-Length: {total}\r\nConnection: close\r\n\r\n",
        server.address
    );
    let writing = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        let chunk = vec![b'x'; 64 * 1024];
        let mut sent = 0;
        while sent < total {
            let size = chunk.len().min(total - sent);
            writer.write_all(&chunk[..size]).await?;
            sent += size;
        }
        Ok::<usize, std::io::Error>(sent)
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = tokio::time::timeout(FRAME_TIMEOUT, reader.read(&mut buffer))
            .await
            .expect("an answer in time");
        match read {
            Ok(0) | Err(_) => break,
            Ok(size) => answer.extend_from_slice(&buffer[..size]),
        }
    }
    writing.abort();
    let text = String::from_utf8_lossy(&answer);
    text.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("a status line, got {text:?}"))
}

#[tokio::test]
async fn huge_and_malformed_bodies_are_refused() {
    let _heavy = HEAVY.lock().await;
    let server = start(control_config()).await;
    let rss_before = rss_bytes();
    let documents = "/v1/databases/main/collections/posts/documents";
    let fifty_megabytes = 50 * 1024 * 1024;
    for (path, content_type) in [
        (documents, "application/json"),
        (
            "/v1/storage/buckets/b/files",
            "multipart/form-data; boundary=x",
        ),
        ("/_emulator/publish", "application/json"),
    ] {
        let status = post_streamed_body(&server, path, content_type, fifty_megabytes).await;
        assert_eq!(status, 413, "{path}");
    }
    let invalid = http_with_body(
        &server,
        "POST",
        documents,
        &[PROJECT],
        Some("application/json"),
        "{\"data\":",
    )
    .await;
    assert_eq!(invalid.status, 400);
    assert_eq!(
        invalid.body["message"],
        "Request body must be a JSON object."
    );
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep = http_with_body(
        &server,
        "POST",
        documents,
        &[PROJECT],
        Some("application/json"),
        &nested,
    )
    .await;
    assert_eq!(deep.status, 400);
    let form = http_with_body(
        &server,
        "POST",
        documents,
        &[PROJECT],
        Some("text/plain"),
        "a=b&c=d",
    )
    .await;
    assert_eq!(form.status, 400);
    let control = http_with_body(
        &server,
        "POST",
        "/_emulator/publish",
        &[],
        Some("application/json"),
        "[1,2",
    )
    .await;
    assert_eq!(control.status, 400);
    let garbage = raw_http(&server, b"\x00\x01 NOT HTTP\r\n\r\n").await;
    assert_eq!(garbage.status, 400);
    assert_healthy(&server).await;
    let grown = rss_bytes().saturating_sub(rss_before);
    eprintln!("huge bodies: RSS +{} MiB", grown >> 20);
    assert!(grown < 64 << 20, "RSS grew by {} MiB", grown >> 20);
}

// ---- websocket frames ----------------------------------------------------------------------

#[tokio::test]
async fn malformed_and_oversized_frames() {
    let server = start(control_config()).await;
    let (mut client, _) = connect(&server, "project=demo", &[]).await;
    let nested = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let frames: Vec<(Message, i64)> = vec![
        (Message::Text("not json".into()), 1003),
        (Message::Text(nested.into()), 1003),
        (
            Message::Text(r#"{"type":"teleport","data":{}}"#.into()),
            1003,
        ),
        (Message::Text(r#"{"type":["ping"]}"#.into()), 1003),
        (Message::Text("null".into()), 1003),
        (Message::Text(r#""just a string""#.into()), 0),
        (Message::Binary(vec![0xff, 0xfe, 0x00, 0x01].into()), 1003),
        (
            Message::Text(r#"{"type":"subscribe","data":[{"channels":[{"a":1}]}]}"#.into()),
            1003,
        ),
    ];
    for (frame, code) in frames {
        let shown = format!("{frame:?}").chars().take(80).collect::<String>();
        client.socket.send(frame).await.expect("send");
        let error = client.next().await;
        assert_eq!(error["type"], "error", "{shown}");
        assert_eq!(error["data"]["code"], code, "{shown}: {error}");
    }
    // Binary frames carrying JSON are read like text ones.
    client
        .socket
        .send(Message::Binary(br#"{"type":"ping"}"#.to_vec().into()))
        .await
        .expect("send");
    assert_eq!(client.next().await["type"], "pong");

    // Over 64,000 bytes: dropped without an error frame, as Swoole does.
    for size in [64_001, 1 << 20] {
        let (mut big, _) = connect(&server, "project=demo", &[]).await;
        let frame = format!(r#"{{"type":"ping","data":"{}"}}"#, "x".repeat(size));
        let _ = big.socket.send(Message::Text(frame.into())).await;
        big.expect_tcp_drop().await;
    }
    client.send(r#"{"type":"ping"}"#).await;
    assert_eq!(client.next().await["type"], "pong");
    assert_healthy(&server).await;
}

// ---- limits on one socket ------------------------------------------------------------------

#[tokio::test]
async fn subscriptions_per_connection_are_capped() {
    let server = start_default().await;
    let (mut client, _) = connect(&server, "project=demo", &[]).await;
    let batch: Vec<_> = (0..1_000)
        .map(|i| json!({"subscriptionId": format!("s{i}"), "channels": ["c"]}))
        .collect();
    let ack = client.subscribe(json!(batch)).await;
    assert_eq!(ack["data"]["success"], true);
    let over = client.next_after(json!({"type": "subscribe", "data": [{"subscriptionId": "one-more", "channels": ["c"]}]})).await;
    assert_eq!(
        over["data"],
        json!({"code": 1003, "message": "items: Too many subscriptions: at most 1000 per connection."})
    );
    // Re-subscribing an existing id is an update, not a new subscription.
    let update = client
        .subscribe(json!([{"subscriptionId": "s1", "channels": ["d"]}]))
        .await;
    assert_eq!(update["data"]["success"], true);

    let (mut wide, _) = connect(&server, "project=demo", &[]).await;
    let channels: Vec<String> = (0..101).map(|i| format!("c{i}")).collect();
    let error = wide
        .next_after(
            json!({"type": "subscribe", "data": [{"subscriptionId": "w", "channels": channels}]}),
        )
        .await;
    assert_eq!(
        error["data"],
        json!({"code": 1003, "message": "items: Too many channels: at most 100 per subscription."})
    );
    let listed = server.emulator.with_state(|state| {
        state
            .connections
            .values()
            .map(|connection| connection.subscriptions.len())
            .collect::<Vec<_>>()
    });
    assert_eq!(listed, vec![1_000, 0], "a refused batch changes nothing");

    // Big channel names and queries: at most 1 MiB of them per connection.
    let (mut heavy, _) = connect(&server, "project=demo", &[]).await;
    let long_channel = "c".repeat(50_000);
    let mut refused_at = None;
    for i in 0..30 {
        let reply = heavy.next_after(json!({"type": "subscribe", "data": [{"subscriptionId": format!("h{i}"), "channels": [format!("{long_channel}{i}")]}]})).await;
        if reply["type"] == "error" {
            assert_eq!(reply["data"]["code"], 1003);
            refused_at = Some(i);
            break;
        }
    }
    assert_eq!(refused_at, Some(20), "the 21st 50 kB channel passes 1 MiB");
    heavy.send(r#"{"type":"ping"}"#).await;
    assert_eq!(heavy.next().await["type"], "pong", "the socket stays open");
}

fn publication(channel: &str, payload: serde_json::Value) -> Publication {
    Publication {
        project: "demo".into(),
        events: vec!["test.flood".into()],
        channels: vec![channel.into()],
        roles: vec!["any".into()],
        payload,
        permissions_changed_for: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_stops_reading_is_dropped_with_bounded_memory() {
    let _heavy = HEAVY.lock().await;
    let server = start_default().await;
    let (mut slow, _) = connect(&server, "project=demo", &[]).await;
    slow.subscribe(json!([{"subscriptionId": "s", "channels": ["flood"]}]))
        .await;
    let (mut healthy, _) = connect(&server, "project=demo", &[]).await;
    healthy
        .subscribe(json!([{"subscriptionId": "s", "channels": ["other"]}]))
        .await;

    let rss_before = rss_bytes();
    let payload = json!({"blob": "x".repeat(64 * 1024)});
    let attempts = 3_000; // 192 MiB if nothing ever stopped it
    let mut queued_peak = 0;
    let mut delivered = 0;
    for _ in 0..attempts {
        let reached = server.emulator.with_state(|state| {
            let reached = state.publish(
                publication("flood", payload.clone()),
                ServerVersion::Current,
            );
            let queued = state
                .connections
                .values()
                .map(|c| c.describe()["queuedBytes"].as_u64().unwrap_or(0))
                .max();
            (reached, queued.unwrap_or(0))
        });
        queued_peak = queued_peak.max(reached.1);
        if reached.0 == 0 {
            break;
        }
        delivered += 1;
        tokio::task::yield_now().await;
    }
    assert!(
        delivered < attempts,
        "the slow subscriber was never dropped"
    );
    assert!(
        queued_peak <= OUTBOUND_QUEUE_BYTES as u64,
        "queue peaked at {queued_peak} bytes"
    );
    let grown = rss_bytes().saturating_sub(rss_before);
    eprintln!(
        "slow reader: dropped after {delivered} frames of 64 KiB; queue peak {} KiB; RSS +{} MiB",
        queued_peak >> 10,
        grown >> 20
    );
    assert!(grown < 96 << 20, "RSS grew by {} MiB", grown >> 20);

    // The slow socket gets what was already in flight, then the end of the stream.
    let mut frames = 0;
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(message)) = slow.socket.next().await {
            if message.is_text() {
                frames += 1;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the slow socket was closed");
    assert!(frames < delivered, "{frames} of {delivered} frames arrived");
    // Others are unaffected.
    server.emulator.with_state(|state| {
        state.publish(
            publication("other", json!({"n": 1})),
            ServerVersion::Current,
        )
    });
    assert_eq!(healthy.next().await["data"]["payload"]["n"], 1);
    assert_healthy(&server).await;
}

// ---- many sockets ---------------------------------------------------------------------------

/// The soft limit on open files of this process.
fn open_file_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            limits
                .lines()
                .find(|line| line.starts_with("Max open files"))
                .and_then(|line| line.split_whitespace().nth(3).map(str::to_string))
        })
        .and_then(|soft| soft.parse().ok())
        .unwrap_or(1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_sockets_at_once() {
    let _heavy = HEAVY.lock().await;
    let server = start_default().await;
    // Each socket costs two descriptors here (client and server end); keep a margin.
    let sockets = 1_000.min(open_file_limit().saturating_sub(256) / 2);
    assert!(
        sockets >= 100,
        "the open-file limit is too low for this test"
    );
    let rss_before = rss_bytes();
    let mut opening = tokio::task::JoinSet::new();
    for _ in 0..sockets {
        let url = format!("ws://{}/v1/realtime?project=demo", server.address);
        opening.spawn(async move {
            let (mut socket, _) = tokio_tungstenite::connect_async(url)
                .await
                .expect("handshake");
            let connected = socket.next().await.expect("a frame").expect("no error");
            assert!(connected
                .to_text()
                .unwrap_or_default()
                .contains("connected"));
            socket
        });
    }
    let mut clients = Vec::with_capacity(sockets);
    while let Some(client) = opening.join_next().await {
        clients.push(client.expect("socket task"));
    }
    let open = server.emulator.with_state(|state| state.connections.len());
    assert_eq!(open, sockets);
    assert_healthy(&server).await;
    let grown = rss_bytes().saturating_sub(rss_before);
    eprintln!("{sockets} sockets: RSS +{} MiB", grown >> 20);
    assert!(
        grown < 128 << 20,
        "{sockets} sockets grew RSS by {} MiB",
        grown >> 20
    );
    for mut client in clients {
        let _ = client.close(None).await;
    }
    assert_healthy(&server).await;
}

// ---- ordering ---------------------------------------------------------------------------------

/// Concurrent writes: events reach subscribers in the order the writes were committed
/// (documents' `$sequence` is assigned at commit).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_publish_in_commit_order() {
    let server = start_default().await;
    let (mut client, _) = connect(&server, "project=demo", &[]).await;
    client
        .subscribe(json!([{"subscriptionId": "s", "channels": ["databases.order.collections.c.documents"]}]))
        .await;
    let writers = 8;
    let writes_per_writer = 40;
    let mut tasks = tokio::task::JoinSet::new();
    for writer in 0..writers {
        let address = server.address;
        tasks.spawn(async move {
            let body = |i: usize| json!({"documentId": format!("w{writer}-{i}"), "data": {}, "permissions": ["read(\"any\")"]}).to_string();
            let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
            // One keep-alive connection per writer, requests pipelined to maximise overlap.
            let mut requests = String::new();
            for i in 0..writes_per_writer {
                let body = body(i);
                requests.push_str(&format!(
                    "POST /v1/databases/order/collections/c/documents HTTP/1.1\r\nHost: {address}\r\n\
                     X-Appwrite-Project: demo\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                ));
            }
            stream.write_all(requests.as_bytes()).await.expect("write");
            let mut answers = Vec::new();
            let mut buffer = [0u8; 16 * 1024];
            while String::from_utf8_lossy(&answers).matches("HTTP/1.1 201").count() < writes_per_writer {
                let read = tokio::time::timeout(FRAME_TIMEOUT, stream.read(&mut buffer))
                    .await
                    .expect("answers in time")
                    .expect("read");
                assert!(read > 0, "the server closed early");
                answers.extend_from_slice(&buffer[..read]);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("writer");
    }
    let mut sequences = Vec::new();
    for _ in 0..writers * writes_per_writer {
        let event = client.next().await;
        let sequence = event["data"]["payload"]["$sequence"]
            .as_str()
            .expect("$sequence");
        sequences.push(sequence.parse::<u64>().expect("numeric $sequence"));
    }
    let out_of_order: Vec<_> = sequences
        .windows(2)
        .filter(|pair| pair[0] > pair[1])
        .collect();
    assert!(
        out_of_order.is_empty(),
        "events out of commit order: {out_of_order:?}"
    );
}
