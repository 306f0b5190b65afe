//! Query strings parsed the way PHP fills `$_GET`: `a[]=x&a[]=y`, `c[1][]=q`,
//! dots and spaces in the top-level name become `_`.
//!
//! PHP's input limits apply, so a hostile URL costs linear time and bounded memory:
//! at most [`MAX_INPUT_VARS`] pairs are read (`max_input_vars`; the rest are ignored) and a
//! name with more than [`MAX_NESTING_LEVEL`] bracket levels (`max_input_nesting_level`) is
//! dropped together with everything stored so far under the same top-level name, as PHP does.
//! Insertion walks the brackets in a loop (no recursion) and every array remembers its next
//! free integer key, so `a[]` appends in constant time.

use indexmap::IndexMap;
use std::ops::{Deref, DerefMut};

/// PHP's default `max_input_vars`.
pub const MAX_INPUT_VARS: usize = 1000;
/// PHP's default `max_input_nesting_level`.
pub const MAX_NESTING_LEVEL: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum PhpParam {
    Text(String),
    /// Keys are strings; integer keys are kept in decimal form.
    Array(PhpArray),
}

/// An ordered PHP array. Reads go through `Deref` to the entries.
#[derive(Debug, Clone, Default)]
pub struct PhpArray {
    entries: IndexMap<String, PhpParam>,
    /// PHP's `nNextFreeElement`: one past the largest integer key, `None` before any.
    next_free: Option<i64>,
}

impl PartialEq for PhpArray {
    fn eq(&self, other: &PhpArray) -> bool {
        self.entries == other.entries
    }
}

impl Deref for PhpArray {
    type Target = IndexMap<String, PhpParam>;

    fn deref(&self) -> &Self::Target {
        &self.entries
    }
}

impl DerefMut for PhpArray {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.entries
    }
}

impl PhpArray {
    /// The slot for `key` (`None` = `[]`, the next integer key), created as `make()` when
    /// absent. `None` when `[]` cannot append (the next key is taken, as after `PHP_INT_MAX`).
    fn slot(
        &mut self,
        key: Option<&str>,
        make: impl FnOnce() -> PhpParam,
    ) -> Option<&mut PhpParam> {
        let key = match key {
            Some(key) => {
                if let Some(integer) = integer_key(key) {
                    self.note_integer(integer);
                }
                key.to_string()
            }
            None => {
                let integer = self.next_free.unwrap_or(0);
                let key = integer.to_string();
                if self.entries.contains_key(&key) {
                    return None;
                }
                self.note_integer(integer);
                key
            }
        };
        Some(self.entries.entry(key).or_insert_with(make))
    }

    fn note_integer(&mut self, key: i64) {
        if self.next_free.is_none_or(|next| key >= next) {
            self.next_free = Some(key.saturating_add(1));
        }
    }
}

/// PHP treats a key as an integer when it is the canonical decimal form of one.
fn integer_key(key: &str) -> Option<i64> {
    let digits = key.strip_prefix('-').unwrap_or(key);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|byte| byte.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && key != "-0";
    if canonical {
        key.parse().ok()
    } else {
        None
    }
}

pub type PhpQuery = IndexMap<String, PhpParam>;

/// `urldecode`: `+` is a space, `%XX` a byte; anything else is kept.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).ok();
                match hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        index += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn parse(raw: &str) -> PhpQuery {
    let mut query = PhpQuery::new();
    let pairs = raw.split('&').filter(|pair| !pair.is_empty());
    for pair in pairs.take(MAX_INPUT_VARS) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = percent_decode(name);
        // PHP's names are C strings: a decoded NUL ends them.
        let name = name.split('\0').next().unwrap_or_default();
        insert(&mut query, name, percent_decode(value));
    }
    query
}

/// Where one `name=value` pair goes: the top-level name and the bracket keys below it.
struct Target {
    base: String,
    /// `None` for `[]`.
    path: Vec<Option<String>>,
}

/// Splits a name like PHP's `php_register_variable_ex`: leading spaces are skipped, ` ` and
/// `.` before the first `[` become `_`; an unclosed first `[` becomes `_` and the rest joins
/// the name; text after a `]` that is not followed by `[` is ignored. `Err(None)` when the
/// name is empty, `Err(Some(base))` when it nests deeper than PHP allows.
fn target(name: &str) -> Result<Target, Option<String>> {
    let name = name.trim_start_matches(' ');
    let open = name.find('[');
    let head = &name[..open.unwrap_or(name.len())];
    let mut base: String = head
        .chars()
        .map(|c| if c == ' ' || c == '.' { '_' } else { c })
        .collect();
    if base.is_empty() {
        return Err(None);
    }
    let Some(open) = open else {
        return Ok(Target {
            base,
            path: Vec::new(),
        });
    };
    let mut path = Vec::new();
    let mut rest = &name[open..];
    while let Some(inside) = rest.strip_prefix('[') {
        if path.len() == MAX_NESTING_LEVEL {
            return Err(Some(base));
        }
        let Some(close) = inside.find(']') else {
            if path.is_empty() {
                // Not an index after all: `a[b` is the plain name `a_b`.
                base.push('_');
                base.extend(inside.chars().map(|c| match c {
                    ' ' | '.' | '[' => '_',
                    other => other,
                }));
            }
            break;
        };
        let key = &inside[..close];
        path.push((!key.is_empty()).then(|| key.to_string()));
        rest = &inside[close + 1..];
    }
    Ok(Target { base, path })
}

fn insert(query: &mut PhpQuery, name: &str, value: String) {
    let Target { base, path } = match target(name) {
        Ok(target) => target,
        // Too deep: PHP drops the whole variable, including what earlier pairs stored.
        Err(Some(base)) => {
            query.shift_remove(&base);
            return;
        }
        Err(None) => return,
    };
    let Some((last, parents)) = path.split_last() else {
        query.insert(base, PhpParam::Text(value));
        return;
    };
    let mut slot = query
        .entry(base)
        .or_insert_with(|| PhpParam::Array(PhpArray::default()));
    for key in parents {
        let array = as_array(slot);
        match array.slot(key.as_deref(), || PhpParam::Array(PhpArray::default())) {
            Some(child) => slot = child,
            None => return,
        }
    }
    if let Some(leaf) = as_array(slot).slot(last.as_deref(), || PhpParam::Text(String::new())) {
        *leaf = PhpParam::Text(value);
    }
}

/// The array in `slot`, replacing a string there (PHP overwrites scalars with arrays).
fn as_array(slot: &mut PhpParam) -> &mut PhpArray {
    if let PhpParam::Text(_) = slot {
        *slot = PhpParam::Array(PhpArray::default());
    }
    match slot {
        PhpParam::Array(array) => array,
        PhpParam::Text(_) => unreachable!("replaced by an array above"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn array<'a>(query: &'a PhpQuery, key: &str) -> &'a PhpArray {
        match &query[key] {
            PhpParam::Array(array) => array,
            other => panic!("{key} is not an array: {other:?}"),
        }
    }

    fn text(value: &str) -> PhpParam {
        PhpParam::Text(value.to_string())
    }

    #[test]
    fn parses_php_arrays() {
        let query = parse(
            "project=p&channels[]=files&channels%5B%5D=account&rows[1][]=q1&rows[1][]=q2&a.b=c",
        );
        assert_eq!(query["project"], text("p"));
        assert_eq!(
            array(&query, "channels")
                .values()
                .cloned()
                .collect::<Vec<_>>(),
            vec![text("files"), text("account")]
        );
        let PhpParam::Array(slot) = &array(&query, "rows")["1"] else {
            panic!("slot is an array")
        };
        assert_eq!(slot.len(), 2);
        assert_eq!(query["a_b"], text("c"));
        assert_eq!(percent_decode("a%20b+c%2"), "a b c%2");
    }

    #[test]
    fn appends_after_the_largest_integer_key_like_php() {
        let query = parse("a[5]=x&a[]=y&a[05]=z&a[]=w&b[-3]=n&b[]=m");
        assert_eq!(
            array(&query, "a").keys().collect::<Vec<_>>(),
            ["5", "6", "05", "7"]
        );
        assert_eq!(array(&query, "b").keys().collect::<Vec<_>>(), ["-3", "-2"]);
        // After PHP_INT_MAX nothing can be appended.
        let query = parse("a[9223372036854775807]=x&a[]=y");
        assert_eq!(array(&query, "a").len(), 1);
    }

    #[test]
    fn odd_names_follow_php() {
        let query = parse("a[b=1&c]=2&d[e]f=3&g[h][i=4&%20j=5&[k]=6&l%00m=7");
        assert_eq!(query["a_b"], text("1"));
        assert_eq!(query["c]"], text("2"));
        assert_eq!(array(&query, "d")["e"], text("3"));
        assert_eq!(array(&query, "g")["h"], text("4"));
        assert_eq!(query["j"], text("5"));
        assert_eq!(query["l"], text("7"));
        assert!(!query.contains_key(""));
    }

    #[test]
    fn nesting_beyond_64_levels_drops_the_variable() {
        let allowed = format!("a{}=deep", "[]".repeat(MAX_NESTING_LEVEL));
        let query = parse(&format!("{allowed}&b=1"));
        let mut depth = 0;
        let mut node = &query["a"];
        while let PhpParam::Array(array) = node {
            depth += 1;
            node = &array["0"];
        }
        assert_eq!((depth, node), (MAX_NESTING_LEVEL, &text("deep")));

        let too_deep = format!("a{}=x", "[]".repeat(MAX_NESTING_LEVEL + 1));
        let query = parse(&format!("a[]=kept-until-now&{too_deep}&b=1"));
        assert!(!query.contains_key("a"), "PHP deletes the whole variable");
        assert_eq!(query["b"], text("1"));

        // Thousands of levels: no recursion, so no stack overflow.
        let hostile = format!("project=demo&a{}=x", "[]".repeat(4_000));
        let query = parse(&hostile);
        assert_eq!(query.len(), 1);
    }

    #[test]
    fn reads_at_most_1000_variables() {
        let query = parse(&"a[]=x&".repeat(13_000));
        assert_eq!(array(&query, "a").len(), MAX_INPUT_VARS);
        // Empty pairs (`&&`) do not count.
        let query = parse(&format!("{}b=1", "&".repeat(5_000)));
        assert_eq!(query["b"], text("1"));
        let query = parse(&format!("{}late=1", "x=1&".repeat(MAX_INPUT_VARS)));
        assert!(!query.contains_key("late"));
    }
}
