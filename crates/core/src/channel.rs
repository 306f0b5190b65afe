//! Channel name builders, one type per step, producing the strings of the official SDK's
//! `Channel` class (npm `appwrite` 28.0.0): `Channel.database("d").collection("c").document()`
//! is `database("d")?.collection("c")?.document(None)?` here.
//!
//! Ids are trimmed and must not be blank, as in the official `normalize()`; a blank id is
//! [`ChannelError::MissingId`] rather than a thrown `Error("Channel ID is required")`.
//! Action suffixes exist exactly where the official types allow them: `create/update/delete` on
//! documents, rows, files, teams, memberships and presences; `upsert` on documents, rows and
//! presences.

use core::fmt;

/// Why a channel could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelError {
    /// The id was empty or only whitespace.
    MissingId,
}

impl ChannelError {
    /// The error's text, as the official SDK words it.
    pub fn message(&self) -> &'static str {
        match self {
            ChannelError::MissingId => "Channel ID is required",
        }
    }
}

impl fmt::Display for ChannelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for ChannelError {}

/// Trims like JavaScript's `String.prototype.trim` (which also strips U+FEFF).
fn normalize(id: &str) -> Result<&str, ChannelError> {
    let trimmed = id.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if trimmed.is_empty() {
        Err(ChannelError::MissingId)
    } else {
        Ok(trimmed)
    }
}

/// `parent.segment[.id]`, built without `format!` so the shipped wasm links no formatting code.
fn join(parent: &str, segment: &str, id: Option<&str>) -> Result<String, ChannelError> {
    let id = id.map(normalize).transpose()?;
    let mut path = String::with_capacity(parent.len() + segment.len() + 2 + id.map_or(0, str::len));
    path.push_str(parent);
    path.push('.');
    path.push_str(segment);
    if let Some(id) = id {
        path.push('.');
        path.push_str(id);
    }
    Ok(path)
}

macro_rules! channel_step {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// The channel string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(channel: $name) -> String {
                channel.0
            }
        }
    };
}

macro_rules! actions {
    ($name:ident: $($action:ident),+) => {
        impl $name {
            $(
                #[doc = concat!("`….", stringify!($action), "`: only `", stringify!($action), "` events.")]
                pub fn $action(&self) -> Resolved {
                    Resolved([self.0.as_str(), concat!(".", stringify!($action))].concat())
                }
            )+
        }
    };
}

channel_step!(
    /// `databases.<id>`: a valid string that never fires on its own.
    Database
);
channel_step!(
    /// `databases.<db>.collections.<id>`.
    Collection
);
channel_step!(
    /// `databases.<db>.collections.<c>.documents[.<id>]`.
    Document
);
channel_step!(
    /// `tablesdb.<id>`.
    TablesDb
);
channel_step!(
    /// `tablesdb.<db>.tables.<id>`.
    Table
);
channel_step!(
    /// `tablesdb.<db>.tables.<t>.rows[.<id>]`.
    Row
);
channel_step!(
    /// `buckets.<id>`.
    Bucket
);
channel_step!(
    /// `buckets.<b>.files[.<id>]`.
    File
);
channel_step!(
    /// `functions.<id>`.
    Function
);
channel_step!(
    /// `executions.<id>`.
    Execution
);
channel_step!(
    /// `teams.<id>`.
    Team
);
channel_step!(
    /// `memberships.<id>`.
    Membership
);
channel_step!(
    /// `presences.<id>`.
    Presence
);
channel_step!(
    /// A channel with an action suffix; nothing can follow it.
    Resolved
);

actions!(Document: create, update, upsert, delete);
actions!(Row: create, update, upsert, delete);
actions!(File: create, update, delete);
actions!(Team: create, update, delete);
actions!(Membership: create, update, delete);
actions!(Presence: create, update, upsert, delete);

/// `databases.<id>`.
pub fn database(id: &str) -> Result<Database, ChannelError> {
    Ok(Database(["databases.", normalize(id)?].concat()))
}

/// `tablesdb.<id>`.
pub fn tablesdb(id: &str) -> Result<TablesDb, ChannelError> {
    Ok(TablesDb(["tablesdb.", normalize(id)?].concat()))
}

/// `buckets.<id>`.
pub fn bucket(id: &str) -> Result<Bucket, ChannelError> {
    Ok(Bucket(["buckets.", normalize(id)?].concat()))
}

/// `functions.<id>`.
pub fn function(id: &str) -> Result<Function, ChannelError> {
    Ok(Function(["functions.", normalize(id)?].concat()))
}

/// `executions.<id>`.
pub fn execution(id: &str) -> Result<Execution, ChannelError> {
    Ok(Execution(["executions.", normalize(id)?].concat()))
}

/// `teams.<id>`.
pub fn team(id: &str) -> Result<Team, ChannelError> {
    Ok(Team(["teams.", normalize(id)?].concat()))
}

/// `memberships.<id>`.
pub fn membership(id: &str) -> Result<Membership, ChannelError> {
    Ok(Membership(["memberships.", normalize(id)?].concat()))
}

/// `presences.<id>`.
pub fn presence(id: &str) -> Result<Presence, ChannelError> {
    Ok(Presence(["presences.", normalize(id)?].concat()))
}

impl Database {
    /// `….collections.<id>`.
    pub fn collection(&self, id: &str) -> Result<Collection, ChannelError> {
        join(&self.0, "collections", Some(id)).map(Collection)
    }
}

impl Collection {
    /// `….documents`, or `….documents.<id>` for one document.
    pub fn document(&self, id: Option<&str>) -> Result<Document, ChannelError> {
        join(&self.0, "documents", id).map(Document)
    }
}

impl TablesDb {
    /// `….tables.<id>`.
    pub fn table(&self, id: &str) -> Result<Table, ChannelError> {
        join(&self.0, "tables", Some(id)).map(Table)
    }
}

impl Table {
    /// `….rows`, or `….rows.<id>` for one row.
    pub fn row(&self, id: Option<&str>) -> Result<Row, ChannelError> {
        join(&self.0, "rows", id).map(Row)
    }
}

impl Bucket {
    /// `….files`, or `….files.<id>` for one file.
    pub fn file(&self, id: Option<&str>) -> Result<File, ChannelError> {
        join(&self.0, "files", id).map(File)
    }
}

/// `account`: the current user's events.
pub const ACCOUNT: &str = "account";
/// `documents`: every readable document.
pub const DOCUMENTS: &str = "documents";
/// `rows`: every readable row.
pub const ROWS: &str = "rows";
/// `files`: every readable file.
pub const FILES: &str = "files";
/// `executions`: every readable execution.
pub const EXECUTIONS: &str = "executions";
/// `teams`: every team the user belongs to.
pub const TEAMS: &str = "teams";
/// `memberships`: every membership the user can read.
pub const MEMBERSHIPS: &str = "memberships";
/// `presences`: every readable presence.
pub const PRESENCES: &str = "presences";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_official_strings() -> Result<(), ChannelError> {
        let collection = database("main")?.collection("posts")?;
        assert_eq!(
            collection.document(None)?.as_str(),
            "databases.main.collections.posts.documents"
        );
        assert_eq!(
            collection.document(Some("p1"))?.upsert().as_str(),
            "databases.main.collections.posts.documents.p1.upsert"
        );
        let table = tablesdb("db")?.table("t")?;
        assert_eq!(
            table.row(None)?.create().as_str(),
            "tablesdb.db.tables.t.rows.create"
        );
        assert_eq!(
            table.row(Some("r"))?.delete().as_str(),
            "tablesdb.db.tables.t.rows.r.delete"
        );
        assert_eq!(
            bucket("b")?.file(Some("f"))?.update().as_str(),
            "buckets.b.files.f.update"
        );
        assert_eq!(bucket("b")?.file(None)?.as_str(), "buckets.b.files");
        assert_eq!(function("fn")?.as_str(), "functions.fn");
        assert_eq!(execution("e")?.as_str(), "executions.e");
        assert_eq!(team("t")?.create().as_str(), "teams.t.create");
        assert_eq!(membership("m")?.delete().as_str(), "memberships.m.delete");
        assert_eq!(presence("x")?.upsert().as_str(), "presences.x.upsert");
        assert_eq!(database("d")?.to_string(), "databases.d");
        assert_eq!(String::from(team("t")?), "teams.t");
        Ok(())
    }

    #[test]
    fn trims_ids_and_rejects_blank_ones() {
        assert_eq!(
            database("  main\t").map(String::from),
            Ok("databases.main".to_string())
        );
        assert_eq!(
            team("\u{feff} ").map(String::from),
            Err(ChannelError::MissingId)
        );
        assert_eq!(database("").map(String::from), Err(ChannelError::MissingId));
        let collection = database("d").and_then(|d| d.collection("c"));
        assert_eq!(
            collection.and_then(|c| c.document(Some(" "))),
            Err(ChannelError::MissingId)
        );
        assert_eq!(
            ChannelError::MissingId.to_string(),
            "Channel ID is required"
        );
    }
}
