//! `Query`: the realtime query builders of the official SDK, returning the same strings.

use appwrite_realtime_core::query::{self as core, JsonNumber, QueryValue};
use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::error::RealtimeError;
use crate::realtime::js_to_string;

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
    let finite_number = value.as_f64().map(f64::is_finite);
    if finite_number == Some(false) {
        return Ok(QueryValue::Null); // as JSON.stringify writes NaN and Infinity
    }
    if finite_number == Some(true) || value.is_bigint() {
        if let Some(number) = JsonNumber::parse(&js_to_string(value)) {
            return Ok(QueryValue::Number(number));
        }
    }
    Err(RealtimeError::invalid(
        "Query values must be strings, numbers, booleans, bigints or null",
    ))
}

fn strings(list: &JsValue) -> Vec<String> {
    Array::from(list)
        .iter()
        .map(|item| js_to_string(&item))
        .collect()
}

/// Builders for realtime queries; each returns the query string `subscribe` takes.
#[wasm_bindgen]
pub struct Query;

#[wasm_bindgen]
impl Query {
    pub fn equal(
        attribute: &str,
        #[wasm_bindgen(unchecked_param_type = "QueryScalar | QueryScalar[]")] value: JsValue,
    ) -> Result<String, RealtimeError> {
        Ok(core::equal(attribute, &values(&value)?))
    }
    #[wasm_bindgen(js_name = notEqual)]
    pub fn not_equal(
        attribute: &str,
        #[wasm_bindgen(unchecked_param_type = "QueryScalar | QueryScalar[]")] value: JsValue,
    ) -> Result<String, RealtimeError> {
        Ok(core::not_equal(attribute, &values(&value)?))
    }
    #[wasm_bindgen(js_name = lessThan)]
    pub fn less_than(
        attribute: &str,
        #[wasm_bindgen(unchecked_param_type = "QueryScalar | QueryScalar[]")] value: JsValue,
    ) -> Result<String, RealtimeError> {
        Ok(core::less_than(attribute, &values(&value)?))
    }
    #[wasm_bindgen(js_name = lessThanEqual)]
    pub fn less_than_equal(
        attribute: &str,
        #[wasm_bindgen(unchecked_param_type = "QueryScalar | QueryScalar[]")] value: JsValue,
    ) -> Result<String, RealtimeError> {
        Ok(core::less_than_equal(attribute, &values(&value)?))
    }
    #[wasm_bindgen(js_name = greaterThan)]
    pub fn greater_than(
        attribute: &str,
        #[wasm_bindgen(unchecked_param_type = "QueryScalar | QueryScalar[]")] value: JsValue,
    ) -> Result<String, RealtimeError> {
        Ok(core::greater_than(attribute, &values(&value)?))
    }
    #[wasm_bindgen(js_name = greaterThanEqual)]
    pub fn greater_than_equal(
        attribute: &str,
        #[wasm_bindgen(unchecked_param_type = "QueryScalar | QueryScalar[]")] value: JsValue,
    ) -> Result<String, RealtimeError> {
        Ok(core::greater_than_equal(attribute, &values(&value)?))
    }
    #[wasm_bindgen(js_name = isNull)]
    pub fn is_null(attribute: &str) -> String {
        core::is_null(attribute)
    }
    #[wasm_bindgen(js_name = isNotNull)]
    pub fn is_not_null(attribute: &str) -> String {
        core::is_not_null(attribute)
    }
    /// Realtime accepts only `select(["*"])`: every event of the channels.
    pub fn select(
        #[wasm_bindgen(unchecked_param_type = "string[]")] attributes: JsValue,
    ) -> String {
        let attributes = strings(&attributes);
        core::select(&attributes.iter().map(String::as_str).collect::<Vec<_>>())
    }
    pub fn and(
        #[wasm_bindgen(unchecked_param_type = "string[]")] queries: JsValue,
    ) -> Result<String, RealtimeError> {
        let queries = strings(&queries);
        core::and(&queries.iter().map(String::as_str).collect::<Vec<_>>())
            .map_err(|err| RealtimeError::invalid(&format!("Query.and: {err}")))
    }
    pub fn or(
        #[wasm_bindgen(unchecked_param_type = "string[]")] queries: JsValue,
    ) -> Result<String, RealtimeError> {
        let queries = strings(&queries);
        core::or(&queries.iter().map(String::as_str).collect::<Vec<_>>())
            .map_err(|err| RealtimeError::invalid(&format!("Query.or: {err}")))
    }
}
