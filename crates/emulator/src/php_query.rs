//! Query strings parsed the way PHP fills `$_GET`: `a[]=x&a[]=y`, `c[1][]=q`,
//! dots and spaces in the top-level name become `_`.

use indexmap::IndexMap;

#[derive(Debug, Clone, PartialEq)]
pub enum PhpParam {
    Text(String),
    /// Keys are strings; integer keys are kept in decimal form.
    Array(IndexMap<String, PhpParam>),
}

pub type PhpQuery = IndexMap<String, PhpParam>;

pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).ok();
                match hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        index += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn parse(raw: &str) -> PhpQuery {
    let mut query = PhpQuery::new();
    for pair in raw.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = percent_decode(name);
        let value = percent_decode(value);
        insert(&mut query, &name, value);
    }
    query
}

fn insert(query: &mut PhpQuery, name: &str, value: String) {
    let (base, mut rest) = match name.find('[') {
        Some(open) if name[open..].contains(']') => (&name[..open], &name[open..]),
        _ => (name, ""),
    };
    if base.is_empty() {
        return;
    }
    let base: String = base
        .chars()
        .map(|c| if c == '.' || c == ' ' { '_' } else { c })
        .collect();
    let mut path: Vec<Option<String>> = Vec::new();
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(close) = stripped.find(']') else {
            break;
        };
        let key = &stripped[..close];
        path.push((!key.is_empty()).then(|| key.to_string()));
        rest = &stripped[close + 1..];
    }
    if path.is_empty() {
        query.insert(base, PhpParam::Text(value));
        return;
    }
    let slot = query
        .entry(base)
        .or_insert_with(|| PhpParam::Array(IndexMap::new()));
    insert_path(slot, &path, value);
}

fn insert_path(slot: &mut PhpParam, path: &[Option<String>], value: String) {
    if !matches!(slot, PhpParam::Array(_)) {
        *slot = PhpParam::Array(IndexMap::new());
    }
    let PhpParam::Array(entries) = slot else {
        return;
    };
    let key = match &path[0] {
        Some(key) => key.clone(),
        None => next_index(entries).to_string(),
    };
    if path.len() == 1 {
        entries.insert(key, PhpParam::Text(value));
    } else {
        let child = entries
            .entry(key)
            .or_insert_with(|| PhpParam::Array(IndexMap::new()));
        insert_path(child, &path[1..], value);
    }
}

fn next_index(entries: &IndexMap<String, PhpParam>) -> i64 {
    entries
        .keys()
        .filter_map(|key| key.parse::<i64>().ok())
        .max()
        .map_or(0, |max| max + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_php_arrays() {
        let query = parse(
            "project=p&channels[]=files&channels%5B%5D=account&rows[1][]=q1&rows[1][]=q2&a.b=c",
        );
        assert_eq!(query["project"], PhpParam::Text("p".into()));
        let PhpParam::Array(channels) = &query["channels"] else {
            panic!("channels is an array")
        };
        assert_eq!(
            channels.values().cloned().collect::<Vec<_>>(),
            vec![
                PhpParam::Text("files".into()),
                PhpParam::Text("account".into())
            ]
        );
        let PhpParam::Array(rows) = &query["rows"] else {
            panic!("rows is an array")
        };
        let PhpParam::Array(slot) = &rows["1"] else {
            panic!("slot is an array")
        };
        assert_eq!(slot.len(), 2);
        assert_eq!(query["a_b"], PhpParam::Text("c".into()));
        assert_eq!(percent_decode("a%20b+c%2"), "a b c%2");
    }
}
