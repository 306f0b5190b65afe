//! Where a view's rows come from: the channel page code names, the REST list that answers for it,
//! and how that list's answers and the channel's events read.

use core::fmt;

use crate::json::{self, JsonValue};

use super::{EventKind, ListError};

/// A table's rows or a collection's documents: what a view can list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewSource {
    /// The REST path under the endpoint, e.g. `/tablesdb/main/tables/posts/rows`.
    pub path: String,
    /// The member of the list's answer that holds the rows (`rows` or `documents`).
    pub rows_member: &'static str,
}

/// A channel no view can list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError(pub String);

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SourceError {}

/// Appwrite's ids: letters, digits, `_` and `-`, at most 36 (a `.` would split the channel).
fn is_id(text: &str) -> bool {
    (1..=36).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl ViewSource {
    /// Reads `tablesdb.<db>.tables.<table>.rows` or `databases.<db>.collections.<c>.documents`.
    pub fn parse(channel: &str) -> Result<ViewSource, SourceError> {
        let parts: Vec<&str> = channel.split('.').collect();
        let (database, container, rows_member) = match parts.as_slice() {
            ["tablesdb", database, "tables", table, "rows"] => {
                (*database, ("tables", *table), "rows")
            }
            ["databases", database, "collections", collection, "documents"] => {
                (*database, ("collections", *collection), "documents")
            }
            _ => {
                return Err(SourceError(format!(
                    "A live view lists a table's rows (tablesdb.<db>.tables.<table>.rows) or a \
                     collection's documents (databases.<db>.collections.<collection>.documents), \
                     not \"{channel}\""
                )))
            }
        };
        if !is_id(database) || !is_id(container.1) {
            return Err(SourceError(format!(
                "A live view's channel names its database and table by id (letters, digits, _ \
                 and -, at most 36): \"{channel}\""
            )));
        }
        Ok(ViewSource {
            path: format!(
                "/{}/{database}/{}/{}/{rows_member}",
                parts[0], container.0, container.1
            ),
            rows_member,
        })
    }

    /// The rows of a list's answer: `status` is its HTTP status (0 for none) and `body` its text.
    /// A refusal carries the server's message; an answer that is not a list keeps its 2xx status.
    pub(crate) fn read_list(&self, status: u16, body: &str) -> Result<Vec<JsonValue>, ListError> {
        let parsed = json::parse(body);
        if !(200..300).contains(&status) {
            let message = match parsed.as_ref().ok().and_then(|v| v.member("message")) {
                Some(JsonValue::String(message)) => message.clone(),
                _ if status == 0 => body.to_string(),
                _ => format!("The list answered {status}"),
            };
            return Err(ListError { status, message });
        }
        match parsed {
            Ok(JsonValue::Object(mut members)) => members
                .iter()
                .position(|(name, _)| name == self.rows_member)
                .map(|at| members.swap_remove(at).1)
                .and_then(|rows| match rows {
                    JsonValue::Array(rows) => Some(rows),
                    _ => None,
                })
                .ok_or_else(|| ListError {
                    status,
                    message: format!("The list's answer has no {} array", self.rows_member),
                }),
            _ => Err(ListError {
                status,
                message: "The list's answer is not JSON".to_string(),
            }),
        }
    }
}

impl EventKind {
    /// What an event did, from its names (`….<id>.delete` for a deletion).
    pub fn of<'a>(mut events: impl Iterator<Item = &'a str>) -> EventKind {
        if events.any(|name| name.ends_with(".delete")) {
            EventKind::Delete
        } else {
            EventKind::Upsert
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_collections_have_their_rest_paths() {
        let rows = ViewSource::parse("tablesdb.main.tables.posts.rows").unwrap();
        assert_eq!(rows.path, "/tablesdb/main/tables/posts/rows");
        assert_eq!(rows.rows_member, "rows");
        let documents = ViewSource::parse("databases.d-1.collections.c_2.documents").unwrap();
        assert_eq!(documents.path, "/databases/d-1/collections/c_2/documents");
        assert_eq!(documents.rows_member, "documents");
    }

    #[test]
    fn other_channels_and_odd_ids_are_refused() {
        for channel in [
            "files",
            "tablesdb.main.tables.posts.rows.row1",
            "tablesdb.main.tables.posts",
            "databases.main.collections.posts.documents.create",
            "tablesdb.*.tables.posts.rows",
            "tablesdb.main.tables.a%2Fb.rows",
            "tablesdb..tables.posts.rows",
        ] {
            assert!(ViewSource::parse(channel).is_err(), "{channel}");
        }
        let long = format!("tablesdb.main.tables.{}.rows", "a".repeat(37));
        assert!(ViewSource::parse(&long).is_err());
    }

    #[test]
    fn list_answers_give_rows_or_the_servers_message() {
        let source = ViewSource::parse("tablesdb.main.tables.posts.rows").unwrap();
        let rows = source
            .read_list(200, r#"{"total":2,"rows":[{"$id":"a"},{"$id":"b"}]}"#)
            .unwrap();
        assert_eq!(rows.len(), 2);
        let refused = source
            .read_list(
                404,
                r#"{"message":"Table with the requested ID could not be found.","code":404}"#,
            )
            .unwrap_err();
        assert_eq!(refused.status, 404);
        assert_eq!(
            refused.message,
            "Table with the requested ID could not be found."
        );
        assert_eq!(
            source.read_list(502, "<html>").unwrap_err().message,
            "The list answered 502"
        );
        assert_eq!(source.read_list(200, "<html>").unwrap_err().status, 200);
        assert_eq!(
            source
                .read_list(200, r#"{"documents":[]}"#)
                .unwrap_err()
                .status,
            200
        );
        assert_eq!(
            source.read_list(0, "Failed to fetch").unwrap_err().message,
            "Failed to fetch"
        );
    }

    #[test]
    fn deletions_are_told_by_their_event_names() {
        let names = [
            "tablesdb.main.tables.posts.rows.r1.delete",
            "rows.r1.delete",
        ];
        assert_eq!(EventKind::of(names.into_iter()), EventKind::Delete);
        let names = ["tablesdb.main.tables.posts.rows.r1.update"];
        assert_eq!(EventKind::of(names.into_iter()), EventKind::Upsert);
    }
}
