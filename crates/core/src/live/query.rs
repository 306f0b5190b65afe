//! What a live view lists: the filters, order and window of its REST queries, evaluated here with
//! the database's semantics (which differ from realtime's, `shared/protocol.md` §7): a missing
//! attribute is NULL, NULL passes no comparison (`notEqual` included), numbers compare by value
//! and strings byte-wise, and arrays answer only `contains`, `isNull` and `isNotNull`.

use core::cmp::Ordering;
use core::fmt;

use crate::json::{self, JsonValue};

/// Appwrite's page size when a list names no `limit`.
pub const DEFAULT_LIMIT: usize = 25;

/// A query a live view cannot take, with its position among the queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewQueryError {
    /// The query's index.
    pub index: usize,
    /// Why, in the words page code reads.
    pub message: String,
}

impl fmt::Display for ViewQueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "query {}: {}", self.index, self.message)
    }
}

impl std::error::Error for ViewQueryError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    Between,
    StartsWith,
    EndsWith,
    Contains,
}

#[derive(Debug, Clone)]
enum Filter {
    Compare {
        method: Compare,
        field: usize,
        values: Vec<JsonValue>,
    },
    IsNull(usize),
    IsNotNull(usize),
    And(Vec<Filter>),
    Or(Vec<Filter>),
}

/// The parsed queries of a view: its filters, its order and its window.
#[derive(Debug, Clone)]
pub struct ViewQuery {
    /// The attributes the filters and orders read, in the order rows keep them.
    pub(crate) attributes: Vec<String>,
    filters: Vec<Filter>,
    /// Field index and whether descending.
    orders: Vec<(usize, bool)>,
    pub(crate) limit: usize,
    /// Whether rows before the window may move it (`offset` or `cursorAfter`).
    pub(crate) anchored: bool,
    /// The query strings, for the REST list.
    pub(crate) texts: Vec<String>,
}

fn refuse(index: usize, message: impl Into<String>) -> ViewQueryError {
    ViewQueryError {
        index,
        message: message.into(),
    }
}

impl ViewQuery {
    /// Reads `queries` (as `Query.*` writes them). Refuses what the view cannot evaluate; the
    /// REST list refuses the rest with the server's own text.
    pub fn parse(queries: &[String]) -> Result<ViewQuery, ViewQueryError> {
        let mut query = ViewQuery {
            attributes: Vec::new(),
            filters: Vec::new(),
            orders: Vec::new(),
            limit: DEFAULT_LIMIT,
            anchored: false,
            texts: queries.to_vec(),
        };
        for (index, text) in queries.iter().enumerate() {
            let parsed =
                json::parse(text).map_err(|_| refuse(index, "Invalid query: Syntax error"))?;
            query.read(index, &parsed)?;
        }
        Ok(query)
    }

    fn field(&mut self, attribute: &str) -> usize {
        match self.attributes.iter().position(|known| known == attribute) {
            Some(index) => index,
            None => {
                self.attributes.push(attribute.to_string());
                self.attributes.len() - 1
            }
        }
    }

    fn read(&mut self, index: usize, parsed: &JsonValue) -> Result<(), ViewQueryError> {
        let method = match parsed.member("method") {
            Some(JsonValue::String(method)) => method.as_str(),
            _ => return Err(refuse(index, "Invalid query: method is missing")),
        };
        let attribute = match parsed.member("attribute") {
            Some(JsonValue::String(attribute)) => attribute.as_str(),
            _ => "",
        };
        let first = match parsed.member("values") {
            Some(JsonValue::Array(values)) => values.first(),
            _ => None,
        };
        match method {
            "orderAsc" | "orderDesc" => {
                let attribute = if attribute.is_empty() {
                    "$sequence"
                } else {
                    attribute
                };
                let field = self.field(attribute);
                self.orders.push((field, method == "orderDesc"));
            }
            "limit" => {
                self.limit = match first {
                    Some(JsonValue::Number(n)) => {
                        n.parse().map_err(|_| refuse(index, "Invalid limit"))?
                    }
                    _ => return Err(refuse(index, "Invalid limit")),
                }
            }
            "offset" | "cursorAfter" => self.anchored = true,
            "cursorBefore" | "select" | "orderRandom" => {
                return Err(refuse(
                    index,
                    format!("{method} is not supported in live views"),
                ))
            }
            _ => {
                let filter = self.filter(index, parsed, 0)?;
                self.filters.push(filter);
            }
        }
        Ok(())
    }

    fn filter(
        &mut self,
        index: usize,
        parsed: &JsonValue,
        depth: usize,
    ) -> Result<Filter, ViewQueryError> {
        let method = match parsed.member("method") {
            Some(JsonValue::String(method)) => method.clone(),
            _ => return Err(refuse(index, "Invalid query: method is missing")),
        };
        let values = match parsed.member("values") {
            Some(JsonValue::Array(values)) => values.clone(),
            _ => Vec::new(),
        };
        let attribute = match parsed.member("attribute") {
            Some(JsonValue::String(attribute)) => attribute.clone(),
            _ => String::new(),
        };
        let compare = match method.as_str() {
            "and" | "or" if depth < 8 => {
                let nested = values
                    .iter()
                    .map(|value| self.filter(index, value, depth + 1))
                    .collect::<Result<Vec<_>, _>>()?;
                return Ok(if method == "and" {
                    Filter::And(nested)
                } else {
                    Filter::Or(nested)
                });
            }
            "isNull" => return Ok(Filter::IsNull(self.field(&attribute))),
            "isNotNull" => return Ok(Filter::IsNotNull(self.field(&attribute))),
            "equal" => Compare::Equal,
            "notEqual" => Compare::NotEqual,
            "lessThan" => Compare::Less,
            "lessThanEqual" => Compare::LessEqual,
            "greaterThan" => Compare::Greater,
            "greaterThanEqual" => Compare::GreaterEqual,
            "between" => Compare::Between,
            "startsWith" => Compare::StartsWith,
            "endsWith" => Compare::EndsWith,
            "contains" => Compare::Contains,
            other => {
                return Err(refuse(
                    index,
                    format!("{other} is not supported in live views"),
                ))
            }
        };
        if values.is_empty() || (compare == Compare::Between && values.len() != 2) {
            return Err(refuse(
                index,
                format!("Invalid query: {method} needs values"),
            ));
        }
        Ok(Filter::Compare {
            method: compare,
            field: self.field(&attribute),
            values,
        })
    }

    /// Whether a row with `fields` (one per attribute, `None` when missing) passes every filter.
    pub(crate) fn matches(&self, fields: &[Option<JsonValue>]) -> bool {
        self.filters.iter().all(|filter| filter.matches(fields))
    }

    /// The order of two rows' fields: the orders in turn, then `tie` (their `$sequence`s).
    pub(crate) fn order(
        &self,
        a: &[Option<JsonValue>],
        b: &[Option<JsonValue>],
        tie: Ordering,
    ) -> Ordering {
        for &(field, descending) in &self.orders {
            let ordering = sort_order(
                a.get(field).and_then(Option::as_ref),
                b.get(field).and_then(Option::as_ref),
            );
            let ordering = if descending {
                ordering.reverse()
            } else {
                ordering
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        tie
    }
}

impl Filter {
    fn matches(&self, fields: &[Option<JsonValue>]) -> bool {
        let value = |field: &usize| {
            fields
                .get(*field)
                .and_then(Option::as_ref)
                .filter(|v| **v != JsonValue::Null)
        };
        match self {
            Filter::IsNull(field) => value(field).is_none(),
            Filter::IsNotNull(field) => value(field).is_some(),
            Filter::And(nested) => nested.iter().all(|filter| filter.matches(fields)),
            Filter::Or(nested) => nested.iter().any(|filter| filter.matches(fields)),
            Filter::Compare {
                method,
                field,
                values,
            } => value(field).is_some_and(|value| compare(*method, value, values)),
        }
    }
}

fn compare(method: Compare, value: &JsonValue, values: &[JsonValue]) -> bool {
    if let JsonValue::Array(items) = value {
        return method == Compare::Contains
            && items
                .iter()
                .any(|item| values.iter().any(|v| same(item, v)));
    }
    let against = |test: fn(Ordering) -> bool| {
        values
            .iter()
            .any(|v| compare_values(value, v).is_some_and(test))
    };
    match method {
        Compare::Equal => values.iter().any(|v| same(value, v)),
        Compare::NotEqual => !values.iter().any(|v| same(value, v)),
        Compare::Less => against(Ordering::is_lt),
        Compare::LessEqual => against(Ordering::is_le),
        Compare::Greater => against(Ordering::is_gt),
        Compare::GreaterEqual => against(Ordering::is_ge),
        Compare::Between => match values {
            [low, high] => {
                compare_values(value, low).is_some_and(Ordering::is_ge)
                    && compare_values(value, high).is_some_and(Ordering::is_le)
            }
            _ => false,
        },
        Compare::StartsWith => {
            text(value).is_some_and(|t| values.iter().filter_map(text).any(|p| t.starts_with(p)))
        }
        Compare::EndsWith => {
            text(value).is_some_and(|t| values.iter().filter_map(text).any(|p| t.ends_with(p)))
        }
        Compare::Contains => {
            text(value).is_some_and(|t| values.iter().filter_map(text).any(|p| t.contains(p)))
        }
    }
}

fn text(value: &JsonValue) -> Option<&str> {
    match value {
        JsonValue::String(text) => Some(text),
        _ => None,
    }
}

fn same(a: &JsonValue, b: &JsonValue) -> bool {
    compare_values(a, b) == Some(Ordering::Equal)
}

/// How two scalars compare, as the database compares them; `None` when they do not (NULL,
/// arrays, objects, or kinds that never compare).
fn compare_values(a: &JsonValue, b: &JsonValue) -> Option<Ordering> {
    match (a, b) {
        (JsonValue::Number(a), JsonValue::Number(b)) => Some(compare_numbers(a, b)),
        (JsonValue::Number(n), JsonValue::String(s)) => is_number(s).then(|| compare_numbers(n, s)),
        (JsonValue::String(s), JsonValue::Number(n)) => is_number(s).then(|| compare_numbers(s, n)),
        (JsonValue::String(a), JsonValue::String(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
        (JsonValue::Bool(a), JsonValue::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

fn is_number(text: &str) -> bool {
    crate::query::JsonNumber::parse(text).is_some()
}

/// A number's text as its sign, significant digits and the power of ten before the first digit
/// (`0.d1d2… × 10^power`): exact at any size, and without the float parser's 10 KB of wasm.
/// Zero has no digits.
fn decimal(text: &str) -> Option<(bool, Vec<u8>, i64)> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = rest.split_once(['e', 'E']).unwrap_or((rest, "0"));
    let (exponent_negative, exponent_digits) = match exponent.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, exponent.strip_prefix('+').unwrap_or(exponent)),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.len() + fraction.len() == 0
        || exponent_digits.is_empty()
        || !(all_digits(whole) && all_digits(fraction) && all_digits(exponent_digits))
    {
        return None;
    }
    let mut exponent = exponent_digits.bytes().fold(0i64, |n, d| {
        n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    if exponent_negative {
        exponent = -exponent;
    }
    let digits: Vec<u8> = whole.bytes().chain(fraction.bytes()).collect();
    let leading = digits.iter().take_while(|&&d| d == b'0').count();
    let mut significant = digits.get(leading..).unwrap_or_default().to_vec();
    while significant.last() == Some(&b'0') {
        significant.pop();
    }
    let power = exponent
        .saturating_add(whole.len() as i64)
        .saturating_sub(leading as i64);
    Some((negative && !significant.is_empty(), significant, power))
}

/// Numbers compare by value, exactly (as decimals, not as `f64`).
fn compare_numbers(a: &str, b: &str) -> Ordering {
    let (Some((a_negative, a_digits, a_power)), Some((b_negative, b_digits, b_power))) =
        (decimal(a), decimal(b))
    else {
        return a.cmp(b);
    };
    let sign = |negative: bool, digits: &[u8]| match (negative, digits.is_empty()) {
        (_, true) => 0,
        (true, false) => -1,
        (false, false) => 1,
    };
    let (a_sign, b_sign) = (sign(a_negative, &a_digits), sign(b_negative, &b_digits));
    if a_sign != b_sign || a_sign == 0 {
        return a_sign.cmp(&b_sign);
    }
    let magnitude = (a_power, &a_digits).cmp(&(b_power, &b_digits));
    if a_sign < 0 {
        magnitude.reverse()
    } else {
        magnitude
    }
}

/// A total order for sorting: NULL first, then booleans, numbers, strings, and the rest.
fn sort_order(a: Option<&JsonValue>, b: Option<&JsonValue>) -> Ordering {
    let rank = |v: Option<&JsonValue>| match v {
        None | Some(JsonValue::Null) => 0,
        Some(JsonValue::Bool(_)) => 1,
        Some(JsonValue::Number(_)) => 2,
        Some(JsonValue::String(_)) => 3,
        Some(_) => 4,
    };
    match (a, b) {
        (Some(a), Some(b)) if rank(Some(a)) == rank(Some(b)) && rank(Some(a)) < 4 => {
            compare_values(a, b).unwrap_or(Ordering::Equal)
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::compare_numbers;
    use core::cmp::Ordering::{Equal, Greater, Less};

    #[test]
    fn numbers_compare_by_exact_value() {
        for (a, b, expected) in [
            ("1", "2", Less),
            ("10", "9", Greater),
            ("-10", "-9", Less),
            ("0", "-0", Equal),
            ("0e5", "0.000", Equal),
            ("1.5", "1.50", Equal),
            ("1.5e1", "15", Equal),
            ("1e-3", "0.001", Equal),
            ("0.001", "0.01", Less),
            ("-0.5", "0", Less),
            ("12345678901234567890", "12345678901234567891", Less),
            ("9007199254740993", "9007199254740992", Greater),
            ("1e400", "1e399", Greater),
            ("-1e400", "-1e399", Less),
            ("2.5", "10", Less),
            ("007", "7", Equal),
        ] {
            assert_eq!(compare_numbers(a, b), expected, "{a} vs {b}");
            assert_eq!(compare_numbers(b, a), expected.reverse(), "{b} vs {a}");
        }
    }
}
