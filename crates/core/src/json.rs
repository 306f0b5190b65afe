//! A small JSON writer and reader, so the shipped wasm carries no `serde_json`.
//!
//! The writer escapes strings like `json-bigint` (the official SDK's serialiser): RFC 8259's
//! mandatory escapes plus the invisible and line-breaking code points, so our query strings are
//! byte-identical to the official `Query.toString()`. The reader only has to validate and walk
//! short user strings (queries, presence metadata); it keeps number tokens verbatim.

/// Appends `text` as a quoted JSON string.
/// Appends `value` in decimal. By hand: integer formatting through `core::fmt` costs the wasm
/// build about a kilobyte.
pub(crate) fn write_decimal(out: &mut String, value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = value;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &digit in &digits[at..] {
        out.push(char::from(digit));
    }
}

pub(crate) fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if needs_unicode_escape(c) => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str("\\u");
                    for shift in [12, 8, 4, 0] {
                        out.push(char::from(HEX[usize::from((*unit >> shift) & 0xf)]));
                    }
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The code points json2/json-bigint escape as `\uXXXX`.
fn needs_unicode_escape(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{ad}' | '\u{600}'..='\u{604}' | '\u{70f}'
        | '\u{17b4}' | '\u{17b5}' | '\u{200c}'..='\u{200f}' | '\u{2028}'..='\u{202f}'
        | '\u{2060}'..='\u{206f}' | '\u{feff}' | '\u{fff0}'..='\u{ffff}')
}

/// Appends `["a","b",…]`.
pub(crate) fn write_string_array(out: &mut String, items: &[String]) {
    out.push('[');
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_string(out, item);
    }
    out.push(']');
}

/// A parsed JSON value; numbers keep their source text so big integers stay exact.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JsonValue {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<JsonValue>),
    /// Members in source order; duplicates kept (lookups take the last, as PHP does).
    Object(Vec<(String, JsonValue)>),
}

impl JsonValue {
    /// The last member named `name`, as PHP's `json_decode` keeps the last duplicate.
    pub(crate) fn member(&self, name: &str) -> Option<&JsonValue> {
        match self {
            JsonValue::Object(members) => members
                .iter()
                .rev()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value),
            _ => None,
        }
    }

    /// PHP's `gettype()` of the value after `json_decode(…, true)`.
    pub(crate) fn php_type(&self) -> &'static str {
        match self {
            JsonValue::Null => "NULL",
            JsonValue::Bool(_) => "boolean",
            JsonValue::Number(text) if text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) => {
                "double"
            }
            JsonValue::Number(_) => "integer",
            JsonValue::String(_) => "string",
            JsonValue::Array(_) | JsonValue::Object(_) => "array",
        }
    }

    /// Appends the value without insignificant whitespace.
    pub(crate) fn write(&self, out: &mut String) {
        match self {
            JsonValue::Null => out.push_str("null"),
            JsonValue::Bool(true) => out.push_str("true"),
            JsonValue::Bool(false) => out.push_str("false"),
            JsonValue::Number(text) => out.push_str(text),
            JsonValue::String(text) => write_string(out, text),
            JsonValue::Array(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            JsonValue::Object(members) => {
                out.push('{');
                for (index, (key, value)) in members.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    write_string(out, key);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// Why a text is not JSON, in the words of PHP's `json_last_error_msg()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParseError {
    Syntax,
    ControlCharacter,
    LoneSurrogate,
    TooDeep,
}

impl ParseError {
    pub(crate) fn php_message(self) -> &'static str {
        match self {
            ParseError::Syntax => "Syntax error",
            ParseError::ControlCharacter => "Control character error, possibly incorrectly encoded",
            ParseError::LoneSurrogate => "Single unpaired UTF-16 surrogate in unicode escape",
            ParseError::TooDeep => "Maximum stack depth exceeded",
        }
    }
}

/// PHP's default `json_decode` depth; also keeps our recursion bounded.
const MAX_DEPTH: usize = 512;

/// Parses one JSON text (surrounding whitespace allowed).
pub(crate) fn parse(text: &str) -> Result<JsonValue, ParseError> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        position: 0,
    };
    let value = reader.value(0)?;
    reader.skip_whitespace();
    if reader.position == reader.bytes.len() {
        Ok(value)
    } else {
        Err(ParseError::Syntax)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.position += 1;
        }
    }

    fn expect_literal(&mut self, literal: &[u8]) -> Result<(), ParseError> {
        if self.bytes[self.position..].starts_with(literal) {
            self.position += literal.len();
            Ok(())
        } else {
            Err(ParseError::Syntax)
        }
    }

    fn value(&mut self, depth: usize) -> Result<JsonValue, ParseError> {
        if depth >= MAX_DEPTH {
            return Err(ParseError::TooDeep);
        }
        self.skip_whitespace();
        match self.peek().ok_or(ParseError::Syntax)? {
            b'n' => self.expect_literal(b"null").map(|()| JsonValue::Null),
            b't' => self.expect_literal(b"true").map(|()| JsonValue::Bool(true)),
            b'f' => self
                .expect_literal(b"false")
                .map(|()| JsonValue::Bool(false)),
            b'"' => self.string().map(JsonValue::String),
            b'[' => {
                self.position += 1;
                let mut items = Vec::new();
                self.skip_whitespace();
                if self.peek() == Some(b']') {
                    self.position += 1;
                    return Ok(JsonValue::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.skip_whitespace();
                    match self.peek() {
                        Some(b',') => self.position += 1,
                        Some(b']') => {
                            self.position += 1;
                            return Ok(JsonValue::Array(items));
                        }
                        _ => return Err(ParseError::Syntax),
                    }
                }
            }
            b'{' => {
                self.position += 1;
                let mut members = Vec::new();
                self.skip_whitespace();
                if self.peek() == Some(b'}') {
                    self.position += 1;
                    return Ok(JsonValue::Object(members));
                }
                loop {
                    self.skip_whitespace();
                    if self.peek() != Some(b'"') {
                        return Err(ParseError::Syntax);
                    }
                    let key = self.string()?;
                    self.skip_whitespace();
                    if self.peek() != Some(b':') {
                        return Err(ParseError::Syntax);
                    }
                    self.position += 1;
                    members.push((key, self.value(depth + 1)?));
                    self.skip_whitespace();
                    match self.peek() {
                        Some(b',') => self.position += 1,
                        Some(b'}') => {
                            self.position += 1;
                            return Ok(JsonValue::Object(members));
                        }
                        _ => return Err(ParseError::Syntax),
                    }
                }
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(ParseError::Syntax),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.position;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.position += 1;
        }
        self.position - start
    }

    fn number(&mut self) -> Result<JsonValue, ParseError> {
        let start = self.position;
        if self.peek() == Some(b'-') {
            self.position += 1;
        }
        match self.peek() {
            Some(b'0') => self.position += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(ParseError::Syntax),
        }
        if self.peek() == Some(b'.') {
            self.position += 1;
            if self.digits() == 0 {
                return Err(ParseError::Syntax);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.position += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.position += 1;
            }
            if self.digits() == 0 {
                return Err(ParseError::Syntax);
            }
        }
        // The token is ASCII by construction, so this slice is on char boundaries.
        let text = &self.bytes[start..self.position];
        Ok(JsonValue::Number(
            text.iter().map(|&b| char::from(b)).collect(),
        ))
    }

    fn hex4(&mut self) -> Result<u16, ParseError> {
        let digits = self
            .bytes
            .get(self.position..self.position + 4)
            .ok_or(ParseError::Syntax)?;
        let mut value = 0u16;
        for &digit in digits {
            let nibble = char::from(digit).to_digit(16).ok_or(ParseError::Syntax)?;
            // to_digit(16) < 16, so the cast is lossless.
            value = value << 4 | nibble as u16;
        }
        self.position += 4;
        Ok(value)
    }

    /// Reads a string starting at its opening quote.
    fn string(&mut self) -> Result<String, ParseError> {
        self.position += 1;
        let mut text = String::new();
        loop {
            let start = self.position;
            while let Some(byte) = self.peek() {
                if byte == b'"' || byte == b'\\' || byte < 0x20 {
                    break;
                }
                self.position += 1;
            }
            // The input is a &str and we stopped at an ASCII byte, so both ends are boundaries
            // and this never fails (no `unwrap`: its message formatting would ship in the wasm).
            if let Ok(run) = core::str::from_utf8(&self.bytes[start..self.position]) {
                text.push_str(run);
            }
            match self.peek() {
                None => return Err(ParseError::Syntax),
                Some(b'"') => {
                    self.position += 1;
                    return Ok(text);
                }
                Some(b'\\') => {
                    self.position += 1;
                    let escape = self.peek().ok_or(ParseError::Syntax)?;
                    self.position += 1;
                    match escape {
                        b'"' => text.push('"'),
                        b'\\' => text.push('\\'),
                        b'/' => text.push('/'),
                        b'b' => text.push('\u{8}'),
                        b'f' => text.push('\u{c}'),
                        b'n' => text.push('\n'),
                        b'r' => text.push('\r'),
                        b't' => text.push('\t'),
                        b'u' => text.push(self.unicode_escape()?),
                        _ => return Err(ParseError::Syntax),
                    }
                }
                Some(_) => return Err(ParseError::ControlCharacter),
            }
        }
    }

    /// Decodes the `XXXX` after `\u`, joining surrogate pairs.
    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        let first = self.hex4()?;
        if !(0xd800..0xe000).contains(&first) {
            return char::from_u32(u32::from(first)).ok_or(ParseError::Syntax);
        }
        if first >= 0xdc00 || !self.bytes[self.position..].starts_with(b"\\u") {
            return Err(ParseError::LoneSurrogate);
        }
        self.position += 2;
        let second = self.hex4()?;
        if !(0xdc00..0xe000).contains(&second) {
            return Err(ParseError::LoneSurrogate);
        }
        let code = 0x10000 + ((u32::from(first) - 0xd800) << 10) + (u32::from(second) - 0xdc00);
        char::from_u32(code).ok_or(ParseError::Syntax)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &str) -> String {
        let mut out = String::new();
        write_string(&mut out, text);
        out
    }

    #[test]
    fn escapes_like_json_bigint() {
        assert_eq!(escaped("a\"b\\c/d"), r#""a\"b\\c/d""#);
        assert_eq!(escaped("\n\t\r\u{8}\u{c}"), r#""\n\t\r\b\f""#);
        assert_eq!(
            escaped("\u{1}\u{7f}\u{2028}\u{feff}"),
            r#""\u0001\u007f\u2028\ufeff""#
        );
        assert_eq!(escaped("é😀"), "\"é😀\"");
    }

    #[test]
    fn escaped_strings_round_trip_through_serde_json() {
        let text = "ctl\u{0}\u{1f} quote\" slash\\ emoji😀 ls\u{2028} nonchar\u{ffff}";
        let decoded: String = serde_json::from_str(&escaped(text)).unwrap();
        assert_eq!(decoded, text);
    }

    #[test]
    fn parses_and_minifies() {
        let value =
            parse(" { \"a\" : [1, -2.5e3, true, null, \"x\\u00e9\\ud83d\\ude00\"] } ").unwrap();
        let mut out = String::new();
        value.write(&mut out);
        assert_eq!(out, "{\"a\":[1,-2.5e3,true,null,\"xé😀\"]}");
    }

    #[test]
    fn rejects_bad_json_with_php_reasons() {
        for bad in [
            "",
            "{",
            "[1,]",
            "01",
            "1.",
            "{\"a\" 1}",
            "nul",
            "\"\\x\"",
            "1 2",
        ] {
            assert_eq!(parse(bad), Err(ParseError::Syntax), "{bad}");
        }
        assert_eq!(parse("\"a\nb\""), Err(ParseError::ControlCharacter));
        assert_eq!(parse("\"\\ud800\""), Err(ParseError::LoneSurrogate));
        assert_eq!(parse(&"[".repeat(600)), Err(ParseError::TooDeep));
    }

    #[test]
    fn member_takes_the_last_duplicate() {
        let value = parse(r#"{"m":1,"m":2}"#).unwrap();
        assert_eq!(value.member("m"), Some(&JsonValue::Number("2".into())));
    }
}

/// The reader against `serde_json`: the frames of every connection pass through it.
#[cfg(test)]
mod differential {
    use super::parse;
    use proptest::prelude::*;
    use serde_json::Value;

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("JSON has no NaN or infinities", |f| f.is_finite())
                .prop_map(Value::from),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..8)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn reads_back_whatever_serde_json_writes(value in json_value()) {
            let text = serde_json::to_string(&value).unwrap();
            let read = parse(&text).map_err(|error| TestCaseError::fail(format!("{error:?} on {text}")))?;
            let mut written = String::new();
            read.write(&mut written);
            // Compared as serde_json reads both texts: its float parsing is not exact, ours keeps
            // the number's text, so the same text must give the same value.
            let reread = serde_json::from_str::<Value>(&written).unwrap();
            prop_assert_eq!(reread, serde_json::from_str::<Value>(&text).unwrap());
        }

        #[test]
        fn accepts_and_refuses_the_texts_serde_json_does(
            value in json_value(),
            at in any::<prop::sample::Index>(),
            replacement in prop::sample::select(vec!['"', '\\', '{', '}', '[', ']', ',', ':', '0', '-', 'e', '.', ' ', 'u', 'x', '\u{1}']),
        ) {
            // One character of a valid text replaced: usually invalid, sometimes still valid.
            let mut chars: Vec<char> = serde_json::to_string(&value).unwrap().chars().collect();
            let index = at.index(chars.len());
            chars[index] = replacement;
            let text: String = chars.into_iter().collect();
            let theirs = serde_json::from_str::<Value>(&text);
            // Numbers beyond f64's range are errors for serde_json; PHP and this reader keep them.
            let out_of_range = theirs.as_ref().err().is_some_and(|e| e.to_string().contains("out of range"));
            if !out_of_range {
                prop_assert_eq!(parse(&text).is_ok(), theirs.is_ok(), "{}", text);
            }
        }
    }
}
