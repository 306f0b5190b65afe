//! The `appwrite-realtime-emulator` command: its flags, turned into a `Config`, and the
//! server run on the chosen address until Ctrl-C or SIGTERM.

use appwrite_realtime_emulator::{listening_line, say, serve, Config, Emulator, ServerVersion};
use clap::Parser;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use tokio::net::TcpListener;

/// An Appwrite-compatible realtime server (`/v1/realtime`) with a small REST surface.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// Port to listen on; 0 picks a free one (the listening line tells which).
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// A project id that exists (repeatable). `console` always exists.
    #[arg(long = "project", default_values_t = vec!["demo".to_string()])]
    projects: Vec<String>,
    /// Seed database `main`, collection `posts` and user demo@example.com / password123.
    #[arg(long)]
    seed_demo: bool,
    /// Serve this directory (e.g. the repo root, so /www/ and /pkg/ resolve); `/` redirects to /www/.
    #[arg(long)]
    static_root: Option<PathBuf>,
    /// Enable the /_emulator/… control surface.
    #[arg(long)]
    control: bool,
    /// Production error sanitisation (`Error: Server Error` for code 0 and >= 500).
    #[arg(long)]
    production: bool,
    /// Abuse limits: 128 connects/min/IP and 32 messages/min/connection (error 1013).
    #[arg(long)]
    rate_limits: bool,
    /// Check the Origin header against these hosts (off when not given).
    #[arg(long = "origin-check", num_args = 1..)]
    origin_check: Option<Vec<String>>,
    /// Imitate an older server: 1.8 or 1.9.0 (default: current, 1.9.6).
    #[arg(long, default_value = "1.9.6", value_parser = ServerVersion::parse)]
    server_version: ServerVersion,
    /// An origin (scheme://host[:port]) besides loopback ones that gets credentialed CORS and
    /// may use /_emulator/…; its host also passes the Host check (repeatable).
    #[arg(long = "cors-origin", value_parser = parse_origin)]
    cors_origins: Vec<String>,
    /// Reproduce the server quirk where authenticating without subscriptions loses the project context.
    #[arg(long)]
    auth_quirk: bool,
    /// REST calls skip permission checks (anyone may read and write anything); realtime
    /// delivery still follows read permissions.
    #[arg(long)]
    no_permissions: bool,
    /// Log connections and REST writes to stderr.
    #[arg(long)]
    verbose: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = Config {
        projects: cli.projects,
        seed_demo: cli.seed_demo,
        static_root: cli.static_root,
        control: cli.control,
        production: cli.production,
        rate_limits: cli.rate_limits,
        allowed_origins: cli.origin_check,
        server_version: cli.server_version,
        cors_origins: cli.cors_origins,
        bind_host: Some(cli.host.clone()),
        auth_without_subscriptions_quirk: cli.auth_quirk,
        no_permissions: cli.no_permissions,
        verbose: cli.verbose,
    };
    let listener = match TcpListener::bind((cli.host.as_str(), cli.port)).await {
        Ok(listener) => listener,
        Err(error) => {
            say(&format!("cannot bind {}:{}: {error}", cli.host, cli.port));
            return ExitCode::FAILURE;
        }
    };
    let address = match listener.local_addr() {
        Ok(address) => address,
        Err(error) => {
            say(&format!("cannot read the bound address: {error}"));
            return ExitCode::FAILURE;
        }
    };
    // Installed before the listening line goes out: a signal sent as soon as it is read stops
    // the server instead of killing it.
    let stop = stop_signal();
    // Tests read this line through a pipe; make sure it leaves now. Nobody reading it is no
    // reason to stop.
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{}", listening_line(address)).and_then(|()| stdout.flush());

    let emulator = Emulator::new(config);
    let stopper = emulator.clone();
    tokio::spawn(async move {
        stop.await;
        stopper.shutdown();
        say("shutting down");
    });
    match serve(listener, emulator).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            say(&format!("server error: {error}"));
            ExitCode::FAILURE
        }
    }
}

fn parse_origin(text: &str) -> Result<String, String> {
    appwrite_realtime_emulator::guard::Origin::parse(text)
        .map(|_| text.trim().to_string())
        .ok_or_else(|| format!("'{text}' is not an origin like http://host:port"))
}

/// Resolves on Ctrl-C or SIGTERM; the handlers are installed by this call, not at the first poll.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, Signal, SignalKind};
        async fn received(signal: Option<Signal>) {
            match signal {
                Some(mut signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        let terminate = signal(SignalKind::terminate()).ok();
        let interrupt = signal(SignalKind::interrupt()).ok();
        async move {
            tokio::select! {
                () = received(terminate) => {}
                () = received(interrupt) => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        let interrupt = tokio::signal::ctrl_c();
        async move {
            let _ = interrupt.await;
        }
    }
}
