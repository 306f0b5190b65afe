//! Realtime query strings, byte-identical to the official `Query.toString()` for the methods
//! the server allows in realtime, and [`validate_query`], the server's realtime rules applied
//! client-side so a bad query fails at `subscribe()` with the server's own text.

use crate::json::{self, JsonValue};
use core::fmt;

/// A number as JSON spells it, kept exactly: integers of any size (the official SDK's `BigInt`)
/// and floats as JavaScript prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonNumber(String);

impl JsonNumber {
    /// Accepts JSON's number syntax: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
    pub fn parse(text: &str) -> Option<JsonNumber> {
        let bytes = text.as_bytes();
        let mut at = usize::from(bytes.first() == Some(&b'-'));
        let digits = |at: &mut usize| {
            let start = *at;
            while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
                *at += 1;
            }
            *at - start
        };
        let integer_start = at;
        let integer_digits = digits(&mut at);
        if integer_digits == 0 || (integer_digits > 1 && bytes[integer_start] == b'0') {
            return None;
        }
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            if digits(&mut at) == 0 {
                return None;
            }
        }
        if matches!(bytes.get(at), Some(b'e' | b'E')) {
            at += 1;
            if matches!(bytes.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            if digits(&mut at) == 0 {
                return None;
            }
        }
        (at == bytes.len()).then(|| JsonNumber(text.to_string()))
    }
}

/// One value of a query's `values` list.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryValue {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, written as spelled.
    Number(JsonNumber),
    /// A string.
    String(String),
}

impl From<&str> for QueryValue {
    fn from(text: &str) -> Self {
        QueryValue::String(text.to_string())
    }
}

impl From<String> for QueryValue {
    fn from(text: String) -> Self {
        QueryValue::String(text)
    }
}

impl From<bool> for QueryValue {
    fn from(value: bool) -> Self {
        QueryValue::Bool(value)
    }
}

impl From<i64> for QueryValue {
    fn from(value: i64) -> Self {
        QueryValue::Number(JsonNumber(value.to_string()))
    }
}

/// Spelled as JavaScript's `JSON.stringify` would; non-finite values become `null`, as there.
impl From<f64> for QueryValue {
    fn from(value: f64) -> Self {
        if value.is_finite() {
            let mut text = String::new();
            write_js_number(&mut text, value);
            QueryValue::Number(JsonNumber(text))
        } else {
            QueryValue::Null
        }
    }
}

impl QueryValue {
    fn write(&self, out: &mut String) {
        match self {
            QueryValue::Null => out.push_str("null"),
            QueryValue::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
            QueryValue::Number(value) => out.push_str(&value.0),
            QueryValue::String(value) => json::write_string(out, value),
        }
    }
}

/// Formats like JavaScript's `Number.prototype.toString` (both use shortest round-trip digits;
/// only the switch to exponent notation and its spelling differ from Rust's formatting).
fn write_js_number(out: &mut String, value: f64) {
    if !value.is_finite() {
        out.push_str("null");
    } else if value == 0.0 {
        out.push('0');
    } else if value.abs() >= 1e21 || value.abs() < 1e-6 {
        let exponent_form = format!("{value:e}");
        match exponent_form.split_once('e') {
            Some((mantissa, exponent)) if !exponent.starts_with('-') => {
                out.push_str(&format!("{mantissa}e+{exponent}"));
            }
            _ => out.push_str(&exponent_form),
        }
    } else {
        out.push_str(&value.to_string());
    }
}

fn build(method: &str, attribute: Option<&str>, values: Option<&[QueryValue]>) -> String {
    let mut out = String::from("{\"method\":");
    json::write_string(&mut out, method);
    if let Some(attribute) = attribute {
        out.push_str(",\"attribute\":");
        json::write_string(&mut out, attribute);
    }
    if let Some(values) = values {
        out.push_str(",\"values\":[");
        for (index, value) in values.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            value.write(&mut out);
        }
        out.push(']');
    }
    out.push('}');
    out
}

/// `attribute` equals one of `values` (the official SDK wraps a scalar into a one-item list).
pub fn equal(attribute: &str, values: &[QueryValue]) -> String {
    build("equal", Some(attribute), Some(values))
}

/// `attribute` equals none of `values`.
pub fn not_equal(attribute: &str, values: &[QueryValue]) -> String {
    build("notEqual", Some(attribute), Some(values))
}

/// `attribute` is less than any of `values`.
pub fn less_than(attribute: &str, values: &[QueryValue]) -> String {
    build("lessThan", Some(attribute), Some(values))
}

/// `attribute` is less than or equal to any of `values`.
pub fn less_than_equal(attribute: &str, values: &[QueryValue]) -> String {
    build("lessThanEqual", Some(attribute), Some(values))
}

/// `attribute` is greater than any of `values`.
pub fn greater_than(attribute: &str, values: &[QueryValue]) -> String {
    build("greaterThan", Some(attribute), Some(values))
}

/// `attribute` is greater than or equal to any of `values`.
pub fn greater_than_equal(attribute: &str, values: &[QueryValue]) -> String {
    build("greaterThanEqual", Some(attribute), Some(values))
}

/// `attribute` is present and `null`.
pub fn is_null(attribute: &str) -> String {
    build("isNull", Some(attribute), None)
}

/// `attribute` is present and not `null`.
pub fn is_not_null(attribute: &str) -> String {
    build("isNotNull", Some(attribute), None)
}

/// `select(attributes)`; realtime accepts only `["*"]` (every event), see [`validate_query`].
pub fn select(attributes: &[&str]) -> String {
    let values: Vec<QueryValue> = attributes.iter().map(|&a| QueryValue::from(a)).collect();
    build("select", None, Some(&values))
}

/// REST lists only (realtime refuses it): sorts by `attribute`, ascending.
pub fn order_asc(attribute: &str) -> String {
    build("orderAsc", Some(attribute), None)
}

/// REST lists only: sorts by `attribute`, descending.
pub fn order_desc(attribute: &str) -> String {
    build("orderDesc", Some(attribute), None)
}

/// REST lists only: at most `limit` rows (the server takes 1 to `i64::MAX`).
pub fn limit(limit: u64) -> String {
    build("limit", None, Some(&[count(limit)]))
}

/// REST lists only: skips the first `offset` rows (the server takes 0 to `i64::MAX`).
pub fn offset(offset: u64) -> String {
    build("offset", None, Some(&[count(offset)]))
}

/// REST lists only: the rows after the one with id `document_id`.
pub fn cursor_after(document_id: &str) -> String {
    build("cursorAfter", None, Some(&[document_id.into()]))
}

/// REST lists only: the rows before the one with id `document_id`.
pub fn cursor_before(document_id: &str) -> String {
    build("cursorBefore", None, Some(&[document_id.into()]))
}

/// A count in decimal digits: JavaScript's spelling of an integer up to 2^53, and json-bigint's
/// of a `BigInt` beyond.
fn count(value: u64) -> QueryValue {
    let mut text = String::new();
    json::write_decimal(&mut text, value);
    QueryValue::Number(JsonNumber(text))
}

/// A nested query given to [`and`] or [`or`] is not a JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestedQueryError {
    /// Position of the offending query in the list.
    pub index: usize,
}

impl fmt::Display for NestedQueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "query {} is not a JSON object", self.index)
    }
}

impl std::error::Error for NestedQueryError {}

fn logical(method: &str, queries: &[&str]) -> Result<String, NestedQueryError> {
    let mut out = String::from("{\"method\":");
    json::write_string(&mut out, method);
    out.push_str(",\"values\":[");
    for (index, query) in queries.iter().enumerate() {
        match json::parse(query) {
            Ok(parsed @ JsonValue::Object(_)) => {
                if index > 0 {
                    out.push(',');
                }
                parsed.write(&mut out);
            }
            _ => return Err(NestedQueryError { index }),
        }
    }
    out.push_str("]}");
    Ok(out)
}

/// All of `queries` hold; they are nested as objects, not strings, as the official SDK does.
pub fn and(queries: &[&str]) -> Result<String, NestedQueryError> {
    logical("and", queries)
}

/// Any of `queries` holds.
pub fn or(queries: &[&str]) -> Result<String, NestedQueryError> {
    logical("or", queries)
}

/// The methods realtime accepts, in the order the server lists them.
const REALTIME_METHODS: [&str; 11] = [
    "equal",
    "notEqual",
    "lessThan",
    "lessThanEqual",
    "greaterThan",
    "greaterThanEqual",
    "isNull",
    "isNotNull",
    "and",
    "or",
    "select",
];

/// Every method the server's query parser knows; the others are "Invalid query method".
const KNOWN_METHODS: [&str; 52] = [
    "equal",
    "notEqual",
    "lessThan",
    "lessThanEqual",
    "greaterThan",
    "greaterThanEqual",
    "contains",
    "containsAny",
    "containsAll",
    "notContains",
    "search",
    "notSearch",
    "isNull",
    "isNotNull",
    "between",
    "notBetween",
    "startsWith",
    "notStartsWith",
    "endsWith",
    "notEndsWith",
    "regex",
    "exists",
    "notExists",
    "elemMatch",
    "createdBefore",
    "createdAfter",
    "createdBetween",
    "updatedBefore",
    "updatedAfter",
    "updatedBetween",
    "select",
    "orderAsc",
    "orderDesc",
    "orderRandom",
    "limit",
    "offset",
    "cursorAfter",
    "cursorBefore",
    "and",
    "or",
    "distanceEqual",
    "distanceNotEqual",
    "distanceGreaterThan",
    "distanceLessThan",
    "intersects",
    "notIntersects",
    "crosses",
    "notCrosses",
    "overlaps",
    "notOverlaps",
    "touches",
    "notTouches",
];

/// A query the server would reject, with the code and text it would answer a `subscribe` with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// 1003 for parse and method errors; 0 where the server fails with an uncaught exception.
    pub code: i64,
    /// The development-mode server message (production servers say `Error: Server Error`).
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for QueryError {}

fn invalid(detail: String) -> QueryError {
    // The subscribe handler prefixes the parser's message once more.
    QueryError {
        code: 1003,
        message: ["Invalid query: ", &detail].concat(),
    }
}

fn server_error() -> QueryError {
    QueryError {
        code: 0,
        message: "Error: Server Error".to_string(),
    }
}

/// Applies the server's realtime query rules (`Query::parse` plus the realtime method list,
/// checked recursively inside `and`/`or`, and `select` only as `["*"]`).
pub fn validate_query(query: &str) -> Result<(), QueryError> {
    let parsed = json::parse(query)
        .map_err(|error| invalid(["Invalid query: ", error.php_message()].concat()))?;
    if !matches!(parsed, JsonValue::Array(_) | JsonValue::Object(_)) {
        return Err(invalid(
            ["Invalid query. Must be an array, got ", parsed.php_type()].concat(),
        ));
    }
    check_parsed(&parsed)?;
    check_realtime(&parsed)
}

/// `Query::parseQuery`: field types, known method, nested logical queries.
fn check_parsed(query: &JsonValue) -> Result<(), QueryError> {
    // A JSON list decodes to a PHP array without these keys, i.e. the defaults.
    let method = query.member("method");
    let method = match method {
        None | Some(JsonValue::Null) => "",
        Some(JsonValue::String(method)) => method.as_str(),
        Some(other) => {
            let kind = other.php_type();
            return Err(invalid(
                ["Invalid query method. Must be a string, got ", kind].concat(),
            ));
        }
    };
    if !KNOWN_METHODS.contains(&method) {
        return Err(invalid(["Invalid query method: ", method].concat()));
    }
    match query.member("attribute") {
        None | Some(JsonValue::Null | JsonValue::String(_)) => {}
        Some(other) => {
            let kind = other.php_type();
            return Err(invalid(
                ["Invalid query attribute. Must be a string, got ", kind].concat(),
            ));
        }
    }
    let values = values_of(query)?;
    if method == "and" || method == "or" {
        for value in values {
            if !matches!(value, JsonValue::Array(_) | JsonValue::Object(_)) {
                // parseQuery() gets a non-array: a PHP TypeError, not a query error.
                return Err(server_error());
            }
            check_parsed(value)?;
        }
    }
    Ok(())
}

fn values_of(query: &JsonValue) -> Result<&[JsonValue], QueryError> {
    match query.member("values") {
        None | Some(JsonValue::Null) => Ok(&[]),
        Some(JsonValue::Array(values)) => Ok(values),
        // A JSON object is a PHP array too; realtime never builds one, so treat it as opaque.
        Some(JsonValue::Object(_)) => Ok(&[]),
        Some(other) => {
            let kind = other.php_type();
            Err(invalid(
                ["Invalid query values. Must be an array, got ", kind].concat(),
            ))
        }
    }
}

/// `Realtime::convertQueries`: realtime methods only, `select` only as `["*"]`.
fn check_realtime(query: &JsonValue) -> Result<(), QueryError> {
    let method = match query.member("method") {
        Some(JsonValue::String(method)) => method.as_str(),
        _ => "",
    };
    if !REALTIME_METHODS.contains(&method) {
        let allowed = REALTIME_METHODS.join(", ");
        return Err(invalid(
            [
                "Query method '",
                method,
                "' is not supported in Realtime queries. Allowed query methods are: ",
                &allowed,
            ]
            .concat(),
        ));
    }
    let values = values_of(query)?;
    if method == "select" && !matches!(values, [JsonValue::String(star)] if star == "*") {
        return Err(server_error());
    }
    if method == "and" || method == "or" {
        for value in values {
            check_realtime(value)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_official_strings() {
        assert_eq!(
            equal("status", &["published".into()]),
            r#"{"method":"equal","attribute":"status","values":["published"]}"#
        );
        assert_eq!(
            not_equal(
                "n",
                &[QueryValue::Null, true.into(), 5i64.into(), 2.5f64.into()]
            ),
            r#"{"method":"notEqual","attribute":"n","values":[null,true,5,2.5]}"#
        );
        let big = QueryValue::Number(JsonNumber::parse("-9223372036854775809").unwrap());
        assert_eq!(
            greater_than("n", &[big]),
            r#"{"method":"greaterThan","attribute":"n","values":[-9223372036854775809]}"#
        );
        assert_eq!(is_null("a"), r#"{"method":"isNull","attribute":"a"}"#);
        assert_eq!(
            is_not_null("a"),
            r#"{"method":"isNotNull","attribute":"a"}"#
        );
        assert_eq!(select(&["*"]), r#"{"method":"select","values":["*"]}"#);
        assert_eq!(
            less_than("a", &[1i64.into()]),
            r#"{"method":"lessThan","attribute":"a","values":[1]}"#
        );
        assert!(less_than_equal("a", &[]).contains("lessThanEqual"));
        assert!(greater_than_equal("a", &[]).contains("greaterThanEqual"));
    }

    #[test]
    fn builds_the_official_strings_of_the_rest_only_methods() {
        // The official SDK 28.0.0's strings (e2e/node-environment.test.mjs compares ours there).
        assert_eq!(order_asc("n"), r#"{"method":"orderAsc","attribute":"n"}"#);
        assert_eq!(
            order_desc("$createdAt"),
            r#"{"method":"orderDesc","attribute":"$createdAt"}"#
        );
        assert_eq!(
            order_asc("é\"\\\u{2028}😀"),
            r#"{"method":"orderAsc","attribute":"é\"\\\u2028😀"}"#
        );
        assert_eq!(limit(10), r#"{"method":"limit","values":[10]}"#);
        assert_eq!(
            limit(9_007_199_254_740_991),
            r#"{"method":"limit","values":[9007199254740991]}"#
        );
        // Beyond 2^53 as the official SDK writes a BigInt: every digit.
        assert_eq!(
            limit(u64::MAX),
            r#"{"method":"limit","values":[18446744073709551615]}"#
        );
        assert_eq!(offset(0), r#"{"method":"offset","values":[0]}"#);
        assert_eq!(offset(25), r#"{"method":"offset","values":[25]}"#);
        assert_eq!(
            cursor_after("abc"),
            r#"{"method":"cursorAfter","values":["abc"]}"#
        );
        assert_eq!(
            cursor_before("ü\"\n"),
            r#"{"method":"cursorBefore","values":["ü\"\n"]}"#
        );
    }

    #[test]
    fn floats_follow_javascript_number_formatting() {
        let cases = [
            (5.0, "5"),
            (0.1, "0.1"),
            (-0.0, "0"),
            (1e21, "1e+21"),
            (1.5e-7, "1.5e-7"),
            (123456789012345680000.0, "123456789012345680000"),
            (f64::NAN, "null"),
            (f64::INFINITY, "null"),
        ];
        for (value, expected) in cases {
            let mut out = String::new();
            write_js_number(&mut out, value);
            assert_eq!(out, expected, "{value}");
        }
    }

    #[test]
    fn json_numbers_follow_json_syntax() {
        for good in [
            "123",
            "0",
            "-0",
            "1.5",
            "1e3",
            "-1.5E-7",
            "1e+21",
            "-9223372036854775809",
        ] {
            assert!(JsonNumber::parse(good).is_some(), "{good}");
        }
        for bad in [
            "", "-", "01", "+1", "12a", "1.", ".5", "1e", "1e+", "NaN", "Infinity", " 1",
        ] {
            assert!(JsonNumber::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn non_finite_floats_become_null_as_in_json() {
        assert_eq!(QueryValue::from(f64::NAN), QueryValue::Null);
        assert_eq!(QueryValue::from(f64::NEG_INFINITY), QueryValue::Null);
        assert_eq!(
            QueryValue::from(2.5),
            QueryValue::Number(JsonNumber::parse("2.5").unwrap())
        );
    }

    #[test]
    fn and_or_nest_objects_not_strings() {
        let a = equal("a", &[1i64.into()]);
        let b = is_null("b");
        assert_eq!(
            and(&[&a, &b]).unwrap(),
            r#"{"method":"and","values":[{"method":"equal","attribute":"a","values":[1]},{"method":"isNull","attribute":"b"}]}"#
        );
        assert_eq!(
            or(&[&a, " { \"method\" : \"isNull\" } "]).unwrap(),
            r#"{"method":"or","values":[{"method":"equal","attribute":"a","values":[1]},{"method":"isNull"}]}"#
        );
        assert_eq!(or(&[&a, "nope"]), Err(NestedQueryError { index: 1 }));
        assert_eq!(and(&["[1]"]), Err(NestedQueryError { index: 0 }));
    }

    #[test]
    fn accepts_every_realtime_query() {
        let nested = and(&[
            &equal("a", &[1i64.into()]),
            &or(&[&is_null("b"), &select(&["*"])]).unwrap(),
        ]);
        for query in [
            equal("a", &["x".into()]),
            is_not_null("a"),
            select(&["*"]),
            nested.unwrap(),
        ] {
            assert_eq!(validate_query(&query), Ok(()), "{query}");
        }
    }

    fn message(query: &str) -> (i64, String) {
        let error = validate_query(query).unwrap_err();
        (error.code, error.message)
    }

    #[test]
    fn rejects_with_the_server_texts() {
        assert_eq!(
            message("{"),
            (1003, "Invalid query: Invalid query: Syntax error".into())
        );
        assert_eq!(
            message("5"),
            (
                1003,
                "Invalid query: Invalid query. Must be an array, got integer".into()
            )
        );
        assert_eq!(
            message(r#"{"method":"nope"}"#),
            (1003, "Invalid query: Invalid query method: nope".into())
        );
        assert_eq!(
            message(r#"{"method":1}"#),
            (
                1003,
                "Invalid query: Invalid query method. Must be a string, got integer".into()
            )
        );
        assert_eq!(
            message(r#"{"method":"equal","attribute":[]}"#),
            (
                1003,
                "Invalid query: Invalid query attribute. Must be a string, got array".into()
            )
        );
        assert_eq!(
            message(r#"{"method":"equal","values":"x"}"#),
            (
                1003,
                "Invalid query: Invalid query values. Must be an array, got string".into()
            )
        );
        assert_eq!(
            message(r#"{"method":"search","attribute":"a","values":["x"]}"#),
            (1003, "Invalid query: Query method 'search' is not supported in Realtime queries. Allowed query methods are: equal, notEqual, lessThan, lessThanEqual, greaterThan, greaterThanEqual, isNull, isNotNull, and, or, select".into())
        );
        let nested = format!(
            r#"{{"method":"or","values":[{}]}}"#,
            r#"{"method":"limit","values":[1]}"#
        );
        assert!(message(&nested).1.contains("'limit' is not supported"));
        // The REST-only builders: realtime refuses each, nested or not, with the server's text.
        let allowed = "equal, notEqual, lessThan, lessThanEqual, greaterThan, greaterThanEqual, isNull, isNotNull, and, or, select";
        for (method, query) in [
            ("orderAsc", order_asc("x")),
            ("orderDesc", order_desc("x")),
            ("limit", limit(1)),
            ("offset", offset(0)),
            ("cursorAfter", cursor_after("abc")),
            ("cursorBefore", cursor_before("abc")),
        ] {
            let refused = (
                1003,
                format!("Invalid query: Query method '{method}' is not supported in Realtime queries. Allowed query methods are: {allowed}"),
            );
            assert_eq!(message(&query), refused, "{query}");
            let nested = and(&[&equal("a", &[1i64.into()]), &query]).unwrap();
            assert_eq!(message(&nested), refused, "{nested}");
        }
        assert_eq!(
            message(&select(&["name"])),
            (0, "Error: Server Error".into())
        );
        assert_eq!(
            message(r#"{"method":"and","values":[1]}"#),
            (0, "Error: Server Error".into())
        );
        assert_eq!(
            message("[]"),
            (1003, "Invalid query: Invalid query method: ".into())
        );
    }
}
