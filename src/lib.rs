//! Appwrite Realtime for the browser: one multiplexed WebSocket, exact payloads, and a
//! connection that notices dead sockets and restores every subscription after a reconnect.
//!
//! The protocol logic lives in the sans-IO crate `appwrite-realtime-core`; this crate drives it
//! with the browser's WebSocket and timers and exposes the JS API of the official SDK.

mod channel;
mod client;
mod decode;
mod driver;
mod error;
mod query;
mod realtime;
mod socket;
mod timer;
pub mod typed;
mod typings;

pub use channel::Channel;
pub use client::Client;
pub use error::RealtimeError;
pub use query::Query;
pub use realtime::Realtime;
