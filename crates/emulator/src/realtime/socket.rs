//! The socket loop of `/v1/realtime`: the upgrade, the outbox drained into the socket,
//! inbound frames handed to the message handlers, rate limits and closing.

use super::handshake::{open_connection, Handshake, Opened};
use super::messages::handle_message;
use super::{sanitised, FrameError};
use crate::php_query;
use crate::protocol;
use crate::state::{ConnectionCommand, OverflowSignal};
use crate::Emulator;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Swoole's `package_max_length`.
pub const MAX_INBOUND_FRAME_BYTES: usize = 64_000;
/// Read chunk and write batching size of each socket.
const SOCKET_BUFFER_BYTES: usize = 8 * 1024;
const MESSAGES_PER_MINUTE: u32 = 32;

pub async fn upgrade(
    State(emulator): State<Arc<Emulator>>,
    ConnectInfo(peer): ConnectInfo<crate::guard::Peer>,
    headers: HeaderMap,
    RawQuery(raw_query): RawQuery,
    upgrade: WebSocketUpgrade,
) -> Response {
    if emulator.is_refusing_connections() {
        return (StatusCode::SERVICE_UNAVAILABLE, "refusing connections").into_response();
    }
    let handshake = Handshake {
        query: php_query::parse(raw_query.as_deref().unwrap_or("")),
        headers,
        peer: peer.remote,
    };
    upgrade
        .max_message_size(MAX_INBOUND_FRAME_BYTES)
        .max_frame_size(MAX_INBOUND_FRAME_BYTES)
        // tungstenite's defaults (128 KiB each way) cost ~256 KiB per idle socket.
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
        .on_upgrade(move |socket| run_connection(emulator, socket, handshake))
}

async fn run_connection(emulator: Arc<Emulator>, mut socket: WebSocket, handshake: Handshake) {
    let opened = match open_connection(&emulator, &handshake) {
        Ok(opened) => opened,
        Err(error) => {
            let message = sanitised(&error, emulator.config.production, true);
            emulator.log(&format!(
                "connect refused from {}: {} {}",
                handshake.peer, error.code, message
            ));
            // Error frame, then the TCP connection ends without a close frame (Swoole's
            // close()). It ends once the client answered or after a moment: dropping it at once
            // can turn into a reset that makes a browser discard the frame unread (Firefox
            // reported such sockets as 1006 without ever opening them).
            let _ = socket
                .send(Message::Text(
                    protocol::error_frame(error.code, &message).into(),
                ))
                .await;
            let _ = tokio::time::timeout(CLOSE_FRAME_TIMEOUT, socket.recv()).await;
            return;
        }
    };
    let connection_id = opened.connection_id;
    emulator.log(&format!(
        "connection {connection_id} opened from {}",
        handshake.peer
    ));
    let ended_by = serve_connection(&emulator, socket, opened).await;
    emulator.log(&format!("connection {connection_id} closed ({ended_by})"));
    emulator
        .with_state(|state| state.close_connection(connection_id, emulator.config.server_version));
}

/// How long a closing handshake may wait for a client that does not read.
const CLOSE_FRAME_TIMEOUT: Duration = Duration::from_secs(1);

/// Why a send did not complete.
enum SendFailure {
    Socket,
    /// The outbound queue overflowed while this send waited on a client that does not read.
    FellBehind,
}

/// Sends one text frame, giving up when the queue overflows meanwhile: a client that stops
/// reading blocks the send, and only the overflow signal can end the wait.
async fn send_text(
    socket: &mut WebSocket,
    overflow: &mut OverflowSignal,
    text: String,
) -> Result<(), SendFailure> {
    tokio::select! {
        sent = socket.send(Message::Text(text.into())) => sent.map_err(|_| SendFailure::Socket),
        _ = overflow.fallen_behind() => Err(SendFailure::FellBehind),
    }
}

fn ended_by(failure: SendFailure) -> &'static str {
    match failure {
        SendFailure::Socket => "send failed",
        SendFailure::FellBehind => "fell behind (outbound queue full)",
    }
}

/// The socket loop; returns why it ended.
async fn serve_connection(
    emulator: &Arc<Emulator>,
    mut socket: WebSocket,
    opened: Opened,
) -> &'static str {
    let Opened {
        connection_id,
        connected_frame,
        mut outbox,
    } = opened;
    let mut overflow = outbox.overflow_signal();
    if let Err(failure) = send_text(&mut socket, &mut overflow, connected_frame).await {
        return ended_by(failure);
    }
    let mut shutdown = emulator.shutdown_signal();
    let mut rate_window = (0u64, 0u32);
    // Silenced until this instant (`Some(None)` = until resumed).
    let mut silenced: Option<Option<Instant>> = None;
    loop {
        let silence_deadline = silenced.flatten();
        tokio::select! {
            _ = shutdown.changed() => {
                let _ = tokio::time::timeout(CLOSE_FRAME_TIMEOUT, socket.send(Message::Close(None))).await;
                return "server shutdown";
            }
            _ = overflow.fallen_behind() => return ended_by(SendFailure::FellBehind),
            _ = async { if let Some(deadline) = silence_deadline { tokio::time::sleep_until(deadline).await } else { std::future::pending::<()>().await } } => {
                silenced = None;
            }
            command = outbox.recv() => {
                if let Err(ended) = run_command(&mut socket, &mut overflow, &mut silenced, command).await {
                    return ended;
                }
            }
            inbound = socket.recv() => {
                let text = match inbound {
                    Some(Ok(Message::Text(text))) => text.to_string(),
                    Some(Ok(Message::Binary(bytes))) => String::from_utf8_lossy(&bytes).into_owned(),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_))) | None => return "client closed",
                    // Includes frames over 64 000 bytes: dropped without an error frame.
                    Some(Err(_)) => return "socket error",
                };
                if silenced.is_some() {
                    continue;
                }
                if emulator.config.rate_limits && !accept_message(&mut rate_window) {
                    let error = FrameError::new(1013, "Too many messages.");
                    let message = sanitised(&error, emulator.config.production, false);
                    if let Err(failure) = send_text(&mut socket, &mut overflow, protocol::error_frame(error.code, &message)).await {
                        return ended_by(failure);
                    }
                    continue;
                }
                let (reply, drop_after) = match handle_message(emulator, connection_id, &text) {
                    Ok(frame) => (frame, false),
                    Err(error) => {
                        let message = sanitised(&error, emulator.config.production, false);
                        (protocol::error_frame(error.code, &message), error.code == 1008)
                    }
                };
                // What was queued before this message was handled goes first, as a server writes
                // its frames in order: an event matched under a subscription's old setting never
                // follows the acknowledgement of its update.
                while let Some(command) = outbox.try_recv() {
                    if let Err(ended) = run_command(&mut socket, &mut overflow, &mut silenced, Some(command)).await {
                        return ended;
                    }
                }
                if let Err(failure) = send_text(&mut socket, &mut overflow, reply).await {
                    return ended_by(failure);
                }
                if drop_after {
                    return "policy violation";
                }
            }
        }
    }
}

/// Carries out one command of the outbox; `Err` with why the connection ends.
async fn run_command(
    socket: &mut WebSocket,
    overflow: &mut OverflowSignal,
    silenced: &mut Option<Option<Instant>>,
    command: Option<ConnectionCommand>,
) -> Result<(), &'static str> {
    match command {
        Some(ConnectionCommand::Frame(frame)) if silenced.is_none() => {
            send_text(socket, overflow, frame).await.map_err(ended_by)
        }
        Some(ConnectionCommand::Frame(_)) => Ok(()),
        Some(ConnectionCommand::Drop) | None => Err("dropped"),
        Some(ConnectionCommand::Silence(duration)) => {
            *silenced = Some(duration.map(|duration| Instant::now() + duration));
            Ok(())
        }
        Some(ConnectionCommand::Resume) => {
            *silenced = None;
            Ok(())
        }
    }
}

/// Fixed wall-clock-aligned window; only accepted messages count.
fn accept_message(window: &mut (u64, u32)) -> bool {
    let current = crate::state::current_window();
    if window.0 != current {
        *window = (current, 0);
    }
    if window.1 >= MESSAGES_PER_MINUTE {
        return false;
    }
    window.1 += 1;
    true
}
