//! Sending what waits: subscribe and unsubscribe rows batched into frames, authentication and
//! presence in turn, and, in URL mode, the socket URL that carries the subscriptions instead.

use super::link::{url_encode, Auth, Request};
use super::{ConnectionState, Engine, ErrorKind, Instant, Output};
use crate::frame::{self, SubscribeRow};

impl<P> Engine<P> {
    pub(super) fn request_flush(&mut self, now: Instant) {
        if self.link.flush_at.is_none_or(|at| now < at) {
            self.link.flush_at = Some(now);
        }
    }

    /// The flush deadline, pushed past a rate-limit hold, and only when something is waiting.
    pub(super) fn flush_deadline(&self) -> Option<Instant> {
        let at = self.link.flush_at?;
        if !self.has_sendable_work() {
            return None;
        }
        Some(self.link.hold_until.map_or(at, |hold| hold.max(at)))
    }

    pub(super) fn has_sendable_work(&self) -> bool {
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

    pub(super) fn presence_sendable(&self) -> bool {
        let auth_settled = !matches!(self.link.auth, Auth::Wanted | Auth::InFlight);
        auth_settled
            && self
                .presence
                .as_ref()
                .is_some_and(|slot| slot.dirty && !slot.in_flight)
    }

    /// Sends everything waiting: one subscribe frame (plus one per isolated row), one
    /// unsubscribe frame, then authentication and presence when their turn has come.
    pub(super) fn flush(&mut self, now: Instant) {
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
            self.outputs.push(Output::Send(text));
            let ids = indices
                .iter()
                .map(|&i| self.subscriptions[i].wire_id.clone())
                .collect();
            self.link.requests.push(Request::Subscribe(ids));
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
            self.outputs.push(Output::Send(text));
            self.link.requests.push(Request::Unsubscribe(ids));
        }
        if self.link.auth == Auth::Wanted && self.link.first_ack_seen {
            if let Some(session) = &self.session {
                self.outputs
                    .push(Output::Send(frame::encode_authentication(session)));
                self.link.requests.push(Request::Authentication);
                self.link.auth = Auth::InFlight;
            } else {
                self.link.auth = Auth::NotNeeded;
            }
        }
        if self.presence_sendable() {
            if let Some(slot) = &mut self.presence {
                self.outputs
                    .push(Output::Send(frame::encode_presence(&slot.presence)));
                self.link.requests.push(Request::Presence);
                slot.dirty = false;
                slot.in_flight = true;
            }
        }
    }

    /// URL mode has no subscribe messages: a changed set of subscriptions takes a new socket
    /// (subscriptions that kept theirs missed what came meanwhile, so `Resynced` follows), and
    /// presence is refused. Returns whether the socket was replaced.
    pub(super) fn flush_url_mode(&mut self, now: Instant) -> bool {
        if self.presence.take().is_some() {
            let message = "Presence needs Appwrite 1.9.5 or later".to_string();
            self.report(0, message, ErrorKind::Server);
        }
        let changed = !self.retired.is_empty() || self.subscriptions.iter().any(|s| s.dirty);
        if !changed {
            return false;
        }
        if self.subscriptions.is_empty() {
            self.outputs.push(Output::Close { code: 1000 });
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
    pub(super) fn put_subscriptions_in_url(&mut self, url: &mut String) {
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
            let mut slot_param = "[".to_string();
            crate::json::write_decimal(&mut slot_param, slot as u64);
            slot_param.push_str("][]=");
            let slot = slot_param;
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
}
