//! Event names (`Event::generateEvents` + database mirroring) and the channels the
//! server publishes for them (`Realtime::fromPayload`).

use indexmap::IndexSet;

pub const SUPPORTED_ACTIONS: [&str; 4] = ["create", "update", "upsert", "delete"];

/// Channels whose last or second-to-last segment is one of these get a `.<action>` sibling.
const RESOURCE_LEAF_NAMES: [&str; 9] = [
    "documents",
    "rows",
    "files",
    "executions",
    "functions",
    "account",
    "teams",
    "memberships",
    "presences",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseType {
    /// The `databases` API: collections and documents.
    Legacy,
    /// The `tablesdb` API: tables and rows.
    TablesDb,
}

impl DatabaseType {
    pub fn as_str(self) -> &'static str {
        match self {
            DatabaseType::Legacy => "legacy",
            DatabaseType::TablesDb => "tablesdb",
        }
    }
}

/// The parts of an event pattern such as `teams.[teamId].memberships.[membershipId].update.status`.
struct ParsedPattern<'a> {
    kind: &'a str,
    resource: Option<&'a str>,
    sub: Option<(&'a str, &'a str)>,
    sub_sub: Option<(&'a str, &'a str)>,
    action: Option<&'a str>,
    attribute: Option<&'a str>,
}

fn parse_pattern(pattern: &str) -> ParsedPattern<'_> {
    let parts: Vec<&str> = pattern.split('.').collect();
    let count = parts.len();
    let has_sub = count > 3 && parts[3].starts_with('[');
    let has_sub_sub = has_sub && count > 5 && parts[5].starts_with('[');
    let attribute = if has_sub_sub {
        (count == 8).then(|| parts[7])
    } else if has_sub {
        (count == 6).then(|| parts[5])
    } else {
        (count == 4).then(|| parts[3])
    };
    let action = if !has_sub && count > 2 {
        Some(parts[2])
    } else if has_sub_sub {
        parts.get(6).copied()
    } else if has_sub && count > 4 {
        Some(parts[4])
    } else {
        None
    };
    ParsedPattern {
        kind: parts[0],
        resource: parts.get(1).copied(),
        sub: has_sub.then(|| (parts[2], parts[3])),
        sub_sub: has_sub_sub.then(|| (parts[4], parts[5])),
        action,
        attribute,
    }
}

/// Every event name for a pattern with `[param]` placeholders: the concrete name first,
/// then wildcard combinations and parent levels, deduplicated, in the server's order.
pub fn generate_events(pattern: &str, params: &[(&str, &str)]) -> Vec<String> {
    let parsed = parse_pattern(pattern);
    let base: Vec<&str> = [Some(parsed.kind), parsed.resource]
        .into_iter()
        .flatten()
        .collect();
    let join = |segments: &[&str]| segments.join(".");
    let mut sub_segments = base.clone();
    if let Some((sub_type, sub_resource)) = parsed.sub {
        sub_segments.extend([sub_type, sub_resource]);
    }
    let mut sub_sub_segments = sub_segments.clone();
    if let Some((kind, resource)) = parsed.sub_sub {
        sub_sub_segments.extend([kind, resource]);
    }
    let with_sub = |extra: &[&str]| join(&[sub_segments.as_slice(), extra].concat());
    let with_sub_sub = |extra: &[&str]| join(&[sub_sub_segments.as_slice(), extra].concat());

    let mut patterns: IndexSet<String> = IndexSet::new();
    if let Some(action) = parsed.action {
        if parsed.sub_sub.is_some() || parsed.sub.is_some() {
            if let Some(attribute) = parsed.attribute {
                patterns.insert(with_sub_sub(&[action, attribute]));
            }
            patterns.insert(with_sub_sub(&[action]));
            patterns.insert(with_sub_sub(&[]));
        } else {
            let mut segments = base.clone();
            segments.push(action);
            patterns.insert(join(&segments));
        }
        if let Some(attribute) = parsed.attribute {
            let mut segments = base.clone();
            segments.extend([action, attribute]);
            patterns.insert(join(&segments));
        }
    }
    if parsed.sub_sub.is_some() {
        patterns.insert(with_sub_sub(&[]));
    }
    if parsed.sub.is_some() {
        patterns.insert(with_sub(&[]));
    }
    patterns.insert(join(&base));

    let keys: Vec<&str> = params.iter().map(|(key, _)| *key).collect();
    let mut events: IndexSet<String> = IndexSet::new();
    for pattern in &patterns {
        let render = |starred: &[&str]| substitute(pattern, params, starred);
        events.insert(render(&[]));
        events.insert(render(&keys));
        for key in &keys {
            for current in &keys {
                if parsed.sub_sub.is_some() {
                    for sub_current in &keys {
                        if sub_current == current || sub_current == key {
                            continue;
                        }
                        events.insert(render(&[sub_current]));
                        events.insert(render(&[sub_current, current]));
                        events.insert(render(&[current]));
                    }
                } else if current != key {
                    events.insert(render(&[current]));
                }
            }
        }
    }
    events.into_iter().collect()
}

/// Replaces each `[key]` segment by its value, or by `*` for the starred keys.
fn substitute(pattern: &str, params: &[(&str, &str)], starred: &[&str]) -> String {
    pattern
        .split('.')
        .map(|segment| {
            let Some(key) = segment
                .strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
            else {
                return segment.to_string();
            };
            if starred.contains(&key) {
                return "*".to_string();
            }
            params
                .iter()
                .find(|(name, _)| *name == key)
                .map_or_else(|| key.to_string(), |(_, value)| value.to_string())
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Renames the collection-level segments of a database event (`databases.D.<level>.C.<item>.R…`).
fn rename_levels(event: &str, prefix: &str, level: &str, item: &str, item_schema: &str) -> String {
    let mut segments: Vec<&str> = event.split('.').collect();
    segments[0] = prefix;
    if let Some(segment) = segments.get_mut(2) {
        *segment = level;
    }
    if let Some(segment) = segments.get_mut(4) {
        *segment = match *segment {
            "documents" | "rows" => item,
            "attributes" | "columns" => item_schema,
            other => other,
        };
    }
    segments.join(".")
}

/// Database events for one document/row operation: legacy databases emit each
/// `databases…collections…documents` name followed by its `tables…rows` twin; TablesDB
/// databases emit `tablesdb…tables…rows`, then both `databases…` projections.
pub fn database_events(
    database_type: DatabaseType,
    database_id: &str,
    collection_id: &str,
    document_id: &str,
    action: &str,
) -> Vec<String> {
    let (pattern, params): (String, Vec<(&str, &str)>) = match database_type {
        DatabaseType::Legacy => (
            format!(
                "databases.[databaseId].collections.[collectionId].documents.[documentId].{action}"
            ),
            vec![
                ("databaseId", database_id),
                ("collectionId", collection_id),
                ("documentId", document_id),
            ],
        ),
        // The server also carries a `collectionId` param the tables pattern never uses;
        // it changes the wildcard order, which the fixture shows [inferred].
        DatabaseType::TablesDb => (
            format!("databases.[databaseId].tables.[tableId].rows.[rowId].{action}"),
            vec![
                ("databaseId", database_id),
                ("collectionId", collection_id),
                ("tableId", collection_id),
                ("rowId", document_id),
            ],
        ),
    };
    let mut mirrored: IndexSet<String> = IndexSet::new();
    for event in generate_events(&pattern, &params) {
        match database_type {
            DatabaseType::Legacy => {
                mirrored.insert(event.clone());
                mirrored.insert(rename_levels(
                    &event,
                    "databases",
                    "tables",
                    "rows",
                    "columns",
                ));
            }
            DatabaseType::TablesDb => {
                mirrored.insert(rename_levels(
                    &event, "tablesdb", "tables", "rows", "columns",
                ));
                mirrored.insert(rename_levels(
                    &event,
                    "databases",
                    "collections",
                    "documents",
                    "attributes",
                ));
                mirrored.insert(rename_levels(
                    &event,
                    "databases",
                    "tables",
                    "rows",
                    "columns",
                ));
            }
        }
    }
    mirrored.into_iter().collect()
}

/// Channels for an event, given its concrete (first) name. `project_id` is needed for
/// executions, which also publish on `projects.<id>`. Returns an empty list for
/// events that realtime never publishes.
pub fn channels_for_event(event: &str, project_id: &str) -> Vec<String> {
    let parts: Vec<&str> = event.split('.').collect();
    let part = |index: usize| parts.get(index).copied().unwrap_or("");
    let mut channels: Vec<String> = Vec::new();
    match part(0) {
        "users" => {
            channels.push("account".into());
            channels.push(format!("account.{}", part(1)));
        }
        "teams" if part(2) == "memberships" => {
            channels.push("memberships".into());
            channels.push(format!("memberships.{}", part(3)));
        }
        "teams" => {
            channels.push("teams".into());
            channels.push(format!("teams.{}", part(1)));
        }
        "databases" | "tablesdb" if matches!(part(4), "documents" | "rows") => {
            let (database, collection, document) = (part(1), part(3), part(5));
            if !database.is_empty() && !collection.is_empty() && !document.is_empty() {
                channels.extend([
                    "documents".to_string(),
                    format!("databases.{database}.collections.{collection}.documents"),
                    format!("databases.{database}.collections.{collection}.documents.{document}"),
                    "rows".to_string(),
                    format!("databases.{database}.tables.{collection}.rows"),
                    format!("databases.{database}.tables.{collection}.rows.{document}"),
                    format!("tablesdb.{database}.tables.{collection}.rows"),
                    format!("tablesdb.{database}.tables.{collection}.rows.{document}"),
                ]);
            }
        }
        "buckets" if part(2) == "files" => {
            channels.push("files".into());
            channels.push(format!("buckets.{}.files", part(1)));
            channels.push(format!("buckets.{}.files.{}", part(1), part(3)));
        }
        "functions" if part(2) == "executions" => {
            channels.extend([
                "console".to_string(),
                format!("projects.{project_id}"),
                "executions".to_string(),
                format!("executions.{}", part(3)),
                format!("functions.{}", part(1)),
            ]);
        }
        "presences" => {
            channels.push("presences".into());
            channels.push(format!("presences.{}", part(1)));
        }
        _ => {}
    }

    let count = parts.len();
    let mut action = if SUPPORTED_ACTIONS.contains(&parts[count - 1]) {
        Some(parts[count - 1])
    } else if count >= 2 && SUPPORTED_ACTIONS.contains(&parts[count - 2]) {
        Some(parts[count - 2])
    } else {
        None
    };
    // Only top-level user events (`users.U.<action>…`) get account action siblings.
    if part(0) == "users" && action.is_some() && parts.get(2).copied() != action {
        action = None;
    }
    let Some(action) = action else {
        return channels;
    };
    let mut augmented: IndexSet<String> = channels.iter().cloned().collect();
    for channel in &channels {
        let segments: Vec<&str> = channel.split('.').collect();
        let last = segments[segments.len() - 1];
        let parent = segments.len().checked_sub(2).map(|index| segments[index]);
        if RESOURCE_LEAF_NAMES.contains(&last)
            || parent.is_some_and(|p| RESOURCE_LEAF_NAMES.contains(&p))
        {
            augmented.insert(format!("{channel}.{action}"));
        }
    }
    augmented.into_iter().collect()
}

/// Events and channels for one trigger.
#[derive(Debug, Clone, PartialEq)]
pub struct EventNames {
    pub events: Vec<String>,
    pub channels: Vec<String>,
}

impl EventNames {
    /// For a non-database pattern such as `users.[userId].update.name`.
    pub fn from_pattern(pattern: &str, params: &[(&str, &str)], project_id: &str) -> EventNames {
        let events = generate_events(pattern, params);
        let channels = events
            .first()
            .map(|first| channels_for_event(first, project_id))
            .unwrap_or_default();
        EventNames { events, channels }
    }

    pub fn for_document(
        database_type: DatabaseType,
        database_id: &str,
        collection_id: &str,
        document_id: &str,
        action: &str,
    ) -> EventNames {
        let events = database_events(
            database_type,
            database_id,
            collection_id,
            document_id,
            action,
        );
        let channels = events
            .first()
            .map(|first| channels_for_event(first, ""))
            .unwrap_or_default();
        EventNames { events, channels }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn text<'a>(trigger: &'a Value, key: &str) -> &'a str {
        trigger[key]
            .as_str()
            .unwrap_or_else(|| panic!("fixture trigger lacks {key}"))
    }

    fn names_for(trigger: &Value) -> EventNames {
        match text(trigger, "kind") {
            "document" | "row" => {
                let database_type = match text(trigger, "databaseType") {
                    "legacy" => DatabaseType::Legacy,
                    "tablesdb" => DatabaseType::TablesDb,
                    other => panic!("unknown databaseType {other}"),
                };
                EventNames::for_document(
                    database_type,
                    text(trigger, "databaseId"),
                    text(trigger, "collectionId"),
                    text(trigger, "documentId"),
                    text(trigger, "action"),
                )
            }
            "account" => {
                let user_id = text(trigger, "userId");
                let event = text(trigger, "event");
                let pattern = event.replacen(&format!("users.{user_id}"), "users.[userId]", 1);
                EventNames::from_pattern(&pattern, &[("userId", user_id)], "p")
            }
            "file" => EventNames::from_pattern(
                &format!(
                    "buckets.[bucketId].files.[fileId].{}",
                    text(trigger, "action")
                ),
                &[
                    ("bucketId", text(trigger, "bucketId")),
                    ("fileId", text(trigger, "fileId")),
                ],
                "p",
            ),
            "membership" => EventNames::from_pattern(
                &format!(
                    "teams.[teamId].memberships.[membershipId].{}",
                    text(trigger, "event")
                ),
                &[
                    ("teamId", text(trigger, "teamId")),
                    ("membershipId", text(trigger, "membershipId")),
                ],
                "p",
            ),
            other => panic!("unknown trigger kind {other}"),
        }
    }

    #[test]
    fn every_fixture_vector_matches_exactly() {
        // A copy of shared/fixtures/event-vectors.json, so a lone clone can run this test.
        let raw = include_str!("../tests/fixtures/event-vectors.json");
        let vectors: Vec<Value> = serde_json::from_str(raw).expect("fixture is JSON");
        assert!(vectors.len() >= 5);
        for vector in &vectors {
            let names = names_for(&vector["trigger"]);
            let expected_events: Vec<String> =
                serde_json::from_value(vector["events"].clone()).unwrap();
            let expected_channels: Vec<String> =
                serde_json::from_value(vector["channels"].clone()).unwrap();
            assert_eq!(
                names.events, expected_events,
                "events for {}",
                vector["trigger"]
            );
            assert_eq!(
                names.channels, expected_channels,
                "channels for {}",
                vector["trigger"]
            );
        }
    }

    #[test]
    fn session_events_have_no_account_action_channels() {
        let names = EventNames::from_pattern(
            "users.[userId].sessions.[sessionId].create",
            &[("userId", "u1"), ("sessionId", "s1")],
            "p",
        );
        assert_eq!(names.events[0], "users.u1.sessions.s1.create");
        assert_eq!(names.channels, vec!["account", "account.u1"]);
    }

    #[test]
    fn execution_and_presence_channels() {
        let execution = EventNames::from_pattern(
            "functions.[functionId].executions.[executionId].create",
            &[("functionId", "fn1"), ("executionId", "e1")],
            "demo",
        );
        assert_eq!(
            execution.channels,
            vec![
                "console",
                "projects.demo",
                "executions",
                "executions.e1",
                "functions.fn1",
                "executions.create",
                "executions.e1.create",
                "functions.fn1.create"
            ]
        );
        let presence = EventNames::from_pattern(
            "presences.[presenceId].upsert",
            &[("presenceId", "x")],
            "demo",
        );
        assert_eq!(
            presence.events,
            vec![
                "presences.x.upsert",
                "presences.*.upsert",
                "presences.x",
                "presences.*"
            ]
        );
        assert_eq!(
            presence.channels,
            vec![
                "presences",
                "presences.x",
                "presences.upsert",
                "presences.x.upsert"
            ]
        );
        let team = EventNames::from_pattern("teams.[teamId].create", &[("teamId", "t1")], "demo");
        assert_eq!(
            team.channels,
            vec!["teams", "teams.t1", "teams.create", "teams.t1.create"]
        );
    }
}
