//! The live view's state machine (`appwrite_realtime_core::live`) for `js/live.js`, which makes
//! the REST lists, keeps the timer and calls page code. A wasm module of its own, which the
//! package loads on the first `live()`: in the main one it would cost every app 15 KB gzipped
//! (measured in the commit that added it). Rows carry their JS object as payload, so the changes
//! hand page code the objects it was given. Errors cross as text: `js/live.js` makes them
//! `RealtimeError`s of the main module, so that one class serves both.
//!
//! Outputs cross as small arrays, decoded by `js/live.js` (`drain`):
//! `[0, request]` list; `[1]` loaded; `[2, kind, row, oldIndex, newIndex, …]` changes (kind 0
//! added, 1 modified, 2 removed; -1 for no index); `[3, status]` (0 loading, 1 synced,
//! 2 catching up); `[4, code, kind, message]` retrying; `[5, code, kind, message]` ended.

use appwrite_realtime_core::live::{
    ChangeKind, EventKind, ListError, LiveView, RowError, ViewOutput, ViewQuery, ViewSource,
    ViewStatus,
};
use appwrite_realtime_core::Instant;
use js_sys::Array;
use wasm_bindgen::prelude::*;

// wasm32-unknown-unknown runs one thread, which is what `AssumeSingleThreaded` asks for.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Milliseconds on the page's monotonic clock.
fn now() -> Instant {
    Instant(performance_now().max(0.0) as u64)
}

/// One live view's state: what `js/live.js` feeds and drains.
#[wasm_bindgen]
pub struct LiveCore {
    view: LiveView<JsValue>,
    source: ViewSource,
}

/// The `RealtimeError` kind of a failed list.
fn list_error_kind(error: &ListError) -> &'static str {
    match error.status {
        0 => "closed",
        400 => "invalid",
        401 | 403 | 404 => "terminal",
        429 => "rate-limited",
        200..=299 => "protocol",
        _ => "server",
    }
}

/// The message of a `protocol` error for rows left out.
fn row_error(error: RowError, count: usize) -> String {
    match count {
        1 => format!("{error}; it is left out of the view"),
        _ => format!(
            "{error}, and {} more; they are left out of the view",
            count - 1
        ),
    }
}

#[wasm_bindgen]
impl LiveCore {
    /// A view of `channel` (a table's rows or a collection's documents) under `queries`; throws
    /// the message of an `invalid` error.
    #[wasm_bindgen(constructor)]
    pub fn new(channel: &str, queries: Vec<String>) -> Result<LiveCore, String> {
        let source = ViewSource::parse(channel).map_err(|e| e.0)?;
        let query = ViewQuery::parse(&queries).map_err(|e| e.to_string())?;
        Ok(LiveCore {
            view: LiveView::new(query),
            source,
        })
    }

    /// The REST path of the list, under the endpoint.
    pub fn path(&self) -> String {
        self.source.path.clone()
    }

    /// Which member of a list's answer holds the rows.
    #[wasm_bindgen(js_name = rowsMember)]
    pub fn rows_member(&self) -> String {
        self.source.rows_member.to_string()
    }

    /// The subscription is acknowledged.
    pub fn start(&mut self) {
        self.view.start(now());
    }

    /// Events may have been missed.
    pub fn gap(&mut self) {
        self.view.gap(now());
    }

    /// An event: its names, its payload's JSON text and the payload. A payload that cannot be a
    /// row gives the message of the error to report.
    pub fn event(&mut self, names: Vec<String>, text: &str, payload: JsValue) -> Option<String> {
        let kind = EventKind::of(names.iter().map(String::as_str));
        match self.view.row(text, payload) {
            Ok(row) => {
                self.view.event(now(), kind, row);
                None
            }
            Err(error) => Some(row_error(error, 1)),
        }
    }

    /// The answer to list `request`: its HTTP status (0 for none), its text, and its rows as
    /// page code gets them. Rows left out give the message of the error to report.
    pub fn listed(
        &mut self,
        request: f64,
        status: u16,
        body: &str,
        rows: &Array,
    ) -> Option<String> {
        let read = self
            .view
            .read_list(&self.source, status, body, |index| rows.get(index as u32));
        let (result, refused) = match read {
            Ok((rows, refused)) => (Ok(rows), refused),
            Err(error) => (Err(error), None),
        };
        self.view.listed(now(), request as u64, result);
        refused.map(|(error, count)| row_error(error, count))
    }

    /// Every output since the last call.
    pub fn drain(&mut self) -> Array {
        let outputs = Array::new();
        while let Some(output) = self.view.poll_output() {
            let item = Array::new();
            let failed = |item: &Array, tag: u32, error: &ListError| {
                item.push(&tag.into());
                item.push(&error.status.into());
                item.push(&list_error_kind(error).into());
                item.push(&error.message.as_str().into());
            };
            match output {
                ViewOutput::List { request } => {
                    item.push(&0.into());
                    item.push(&(request as f64).into());
                }
                ViewOutput::Loaded => {
                    item.push(&1.into());
                }
                ViewOutput::Changes(changes) => {
                    item.push(&2.into());
                    let index = |at: Option<usize>| at.map_or(-1.0, |at| at as f64).into();
                    for change in changes {
                        let kind = match change.kind {
                            ChangeKind::Added => 0,
                            ChangeKind::Modified => 1,
                            ChangeKind::Removed => 2,
                        };
                        item.push(&kind.into());
                        item.push(&change.row.payload);
                        item.push(&index(change.old_index));
                        item.push(&index(change.new_index));
                    }
                }
                ViewOutput::Status(status) => {
                    item.push(&3.into());
                    let code = match status {
                        ViewStatus::Loading => 0,
                        ViewStatus::Synced => 1,
                        ViewStatus::CatchingUp => 2,
                    };
                    item.push(&code.into());
                }
                ViewOutput::Retrying(error) => failed(&item, 4, &error),
                ViewOutput::Ended(error) => failed(&item, 5, &error),
            }
            outputs.push(&item);
        }
        outputs
    }

    /// When `handleTimeout` is wanted, in `performance.now()` milliseconds; -1 for never.
    pub fn deadline(&self) -> f64 {
        self.view.poll_timeout().map_or(-1.0, |at| at.0 as f64)
    }

    /// The deadline came.
    #[wasm_bindgen(js_name = handleTimeout)]
    pub fn handle_timeout(&mut self) {
        self.view.handle_timeout(now());
    }

    /// The rows, in the view's order.
    pub fn rows(&self) -> Array {
        self.view
            .rows()
            .iter()
            .map(|row| row.payload.clone())
            .collect()
    }

    /// Stops the view.
    pub fn close(&mut self) {
        self.view.close();
    }
}
