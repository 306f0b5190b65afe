//! Frame decoding: native `JSON.parse` for the common frame, and an exact path for frames with
//! integers beyond ±(2^53 − 1), which arrive as `BigInt` instead of being rounded.
//!
//! Every integer of magnitude 2^53 or more has at least 16 digits, so a frame without a run of 16
//! digits (the usual case) is parsed natively, without copying its text into wasm memory. Otherwise
//! [`mark_unsafe_integers`] rewrites each unsafe integer token into a marked string that the
//! reviver turns into a `BigInt`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
const LONG_DIGIT_RUN = /\d{16}/;
const MARK = '\u0000bigint:';
export function parseUnlessLongDigits(text) {
  return LONG_DIGIT_RUN.test(text) ? undefined : JSON.parse(text);
}
export function parseMarkedBigInts(text) {
  return JSON.parse(text, (_key, value) =>
    typeof value === 'string' && value.startsWith(MARK) ? BigInt(value.slice(MARK.length)) : value);
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = parseUnlessLongDigits, catch)]
    fn parse_unless_long_digits(text: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = parseMarkedBigInts, catch)]
    fn parse_marked_big_ints(text: &str) -> Result<JsValue, JsValue>;
}

/// The marker the reviver recognises. A JSON string can only contain U+0000 through the escape
/// `\u0000`, which Appwrite never emits at the start of a value.
const BIGINT_MARK: &str = "\\u0000bigint:";

/// Parses one frame's text, keeping integers beyond ±(2^53 − 1) exact as `BigInt`.
pub(crate) fn parse_json(text: &JsValue) -> Result<JsValue, JsValue> {
    let parsed = parse_unless_long_digits(text)?;
    if !parsed.is_undefined() {
        return Ok(parsed);
    }
    let text = text.as_string().unwrap_or_default();
    match mark_unsafe_integers(&text) {
        Some(marked) => parse_marked_big_ints(&marked),
        None => parse_marked_big_ints(&text),
    }
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
                if is_integer && exceeds_safe_integer(&text[digits_start..end]) {
                    let out = out.get_or_insert_with(|| String::with_capacity(text.len() + 32));
                    out.push_str(&text[copied_up_to..start]);
                    out.push('"');
                    out.push_str(BIGINT_MARK);
                    out.push_str(&text[start..end]);
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
        out.push_str(&text[copied_up_to..]);
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
