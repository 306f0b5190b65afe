//! Identifiers, secrets and timestamps in Appwrite's formats.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 64 random bits. `RandomState` is seeded from the OS per instance; mixing in a
/// counter keeps two calls in the same instant distinct. Good enough for ids and
/// emulator secrets, which never protect anything real.
pub fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

/// `n` random lowercase hex digits.
pub fn random_hex(n: usize) -> String {
    let mut out = String::with_capacity(n + 16);
    while out.len() < n {
        out.push_str(&format!("{:016x}", random_u64()));
    }
    out.truncate(n);
    out
}

/// `ID::unique()`: 13 hex digits of `uniqid()` (seconds + microseconds) and 7 random.
pub fn unique_id() -> String {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    format!(
        "{:08x}{:05x}{}",
        since_epoch.as_secs(),
        since_epoch.subsec_micros(),
        random_hex(7)
    )
}

/// Resolves the literal `unique()` to a fresh id, as Appwrite's REST API does.
pub fn resolve_id(requested: &str) -> String {
    if requested == "unique()" {
        unique_id()
    } else {
        requested.to_string()
    }
}

/// Current time as `Y-m-d\TH:i:s.vP` in UTC, e.g. `2026-08-21T12:42:57.123+00:00`.
pub fn now_timestamp() -> String {
    format_timestamp(SystemTime::now())
}

pub fn format_timestamp(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let total_seconds = since_epoch.as_secs();
    let days = (total_seconds / 86_400) as i64;
    let second_of_day = total_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}+00:00",
        second_of_day / 3600,
        (second_of_day / 60) % 60,
        second_of_day % 60,
        since_epoch.subsec_millis()
    )
}

/// Gregorian date from days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Appwrite's custom id rule (`Key` validator): 1–36 chars of `[A-Za-z0-9._-]`,
/// not starting with `.`, `_` or `-`.
pub fn is_valid_custom_id(id: &str) -> bool {
    let Some(first) = id.chars().next() else {
        return false;
    };
    id.len() <= 36
        && !matches!(first, '.' | '_' | '-')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        let instant = UNIX_EPOCH + Duration::from_millis(1_787_316_177_123);
        assert_eq!(format_timestamp(instant), "2026-08-21T12:42:57.123+00:00");
        assert_eq!(
            format_timestamp(UNIX_EPOCH),
            "1970-01-01T00:00:00.000+00:00"
        );
        let leap_day = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(format_timestamp(leap_day), "2000-02-29T00:00:00.000+00:00");
    }

    #[test]
    fn unique_ids_are_twenty_hex_chars_and_distinct() {
        let first = unique_id();
        let second = unique_id();
        assert_eq!(first.len(), 20);
        assert!(first.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(first, second);
    }

    #[test]
    fn custom_id_rule() {
        assert!(is_valid_custom_id("abc.DEF_1-2"));
        assert!(!is_valid_custom_id(""));
        assert!(!is_valid_custom_id("_abc"));
        assert!(!is_valid_custom_id("a b"));
        assert!(!is_valid_custom_id(&"a".repeat(37)));
    }
}
