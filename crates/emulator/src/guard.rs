//! What every request passes before a route sees it: the `Host` check (DNS rebinding), CORS
//! (credentials only for loopback and `--cors-origin` pages), the rules of the control
//! surface, and which static files may be served.
//!
//! Policy, in order:
//! 1. `Host` must name this machine as a browser on it would: a loopback name (`localhost`,
//!    `*.localhost`, `127.0.0.0/8`, `[::1]`), the address the client connected to (so
//!    `--host 0.0.0.0` works through the machine's own addresses), the `--host` name, or the
//!    host of a `--cors-origin`. The port is not compared (port forwarding changes it; a
//!    rebinding attack changes the name). Anything else gets 403.
//! 2. `Origin` is *trusted* when it is a loopback `http(s)` origin (any port), listed with
//!    `--cors-origin`, or the emulator's own origin (the same host and port as
//!    `Host`, i.e. a page it served); trusted origins get credentialed CORS. Other origins get CORS without
//!    `Access-Control-Allow-Credentials`, and 403 on `/_emulator/…`.
//! 3. A browser POST to `/_emulator/…` (one that carries `Origin`) must have
//!    `Content-Type: application/json` or an `X-Emulator-Control` header (both force a
//!    preflight), else 415. Requests without `Origin` come from programs, not pages.

use crate::Emulator;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::serve::IncomingStream;
use axum::Json;
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tokio::net::TcpListener;

/// Both ends of a client's TCP connection (axum connect info).
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub remote: SocketAddr,
    /// The address the client connected to; `None` when unknown.
    pub local: Option<SocketAddr>,
}

impl Connected<IncomingStream<'_, TcpListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, TcpListener>) -> Peer {
        // Read once per accepted connection, which is where axum lets a server set up its
        // socket: without TCP_NODELAY a frame written while the previous one is unacknowledged
        // waits for the peer's delayed ACK (about 40 ms on Linux), as an event right after a
        // subscribe response did.
        let _ = stream.io().set_nodelay(true);
        Peer {
            remote: *stream.remote_addr(),
            local: stream.io().local_addr().ok(),
        }
    }
}

/// The header a control call may send instead of a JSON content type.
pub const CONTROL_HEADER: &str = "x-emulator-control";

/// Request headers Appwrite allows cross-origin (its `app/config/cors.php`). The web SDK sends
/// several of them only after a setter (`setLocale`, `setSession`, `setImpersonateUserId`, …)
/// or for chunked uploads (`X-Appwrite-ID`, `Content-Range`); a shorter list fails preflights.
const CORS_ALLOWED_HEADERS: [&str; 36] = [
    "accept",
    "origin",
    "cookie",
    "set-cookie",
    "content-type",
    "content-range",
    "x-appwrite-project",
    "x-appwrite-key",
    "x-appwrite-dev-key",
    "x-appwrite-locale",
    "x-appwrite-mode",
    "x-appwrite-jwt",
    "x-appwrite-organization",
    "x-appwrite-response-format",
    "x-appwrite-timeout",
    "x-appwrite-id",
    "x-appwrite-timestamp",
    "x-appwrite-session",
    "x-appwrite-platform",
    "x-appwrite-impersonate-user-id",
    "x-appwrite-impersonate-user-email",
    "x-appwrite-impersonate-user-phone",
    "x-sdk-version",
    "x-sdk-name",
    "x-sdk-language",
    "x-sdk-platform",
    "x-sdk-graphql",
    "x-sdk-profile",
    "range",
    "cache-control",
    "expires",
    "pragma",
    "x-fallback-cookies",
    "x-requested-with",
    "x-forwarded-for",
    "x-forwarded-user-agent",
];
const CORS_METHODS: &str = "GET,POST,PUT,PATCH,DELETE,OPTIONS";
const CORS_EXPOSED_HEADERS: &str = "x-appwrite-session,x-fallback-cookies";
const CORS_MAX_AGE: &str = "3600";
const VARY: &str = "origin, access-control-request-method, access-control-request-headers";

/// Folders of `--static-root` that may be served: the demo, the package, the Vite example's
/// build and the conformance suite's blank page.
pub const STATIC_FOLDERS: [&str; 4] = ["www", "pkg", "examples/vite/dist", "e2e/conformance"];

/// An `http(s)` origin split into parts; ports are explicit (80/443 filled in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// Parses `scheme://host[:port]` (a trailing `/` is tolerated); `None` for anything else,
    /// including the opaque origin `null`.
    pub fn parse(text: &str) -> Option<Origin> {
        let (scheme, rest) = text.trim().split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
            return None;
        }
        let (host, port) = split_host_port(authority)?;
        Some(Origin {
            scheme,
            host,
            port: port.unwrap_or(default_port),
        })
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether a `Host` header value names this origin: then the page was served by the
    /// emulator itself (same origin), e.g. the demo opened through `--host 0.0.0.0` from
    /// another machine. The Host check has already vouched for that name.
    pub fn is_host(&self, host_header: &str) -> bool {
        let default_port = if self.scheme == "https" { 443 } else { 80 };
        split_host_port(host_header.trim()).is_some_and(|(host, port)| {
            host == self.host && port.unwrap_or(default_port) == self.port
        })
    }
}

/// `host[:port]` → lowercase host (IPv6 keeps its brackets) and the port if given.
fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']')?;
        let (host, rest) = authority.split_at(close + 1);
        match rest {
            "" => (host, None),
            _ => (host, Some(rest.strip_prefix(':')?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host.contains(':') && !host.starts_with('[') {
        return None;
    }
    let port = match port {
        Some(port) => Some(port.parse::<u16>().ok()?),
        None => None,
    };
    Some((host.to_ascii_lowercase(), port))
}

/// `localhost`, `*.localhost`, `127.0.0.0/8` and `[::1]`.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    host_ip(host).is_some_and(|ip| ip.is_loopback())
}

fn host_ip(host: &str) -> Option<IpAddr> {
    let bare = host
        .strip_prefix('[')
        .and_then(|host| host.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

/// What the guard knows from the configuration.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// `--cors-origin` values.
    pub cors_origins: Vec<Origin>,
    /// `--host`, lowercase, when it is a name or a specific address (not `0.0.0.0` / `::`).
    pub bind_host: Option<String>,
}

impl Policy {
    pub fn new(cors_origins: &[String], bind_host: Option<&str>) -> Result<Policy, String> {
        let cors_origins = cors_origins
            .iter()
            .map(|text| {
                Origin::parse(text).ok_or_else(|| {
                    format!("--cors-origin '{text}' is not an origin like http://host:port")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let bind_host = bind_host
            .map(|host| host.trim().to_ascii_lowercase())
            .filter(|host| !host_ip(host).is_some_and(|ip| ip.is_unspecified()))
            .map(|host| match host.parse::<std::net::Ipv6Addr>() {
                Ok(_) => format!("[{host}]"),
                Err(_) => host,
            });
        Ok(Policy {
            cors_origins,
            bind_host,
        })
    }

    pub fn trusts_origin(&self, origin: &Origin) -> bool {
        is_loopback_host(&origin.host) || self.cors_origins.contains(origin)
    }

    /// Whether a `Host` header value may reach this server (rule 1 above).
    pub fn accepts_host(&self, host_header: &str, local: Option<SocketAddr>) -> bool {
        let Some((host, _port)) = split_host_port(host_header.trim()) else {
            return false;
        };
        is_loopback_host(&host)
            || self.bind_host.as_deref() == Some(host.as_str())
            || local.is_some_and(|local| host_ip(&host) == Some(local.ip().to_canonical()))
            || local.is_some_and(|local| host_ip(&host) == Some(local.ip()))
            || self.cors_origins.iter().any(|origin| origin.host == host)
    }
}

fn refuse(status: StatusCode, message: String) -> Response {
    (
        status,
        Json(json!({"message": message, "code": status.as_u16()})),
    )
        .into_response()
}

fn is_control_path(path: &str) -> bool {
    path == "/_emulator" || path.starts_with("/_emulator/")
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case("application/json"))
}

/// How the request's `Origin` is treated.
enum Caller {
    /// No `Origin`: not a cross-origin browser request; no CORS headers.
    Program,
    Trusted(HeaderValue),
    Foreign(HeaderValue),
}

/// The middleware; see the module documentation for the rules.
pub async fn guard(
    State(emulator): State<Arc<Emulator>>,
    request: Request,
    next: Next,
) -> Response {
    let policy = &emulator.policy;
    let local = request
        .extensions()
        .get::<ConnectInfo<Peer>>()
        .and_then(|ConnectInfo(peer)| peer.local);
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
        .or_else(|| {
            request
                .uri()
                .authority()
                .map(|authority| authority.to_string())
        });
    // No Host at all is not a browser (browsers always send one), so it cannot be rebinding.
    if let Some(host) = &host {
        if !policy.accepts_host(host, local) {
            return refuse(
                StatusCode::FORBIDDEN,
                format!("Host '{host}' is not allowed: use 127.0.0.1, localhost or a --cors-origin host"),
            );
        }
    }

    let caller = match request.headers().get(header::ORIGIN) {
        None => Caller::Program,
        Some(value) => {
            let trusted = value
                .to_str()
                .ok()
                .and_then(Origin::parse)
                .is_some_and(|origin| {
                    policy.trusts_origin(&origin)
                        || host.as_deref().is_some_and(|host| origin.is_host(host))
                });
            if trusted {
                Caller::Trusted(value.clone())
            } else {
                Caller::Foreign(value.clone())
            }
        }
    };
    let path = request.uri().path();
    if is_control_path(path) {
        if let Caller::Foreign(_) = caller {
            return refuse(
                StatusCode::FORBIDDEN,
                "the control surface answers only loopback and --cors-origin pages".to_string(),
            );
        }
        if request.method() == Method::POST
            && matches!(caller, Caller::Trusted(_))
            && !is_json(request.headers())
            && !request.headers().contains_key(CONTROL_HEADER)
        {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "control calls from pages need Content-Type: application/json or X-Emulator-Control".to_string(),
            );
        }
    }

    let is_preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = match (&caller, is_preflight) {
        (Caller::Trusted(_) | Caller::Foreign(_), true) => {
            let mut response = StatusCode::OK.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(CORS_METHODS),
            );
            let allowed = format!("{},{CONTROL_HEADER}", CORS_ALLOWED_HEADERS.join(","));
            if let Ok(value) = HeaderValue::from_str(&allowed) {
                headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, value);
            }
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(CORS_MAX_AGE),
            );
            response
        }
        _ => {
            let mut response = next.run(request).await;
            if !matches!(caller, Caller::Program) {
                response.headers_mut().insert(
                    header::ACCESS_CONTROL_EXPOSE_HEADERS,
                    HeaderValue::from_static(CORS_EXPOSED_HEADERS),
                );
            }
            response
        }
    };
    let headers = response.headers_mut();
    match caller {
        Caller::Program => {}
        Caller::Trusted(origin) => {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        Caller::Foreign(origin) => {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
    }
    headers.append(header::VARY, HeaderValue::from_static(VARY));
    response
}

/// Whether `path` (as requested, percent-encoded) may be served from `--static-root`: inside
/// one of [`STATIC_FOLDERS`], with no segment starting with `.` (no `.git`, no `..`, no
/// dotfiles), no backslash and no NUL.
pub fn is_servable_static_path(path: &str) -> bool {
    let Some(decoded) = percent_decode_path(path) else {
        return false;
    };
    if decoded.contains(['\\', '\0']) {
        return false;
    }
    let relative = decoded.trim_start_matches('/');
    let segments: Vec<&str> = relative.split('/').collect();
    if segments.iter().any(|segment| segment.starts_with('.')) {
        return false;
    }
    STATIC_FOLDERS.iter().any(|folder| {
        let folder_segments: Vec<&str> = folder.split('/').collect();
        segments.len() >= folder_segments.len()
            && segments[..folder_segments.len()] == folder_segments[..]
    })
}

/// `%XX` decoding of a URL path (no `+` rule); `None` when the bytes are not UTF-8.
fn percent_decode_path(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == b'%' && index + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).ok();
            if let Some(decoded) = hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                out.push(decoded);
                index += 3;
                continue;
            }
        }
        out.push(byte);
        index += 1;
    }
    String::from_utf8(out).ok()
}

/// Serves `--static-root` files only where [`is_servable_static_path`] allows; 404 elsewhere.
pub async fn static_filter(request: Request, next: Next) -> Response {
    if is_servable_static_path(request.uri().path()) {
        next.run(request).await
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(origins: &[&str], bind: Option<&str>) -> Policy {
        let origins: Vec<String> = origins.iter().map(|origin| origin.to_string()).collect();
        Policy::new(&origins, bind).expect("valid policy")
    }

    #[test]
    fn origins_parse_and_loopback_is_trusted() {
        let policy = policy(&["https://app.example.com"], None);
        for trusted in [
            "http://localhost:5173",
            "http://127.0.0.1:8000",
            "http://127.1.2.3",
            "https://[::1]:4443",
            "http://app.localhost:3000",
            "https://app.example.com",
            "https://APP.example.com:443/",
        ] {
            let origin = Origin::parse(trusted).expect(trusted);
            assert!(policy.trusts_origin(&origin), "{trusted}");
        }
        for foreign in [
            "http://app.example.com",
            "https://app.example.com:8443",
            "http://evil.test",
            "http://localhost.evil.test",
            "http://127.0.0.1.evil.test",
            "http://[::2]",
        ] {
            let origin = Origin::parse(foreign).expect(foreign);
            assert!(!policy.trusts_origin(&origin), "{foreign}");
        }
        for invalid in [
            "null",
            "file://",
            "ftp://x",
            "http://",
            "http://a/b",
            "http://a:99999",
        ] {
            assert_eq!(Origin::parse(invalid), None, "{invalid}");
        }
        assert!(Policy::new(&["nope".to_string()], None).is_err());
    }

    #[test]
    fn hosts_must_name_this_machine() {
        let local: SocketAddr = "192.168.1.5:8787".parse().unwrap();
        let open = policy(&["http://dev.test:3000"], Some("0.0.0.0"));
        for accepted in [
            "127.0.0.1:8787",
            "localhost:8787",
            "LOCALHOST",
            "[::1]:8787",
            "192.168.1.5:8787",
            "dev.test:8787",
        ] {
            assert!(open.accepts_host(accepted, Some(local)), "{accepted}");
        }
        for refused in [
            "evil.test:8787",
            "192.168.1.6:8787",
            "0.0.0.0:8787",
            "",
            "a:b:c",
        ] {
            assert!(!open.accepts_host(refused, Some(local)), "{refused}");
        }
        let named = policy(&[], Some("myhost.lan"));
        assert!(named.accepts_host("myhost.lan:8787", None));
        assert!(!named.accepts_host("other.lan:8787", None));
    }

    #[test]
    fn an_origin_is_its_own_host() {
        let origin = Origin::parse("http://192.168.1.5:8787").unwrap();
        assert!(origin.is_host("192.168.1.5:8787"));
        assert!(!origin.is_host("192.168.1.5:8788"));
        assert!(!origin.is_host("192.168.1.5"));
        let default_port = Origin::parse("http://myhost.lan").unwrap();
        assert!(default_port.is_host("myhost.lan"));
        assert!(default_port.is_host("MyHost.lan:80"));
    }

    #[test]
    fn static_paths_stay_in_the_served_folders() {
        for allowed in [
            "/www/",
            "/www",
            "/www/app.js",
            "/pkg/appwrite_realtime_wasm.js",
            "/examples/vite/dist/",
            "/examples/vite/dist/assets/index.js",
            "/e2e/conformance/blank.html",
        ] {
            assert!(is_servable_static_path(allowed), "{allowed}");
        }
        for refused in [
            "/",
            "/.git/config",
            "/www/.env",
            "/www/../.git/config",
            "/www/%2e%2e/Cargo.toml",
            "/www/%2Egit",
            "/target/debug/x",
            "/Cargo.toml",
            "/examples/vite/src/main.js",
            "/examples/vite/node_modules/x",
            "/e2e/harness.mjs",
            "/wwwx/a",
            "/www%5c..%5cCargo.toml",
            "/www/%00",
        ] {
            assert!(!is_servable_static_path(refused), "{refused}");
        }
    }
}
