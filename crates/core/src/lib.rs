//! Sans-IO protocol engine for Appwrite Realtime.
//!
//! No browser, no clock, no randomness: callers feed inputs with the current time and drain
//! outputs. [`Engine`] is the state machine; [`channel`] and [`query`] build the strings it
//! subscribes with; [`RawFrame`] reads server frames from the envelope JSON a driver hands over;
//! [`live`] keeps a list of rows equal to the server's.

#![deny(missing_docs)]

pub mod channel;
mod engine;
mod frame;
mod json;
pub mod live;
pub mod query;

pub use engine::{
    Config, ConnectionError, ConnectionState, Endpoint, Engine, ErrorKind, Instant, Output,
    Presence, PresenceError, SubscribeError, SubscriptionKey, UpdateError, CLOSE_HANDOVER,
};
pub use frame::{Ack, EventFrame, FrameError, RawData, RawFrame, RawSubscriptions, ServerFrame};
