//! Which subscriptions an event frame is delivered to.

use super::{Engine, Output, SubscriptionKey};
use crate::frame::EventFrame;

impl<P> Engine<P> {
    /// URL mode: the subscriptions an event names by server id, or, from servers before 1.9
    /// (which name none), every one whose channels it matches.
    pub(super) fn url_mode_targets(&self, event: &EventFrame<P>) -> Vec<SubscriptionKey> {
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

    pub(super) fn on_event(&mut self, event: EventFrame<P>) {
        if self.url_mode {
            let targets = self.url_mode_targets(&event);
            if !targets.is_empty() {
                self.outputs.push(Output::Deliver { targets, event });
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
            self.outputs.push(Output::Deliver { targets, event });
        }
    }
}
