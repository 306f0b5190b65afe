//! Filters with database semantics, as a REST list evaluates them (utopia-php/database on
//! MariaDB, Appwrite 1.9). The order and the cursor window are in [`crate::db_order`].
//!
//! Parsing is the realtime parser's ([`crate::queries::parse_query`]); evaluation is not,
//! because SQL and PHP disagree. Where the realtime evaluator (`shared/protocol.md` §7) differs:
//! - A missing attribute is a column holding NULL: `isNull` matches it (realtime: a leaf on a
//!   missing key never matches).
//! - NULL satisfies no comparison, `notEqual` included (realtime compares `null` loosely, so
//!   `lessThan(x, 1)` holds for `x: null` there).
//! - `equal`/`notEqual` compare numbers by value across int, float, bool and numeric strings
//!   (realtime: `===`, so `5` ≠ `5.0` ≠ `"5"`). Two strings compare byte-wise, numeric or not
//!   (realtime: `"10" > "9"` numerically).
//! - Arrays answer only `contains`-style queries (by element) and `isNull`/`isNotNull`.
//! - Not emulated: MariaDB's case-insensitive collation (`equal("name", ["ann"])` also finds
//!   "Ann" there; here strings compare byte-wise, like realtime) and datetime parsing (the
//!   `$createdAt`/`$updatedAt` text is compared as text, right for Appwrite's own format).
//!
//! The emulator has no attribute schema: every attribute exists and takes any JSON value.

use crate::queries::{
    as_php_number, number_to_php_string, parse_numeric_string, PhpNumber, Query, QueryValues,
};
use crate::state::Document;
use serde_json::Value;
use std::borrow::Cow;
use std::cmp::Ordering;

/// The system attributes a query may name (`Queries\Documents`).
pub const QUERYABLE_SYSTEM_ATTRIBUTES: [&str; 4] = ["$id", "$sequence", "$createdAt", "$updatedAt"];

/// A document's attribute as the database holds it; absent ones are NULL.
pub fn field<'a>(document: &'a Document, attribute: &str) -> Cow<'a, Value> {
    match attribute {
        "$id" => Cow::Owned(Value::String(document.id.clone())),
        "$sequence" => Cow::Owned(Value::from(document.sequence)),
        "$createdAt" => Cow::Owned(Value::String(document.created_at.clone())),
        "$updatedAt" => Cow::Owned(Value::String(document.updated_at.clone())),
        _ => Cow::Borrowed(document.data.get(attribute).unwrap_or(&Value::Null)),
    }
}

/// Whether `document` passes every filter (the top-level list is ANDed).
pub fn matches_all(filters: &[Query], document: &Document) -> bool {
    filters.iter().all(|filter| matches(filter, document))
}

fn matches(query: &Query, document: &Document) -> bool {
    let targets = match &query.values {
        QueryValues::Nested(children) => {
            return match query.method.as_str() {
                "and" => children.iter().all(|child| matches(child, document)),
                "or" => children.iter().any(|child| matches(child, document)),
                _ => false,
            }
        }
        QueryValues::Scalars(targets) => targets,
    };
    let value = field(document, &query.attribute);
    leaf(&query.method, &value, targets)
}

fn leaf(method: &str, value: &Value, targets: &[Value]) -> bool {
    let compares = |wanted: fn(Ordering) -> bool| {
        targets
            .first()
            .and_then(|target| compare(value, target))
            .is_some_and(wanted)
    };
    match (method, value) {
        ("isNull", value) => value.is_null(),
        (_, Value::Null) => false,
        ("isNotNull", _) => true,
        ("contains" | "containsAny", _) => targets.iter().any(|target| contains(value, target)),
        ("notContains", _) => targets.iter().all(|target| lacks(value, target)),
        ("containsAll", Value::Array(_)) => targets.iter().all(|target| contains(value, target)),
        // On a string the adapter ORs its LIKEs, as for `contains`.
        ("containsAll", _) => targets.iter().any(|target| contains(value, target)),
        (_, Value::Array(_) | Value::Object(_)) => false,
        ("equal", _) => targets.iter().any(|target| equal(value, target)),
        // `x != t`: a word against a number differs; a NULL target never does.
        ("notEqual", _) => targets
            .iter()
            .all(|target| !target.is_null() && !equal(value, target)),
        ("lessThan", _) => compares(Ordering::is_lt),
        ("lessThanEqual", _) => compares(Ordering::is_le),
        ("greaterThan", _) => compares(Ordering::is_gt),
        ("greaterThanEqual", _) => compares(Ordering::is_ge),
        ("between", _) => between(value, targets).unwrap_or(false),
        ("notBetween", _) => between(value, targets).is_some_and(|inside| !inside),
        ("startsWith", _) => like(value, targets, |text, part| text.starts_with(part)),
        ("endsWith", _) => like(value, targets, |text, part| text.ends_with(part)),
        ("notStartsWith", _) => !like(value, targets, |text, part| text.starts_with(part)),
        ("notEndsWith", _) => !like(value, targets, |text, part| text.ends_with(part)),
        _ => false,
    }
}

fn between(value: &Value, targets: &[Value]) -> Option<bool> {
    let [low, high] = targets else {
        return None;
    };
    Some(compare(value, low)?.is_ge() && compare(value, high)?.is_le())
}

/// `LIKE` with one pattern per target, ORed. Numbers match through their text.
fn like(value: &Value, targets: &[Value], test: fn(&str, &str) -> bool) -> bool {
    let Some(text) = php_string(value) else {
        return false;
    };
    targets
        .iter()
        .filter_map(php_string)
        .any(|part| test(&text, &part))
}

/// `contains` on an array (any element equals the target) or a string (a substring).
fn contains(value: &Value, target: &Value) -> bool {
    match value {
        Value::Array(items) => items.iter().any(|item| equal(item, target)),
        Value::Object(_) => false,
        _ => like(value, std::slice::from_ref(target), |text, part| {
            text.contains(part)
        }),
    }
}

fn lacks(value: &Value, target: &Value) -> bool {
    match value {
        Value::Object(_) => false,
        _ => !contains(value, target),
    }
}

fn equal(value: &Value, target: &Value) -> bool {
    compare(value, target) == Some(Ordering::Equal)
}

/// SQL comparison of two non-NULL values: strings byte-wise, anything numeric (numbers,
/// booleans, numeric strings against a number) by value; `None` where SQL yields NULL or the
/// schema would have refused the value.
pub fn compare(value: &Value, target: &Value) -> Option<Ordering> {
    match (value, target) {
        (Value::String(left), Value::String(right)) => Some(left.as_bytes().cmp(right.as_bytes())),
        _ => Some(compare_numbers(numeric(value)?, numeric(target)?)),
    }
}

fn numeric(value: &Value) -> Option<NumKey> {
    let number = match value {
        Value::Number(_) => as_php_number(value)?,
        Value::Bool(flag) => PhpNumber::Int(i64::from(*flag)),
        Value::String(text) => parse_numeric_string(text)?,
        _ => return None,
    };
    Some(NumKey::from(number))
}

/// PHP's string form of a scalar, as PDO binds it into a `LIKE` pattern.
pub fn php_string(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(_) => as_php_number(value).map(number_to_php_string),
        Value::Bool(true) => Some("1".into()),
        Value::Bool(false) | Value::Null => Some(String::new()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// 2^63, exactly representable: `i64` covers [-2^63, 2^63).
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// A number in a total order: integral floats in `i64` range become `Int`, `-0.0` is `0`.
#[derive(Debug, Clone, Copy)]
pub enum NumKey {
    Int(i64),
    Float(f64),
}

impl From<PhpNumber> for NumKey {
    fn from(number: PhpNumber) -> NumKey {
        match number {
            PhpNumber::Int(int) => NumKey::Int(int),
            PhpNumber::Float(float)
                if float.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&float) =>
            {
                NumKey::Int(float as i64)
            }
            PhpNumber::Float(float) => NumKey::Float(float),
        }
    }
}

/// Exact comparison, so that sorting sees a total order (never through lossy `as f64`).
fn compare_numbers(left: NumKey, right: NumKey) -> Ordering {
    match (left, right) {
        (NumKey::Int(a), NumKey::Int(b)) => a.cmp(&b),
        (NumKey::Float(a), NumKey::Float(b)) => a.total_cmp(&b),
        (NumKey::Int(a), NumKey::Float(b)) => int_against_float(a, b),
        (NumKey::Float(a), NumKey::Int(b)) => int_against_float(b, a).reverse(),
    }
}

/// `int` against a float that is not integral or lies outside the `i64` range.
fn int_against_float(int: i64, float: f64) -> Ordering {
    if float.is_nan() || float >= TWO_POW_63 {
        return Ordering::Less;
    }
    if float < -TWO_POW_63 {
        return Ordering::Greater;
    }
    // |float| < 2^63 and not integral: its floor is an exact i64 below it.
    let floor = float.floor() as i64;
    if int <= floor {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

impl PartialEq for NumKey {
    fn eq(&self, other: &NumKey) -> bool {
        compare_numbers(*self, *other) == Ordering::Equal
    }
}
impl Eq for NumKey {}
impl PartialOrd for NumKey {
    fn partial_cmp(&self, other: &NumKey) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for NumKey {
    fn cmp(&self, other: &NumKey) -> Ordering {
        compare_numbers(*self, *other)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::{json, Map};

    pub(crate) fn document(id: &str, sequence: u64, data: Value) -> Document {
        let Value::Object(data) = data else {
            panic!("data is an object")
        };
        Document {
            id: id.into(),
            sequence,
            created_at: "2026-01-01T00:00:00.000+00:00".into(),
            updated_at: "2026-01-01T00:00:00.000+00:00".into(),
            permissions: Vec::new(),
            data,
        }
    }

    fn holds(method: &str, value: Value, targets: Value) -> bool {
        let mut data = Map::new();
        if !value.is_null() {
            data.insert("a".into(), value);
        }
        let query = crate::queries::parse_query(
            &json!({"method": method, "attribute": "a", "values": targets}).to_string(),
        )
        .expect("valid query");
        matches_all(&[query], &document("d", 1, Value::Object(data)))
    }

    #[test]
    fn null_and_missing_only_match_is_null() {
        assert!(holds("isNull", Value::Null, json!([])));
        assert!(!holds("isNotNull", Value::Null, json!([])));
        assert!(!holds("notEqual", Value::Null, json!([1])));
        assert!(!holds("lessThan", Value::Null, json!([1])));
        assert!(!holds("notStartsWith", Value::Null, json!(["x"])));
        assert!(!holds("notContains", Value::Null, json!(["x"])));
    }

    #[test]
    fn numbers_compare_by_value_and_strings_byte_wise() {
        assert!(holds("equal", json!(5), json!([5.0])));
        assert!(holds("equal", json!(true), json!([1])));
        assert!(holds("equal", json!(5), json!(["5"])));
        assert!(!holds("equal", json!("Ann"), json!(["ann"])));
        assert!(holds("lessThan", json!("10"), json!(["9"])));
        assert!(holds("greaterThan", json!(10), json!([9.5])));
        assert!(holds("notEqual", json!("x"), json!([1])));
        assert!(holds("between", json!(3), json!([1, 3])));
        assert!(!holds("notBetween", json!(3), json!([1, 3])));
        assert!(holds("startsWith", json!("hello"), json!(["he"])));
        assert!(holds("endsWith", json!(12345), json!([45])));
        assert!(holds("contains", json!("hello"), json!(["ell", "zz"])));
        assert!(holds("contains", json!(["a", 2]), json!([2.0])));
        assert!(holds("notContains", json!(["a", 2]), json!(["b"])));
        assert!(holds("containsAll", json!(["a", "b"]), json!(["a", "b"])));
        assert!(!holds("containsAll", json!(["a"]), json!(["a", "b"])));
        assert!(!holds("equal", json!(["a"]), json!(["a"])));
    }
}
