//! One socket's life: its per-connection state, connecting, losing it with backoff, and the
//! page and network holds that keep it closed.

use super::types::millis;
use super::{ConnectionState, Endpoint, Engine, Instant, Output, SubscriptionKey};
use core::time::Duration;

impl Endpoint {
    pub(super) fn url(&self) -> String {
        let mut url = [
            self.realtime.as_str(),
            "/realtime?project=",
            &url_encode(&self.project),
        ]
        .concat();
        if let Some(jwt) = &self.jwt {
            url.push_str("&jwt=");
            url.push_str(&url_encode(jwt));
        }
        url
    }
}

/// `encodeURIComponent`.
pub(super) fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(char::from(byte));
        } else {
            // By hand: `format!("{:02X}")` would link integer formatting into the wasm.
            out.push('%');
            out.push(char::from(super::HEX_DIGITS[usize::from(byte >> 4)]));
            out.push(char::from(super::HEX_DIGITS[usize::from(byte & 0xF)]));
        }
    }
    out
}

/// A request sent on this connection and not yet answered (FIFO, for error attribution).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Request {
    Subscribe(Vec<String>),
    Unsubscribe(Vec<String>),
    Authentication,
    Presence,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Auth {
    NotNeeded,
    /// Waits for the first subscribe ack (a subscription-less connection loses its context).
    Wanted,
    InFlight,
}

/// State that lives and dies with one socket.
#[derive(Debug, Clone)]
pub(super) struct Link {
    /// A socket that has not brought the server's `connected` by then is replaced.
    pub(super) connect_deadline: Option<Instant>,
    pub(super) connected_at: Option<Instant>,
    pub(super) requests: Vec<Request>,
    pub(super) first_ack_seen: bool,
    pub(super) auth: Auth,
    pub(super) next_ping: Option<Instant>,
    pub(super) pong_deadline: Option<Instant>,
    pub(super) flush_at: Option<Instant>,
    pub(super) hold_until: Option<Instant>,
    /// When the unanswered ping went out.
    pub(super) ping_sent_at: Option<Instant>,
    /// Requests were waiting at the last pong and none was answered since. Error frames name
    /// no request, so one blamed on the wrong request leaves the right one waiting for good:
    /// still waiting at the next pong, they are sent again.
    pub(super) unanswered_at_pong: bool,
    /// URL mode: the subscriptions in the URL, in slot order, and then with the server's ids.
    pub(super) url_slots: Vec<(SubscriptionKey, Option<String>)>,
    /// An `authentication` for the engine's session went out on this socket before the engine
    /// had it (the browser driver's early socket).
    pub(super) authentication_adopted: bool,
    /// The next `authentication` answer is for an adopted one the engine did not want: for
    /// another session, or after a `connected` that already named the user.
    pub(super) stale_authentication: bool,
}

impl Link {
    pub(super) fn new() -> Self {
        Link {
            connect_deadline: None,
            connected_at: None,
            requests: Vec::new(),
            first_ack_seen: false,
            auth: Auth::NotNeeded,
            next_ping: None,
            pong_deadline: None,
            flush_at: None,
            hold_until: None,
            ping_sent_at: None,
            unanswered_at_pong: false,
            url_slots: Vec::new(),
            authentication_adopted: false,
            stale_authentication: false,
        }
    }
}

impl<P> Engine<P> {
    /// When a hidden page stops holding a socket.
    pub(super) fn hidden_deadline(&self) -> Option<Instant> {
        Some(self.hidden_since? + self.config.hidden_timeout?)
    }

    pub(super) fn hidden_expired(&self, now: Instant) -> bool {
        self.hidden_deadline().is_some_and(|at| at <= now)
    }

    /// Closes the socket cleanly for the page's sake; reconnects wait for [`Self::resume`].
    pub(super) fn suspend(&mut self, now: Instant) {
        if self.socket_active() {
            self.outputs.push(Output::Close { code: 1000 });
            self.lose_connection(now, Duration::ZERO);
        }
    }

    /// Reconnects at once if a reconnect is pending and nothing holds it any more.
    pub(super) fn resume(&mut self, now: Instant) {
        if !self.is_held(now) && matches!(self.state, ConnectionState::Reconnecting { .. }) {
            self.connect(now);
        }
    }

    pub(super) fn ensure_connecting(&mut self, now: Instant) {
        if matches!(self.state, ConnectionState::Idle | ConnectionState::Failed) {
            self.connect_unless_held(now);
        }
    }

    /// Requests a new socket now, or, while the network or the page holds reconnects, waits
    /// for [`Self::resume`].
    pub(super) fn connect_unless_held(&mut self, now: Instant) {
        if self.is_held(now) {
            self.forget_connection();
            self.set_state(ConnectionState::Reconnecting {
                attempt: self.attempt,
                at: now,
            });
        } else {
            self.connect(now);
        }
    }

    /// Requests a new socket; every per-connection fact starts over.
    pub(super) fn connect(&mut self, now: Instant) {
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
        self.outputs.push(Output::Connect { url });
        self.set_state(ConnectionState::Connecting);
    }

    /// Closes any socket and connects again now (or once nothing holds reconnects). Events
    /// published in between are lost, as after any loss: `Resynced` follows.
    pub(super) fn restart(&mut self, now: Instant) {
        if self.socket_active() {
            self.outputs.push(Output::Close { code: 1000 });
        }
        self.resync_pending |= self.link.connected_at.is_some();
        self.connect_unless_held(now);
    }

    pub(super) fn forget_connection(&mut self) {
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

    /// The socket is gone: retry with full-jitter backoff, or go idle if nothing needs it. The
    /// attempt count grows with every socket lost before it was healthy (see
    /// [`Self::report_acknowledged`]), and starts over once one is.
    pub(super) fn lose_connection(&mut self, now: Instant, minimum_delay: Duration) {
        self.resync_pending |= self.link.connected_at.is_some();
        self.forget_connection();
        if self.subscriptions.is_empty() && self.presence.is_none() {
            self.set_state(ConnectionState::Idle);
            return;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding_matches_encode_uri_component() {
        assert_eq!(url_encode("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
    }
}
