//! Live views for the Rust API ([`Connection::live`](crate::typed::Connection::live)): a table's
//! rows or a collection's documents, decoded into your type and kept equal to the REST list of
//! the same queries. The Rust counterpart of `js/live.js`: the same state machine
//! (`appwrite_realtime_core::live`), driven here with the connection's subscriptions, `fetch`
//! and a `gloo_timers` timeout.
//!
//! A view subscribes to its channel unfiltered (the server sends nothing for a row that stops
//! matching a filtered subscription), lists once the subscription is acknowledged, and lists
//! again after every gap the connection reports (its `resync` listeners).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::task::{Poll, Waker};

use appwrite_realtime_core::live::{
    Change, EventKind, ListError, LiveView as CoreView, RowError, ViewOutput, ViewQuery, ViewSource,
};
pub use appwrite_realtime_core::live::{ChangeKind, ViewStatus};
use appwrite_realtime_core::EventFrame;
use gloo_timers::callback::Timeout;
use js_sys::{Array, Function, Object, Reflect};
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::config::SharedConfig;
use crate::decode::JsPayload;
use crate::driver::{Callback, Driver, SubscriptionRef, Waiter};
use crate::error::{ErrorKind, RealtimeError};
use crate::timer::now;

#[wasm_bindgen(module = "/js/exports.js")]
extern "C" {
    /// JSON text of a payload, big integers (`BigInt`) with every digit.
    #[wasm_bindgen(js_name = toJson)]
    fn to_json(value: &JsValue) -> String;
}

#[wasm_bindgen(module = "/js/frames.js")]
extern "C" {
    /// `JSON.parse`, but integers beyond ±(2^53 − 1) become `BigInt`s.
    #[wasm_bindgen(js_name = parseExactly, catch)]
    fn parse_exactly(text: &str) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn console_warn(message: &str);
}

/// One change of a [`LiveView`]'s rows. Changes are applied in the order given, each to the list
/// as the changes before it left it: `Removed` takes the row out at `old_index`, `Added` puts it
/// in at `new_index`, `Modified` does both.
#[derive(Debug)]
pub struct LiveChange<T> {
    /// What happened.
    pub kind: ChangeKind,
    /// The row (as it was, for `Removed`): the same `Rc` as in [`LiveView::rows`].
    pub row: Rc<T>,
    /// Where it was, but for `Added`.
    pub old_index: Option<usize>,
    /// Where it is now, but for `Removed`.
    pub new_index: Option<usize>,
}

impl<T> Clone for LiveChange<T> {
    fn clone(&self) -> Self {
        LiveChange {
            kind: self.kind,
            row: self.row.clone(),
            old_index: self.old_index,
            new_index: self.new_index,
        }
    }
}

impl<T> From<Change<Rc<T>>> for LiveChange<T> {
    fn from(change: Change<Rc<T>>) -> Self {
        LiveChange {
            kind: change.kind,
            row: change.row.payload,
            old_index: change.old_index,
            new_index: change.new_index,
        }
    }
}

/// A live view's callback: the view, and the changes since the last call (none when only the
/// status changed or the view ended).
type OnChange<T> = Box<dyn FnMut(&LiveView<T>, &[LiveChange<T>])>;

/// A handle to a live view: a table's rows or a collection's documents under a set of queries,
/// kept equal to the server's REST list of the same queries. Cheap to clone (the handles share
/// one view); the view closes with [`LiveView::close`] or when its last handle is dropped.
///
/// Its callback (given to [`Connection::live`](crate::typed::Connection::live)) is called with
/// the changes, never with the first rows: read those with [`LiveView::rows`] once `live`
/// resolves. It is also called with no changes when only [`LiveView::status`] changed, or when
/// the view ended ([`LiveView::error`]), so that a signal set from it follows those too.
///
/// What the view cannot show, it leaves out and logs with `console.warn`: a row that does not
/// decode into `T` (the callback is not called for it), a row without `$id` or `$updatedAt`, and
/// a list that failed and is made again after a delay (from 1 s, doubling to 30 s).
pub struct LiveView<T> {
    shared: Rc<Shared<T>>,
}

impl<T> Clone for LiveView<T> {
    fn clone(&self) -> Self {
        LiveView {
            shared: self.shared.clone(),
        }
    }
}

impl<T> fmt::Debug for LiveView<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveView")
            .field("path", &self.shared.source.path)
            .field("queries", &self.shared.queries)
            .field("status", &self.status())
            .field("rows", &self.len())
            .finish()
    }
}

impl<T> LiveView<T> {
    /// The rows, in the queries' order: the same `Rc`s the changes carry.
    pub fn rows(&self) -> Vec<Rc<T>> {
        let core = self.shared.core.borrow();
        core.rows().iter().map(|row| row.payload.clone()).collect()
    }

    /// The row at `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<Rc<T>> {
        let core = self.shared.core.borrow();
        core.rows().get(index).map(|row| row.payload.clone())
    }

    /// How many rows the view holds.
    pub fn len(&self) -> usize {
        self.shared.core.borrow().rows().len()
    }

    /// Whether the view holds no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the rows are the server's (`Synced`), or a list is on its way after a gap or a
    /// short window (`CatchingUp`).
    pub fn status(&self) -> ViewStatus {
        self.shared.core.borrow().status()
    }

    /// Why the view ended, if it did: a list refused for good (`Invalid` for 400, `Terminal` for
    /// 401, 403 and 404). An ended view keeps its last rows.
    pub fn error(&self) -> Option<RealtimeError> {
        self.shared.error.borrow().clone()
    }

    /// Whether the view stopped, closed or ended: it changes no more.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.get()
    }

    /// Stops the view for every handle: unsubscribes and lists no more. The rows stay readable.
    pub fn close(&self) {
        self.shared.stop();
    }
}

/// What the handles of one view share. Everything the view hands to JS or the driver (its
/// subscription's callback, its `resync` listener, its timer, its lists in flight) holds it
/// weakly, so dropping the last handle drops it, and that closes the view.
struct Shared<T> {
    core: RefCell<CoreView<Rc<T>>>,
    source: ViewSource,
    queries: Vec<String>,
    settings: Rc<SharedConfig>,
    on_change: RefCell<OnChange<T>>,
    subscription: RefCell<Option<SubscriptionRef>>,
    /// The `resync` listener, and the function that removes it.
    resync: RefCell<Option<Resync>>,
    timer: RefCell<Option<Timeout>>,
    /// What `live()` resolves with once the first result is in, and who waits for it.
    first: RefCell<First>,
    /// The callback was told of changes: the first result was handed out.
    loaded: Cell<bool>,
    closed: Cell<bool>,
    error: RefCell<Option<RealtimeError>>,
}

/// A view's `resync` listener, and the function that removes it.
type Resync = (Closure<dyn FnMut()>, Function);

/// The outcome `live()` waits for.
#[derive(Default)]
struct First {
    outcome: Option<Result<(), RealtimeError>>,
    waker: Option<Waker>,
    /// `live()` was resolved or failed (its outcome may be taken already).
    settled: bool,
}

/// The `RealtimeError` of a failed list.
fn list_error(error: ListError) -> RealtimeError {
    let kind = match error.status {
        0 => ErrorKind::Closed,
        400 => ErrorKind::Invalid,
        401 | 403 | 404 => ErrorKind::Terminal,
        429 => ErrorKind::RateLimited,
        200..=299 => ErrorKind::Protocol,
        _ => ErrorKind::Server,
    };
    RealtimeError::new(kind, error.status.into(), error.message)
}

fn row_refused(error: RowError, count: usize) {
    console_warn(&match count {
        1 => format!("A live view left a row out: {error}"),
        _ => format!(
            "A live view left {count} rows out: {error}, and {} more",
            count - 1
        ),
    });
}

/// Opens a view of `channel` under `queries` on `driver`; resolves once the first list is in.
pub(crate) async fn open<T, F>(
    driver: &Rc<Driver>,
    settings: Rc<SharedConfig>,
    channel: &str,
    queries: Vec<String>,
    on_change: F,
) -> Result<LiveView<T>, RealtimeError>
where
    T: DeserializeOwned + 'static,
    F: FnMut(&LiveView<T>, &[LiveChange<T>]) + 'static,
{
    let source = ViewSource::parse(channel).map_err(|error| RealtimeError::invalid(&error.0))?;
    let query =
        ViewQuery::parse(&queries).map_err(|error| RealtimeError::invalid(&error.to_string()))?;
    let shared = Rc::new(Shared {
        core: RefCell::new(CoreView::new(query)),
        source,
        queries,
        settings,
        on_change: RefCell::new(Box::new(on_change)),
        subscription: RefCell::new(None),
        resync: RefCell::new(None),
        timer: RefCell::new(None),
        first: RefCell::new(First::default()),
        loaded: Cell::new(false),
        closed: Cell::new(false),
        error: RefCell::new(None),
    });
    let weak = Rc::downgrade(&shared);
    let callback = Callback::Rust(Rc::new(RefCell::new(
        move |event: &EventFrame<JsPayload>| {
            if let Some(shared) = weak.upgrade() {
                shared.event(event);
            }
        },
    )));
    let key = driver.subscribe(vec![channel.to_string()], Vec::new(), callback)?;
    // Kept before the wait, so that a cancelled `live()` (its future dropped) unsubscribes.
    *shared.subscription.borrow_mut() = Some(driver.reference(key));
    let (acknowledged, waiter) = Waiter::future();
    driver.commit(key, Some(waiter));
    acknowledged.await?;

    let weak = Rc::downgrade(&shared);
    let on_resync = Closure::<dyn FnMut()>::new(move || {
        if let Some(shared) = weak.upgrade() {
            shared.drive(|core| core.gap(now()));
        }
    });
    let remove = driver.listen("resync", on_resync.as_ref().unchecked_ref());
    *shared.resync.borrow_mut() = Some((on_resync, remove));

    shared.drive(|core| core.start(now()));
    std::future::poll_fn(|context| {
        let mut first = shared.first.borrow_mut();
        match first.outcome.take() {
            Some(outcome) => Poll::Ready(outcome),
            None => {
                first.waker = Some(context.waker().clone());
                Poll::Pending
            }
        }
    })
    .await?;
    Ok(LiveView { shared })
}

impl<T: DeserializeOwned + 'static> Shared<T> {
    /// An event of the view's channel.
    fn event(self: &Rc<Self>, event: &EventFrame<JsPayload>) {
        if self.closed.get() {
            return;
        }
        let value = event.payload.value();
        let names: Vec<String> = Reflect::get(&event.payload.data, &JsValue::from_str("events"))
            .ok()
            .and_then(|names| serde_wasm_bindgen::from_value(names).ok())
            .unwrap_or_default();
        let kind = EventKind::of(names.iter().map(String::as_str));
        let decoded = match serde_wasm_bindgen::from_value::<T>(value.clone()) {
            Ok(decoded) => Rc::new(decoded),
            Err(error) => {
                console_warn(&format!(
                    "A live view left an event out: its payload does not match the expected \
                     type: {error}"
                ));
                return;
            }
        };
        let text = to_json(&if value.is_undefined() {
            JsValue::NULL
        } else {
            value
        });
        let row = self.core.borrow().row(&text, decoded);
        match row {
            Ok(row) => self.drive(|core| core.event(now(), kind, row)),
            Err(error) => row_refused(error, 1),
        }
    }

    /// `step(core)`, then what the core asks for: lists, the callback, the first result, the end.
    fn drive(self: &Rc<Self>, step: impl FnOnce(&mut CoreView<Rc<T>>)) {
        if self.closed.get() {
            return;
        }
        step(&mut self.core.borrow_mut());
        let mut changes = Vec::new();
        let mut status_changed = false;
        let mut loaded = false;
        let mut ended = None;
        loop {
            let output = self.core.borrow_mut().poll_output();
            let Some(output) = output else { break };
            match output {
                ViewOutput::List { request } => self.list(request),
                ViewOutput::Loaded => loaded = true,
                ViewOutput::Changes(more) => changes.extend(more.into_iter().map(LiveChange::from)),
                ViewOutput::Status(_) => status_changed = true,
                ViewOutput::Retrying(error) => console_warn(&format!(
                    "A live view's list failed and is made again: {}",
                    list_error(error)
                )),
                ViewOutput::Ended(error) => {
                    ended = Some(list_error(error));
                    break;
                }
            }
        }
        if let Some(error) = ended {
            self.end(error);
        } else if loaded && !self.loaded.get() {
            self.settle(Ok(()));
        }
        if self.loaded.get() && (!changes.is_empty() || status_changed || self.closed.get()) {
            let view = LiveView {
                shared: self.clone(),
            };
            // Not re-entered: the view's own work never calls it from inside it.
            if let Ok(mut on_change) = self.on_change.try_borrow_mut() {
                on_change(&view, &changes);
            }
        }
        if loaded {
            self.loaded.set(true);
        }
        self.arm();
    }

    /// Arms the timer for the core's retry deadline, or disarms it.
    fn arm(self: &Rc<Self>) {
        let deadline = match self.closed.get() {
            true => None,
            false => self.core.borrow().poll_timeout(),
        };
        let timeout = deadline.map(|at| {
            let delay = at.0.saturating_sub(now().0).min(i32::MAX as u64) as u32;
            let weak = Rc::downgrade(self);
            Timeout::new(delay, move || {
                if let Some(shared) = weak.upgrade() {
                    shared.drive(|core| core.handle_timeout(now()));
                }
            })
        });
        *self.timer.borrow_mut() = timeout;
    }

    /// Makes list `request` and hands its answer to the core.
    fn list(self: &Rc<Self>, request: u64) {
        let url = {
            let mut url = [self.settings.rest_endpoint().as_str(), &self.source.path].concat();
            for (index, query) in self.queries.iter().enumerate() {
                url.push(if index == 0 { '?' } else { '&' });
                url.push_str(&format!(
                    "queries[{index}]={}",
                    String::from(js_sys::encode_uri_component(query))
                ));
            }
            url
        };
        let credentials = self.settings.credentials();
        let mut headers = vec![("X-Appwrite-Project", credentials.project)];
        headers.extend(credentials.session.map(|s| ("X-Appwrite-Session", s)));
        headers.extend(credentials.jwt.map(|jwt| ("X-Appwrite-JWT", jwt)));
        let weak = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            let (status, body) = match fetch(&url, &headers).await {
                Ok(answer) => answer,
                Err(thrown) => (0, crate::args::error_text(&thrown)),
            };
            if let Some(shared) = weak.upgrade() {
                shared.listed(request, status, body);
            }
        });
    }

    /// The answer to list `request`: its rows decoded into `T`, those that do not decode left out.
    fn listed(self: &Rc<Self>, request: u64, status: u16, mut body: String) {
        if self.closed.get() {
            return;
        }
        let mut rows = Vec::new();
        if (200..300).contains(&status) {
            let member = JsValue::from_str(self.source.rows_member);
            let array = parse_exactly(&body)
                .ok()
                .and_then(|parsed| Reflect::get(&parsed, &member).ok())
                .filter(Array::is_array)
                .map(JsCast::unchecked_into::<Array>);
            match array {
                Some(array) => {
                    let kept = Array::new();
                    let mut refused = None;
                    for value in array.iter() {
                        match serde_wasm_bindgen::from_value::<T>(value.clone()) {
                            Ok(row) => {
                                rows.push(Rc::new(row));
                                kept.push(&value);
                            }
                            Err(error) => {
                                let (first, count) = refused.unwrap_or((error.to_string(), 0));
                                refused = Some((first, count + 1));
                            }
                        }
                    }
                    if let Some((first, count)) = refused {
                        console_warn(&format!(
                            "A live view left {count} listed row(s) out: they do not match the \
                             expected type: {first}"
                        ));
                        // The core reads the rows that decoded, so that its rows and these agree.
                        let answer = Object::new();
                        let _ = Reflect::set(&answer, &member, &kept);
                        body = to_json(&answer);
                    }
                }
                // Not JSON, or no array of rows: the core tells why, from the text.
                None => body.clear(),
            }
        }
        self.drive(|core| {
            let mut payloads = rows.into_iter();
            let read = core.read_list(&self.source, status, &body, |_| {
                payloads.next().expect("the list's rows and its text agree")
            });
            let result = match read {
                Ok((rows, refused)) => {
                    if let Some((error, count)) = refused {
                        row_refused(error, count);
                    }
                    Ok(rows)
                }
                Err(error) => Err(error),
            };
            core.listed(now(), request, result);
        });
    }
}

impl<T> Shared<T> {
    /// Resolves or fails `live()`; false once it was.
    fn settle(&self, outcome: Result<(), RealtimeError>) -> bool {
        let waker = {
            let mut first = self.first.borrow_mut();
            if first.settled {
                return false;
            }
            first.settled = true;
            first.outcome = Some(outcome);
            first.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        true
    }

    /// The view ended for `error`: it fails `live()`, or is kept for [`LiveView::error`].
    fn end(&self, error: RealtimeError) {
        *self.error.borrow_mut() = Some(error.clone());
        let told = self.settle(Err(error.clone()));
        self.stop();
        if !told {
            console_warn(&format!("A live view ended: {error}"));
        }
    }

    /// Unsubscribes, stops listening and disarms: nothing reaches the view any more.
    fn stop(&self) {
        if self.closed.replace(true) {
            return;
        }
        if let Ok(mut core) = self.core.try_borrow_mut() {
            core.close();
        }
        let subscription = self.subscription.borrow_mut().take();
        if let Some(SubscriptionRef { driver, key }) = subscription {
            if let Some(driver) = driver.upgrade() {
                driver.unsubscribe(key);
            }
        }
        let resync = self.resync.borrow_mut().take();
        if let Some((_listener, remove)) = resync {
            let _ = remove.call0(&JsValue::UNDEFINED);
        }
        self.timer.borrow_mut().take();
        self.settle(Err(RealtimeError::new(
            ErrorKind::Closed,
            0,
            "The live view was closed",
        )));
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `fetch(url)` with `headers` and the page's cookies: the answer's status and text.
async fn fetch(url: &str, headers: &[(&str, String)]) -> Result<(u16, String), JsValue> {
    let init = web_sys::RequestInit::new();
    init.set_credentials(web_sys::RequestCredentials::Include);
    let sent = web_sys::Headers::new()?;
    for (name, value) in headers {
        sent.set(name, value)?;
    }
    init.set_headers(&sent);
    let request = web_sys::Request::new_with_str_and_init(url, &init)?;
    let global = js_sys::global();
    let answer = if let Some(window) = global.dyn_ref::<web_sys::Window>() {
        window.fetch_with_request(&request)
    } else if let Some(worker) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
        worker.fetch_with_request(&request)
    } else {
        return Err(JsValue::from_str("No fetch here"));
    };
    let response: web_sys::Response = JsFuture::from(answer).await?.dyn_into()?;
    let text = JsFuture::from(response.text()?).await?;
    Ok((response.status(), text.as_string().unwrap_or_default()))
}
