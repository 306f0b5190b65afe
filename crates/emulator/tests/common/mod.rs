//! Test harness: an in-process emulator on port 0, a WebSocket client that awaits
//! frames with a timeout, and a tiny HTTP/1.1 client.
#![allow(dead_code)] // each test binary uses a different part of the harness

use appwrite_realtime_emulator::{serve, Config, Emulator};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const FRAME_TIMEOUT: Duration = Duration::from_secs(3);

pub struct Server {
    pub address: SocketAddr,
    pub emulator: Arc<Emulator>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.emulator.shutdown();
    }
}

pub async fn start(config: Config) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let address = listener.local_addr().expect("bound address");
    let emulator = Emulator::new(config);
    tokio::spawn(serve(listener, emulator.clone()));
    Server { address, emulator }
}

pub async fn start_default() -> Server {
    start(Config::default()).await
}

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct Client {
    pub socket: Socket,
}

/// Opens `/v1/realtime?<query>` with extra headers.
pub async fn open(server: &Server, query: &str, headers: &[(&str, &str)]) -> Client {
    let url = format!("ws://{}/v1/realtime?{query}", server.address);
    let mut request = url.into_client_request().expect("valid ws url");
    for (name, value) in headers {
        request.headers_mut().insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            value.parse().expect("header value"),
        );
    }
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket handshake");
    Client { socket }
}

/// Opens a message-mode connection and consumes the `connected` frame.
pub async fn connect(server: &Server, query: &str, headers: &[(&str, &str)]) -> (Client, Value) {
    let mut client = open(server, query, headers).await;
    let connected = client.next().await;
    assert_eq!(connected["type"], "connected", "first frame: {connected}");
    (client, connected)
}

impl Client {
    pub async fn send(&mut self, frame: &str) {
        self.socket
            .send(Message::Text(frame.into()))
            .await
            .expect("send frame");
    }

    pub async fn send_json(&mut self, frame: Value) {
        self.send(&frame.to_string()).await;
    }

    /// The next text frame as JSON; panics after FRAME_TIMEOUT.
    pub async fn next(&mut self) -> Value {
        let text = self.next_text().await;
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("frame is JSON: {text}"))
    }

    pub async fn next_text(&mut self) -> String {
        loop {
            let message = tokio::time::timeout(FRAME_TIMEOUT, self.socket.next())
                .await
                .expect("a frame before the timeout")
                .expect("socket still open")
                .expect("no socket error");
            match message {
                Message::Text(text) => return text.to_string(),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// Asserts nothing arrives within `wait`.
    pub async fn expect_silence(&mut self, wait: Duration) {
        if let Ok(message) = tokio::time::timeout(wait, self.socket.next()).await {
            panic!("expected no frame, got {message:?}");
        }
    }

    /// Asserts the server dropped TCP without sending a close frame.
    pub async fn expect_tcp_drop(&mut self) {
        let outcome = tokio::time::timeout(FRAME_TIMEOUT, self.socket.next())
            .await
            .expect("the connection ends before the timeout");
        match outcome {
            None
            | Some(Err(WsError::Protocol(_)))
            | Some(Err(WsError::ConnectionClosed))
            | Some(Err(WsError::Io(_))) => {}
            Some(other) => panic!("expected a TCP drop without close frame, got {other:?}"),
        }
    }

    /// Sends a frame and returns the next one.
    pub async fn next_after(&mut self, frame: Value) -> Value {
        self.send_json(frame).await;
        self.next().await
    }

    /// Sends a `subscribe` and returns the ack.
    pub async fn subscribe(&mut self, items: Value) -> Value {
        self.send_json(serde_json::json!({"type": "subscribe", "data": items}))
            .await;
        let ack = self.next().await;
        assert_eq!(ack["type"], "response", "subscribe ack: {ack}");
        ack
    }
}

pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// One HTTP/1.1 request with `Connection: close`.
pub async fn http(
    server: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> HttpResponse {
    let body_text = body.map(|body| body.to_string()).unwrap_or_default();
    let content_type = (!body_text.is_empty()).then_some("application/json");
    http_with_body(server, method, path, headers, content_type, &body_text).await
}

/// One HTTP/1.1 request with `Connection: close` and a body of any type. A `Host` among
/// `headers` replaces the default (the server's address).
pub async fn http_with_body(
    server: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    content_type: Option<&str>,
    body_text: &str,
) -> HttpResponse {
    let host = server.address.to_string();
    let host = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("host"))
        .map_or(host.as_str(), |(_, value)| value);
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body_text.len()
    );
    if let Some(content_type) = content_type {
        request.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    for (name, value) in headers {
        if !name.eq_ignore_ascii_case("host") {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    request.push_str("\r\n");
    request.push_str(body_text);
    raw_http(server, request.as_bytes()).await
}

/// Writes `request` as-is on a new connection and reads the response until the server closes.
pub async fn raw_http(server: &Server, request: &[u8]) -> HttpResponse {
    let mut stream = TcpStream::connect(server.address)
        .await
        .expect("tcp connect");
    stream.write_all(request).await.expect("write request");
    let mut raw = Vec::new();
    tokio::time::timeout(FRAME_TIMEOUT, stream.read_to_end(&mut raw))
        .await
        .expect("response in time")
        .expect("read response");
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = raw.split_once("\r\n\r\n").expect("header/body separator");
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body_text = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    let body = if body_text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&body_text).unwrap_or(Value::String(body_text))
    };
    HttpResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size_line, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size_line.trim(), 16).unwrap_or(0);
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

pub const PROJECT: (&str, &str) = ("X-Appwrite-Project", "demo");

/// Creates a user with a session; returns (user id, session token).
pub async fn user_with_session(server: &Server, user_id: &str) -> (String, String) {
    let email = format!("{user_id}@example.com");
    let created = http(server, "POST", "/v1/users", &[PROJECT], Some(serde_json::json!({"userId": user_id, "email": email, "password": "password123", "name": user_id}))).await;
    assert_eq!(created.status, 201, "create user: {}", created.body);
    let session = http(
        server,
        "POST",
        "/v1/account/sessions/email",
        &[PROJECT],
        Some(serde_json::json!({"email": email, "password": "password123"})),
    )
    .await;
    assert_eq!(session.status, 201, "create session: {}", session.body);
    let cookie = session.header("set-cookie").expect("session cookie");
    let token = cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, value)| value.to_string())
        .expect("cookie value");
    (
        created.body["$id"].as_str().expect("user id").to_string(),
        token,
    )
}

/// `application/x-www-form-urlencoded` as `URLSearchParams` writes it.
pub fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// `base?queries[0]=…&queries[1]=…`, as the official SDK flattens a list call's queries.
pub fn list_path(base: &str, queries: &[Value]) -> String {
    let params: Vec<String> = queries
        .iter()
        .enumerate()
        .map(|(index, query)| {
            let text = match query {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            format!(
                "{}={}",
                form_encode(&format!("queries[{index}]")),
                form_encode(&text)
            )
        })
        .collect();
    format!("{base}?{}", params.join("&"))
}

/// The `$id`s of a list answer's `key` member (`documents` or `rows`), in order.
pub fn ids(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .unwrap_or_else(|| panic!("a {key} list: {body}"))
        .iter()
        .map(|row| row["$id"].as_str().expect("$id").to_string())
        .collect()
}
