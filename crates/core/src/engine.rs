//! The connection state machine: subscriptions, acks, heartbeat, backoff, rate limits.
//!
//! Sans-IO: every input carries `now`; outputs are drained with [`Engine::poll_output`] after
//! every input or command, and [`Engine::poll_timeout`] names the one deadline to arm a timer for.

use crate::frame::{self, Ack, EventFrame, FrameError, ServerFrame, SubscribeRow};
use crate::query::{validate_query, QueryError};
use core::fmt;
use core::ops::{Add, Sub};
use core::time::Duration;
use std::collections::VecDeque;

/// Milliseconds since an epoch the driver picks (`performance.now()` in the browser).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub u64);

fn millis(duration: Duration) -> u64 {
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
    /// Upper bound of the first retry delay; doubles per attempt (1 s).
    pub backoff_initial: Duration,
    /// Cap of the retry delay bound (30 s).
    pub backoff_max: Duration,
    /// Attempts reset only after `connected` held this long (10 s).
    pub stable_after: Duration,
    /// After error 1013, non-ping sends wait this long (60 s, the server's window).
    pub rate_limit_window: Duration,
    /// Seeds the jitter and the subscription id prefix (the driver uses `Math.random()`).
    pub jitter_seed: u64,
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
            stable_after: Duration::from_secs(10),
            rate_limit_window: Duration::from_secs(60),
            jitter_seed: 0,
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

impl Endpoint {
    fn url(&self) -> String {
        let mut url = format!(
            "{}/realtime?project={}",
            self.realtime,
            url_encode(&self.project)
        );
        if let Some(jwt) = &self.jwt {
            url.push_str("&jwt=");
            url.push_str(&url_encode(jwt));
        }
        url
    }
}

/// `encodeURIComponent`.
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
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

impl fmt::Display for SubscribeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubscribeError::MissingProject => {
                f.write_str("Project is required: call setProject() first")
            }
            SubscribeError::NoChannels => f.write_str("At least one channel is required"),
            SubscribeError::InvalidQuery { index, error } => write!(f, "query {index}: {error}"),
            SubscribeError::TooLarge => f.write_str(TOO_LARGE),
        }
    }
}

impl fmt::Display for UpdateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpdateError::UnknownSubscription => f.write_str("The subscription is no longer active"),
            UpdateError::NoChannels => f.write_str("At least one channel is required"),
            UpdateError::InvalidQuery { index, error } => write!(f, "query {index}: {error}"),
            UpdateError::TooLarge => f.write_str(TOO_LARGE),
        }
    }
}

impl fmt::Display for PresenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PresenceError::MissingProject => "Project is required: call setProject() first",
            PresenceError::StatusTooLong => "Presence status must be at most 2048 characters",
            PresenceError::InvalidPresenceId => {
                "presenceId must be 1-36 characters of a-z, A-Z, 0-9, '.', '_' or '-', not starting with '.', '_' or '-'"
            }
            PresenceError::MetadataNotObject => "Presence metadata must be an object",
            PresenceError::TooLarge => TOO_LARGE,
        })
    }
}

const TOO_LARGE: &str = "Too large for one frame (Appwrite accepts at most 64000 bytes)";

/// Bytes one subscription or presence may take in a frame: the server drops a connection whose
/// frame exceeds 64,000 bytes, and an item that can never be sent would be retried forever.
const MAX_ITEM_BYTES: usize = 60_000;

/// Whether these strings, JSON-encoded as the frame carries them, exceed [`MAX_ITEM_BYTES`].
fn too_large<'a>(texts: impl IntoIterator<Item = &'a String>) -> bool {
    let mut encoded = String::new();
    let mut total = 0;
    for text in texts {
        encoded.clear();
        crate::json::write_string(&mut encoded, text);
        total += encoded.len() + 1;
    }
    total > MAX_ITEM_BYTES
}

/// The server's Key rule for ids: 1–36 of `[A-Za-z0-9._-]`, not starting with `.`, `_`, `-`.
fn is_valid_key(id: &str) -> bool {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-');
    (1..=36).contains(&id.len()) && id.bytes().all(allowed) && !id.starts_with(['.', '_', '-'])
}

/// splitmix64: tiny, seedable, good enough for jitter and id prefixes.
#[derive(Debug, Clone)]
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[derive(Debug, Clone)]
struct Subscription {
    key: SubscriptionKey,
    wire_id: String,
    channels: Vec<String>,
    queries: Vec<String>,
    /// Bumped by every update; `Subscribed` is emitted once per version.
    version: u64,
    /// The latest version the server acknowledged.
    acknowledged_version: Option<u64>,
    reported_version: Option<u64>,
    // Per connection:
    /// The server must be told the current version.
    dirty: bool,
    /// Version sent and not yet acknowledged; newer versions wait for it, so two versions of
    /// one id are never in flight (the server may process frames concurrently).
    in_flight: Option<u64>,
    /// The server may hold this wire id.
    on_server: bool,
    /// Send alone, to find which row of a failed batch was bad.
    isolate: bool,
    /// The server acknowledged the current version on this connection.
    confirmed_on_link: bool,
}

impl Subscription {
    fn reset_for_new_connection(&mut self) {
        self.dirty = true;
        self.confirmed_on_link = false;
        self.in_flight = None;
        self.on_server = false;
        self.isolate = false;
    }
}

/// A wire id the server must forget.
#[derive(Debug, Clone)]
struct Retired {
    wire_id: String,
    /// Its subscribe is still in flight; unsubscribing first could lose the race.
    subscribe_in_flight: bool,
    unsubscribe_in_flight: bool,
}

#[derive(Debug, Clone)]
struct PresenceSlot {
    presence: Presence,
    dirty: bool,
    in_flight: bool,
}

/// A request sent on this connection and not yet answered (FIFO, for error attribution).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Request {
    Subscribe(Vec<String>),
    Unsubscribe(Vec<String>),
    Authentication,
    Presence,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Auth {
    NotNeeded,
    /// Waits for the first subscribe ack (a subscription-less connection loses its context).
    Wanted,
    InFlight,
}

/// State that lives and dies with one socket.
#[derive(Debug, Clone)]
struct Link {
    /// A socket that has not brought the server's `connected` by then is replaced.
    connect_deadline: Option<Instant>,
    connected_at: Option<Instant>,
    requests: VecDeque<Request>,
    first_ack_seen: bool,
    auth: Auth,
    next_ping: Option<Instant>,
    pong_deadline: Option<Instant>,
    flush_at: Option<Instant>,
    hold_until: Option<Instant>,
    /// When the unanswered ping went out.
    ping_sent_at: Option<Instant>,
    /// URL mode: the subscriptions in the URL, in slot order, and then with the server's ids.
    url_slots: Vec<(SubscriptionKey, Option<String>)>,
}

impl Link {
    fn new() -> Self {
        Link {
            connect_deadline: None,
            connected_at: None,
            requests: VecDeque::new(),
            first_ack_seen: false,
            auth: Auth::NotNeeded,
            next_ping: None,
            pong_deadline: None,
            flush_at: None,
            hold_until: None,
            ping_sent_at: None,
            url_slots: Vec::new(),
        }
    }
}

/// The Appwrite Realtime protocol engine for one socket's worth of subscriptions.
#[derive(Debug)]
pub struct Engine<P> {
    config: Config,
    endpoint: Option<Endpoint>,
    session: Option<String>,
    rng: SplitMix,
    id_prefix: String,
    next_key: u64,
    next_wire: u64,
    /// In key order (keys only grow and are pushed at the end), so lookups by key bisect.
    subscriptions: Vec<Subscription>,
    /// `(wire counter, key)` of every subscription, sorted by counter (counters only grow, so
    /// new ids go at the end): an event finds its targets in O(log n) per id rather than by
    /// comparing every subscription.
    wire_index: Vec<(u64, SubscriptionKey)>,
    retired: Vec<Retired>,
    presence: Option<PresenceSlot>,
    state: ConnectionState,
    link: Link,
    /// Retries since the last stable connection.
    attempt: u32,
    /// A connected socket was lost: report `Resynced` once everything is restored.
    resync_pending: bool,
    /// The browser said it is offline: no reconnect is attempted until it is online again.
    offline: bool,
    /// The page is frozen or in the back-forward cache: no socket until it is back.
    frozen: bool,
    /// Since when the page is hidden; past [`Config::hidden_timeout`] it holds no socket.
    hidden_since: Option<Instant>,
    /// The server predates the message protocol (before 1.9.5): channels and queries travel in
    /// the URL, and a changed set of subscriptions takes a new socket.
    url_mode: bool,
    /// The round trip of the last answered ping.
    round_trip: Option<Duration>,
    outputs: VecDeque<Output<P>>,
}

impl<P> Engine<P> {
    /// An engine with no endpoint and nothing subscribed.
    pub fn new(config: Config) -> Self {
        let mut rng = SplitMix(config.jitter_seed);
        // 12 hex digits: distinct per instance, and digits/letters satisfy the Key rule's start.
        let id_prefix = format!("{:012x}", rng.next() >> 16);
        Engine {
            config,
            endpoint: None,
            session: None,
            rng,
            id_prefix,
            next_key: 0,
            next_wire: 0,
            subscriptions: Vec::new(),
            wire_index: Vec::new(),
            retired: Vec::new(),
            presence: None,
            state: ConnectionState::Idle,
            link: Link::new(),
            attempt: 0,
            resync_pending: false,
            offline: false,
            frozen: false,
            hidden_since: None,
            url_mode: false,
            round_trip: None,
            outputs: VecDeque::new(),
        }
    }

    /// The current connection state.
    pub fn state(&self) -> ConnectionState {
        self.state
    }

    /// The wire id a subscription currently uses, if it is live.
    pub fn wire_id(&self, key: SubscriptionKey) -> Option<&str> {
        self.find(key)
            .map(|index| self.subscriptions[index].wire_id.as_str())
    }

    /// Whether channels travel in the URL because the server is older than 1.9.5.
    pub fn uses_url_channels(&self) -> bool {
        self.url_mode
    }

    /// The round trip of the last answered ping.
    pub fn round_trip(&self) -> Option<Duration> {
        self.round_trip
    }

    /// Whether reconnects wait for the network or the page rather than for a timer.
    pub fn is_held(&self, now: Instant) -> bool {
        self.offline || self.frozen || self.hidden_expired(now)
    }

    /// Sets where to connect; an active or retrying connection moves to it at once.
    pub fn set_endpoint(&mut self, now: Instant, endpoint: Endpoint) {
        if self.endpoint.as_ref() == Some(&endpoint) {
            return;
        }
        // Another server may speak the message protocol again.
        let same_server = self.endpoint.as_ref().is_some_and(|current| {
            (&current.realtime, &current.project) == (&endpoint.realtime, &endpoint.project)
        });
        self.url_mode &= same_server;
        self.endpoint = Some(endpoint);
        if self.socket_active() || matches!(self.state, ConnectionState::Reconnecting { .. }) {
            self.attempt = 0;
            self.restart(now);
        }
    }

    /// Sets the base64 session for in-band `authentication`. While connected a new session is
    /// sent in-band; clearing it reconnects, so the socket drops the old user's roles.
    pub fn set_session(&mut self, now: Instant, session: Option<String>) {
        let cleared = session.is_none() && self.session.is_some();
        self.session = session;
        if self.state != ConnectionState::Connected {
            return;
        }
        if cleared {
            self.restart(now);
        } else {
            self.link.auth = Auth::Wanted;
            self.request_flush(now);
        }
    }

    /// Adds a subscription; it is sent on the next flush (deadline `now`) once connected.
    pub fn subscribe(
        &mut self,
        now: Instant,
        channels: Vec<String>,
        queries: Vec<String>,
    ) -> Result<SubscriptionKey, SubscribeError> {
        if !self.has_project() {
            return Err(SubscribeError::MissingProject);
        }
        let channels = dedupe(channels);
        if channels.is_empty() {
            return Err(SubscribeError::NoChannels);
        }
        if let Some((index, error)) = first_invalid_query(&queries) {
            return Err(SubscribeError::InvalidQuery { index, error });
        }
        if too_large(channels.iter().chain(&queries)) {
            return Err(SubscribeError::TooLarge);
        }
        self.next_key += 1;
        let key = SubscriptionKey(self.next_key);
        let wire_id = self.mint_wire_id();
        self.wire_index.push((self.next_wire, key));
        self.subscriptions.push(Subscription {
            key,
            wire_id,
            channels,
            queries,
            version: 0,
            acknowledged_version: None,
            reported_version: None,
            dirty: true,
            in_flight: None,
            on_server: false,
            isolate: false,
            confirmed_on_link: false,
        });
        self.ensure_connecting(now);
        self.request_flush(now);
        Ok(key)
    }

    /// Changes a subscription. Query-only changes keep the wire id; a channel change takes a
    /// new one (the server's re-subscribe is additive, so the old id must be unsubscribed) and
    /// routing switches at once.
    pub fn update(
        &mut self,
        now: Instant,
        key: SubscriptionKey,
        channels: Option<Vec<String>>,
        queries: Option<Vec<String>>,
    ) -> Result<(), UpdateError> {
        let index = self.find(key).ok_or(UpdateError::UnknownSubscription)?;
        let channels = channels.map(dedupe);
        if channels.as_ref().is_some_and(Vec::is_empty) {
            return Err(UpdateError::NoChannels);
        }
        if let Some((index, error)) = queries.as_deref().and_then(first_invalid_query) {
            return Err(UpdateError::InvalidQuery { index, error });
        }
        let current = &self.subscriptions[index];
        let new_channels = channels.as_ref().unwrap_or(&current.channels);
        if too_large(
            new_channels
                .iter()
                .chain(queries.as_ref().unwrap_or(&current.queries)),
        ) {
            return Err(UpdateError::TooLarge);
        }
        if let Some(channels) = channels {
            let current = &self.subscriptions[index].channels;
            let same_set =
                channels.len() == current.len() && channels.iter().all(|c| current.contains(c));
            if !same_set {
                let wire_id = self.mint_wire_id();
                let subscription = &mut self.subscriptions[index];
                let old_id = core::mem::replace(&mut subscription.wire_id, wire_id);
                let key = subscription.key;
                let was_on_server = subscription.on_server;
                let subscribe_in_flight = subscription.in_flight.is_some();
                subscription.reset_for_new_connection();
                self.unindex(&old_id);
                self.wire_index.push((self.next_wire, key));
                if was_on_server {
                    self.retire(old_id, subscribe_in_flight);
                }
            }
            self.subscriptions[index].channels = channels;
        }
        let subscription = &mut self.subscriptions[index];
        if let Some(queries) = queries {
            subscription.queries = queries;
        }
        subscription.version += 1;
        subscription.dirty = true;
        self.request_flush(now);
        Ok(())
    }

    /// Removes a subscription; unknown keys are ignored. The socket stays open.
    pub fn unsubscribe(&mut self, now: Instant, key: SubscriptionKey) {
        if let Some(index) = self.find(key) {
            let subscription = self.subscriptions.remove(index);
            self.unindex(&subscription.wire_id);
            if subscription.on_server {
                self.retire(subscription.wire_id, subscription.in_flight.is_some());
            }
            self.request_flush(now);
        }
    }

    /// Sets the presence (latest wins); sent once connected and, with in-band auth, after it.
    pub fn upsert_presence(
        &mut self,
        now: Instant,
        presence: Presence,
    ) -> Result<(), PresenceError> {
        if !self.has_project() {
            return Err(PresenceError::MissingProject);
        }
        if presence.status.chars().count() > 2048 {
            return Err(PresenceError::StatusTooLong);
        }
        if presence
            .presence_id
            .as_deref()
            .is_some_and(|id| !is_valid_key(id))
        {
            return Err(PresenceError::InvalidPresenceId);
        }
        let metadata = presence.metadata_json.iter();
        if too_large(
            [&presence.status]
                .into_iter()
                .chain(&presence.permissions)
                .chain(metadata),
        ) {
            return Err(PresenceError::TooLarge);
        }
        let mut presence = presence;
        if let Some(metadata) = &presence.metadata_json {
            let parsed = crate::json::parse(metadata);
            let Ok(object @ crate::json::JsonValue::Object(_)) = parsed else {
                return Err(PresenceError::MetadataNotObject);
            };
            let mut minified = String::new();
            object.write(&mut minified);
            presence.metadata_json = Some(minified);
        }
        self.presence = Some(PresenceSlot {
            presence,
            dirty: true,
            in_flight: false,
        });
        self.ensure_connecting(now);
        self.request_flush(now);
        Ok(())
    }

    /// Drops every subscription and the presence, closes with 1000, and stays idle.
    pub fn disconnect(&mut self, _now: Instant) {
        if self.socket_active() {
            self.outputs.push_back(Output::Close { code: 1000 });
        }
        self.subscriptions.clear();
        self.wire_index.clear();
        self.retired.clear();
        self.presence = None;
        self.link = Link::new();
        self.attempt = 0;
        self.resync_pending = false;
        self.set_state(ConnectionState::Idle);
    }

    /// The socket opened.
    pub fn handle_open(&mut self, _now: Instant) {
        if self.state == ConnectionState::Connecting {
            self.set_state(ConnectionState::Open);
        }
    }

    /// The socket closed or failed (1006 and friends).
    pub fn handle_close(&mut self, now: Instant, code: u16) {
        if self.socket_active() {
            self.report(
                i64::from(code),
                format!("Socket closed with code {code}"),
                ErrorKind::Closed,
            );
            self.lose_connection(now, Duration::ZERO);
        }
    }

    /// A frame that could not be decoded; reported, never fatal.
    pub fn handle_bad_frame(&mut self, _now: Instant, error: FrameError) {
        self.report(-1, error.to_string(), ErrorKind::Protocol);
    }

    /// One decoded server frame.
    pub fn handle_frame(&mut self, now: Instant, frame: ServerFrame<P>) {
        if !self.socket_active() {
            return;
        }
        match frame {
            ServerFrame::Connected {
                user,
                subscriptions,
                ..
            } => self.on_connected(now, user, subscriptions),
            ServerFrame::Event(event) => self.on_event(event),
            ServerFrame::Response {
                to,
                success,
                acks,
                user,
                ..
            } => match to.as_str() {
                "subscribe" => self.on_subscribe_ack(now, &acks),
                "unsubscribe" => self.on_unsubscribe_ack(now, &acks),
                "authentication" => self.on_authentication(now, success, user),
                "presence" => {
                    self.take_request(|r| *r == Request::Presence);
                    if let Some(slot) = &mut self.presence {
                        slot.in_flight = false;
                    }
                }
                other => self.report(
                    -1,
                    format!("response to unknown request `{other}`"),
                    ErrorKind::Protocol,
                ),
            },
            ServerFrame::Error { code, message } => self.on_error(now, code, message),
            ServerFrame::Pong => {
                self.link.pong_deadline = None;
                if let Some(sent) = self.link.ping_sent_at.take() {
                    self.round_trip = Some(now - sent);
                }
            }
        }
        self.report_acknowledged();
    }

    /// The timer armed from [`Engine::poll_timeout`] fired (late is fine).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.hidden_expired(now) {
            self.suspend(now);
        }
        match self.state {
            ConnectionState::Reconnecting { at, .. } if at <= now && !self.is_held(now) => {
                self.connect(now)
            }
            ConnectionState::Connecting | ConnectionState::Open
                if self.link.connect_deadline.is_some_and(|at| at <= now) =>
            {
                // Accepted TCP but no handshake or no `connected`: a hung server or proxy.
                self.outputs.push_back(Output::Close { code: 4000 });
                let message = "No `connected` frame within the connect timeout".to_string();
                self.report(4000, message, ErrorKind::Closed);
                self.lose_connection(now, Duration::ZERO);
            }
            ConnectionState::Connected => {
                if self
                    .link
                    .pong_deadline
                    .is_some_and(|deadline| deadline <= now)
                {
                    self.outputs.push_back(Output::Close { code: 4000 });
                    let message = "No pong within the timeout".to_string();
                    self.report(4000, message, ErrorKind::PongTimeout);
                    self.lose_connection(now, Duration::ZERO);
                    return;
                }
                if self.link.next_ping.is_some_and(|at| at <= now) {
                    self.outputs.push_back(Output::Send(frame::encode_ping()));
                    self.link.ping_sent_at.get_or_insert(now);
                    self.link.next_ping = Some(now + self.config.ping_interval);
                    if self.link.pong_deadline.is_none() {
                        self.link.pong_deadline = Some(now + self.config.pong_timeout);
                    }
                }
                if self.flush_deadline().is_some_and(|at| at <= now) {
                    self.flush(now);
                    self.report_acknowledged();
                }
            }
            _ => {}
        }
    }

    /// The network went away (`false`) or came back (`true`), as the browser's `offline` and
    /// `online` events say. Offline, no reconnect is attempted (each would fail); back online, a
    /// pending reconnect happens at once instead of waiting out its backoff. A live socket is
    /// left alone either way: the pong deadline decides whether it survived.
    pub fn set_online(&mut self, now: Instant, online: bool) {
        self.offline = !online;
        self.resume(now);
    }

    /// The page was frozen or entered the back-forward cache (`true`), or came back (`false`).
    /// Frozen, the socket is closed cleanly and nothing reconnects; back, every subscription and
    /// the presence are restored at once, and `Resynced` follows.
    pub fn set_frozen(&mut self, now: Instant, frozen: bool) {
        self.frozen = frozen;
        if frozen {
            self.suspend(now);
        } else {
            self.resume(now);
        }
    }

    /// The page was hidden (`false`) or shown (`true`). Hidden past [`Config::hidden_timeout`],
    /// the socket is closed until the page is shown. Shown, a pending reconnect happens at once,
    /// and a live socket is checked with a ping at once: while hidden, timers were throttled and
    /// the machine may have slept.
    pub fn set_visible(&mut self, now: Instant, visible: bool) {
        if !visible {
            self.hidden_since.get_or_insert(now);
            return;
        }
        self.hidden_since = None;
        if self.state == ConnectionState::Connected {
            self.link.next_ping = Some(now);
        }
        self.resume(now);
    }

    /// The next output, or `None` when drained.
    pub fn poll_output(&mut self) -> Option<Output<P>> {
        self.outputs.pop_front()
    }

    /// The earliest deadline the driver must call [`Engine::handle_timeout`] at.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            ConnectionState::Reconnecting { at, .. } => (!self.is_held(at)).then_some(at),
            ConnectionState::Connecting | ConnectionState::Open => {
                [self.link.connect_deadline, self.hidden_deadline()]
                    .into_iter()
                    .flatten()
                    .min()
            }
            ConnectionState::Connected => [
                self.link.next_ping,
                self.link.pong_deadline,
                self.flush_deadline(),
                self.hidden_deadline(),
            ]
            .into_iter()
            .flatten()
            .min(),
            _ => None,
        }
    }

    // ---- internals ----

    /// When a hidden page stops holding a socket.
    fn hidden_deadline(&self) -> Option<Instant> {
        Some(self.hidden_since? + self.config.hidden_timeout?)
    }

    fn hidden_expired(&self, now: Instant) -> bool {
        self.hidden_deadline().is_some_and(|at| at <= now)
    }

    /// Closes the socket cleanly for the page's sake; reconnects wait for [`Self::resume`].
    fn suspend(&mut self, now: Instant) {
        if self.socket_active() {
            self.outputs.push_back(Output::Close { code: 1000 });
            self.lose_connection(now, Duration::ZERO);
        }
    }

    /// Reconnects at once if a reconnect is pending and nothing holds it any more.
    fn resume(&mut self, now: Instant) {
        if !self.is_held(now) && matches!(self.state, ConnectionState::Reconnecting { .. }) {
            self.connect(now);
        }
    }

    fn find(&self, key: SubscriptionKey) -> Option<usize> {
        self.subscriptions
            .binary_search_by_key(&key, |s| s.key)
            .ok()
    }

    fn unindex(&mut self, wire_id: &str) {
        if let Some(at) = self.indexed(wire_id) {
            self.wire_index.remove(at);
        }
    }

    /// Where `wire_id` stands in [`Self::wire_index`].
    fn indexed(&self, wire_id: &str) -> Option<usize> {
        let counter = self.wire_counter(wire_id)?;
        self.wire_index
            .binary_search_by_key(&counter, |(c, _)| *c)
            .ok()
    }

    /// The counter in one of our wire ids (`<prefix>-<counter>`).
    fn wire_counter(&self, id: &str) -> Option<u64> {
        let counter = id
            .strip_prefix(self.id_prefix.as_str())?
            .strip_prefix('-')?;
        counter.parse().ok()
    }

    fn has_project(&self) -> bool {
        self.endpoint
            .as_ref()
            .is_some_and(|e| !e.project.is_empty())
    }

    fn socket_active(&self) -> bool {
        matches!(
            self.state,
            ConnectionState::Connecting | ConnectionState::Open | ConnectionState::Connected
        )
    }

    fn mint_wire_id(&mut self) -> String {
        self.next_wire += 1;
        // 12 + 1 + at most 20 digits = 33 characters: within the Key rule's 36.
        format!("{}-{}", self.id_prefix, self.next_wire)
    }

    fn set_state(&mut self, state: ConnectionState) {
        if self.state != state {
            self.state = state;
            self.outputs.push_back(Output::StateChanged(state));
        }
    }

    fn report(&mut self, code: i64, message: String, kind: ErrorKind) {
        self.outputs.push_back(Output::Error(ConnectionError {
            code,
            message,
            kind,
        }));
    }

    fn retire(&mut self, wire_id: String, subscribe_in_flight: bool) {
        self.retired.push(Retired {
            wire_id,
            subscribe_in_flight,
            unsubscribe_in_flight: false,
        });
    }

    fn ensure_connecting(&mut self, now: Instant) {
        if !matches!(self.state, ConnectionState::Idle | ConnectionState::Failed) {
            return;
        }
        if self.is_held(now) {
            // Connects when the network or the page allows.
            self.set_state(ConnectionState::Reconnecting {
                attempt: self.attempt,
                at: now,
            });
        } else {
            self.connect(now);
        }
    }

    /// Requests a new socket; every per-connection fact starts over.
    fn connect(&mut self, now: Instant) {
        let Some(endpoint) = &self.endpoint else {
            self.set_state(ConnectionState::Idle);
            return;
        };
        let mut url = endpoint.url();
        self.forget_connection();
        if self.url_mode {
            self.put_subscriptions_in_url(&mut url);
        }
        self.link.connect_deadline = Some(now + self.config.connect_timeout);
        self.outputs.push_back(Output::Connect { url });
        self.set_state(ConnectionState::Connecting);
    }

    /// Closes any socket and connects again now.
    fn restart(&mut self, now: Instant) {
        if self.socket_active() {
            self.outputs.push_back(Output::Close { code: 1000 });
        }
        self.connect(now);
    }

    fn forget_connection(&mut self) {
        self.link = Link::new();
        self.retired.clear();
        for subscription in &mut self.subscriptions {
            subscription.reset_for_new_connection();
        }
        if let Some(slot) = &mut self.presence {
            slot.dirty = true;
            slot.in_flight = false;
        }
    }

    /// The socket is gone: retry with full-jitter backoff, or go idle if nothing needs it.
    fn lose_connection(&mut self, now: Instant, minimum_delay: Duration) {
        let stable = self
            .link
            .connected_at
            .is_some_and(|at| now - at >= self.config.stable_after);
        self.resync_pending |= self.link.connected_at.is_some();
        self.forget_connection();
        if self.subscriptions.is_empty() && self.presence.is_none() {
            self.set_state(ConnectionState::Idle);
            return;
        }
        if stable {
            self.attempt = 0;
        }
        let initial = millis(self.config.backoff_initial);
        let doubled = if self.attempt >= 63 {
            u64::MAX
        } else {
            initial.saturating_mul(1 << self.attempt)
        };
        let ceiling = doubled.min(millis(self.config.backoff_max));
        let jitter = self.rng.next() % ceiling.saturating_add(1);
        let delay = Duration::from_millis(jitter).max(minimum_delay);
        self.attempt = self.attempt.saturating_add(1);
        self.set_state(ConnectionState::Reconnecting {
            attempt: self.attempt,
            at: now + delay,
        });
    }

    fn request_flush(&mut self, now: Instant) {
        if self.link.flush_at.is_none_or(|at| now < at) {
            self.link.flush_at = Some(now);
        }
    }

    /// The flush deadline, pushed past a rate-limit hold, and only when something is waiting.
    fn flush_deadline(&self) -> Option<Instant> {
        let at = self.link.flush_at?;
        if !self.has_sendable_work() {
            return None;
        }
        Some(self.link.hold_until.map_or(at, |hold| hold.max(at)))
    }

    fn has_sendable_work(&self) -> bool {
        self.subscriptions
            .iter()
            .any(|s| s.dirty && s.in_flight.is_none())
            || self
                .retired
                .iter()
                .any(|r| !r.subscribe_in_flight && !r.unsubscribe_in_flight)
            || (self.link.auth == Auth::Wanted && self.link.first_ack_seen)
            || self.presence_sendable()
    }

    fn presence_sendable(&self) -> bool {
        let auth_settled = !matches!(self.link.auth, Auth::Wanted | Auth::InFlight);
        auth_settled
            && self
                .presence
                .as_ref()
                .is_some_and(|slot| slot.dirty && !slot.in_flight)
    }

    /// Sends everything waiting: one subscribe frame (plus one per isolated row), one
    /// unsubscribe frame, then authentication and presence when their turn has come.
    fn flush(&mut self, now: Instant) {
        self.link.flush_at = None;
        self.link.hold_until = None;
        if self.url_mode && self.flush_url_mode(now) {
            return;
        }
        let mut batch = Vec::new();
        let mut isolated = Vec::new();
        for (index, subscription) in self.subscriptions.iter().enumerate() {
            if subscription.dirty && subscription.in_flight.is_none() {
                if subscription.isolate {
                    isolated.push(index);
                } else {
                    batch.push(index);
                }
            }
        }
        // Rows are packed into frames below the server's limit, in order; each frame is one
        // request, so acknowledgements still pair with frames first-in, first-out. Isolated rows
        // (being retried one by one) go after, one frame each.
        let row = |index: usize| {
            let s = &self.subscriptions[index];
            let text = frame::subscribe_row(&SubscribeRow {
                id: &s.wire_id,
                channels: &s.channels,
                queries: &s.queries,
            });
            (index, text)
        };
        let mut frames = frame::pack(frame::SUBSCRIBE_START, batch.into_iter().map(row).collect());
        for index in isolated {
            let (keys, text) = row(index);
            frames.push((
                vec![keys],
                [frame::SUBSCRIBE_START, &text, frame::END].concat(),
            ));
        }
        for (indices, text) in frames {
            self.outputs.push_back(Output::Send(text));
            let ids = indices
                .iter()
                .map(|&i| self.subscriptions[i].wire_id.clone())
                .collect();
            self.link.requests.push_back(Request::Subscribe(ids));
            for i in indices {
                let subscription = &mut self.subscriptions[i];
                subscription.dirty = false;
                subscription.in_flight = Some(subscription.version);
                subscription.on_server = true;
            }
        }
        let mut retiring = Vec::new();
        for retired in &mut self.retired {
            if !retired.subscribe_in_flight && !retired.unsubscribe_in_flight {
                retired.unsubscribe_in_flight = true;
                let id = retired.wire_id.clone();
                let text = frame::unsubscribe_row(&id);
                retiring.push((id, text));
            }
        }
        for (ids, text) in frame::pack(frame::UNSUBSCRIBE_START, retiring) {
            self.outputs.push_back(Output::Send(text));
            self.link.requests.push_back(Request::Unsubscribe(ids));
        }
        if self.link.auth == Auth::Wanted && self.link.first_ack_seen {
            if let Some(session) = &self.session {
                self.outputs
                    .push_back(Output::Send(frame::encode_authentication(session)));
                self.link.requests.push_back(Request::Authentication);
                self.link.auth = Auth::InFlight;
            } else {
                self.link.auth = Auth::NotNeeded;
            }
        }
        if self.presence_sendable() {
            if let Some(slot) = &mut self.presence {
                self.outputs
                    .push_back(Output::Send(frame::encode_presence(&slot.presence)));
                self.link.requests.push_back(Request::Presence);
                slot.dirty = false;
                slot.in_flight = true;
            }
        }
    }

    /// URL mode has no subscribe messages: a changed set of subscriptions takes a new socket
    /// (subscriptions that kept theirs missed what came meanwhile, so `Resynced` follows), and
    /// presence is refused. Returns whether the socket was replaced.
    fn flush_url_mode(&mut self, now: Instant) -> bool {
        if self.presence.take().is_some() {
            let message = "Presence needs Appwrite 1.9.5 or later".to_string();
            self.report(0, message, ErrorKind::Server);
        }
        let changed = !self.retired.is_empty() || self.subscriptions.iter().any(|s| s.dirty);
        if !changed {
            return false;
        }
        if self.subscriptions.is_empty() {
            self.outputs.push_back(Output::Close { code: 1000 });
            self.forget_connection();
            self.set_state(ConnectionState::Idle);
        } else {
            self.resync_pending |= self.link.connected_at.is_some();
            self.restart(now);
        }
        true
    }

    /// URL mode (§1.4 of the protocol notes): each channel once in `channels[]`, and each
    /// subscription's queries under its slot for each of its channels (`select("*")` when it
    /// has none: a channel without a slot would join slot 0 and take its queries). The
    /// subscriptions count as sent; `connected` acknowledges them.
    fn put_subscriptions_in_url(&mut self, url: &mut String) {
        let mut channels: Vec<&String> = Vec::new();
        for subscription in &self.subscriptions {
            for channel in &subscription.channels {
                if !channels.contains(&channel) {
                    url.push_str("&channels[]=");
                    url.push_str(&url_encode(channel));
                    channels.push(channel);
                }
            }
        }
        let select_all = [crate::query::select(&["*"])];
        for (slot, subscription) in self.subscriptions.iter_mut().enumerate() {
            let queries = if subscription.queries.is_empty() {
                &select_all[..]
            } else {
                &subscription.queries[..]
            };
            let slot = ["[", &slot.to_string(), "][]="].concat();
            for channel in &subscription.channels {
                for query in queries {
                    url.push('&');
                    url.push_str(&url_encode(channel));
                    url.push_str(&slot);
                    url.push_str(&url_encode(query));
                }
            }
            subscription.dirty = false;
            subscription.in_flight = Some(subscription.version);
            subscription.on_server = true;
            self.link.url_slots.push((subscription.key, None));
        }
    }

    /// URL mode: `connected` acknowledges what the URL carried, and names each slot's server id
    /// (servers before 1.9 name none, and know no queries).
    fn acknowledge_url_slots(&mut self, ids: Vec<String>) {
        self.link.first_ack_seen = true;
        for (slot, id) in self.link.url_slots.iter_mut().zip(ids) {
            slot.1 = Some(id);
        }
        let without_queries = self.link.url_slots.iter().all(|(_, id)| id.is_none());
        let mut index = 0;
        while let Some(subscription) = self.subscriptions.get_mut(index) {
            if without_queries && !subscription.queries.is_empty() {
                let failed = self.subscriptions.remove(index);
                self.unindex(&failed.wire_id);
                let error = ConnectionError {
                    code: 0,
                    message: "Realtime queries need Appwrite 1.9 or later".into(),
                    kind: ErrorKind::Server,
                };
                self.outputs.push_back(Output::SubscribeFailed {
                    key: failed.key,
                    error,
                });
                continue;
            }
            if let Some(version) = subscription.in_flight.take() {
                if !subscription.dirty && version == subscription.version {
                    subscription.acknowledged_version = Some(version);
                    subscription.confirmed_on_link = true;
                }
            }
            index += 1;
        }
    }

    /// URL mode: the subscriptions an event names by server id, or, from servers before 1.9
    /// (which name none), every one whose channels it matches.
    fn url_mode_targets(&self, event: &EventFrame<P>) -> Vec<SubscriptionKey> {
        self.subscriptions
            .iter()
            .filter(|s| {
                s.confirmed_on_link && s.channels.iter().any(|c| event.channels.contains(c))
            })
            .filter(|s| {
                self.link.url_slots.iter().any(|(key, id)| {
                    *key == s.key
                        && id
                            .as_ref()
                            .is_none_or(|id| event.subscriptions.contains(id))
                })
            })
            .map(|s| s.key)
            .collect()
    }

    fn take_request(&mut self, matches: impl Fn(&Request) -> bool) -> Option<Request> {
        let index = self.link.requests.iter().position(matches)?;
        self.link.requests.remove(index)
    }

    fn on_connected(&mut self, now: Instant, user: Option<P>, subscriptions: Vec<String>) {
        if self.state == ConnectionState::Connected {
            return;
        }
        if self.url_mode {
            self.acknowledge_url_slots(subscriptions);
        }
        self.set_state(ConnectionState::Connected);
        self.link.connect_deadline = None;
        self.link.connected_at = Some(now);
        self.link.next_ping = Some(now + self.config.ping_interval);
        self.link.auth = if self.session.is_some() && user.is_none() {
            Auth::Wanted
        } else {
            Auth::NotNeeded
        };
        if user.is_some() {
            self.outputs.push_back(Output::Authenticated { user });
        }
        self.request_flush(now);
    }

    fn on_event(&mut self, event: EventFrame<P>) {
        if self.url_mode {
            let targets = self.url_mode_targets(&event);
            if !targets.is_empty() {
                self.outputs.push_back(Output::Deliver { targets, event });
            }
            return;
        }
        // O(ids in the event × log n): the server names the matching subscriptions. Targets
        // are kept in creation order, once each, whatever order the server listed them in.
        let mut targets: Vec<SubscriptionKey> = Vec::new();
        for id in &event.subscriptions {
            let Some(at) = self.indexed(id) else { continue };
            let key = self.wire_index[at].1;
            let Some(index) = self.find(key) else {
                continue;
            };
            let channels = &self.subscriptions[index].channels;
            if channels.iter().any(|c| event.channels.contains(c)) {
                if let Err(at) = targets.binary_search(&key) {
                    targets.insert(at, key);
                }
            }
        }
        if !targets.is_empty() {
            self.outputs.push_back(Output::Deliver { targets, event });
        }
    }

    fn on_subscribe_ack(&mut self, now: Instant, acks: &[Ack]) {
        self.link.first_ack_seen = true;
        let ids: Vec<String> = acks.iter().map(|ack| ack.subscription_id.clone()).collect();
        self.take_request(|r| *r == Request::Subscribe(ids.clone()));
        for id in &ids {
            if let Some(subscription) = self.subscriptions.iter_mut().find(|s| &s.wire_id == id) {
                let Some(version) = subscription.in_flight.take() else {
                    continue;
                };
                subscription.isolate = false;
                if !subscription.dirty && version == subscription.version {
                    subscription.acknowledged_version = Some(version);
                    subscription.confirmed_on_link = true;
                }
            } else if let Some(retired) = self.retired.iter_mut().find(|r| &r.wire_id == id) {
                retired.subscribe_in_flight = false;
            }
        }
        self.request_flush(now);
    }

    /// Emits `Subscribed` for acknowledged versions, and `Resynced` once a reconnect restored
    /// everything, but only after any in-band authentication has settled: until then the server
    /// holds the subscriptions under guest roles, and a resolved `subscribe()` must mean the
    /// user's events will arrive.
    fn report_acknowledged(&mut self) {
        if matches!(self.link.auth, Auth::Wanted | Auth::InFlight) {
            return;
        }
        let restored = self.state == ConnectionState::Connected
            && self.subscriptions.iter().all(|s| s.confirmed_on_link);
        if self.resync_pending && restored {
            self.resync_pending = false;
            self.outputs.push_back(Output::Resynced);
        }
        for subscription in &mut self.subscriptions {
            let acknowledged = subscription.acknowledged_version;
            if acknowledged == Some(subscription.version)
                && subscription.reported_version != acknowledged
            {
                subscription.reported_version = acknowledged;
                self.outputs.push_back(Output::Subscribed(subscription.key));
            }
        }
    }

    fn on_unsubscribe_ack(&mut self, now: Instant, acks: &[Ack]) {
        let ids: Vec<String> = acks.iter().map(|ack| ack.subscription_id.clone()).collect();
        self.take_request(|r| *r == Request::Unsubscribe(ids.clone()));
        self.retired
            .retain(|r| !(r.unsubscribe_in_flight && ids.contains(&r.wire_id)));
        self.request_flush(now);
    }

    fn on_authentication(&mut self, now: Instant, success: Option<bool>, user: Option<P>) {
        self.take_request(|r| *r == Request::Authentication);
        if self.link.auth == Auth::InFlight {
            self.link.auth = Auth::NotNeeded;
        }
        if success == Some(true) {
            self.outputs.push_back(Output::Authenticated { user });
        } else {
            self.report(
                -1,
                "Authentication was not accepted".to_string(),
                ErrorKind::Server,
            );
        }
        self.request_flush(now);
    }

    fn on_error(&mut self, now: Instant, code: i64, message: String) {
        let error = ConnectionError {
            code,
            message,
            kind: ErrorKind::Server,
        };
        if self.state != ConnectionState::Connected {
            self.on_connect_error(now, error);
            return;
        }
        match code {
            1008 => {
                // The server drops the socket after an in-band 1008; reconnecting restores context.
                self.outputs.push_back(Output::Error(error));
                self.outputs.push_back(Output::Close { code: 1000 });
                self.lose_connection(now, Duration::ZERO);
            }
            1013 => {
                self.outputs.push_back(Output::Error(ConnectionError {
                    kind: ErrorKind::RateLimited,
                    ..error
                }));
                self.hold_and_requeue(now);
            }
            1003 => {
                self.outputs.push_back(Output::Error(error.clone()));
                self.attribute_request_error(now, error);
            }
            401 | 404 => {
                // Presence without a user (401) or user not found (404): only presence answers so.
                self.outputs.push_back(Output::Error(error));
                if self.take_request(|r| *r == Request::Presence).is_some() {
                    if let Some(slot) = &mut self.presence {
                        slot.in_flight = false;
                    }
                }
            }
            _ => self.outputs.push_back(Output::Error(error)),
        }
    }

    /// An error before `connected`: the server is about to drop the socket.
    fn on_connect_error(&mut self, now: Instant, error: ConnectionError) {
        self.outputs.push_back(Output::Close { code: 1000 });
        if error.code == 1008 && error.message == "Missing channels" && !self.url_mode {
            // A server before 1.9.5: it takes channels in the URL only.
            self.url_mode = true;
            self.connect(now);
            return;
        }
        if matches!(error.code, 1008 | 401 | 403) {
            let error = ConnectionError {
                kind: ErrorKind::Terminal,
                ..error
            };
            self.outputs.push_back(Output::Error(error.clone()));
            for subscription in core::mem::take(&mut self.subscriptions) {
                self.outputs.push_back(Output::SubscribeFailed {
                    key: subscription.key,
                    error: error.clone(),
                });
            }
            self.presence = None;
            self.forget_connection();
            self.set_state(ConnectionState::Failed);
            return;
        }
        let minimum_delay = if error.code == 1013 {
            self.config.rate_limit_window
        } else {
            Duration::ZERO
        };
        let kind = if error.code == 1013 {
            ErrorKind::RateLimited
        } else {
            ErrorKind::Server
        };
        self.outputs
            .push_back(Output::Error(ConnectionError { kind, ..error }));
        self.lose_connection(now, minimum_delay);
    }

    /// 1013 dropped some frame, we cannot tell which: everything unanswered goes again after
    /// the window, coalesced with whatever accumulates meanwhile.
    fn hold_and_requeue(&mut self, now: Instant) {
        self.link.requests.clear();
        for subscription in &mut self.subscriptions {
            if subscription.in_flight.take().is_some() {
                subscription.dirty = true;
            }
        }
        for retired in &mut self.retired {
            retired.subscribe_in_flight = false;
            retired.unsubscribe_in_flight = false;
        }
        if self.link.auth == Auth::InFlight {
            self.link.auth = Auth::Wanted;
        }
        if let Some(slot) = self.presence.as_mut().filter(|slot| slot.in_flight) {
            slot.in_flight = false;
            slot.dirty = true;
        }
        self.link.hold_until = Some(now + self.config.rate_limit_window);
        self.request_flush(now);
    }

    /// Error frames carry no correlation id: blame the oldest unanswered request (or the
    /// authentication when the text says so). A failed multi-row subscribe is re-sent one row
    /// per frame to find the bad row; a failed single row removes its subscription.
    fn attribute_request_error(&mut self, now: Instant, error: ConnectionError) {
        // A byte search: `str::contains` would link a substring searcher into the wasm.
        let about_session = error.message.as_bytes().windows(7).any(|w| w == b"Session");
        let request = if about_session {
            self.take_request(|r| *r == Request::Authentication)
        } else {
            self.link.requests.pop_front()
        };
        match request {
            Some(Request::Subscribe(_))
                if !self.url_mode && error.message == "Message type is not valid." =>
            {
                // A server before 1.9.5 that accepted a socket without channels.
                self.url_mode = true;
                self.restart(now);
                return;
            }
            Some(Request::Subscribe(ids)) => {
                let single = ids.len() == 1;
                for id in ids {
                    if let Some(index) = self.subscriptions.iter().position(|s| s.wire_id == id) {
                        let subscription = &mut self.subscriptions[index];
                        subscription.in_flight = None;
                        if single {
                            let failed = self.subscriptions.remove(index);
                            self.unindex(&failed.wire_id);
                            // An earlier version may be stored under this id; make sure it goes.
                            self.retire(failed.wire_id, false);
                            let failure = Output::SubscribeFailed {
                                key: failed.key,
                                error: error.clone(),
                            };
                            self.outputs.push_back(failure);
                        } else {
                            subscription.dirty = true;
                            subscription.isolate = true;
                        }
                    } else if let Some(retired) = self.retired.iter_mut().find(|r| r.wire_id == id)
                    {
                        retired.subscribe_in_flight = false;
                    }
                }
            }
            Some(Request::Unsubscribe(ids)) => {
                // Cannot succeed on retry; the ids are malformed or the server refuses them.
                self.retired.retain(|r| !ids.contains(&r.wire_id));
            }
            Some(Request::Authentication) => self.link.auth = Auth::NotNeeded,
            Some(Request::Presence) => {
                if let Some(slot) = &mut self.presence {
                    slot.in_flight = false;
                }
            }
            None => {}
        }
        self.request_flush(now);
    }
}

fn dedupe(channels: Vec<String>) -> Vec<String> {
    let mut unique: Vec<String> = Vec::with_capacity(channels.len());
    for channel in channels {
        if !unique.contains(&channel) {
            unique.push(channel);
        }
    }
    unique
}

fn first_invalid_query(queries: &[String]) -> Option<(usize, QueryError)> {
    queries
        .iter()
        .enumerate()
        .find_map(|(index, query)| validate_query(query).err().map(|e| (index, e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_that_cannot_fit_in_a_frame_are_refused_at_once() {
        let mut engine: Engine<()> = Engine::new(Config::default());
        engine.set_endpoint(
            Instant(0),
            Endpoint {
                realtime: "ws://localhost/v1".into(),
                project: "p".into(),
                jwt: None,
            },
        );
        let huge = "x".repeat(MAX_ITEM_BYTES);
        assert_eq!(
            engine.subscribe(Instant(0), vec![huge.clone()], Vec::new()),
            Err(SubscribeError::TooLarge)
        );
        // Quotes double in JSON: 30,000 of them are 60,000 bytes on the wire.
        let quotes = "\"".repeat(MAX_ITEM_BYTES / 2);
        assert_eq!(
            engine.subscribe(Instant(0), vec![quotes], Vec::new()),
            Err(SubscribeError::TooLarge)
        );
        let key = engine
            .subscribe(Instant(0), vec!["files".into()], Vec::new())
            .expect("a small subscription fits");
        assert_eq!(
            engine.update(Instant(0), key, Some(vec![huge.clone()]), None),
            Err(UpdateError::TooLarge)
        );
        let presence = Presence {
            status: "online".into(),
            presence_id: None,
            metadata_json: None,
            permissions: vec![huge],
        };
        assert_eq!(
            engine.upsert_presence(Instant(0), presence),
            Err(PresenceError::TooLarge)
        );
    }

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

    #[test]
    fn url_encoding_matches_encode_uri_component() {
        assert_eq!(url_encode("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
    }

    #[test]
    fn key_rule() {
        assert!(is_valid_key("abc-1.2_3"));
        for bad in ["", "-a", ".a", "_a", "a b", &"a".repeat(37)] {
            assert!(!is_valid_key(bad), "{bad}");
        }
    }

    #[test]
    fn wire_ids_follow_the_key_rule_and_differ_per_seed() {
        let mut a = Engine::<()>::new(Config {
            jitter_seed: 1,
            ..Config::default()
        });
        let b = Engine::<()>::new(Config {
            jitter_seed: 2,
            ..Config::default()
        });
        assert_ne!(a.id_prefix, b.id_prefix);
        a.next_wire = u64::MAX - 1;
        let id = a.mint_wire_id();
        assert!(is_valid_key(&id), "{id}");
    }
}
