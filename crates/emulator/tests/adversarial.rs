//! Hostile requests against a real emulator on 127.0.0.1: after each, the server must still
//! answer, refuse what it should, and keep its memory bounded.

mod common;

use appwrite_realtime_emulator::Config;
use common::*;
use serde_json::json;
use std::path::PathBuf;

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
        let refused = http(
            &server,
            "POST",
            "/_emulator/refuse",
            &[],
            Some(json!({ "ms": ms })),
        )
        .await;
        assert_eq!(refused.status, 400, "refuse {ms}");
        let silenced = http(
            &server,
            "POST",
            "/_emulator/silence",
            &[],
            Some(json!({ "ms": ms })),
        )
        .await;
        assert_eq!(silenced.status, 400, "silence {ms}");
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
