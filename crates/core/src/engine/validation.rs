//! The checks commands make before accepting a subscription or a presence.

use crate::query::{validate_query, QueryError};

/// Bytes one subscription or presence may take in a frame: the server drops a connection whose
/// frame exceeds 64,000 bytes, and an item that can never be sent would be retried forever.
const MAX_ITEM_BYTES: usize = 60_000;

/// Whether these strings, JSON-encoded as the frame carries them, exceed [`MAX_ITEM_BYTES`].
pub(super) fn too_large<'a>(texts: impl IntoIterator<Item = &'a String>) -> bool {
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
pub(super) fn is_valid_key(id: &str) -> bool {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-');
    (1..=36).contains(&id.len()) && id.bytes().all(allowed) && !id.starts_with(['.', '_', '-'])
}

/// What [`Config::id_prefix`](super::Config::id_prefix) may be: 12 of `[0-9a-z]`.
pub(super) fn is_id_prefix(prefix: &str) -> bool {
    prefix.len() == 12
        && prefix
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

pub(super) fn dedupe(channels: Vec<String>) -> Vec<String> {
    let mut unique: Vec<String> = Vec::with_capacity(channels.len());
    for channel in channels {
        if !unique.contains(&channel) {
            unique.push(channel);
        }
    }
    unique
}

pub(super) fn first_invalid_query(queries: &[String]) -> Option<(usize, QueryError)> {
    queries
        .iter()
        .enumerate()
        .find_map(|(index, query)| validate_query(query).err().map(|e| (index, e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{
        Config, Endpoint, Engine, Instant, Presence, PresenceError, SubscribeError, UpdateError,
    };

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
    fn key_rule() {
        assert!(is_valid_key("abc-1.2_3"));
        for bad in ["", "-a", ".a", "_a", "a b", &"a".repeat(37)] {
            assert!(!is_valid_key(bad), "{bad}");
        }
    }
}
