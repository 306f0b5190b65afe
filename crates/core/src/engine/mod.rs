//! The connection state machine: the [`Engine`], the commands and inputs it takes, and the
//! bookkeeping they share.
//!
//! Sans-IO: every input carries `now`; outputs are drained with [`Engine::poll_output`] after
//! every input or command, and [`Engine::poll_timeout`] names the one deadline to arm a timer for.
//! The rest of the engine is split by concern: [`types`] (its public vocabulary), [`validation`]
//! (checks on commands), [`subscriptions`] (per-subscription state and wire ids), [`link`] (one
//! socket's life), [`flush`] (sending), [`acks`] (answers and errors) and [`routing`] (events).

mod acks;
mod flush;
mod link;
mod routing;
mod subscriptions;
mod types;
mod validation;

use crate::frame::{self, EventFrame, FrameError, ServerFrame};
use core::time::Duration;
use link::{Auth, Link, Request};
use subscriptions::{PresenceSlot, Retired, Subscription};
use validation::{dedupe, first_invalid_query, is_id_prefix, is_valid_key, too_large};

pub use types::{
    Config, ConnectionError, ConnectionState, Endpoint, ErrorKind, Instant, Output, Presence,
    PresenceError, SubscribeError, SubscriptionKey, UpdateError,
};

/// The close code of a socket whose carrier handed over (a tab that stopped sharing its socket
/// with the others): the connection is replaced at once rather than after a jittered delay.
pub const CLOSE_HANDOVER: u16 = 4001;

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
    /// Sockets lost since the last healthy one (see [`Engine::report_acknowledged`]).
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
    outputs: Outputs<P>,
}

/// Outputs in order: a `Vec` read from the front by a cursor, and emptied once read, which is
/// O(1) each way and some kilobyte smaller in the wasm than a `VecDeque`.
#[derive(Debug)]
struct Outputs<P> {
    items: Vec<Option<Output<P>>>,
    read: usize,
}

impl<P> Default for Outputs<P> {
    fn default() -> Self {
        Outputs {
            items: Vec::new(),
            read: 0,
        }
    }
}

impl<P> Outputs<P> {
    fn push(&mut self, output: Output<P>) {
        self.items.push(Some(output));
    }

    fn pop(&mut self) -> Option<Output<P>> {
        let output = self.items.get_mut(self.read)?.take();
        self.read += 1;
        if self.read == self.items.len() {
            self.items.clear();
            self.read = 0;
        }
        output
    }
}

/// Upper-case hexadecimal digits, for percent-encoding and id prefixes.
const HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";

impl<P> Engine<P> {
    /// An engine with no endpoint and nothing subscribed.
    pub fn new(config: Config) -> Self {
        let mut rng = SplitMix(config.jitter_seed);
        // 12 hex digits: distinct per instance, and digits/letters satisfy the Key rule's start.
        let bits = rng.next() >> 16;
        let id_prefix = match &config.id_prefix {
            Some(given) if is_id_prefix(given) => given.clone(),
            _ => (0..12)
                .rev()
                .map(|shift| {
                    char::from(HEX_DIGITS[(bits >> (shift * 4)) as usize & 0xF])
                        .to_ascii_lowercase()
                })
                .collect(),
        };
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
            outputs: Outputs::default(),
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
        // An adopted `authentication` carried the previous session: its answer settles nothing.
        if session != self.session && core::mem::take(&mut self.link.authentication_adopted) {
            self.link.stale_authentication = true;
        }
        self.session = session;
        if self.state != ConnectionState::Connected {
            return;
        }
        if cleared {
            self.restart(now);
        } else if self.session.is_some() {
            self.link.auth = Auth::Wanted;
            self.request_flush(now);
        }
    }

    /// Adds a subscription; it is sent on the next flush (deadline `now`) once connected.
    ///
    /// Every call takes the next wire id, also one that is refused: a row sent before the engine
    /// existed names its subscription by the order of the calls (see
    /// [`Engine::adopt_sent_subscribe`]), and a refused call's id is then never reused.
    pub fn subscribe(
        &mut self,
        now: Instant,
        channels: Vec<String>,
        queries: Vec<String>,
    ) -> Result<SubscriptionKey, SubscribeError> {
        let wire_id = self.mint_wire_id();
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

    /// The socket just asked for (the last [`Output::Connect`]) comes with a `subscribe` row
    /// already sent on it, before the engine existed (the browser driver's early socket): the
    /// subscription `wire_id` with `channels` and `queries`. Call it before the socket's frames.
    ///
    /// That subscription, if unchanged, waits for the row's answer instead of being sent again.
    /// A row that no longer matches is still answered in turn: under an id of a subscription it
    /// is replaced by that one's own row; under any other id (a call the engine refused, or
    /// never got) it is unsubscribed, and the engine never mints that id.
    pub fn adopt_sent_subscribe(
        &mut self,
        _now: Instant,
        wire_id: String,
        channels: Vec<String>,
        queries: Vec<String>,
    ) {
        self.link
            .requests
            .push(Request::Subscribe(vec![wire_id.clone()]));
        if let Some(subscription) = self.subscriptions.iter_mut().find(|s| s.wire_id == wire_id) {
            let unchanged = subscription.channels == channels && subscription.queries == queries;
            if unchanged && subscription.dirty && subscription.in_flight.is_none() {
                subscription.dirty = false;
                subscription.in_flight = Some(subscription.version);
                subscription.on_server = true;
            }
            return;
        }
        if let Some(counter) = self.wire_counter(&wire_id) {
            self.next_wire = self.next_wire.max(counter);
        }
        self.retire(wire_id, true);
    }

    /// The socket just asked for also comes with an `authentication` for `session` already sent
    /// on it, after the adopted row's answer. Call it before the socket's frames. If that is
    /// still the engine's session, the engine waits for its answer instead of sending its own;
    /// if not, it sends its own, and only that one's answer settles the authentication.
    pub fn adopt_sent_authentication(&mut self, _now: Instant, session: &str) {
        self.link.requests.push(Request::Authentication);
        if self.session.as_deref() == Some(session) {
            self.link.authentication_adopted = true;
        } else {
            self.link.stale_authentication = true;
        }
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
        // Characters are the bytes that do not continue a UTF-8 sequence (`chars().count()`
        // links a vectorised counter, some 800 bytes of wasm).
        let characters = presence.status.bytes().filter(|b| b & 0xC0 != 0x80).count();
        if characters > 2048 {
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
            self.outputs.push(Output::Close { code: 1000 });
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

    /// The socket closed or failed (1006 and friends). [`CLOSE_HANDOVER`] from a healthy socket
    /// is no failure: its replacement is opened at once, and nothing is reported.
    pub fn handle_close(&mut self, now: Instant, code: u16) {
        if !self.socket_active() {
            return;
        }
        if code == CLOSE_HANDOVER && self.attempt == 0 {
            self.lose_connection(now, Duration::ZERO);
            if let ConnectionState::Reconnecting { attempt, .. } = self.state {
                self.set_state(ConnectionState::Reconnecting { attempt, at: now });
            }
        } else {
            self.report(
                i64::from(code),
                {
                    let mut message = "Socket closed with code ".to_string();
                    crate::json::write_decimal(&mut message, code.into());
                    message
                },
                ErrorKind::Closed,
            );
            self.lose_connection(now, Duration::ZERO);
        }
    }

    /// A frame that could not be decoded; reported, never fatal.
    pub fn handle_bad_frame(&mut self, _now: Instant, error: FrameError) {
        self.report(-1, error.message(), ErrorKind::Protocol);
    }

    /// One event frame: the same as [`Engine::handle_frame`], without the time, which events
    /// never need (a driver saves reading the clock per event). Events acknowledge nothing, so
    /// they skip the acknowledgement check, which is O(subscriptions).
    pub fn handle_event(&mut self, event: EventFrame<P>) {
        if self.socket_active() {
            self.on_event(event);
        }
    }

    /// One decoded server frame.
    pub fn handle_frame(&mut self, now: Instant, frame: ServerFrame<P>) {
        if !self.socket_active() {
            return;
        }
        let waiting = self.link.requests.len();
        match frame {
            ServerFrame::Connected {
                user,
                subscriptions,
                ..
            } => self.on_connected(now, user, subscriptions),
            ServerFrame::Event(event) => return self.handle_event(event),
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
                    ["response to unknown request `", other, "`"].concat(),
                    ErrorKind::Protocol,
                ),
            },
            ServerFrame::Error { code, message } => self.on_error(now, code, message),
            ServerFrame::Pong => {
                self.link.pong_deadline = None;
                if let Some(sent) = self.link.ping_sent_at.take() {
                    self.round_trip = Some(now - sent);
                }
                if self.link.unanswered_at_pong {
                    self.requeue();
                    self.request_flush(now);
                }
                self.link.unanswered_at_pong = !self.link.requests.is_empty();
                return;
            }
        }
        if self.link.requests.len() < waiting {
            self.link.unanswered_at_pong = false;
        }
        self.report_acknowledged();
        // An answer may leave a flush requested with nothing to send; dropping it here keeps
        // `poll_timeout`, which the driver asks after every frame, from scanning every
        // subscription each time.
        if self.link.flush_at.is_some() && !self.has_sendable_work() {
            self.link.flush_at = None;
        }
    }

    /// The timer armed from [`Engine::poll_timeout`] fired (late is fine).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.hidden_expired(now) {
            self.suspend(now);
        }
        match self.state {
            ConnectionState::Connecting | ConnectionState::Open
                if self.link.connect_deadline.is_some_and(|at| at <= now) =>
            {
                // Accepted TCP but no handshake or no `connected`: a hung server or proxy.
                self.outputs.push(Output::Close { code: 4000 });
                let message = "No `connected` frame within the connect timeout".to_string();
                self.report(4000, message, ErrorKind::Closed);
                self.lose_connection(now, Duration::ZERO);
            }
            ConnectionState::Connected
                if self
                    .link
                    .pong_deadline
                    .is_some_and(|deadline| deadline <= now) =>
            {
                self.outputs.push(Output::Close { code: 4000 });
                let message = "No pong within the timeout".to_string();
                self.report(4000, message, ErrorKind::PongTimeout);
                self.lose_connection(now, Duration::ZERO);
            }
            ConnectionState::Connected => {
                if self.link.next_ping.is_some_and(|at| at <= now) {
                    self.outputs.push(Output::Send(frame::encode_ping()));
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
        // Last: a loss above may have scheduled its retry for now (a jitter of zero), and a
        // deadline left due would have the driver call again at once. A due retry that is held
        // moves to now, where `poll_timeout` sees the hold and names no deadline until resumed.
        if let ConnectionState::Reconnecting { attempt, at } = self.state {
            if at <= now && self.is_held(now) {
                self.set_state(ConnectionState::Reconnecting { attempt, at: now });
            } else if at <= now {
                self.connect(now);
            }
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
        self.outputs.pop()
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

    fn set_state(&mut self, state: ConnectionState) {
        if self.state != state {
            self.state = state;
            self.outputs.push(Output::StateChanged(state));
        }
    }

    fn report(&mut self, code: i64, message: String, kind: ErrorKind) {
        self.outputs.push(Output::Error(ConnectionError {
            code,
            message,
            kind,
        }));
    }
}
