//! What a live view takes and gives: rows, events, changes, statuses and outputs.

use core::fmt;

use crate::json::JsonValue;

/// One row as the view orders and filters it, with the driver's `payload` for page code.
#[derive(Debug, Clone)]
pub struct Row<P> {
    pub(super) id: String,
    pub(super) sequence: u64,
    pub(super) updated_at: String,
    pub(super) fields: Vec<Option<JsonValue>>,
    /// What the driver hands page code for this row.
    pub payload: P,
}

impl<P> Row<P> {
    /// The row's `$id`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether `self` is an older version of the row than `other`: a row created again has a
    /// later `$sequence`, an edit a later `$updatedAt` (ISO 8601, so its text orders).
    pub(super) fn older_than(&self, other: &Row<P>) -> bool {
        (self.sequence, self.updated_at.as_str()) < (other.sequence, other.updated_at.as_str())
    }
}

/// Why a row cannot be in a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowError {
    /// Its text is not a JSON object.
    NotJson,
    /// It has no string `$id`.
    MissingId,
    /// It has no string `$updatedAt`.
    MissingUpdatedAt,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RowError::NotJson => "a row is not a JSON object",
            RowError::MissingId => "a row has no $id",
            RowError::MissingUpdatedAt => "a row has no $updatedAt",
        })
    }
}

impl std::error::Error for RowError {}

/// What an event did to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Created, updated or upserted: the payload is the row now.
    Upsert,
    /// Deleted: the payload is the row as it was.
    Delete,
}

/// How a change moved a row. Applied in the order given, each to the list as the changes
/// before it left it: `Removed` takes the row out at `old_index`, `Added` puts it in at
/// `new_index`, `Modified` does both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A row entered the view.
    Added,
    /// A row in the view changed, moved, or both.
    Modified,
    /// A row left the view.
    Removed,
}

/// One change of the view's rows.
#[derive(Debug, Clone)]
pub struct Change<P> {
    /// What happened.
    pub kind: ChangeKind,
    /// The row (as it was, for `Removed`).
    pub row: Row<P>,
    /// Where it was, but for `Added`.
    pub old_index: Option<usize>,
    /// Where it is now, but for `Removed`.
    pub new_index: Option<usize>,
}

/// Whether the rows are the server's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewStatus {
    /// The first list is on its way.
    Loading,
    /// Every change the subscription reported is applied.
    Synced,
    /// After a gap or a short window: a list is on its way, and the rows may be behind.
    CatchingUp,
}

/// A REST list that failed: its HTTP status (0 for no answer or one that could not be read)
/// and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListError {
    /// The HTTP status, or 0.
    pub status: u16,
    /// The server's message, or what went wrong.
    pub message: String,
}

/// What the view asks of its driver.
#[derive(Debug, Clone)]
pub enum ViewOutput<P> {
    /// Make the REST list of the view's queries and hand its rows to [`LiveView::listed`] with
    /// this request number.
    List {
        /// The number to answer with.
        request: u64,
    },
    /// The first result is in: [`LiveView::rows`].
    Loaded,
    /// The rows changed.
    Changes(Vec<Change<P>>),
    /// The status changed.
    Status(ViewStatus),
    /// A list failed and will be made again after a delay.
    Retrying(ListError),
    /// A list was refused for good (401, 403, 404, or the queries): the view ends.
    Ended(ListError),
}
