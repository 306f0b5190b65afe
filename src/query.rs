//! `Query`: the realtime query builders of the official SDK, returning the same strings.

use appwrite_realtime_core::query::{self as core, JsonNumber, QueryValue};
use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::args;
use crate::error::RealtimeError;

const VALUES_REFUSED: &str = "Query values must be strings, numbers, booleans, bigints or null";
const ATTRIBUTE_REFUSED: &str = "Query attribute must be a string";
const QUERIES_REFUSED: &str = "Query.and and Query.or take a list of queries made by Query.*";

/// A scalar or a list of scalars (string, number, boolean, bigint, null), as the official SDK takes.
fn values(value: &JsValue) -> Result<Vec<QueryValue>, RealtimeError> {
    if Array::is_array(value) {
        Array::from(value)
            .iter()
            .map(|item| scalar(&item))
            .collect()
    } else {
        Ok(vec![scalar(value)?])
    }
}

/// Numbers keep JavaScript's own spelling (`String(n)` prints what `JSON.stringify` does), so
/// the shipped wasm needs no float formatting of its own.
fn scalar(value: &JsValue) -> Result<QueryValue, RealtimeError> {
    if value.is_null() {
        return Ok(QueryValue::Null);
    }
    if let Some(text) = value.as_string() {
        return Ok(QueryValue::String(text));
    }
    if let Some(flag) = value.as_bool() {
        return Ok(QueryValue::Bool(flag));
    }
    if value.as_f64().is_some_and(|number| !number.is_finite()) {
        return Ok(QueryValue::Null); // as JSON.stringify writes NaN and Infinity
    }
    args::id_text(value)
        .and_then(|number| JsonNumber::parse(&number))
        .map(QueryValue::Number)
        .ok_or_else(|| RealtimeError::invalid(VALUES_REFUSED))
}

fn attribute(value: &JsValue) -> Result<String, RealtimeError> {
    args::text(value, ATTRIBUTE_REFUSED)
}

fn texts(list: &JsValue, refused: &str) -> Result<Vec<String>, RealtimeError> {
    args::text_list(list, false).ok_or_else(|| RealtimeError::invalid(refused))
}

fn joined(
    list: &JsValue,
    build: fn(&[&str]) -> Result<String, core::NestedQueryError>,
) -> Result<String, RealtimeError> {
    let queries = texts(list, QUERIES_REFUSED)?;
    build(&queries.iter().map(String::as_str).collect::<Vec<_>>())
        .map_err(|_| RealtimeError::invalid(QUERIES_REFUSED))
}

/// Builders for realtime queries; each returns the query string `subscribe` takes.
#[wasm_bindgen(skip_typescript)]
pub struct Query;

#[wasm_bindgen]
impl Query {
    /// The attribute equals one of `value` (a scalar or a list).
    pub fn equal(attr: JsValue, value: JsValue) -> Result<String, RealtimeError> {
        Ok(core::equal(&attribute(&attr)?, &values(&value)?))
    }
    /// The attribute equals none of `value`.
    #[wasm_bindgen(js_name = notEqual)]
    pub fn not_equal(attr: JsValue, value: JsValue) -> Result<String, RealtimeError> {
        Ok(core::not_equal(&attribute(&attr)?, &values(&value)?))
    }
    /// The attribute is less than `value`.
    #[wasm_bindgen(js_name = lessThan)]
    pub fn less_than(attr: JsValue, value: JsValue) -> Result<String, RealtimeError> {
        Ok(core::less_than(&attribute(&attr)?, &values(&value)?))
    }
    /// The attribute is at most `value`.
    #[wasm_bindgen(js_name = lessThanEqual)]
    pub fn less_than_equal(attr: JsValue, value: JsValue) -> Result<String, RealtimeError> {
        Ok(core::less_than_equal(&attribute(&attr)?, &values(&value)?))
    }
    /// The attribute is greater than `value`.
    #[wasm_bindgen(js_name = greaterThan)]
    pub fn greater_than(attr: JsValue, value: JsValue) -> Result<String, RealtimeError> {
        Ok(core::greater_than(&attribute(&attr)?, &values(&value)?))
    }
    /// The attribute is at least `value`.
    #[wasm_bindgen(js_name = greaterThanEqual)]
    pub fn greater_than_equal(attr: JsValue, value: JsValue) -> Result<String, RealtimeError> {
        Ok(core::greater_than_equal(
            &attribute(&attr)?,
            &values(&value)?,
        ))
    }
    /// The attribute is `null` or missing.
    #[wasm_bindgen(js_name = isNull)]
    pub fn is_null(attr: JsValue) -> Result<String, RealtimeError> {
        Ok(core::is_null(&attribute(&attr)?))
    }
    /// The attribute is set.
    #[wasm_bindgen(js_name = isNotNull)]
    pub fn is_not_null(attr: JsValue) -> Result<String, RealtimeError> {
        Ok(core::is_not_null(&attribute(&attr)?))
    }
    /// Realtime accepts only `select(["*"])`: every event of the channels.
    pub fn select(attributes: JsValue) -> Result<String, RealtimeError> {
        let attributes = texts(&attributes, "Query.select takes a list of attributes")?;
        Ok(core::select(
            &attributes.iter().map(String::as_str).collect::<Vec<_>>(),
        ))
    }
    /// Every one of `queries` holds.
    pub fn and(queries: JsValue) -> Result<String, RealtimeError> {
        joined(&queries, core::and)
    }
    /// At least one of `queries` holds.
    pub fn or(queries: JsValue) -> Result<String, RealtimeError> {
        joined(&queries, core::or)
    }
}
