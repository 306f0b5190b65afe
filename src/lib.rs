//! Appwrite Realtime for the browser: one multiplexed WebSocket, exact payloads, and a
//! connection that notices dead sockets and restores every subscription after a reconnect.
//!
//! The protocol logic lives in the sans-IO crate `appwrite-realtime-core`; this crate drives it
//! with the browser's WebSocket and timers and exposes the JS API of the official SDK.

#![warn(missing_docs)]

// The modules form a one-way stack (`npm test` fails on an import cycle, through
// `scripts/module-graph.mjs`): error, args, timer -> decode -> socket -> config -> driver ->
// subscription, client -> realtime, live_view -> typed. (JS has classes of its own: `Client`
// (js/client.js), `Channel` (js/channel.js), `Query` (js/exports.js) and `Realtime`
// (js/realtime.js), which stands in front of this crate's `Realtime`.)
mod args;
mod client;
mod config;
mod decode;
mod driver;
mod error;
mod live_view;
mod realtime;
mod socket;
mod subscription;
mod timer;
#[cfg(feature = "trap-injection")]
mod trap;
pub mod typed;
mod typings;

pub use client::Client;
pub use config::Options;
pub use error::{ErrorKind, RealtimeError};
pub use realtime::Realtime;

// wasm32-unknown-unknown runs one thread, which is what `AssumeSingleThreaded` asks for.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

/// Debug builds print a panic's message and place to the console instead of a bare trap.
#[cfg(debug_assertions)]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}
