//! An Appwrite-compatible realtime server (`/v1/realtime`, Appwrite 1.9.6) with a
//! small REST surface that makes events happen, for demos and tests.

pub mod config;
mod control;
pub mod events;
pub mod ids;
mod multipart;
pub mod permissions;
mod php_query;
pub mod protocol;
pub mod queries;
mod realtime;
mod rest;
pub mod state;

use axum::http::{HeaderName, Method};
use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
pub use config::{Config, ServerVersion};
use state::State;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;

/// Shared server state.
pub struct Emulator {
    pub config: Config,
    state: Mutex<State>,
    shutdown: watch::Sender<bool>,
}

impl Emulator {
    pub fn new(config: Config) -> Arc<Emulator> {
        let state = State::new(&config);
        let (shutdown, _) = watch::channel(false);
        Arc::new(Emulator {
            config,
            state: Mutex::new(state),
            shutdown,
        })
    }

    /// Runs `f` with the state locked. A panic while locked would poison the mutex;
    /// the state is still consistent enough for an emulator, so poisoning is ignored.
    pub fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut guard: MutexGuard<'_, State> = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }

    pub fn is_refusing_connections(&self) -> bool {
        self.with_state(|state| {
            state
                .refuse_until
                .is_some_and(|until| Instant::now() < until)
        })
    }

    fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Asks every open socket to close and the server to stop.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    pub fn log(&self, line: &str) {
        if self.config.verbose {
            eprintln!("[emulator] {line}");
        }
    }

    /// Resets projects to their initial (optionally seeded) contents and drops every socket.
    pub fn reset(&self) {
        self.with_state(|state| {
            for connection in state.connections.values() {
                let _ = connection.sender.send(state::ConnectionCommand::Drop);
            }
            *state = State::new(&self.config);
        });
    }
}

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

fn cors_layer() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(CORS_ALLOWED_HEADERS.map(HeaderName::from_static))
        .expose_headers([
            HeaderName::from_static("x-appwrite-session"),
            HeaderName::from_static("x-fallback-cookies"),
        ])
        .max_age(Duration::from_secs(3600))
}

pub fn router(emulator: Arc<Emulator>) -> Router {
    let mut app = Router::new()
        .route("/v1/realtime", get(realtime::upgrade))
        .route("/realtime", get(realtime::upgrade))
        .merge(rest::routes(&emulator));
    if emulator.config.control {
        app = app.merge(control::routes());
    }
    if let Some(root) = &emulator.config.static_root {
        app = app
            .route("/", get(|| async { Redirect::temporary("/www/") }))
            .fallback_service(ServeDir::new(root));
    }
    app.layer(cors_layer()).with_state(emulator)
}

/// Serves on `listener` until `emulator.shutdown()` is called.
pub async fn serve(listener: TcpListener, emulator: Arc<Emulator>) -> std::io::Result<()> {
    let mut stop = emulator.shutdown_signal();
    let app = router(emulator).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            // Either a shutdown request or the sender being gone ends the server.
            let _ = stop.wait_for(|stopped| *stopped).await;
        })
        .await
}

/// The address line tests and scripts parse.
pub fn listening_line(address: SocketAddr) -> String {
    format!("appwrite-realtime-emulator listening on http://{address}")
}
