//! Live views: a list of rows kept equal to the server's REST list (design §10). The list is the
//! truth and events are a fast path to it: the view lists once its subscription is acknowledged,
//! applies events by version (`$sequence`, then `$updatedAt`; never arrival order), evaluates its
//! filters itself (the server sends nothing for a row that stops matching a filtered
//! subscription, so a view subscribes unfiltered), refills its window from the list when
//! removals leave it short, and after a gap lists once and reports the difference as changes.
//!
//! Sans-IO like the engine: the driver makes the requests [`ViewOutput::List`] asks for, feeds
//! events, list results and the time, and shows the changes.

mod diff;
mod query;
mod source;
mod types;

use core::cmp::Ordering;
use std::collections::VecDeque;

use crate::json::{self, JsonValue};
use crate::Instant;
use diff::diff;
pub use query::{ViewQuery, ViewQueryError, DEFAULT_LIMIT};
pub use source::{SourceError, ViewSource};
pub use types::{Change, ChangeKind, EventKind, ListError, Row, RowError, ViewOutput, ViewStatus};

/// Events kept while a list is in flight; past this many, they are dropped and the view lists
/// again once that list is in.
const BUFFERED_EVENTS: usize = 10_000;

/// Rows that left the view whose versions are kept, so that an older event which arrives after
/// the list does not bring them back; past this many, the oldest are forgotten.
const GONE_ROWS: usize = 1_000;

/// An event that came while a list was in flight.
type Buffered<P> = (EventKind, Row<P>);

/// A list's rows, and the first fault of those left out with their number.
pub type ListedRows<P> = (Vec<Row<P>>, Option<(RowError, usize)>);

/// A live view's state machine.
#[derive(Debug)]
pub struct LiveView<P> {
    query: ViewQuery,
    rows: Vec<Row<P>>,
    /// Rows that left the view, at the version they left it: `$id`, `$sequence`, `$updatedAt`.
    gone: VecDeque<(String, u64, String)>,
    /// The last list filled the window: rows past its end may exist.
    full: bool,
    status: ViewStatus,
    loaded: bool,
    ended: bool,
    /// The list in flight, and the events that came while it was.
    listing: Option<(u64, Vec<Buffered<P>>)>,
    /// A list is wanted once the one in flight is in.
    again: bool,
    /// An event moved a row to the end of a full window, where the list must say whether it stays.
    unsure: bool,
    requests: u64,
    retry_at: Option<Instant>,
    failures: u32,
    outputs: VecDeque<ViewOutput<P>>,
}

impl<P: Clone> LiveView<P> {
    /// A view of `query`, loading; [`LiveView::start`] once its subscription is acknowledged.
    pub fn new(query: ViewQuery) -> Self {
        LiveView {
            query,
            rows: Vec::new(),
            gone: VecDeque::new(),
            full: false,
            status: ViewStatus::Loading,
            loaded: false,
            ended: false,
            listing: None,
            again: false,
            unsure: false,
            requests: 0,
            retry_at: None,
            failures: 0,
            outputs: VecDeque::new(),
        }
    }

    /// The rows, in the view's order.
    pub fn rows(&self) -> &[Row<P>] {
        &self.rows
    }

    /// Whether the rows are the server's.
    pub fn status(&self) -> ViewStatus {
        self.status
    }

    /// The query strings, for the REST list.
    pub fn queries(&self) -> &[String] {
        &self.query.texts
    }

    /// Reads a row from its JSON text.
    pub fn row(&self, text: &str, payload: P) -> Result<Row<P>, RowError> {
        let value = json::parse(text).map_err(|_| RowError::NotJson)?;
        self.row_of(&value, payload)
    }

    /// Reads a list's answer (`status` 0 for none, `body` its text) into rows; `payload(i)` is
    /// what page code gets for the `i`th. Rows that cannot be in a view are left out, and the
    /// first one's fault is given with their number.
    pub fn read_list(
        &self,
        source: &ViewSource,
        status: u16,
        body: &str,
        mut payload: impl FnMut(usize) -> P,
    ) -> Result<ListedRows<P>, ListError> {
        let values = source.read_list(status, body)?;
        let mut rows = Vec::with_capacity(values.len());
        let mut refused = None;
        for (index, value) in values.iter().enumerate() {
            match self.row_of(value, payload(index)) {
                Ok(row) => rows.push(row),
                Err(error) => {
                    let (first, count) = refused.unwrap_or((error, 0));
                    refused = Some((first, count + 1));
                }
            }
        }
        Ok((rows, refused))
    }

    fn row_of(&self, value: &JsonValue, payload: P) -> Result<Row<P>, RowError> {
        if !matches!(value, JsonValue::Object(_)) {
            return Err(RowError::NotJson);
        }
        let text_of = |name| match value.member(name) {
            Some(JsonValue::String(text)) => Some(text.clone()),
            _ => None,
        };
        let id = text_of("$id").ok_or(RowError::MissingId)?;
        let updated_at = text_of("$updatedAt").ok_or(RowError::MissingUpdatedAt)?;
        let sequence_text = match value.member("$sequence") {
            Some(JsonValue::String(text) | JsonValue::Number(text)) => Some(text.clone()),
            _ => None,
        };
        let sequence = sequence_text
            .as_deref()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let fields = self
            .query
            .attributes
            .iter()
            .map(|name| match (name.as_str(), &sequence_text) {
                // A string in the JSON, an integer in the database.
                ("$sequence", Some(text)) => Some(JsonValue::Number(text.clone())),
                _ => value.member(name).cloned(),
            })
            .collect();
        Ok(Row {
            id,
            sequence,
            updated_at,
            fields,
            payload,
        })
    }

    /// The subscription is acknowledged: the first list may go.
    pub fn start(&mut self, now: Instant) {
        self.list(now);
    }

    /// Events may have been missed (a reconnect, a handover, a resumed page): list once more,
    /// at once even while a failed list waits out its delay, since the connection is back.
    pub fn gap(&mut self, now: Instant) {
        if self.ended {
            return;
        }
        if self.loaded {
            self.set_status(ViewStatus::CatchingUp);
        }
        self.retry_at = None;
        self.list(now);
    }

    /// Stops the view: nothing more is asked for.
    pub fn close(&mut self) {
        self.ended = true;
        self.listing = None;
        self.retry_at = None;
    }

    /// An event of the view's channel.
    pub fn event(&mut self, now: Instant, kind: EventKind, row: Row<P>) {
        if self.ended || !self.loaded {
            // Before the first list is asked for, that list will hold it.
            if let Some((_, buffered)) = &mut self.listing {
                buffered.push((kind, row));
            }
            return;
        }
        if let Some((_, buffered)) = &mut self.listing {
            if buffered.len() < BUFFERED_EVENTS {
                buffered.push((kind, row));
            } else {
                buffered.clear();
                self.again = true;
            }
            return;
        }
        if self.query.anchored {
            // Offset and cursor windows move with rows before them, which the view does not hold.
            self.set_status(ViewStatus::CatchingUp);
            self.list(now);
            return;
        }
        let mut changes = Vec::new();
        self.apply(kind, row, &mut changes);
        if !changes.is_empty() {
            self.outputs.push_back(ViewOutput::Changes(changes));
        }
        if core::mem::take(&mut self.unsure) {
            self.set_status(ViewStatus::CatchingUp);
            self.list(now);
        }
        self.refill_if_short(now);
    }

    /// The answer to list `request`.
    pub fn listed(&mut self, now: Instant, request: u64, result: Result<Vec<Row<P>>, ListError>) {
        let buffered = match self.listing.take() {
            Some((current, buffered)) if current == request => buffered,
            other => {
                self.listing = other; // an answer to a list no longer wanted
                return;
            }
        };
        let rows = match result {
            Ok(rows) => rows,
            Err(error) if matches!(error.status, 400 | 401 | 403 | 404) => {
                self.ended = true;
                self.outputs.push_back(ViewOutput::Ended(error));
                return;
            }
            Err(error) => {
                self.failures += 1;
                let delay = 1000u64
                    .saturating_mul(1 << self.failures.min(5))
                    .min(30_000);
                self.retry_at = Some(Instant(now.0.saturating_add(delay)));
                self.outputs.push_back(ViewOutput::Retrying(error));
                return;
            }
        };
        self.failures = 0;
        let previous = core::mem::replace(&mut self.rows, rows);
        self.full = self.rows.len() >= self.query.limit;
        self.rows.truncate(self.query.limit);
        let listed = &self.rows;
        self.gone
            .retain(|(id, _, _)| !listed.iter().any(|row| row.id == *id));
        for row in &previous {
            if !self.rows.iter().any(|listed| listed.id == row.id) {
                self.forget(row);
            }
        }
        let mut ignored = Vec::new();
        for (kind, row) in buffered {
            self.apply(kind, row, &mut ignored);
        }
        if self.loaded {
            let changes = diff(previous, &self.rows);
            if !changes.is_empty() {
                self.outputs.push_back(ViewOutput::Changes(changes));
            }
        } else {
            self.loaded = true;
            self.outputs.push_back(ViewOutput::Loaded);
        }
        if core::mem::take(&mut self.again) | core::mem::take(&mut self.unsure) {
            self.list(now);
        } else {
            self.refill_if_short(now);
        }
        if self.listing.is_none() {
            self.set_status(ViewStatus::Synced);
        } else {
            self.set_status(ViewStatus::CatchingUp);
        }
    }

    /// When the view wants [`LiveView::handle_timeout`] called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.retry_at
    }

    /// Makes a failed list again once its delay is over.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.retry_at.is_some_and(|at| at <= now) {
            self.retry_at = None;
            self.list(now);
        }
    }

    /// The next thing to do or show.
    pub fn poll_output(&mut self) -> Option<ViewOutput<P>> {
        self.outputs.pop_front()
    }

    fn set_status(&mut self, status: ViewStatus) {
        if self.status != status {
            self.status = status;
            self.outputs.push_back(ViewOutput::Status(status));
        }
    }

    /// Asks for a list, or for one more after the one in flight.
    fn list(&mut self, now: Instant) {
        let _ = now;
        if self.ended || self.retry_at.is_some() {
            return;
        }
        if self.listing.is_some() {
            self.again = true;
            return;
        }
        self.requests += 1;
        self.listing = Some((self.requests, Vec::new()));
        self.outputs.push_back(ViewOutput::List {
            request: self.requests,
        });
    }

    /// Removals left a full window short: rows past it may belong in it now.
    fn refill_if_short(&mut self, now: Instant) {
        if self.full && self.rows.len() < self.query.limit {
            self.set_status(ViewStatus::CatchingUp);
            self.list(now);
        }
    }

    /// Where `row` goes among the held rows.
    fn position(&self, row: &Row<P>) -> usize {
        self.rows.partition_point(|held| {
            self.query
                .order(&held.fields, &row.fields, held.sequence.cmp(&row.sequence))
                == Ordering::Less
        })
    }

    /// Keeps the version at which `row` left the view.
    fn forget(&mut self, row: &Row<P>) {
        self.gone.retain(|(id, _, _)| *id != row.id);
        if self.gone.len() == GONE_ROWS {
            self.gone.pop_front();
        }
        self.gone
            .push_back((row.id.clone(), row.sequence, row.updated_at.clone()));
    }

    fn apply(&mut self, kind: EventKind, row: Row<P>, changes: &mut Vec<Change<P>>) {
        let held = self.rows.iter().position(|held| held.id == row.id);
        // A version no newer than the one that left the view: the event was on its way then.
        let left_after = self.gone.iter().any(|(id, sequence, updated_at)| {
            *id == row.id
                && (row.sequence, row.updated_at.as_str()) <= (*sequence, updated_at.as_str())
        });
        if held.is_none() && left_after {
            return;
        }
        if let Some(index) = held {
            // An edit the view has, or has a later one of; a deletion of an older life of the row.
            let stale = |held: &Row<P>| match kind {
                EventKind::Upsert => !held.older_than(&row),
                EventKind::Delete => row.older_than(held),
            };
            if self.rows.get(index).is_some_and(stale) {
                return;
            }
        }
        let old = held.map(|index| (index, self.rows.remove(index)));
        let removed = |(index, row): (usize, Row<P>)| Change {
            kind: ChangeKind::Removed,
            row,
            old_index: Some(index),
            new_index: None,
        };
        if kind == EventKind::Delete || !self.query.matches(&row.fields) {
            self.forget(&row);
            changes.extend(old.map(removed));
            return;
        }
        let at = self.position(&row);
        // Past the last row of a full window, rows the view does not hold may come first: a new
        // row stays out, and a row of the view stays in until the list says where it goes.
        if at >= self.query.limit || (at == self.rows.len() && self.full) {
            if old.is_none() {
                self.full |= at >= self.query.limit;
                return;
            }
            self.unsure = true;
        }
        self.rows.insert(at, row.clone());
        changes.push(Change {
            kind: if old.is_some() {
                ChangeKind::Modified
            } else {
                ChangeKind::Added
            },
            row,
            old_index: old.map(|(index, _)| index),
            new_index: Some(at),
        });
        if self.rows.len() > self.query.limit {
            self.full = true;
            if let Some(last) = self.rows.pop() {
                self.forget(&last);
                changes.push(removed((self.rows.len(), last)));
            }
        }
    }
}
