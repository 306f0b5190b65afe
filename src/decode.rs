//! Frame decoding: native `JSON.parse` for the common frame, and an exact path for frames with
//! integers beyond ±(2^53 − 1), which arrive as `BigInt` instead of being rounded.
//!
//! Every integer of magnitude 2^53 or more has at least 16 digits, so a frame without a run of 16
//! digits (the usual case) is parsed natively, without copying its text into wasm memory. Otherwise
//! a reviver that sees each number's source text makes unsafe integers `BigInt`s; on engines
//! without that, [`mark_unsafe_integers`] rewrites each unsafe integer token into a marked string
//! that another reviver turns into a `BigInt`.

use appwrite_realtime_core::{Ack, FrameError, RawData, RawFrame, RawSubscriptions, ServerFrame};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::driver::JsPayload;

#[wasm_bindgen(inline_js = r#"
const LONG_DIGIT_RUN = /\d{16}/;
const INTEGER = /^-?\d+$/;
const MARK = '\u0000bigint:';
// Current engines show a reviver each number's source text; older ones need the Rust rewrite.
const REVIVER_SEES_SOURCE = (() => {
  let seen = false;
  JSON.parse('1', (_key, value, context) => { seen = context?.source === '1'; return value; });
  return seen;
})();
const reviveFromSource = (_key, value, context) =>
  typeof value === 'number' && !Number.isSafeInteger(value) && INTEGER.test(context.source)
    ? BigInt(context.source) : value;
export function parseExactly(text) {
  if (!LONG_DIGIT_RUN.test(text)) return JSON.parse(text);
  return REVIVER_SEES_SOURCE ? JSON.parse(text, reviveFromSource) : undefined;
}
export function parseMarkedBigInts(text) {
  return JSON.parse(text, (_key, value) =>
    typeof value === 'string' && value.startsWith(MARK) ? BigInt(value.slice(MARK.length)) : value);
}
"#)]
extern "C" {
    /// `undefined` when the engine cannot keep big integers exact by itself.
    #[wasm_bindgen(js_name = parseExactly, catch)]
    fn parse_exactly(text: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = parseMarkedBigInts, catch)]
    fn parse_marked_big_ints(text: &str) -> Result<JsValue, JsValue>;
}

/// The marker the reviver recognises. A JSON string can only contain U+0000 through the escape
/// `\u0000`, which Appwrite never emits at the start of a value.
const BIGINT_MARK: &str = "\\u0000bigint:";

/// Parses one frame's text, keeping integers beyond ±(2^53 − 1) exact as `BigInt`.
pub(crate) fn parse_json(text: &JsValue) -> Result<JsValue, JsValue> {
    let parsed = parse_exactly(text)?;
    if !parsed.is_undefined() {
        return Ok(parsed);
    }
    let text = text.as_string().unwrap_or_default();
    match mark_unsafe_integers(&text) {
        Some(marked) => parse_marked_big_ints(&marked),
        None => parse_marked_big_ints(&text),
    }
}

/// Decodes one frame's text. The envelope is read field by field from the parsed object into the
/// core's [`RawFrame`], which validates it; payloads stay JS values.
pub(crate) fn decode_frame(text: &JsValue) -> Result<ServerFrame<JsPayload>, FrameError> {
    let value = parse_json(text).map_err(|err| {
        FrameError::Malformed(format!(
            "invalid JSON: {}",
            crate::socket::describe_js_error(&err)
        ))
    })?;
    raw_frame(&value)?.into_frame()
}

fn raw_frame(value: &JsValue) -> Result<RawFrame<JsPayload>, FrameError> {
    if !value.is_object() || Array::is_array(value) {
        return Err(malformed("a frame must be a JSON object"));
    }
    let kind = string_field(value, "type")?.ok_or_else(|| malformed("missing field `type`"))?;
    let is_event = kind == "event";
    let data = present(value, "data")
        .map(|data| raw_data(&data, is_event))
        .transpose()?;
    Ok(RawFrame { kind, data })
}

fn raw_data(data: &JsValue, is_event: bool) -> Result<RawData<JsPayload>, FrameError> {
    if !data.is_object() {
        return Err(malformed("`data` must be an object"));
    }
    let payload = |value| JsPayload {
        value,
        event_data: None,
    };
    Ok(RawData {
        channels: strings_field(data, "channels")?,
        subscriptions: subscriptions_field(data)?,
        user: present(data, "user").map(payload),
        // Event names and the timestamp stay in `data`, which callbacks receive as is.
        events: None,
        timestamp: None,
        payload: present(data, "payload").map(|value| JsPayload {
            value,
            event_data: is_event.then(|| data.clone()),
        }),
        to: string_field(data, "to")?,
        success: present(data, "success")
            .map(|value| {
                value
                    .as_bool()
                    .ok_or_else(|| wrong_type("success", "a boolean"))
            })
            .transpose()?,
        presence: present(data, "presence").map(payload),
        code: present(data, "code")
            .map(|value| integer(&value).ok_or_else(|| wrong_type("code", "an integer")))
            .transpose()?,
        message: string_field(data, "message")?,
    })
}

/// `subscriptions`: ids (event), a slot map or list of ids (connected), or ack rows (response).
fn subscriptions_field(data: &JsValue) -> Result<Option<RawSubscriptions>, FrameError> {
    let Some(value) = present(data, "subscriptions") else {
        return Ok(None);
    };
    if !Array::is_array(&value) {
        if !value.is_object() {
            return Err(wrong_type("subscriptions", "a list or a map"));
        }
        // PHP's slot map {"1":"id",…}: only the ids matter to a message-mode client.
        let slots: &Object = value.unchecked_ref();
        let ids = strings(&Object::values(slots).into(), "subscriptions")?;
        return Ok(Some(RawSubscriptions::Ids(ids)));
    }
    let items = Array::from(&value);
    if items.iter().all(|item| item.is_string()) {
        return Ok(Some(RawSubscriptions::Ids(strings(
            &value,
            "subscriptions",
        )?)));
    }
    let acks = items
        .iter()
        .map(|item| ack(&item))
        .collect::<Result<_, _>>()?;
    Ok(Some(RawSubscriptions::Acks(acks)))
}

fn ack(row: &JsValue) -> Result<Ack, FrameError> {
    if !row.is_object() {
        return Err(malformed("mixed ids and ack rows in `subscriptions`"));
    }
    Ok(Ack {
        subscription_id: string_field(row, "subscriptionId")?
            .ok_or_else(|| malformed("an ack row has no `subscriptionId`"))?,
        channels: strings_field(row, "channels")?,
        queries: strings_field(row, "queries")?,
        removed: present(row, "removed")
            .map(|value| {
                value
                    .as_bool()
                    .ok_or_else(|| wrong_type("removed", "a boolean"))
            })
            .transpose()?,
    })
}

/// A field's value; `null` counts as absent, as it does for serde's `Option`.
fn present(object: &JsValue, name: &str) -> Option<JsValue> {
    let value = Reflect::get(object, &JsValue::from_str(name)).ok()?;
    (!value.is_undefined() && !value.is_null()).then_some(value)
}

pub(crate) fn string_field(object: &JsValue, name: &str) -> Result<Option<String>, FrameError> {
    present(object, name)
        .map(|value| {
            value
                .as_string()
                .ok_or_else(|| wrong_type(name, "a string"))
        })
        .transpose()
}

pub(crate) fn strings_field(
    object: &JsValue,
    name: &str,
) -> Result<Option<Vec<String>>, FrameError> {
    present(object, name)
        .map(|value| strings(&value, name))
        .transpose()
}

fn strings(value: &JsValue, name: &str) -> Result<Vec<String>, FrameError> {
    if !Array::is_array(value) {
        return Err(wrong_type(name, "a list of strings"));
    }
    Array::from(value)
        .iter()
        .map(|item| {
            item.as_string()
                .ok_or_else(|| wrong_type(name, "a list of strings"))
        })
        .collect()
}

fn integer(value: &JsValue) -> Option<i64> {
    let number = value.as_f64()?;
    (number.fract() == 0.0 && number.abs() < 9_007_199_254_740_992.0).then_some(number as i64)
}

fn malformed(message: &str) -> FrameError {
    FrameError::Malformed(message.to_string())
}

fn wrong_type(field: &str, expected: &str) -> FrameError {
    FrameError::Malformed(format!("`{field}` must be {expected}"))
}

/// Rewrites every integer token outside strings whose magnitude exceeds 2^53 − 1 into a marked
/// string; `None` when there is none. Numbers with a fraction or exponent stay numbers.
pub(crate) fn mark_unsafe_integers(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied_up_to = 0;
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let byte = bytes[i];
        if in_string {
            match byte {
                b'\\' => i += 2,
                b'"' => {
                    in_string = false;
                    i += 1;
                }
                _ => i += 1,
            }
            continue;
        }
        match byte {
            b'"' => {
                in_string = true;
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                let digits_start = if byte == b'-' { i + 1 } else { i };
                let mut end = digits_start;
                while end < bytes.len() && bytes[end].is_ascii_digit() {
                    end += 1;
                }
                let is_integer = !matches!(bytes.get(end), Some(b'.' | b'e' | b'E'));
                // Every index here sits on an ASCII byte; `get` instead of `[..]` keeps str's
                // slicing panic, and the formatting it links, out of the wasm.
                let slice = |range: std::ops::Range<usize>| text.get(range).unwrap_or_default();
                if is_integer && exceeds_safe_integer(slice(digits_start..end)) {
                    let out = out.get_or_insert_with(|| String::with_capacity(text.len() + 32));
                    out.push_str(slice(copied_up_to..start));
                    out.push('"');
                    out.push_str(BIGINT_MARK);
                    out.push_str(slice(start..end));
                    out.push('"');
                    copied_up_to = end;
                }
                // Skip the rest of the token (fraction, exponent) as plain text.
                i = end.max(start + 1);
                while i < bytes.len()
                    && matches!(bytes[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out.map(|mut out| {
        out.push_str(text.get(copied_up_to..).unwrap_or_default());
        out
    })
}

/// Whether a run of ASCII digits denotes a value above `Number.MAX_SAFE_INTEGER`.
fn exceeds_safe_integer(digits: &str) -> bool {
    const MAX_SAFE: &str = "9007199254740991";
    let significant = digits.trim_start_matches('0');
    significant.len() > MAX_SAFE.len()
        || (significant.len() == MAX_SAFE.len() && significant > MAX_SAFE)
}

#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests {
    use super::*;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    fn field(object: &JsValue, name: &str) -> JsValue {
        Reflect::get(object, &name.into()).unwrap()
    }

    #[wasm_bindgen_test]
    fn the_rewrite_fallback_yields_exact_bigints() {
        let text = r#"{"big":9223372036854775807,"s":"12345678901234567890","f":0.5}"#;
        let parsed = parse_marked_big_ints(&mark_unsafe_integers(text).unwrap()).unwrap();
        let big = field(&parsed, "big");
        assert!(big.is_bigint());
        assert_eq!(
            js_sys::BigInt::from(big).to_string(10).unwrap(),
            "9223372036854775807"
        );
        assert_eq!(
            field(&parsed, "s").as_string().as_deref(),
            Some("12345678901234567890")
        );
        assert_eq!(field(&parsed, "f").as_f64(), Some(0.5));
    }

    #[wasm_bindgen_test]
    fn both_paths_agree_on_a_frame_with_big_and_unsafe_looking_numbers() {
        let text = r#"{"a":[-9007199254740993,9007199254740991,1e21,12345678901234567.5]}"#;
        let native = parse_json(&JsValue::from_str(text)).unwrap();
        let fallback = parse_marked_big_ints(&mark_unsafe_integers(text).unwrap()).unwrap();
        let render = |value: &JsValue| {
            js_sys::Array::from(&field(value, "a"))
                .iter()
                .map(|item| {
                    let kind = item.js_typeof().as_string().unwrap();
                    format!("{kind}:{}", crate::args::id_text(&item).unwrap())
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(render(&native), render(&fallback));
        assert_eq!(render(&native)[0], "bigint:-9007199254740993");
        assert_eq!(render(&native)[1], "number:9007199254740991");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_frames_without_unsafe_integers_alone() {
        assert_eq!(
            mark_unsafe_integers(r#"{"a":9007199254740991,"b":-9007199254740991}"#),
            None
        );
        assert_eq!(
            mark_unsafe_integers(r#"{"a":12345678901234567890.5,"b":1e300}"#),
            None
        );
        assert_eq!(
            mark_unsafe_integers(r#"{"id":"12345678901234567890"}"#),
            None
        );
    }

    #[test]
    fn marks_integers_beyond_the_safe_range() {
        let marked =
            mark_unsafe_integers(r#"{"a":9007199254740992,"b":[-18446744073709551615, 1]}"#);
        assert_eq!(
            marked.as_deref(),
            Some(
                r#"{"a":"\u0000bigint:9007199254740992","b":["\u0000bigint:-18446744073709551615", 1]}"#
            )
        );
    }

    #[test]
    fn ignores_digits_inside_strings_with_escaped_quotes() {
        let text = r#"{"s":"x\" 99999999999999999999","n":99999999999999999999}"#;
        assert_eq!(
            mark_unsafe_integers(text).as_deref(),
            Some(r#"{"s":"x\" 99999999999999999999","n":"\u0000bigint:99999999999999999999"}"#)
        );
    }

    #[test]
    fn leading_zeros_do_not_make_a_number_unsafe() {
        assert!(!exceeds_safe_integer("0009007199254740991"));
        assert!(exceeds_safe_integer("9007199254740992"));
        assert!(!exceeds_safe_integer("0"));
    }
}
