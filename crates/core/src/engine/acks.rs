//! How the server's answers settle requests: acknowledgements, and errors attributed to the
//! request they refuse.

use super::link::{Auth, Request};
use super::{ConnectionError, ConnectionState, Engine, ErrorKind, Instant, Output};
use crate::frame::Ack;
use core::time::Duration;

impl<P> Engine<P> {
    /// URL mode: `connected` acknowledges what the URL carried, and names each slot's server id
    /// (servers before 1.9 name none, and know no queries).
    pub(super) fn acknowledge_url_slots(&mut self, ids: Vec<String>) {
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
                self.outputs.push(Output::SubscribeFailed {
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

    pub(super) fn take_request(&mut self, matches: impl Fn(&Request) -> bool) -> Option<Request> {
        let index = self.link.requests.iter().position(matches)?;
        Some(self.link.requests.remove(index))
    }

    pub(super) fn on_connected(
        &mut self,
        now: Instant,
        user: Option<P>,
        subscriptions: Vec<String>,
    ) {
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
        let adopted = std::mem::take(&mut self.link.authentication_adopted);
        self.link.auth = if self.session.is_some() && user.is_none() {
            if adopted {
                Auth::InFlight
            } else {
                Auth::Wanted
            }
        } else {
            self.link.stale_authentication |= adopted;
            Auth::NotNeeded
        };
        if user.is_some() {
            self.outputs.push(Output::Authenticated { user });
        }
        self.request_flush(now);
    }

    pub(super) fn on_subscribe_ack(&mut self, now: Instant, acks: &[Ack]) {
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
            } else if self.wire_counter(id).is_some() {
                // Ours, yet nothing wants it: its request was blamed for another's error (errors
                // name no request), and its unsubscribe may have overtaken it. Make sure it goes.
                self.retire(id.clone(), false);
            }
        }
        self.request_flush(now);
    }

    /// Emits `Subscribed` for acknowledged versions, and `Resynced` once a reconnect restored
    /// everything, but only after any in-band authentication has settled: until then the server
    /// holds the subscriptions under guest roles, and a resolved `subscribe()` must mean the
    /// user's events will arrive.
    ///
    /// Also decides when a socket is healthy, which starts the reconnect backoff over: when the
    /// server has answered everything this socket restored, that is `connected`, the in-band
    /// authentication, every subscription and the presence. A connection with no subscription
    /// (presence only) is thus healthy once its presence is answered. A socket that fails
    /// before that (refused, closed before `connected` or before those answers) counts as a
    /// failed attempt, so a server that accepts and closes at once sees a growing backoff.
    pub(super) fn report_acknowledged(&mut self) {
        if matches!(self.link.auth, Auth::Wanted | Auth::InFlight) {
            return;
        }
        let restored = self.state == ConnectionState::Connected
            && self.subscriptions.iter().all(|s| s.confirmed_on_link);
        if restored
            && self
                .presence
                .as_ref()
                .is_none_or(|slot| !slot.dirty && !slot.in_flight)
        {
            self.attempt = 0;
        }
        if self.resync_pending && restored {
            self.resync_pending = false;
            self.outputs.push(Output::Resynced);
        }
        for subscription in &mut self.subscriptions {
            let acknowledged = subscription.acknowledged_version;
            // On this socket: one acknowledged on a socket since lost is not yet restored.
            if acknowledged == Some(subscription.version)
                && subscription.reported_version != acknowledged
                && subscription.confirmed_on_link
            {
                subscription.reported_version = acknowledged;
                self.outputs.push(Output::Subscribed(subscription.key));
            }
        }
    }

    pub(super) fn on_unsubscribe_ack(&mut self, now: Instant, acks: &[Ack]) {
        let ids: Vec<String> = acks.iter().map(|ack| ack.subscription_id.clone()).collect();
        self.take_request(|r| *r == Request::Unsubscribe(ids.clone()));
        self.retired
            .retain(|r| !(r.unsubscribe_in_flight && ids.contains(&r.wire_id)));
        self.request_flush(now);
    }

    pub(super) fn on_authentication(
        &mut self,
        now: Instant,
        success: Option<bool>,
        user: Option<P>,
    ) {
        self.take_request(|r| *r == Request::Authentication);
        if self.link.stale_authentication {
            self.link.stale_authentication = false;
            return;
        }
        self.settle_authentication();
        if success == Some(true) {
            self.outputs.push(Output::Authenticated { user });
            // The presence belongs to the user: a guest's was refused (401), another's is stale.
            if let Some(slot) = &mut self.presence {
                slot.dirty = true;
            }
        } else {
            self.report(
                -1,
                "Authentication was not accepted".to_string(),
                ErrorKind::Server,
            );
        }
        self.request_flush(now);
    }

    /// An answer to an `authentication` (taken from the requests) settles the one in flight,
    /// unless a later one, for a session since set, still waits for its own.
    fn settle_authentication(&mut self) {
        if self.link.auth == Auth::InFlight
            && !self.link.requests.contains(&Request::Authentication)
        {
            self.link.auth = Auth::NotNeeded;
        }
    }

    pub(super) fn on_error(&mut self, now: Instant, code: i64, message: String) {
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
                self.outputs.push(Output::Error(error));
                self.outputs.push(Output::Close { code: 1000 });
                self.lose_connection(now, Duration::ZERO);
            }
            1013 => {
                self.outputs.push(Output::Error(ConnectionError {
                    kind: ErrorKind::RateLimited,
                    ..error
                }));
                self.hold_and_requeue(now);
            }
            // A refused request (1003), or one the server failed on (0 and 5xx, `select` other
            // than `*` among them): the socket stays open, and the oldest request is answered.
            0 | 500..=599 | 1003 => {
                self.outputs.push(Output::Error(error.clone()));
                self.attribute_request_error(now, error);
            }
            401 | 404 => {
                // Presence without a user (401) or user not found (404): only presence answers so.
                self.outputs.push(Output::Error(error));
                if self.take_request(|r| *r == Request::Presence).is_some() {
                    if let Some(slot) = &mut self.presence {
                        slot.in_flight = false;
                    }
                }
            }
            _ => self.outputs.push(Output::Error(error)),
        }
    }

    /// An error before `connected`: the server is about to drop the socket.
    pub(super) fn on_connect_error(&mut self, now: Instant, error: ConnectionError) {
        self.outputs.push(Output::Close { code: 1000 });
        if error.code == 1008 && error.message == "Missing channels" && !self.url_mode {
            // A server before 1.9.5: it takes channels in the URL only.
            self.url_mode = true;
            self.connect_unless_held(now);
            return;
        }
        if matches!(error.code, 1008 | 401 | 403) {
            let error = ConnectionError {
                kind: ErrorKind::Terminal,
                ..error
            };
            self.outputs.push(Output::Error(error.clone()));
            for subscription in core::mem::take(&mut self.subscriptions) {
                self.outputs.push(Output::SubscribeFailed {
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
            .push(Output::Error(ConnectionError { kind, ..error }));
        self.lose_connection(now, minimum_delay);
    }

    /// 1013 dropped some frame, we cannot tell which: everything unanswered goes again after
    /// the window, coalesced with whatever accumulates meanwhile.
    pub(super) fn hold_and_requeue(&mut self, now: Instant) {
        self.requeue();
        self.link.hold_until = Some(now + self.config.rate_limit_window);
        self.request_flush(now);
    }

    /// Forgets every request sent and unanswered: they go again with the next flush.
    pub(super) fn requeue(&mut self) {
        self.link.requests.clear();
        // An adopted `authentication` among them may never be answered: expect no stale answer.
        self.link.stale_authentication = false;
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
    }

    /// Error frames carry no correlation id: blame the oldest unanswered request (or the
    /// authentication when the text says so). A failed multi-row subscribe is re-sent one row
    /// per frame to find the bad row; a failed single row removes its subscription.
    pub(super) fn attribute_request_error(&mut self, now: Instant, error: ConnectionError) {
        // A byte search: `str::contains` would link a substring searcher into the wasm.
        let about_session = error.message.as_bytes().windows(7).any(|w| w == b"Session");
        let request = if about_session {
            self.take_request(|r| *r == Request::Authentication)
        } else {
            (!self.link.requests.is_empty()).then(|| self.link.requests.remove(0))
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
                            self.outputs.push(failure);
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
                // Our ids are valid: the refusal may have been another request's (errors name
                // none) or a passing failure. Sent once more; refused again, given up.
                self.retired
                    .retain(|r| !(r.refused && ids.contains(&r.wire_id)));
                for retired in self.retired.iter_mut() {
                    if ids.contains(&retired.wire_id) {
                        retired.refused = true;
                        retired.unsubscribe_in_flight = false;
                    }
                }
            }
            // As with an answer: a refused adopted one for another session, or one for a session
            // since replaced, leaves the engine's own to go.
            Some(Request::Authentication) if self.link.stale_authentication => {
                self.link.stale_authentication = false;
            }
            Some(Request::Authentication) => self.settle_authentication(),
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
