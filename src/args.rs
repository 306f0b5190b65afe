//! Arguments from page code, read as the official SDK reads them (`js/arguments.js`): ids are
//! coerced with `String()`, channels and queries may be builders, and anything else becomes a
//! [`RealtimeError`] instead of reaching wasm as a value it cannot hold.

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::RealtimeError;

#[wasm_bindgen(module = "/js/arguments.js")]
extern "C" {
    #[wasm_bindgen(js_name = textList)]
    fn joined_text_list(value: &JsValue, flatten: bool) -> Option<String>;
    #[wasm_bindgen(js_name = clientConfig)]
    fn joined_client_config(client: &JsValue) -> Option<String>;
    /// What a thrown value says: an `Error`'s message, or the value as text.
    #[wasm_bindgen(js_name = errorText)]
    pub(crate) fn error_text(error: &JsValue) -> String;
    /// `upsertPresence`'s fields as a list, or the message of what is wrong.
    #[wasm_bindgen(js_name = presenceFields)]
    pub(crate) fn presence_fields(params: &JsValue) -> JsValue;
    /// `new Realtime()`'s timings in ms (0 where left out) and whether to share across tabs, or
    /// the message of what is wrong.
    #[wasm_bindgen(js_name = realtimeOptions)]
    pub(crate) fn realtime_options(options: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = fallbackSession)]
    pub(crate) fn fallback_session(project: &str) -> String;
}

/// One item or a list of them as strings (`undefined` if any is refused); with `flatten`, lists
/// nested one level deep are spread.
pub(crate) fn text_list(value: &JsValue, flatten: bool) -> Option<Vec<String>> {
    joined_text_list(value, flatten).map(|joined| split_items(&joined))
}

/// Realtime endpoint, project, session and JWT of a client shaped like the official SDK's.
pub(crate) fn client_config(client: &JsValue) -> Option<Vec<String>> {
    joined_client_config(client).map(|joined| split_items(&joined))
}

/// The texts `joinItems` (js/arguments.js) joined, each preceded by `\u{1}`: lists cross the
/// boundary as one string, which is faster and needs less wasm than a list of strings. Byte
/// positions: a `char` pattern would link a searcher.
pub(crate) fn split_items(joined: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut starts = joined
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == 1)
        .map(|(at, _)| at);
    let Some(mut start) = starts.next() else {
        return items;
    };
    for end in starts.chain([joined.len()]) {
        items.push(joined.get(start + 1..end).unwrap_or_default().to_owned());
        start = end;
    }
    items
}

/// One channel or a list: strings, `Channel` builders (ours or the official SDK's) or anything
/// else with its own `toString()`.
pub(crate) fn channels(value: &JsValue) -> Result<Vec<String>, RealtimeError> {
    let channels = text_list(value, false)
        .ok_or_else(|| RealtimeError::invalid("Channels must be strings or Channel builders"))?;
    if channels.is_empty() {
        return Err(RealtimeError::invalid("At least one channel is required"));
    }
    if channels.iter().any(|channel| channel.trim().is_empty()) {
        return Err(RealtimeError::invalid("Channel is required"));
    }
    Ok(channels)
}

/// Queries: none (`undefined`, `null`), one, or a list, with nested lists spread one level as
/// the official SDK does; `Query` results of either SDK.
pub(crate) fn queries(value: &JsValue) -> Result<Vec<String>, RealtimeError> {
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    text_list(value, true)
        .ok_or_else(|| RealtimeError::invalid("Queries must be strings or Query builders"))
}

/// What a callback that is no function is told.
pub(crate) const CALLBACK_REFUSED: &str = "The callback must be a function";

/// A callback, checked when it is handed over rather than when it would first be called.
pub(crate) fn function(value: JsValue, what: &str) -> Result<Function, RealtimeError> {
    value
        .dyn_into::<Function>()
        .map_err(|_| RealtimeError::invalid(what))
}

#[cfg(test)]
mod tests {
    use super::split_items;

    #[test]
    fn joined_items_split_back_empty_ones_included() {
        assert!(split_items("").is_empty());
        assert_eq!(split_items("\u{1}"), [""]);
        assert_eq!(split_items("\u{1}a\u{1}\u{1}b.c"), ["a", "", "b.c"]);
        assert_eq!(split_items("\u{1}é\u{1}ß"), ["é", "ß"]);
    }
}
