//! What the engine keeps per subscription and presence, and how it mints and finds wire ids.

use super::{Engine, Presence, SubscriptionKey};

#[derive(Debug, Clone)]
pub(super) struct Subscription {
    pub(super) key: SubscriptionKey,
    pub(super) wire_id: String,
    pub(super) channels: Vec<String>,
    pub(super) queries: Vec<String>,
    /// Bumped by every update; `Subscribed` is emitted once per version.
    pub(super) version: u64,
    /// The latest version the server acknowledged.
    pub(super) acknowledged_version: Option<u64>,
    pub(super) reported_version: Option<u64>,
    // Per connection:
    /// The server must be told the current version.
    pub(super) dirty: bool,
    /// Version sent and not yet acknowledged; newer versions wait for it, so two versions of
    /// one id are never in flight (the server may process frames concurrently).
    pub(super) in_flight: Option<u64>,
    /// The server may hold this wire id.
    pub(super) on_server: bool,
    /// Send alone, to find which row of a failed batch was bad.
    pub(super) isolate: bool,
    /// The server acknowledged the current version on this connection.
    pub(super) confirmed_on_link: bool,
}

impl Subscription {
    pub(super) fn reset_for_new_connection(&mut self) {
        self.dirty = true;
        self.confirmed_on_link = false;
        self.in_flight = None;
        self.on_server = false;
        self.isolate = false;
    }
}

/// A wire id the server must forget.
#[derive(Debug, Clone)]
pub(super) struct Retired {
    pub(super) wire_id: String,
    /// Its subscribe is still in flight; unsubscribing first could lose the race.
    pub(super) subscribe_in_flight: bool,
    pub(super) unsubscribe_in_flight: bool,
    /// An unsubscribe was refused once already.
    pub(super) refused: bool,
}

#[derive(Debug, Clone)]
pub(super) struct PresenceSlot {
    pub(super) presence: Presence,
    pub(super) dirty: bool,
    pub(super) in_flight: bool,
}

impl<P> Engine<P> {
    pub(super) fn find(&self, key: SubscriptionKey) -> Option<usize> {
        self.subscriptions
            .binary_search_by_key(&key, |s| s.key)
            .ok()
    }

    pub(super) fn unindex(&mut self, wire_id: &str) {
        if let Some(at) = self.indexed(wire_id) {
            self.wire_index.remove(at);
        }
    }

    /// Where `wire_id` stands in [`Self::wire_index`].
    pub(super) fn indexed(&self, wire_id: &str) -> Option<usize> {
        let counter = self.wire_counter(wire_id)?;
        self.wire_index
            .binary_search_by_key(&counter, |(c, _)| *c)
            .ok()
    }

    /// The counter in one of our wire ids (`<prefix>-<counter>`).
    pub(super) fn wire_counter(&self, id: &str) -> Option<u64> {
        let counter = id
            .strip_prefix(self.id_prefix.as_str())?
            .strip_prefix('-')?;
        counter.parse().ok()
    }

    pub(super) fn mint_wire_id(&mut self) -> String {
        self.next_wire += 1;
        // 12 + 1 + at most 20 digits = 33 characters: within the Key rule's 36.
        let mut id = [self.id_prefix.as_str(), "-"].concat();
        crate::json::write_decimal(&mut id, self.next_wire);
        id
    }

    pub(super) fn retire(&mut self, wire_id: String, subscribe_in_flight: bool) {
        self.retired.push(Retired {
            wire_id,
            subscribe_in_flight,
            unsubscribe_in_flight: false,
            refused: false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::validation::is_valid_key;
    use crate::engine::Config;

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
