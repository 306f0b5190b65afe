//! An Appwrite-compatible realtime server (`/v1/realtime`, Appwrite 1.9.6) with a
//! small REST surface that makes events happen, for demos and tests.

pub mod config;
mod control;
mod cookies;
mod db_order;
mod db_query;
pub mod events;
pub mod guard;
pub mod ids;
mod multipart;
pub mod permissions;
mod php_query;
pub mod protocol;
pub mod queries;
mod realtime;
mod rest;
pub mod state;

use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
pub use config::{Config, ServerVersion};
use state::State;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::services::ServeDir;

/// Shared server state.
pub struct Emulator {
    pub config: Config,
    /// Host, CORS and control rules derived from the configuration.
    pub policy: guard::Policy,
    state: Mutex<State>,
    shutdown: watch::Sender<bool>,
}

impl Emulator {
    pub fn new(config: Config) -> Arc<Emulator> {
        let state = State::new(&config);
        let (shutdown, _) = watch::channel(false);
        // The CLI validates `--cors-origin`; a library caller's invalid origin is ignored.
        let valid_origins: Vec<String> = config
            .cors_origins
            .iter()
            .filter(|origin| guard::Origin::parse(origin).is_some())
            .cloned()
            .collect();
        let policy =
            guard::Policy::new(&valid_origins, config.bind_host.as_deref()).unwrap_or_default();
        Arc::new(Emulator {
            config,
            policy,
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
            say(&format!("[emulator] {line}"));
        }
    }

    /// Resets projects to their initial (optionally seeded) contents and drops every socket.
    pub fn reset(&self) {
        self.with_state(|state| {
            for connection in state.connections.values() {
                connection.outbox.push(state::ConnectionCommand::Drop);
            }
            *state = State::new(&self.config);
        });
    }
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
        // Only the folders the demo and the tests need, never a dot segment (guard.rs).
        let files = Router::new()
            .fallback_service(ServeDir::new(root))
            .layer(axum::middleware::from_fn(guard::static_filter));
        app = app
            .route("/", get(|| async { Redirect::temporary("/www/") }))
            .fallback_service(files);
    }
    app.layer(axum::middleware::from_fn_with_state(
        emulator.clone(),
        guard::guard,
    ))
    .with_state(emulator)
}

/// Serves on `listener` until `emulator.shutdown()` is called.
pub async fn serve(listener: TcpListener, emulator: Arc<Emulator>) -> std::io::Result<()> {
    let mut stop = emulator.shutdown_signal();
    let app = router(emulator).into_make_service_with_connect_info::<guard::Peer>();
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

/// Writes `line` to stderr, and goes on if it cannot: `eprintln!` panics on a closed stderr, and
/// a panic in the task that waits for the stop signal would leave the server running.
pub fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
