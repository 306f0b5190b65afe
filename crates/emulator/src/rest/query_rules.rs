//! What `Queries\Documents` (utopia-php/database 6.0, Appwrite 1.9) accepts in a document or
//! row list, with its messages. The emulator has no attribute schema, so every attribute
//! without a `$` exists and takes any value; the system attributes keep their types.
//!
//! Sources: `src/Database/Validator/Queries.php`, `IndexedQueries.php`, `Query/{Filter,
//! Limit,Offset,Cursor,Order,Select}.php` and `Validator/{UID,Key,Sequence}.php` at tag 6.0.0;
//! `Range`/`Numeric` of utopia-php/validators 0.2.6.

use crate::db_query::QUERYABLE_SYSTEM_ATTRIBUTES;
use crate::queries::{
    as_php_number, parse_numeric_string, PhpNumber, Query, QueryValues, SPATIAL_METHODS,
};
use serde_json::Value;

/// `APP_DATABASE_QUERY_MAX_VALUES`: values one filter may list.
pub(super) const MAX_VALUES: usize = 500;
/// `Database::MAX_UID_DEFAULT_LENGTH`.
const MAX_UID_LENGTH: usize = 36;
/// What `select` may name besides the collection's attributes (`Database::INTERNAL_ATTRIBUTES`).
const SELECTABLE_SYSTEM_ATTRIBUTES: [&str; 7] = [
    "$id",
    "$sequence",
    "$collection",
    "$tenant",
    "$createdAt",
    "$updatedAt",
    "$permissions",
];

/// How `Queries::isValid` routes a method to its validator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Select,
    Limit,
    Offset,
    Cursor,
    Order,
    Filter,
}

pub(super) fn kind(method: &str) -> Kind {
    match method {
        "select" => Kind::Select,
        "limit" => Kind::Limit,
        "offset" => Kind::Offset,
        "cursorAfter" | "cursorBefore" => Kind::Cursor,
        "orderAsc" | "orderDesc" | "orderRandom" => Kind::Order,
        _ => Kind::Filter,
    }
}

/// A failed rule: `Invalid(text)` is a 400 `general_query_invalid`; `Internal` is where PHP
/// throws something else (a `TypeError`), a 500.
pub(super) enum Rejection {
    Invalid(String),
    Internal,
}

/// `Queries::isValid` then `IndexedQueries::isValid`: the first failing query, depth-first
/// (the children of `and`/`or` before the query itself).
pub(super) fn validate(queries: &[Query]) -> Result<(), Rejection> {
    validate_each(queries)?;
    // Only top-level filters are checked for an index; the emulator has none.
    for query in queries {
        if matches!(query.method.as_str(), "search" | "notSearch") {
            return Err(Rejection::Invalid(format!(
                "Searching by attribute \"{}\" requires a fulltext index.",
                query.attribute
            )));
        }
    }
    Ok(())
}

fn validate_each(queries: &[Query]) -> Result<(), Rejection> {
    for query in queries {
        if let QueryValues::Nested(children) = &query.values {
            validate_each(children)?;
        }
        let scalars: &[Value] = match &query.values {
            QueryValues::Scalars(values) => values,
            QueryValues::Nested(_) => &[],
        };
        let outcome = match kind(&query.method) {
            Kind::Select => select(scalars),
            Kind::Limit => number(scalars.first(), 1, "limit", "limit"),
            // Utopia's offset rule names "limit" in its non-number message.
            Kind::Offset => number(scalars.first(), 0, "limit", "offset"),
            Kind::Cursor => cursor_id(scalars.first())
                .map(|_| ())
                .map_err(Rejection::Invalid),
            Kind::Order => order(query).map_err(Rejection::Invalid),
            Kind::Filter => filter(query, scalars).map_err(Rejection::Invalid),
        };
        outcome.map_err(|rejection| match rejection {
            Rejection::Invalid(detail) => Rejection::Invalid(format!("Invalid query: {detail}")),
            Rejection::Internal => Rejection::Internal,
        })?;
    }
    Ok(())
}

/// PHP's `is_numeric($v)` and then `$v + 0`.
fn php_numeric(value: &Value) -> Option<PhpNumber> {
    match value {
        Value::Number(_) => as_php_number(value),
        Value::String(text) => parse_numeric_string(text),
        _ => None,
    }
}

/// `Limit`/`Offset`: a number, then an integer in `[min, PHP_INT_MAX]`.
fn number(value: Option<&Value>, min: i64, name: &str, range_name: &str) -> Result<(), Rejection> {
    let Some(number) = value.and_then(php_numeric) else {
        return Err(Rejection::Invalid(format!(
            "Invalid {name}: Value must be a valid number"
        )));
    };
    match number {
        PhpNumber::Int(int) if int >= min => Ok(()),
        _ => Err(Rejection::Invalid(format!(
            "Invalid {range_name}: Value must be a valid range between {min} and 9,223,372,036,854,775,807"
        ))),
    }
}

/// The value of a first limit or offset that [`validate`] accepted.
pub(super) fn count_value(query: &Query) -> usize {
    let QueryValues::Scalars(values) = &query.values else {
        return 0;
    };
    let number = values.first().and_then(php_numeric);
    match number {
        Some(PhpNumber::Int(int)) => usize::try_from(int).unwrap_or(usize::MAX),
        _ => 0,
    }
}

/// `Cursor`: the document id, a `UID`.
pub(super) fn cursor_id(value: Option<&Value>) -> Result<String, String> {
    match value {
        Some(Value::String(id)) if is_uid(id) => Ok(id.clone()),
        _ => Err(format!(
            "Invalid cursor: UID must contain at most {MAX_UID_LENGTH} chars. Valid chars are a-z, A-Z, 0-9, and underscore. Can't start with a leading underscore"
        )),
    }
}

/// `Key` without internal keys: a-z, A-Z, 0-9, `_`, `-`, `.`; no special first char.
fn is_uid(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with(['_', '.', '-'])
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.'))
        && id.len() <= MAX_UID_LENGTH
}

/// The attribute a rule looks up: relationship paths are checked at their first segment.
fn top_level(attribute: &str) -> &str {
    attribute.split('.').next().unwrap_or(attribute)
}

fn exists(attribute: &str) -> bool {
    if attribute.starts_with('$') {
        QUERYABLE_SYSTEM_ATTRIBUTES.contains(&attribute)
    } else {
        !attribute.is_empty()
    }
}

fn not_found(attribute: &str) -> String {
    format!("Attribute not found in schema: {attribute}")
}

fn order(query: &Query) -> Result<(), String> {
    if query.method == "orderRandom" {
        return Ok(());
    }
    let top = top_level(&query.attribute);
    if top.len() != query.attribute.len() && exists(top) {
        return Err(format!("Cannot order by nested attribute: {top}"));
    }
    if exists(top) {
        Ok(())
    } else {
        Err(not_found(top))
    }
}

fn select(values: &[Value]) -> Result<(), Rejection> {
    if values.is_empty() {
        return Err(Rejection::Invalid("No attributes selected".into()));
    }
    let mut names = Vec::with_capacity(values.len());
    for value in values {
        // `str_contains()` on an array is a TypeError.
        names.push(crate::db_query::php_string(value).ok_or(Rejection::Internal)?);
    }
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != names.len() {
        return Err(Rejection::Invalid("Duplicate attributes selected".into()));
    }
    for name in &names {
        let top = top_level(name);
        let known = SELECTABLE_SYSTEM_ATTRIBUTES.contains(&top)
            || top == "*"
            || (!top.starts_with('$') && !top.is_empty());
        if !known {
            return Err(Rejection::Invalid(not_found(top)));
        }
    }
    Ok(())
}

fn ucfirst(method: &str) -> String {
    let mut chars = method.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// `Filter::isValid`.
fn filter(query: &Query, values: &[Value]) -> Result<(), String> {
    let method = query.method.as_str();
    let require = |ok: bool, what: &str| match ok {
        true => Ok(()),
        false => Err(format!("{} queries require {what}.", ucfirst(method))),
    };
    // `isEmpty`: no values, or a first value that is an empty array.
    let empty = match values.first() {
        None => true,
        Some(Value::Array(items)) => items.is_empty(),
        Some(Value::Object(entries)) => entries.is_empty(),
        Some(_) => false,
    };
    match method {
        "and" | "or" => {
            let QueryValues::Nested(children) = &query.values else {
                return Ok(());
            };
            if children
                .iter()
                .any(|child| kind(&child.method) != Kind::Filter)
            {
                return Err(format!(
                    "{} queries can only contain filter queries",
                    ucfirst(method)
                ));
            }
            if children.len() < 2 {
                // No full stop in this one.
                return Err(format!(
                    "{} queries require at least two queries",
                    ucfirst(method)
                ));
            }
            return Ok(());
        }
        "elemMatch" => return Err("elemMatch is not supported by the database".into()),
        "vectorDot" | "vectorCosine" | "vectorEuclidean" => {
            attribute(&query.attribute)?;
            return Err("Vector queries can only be used on vector attributes".into());
        }
        "equal" | "contains" | "containsAny" | "notContains" | "containsAll" | "exists"
        | "notExists" => require(!empty, "at least one value")?,
        "distanceEqual" | "distanceNotEqual" | "distanceGreaterThan" | "distanceLessThan" => {
            let shaped = matches!(values, [Value::Array(inner)] if inner.len() == 3);
            if !shaped {
                return Err("Distance query requires [[geometry, distance]] parameters".into());
            }
        }
        "between" | "notBetween" => require(values.len() == 2, "exactly two values")?,
        "isNull" | "isNotNull" => {}
        _ if SPATIAL_METHODS.contains(&method) => require(!empty, "at least one value")?,
        _ => require(values.len() == 1, "exactly one value")?,
    }
    attribute_and_values(&query.attribute, values, method)
}

fn attribute(attribute: &str) -> Result<&str, String> {
    let top = top_level(attribute);
    if exists(top) {
        Ok(top)
    } else {
        Err(not_found(top))
    }
}

/// `Filter::isValidAttributeAndValues` for a schema in which user attributes take anything.
fn attribute_and_values(name: &str, values: &[Value], method: &str) -> Result<(), String> {
    let name = attribute(name)?;
    if matches!(method, "exists" | "notExists") {
        return Ok(());
    }
    if values.len() > MAX_VALUES {
        return Err(format!(
            "Query on attribute has greater than {MAX_VALUES} values: {name}"
        ));
    }
    if SPATIAL_METHODS.contains(&method) {
        return Err(format!(
            "Spatial query \"{method}\" cannot be applied on non-spatial attribute: {name}"
        ));
    }
    let valid: fn(&Value) -> bool = match name {
        "$id" => Value::is_string,
        "$sequence" => is_sequence,
        "$createdAt" | "$updatedAt" => is_datetime,
        _ => return Ok(()),
    };
    if !values.iter().all(valid) {
        return Err(format!("Query value is invalid for attribute \"{name}\""));
    }
    let contains = matches!(
        method,
        "contains" | "containsAny" | "containsAll" | "notContains"
    );
    if contains && name != "$id" {
        let which = if method == "notContains" {
            "notContains"
        } else {
            "contains"
        };
        return Err(format!("Cannot query {which} on attribute \"{name}\" because it is not an array, string, or object."));
    }
    Ok(())
}

/// `Sequence` for the primary key of an integer-id adapter: a non-empty int or numeric
/// string in `[1, PHP_INT_MAX]`.
fn is_sequence(value: &Value) -> bool {
    match value {
        Value::Number(number) if number.is_i64() || number.is_u64() => {
            matches!(as_php_number(value), Some(PhpNumber::Int(int)) if int >= 1)
        }
        Value::String(text) => {
            matches!(parse_numeric_string(text), Some(PhpNumber::Int(int)) if int >= 1)
        }
        _ => false,
    }
}

/// An approximation of the `Datetime` rule (which parses with `new \DateTime`): a non-empty
/// string with a year, a run of exactly four digits.
fn is_datetime(value: &Value) -> bool {
    let Value::String(text) = value else {
        return false;
    };
    text.split(|c: char| !c.is_ascii_digit())
        .any(|run| run.len() == 4)
}
