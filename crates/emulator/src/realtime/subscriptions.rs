//! Subscription rules that the handshake and the `subscribe` message share: account
//! channel rewriting, stored filters and the per-connection limits.

use super::FrameError;
use crate::events::SUPPORTED_ACTIONS;
use crate::queries::{Filter, Query};
use crate::state::StoredFilter;
use indexmap::IndexMap;

/// `Realtime::convertChannels` (§5.3): dedupe; `account` adds `account.<uid>`;
/// `account.<action>` becomes `account.<uid>.<action>` when authenticated; other
/// `account.*` are dropped. Rewritten entries move to the end, as with PHP arrays.
pub fn convert_channels(channels: &[String], user_id: &str) -> Vec<String> {
    let mut result: indexmap::IndexSet<String> = channels.iter().cloned().collect();
    let snapshot: Vec<String> = result.iter().cloned().collect();
    for channel in snapshot {
        if channel == "account" {
            if !user_id.is_empty() {
                result.insert(format!("account.{user_id}"));
            }
        } else if let Some(suffix) = channel.strip_prefix("account.") {
            if SUPPORTED_ACTIONS.contains(&suffix) {
                if !user_id.is_empty() {
                    result.shift_remove(&channel);
                    result.insert(format!("account.{user_id}.{suffix}"));
                }
            } else {
                result.shift_remove(&channel);
            }
        }
    }
    result.into_iter().collect()
}

/// `Realtime::rebindAccountChannels` for in-band authentication.
pub(super) fn rebind_account_channel(channel: &str, old_user: &str, new_user: &str) -> String {
    if new_user.is_empty() || old_user == new_user {
        return channel.to_string();
    }
    let Some(suffix) = channel.strip_prefix("account.") else {
        return channel.to_string();
    };
    if old_user.is_empty() {
        return if SUPPORTED_ACTIONS.contains(&suffix) {
            format!("account.{new_user}.{suffix}")
        } else {
            channel.to_string()
        };
    }
    if suffix == old_user {
        return format!("account.{new_user}");
    }
    match suffix
        .strip_prefix(old_user)
        .and_then(|rest| rest.strip_prefix('.'))
    {
        Some(action) if SUPPORTED_ACTIONS.contains(&action) => {
            format!("account.{new_user}.{action}")
        }
        _ => channel.to_string(),
    }
}

/// An empty query list is stored as `select("*")`.
pub(super) fn stored_filter(queries: &[Query]) -> StoredFilter {
    let strings = if queries.is_empty() {
        vec![Query::select_all().to_query_string()]
    } else {
        queries.iter().map(Query::to_query_string).collect()
    };
    StoredFilter {
        strings,
        filter: Filter::compile(queries),
    }
}

/// Appwrite has no limit here; the emulator does, so that one socket cannot grow without
/// bound. Generous for any real app; over them, `subscribe` answers 1003 and changes nothing.
pub const MAX_SUBSCRIPTIONS_PER_CONNECTION: usize = 1000;
pub const MAX_CHANNELS_PER_SUBSCRIPTION: usize = 100;
pub const MAX_CHANNELS_PER_CONNECTION: usize = 10_000;
/// Channel names plus query strings, counted once per (subscription, channel).
pub const MAX_SUBSCRIPTION_BYTES_PER_CONNECTION: usize = 1024 * 1024;

pub(super) fn check_subscription_limits(
    subscriptions: &IndexMap<String, IndexMap<String, StoredFilter>>,
) -> Result<(), FrameError> {
    if subscriptions.len() > MAX_SUBSCRIPTIONS_PER_CONNECTION {
        return Err(FrameError::format(format!(
            "items: Too many subscriptions: at most {MAX_SUBSCRIPTIONS_PER_CONNECTION} per connection."
        )));
    }
    if subscriptions
        .values()
        .any(|channels| channels.len() > MAX_CHANNELS_PER_SUBSCRIPTION)
    {
        return Err(FrameError::format(format!(
            "items: Too many channels: at most {MAX_CHANNELS_PER_SUBSCRIPTION} per subscription."
        )));
    }
    let channels: usize = subscriptions.values().map(IndexMap::len).sum();
    if channels > MAX_CHANNELS_PER_CONNECTION {
        return Err(FrameError::format(format!(
            "items: Too many channels: at most {MAX_CHANNELS_PER_CONNECTION} per connection."
        )));
    }
    let bytes: usize = subscriptions
        .values()
        .flat_map(IndexMap::iter)
        .map(|(channel, stored)| {
            channel.len() + stored.strings.iter().map(String::len).sum::<usize>()
        })
        .sum();
    if bytes > MAX_SUBSCRIPTION_BYTES_PER_CONNECTION {
        return Err(FrameError::format(format!(
            "items: Subscriptions too large: at most {MAX_SUBSCRIPTION_BYTES_PER_CONNECTION} bytes of channels and queries per connection."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    #[test]
    fn converts_account_channels() {
        assert_eq!(
            convert_channels(
                &strings(&["account.update", "rows", "account", "account.other", "rows"]),
                "u"
            ),
            strings(&["rows", "account", "account.u.update", "account.u"])
        );
        assert_eq!(
            convert_channels(&strings(&["account.update", "account", "account.u"]), ""),
            strings(&["account.update", "account"])
        );
    }

    #[test]
    fn rebinds_account_channels() {
        assert_eq!(
            rebind_account_channel("account.update", "", "u"),
            "account.u.update"
        );
        assert_eq!(rebind_account_channel("account", "", "u"), "account");
        assert_eq!(rebind_account_channel("account.a", "a", "b"), "account.b");
        assert_eq!(
            rebind_account_channel("account.a.delete", "a", "b"),
            "account.b.delete"
        );
        assert_eq!(rebind_account_channel("rows", "a", "b"), "rows");
    }
}
