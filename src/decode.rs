//! Inbound frames as the core reads them: `js/frames.js` parses each text in JS (integers beyond
//! ±(2^53 − 1) exactly, as `BigInt`) and hands over, in one call, what the core routes on (an
//! event's channels and subscription ids joined by control characters, other frames' routing
//! members as a small JSON envelope) and the frame's `data` object; payloads stay JS values.

use appwrite_realtime_core::{EventFrame, FrameError, RawFrame, ServerFrame};
use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use crate::args::split_items;

// Never called: js/sockets.js hands each text to readFrame, and its result to decode_frame.
// Naming js/frames.js makes wasm-bindgen ship it beside the other snippets.
#[wasm_bindgen(module = "/js/frames.js")]
extern "C" {
    #[allow(dead_code)]
    #[wasm_bindgen(js_name = readFrame)]
    fn read_frame();
}

/// A resource of a frame (`payload`, `user` or `presence`), left in the frame's `data` object as
/// JSON.parse made it and read only when a Rust caller asks for it.
#[derive(Clone, Debug)]
pub struct JsPayload {
    /// The frame's `data`: what JS callbacks receive for an event.
    pub(crate) data: JsValue,
    field: &'static str,
}

impl JsPayload {
    /// The resource itself.
    pub(crate) fn value(&self) -> JsValue {
        Reflect::get(&self.data, &JsValue::from_str(self.field)).unwrap_or(JsValue::UNDEFINED)
    }
}

/// Validates what `js/frames.js` handed over: an event's compact form, a JSON envelope, or
/// (`None`) the reason in `data`.
pub(crate) fn decode_frame(
    envelope: Option<String>,
    data: JsValue,
) -> Result<ServerFrame<JsPayload>, FrameError> {
    let Some(envelope) = envelope else {
        return Err(FrameError::Malformed(data.as_string().unwrap_or_default()));
    };
    if let Some(compact) = envelope.strip_prefix('\u{2}') {
        // Channels and subscription ids; JS checked that they are strings and the payload is there.
        let middle = compact
            .bytes()
            .position(|b| b == 2)
            .unwrap_or(compact.len());
        return Ok(ServerFrame::Event(EventFrame {
            channels: split_items(compact.get(..middle).unwrap_or_default()),
            payload: JsPayload {
                data,
                field: "payload",
            },
            subscriptions: split_items(compact.get(middle + 1..).unwrap_or_default()),
        }));
    }
    RawFrame::from_envelope(&envelope, |field| JsPayload {
        data: data.clone(),
        field,
    })?
    .into_frame()
}

#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests {
    use super::*;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen(module = "/js/frames.js")]
    extern "C" {
        #[wasm_bindgen(js_name = parseExactly)]
        fn parse_exactly(text: &str) -> JsValue;
        #[wasm_bindgen(js_name = markUnsafeIntegers)]
        fn mark_unsafe_integers(text: &str) -> String;
        #[wasm_bindgen(js_name = parseMarked)]
        fn parse_marked(text: &str) -> JsValue;
        #[wasm_bindgen(js_name = readFrame)]
        fn read_frame(text: &str) -> js_sys::Array;
    }

    #[wasm_bindgen_test]
    fn long_integers_are_found_wherever_they_lie() {
        // Only every 16th position is probed: runs at every offset must still be found.
        for offset in 0..40 {
            for run in [15, 16, 17, 33] {
                let digits = "9".repeat(run);
                let text = [r#"{"p":""#, &"x".repeat(offset), r#"","n":"#, &digits, "}"].concat();
                let kind = if run >= 16 { "bigint" } else { "number" };
                assert_eq!(
                    field(&parse_exactly(&text), "n").js_typeof(),
                    kind,
                    "{text}"
                );
                let quoted = [r#"{"n":""#, &"x".repeat(offset), &digits, r#""}"#].concat();
                assert!(field(&parse_exactly(&quoted), "n").is_string(), "{quoted}");
            }
        }
    }

    fn field(object: &JsValue, name: &str) -> JsValue {
        Reflect::get(object, &name.into()).unwrap()
    }

    /// `typeof:String(value)` of each item of `a`.
    fn render(value: &JsValue) -> Vec<String> {
        js_sys::Array::from(&field(value, "a"))
            .iter()
            .map(|item| {
                let kind = item.js_typeof().as_string().unwrap();
                format!("{kind}:{}", crate::args::error_text(&item))
            })
            .collect()
    }

    #[wasm_bindgen_test]
    fn unsafe_integers_become_bigints_and_nothing_else_changes() {
        let text = r#"{"a":[-9007199254740993,9007199254740991,1e21,12345678901234567.5,"12345678901234567890",-0.12345678901234567890,1e12345678901234567,{"__proto__":99999999999999999999}]}"#;
        let parsed = parse_exactly(text);
        assert_eq!(
            render(&parsed)[..7],
            [
                "bigint:-9007199254740993",
                "number:9007199254740991",
                "number:1e+21",
                "number:12345678901234568",
                "string:12345678901234567890",
                "number:-0.12345678901234568",
                "number:Infinity",
            ]
        );
        let nested = js_sys::Array::from(&field(&parsed, "a")).get(7);
        let own = js_sys::Object::get_own_property_descriptor(&nested.into(), &"__proto__".into());
        assert!(
            field(&own, "value").is_bigint(),
            "a `__proto__` member stays a member"
        );
        // A run that looks like a number token from its neighbours but lies inside a string
        // (the quick marking's case for the careful one), beside a real one.
        let tricky = r#"{"a":["x:12345678901234567890,",12345678901234567890]}"#;
        assert_eq!(
            render(&parse_exactly(tricky)),
            [
                "string:x:12345678901234567890,",
                "bigint:12345678901234567890"
            ]
        );
        let plain = r#"{"a":[1,2.5,"x"]}"#;
        assert_eq!(
            render(&parse_exactly(plain)),
            ["number:1", "number:2.5", "string:x"]
        );
    }

    #[wasm_bindgen_test]
    fn payload_strings_cannot_forge_the_marker() {
        // What the marker looked like when it was fixed, and the random one's known prefix.
        let text = r#"{"a":["\u0000bigint:123","\u0000bigint-x:456",99999999999999999999]}"#;
        let parsed = parse_marked(&mark_unsafe_integers(text));
        assert_eq!(
            render(&parsed),
            [
                "string:\u{0}bigint:123",
                "string:\u{0}bigint-x:456",
                "bigint:99999999999999999999"
            ]
        );
    }

    #[wasm_bindgen_test]
    fn the_envelope_carries_routing_fields_and_flags_resources() {
        let text = r#"{"type":"event","data":{"events":["e"],"channels":["files"],"timestamp":"t","payload":{"big":99999999999999999999},"subscriptions":["s"]}}"#;
        let read = read_frame(text);
        assert_eq!(
            read.get(0).as_string().as_deref(),
            Some("\u{2}\u{1}files\u{2}\u{1}s")
        );
        let data = read.get(1);
        assert!(field(&field(&data, "payload"), "big").is_bigint());
        let frame = decode_frame(read.get(0).as_string(), data);
        let Ok(ServerFrame::Event(event)) = frame else {
            panic!("{frame:?}")
        };
        assert_eq!(event.channels, ["files"]);
        assert!(field(&event.payload.value(), "big").is_bigint());

        let several = r#"{"type":"event","data":{"channels":["a","b.c",""],"payload":{}}}"#;
        let read = read_frame(several);
        let Ok(ServerFrame::Event(event)) = decode_frame(read.get(0).as_string(), read.get(1))
        else {
            panic!("{several}")
        };
        assert_eq!(event.channels, ["a", "b.c", ""]);
        assert!(event.subscriptions.is_empty());

        let garbage = read_frame("{oops");
        assert!(garbage.get(0).is_undefined());
        let reason = decode_frame(None, garbage.get(1));
        assert!(
            matches!(&reason, Err(FrameError::Malformed(text)) if text.starts_with("invalid JSON")),
            "{reason:?}"
        );
    }
}
