//! A small `multipart/form-data` reader: the official web SDK uploads files
//! (`Storage.createFile`) as form data, never as JSON.

/// One form field; `filename` is set for file fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// The boundary of a `multipart/form-data` Content-Type, or `None` for any other type.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut pieces = content_type.split(';');
    let essence = pieces.next()?.trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    pieces
        .filter_map(|piece| piece.trim().split_once('='))
        .find(|(key, _)| key.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value.trim().trim_matches('"').to_string())
        .filter(|boundary| !boundary.is_empty())
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|position| position + from)
}

/// Browsers escape `"`, CR and LF in field and file names as `%22`, `%0D`, `%0A`.
fn unescape_name(name: &str) -> String {
    name.replace("%22", "\"")
        .replace("%0D", "\r")
        .replace("%0A", "\n")
}

/// The value of `key="…"` in a Content-Disposition header.
fn disposition_param(disposition: &str, key: &str) -> Option<String> {
    disposition
        .split(';')
        .filter_map(|piece| piece.trim().split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case(key))
        .map(|(_, value)| unescape_name(value.trim().trim_matches('"')))
}

fn parse_part(raw: &[u8]) -> Option<Part> {
    let head_end = find(raw, b"\r\n\r\n", 0)?;
    let head = std::str::from_utf8(&raw[..head_end]).ok()?;
    let mut disposition = None;
    let mut content_type = None;
    for line in head.split("\r\n") {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("content-disposition") {
            disposition = Some(value.trim().to_string());
        } else if name.trim().eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim().to_string());
        }
    }
    let disposition = disposition?;
    Some(Part {
        name: disposition_param(&disposition, "name")?,
        filename: disposition_param(&disposition, "filename"),
        content_type,
        data: raw[head_end + 4..].to_vec(),
    })
}

/// Splits a body into its parts; `None` when it is not well-formed multipart data.
pub fn parse(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let delimiter = format!("--{boundary}").into_bytes();
    let separator = [b"\r\n".as_slice(), &delimiter].concat();
    let mut cursor = find(body, &delimiter, 0)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        let rest = body.get(cursor..)?;
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        if !rest.starts_with(b"\r\n") {
            return None;
        }
        let start = cursor + 2;
        let end = find(body, &separator, start)?;
        parts.push(parse_part(&body[start..end])?);
        cursor = end + separator.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_boundary_of_form_data_only() {
        assert_eq!(
            boundary("multipart/form-data; boundary=----WebKitFormBoundaryAbC"),
            Some("----WebKitFormBoundaryAbC".to_string())
        );
        assert_eq!(
            boundary("Multipart/Form-Data; charset=utf-8; boundary=\"x y\""),
            Some("x y".to_string())
        );
        assert_eq!(boundary("application/json"), None);
        assert_eq!(boundary("multipart/form-data"), None);
    }

    #[test]
    fn parses_fields_and_files_as_chromium_sends_them() {
        let body = "------B\r\n\
            Content-Disposition: form-data; name=\"fileId\"\r\n\r\n\
            f1\r\n\
            ------B\r\n\
            Content-Disposition: form-data; name=\"file\"; filename=\"a %22b%22.txt\"\r\n\
            Content-Type: text/plain\r\n\r\n\
            line one\r\nline two\r\n\
            ------B\r\n\
            Content-Disposition: form-data; name=\"permissions[]\"\r\n\r\n\
            read(\"any\")\r\n\
            ------B--\r\n";
        let parts = parse(body.as_bytes(), "----B").expect("well-formed");
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].name, "fileId");
        assert_eq!(parts[0].data, b"f1");
        assert_eq!(parts[1].filename.as_deref(), Some("a \"b\".txt"));
        assert_eq!(parts[1].content_type.as_deref(), Some("text/plain"));
        assert_eq!(parts[1].data, b"line one\r\nline two");
        assert_eq!(parts[2].name, "permissions[]");
        assert_eq!(parts[2].data, b"read(\"any\")");
    }

    #[test]
    fn rejects_malformed_bodies_without_panicking() {
        for body in [
            "",
            "------B",
            "------B\r\n",
            "------B\r\nno blank line\r\n------B--",
            "------B\r\nContent-Type: text/plain\r\n\r\nx\r\n------B--",
            "------Bjunk",
        ] {
            assert_eq!(parse(body.as_bytes(), "----B"), None, "{body:?}");
        }
        assert_eq!(parse(b"------B--", "----B"), Some(Vec::new()));
    }
}
