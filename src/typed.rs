//! The Rust API, for Rust front ends (Leptos, Yew, Dioxus): the same connection as the JS
//! `Realtime`, with payloads decoded into your own types.
//!
//! ```no_run
//! use appwrite_realtime_wasm::typed::{Connection, Event};
//! use appwrite_realtime_wasm::{Client, RealtimeError};
//! use futures_util::StreamExt;
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Post {
//!     #[serde(rename = "$id")]
//!     id: String,
//!     title: String,
//! }
//!
//! async fn watch_posts() -> Result<(), RealtimeError> {
//!     let client = Client::new().set_endpoint("http://127.0.0.1:8787/v1")?.set_project("demo");
//!     let connection = Connection::new(&client);
//!
//!     // With a closure:
//!     let _posts = connection
//!         .subscribe("databases.main.collections.posts.documents", Vec::<String>::new(),
//!             |event: Result<Event<Post>, RealtimeError>| {
//!                 if let Ok(event) = event {
//!                     println!("{} is now {:?}", event.payload.id, event.payload.title);
//!                 }
//!             })
//!         .await?;
//!
//!     // Or as a stream; dropping the subscription ends the stream.
//!     let (_files, mut events) = connection.stream::<serde_json::Value>("files", Vec::<String>::new()).await?;
//!     while let Some(event) = events.next().await {
//!         println!("{:?}", event?.events);
//!     }
//!     Ok(())
//! }
//! ```
//!
//! A live view keeps a table's rows or a collection's documents equal to the REST list of the
//! same queries, and says what changed:
//!
//! ```no_run
//! use appwrite_realtime_wasm::typed::{ChangeKind, Connection, LiveChange, LiveView};
//! use appwrite_realtime_wasm::RealtimeError;
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Task {
//!     #[serde(rename = "$id")]
//!     id: String,
//!     title: String,
//! }
//!
//! async fn open_tasks(connection: &Connection) -> Result<LiveView<Task>, RealtimeError> {
//!     let view = connection
//!         .live(
//!             "tablesdb.main.tables.tasks.rows",
//!             [
//!                 r#"{"method":"equal","attribute":"done","values":[false]}"#,
//!                 r#"{"method":"orderDesc","attribute":"$createdAt"}"#,
//!             ],
//!             |view: &LiveView<Task>, changes: &[LiveChange<Task>]| {
//!                 for change in changes {
//!                     if change.kind == ChangeKind::Added {
//!                         println!("new task {}: {}", change.row.id, change.row.title);
//!                     }
//!                 }
//!                 // Or set a signal: `set_tasks(view.rows())`.
//!                 println!("{} open tasks ({:?})", view.len(), view.status());
//!             },
//!         )
//!         .await?;
//!     println!("{} open tasks", view.rows().len());
//!     // Dropping the last handle (or `view.close()`) unsubscribes.
//!     Ok(view)
//! }
//! ```

use std::cell::RefCell;
use std::collections::VecDeque;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use serde::de::DeserializeOwned;

use crate::client::Client;
pub use crate::config::Options;
use crate::config::{ClientSource, SharedConfig};
use crate::decode::JsPayload;
use crate::driver::{Callback, Driver, SubscriptionRef, Waiter};
use crate::error::{ErrorKind, RealtimeError};
pub use crate::live_view::{ChangeKind, LiveChange, LiveView, ViewStatus};
use appwrite_realtime_core::EventFrame as Envelope;

/// One event, with its payload decoded into `T`.
#[derive(Clone, Debug, PartialEq)]
pub struct Event<T> {
    /// Event names, e.g. `databases.main.collections.posts.documents.<id>.create`.
    pub events: Vec<String>,
    /// The channels the event was published on.
    pub channels: Vec<String>,
    /// When the server published it (`2026-01-01T12:00:00.000+00:00`).
    pub timestamp: String,
    /// The resource, decoded.
    pub payload: T,
    /// The server's ids of this connection's subscriptions that matched.
    pub subscriptions: Vec<String>,
}

/// One multiplexed connection; the socket opens on the first subscription.
pub struct Connection {
    driver: Rc<Driver>,
    /// The client's settings, for the REST lists of live views.
    settings: Rc<SharedConfig>,
}

impl Connection {
    /// A connection with the default [`Options`].
    pub fn new(client: &Client) -> Connection {
        Connection::open(client, Options::default())
    }

    /// A connection with these options; refuses options with a zero duration.
    pub fn with_options(client: &Client, options: Options) -> Result<Connection, RealtimeError> {
        Ok(Connection::open(client, options.checked()?))
    }

    fn open(client: &Client, options: Options) -> Connection {
        Connection {
            driver: Driver::new(ClientSource::Native(client.settings()), options, None),
            settings: client.settings(),
        }
    }

    /// Subscribes `callback` to `channels`; resolves once the server acknowledged it. A payload
    /// that does not decode into `T` reaches the callback as an error, and delivery goes on.
    pub async fn subscribe<T, F>(
        &self,
        channels: impl Channels,
        queries: impl IntoIterator<Item = impl Into<String>>,
        mut callback: F,
    ) -> Result<Subscription, RealtimeError>
    where
        T: DeserializeOwned + 'static,
        F: FnMut(Result<Event<T>, RealtimeError>) + 'static,
    {
        let callback = Callback::Rust(Rc::new(RefCell::new(move |event: &Envelope<JsPayload>| {
            callback(decode(event));
        })));
        let queries = queries.into_iter().map(Into::into).collect();
        let key = self
            .driver
            .subscribe(channels.into_channels(), queries, callback)?;
        // Made before the wait, so that a cancelled wait unsubscribes.
        let subscription = Subscription {
            inner: self.driver.reference(key),
        };
        let (acknowledged, waiter) = Waiter::future();
        self.driver.commit(key, Some(waiter));
        acknowledged.await?;
        Ok(subscription)
    }

    /// Subscribes and returns the events as a [`Stream`], which ends when the subscription is
    /// dropped or fails.
    pub async fn stream<T: DeserializeOwned + 'static>(
        &self,
        channels: impl Channels,
        queries: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<(Subscription, EventStream<T>), RealtimeError> {
        let shared = Rc::new(RefCell::new(StreamState {
            queue: VecDeque::new(),
            waker: None,
            ended: false,
        }));
        let sender = StreamSender(shared.clone());
        let subscription = self
            .subscribe(channels, queries, move |event| sender.send(event))
            .await?;
        Ok((subscription, EventStream(shared)))
    }

    /// A live view of `channel` (a table's rows, `tablesdb.<db>.tables.<table>.rows`, or a
    /// collection's documents, `databases.<db>.collections.<collection>.documents`) under
    /// `queries` (filters, orders, `limit`, `offset`, cursors, as the REST list takes them):
    /// rows decoded into `T`, kept equal to the REST list of the same queries, with
    /// `on_change` told of every change. The Rust counterpart of JS `realtime.live()`.
    ///
    /// Resolves once the first list is in ([`LiveView::rows`]). Fails with
    /// [`ErrorKind::Invalid`] for another channel or a query a view cannot take, and for a list
    /// the server refused as invalid (400); with [`ErrorKind::Terminal`] for a list refused
    /// for good (401, 403, 404). Lists go to the client's REST endpoint with its project and
    /// session or JWT, and the page's cookies.
    pub async fn live<T: DeserializeOwned + 'static>(
        &self,
        channel: &str,
        queries: impl IntoIterator<Item = impl Into<String>>,
        on_change: impl FnMut(&LiveView<T>, &[LiveChange<T>]) + 'static,
    ) -> Result<LiveView<T>, RealtimeError> {
        let queries = queries.into_iter().map(Into::into).collect();
        crate::live_view::open(
            &self.driver,
            self.settings.clone(),
            channel,
            queries,
            on_change,
        )
        .await
    }

    /// Closes the socket and drops every subscription.
    pub fn disconnect(&self) {
        self.driver.disconnect();
    }
}

/// A live subscription; dropping it unsubscribes.
#[must_use = "dropping a Subscription unsubscribes it"]
pub struct Subscription {
    inner: SubscriptionRef,
}

impl Subscription {
    /// Replaces the channels and/or queries on the same socket; resolves once acknowledged.
    pub async fn update(
        &self,
        channels: Option<Vec<String>>,
        queries: Option<Vec<String>>,
    ) -> Result<(), RealtimeError> {
        let driver =
            self.inner.driver.upgrade().ok_or_else(|| {
                RealtimeError::new(ErrorKind::Closed, 0, "The connection is gone")
            })?;
        driver.update(self.inner.key, channels, queries)?;
        let (acknowledged, waiter) = Waiter::future();
        driver.commit(self.inner.key, Some(waiter));
        drop(driver);
        acknowledged.await
    }

    /// Unsubscribes now (the same as dropping it).
    pub fn unsubscribe(self) {}
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(driver) = self.inner.driver.upgrade() {
            driver.unsubscribe(self.inner.key);
        }
    }
}

/// One channel or several.
pub trait Channels {
    /// The channel strings.
    fn into_channels(self) -> Vec<String>;
}

impl Channels for &str {
    fn into_channels(self) -> Vec<String> {
        vec![self.to_string()]
    }
}

impl Channels for String {
    fn into_channels(self) -> Vec<String> {
        vec![self]
    }
}

impl<S: Into<String>> Channels for Vec<S> {
    fn into_channels(self) -> Vec<String> {
        self.into_iter().map(Into::into).collect()
    }
}

impl<S: Into<String> + Clone> Channels for &[S] {
    fn into_channels(self) -> Vec<String> {
        self.iter().cloned().map(Into::into).collect()
    }
}

fn decode<T: DeserializeOwned>(event: &Envelope<JsPayload>) -> Result<Event<T>, RealtimeError> {
    let mismatch = |err: serde_wasm_bindgen::Error| {
        RealtimeError::new(
            ErrorKind::Protocol,
            0,
            format!("The payload does not match the expected type: {err}"),
        )
    };
    let payload = serde_wasm_bindgen::from_value(event.payload.value()).map_err(mismatch)?;
    // Event names and the timestamp stay in the frame's `data` object.
    let data = &event.payload.data;
    let member = |name: &str| js_sys::Reflect::get(data, &name.into()).unwrap_or_default();
    Ok(Event {
        events: serde_wasm_bindgen::from_value(member("events")).unwrap_or_default(),
        channels: event.channels.clone(),
        timestamp: member("timestamp").as_string().unwrap_or_default(),
        payload,
        subscriptions: event.subscriptions.clone(),
    })
}

struct StreamState<T> {
    queue: VecDeque<Result<Event<T>, RealtimeError>>,
    waker: Option<Waker>,
    ended: bool,
}

/// The subscription's end of a stream; its drop (when the subscription goes) ends the stream.
struct StreamSender<T>(Rc<RefCell<StreamState<T>>>);

impl<T> StreamSender<T> {
    fn send(&self, event: Result<Event<T>, RealtimeError>) {
        let waker = {
            let mut state = self.0.borrow_mut();
            state.queue.push_back(event);
            state.waker.take()
        };
        // Woken after the borrow: an executor may poll the stream from inside `wake`.
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Drop for StreamSender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.0.borrow_mut();
            state.ended = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Events of one subscription, in arrival order.
pub struct EventStream<T>(Rc<RefCell<StreamState<T>>>);

impl<T> Stream for EventStream<T> {
    type Item = Result<Event<T>, RealtimeError>;

    fn poll_next(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut state = self.0.borrow_mut();
        if let Some(event) = state.queue.pop_front() {
            return Poll::Ready(Some(event));
        }
        if state.ended {
            return Poll::Ready(None);
        }
        state.waker = Some(context.waker().clone());
        Poll::Pending
    }
}
