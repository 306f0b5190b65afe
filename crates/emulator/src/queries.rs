//! Realtime queries: parsing (utopia-php `Query::parse`), the realtime allow-list,
//! re-serialisation (`Query::toString`) and evaluation with PHP 8 semantics.

use serde_json::{Map, Value};
use std::cmp::Ordering;

pub const ALLOWED_METHODS: [&str; 11] = [
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

/// Every method utopia-php/database 6.0 (Appwrite 1.9) knows (`Query::isMethod`), with
/// [`SPATIAL_METHODS`]; anything else is `Invalid query method: X`.
const KNOWN_METHODS: [&str; 36] = [
    "equal",
    "notEqual",
    "lessThan",
    "lessThanEqual",
    "greaterThan",
    "greaterThanEqual",
    "contains",
    "containsAny",
    "notContains",
    "search",
    "notSearch",
    "orderAsc",
    "orderDesc",
    "orderRandom",
    "limit",
    "offset",
    "cursorAfter",
    "cursorBefore",
    "isNull",
    "isNotNull",
    "between",
    "notBetween",
    "startsWith",
    "notStartsWith",
    "endsWith",
    "notEndsWith",
    "or",
    "and",
    "containsAll",
    "elemMatch",
    "select",
    "vectorDot",
    "vectorCosine",
    "vectorEuclidean",
    "exists",
    "notExists",
];

/// The spatial methods (`Query::TYPES` from `crosses` to `notTouches`).
pub const SPATIAL_METHODS: [&str; 12] = [
    "crosses",
    "notCrosses",
    "distanceEqual",
    "distanceNotEqual",
    "distanceGreaterThan",
    "distanceLessThan",
    "intersects",
    "notIntersects",
    "overlaps",
    "notOverlaps",
    "touches",
    "notTouches",
];

/// Methods whose values are queries (`Query::LOGICAL_TYPES`).
pub const LOGICAL_METHODS: [&str; 3] = ["and", "or", "elemMatch"];

const SELECT_ALL_ONLY: &str =
    "Only select(\"*\") is allowed in Realtime queries. select(\"*\") means \"listen to all events\".";

#[derive(Debug, Clone, PartialEq)]
pub enum QueryError {
    /// A `QueryException`: the server reports its message (1003 in messages, 1008 in URLs).
    Invalid(String),
    /// Any other exception: code 0 on the wire.
    Internal(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub method: String,
    pub attribute: String,
    pub values: QueryValues,
}

#[derive(Debug, Clone, PartialEq)]
pub enum QueryValues {
    Scalars(Vec<Value>),
    /// `and`/`or`/`elemMatch` children.
    Nested(Vec<Query>),
}

fn php_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NULL",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_f64() => "double",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) | Value::Object(_) => "array",
    }
}

/// Parses one query string as `Query::parse` does.
pub fn parse_query(text: &str) -> Result<Query, QueryError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|_| QueryError::Invalid("Invalid query: Syntax error".into()))?;
    match &value {
        Value::Object(object) => parse_query_object(object),
        // A JSON list is a PHP array too; it simply has no `method` key.
        Value::Array(_) => Err(QueryError::Invalid("Invalid query method: ".into())),
        other => Err(QueryError::Invalid(format!(
            "Invalid query. Must be an array, got {}",
            php_type_name(other)
        ))),
    }
}

fn parse_query_object(object: &Map<String, Value>) -> Result<Query, QueryError> {
    let method = match object.get("method") {
        None | Some(Value::Null) => "",
        Some(Value::String(method)) => method.as_str(),
        Some(other) => {
            return Err(QueryError::Invalid(format!(
                "Invalid query method. Must be a string, got {}",
                php_type_name(other)
            )))
        }
    };
    if !KNOWN_METHODS.contains(&method) && !SPATIAL_METHODS.contains(&method) {
        return Err(QueryError::Invalid(format!(
            "Invalid query method: {method}"
        )));
    }
    let attribute = match object.get("attribute") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(attribute)) => attribute.clone(),
        Some(other) => {
            return Err(QueryError::Invalid(format!(
                "Invalid query attribute. Must be a string, got {}",
                php_type_name(other)
            )))
        }
    };
    let raw_values: Vec<&Value> = match object.get("values") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(values)) => values.iter().collect(),
        Some(Value::Object(values)) => values.values().collect(),
        Some(other) => {
            return Err(QueryError::Invalid(format!(
                "Invalid query values. Must be an array, got {}",
                php_type_name(other)
            )))
        }
    };
    let values = if LOGICAL_METHODS.contains(&method) {
        let mut children = Vec::with_capacity(raw_values.len());
        for child in raw_values {
            match child {
                Value::Object(child) => children.push(parse_query_object(child)?),
                // PHP passes a non-array to a typed `array` parameter: a TypeError.
                _ => {
                    return Err(QueryError::Internal(
                        "Query::parseQuery(): Argument #1 ($query) must be of type array".into(),
                    ))
                }
            }
        }
        QueryValues::Nested(children)
    } else {
        QueryValues::Scalars(raw_values.into_iter().cloned().collect())
    };
    Ok(Query {
        method: method.to_string(),
        attribute,
        values,
    })
}

/// `Realtime::convertQueries`: parse every string, then check the allow-list
/// depth-first from the last query (the server pops a stack).
pub fn parse_realtime_queries(raw: &[Value]) -> Result<Vec<Query>, QueryError> {
    let mut queries = Vec::with_capacity(raw.len());
    for item in raw {
        match item {
            Value::String(text) => queries.push(parse_query(text)?),
            _ => {
                return Err(QueryError::Internal(
                    "Query::parse(): Argument #1 ($query) must be of type string".into(),
                ))
            }
        }
    }
    let mut stack: Vec<&Query> = queries.iter().collect();
    while let Some(query) = stack.pop() {
        if !ALLOWED_METHODS.contains(&query.method.as_str()) {
            return Err(QueryError::Invalid(format!(
                "Query method '{}' is not supported in Realtime queries. Allowed: {}",
                query.method,
                ALLOWED_METHODS.join(", ")
            )));
        }
        if query.method == "select" && !query.is_select_all() {
            return Err(QueryError::Internal(SELECT_ALL_ONLY.into()));
        }
        if let QueryValues::Nested(children) = &query.values {
            stack.extend(children.iter());
        }
    }
    Ok(queries)
}

impl Query {
    pub fn select_all() -> Query {
        Query {
            method: "select".into(),
            attribute: String::new(),
            values: QueryValues::Scalars(vec![Value::String("*".into())]),
        }
    }

    fn is_select_all(&self) -> bool {
        self.method == "select"
            && matches!(&self.values, QueryValues::Scalars(values)
                if values.len() == 1 && values[0] == Value::String("*".into()))
    }

    /// `Query::toArray`: `attribute` omitted when PHP-empty, `values` always present
    /// for leaves, nested objects for `and`/`or` (absent when they have no children).
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("method".into(), Value::String(self.method.clone()));
        if !self.attribute.is_empty() && self.attribute != "0" {
            object.insert("attribute".into(), Value::String(self.attribute.clone()));
        }
        match &self.values {
            QueryValues::Scalars(values) => {
                object.insert("values".into(), Value::Array(values.clone()));
            }
            QueryValues::Nested(children) if !children.is_empty() => {
                let nested = children.iter().map(Query::to_json).collect();
                object.insert("values".into(), Value::Array(nested));
            }
            QueryValues::Nested(_) => {}
        }
        Value::Object(object)
    }

    /// `Query::toString`.
    pub fn to_query_string(&self) -> String {
        self.to_json().to_string()
    }

    fn matches(&self, payload: &Map<String, Value>) -> bool {
        let targets = match &self.values {
            QueryValues::Nested(children) => {
                return match self.method.as_str() {
                    "and" => children.iter().all(|child| child.matches(payload)),
                    "or" => children.iter().any(|child| child.matches(payload)),
                    _ => false,
                };
            }
            QueryValues::Scalars(targets) => targets,
        };
        // A leaf on a key the payload lacks never matches, whatever the operator.
        let Some(value) = payload.get(&self.attribute) else {
            return false;
        };
        match self.method.as_str() {
            "equal" => targets.iter().any(|target| php_identical(value, target)),
            "notEqual" => !targets.iter().any(|target| php_identical(value, target)),
            "lessThan" => targets.iter().any(|target| php_compare(value, target) < 0),
            "lessThanEqual" => targets.iter().any(|target| php_compare(value, target) <= 0),
            "greaterThan" => targets.iter().any(|target| php_compare(target, value) < 0),
            "greaterThanEqual" => targets.iter().any(|target| php_compare(target, value) <= 0),
            "isNull" => value.is_null(),
            "isNotNull" => !value.is_null(),
            _ => false,
        }
    }
}

/// A compiled subscription filter (`RuntimeQuery::compile`).
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    SelectAll,
    /// Top-level list, ANDed.
    All(Vec<Query>),
}

impl Filter {
    pub fn compile(queries: &[Query]) -> Filter {
        if queries.is_empty() || queries.iter().any(Query::is_select_all) {
            Filter::SelectAll
        } else {
            Filter::All(queries.to_vec())
        }
    }

    /// Payloads that are not JSON objects only pass select-all filters.
    pub fn matches(&self, payload: &Value) -> bool {
        match self {
            Filter::SelectAll => true,
            Filter::All(queries) => match payload {
                Value::Object(object) => queries.iter().all(|query| query.matches(object)),
                _ => false,
            },
        }
    }
}

// ---- PHP value semantics ------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
pub(crate) enum PhpNumber {
    Int(i64),
    Float(f64),
}

pub(crate) fn as_php_number(value: &Value) -> Option<PhpNumber> {
    let Value::Number(number) = value else {
        return None;
    };
    // json_decode gives a float for integers that overflow int64.
    match number.as_i64() {
        Some(int) if !number.is_f64() => Some(PhpNumber::Int(int)),
        _ => number.as_f64().map(PhpNumber::Float),
    }
}

/// PHP 8 numeric string: optional surrounding whitespace, sign, digits with an
/// optional fraction and exponent (or a leading `.`).
pub(crate) fn parse_numeric_string(text: &str) -> Option<PhpNumber> {
    let trimmed =
        text.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'));
    let bytes = trimmed.as_bytes();
    let mut index = 0;
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        index += 1;
    }
    let integer_start = index;
    while bytes.get(index).is_some_and(u8::is_ascii_digit) {
        index += 1;
    }
    let integer_digits = index - integer_start;
    let mut is_float = false;
    let mut fraction_digits = 0;
    if bytes.get(index) == Some(&b'.') {
        is_float = true;
        index += 1;
        let fraction_start = index;
        while bytes.get(index).is_some_and(u8::is_ascii_digit) {
            index += 1;
        }
        fraction_digits = index - fraction_start;
    }
    if integer_digits == 0 && fraction_digits == 0 {
        return None;
    }
    if matches!(bytes.get(index), Some(b'e' | b'E')) {
        let mut exponent_index = index + 1;
        if matches!(bytes.get(exponent_index), Some(b'+' | b'-')) {
            exponent_index += 1;
        }
        let exponent_start = exponent_index;
        while bytes.get(exponent_index).is_some_and(u8::is_ascii_digit) {
            exponent_index += 1;
        }
        if exponent_index > exponent_start {
            is_float = true;
            index = exponent_index;
        }
    }
    if index != bytes.len() {
        return None;
    }
    if !is_float {
        if let Ok(int) = trimmed.parse::<i64>() {
            return Some(PhpNumber::Int(int));
        }
    }
    trimmed.parse::<f64>().ok().map(PhpNumber::Float)
}

fn compare_numbers(left: PhpNumber, right: PhpNumber) -> i32 {
    let ordering = match (left, right) {
        (PhpNumber::Int(a), PhpNumber::Int(b)) => a.cmp(&b),
        (a, b) => {
            let (a, b) = (number_as_f64(a), number_as_f64(b));
            a.partial_cmp(&b).unwrap_or(Ordering::Equal)
        }
    };
    ordering_to_int(ordering)
}

fn number_as_f64(number: PhpNumber) -> f64 {
    match number {
        PhpNumber::Int(int) => int as f64,
        PhpNumber::Float(float) => float,
    }
}

fn ordering_to_int(ordering: Ordering) -> i32 {
    match ordering {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    }
}

/// PHP's string form of a number, for number-vs-non-numeric-string comparisons.
pub(crate) fn number_to_php_string(number: PhpNumber) -> String {
    match number {
        PhpNumber::Int(int) => int.to_string(),
        PhpNumber::Float(float)
            if float.is_finite() && float == float.trunc() && float.abs() < 1e15 =>
        {
            format!("{}", float as i64)
        }
        PhpNumber::Float(float) => format!("{float}"),
    }
}

fn php_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(_) => as_php_number(value).is_some_and(|number| number_as_f64(number) != 0.0),
        Value::String(text) => !(text.is_empty() || text == "0"),
        Value::Array(items) => !items.is_empty(),
        Value::Object(entries) => !entries.is_empty(),
    }
}

/// A PHP array key: JSON object keys that are canonical integers become int keys.
#[derive(Debug, PartialEq)]
enum ArrayKey<'a> {
    Int(i64),
    Text(&'a str),
}

fn array_entries(value: &Value) -> Option<Vec<(ArrayKey<'_>, &Value)>> {
    match value {
        Value::Array(items) => Some(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| (ArrayKey::Int(index as i64), item))
                .collect(),
        ),
        Value::Object(entries) => Some(
            entries
                .iter()
                .map(|(key, item)| {
                    let canonical_int = key
                        .parse::<i64>()
                        .ok()
                        .filter(|int| int.to_string() == *key);
                    let key = canonical_int.map_or(ArrayKey::Text(key), ArrayKey::Int);
                    (key, item)
                })
                .collect(),
        ),
        _ => None,
    }
}

/// PHP `===`.
pub fn php_identical(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Number(_), Value::Number(_)) => match (as_php_number(left), as_php_number(right)) {
            (Some(PhpNumber::Int(a)), Some(PhpNumber::Int(b))) => a == b,
            (Some(PhpNumber::Float(a)), Some(PhpNumber::Float(b))) => a == b,
            _ => false,
        },
        (Value::String(a), Value::String(b)) => a == b,
        _ => match (array_entries(left), array_entries(right)) {
            (Some(a), Some(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b.iter())
                        .all(|((key_a, item_a), (key_b, item_b))| {
                            key_a == key_b && php_identical(item_a, item_b)
                        })
            }
            _ => false,
        },
    }
}

/// PHP 8 `<=>` as `zend_compare` computes it: negative, zero or positive.
/// Uncomparable arrays give 1 in both directions, like PHP.
pub fn php_compare(left: &Value, right: &Value) -> i32 {
    match (left, right) {
        (Value::String(a), Value::String(b)) => compare_strings(a, b),
        (Value::Null, Value::String(b)) => compare_strings("", b),
        (Value::String(a), Value::Null) => compare_strings(a, ""),
        (Value::Null | Value::Bool(_), _) | (_, Value::Null | Value::Bool(_)) => {
            ordering_to_int(php_truthy(left).cmp(&php_truthy(right)))
        }
        (Value::Array(_) | Value::Object(_), Value::Array(_) | Value::Object(_)) => {
            compare_arrays(left, right)
        }
        (Value::Array(_) | Value::Object(_), _) => 1,
        (_, Value::Array(_) | Value::Object(_)) => -1,
        (Value::Number(_), Value::Number(_)) => match (as_php_number(left), as_php_number(right)) {
            (Some(a), Some(b)) => compare_numbers(a, b),
            _ => 0,
        },
        (Value::Number(_), Value::String(text)) => {
            match (as_php_number(left), parse_numeric_string(text)) {
                (Some(a), Some(b)) => compare_numbers(a, b),
                (Some(a), None) => compare_strings(&number_to_php_string(a), text),
                _ => 0,
            }
        }
        (Value::String(text), Value::Number(_)) => {
            match (parse_numeric_string(text), as_php_number(right)) {
                (Some(a), Some(b)) => compare_numbers(a, b),
                (None, Some(b)) => compare_strings(text, &number_to_php_string(b)),
                _ => 0,
            }
        }
    }
}

fn compare_strings(left: &str, right: &str) -> i32 {
    match (parse_numeric_string(left), parse_numeric_string(right)) {
        (Some(a), Some(b)) => compare_numbers(a, b),
        _ => ordering_to_int(left.as_bytes().cmp(right.as_bytes())),
    }
}

fn compare_arrays(left: &Value, right: &Value) -> i32 {
    let (Some(left_entries), Some(right_entries)) = (array_entries(left), array_entries(right))
    else {
        return 0;
    };
    if left_entries.len() != right_entries.len() {
        return ordering_to_int(left_entries.len().cmp(&right_entries.len()));
    }
    for (key, item) in &left_entries {
        let Some((_, other)) = right_entries.iter().find(|(other_key, _)| other_key == key) else {
            return 1;
        };
        let result = php_compare(item, other);
        if result != 0 {
            return result;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filter(queries: &[&str]) -> Filter {
        let raw: Vec<Value> = queries
            .iter()
            .map(|q| Value::String(q.to_string()))
            .collect();
        Filter::compile(&parse_realtime_queries(&raw).expect("valid test queries"))
    }

    fn leaf(method: &str, attribute: &str, values: Value) -> String {
        json!({"method": method, "attribute": attribute, "values": values}).to_string()
    }

    #[test]
    fn equality_is_type_strict_by_json_spelling() {
        let payload: Value = serde_json::from_str(r#"{"n":5,"f":5.0,"s":"5"}"#).unwrap();
        assert!(filter(&[&leaf("equal", "n", json!([5]))]).matches(&payload));
        assert!(
            !filter(&[r#"{"method":"equal","attribute":"n","values":[5.0]}"#]).matches(&payload)
        );
        assert!(!filter(&[&leaf("equal", "n", json!(["5"]))]).matches(&payload));
        assert!(
            filter(&[r#"{"method":"equal","attribute":"f","values":[5.0]}"#]).matches(&payload)
        );
        assert!(!filter(&[&leaf("equal", "f", json!([5]))]).matches(&payload));
        assert!(filter(&[&leaf("equal", "s", json!(["x", "5"]))]).matches(&payload));
        assert!(filter(&[&leaf("notEqual", "n", json!(["5"]))]).matches(&payload));
        assert!(!filter(&[&leaf("notEqual", "n", json!([1, 5]))]).matches(&payload));
    }

    #[test]
    fn missing_key_never_matches() {
        let payload = json!({"a": null});
        assert!(!filter(&[&leaf("notEqual", "b", json!([1]))]).matches(&payload));
        assert!(!filter(&[&leaf("isNull", "b", json!([]))]).matches(&payload));
        assert!(filter(&[r#"{"method":"isNull","attribute":"a"}"#]).matches(&payload));
        assert!(!filter(&[r#"{"method":"isNotNull","attribute":"a"}"#]).matches(&payload));
    }

    #[test]
    fn loose_comparisons_follow_php8() {
        let payload =
            json!({"n": 10, "s": "abc", "ns": "10", "null": null, "t": true, "list": [1, 2]});
        let holds = |method: &str, attribute: &str, value: Value| {
            filter(&[&leaf(method, attribute, json!([value]))]).matches(&payload)
        };
        assert!(holds("greaterThan", "n", json!(9)));
        assert!(holds("lessThan", "n", json!(10.5)));
        assert!(holds("greaterThanEqual", "n", json!("10")));
        // numeric strings compare numerically: "10" > "9"
        assert!(holds("greaterThan", "ns", json!("9")));
        // number vs non-numeric string compares as strings: "10" < "abc"
        assert!(holds("lessThan", "n", json!("abc")));
        // strings byte-wise
        assert!(holds("lessThan", "s", json!("abd")));
        assert!(!holds("lessThan", "s", json!("ABC")));
        // null vs number compares as booleans: false < true
        assert!(holds("lessThan", "null", json!(1)));
        assert!(!holds("lessThan", "null", json!(0)));
        // null vs string compares with ""
        assert!(holds("lessThan", "null", json!("a")));
        // bool vs anything compares as booleans
        assert!(holds("greaterThan", "t", json!(0)));
        assert!(holds("lessThanEqual", "t", json!("x")));
        // arrays are greater than scalars
        assert!(holds("greaterThan", "list", json!(1000)));
        // any of several values
        assert!(filter(&[&leaf("lessThan", "n", json!([1, 2, 11]))]).matches(&payload));
    }

    #[test]
    fn logical_nesting_and_select_all() {
        let payload = json!({"a": 1, "b": "x"});
        let or = r#"{"method":"or","values":[{"method":"equal","attribute":"a","values":[2]},{"method":"equal","attribute":"b","values":["x"]}]}"#;
        let and = r#"{"method":"and","values":[{"method":"equal","attribute":"a","values":[1]},{"method":"equal","attribute":"b","values":["y"]}]}"#;
        assert!(filter(&[or]).matches(&payload));
        assert!(!filter(&[and]).matches(&payload));
        assert!(!filter(&[or, and]).matches(&payload));
        let select_all = r#"{"method":"select","values":["*"]}"#;
        assert!(filter(&[and, select_all]).matches(&payload));
        assert!(filter(&[]).matches(&payload));
    }

    #[test]
    fn error_texts() {
        let parse = |text: &str| parse_realtime_queries(&[Value::String(text.into())]);
        assert_eq!(
            parse("{nope").unwrap_err(),
            QueryError::Invalid("Invalid query: Syntax error".into())
        );
        assert_eq!(
            parse(r#"{"method":"bogus","attribute":"a"}"#).unwrap_err(),
            QueryError::Invalid("Invalid query method: bogus".into())
        );
        assert_eq!(
            parse(r#"{"method":"limit","values":[1]}"#).unwrap_err(),
            QueryError::Invalid("Query method 'limit' is not supported in Realtime queries. Allowed: equal, notEqual, lessThan, lessThanEqual, greaterThan, greaterThanEqual, isNull, isNotNull, and, or, select".into())
        );
        assert_eq!(
            parse(r#"{"method":"and","values":[{"method":"search","attribute":"a","values":["x"]}]}"#).unwrap_err(),
            QueryError::Invalid("Query method 'search' is not supported in Realtime queries. Allowed: equal, notEqual, lessThan, lessThanEqual, greaterThan, greaterThanEqual, isNull, isNotNull, and, or, select".into())
        );
        assert!(matches!(
            parse(r#"{"method":"select","values":["a"]}"#),
            Err(QueryError::Internal(_))
        ));
        assert!(matches!(
            parse_realtime_queries(&[json!({"method":"equal"})]),
            Err(QueryError::Internal(_))
        ));
        assert_eq!(
            parse("5").unwrap_err(),
            QueryError::Invalid("Invalid query. Must be an array, got integer".into())
        );
    }

    #[test]
    fn reserialises_like_query_to_string() {
        let query = parse_query(r#"{"attribute":"a","method":"isNull"}"#).unwrap();
        assert_eq!(
            query.to_query_string(),
            r#"{"method":"isNull","attribute":"a","values":[]}"#
        );
        let nested = parse_query(
            r#"{"method":"or","values":[{"method":"equal","attribute":"a","values":[1.0]}]}"#,
        )
        .unwrap();
        assert_eq!(
            nested.to_query_string(),
            r#"{"method":"or","values":[{"method":"equal","attribute":"a","values":[1.0]}]}"#
        );
        assert_eq!(
            Query::select_all().to_query_string(),
            r#"{"method":"select","values":["*"]}"#
        );
    }
}
