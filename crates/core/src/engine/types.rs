//! The engine's public vocabulary: time, configuration, command values and errors, and outputs.

use crate::frame::EventFrame;
use crate::query::QueryError;
use core::fmt;
use core::ops::{Add, Sub};
use core::time::Duration;

/// Milliseconds since an epoch the driver picks (`performance.now()` in the browser).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub u64);

pub(super) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, duration: Duration) -> Instant {
        Instant(self.0.saturating_add(millis(duration)))
    }
}

impl Sub for Instant {
    type Output = Duration;
    /// Saturates at zero when `earlier` is later.
    fn sub(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

/// Timing and randomness knobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Interval between pings once `connected` (20 s).
    pub ping_interval: Duration,
    /// No pong within this after a ping closes the socket with 4000 and reconnects (10 s).
    pub pong_timeout: Duration,
    /// No server `connected` within this after opening a socket replaces it likewise (10 s).
    pub connect_timeout: Duration,
    /// Upper bound of the first retry delay; doubles per socket lost before it was healthy,
    /// that is before the server acknowledged everything restored on it (1 s).
    pub backoff_initial: Duration,
    /// Cap of the retry delay bound (30 s).
    pub backoff_max: Duration,
    /// After error 1013, non-ping sends wait this long (60 s, the server's window).
    pub rate_limit_window: Duration,
    /// Seeds the jitter, and the subscription id prefix unless `id_prefix` gives it (the driver
    /// uses `Math.random()`).
    pub jitter_seed: u64,
    /// The prefix of the subscription ids the engine mints (`<prefix>-<counter>`): 12 of
    /// `[0-9a-z]`, or derived from `jitter_seed` when `None` or malformed. The browser driver
    /// takes its connection's, so that a subscription sent before the engine existed carries the
    /// id the engine then gives it (see [`Engine::adopt_sent_subscribe`](super::Engine::adopt_sent_subscribe)).
    pub id_prefix: Option<String>,
    /// A page hidden this long has its socket closed until it is shown again (`None`: never).
    pub hidden_timeout: Option<Duration>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ping_interval: Duration::from_secs(20),
            pong_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            rate_limit_window: Duration::from_secs(60),
            jitter_seed: 0,
            id_prefix: None,
            hidden_timeout: None,
        }
    }
}

/// Where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Realtime base URL, e.g. `ws://127.0.0.1:8787/v1`.
    pub realtime: String,
    /// Project id; must not be empty.
    pub project: String,
    /// Account JWT, sent as `&jwt=`.
    pub jwt: Option<String>,
}

/// A stable handle for one user subscription; its wire id may change on `update`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubscriptionKey(pub u64);

/// The user's presence; only the latest is kept and it is re-sent after every `connected`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    /// Free text, at most 2048 characters.
    pub status: String,
    /// Presence document id (server Key rule); the server mints one when absent.
    pub presence_id: Option<String>,
    /// A JSON object, already serialised.
    pub metadata_json: Option<String>,
    /// Permission strings such as `read("any")`.
    pub permissions: Vec<String>,
}

/// What the socket is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    /// No socket and nothing to connect for.
    Idle,
    /// A socket was requested; not open yet.
    Connecting,
    /// The socket is open; waiting for the server's `connected`.
    Open,
    /// `connected` received; subscriptions flow.
    Connected,
    /// Waiting to reconnect.
    Reconnecting {
        /// 1 for the first retry after a loss.
        attempt: u32,
        /// When the next socket is requested.
        at: Instant,
    },
    /// The server refused the connection for good (1008, 401 or 403 at connect).
    Failed,
}

/// What an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// An `error` frame from the server.
    Server,
    /// A frame this client could not understand.
    Protocol,
    /// The server's message rate limit (1013); sends resume after the window.
    RateLimited,
    /// A connect-time refusal; no retry.
    Terminal,
    /// No pong in time; the socket was closed with 4000.
    PongTimeout,
    /// The socket closed unexpectedly; `code` is the close code.
    Closed,
}

/// An error for `onError` listeners and failed subscriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionError {
    /// The server's code, the close code, or -1 for protocol errors.
    pub code: i64,
    /// Human-readable text (the server's own where there is one).
    pub message: String,
    /// The category.
    pub kind: ErrorKind,
}

impl fmt::Display for ConnectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code {})", self.message, self.code)
    }
}

impl std::error::Error for ConnectionError {}

/// Something for the driver to do or report.
#[derive(Debug, Clone, PartialEq)]
pub enum Output<P> {
    /// Open a socket to `url` (drop any previous one first, without reporting its events).
    Connect {
        /// Full URL with query string.
        url: String,
    },
    /// Send one text frame.
    Send(String),
    /// Close the current socket; the engine already treats it as gone.
    Close {
        /// 1000, or 4000 after a pong timeout.
        code: u16,
    },
    /// Hand one event to these subscriptions, in this order.
    Deliver {
        /// Receivers, in subscription creation order.
        targets: Vec<SubscriptionKey>,
        /// The event.
        event: EventFrame<P>,
    },
    /// The server acknowledged the subscription's latest subscribe or update.
    Subscribed(SubscriptionKey),
    /// The subscription was rejected and removed.
    SubscribeFailed {
        /// The removed subscription.
        key: SubscriptionKey,
        /// Why.
        error: ConnectionError,
    },
    /// For `onError` listeners.
    Error(ConnectionError),
    /// The connection state changed.
    StateChanged(ConnectionState),
    /// After a reconnect, every subscription is acknowledged again on the new socket: events
    /// published while it was down are lost (the server has no replay), so re-fetch data now.
    Resynced,
    /// The connection's user, from `connected` or an `authentication` response.
    Authenticated {
        /// The account model, or `None` when the server sent none.
        user: Option<P>,
    },
}

/// Why `subscribe` refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscribeError {
    /// No endpoint was set, or its project is empty.
    MissingProject,
    /// The channel list is empty.
    NoChannels,
    /// A query the server would reject.
    InvalidQuery {
        /// Position in the query list.
        index: usize,
        /// The server's code and text.
        error: QueryError,
    },
    /// Channels and queries together could not fit in one frame the server accepts.
    TooLarge,
}

/// Why `update` refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateError {
    /// The key is not a live subscription (unsubscribed or failed).
    UnknownSubscription,
    /// The new channel list is empty.
    NoChannels,
    /// A query the server would reject.
    InvalidQuery {
        /// Position in the query list.
        index: usize,
        /// The server's code and text.
        error: QueryError,
    },
    /// Channels and queries together could not fit in one frame the server accepts.
    TooLarge,
}

/// Why `upsert_presence` refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresenceError {
    /// No endpoint was set, or its project is empty.
    MissingProject,
    /// `status` is longer than 2048 characters.
    StatusTooLong,
    /// `presence_id` breaks the server's Key rule.
    InvalidPresenceId,
    /// `metadata_json` is not a JSON object.
    MetadataNotObject,
    /// The presence could not fit in one frame the server accepts.
    TooLarge,
}

/// "query <index>: <error>", without integer formatting (see [`crate::json::write_decimal`]).
fn invalid_query(index: usize, error: &QueryError) -> String {
    let mut text = "query ".to_string();
    crate::json::write_decimal(&mut text, index as u64);
    text.push_str(": ");
    text.push_str(&error.message);
    text
}

// Each error's text comes from a `message()` built without `core::fmt`, so the wasm build,
// which reports errors as strings, links no formatting machinery; `Display` prints the same.

impl SubscribeError {
    /// The text a user sees.
    pub fn message(&self) -> String {
        match self {
            SubscribeError::MissingProject => MISSING_PROJECT.to_string(),
            SubscribeError::NoChannels => NO_CHANNELS.to_string(),
            SubscribeError::InvalidQuery { index, error } => invalid_query(*index, error),
            SubscribeError::TooLarge => TOO_LARGE.to_string(),
        }
    }
}

impl fmt::Display for SubscribeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

// No `source()`: an invalid query's text is already in the message.
impl std::error::Error for SubscribeError {}

impl UpdateError {
    /// The text a user sees.
    pub fn message(&self) -> String {
        match self {
            UpdateError::UnknownSubscription => "The subscription is no longer active".to_string(),
            UpdateError::NoChannels => NO_CHANNELS.to_string(),
            UpdateError::InvalidQuery { index, error } => invalid_query(*index, error),
            UpdateError::TooLarge => TOO_LARGE.to_string(),
        }
    }
}

impl fmt::Display for UpdateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

// No `source()`: an invalid query's text is already in the message.
impl std::error::Error for UpdateError {}

impl PresenceError {
    /// The text a user sees.
    pub fn message(&self) -> &'static str {
        match self {
            PresenceError::MissingProject => MISSING_PROJECT,
            PresenceError::StatusTooLong => "Presence status must be at most 2048 characters",
            PresenceError::InvalidPresenceId => {
                "presenceId must be 1-36 characters of a-z, A-Z, 0-9, '.', '_' or '-', not starting with '.', '_' or '-'"
            }
            PresenceError::MetadataNotObject => "Presence metadata must be an object",
            PresenceError::TooLarge => TOO_LARGE,
        }
    }
}

impl fmt::Display for PresenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for PresenceError {}

const MISSING_PROJECT: &str = "Project is required: call setProject() first";
const NO_CHANNELS: &str = "At least one channel is required";
const TOO_LARGE: &str = "Too large for one frame (Appwrite accepts at most 64000 bytes)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_saturate() {
        assert_eq!(Instant(5) + Duration::from_millis(7), Instant(12));
        assert_eq!(
            Instant(u64::MAX) + Duration::from_secs(1),
            Instant(u64::MAX)
        );
        assert_eq!(Instant(3) - Instant(10), Duration::ZERO);
        assert_eq!(Instant(10) - Instant(3), Duration::from_millis(7));
    }
}
