//! The order and the page of a REST list (utopia-php/database's `SQL::find` on MariaDB):
//! sort keys in a total order, the tie-break, the cursor condition, offset and limit.

use crate::db_query::{field, NumKey};
use crate::queries::as_php_number;
use crate::state::Document;
use serde_json::Value;
use std::cmp::Ordering;

/// One attribute's value in the sort order: NULL first (MariaDB), then numbers and booleans,
/// then strings byte-wise, then arrays and objects by their JSON text. A total order, so
/// sorting never sees an inconsistent comparison.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    Null,
    Number(NumKey),
    Text(String),
    Json(String),
}

impl SortKey {
    pub fn of(value: &Value) -> SortKey {
        match value {
            Value::Null => SortKey::Null,
            Value::Bool(flag) => SortKey::Number(NumKey::Int(i64::from(*flag))),
            Value::Number(_) => {
                as_php_number(value).map_or(SortKey::Null, |number| SortKey::Number(number.into()))
            }
            Value::String(text) => SortKey::Text(text.clone()),
            Value::Array(_) | Value::Object(_) => SortKey::Json(value.to_string()),
        }
    }
}

/// One term of the order: an attribute ascending or descending, or `orderRandom`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderTerm {
    pub attribute: String,
    pub descending: bool,
    pub random: bool,
}

/// Which side of the cursor document to list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CursorSide {
    After,
    Before,
}

/// The page: `documents` (already filtered and permitted) in `terms` order, strictly past the
/// cursor document's keys when there is one, then `offset` skipped and `limit` kept.
/// `cursorBefore` lists backwards from the cursor and returns the page in forward order.
pub fn window<'a>(
    documents: Vec<&'a Document>,
    terms: &[OrderTerm],
    cursor: Option<(&Document, CursorSide)>,
    offset: usize,
    limit: usize,
) -> Vec<&'a Document> {
    let keys_of = |document: &Document| -> Vec<SortKey> {
        terms
            .iter()
            .map(|term| match term.random {
                true => SortKey::Number(NumKey::Int(crate::ids::random_u64() as i64)),
                false => SortKey::of(&field(document, &term.attribute)),
            })
            .collect()
    };
    let mut keyed: Vec<(Vec<SortKey>, &Document)> = documents
        .into_iter()
        .map(|document| (keys_of(document), document))
        .collect();
    keyed.sort_by(|(left, _), (right, _)| in_order(terms, left, right));
    if let Some((cursor_document, side)) = cursor {
        let cursor_keys = keys_of(cursor_document);
        keyed.retain(|(keys, _)| {
            let wanted = match side {
                CursorSide::After => Ordering::Greater,
                CursorSide::Before => Ordering::Less,
            };
            past_cursor(terms, keys, &cursor_keys, wanted)
        });
        if side == CursorSide::Before {
            keyed.reverse();
        }
    }
    let mut page: Vec<&Document> = keyed
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|(_, document)| document)
        .collect();
    if matches!(cursor, Some((_, CursorSide::Before))) {
        page.reverse();
    }
    page
}

fn in_order(terms: &[OrderTerm], left: &[SortKey], right: &[SortKey]) -> Ordering {
    for ((term, a), b) in terms.iter().zip(left).zip(right) {
        let ordering = if term.descending { b.cmp(a) } else { a.cmp(b) };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

/// The adapter's cursor condition: for some term, every earlier term equals the cursor's and
/// this one lies past it (`wanted` in the listing direction). SQL comparisons with NULL fail,
/// so rows with NULL in an order attribute never follow a cursor on it. Random terms add no
/// condition.
fn past_cursor(
    terms: &[OrderTerm],
    keys: &[SortKey],
    cursor: &[SortKey],
    wanted: Ordering,
) -> bool {
    let mut earlier_equal = true;
    for ((term, key), cursor_key) in terms.iter().zip(keys).zip(cursor) {
        if term.random {
            continue;
        }
        if !earlier_equal {
            return false;
        }
        if *key == SortKey::Null || *cursor_key == SortKey::Null {
            return false;
        }
        let ordering = key.cmp(cursor_key);
        let ordering = if term.descending {
            ordering.reverse()
        } else {
            ordering
        };
        if ordering == wanted {
            return true;
        }
        earlier_equal = ordering == Ordering::Equal;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db_query::tests::document;
    use serde_json::json;

    #[test]
    fn sort_keys_are_totally_ordered_across_types() {
        let values = [
            json!(null),
            json!(-1.5),
            json!(false),
            json!(1),
            json!(1.5),
            json!(9_223_372_036_854_775_807_i64),
            json!(1e300),
            json!(""),
            json!("a"),
            json!([1]),
        ];
        let keys: Vec<SortKey> = values.iter().map(SortKey::of).collect();
        for (index, key) in keys.iter().enumerate() {
            for (other_index, other) in keys.iter().enumerate() {
                assert_eq!(
                    key.cmp(other),
                    index.cmp(&other_index),
                    "{key:?} vs {other:?}"
                );
            }
        }
        assert_eq!(SortKey::of(&json!(2.0)), SortKey::of(&json!(2)));
        assert_eq!(SortKey::of(&json!(-0.0)), SortKey::of(&json!(0)));
    }

    #[test]
    fn cursor_pages_follow_the_order_with_ties_broken_by_sequence() {
        let documents: Vec<Document> = (1..=7)
            .map(|n| document(&format!("d{n}"), n, json!({"g": n % 3})))
            .collect();
        let terms = [
            OrderTerm {
                attribute: "g".into(),
                descending: true,
                random: false,
            },
            OrderTerm {
                attribute: "$sequence".into(),
                descending: false,
                random: false,
            },
        ];
        let all: Vec<&Document> = documents.iter().collect();
        let ids = |page: Vec<&Document>| page.iter().map(|d| d.id.clone()).collect::<Vec<_>>();
        let full = ids(window(all.clone(), &terms, None, 0, 100));
        assert_eq!(full, ["d2", "d5", "d1", "d4", "d7", "d3", "d6"]);
        let after = window(
            all.clone(),
            &terms,
            Some((&documents[4], CursorSide::After)),
            0,
            2,
        );
        assert_eq!(ids(after), ["d1", "d4"]);
        let before = window(all, &terms, Some((&documents[3], CursorSide::Before)), 0, 2);
        assert_eq!(ids(before), ["d5", "d1"]);
    }
}
