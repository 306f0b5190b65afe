//! Drives one sans-IO [`Engine`] with a browser WebSocket and one timer, and hands its outputs to
//! callbacks and to whoever waits for an acknowledgement (a JS promise or a Rust future).
//!
//! Reentrancy: every borrow of the engine or the tables below ends before JS code runs, and
//! [`Driver::drain`] keeps polling while callbacks subscribe, update or unsubscribe, so user code
//! may call anything from inside a callback.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use appwrite_realtime_core::{
    ConnectionState, Endpoint, Engine, EventFrame, FrameError, Output, Presence, ServerFrame,
    SubscribeError, SubscriptionKey, UpdateError,
};
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::args::split_items;
use crate::config::{ClientConfig, ClientSource, ConfigListener, Options};
use crate::decode::JsPayload;
use crate::error::{ErrorKind, RealtimeError};
use crate::socket::{Socket, SocketListener};
use crate::timer::{now, Timer, TimerListener};

/// Who waits for the server to acknowledge a subscription or its update.
pub(crate) enum Waiter {
    /// A JS promise, resolved with `value`.
    Promise {
        resolve: Function,
        reject: Function,
        value: JsValue,
    },
    /// A Rust [`Acknowledgement`].
    Future(AckSender),
}

impl Waiter {
    /// A promise resolving with `value` once acknowledged, and its waiter.
    pub(crate) fn promise(value: JsValue) -> (Promise, Waiter) {
        let parts = deferred();
        let (resolve, reject) = (parts.get(1).unchecked_into(), parts.get(2).unchecked_into());
        (
            parts.get(0).unchecked_into(),
            Waiter::Promise {
                resolve,
                reject,
                value,
            },
        )
    }

    /// A future ready once acknowledged, and its waiter.
    pub(crate) fn future() -> (Acknowledgement, Waiter) {
        let slot = Rc::new(RefCell::new(AckSlot::default()));
        (
            Acknowledgement(slot.clone()),
            Waiter::Future(AckSender(slot)),
        )
    }

    fn settle(self, outcome: Result<(), &RealtimeError>) {
        match self {
            Waiter::Promise {
                resolve,
                reject,
                value,
            } => {
                let _ = match outcome {
                    Ok(()) => resolve.call1(&JsValue::UNDEFINED, &value),
                    Err(error) => reject.call1(&JsValue::UNDEFINED, &error.to_js()),
                };
            }
            Waiter::Future(sender) => sender.send(outcome.map_err(Clone::clone)),
        }
    }
}

#[derive(Default)]
struct AckSlot {
    outcome: Option<Result<(), RealtimeError>>,
    waker: Option<Waker>,
}

/// The driver's end of an [`Acknowledgement`]; dropped unsettled (the connection went away), it
/// fails the future rather than leaving it pending forever.
pub(crate) struct AckSender(Rc<RefCell<AckSlot>>);

impl AckSender {
    fn send(&self, outcome: Result<(), RealtimeError>) {
        let waker = {
            let mut slot = self.0.borrow_mut();
            slot.outcome.get_or_insert(outcome);
            slot.waker.take()
        };
        // Woken after the borrow: an executor may poll the future from inside `wake`.
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl Drop for AckSender {
    fn drop(&mut self) {
        let gone = RealtimeError::new(ErrorKind::Closed, 0, "The connection is gone");
        self.send(Err(gone));
    }
}

/// Ready when the server acknowledged a subscription (or its update), or with why it did not.
pub(crate) struct Acknowledgement(Rc<RefCell<AckSlot>>);

impl Future for Acknowledgement {
    type Output = Result<(), RealtimeError>;

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.0.borrow_mut();
        match slot.outcome.take() {
            Some(outcome) => Poll::Ready(outcome),
            None => {
                slot.waker = Some(context.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Who receives a subscription's events: page code, or a Rust closure (which gets the decoded
/// envelope directly, with no JS event object built for it).
#[derive(Clone)]
pub(crate) enum Callback {
    Js(Function),
    Rust(RustCallback),
}

pub(crate) type RustCallback = Rc<RefCell<dyn FnMut(&EventFrame<JsPayload>)>>;

struct Subscriber {
    callback: Callback,
    waiters: Vec<Waiter>,
}

/// Subscribers in key order: keys only grow and are pushed at the end, so lookups bisect, and a
/// vector serves where a map would add kilobytes to the shipped wasm.
#[derive(Default)]
struct Subscribers(Vec<(u64, Subscriber)>);

impl Subscribers {
    fn insert(&mut self, key: u64, subscriber: Subscriber) {
        self.0.push((key, subscriber));
    }
    fn position(&self, key: &u64) -> Option<usize> {
        self.0.binary_search_by_key(key, |(k, _)| *k).ok()
    }
    fn get(&self, key: &u64) -> Option<&Subscriber> {
        self.position(key).map(|at| &self.0[at].1)
    }
    fn get_mut(&mut self, key: &u64) -> Option<&mut Subscriber> {
        self.position(key).map(|at| &mut self.0[at].1)
    }
    fn remove(&mut self, key: &u64) -> Option<Subscriber> {
        self.position(key).map(|at| self.0.remove(at).1)
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    fn into_values(self) -> impl Iterator<Item = Subscriber> {
        self.0.into_iter().map(|(_, subscriber)| subscriber)
    }
}

#[wasm_bindgen(module = "/js/hub.js")]
extern "C" {
    #[wasm_bindgen(js_name = createHub)]
    fn create_hub(share_across_tabs: bool) -> JsValue;
    #[wasm_bindgen(js_name = idPrefixOf)]
    fn id_prefix_of(hub: &JsValue) -> String;
    #[wasm_bindgen(js_name = addListener)]
    fn add_listener(hub: &JsValue, kind: &str, callback: &Function) -> Function;
    fn emit(hub: &JsValue, kind: &str, first: &JsValue, second: &JsValue) -> u32;
    fn record(hub: &JsValue, kind: &str, detail: &JsValue);
    #[wasm_bindgen(js_name = statsOf)]
    fn stats_of(hub: &JsValue, events_delivered: f64, round_trip: f64) -> JsValue;
    #[wasm_bindgen(js_name = logOf)]
    fn log_of(hub: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = connectionState)]
    fn connection_state(
        hub: &JsValue,
        status: &str,
        retry_in: f64,
        last_error: &JsValue,
        url_mode: bool,
    ) -> JsValue;
}

#[wasm_bindgen(module = "/js/early.js")]
extern "C" {
    /// The row sent on the socket just claimed (openEarly): its wire id, channels and queries.
    #[wasm_bindgen(js_name = takeEarlySent)]
    fn take_early_sent(hub: &JsValue) -> Option<String>;
    /// The session of the `authentication` sent on the socket just claimed, if one was.
    #[wasm_bindgen(js_name = takeEarlySession)]
    fn take_early_session(hub: &JsValue) -> Option<String>;
}

#[wasm_bindgen(module = "/js/watch.js")]
extern "C" {
    #[wasm_bindgen(js_name = watchChanges)]
    fn watch_changes(on_change: &Closure<dyn Fn(JsValue, JsValue)>, client: &JsValue) -> Function;
}

#[wasm_bindgen(module = "/js/subscription.js")]
extern "C" {
    /// `[promise, resolve, reject]`.
    fn deferred() -> js_sys::Array;
}

/// What the driver follows for its lifetime: the network, the page's visibility and freezing,
/// and the writes to a JS client's settings.
struct Watch {
    /// The socket's message handler's signature, so no second closure shim is generated.
    _on_change: Closure<dyn Fn(JsValue, JsValue)>,
    stop: Function,
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.stop.call0(&JsValue::UNDEFINED);
    }
}

/// What `realtime.state.status` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Idle,
    Connecting,
    Connected,
    Reconnecting,
    Closed,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Idle => "idle",
            Status::Connecting => "connecting",
            Status::Connected => "connected",
            Status::Reconnecting => "reconnecting",
            Status::Closed => "closed",
        }
    }
}

pub(crate) struct Driver {
    me: Weak<Driver>,
    client: ClientSource,
    engine: RefCell<Engine<JsPayload>>,
    /// The client settings the engine was last given.
    applied: RefCell<Option<ClientConfig>>,
    /// Shared so that a send or close runs with no borrow held: a socket may call back into the
    /// driver from inside either (a shared socket moving to its session's group does).
    socket: RefCell<Option<Rc<Socket>>>,
    timer: RefCell<Option<Timer>>,
    subscribers: RefCell<Subscribers>,
    /// The `open`, `close`, `error`, `resync` and `state` listeners, the counters and the log
    /// (`js/hub.js`).
    hub: JsValue,
    status: Cell<Status>,
    /// When the pending reconnect is due, while reconnecting.
    retry_at: Cell<Option<appwrite_realtime_core::Instant>>,
    last_error: RefCell<JsValue>,
    draining: Cell<bool>,
    /// Whether a presence was set (the core re-sends it after every reconnect).
    has_presence: Cell<bool>,
    /// The connection itself while it has something to deliver or keep: like the official SDK's
    /// socket listeners, this keeps subscriptions alive when page code drops its `Realtime`.
    /// Released on the last unsubscribe and on `disconnect()`, which ends the cycle.
    keep_alive: RefCell<Option<Rc<Driver>>>,
    /// Set by `disconnect()` until the next subscription or presence, so that its idle state
    /// reads `closed`.
    disconnected: Cell<bool>,
    watch: RefCell<Option<Watch>>,
    events_delivered: Cell<u32>,
}

impl Driver {
    /// A driver reporting to `hub` (js/hub.js `createHub`), or to a hub of its own.
    pub(crate) fn new(client: ClientSource, options: Options, hub: Option<JsValue>) -> Rc<Driver> {
        let hub = hub.unwrap_or_else(|| create_hub(options.share_across_tabs));
        let engine = Engine::new(options.core_config(jitter_seed(), id_prefix_of(&hub)));
        let driver = Rc::new_cyclic(|me| Driver {
            me: me.clone(),
            client,
            engine: RefCell::new(engine),
            applied: RefCell::new(None),
            socket: RefCell::new(None),
            timer: RefCell::new(None),
            subscribers: RefCell::new(Subscribers::default()),
            hub,
            status: Cell::new(Status::Idle),
            retry_at: Cell::new(None),
            last_error: RefCell::new(JsValue::NULL),
            draining: Cell::new(false),
            has_presence: Cell::new(false),
            keep_alive: RefCell::new(None),
            disconnected: Cell::new(false),
            watch: RefCell::new(None),
            events_delivered: Cell::new(0),
        });
        let me = Rc::downgrade(&driver);
        // `Fn`: a state listener may write a client setting, which calls this again from inside
        // it; wasm-bindgen throws when an `FnMut` closure is re-entered.
        let on_change =
            Closure::<dyn Fn(JsValue, JsValue)>::new(move |kind: JsValue, flag: JsValue| {
                if let Some(driver) = me.upgrade() {
                    driver.changed(&kind.as_string().unwrap_or_default(), flag.is_truthy());
                }
            });
        let stop = watch_changes(&on_change, &driver.client.js_client());
        *driver.watch.borrow_mut() = Some(Watch {
            _on_change: on_change,
            stop,
        });
        let listener: Weak<dyn ConfigListener> = Rc::downgrade(&driver) as Weak<Driver>;
        driver.client.register(listener);
        driver
    }

    /// Adds a subscription; [`Driver::commit`] sends it.
    pub(crate) fn subscribe(
        &self,
        channels: Vec<String>,
        queries: Vec<String>,
        callback: Callback,
    ) -> Result<u64, RealtimeError> {
        crate::socket::ensure_websocket()?;
        self.sync_config()?;
        self.disconnected.set(false);
        let mut engine = self.engine.borrow_mut();
        #[cfg(feature = "trap-injection")]
        crate::trap::fire_if_armed();
        let key = engine.subscribe(now(), channels, queries).map_err(|err| {
            let code = match &err {
                SubscribeError::InvalidQuery { error, .. } => error.code,
                _ => 0,
            };
            RealtimeError::new(ErrorKind::Invalid, code, err.message())
        })?;
        drop(engine);
        self.subscribers.borrow_mut().insert(
            key.0,
            Subscriber {
                callback,
                waiters: Vec::new(),
            },
        );
        Ok(key.0)
    }

    /// Changes a subscription; [`Driver::commit`] sends the change.
    pub(crate) fn update(
        &self,
        key: u64,
        channels: Option<Vec<String>>,
        queries: Option<Vec<String>>,
    ) -> Result<(), RealtimeError> {
        self.sync_config()?;
        self.engine
            .borrow_mut()
            .update(now(), SubscriptionKey(key), channels, queries)
            .map_err(|err| {
                let code = match &err {
                    UpdateError::InvalidQuery { error, .. } => error.code,
                    _ => 0,
                };
                RealtimeError::new(ErrorKind::Invalid, code, err.message())
            })
    }

    /// Sends what `subscribe` or `update` changed; `waiter` hears of its acknowledgement.
    pub(crate) fn commit(&self, key: u64, waiter: Option<Waiter>) {
        if let Some(waiter) = waiter {
            // A `match` on the borrow would hold it while the waiter is settled (a JS call).
            let mut subscribers = self.subscribers.borrow_mut();
            match subscribers.get_mut(&key) {
                Some(subscriber) => subscriber.waiters.push(waiter),
                None => {
                    drop(subscribers);
                    waiter.settle(Err(&removed_error()));
                }
            }
        }
        self.drain();
    }

    /// A reference to subscription `key` that does not keep this connection alive.
    pub(crate) fn reference(&self, key: u64) -> SubscriptionRef {
        SubscriptionRef {
            driver: self.me.clone(),
            key,
        }
    }

    pub(crate) fn unsubscribe(&self, key: u64) {
        let _ = self.sync_config();
        self.engine
            .borrow_mut()
            .unsubscribe(now(), SubscriptionKey(key));
        let removed = self.subscribers.borrow_mut().remove(&key);
        if let Some(subscriber) = removed {
            fail_all(subscriber.waiters, &removed_error());
        }
        self.drain();
    }

    pub(crate) fn has_subscriptions(&self) -> bool {
        !self.subscribers.borrow().is_empty()
    }

    pub(crate) fn disconnect(&self) {
        self.disconnected.set(true);
        self.engine.borrow_mut().disconnect(now());
        self.drain();
        let removed = std::mem::take(&mut *self.subscribers.borrow_mut());
        let error = RealtimeError::new(
            ErrorKind::Closed,
            1000,
            "The connection was closed by disconnect()",
        );
        for subscriber in removed.into_values() {
            fail_all(subscriber.waiters, &error);
        }
        self.replace_socket(None);
        self.has_presence.set(false);
        self.update_keep_alive();
    }

    pub(crate) fn upsert_presence(&self, presence: Presence) -> Result<(), RealtimeError> {
        crate::socket::ensure_websocket()?;
        self.sync_config()?;
        self.disconnected.set(false);
        let accepted = self.engine.borrow_mut().upsert_presence(now(), presence);
        self.has_presence
            .set(self.has_presence.get() || accepted.is_ok());
        self.drain();
        accepted.map_err(|err| RealtimeError::invalid(err.message()))
    }

    /// Adds a listener of `kind` (`open`, `close`, `error`, `resync`, `state`); the returned
    /// function removes it.
    pub(crate) fn listen(&self, kind: &str, callback: &Function) -> Function {
        add_listener(&self.hub, kind, callback)
    }

    /// The network (`online`), the page's visibility (`visible`) or its freezing (`frozen`)
    /// changed, and the core decides what that means for the socket; or the client's settings
    /// (`config`).
    fn changed(&self, kind: &str, flag: bool) {
        if kind == "config" {
            return self.config_changed();
        }
        let before = self.status.get();
        let mut engine = self.engine.borrow_mut();
        match kind {
            "online" => engine.set_online(now(), flag),
            "visible" => engine.set_visible(now(), flag),
            _ => engine.set_frozen(now(), flag),
        }
        drop(engine);
        self.drain();
        if (before, self.status.get()) == (Status::Reconnecting, Status::Reconnecting) {
            // The same status, but `retryIn` may have changed (`null` while held).
            emit(&self.hub, "state", &self.state(), &JsValue::UNDEFINED);
        }
    }

    /// `realtime.state`: the status, the milliseconds until the next reconnect while
    /// reconnecting (none while it waits for the network or the page), the last error, and
    /// whether channels travel in the URL for a server before 1.9.5.
    pub(crate) fn state(&self) -> JsValue {
        let engine = self.engine.borrow();
        let retry_in = match self.retry_at.get() {
            Some(at) if !engine.is_held(now()) => at.0.saturating_sub(now().0) as f64,
            _ => -1.0,
        };
        connection_state(
            &self.hub,
            self.status.get().as_str(),
            retry_in,
            &self.last_error.borrow(),
            engine.uses_url_channels(),
        )
    }

    /// `realtime.stats()`: what the connection did since it was created.
    pub(crate) fn stats(&self) -> JsValue {
        let round_trip = self
            .engine
            .borrow()
            .round_trip()
            .map_or(-1.0, |rtt| rtt.as_secs_f64() * 1000.0);
        stats_of(&self.hub, self.events_delivered.get().into(), round_trip)
    }

    /// `realtime.debugLog()`: the last protocol events, redacted.
    pub(crate) fn debug_log(&self) -> JsValue {
        log_of(&self.hub)
    }

    /// Hands the client's current settings to the engine; fails, as the official SDK does,
    /// when there is no project to connect to.
    fn sync_config(&self) -> Result<(), RealtimeError> {
        let mut config = self.client.config();
        if config.project.is_empty() {
            return Err(RealtimeError::invalid("Missing project ID"));
        }
        if config.session.is_none() {
            config.session = Some(crate::args::fallback_session(&config.project))
                .filter(|session| !session.is_empty());
        }
        let previous = self.applied.borrow_mut().replace(config.clone());
        let mut engine = self.engine.borrow_mut();
        let endpoint_changed = previous.as_ref().is_none_or(|previous| {
            (
                &previous.endpoint_realtime,
                &previous.project,
                &previous.jwt,
            ) != (&config.endpoint_realtime, &config.project, &config.jwt)
        });
        if endpoint_changed {
            engine.set_endpoint(
                now(),
                Endpoint {
                    realtime: config.endpoint_realtime.clone(),
                    project: config.project.clone(),
                    jwt: config.jwt.clone(),
                },
            );
        }
        if previous
            .as_ref()
            .is_none_or(|previous| previous.session != config.session)
        {
            engine.set_session(now(), config.session.clone());
        }
        Ok(())
    }

    /// Polls the engine until it has nothing more to say, then arms the one timer. Never
    /// inlined: every entry point ends here, and one copy is smaller than one per caller.
    #[inline(never)]
    fn drain(&self) {
        if self.draining.replace(true) {
            return; // a callback called in; the outer loop picks up the new outputs
        }
        loop {
            let output = self.engine.borrow_mut().poll_output();
            match output {
                Some(output) => self.dispatch(output),
                None => break,
            }
        }
        self.draining.set(false);
        self.arm_timer();
        self.update_keep_alive();
    }

    fn update_keep_alive(&self) {
        let active = !self.subscribers.borrow().is_empty() || self.has_presence.get();
        let mut keep_alive = self.keep_alive.borrow_mut();
        if active && keep_alive.is_none() {
            *keep_alive = self.me.upgrade();
        } else if !active {
            // Every entry point holds its own strong reference, so this never frees `self`
            // mid-call; the borrow ends first all the same.
            let released = keep_alive.take();
            drop(keep_alive);
            drop(released);
        }
    }

    fn arm_timer(&self) {
        let deadline = self.engine.borrow().poll_timeout();
        let mut timer = self.timer.borrow_mut();
        match deadline {
            None => *timer = None,
            Some(deadline) if timer.as_ref().map(|t| t.deadline) != Some(deadline) => {
                *timer = Some(Timer::arm(deadline, self.me.clone()));
            }
            Some(_) => {}
        }
    }

    fn dispatch(&self, output: Output<JsPayload>) {
        match output {
            Output::Connect { url } => self.connect(&url),
            Output::Send(text) => {
                record(&self.hub, "send", &JsValue::from_str(&text));
                let socket = self.socket.borrow().clone();
                if let Some(Err(message)) = socket.map(|socket| socket.send(&text)) {
                    self.report(&RealtimeError::new(ErrorKind::Closed, 0, message));
                }
            }
            Output::Close { code } => {
                record(&self.hub, "close", &JsValue::from(code));
                if let Some(socket) = self.socket.take() {
                    socket.close(code);
                }
            }
            Output::Deliver { targets, event } => self.deliver(&targets, event),
            Output::Subscribed(key) => {
                let waiters = self
                    .subscribers
                    .borrow_mut()
                    .get_mut(&key.0)
                    .map(|subscriber| std::mem::take(&mut subscriber.waiters))
                    .unwrap_or_default();
                for waiter in waiters {
                    waiter.settle(Ok(()));
                }
            }
            Output::SubscribeFailed { key, error } => {
                let removed = self.subscribers.borrow_mut().remove(&key.0);
                let error = RealtimeError::from_core(&error);
                match removed {
                    Some(subscriber) if !subscriber.waiters.is_empty() => {
                        fail_all(subscriber.waiters, &error)
                    }
                    _ => self.report(&error),
                }
            }
            Output::Error(error) => self.report(&RealtimeError::from_core(&error)),
            Output::StateChanged(state) => self.state_changed(&state),
            Output::Resynced => {
                emit(
                    &self.hub,
                    "resync",
                    &JsValue::UNDEFINED,
                    &JsValue::UNDEFINED,
                );
            }
            Output::Authenticated { .. } => {}
        }
    }

    /// Puts `socket` in place of the current one, which is dropped (and closed) after the borrow.
    fn replace_socket(&self, socket: Option<Rc<Socket>>) {
        drop(self.socket.replace(socket));
    }

    fn connect(&self, url: &str) {
        self.replace_socket(None);
        // A login since the last command may have stored a fallback session.
        let _ = self.sync_config();
        let kind = if self.status.get() == Status::Reconnecting {
            "reconnect"
        } else {
            "connect"
        };
        let redacted = crate::socket::redact_secrets(url);
        record(&self.hub, kind, &JsValue::from_str(&redacted));
        // Copied out: opening may run page code (js/tabs.js) that calls back into this driver.
        let session = self
            .applied
            .borrow()
            .as_ref()
            .and_then(|config| config.session.clone())
            .unwrap_or_default();
        let opened = Socket::open(url, &session, &self.hub, self.me.clone());
        match opened {
            Ok(socket) => {
                self.replace_socket(Some(Rc::new(socket)));
                // `[wire id, ...channels, "\u{2}", ...queries]`
                let mut row = take_early_sent(&self.hub)
                    .map(|joined| split_items(&joined))
                    .unwrap_or_default();
                if let Some(end) = row
                    .iter()
                    .position(|item| item == "\u{2}")
                    .filter(|&end| end > 0)
                {
                    let queries = row.split_off(end + 1);
                    row.truncate(end);
                    let wire_id = row.remove(0);
                    self.engine
                        .borrow_mut()
                        .adopt_sent_subscribe(now(), wire_id, row, queries);
                }
                if let Some(session) = take_early_session(&self.hub) {
                    self.engine
                        .borrow_mut()
                        .adopt_sent_authentication(now(), &session);
                }
            }
            Err(message) => {
                self.report(&RealtimeError::new(ErrorKind::Environment, 0, message));
                // Without a socket there will be no close event; tell the core the attempt failed.
                self.engine.borrow_mut().handle_close(now(), 1006);
            }
        }
    }

    fn deliver(&self, targets: &[SubscriptionKey], event: EventFrame<JsPayload>) {
        for key in targets {
            let callback = self
                .subscribers
                .borrow()
                .get(&key.0)
                .map(|s| s.callback.clone());
            // None: unsubscribed by an earlier callback of this very event.
            let Some(callback) = callback else { continue };
            self.events_delivered.set(self.events_delivered.get() + 1);
            match callback {
                Callback::Js(function) => {
                    // The frame's `data` as JSON.parse made it: events, channels, timestamp,
                    // payload and subscriptions, as in the official SDK.
                    if let Err(thrown) = function.call1(&JsValue::UNDEFINED, &event.payload.data) {
                        let mut error = RealtimeError::new(
                            ErrorKind::Callback,
                            0,
                            [
                                "A subscription callback threw: ",
                                &crate::args::error_text(&thrown),
                            ]
                            .concat(),
                        );
                        error.cause = Some(thrown);
                        self.report(&error);
                    }
                }
                Callback::Rust(closure) => (closure.borrow_mut())(&event),
            }
        }
    }

    fn state_changed(&self, state: &ConnectionState) {
        let status = match state {
            ConnectionState::Idle if self.disconnected.get() => Status::Closed,
            ConnectionState::Idle => Status::Idle,
            ConnectionState::Connecting | ConnectionState::Open => Status::Connecting,
            ConnectionState::Connected => Status::Connected,
            ConnectionState::Reconnecting { .. } => Status::Reconnecting,
            ConnectionState::Failed => Status::Closed,
        };
        self.retry_at.set(match state {
            ConnectionState::Reconnecting { at, .. } => Some(*at),
            _ => None,
        });
        let previous = self.status.replace(status);
        if previous == status {
            return; // e.g. the socket opened: still `connecting` until the server's `connected`
        }
        let undefined = JsValue::UNDEFINED;
        if previous == Status::Connected || status == Status::Connected {
            let kind = if status == Status::Connected {
                "open"
            } else {
                "close"
            };
            emit(&self.hub, kind, &undefined, &undefined);
        }
        emit(&self.hub, "state", &self.state(), &undefined);
    }

    /// Reports to `onError` listeners as `(error, code)`; logs when nobody listens.
    fn report(&self, error: &RealtimeError) {
        let js_error = error.to_js();
        *self.last_error.borrow_mut() = js_error.clone();
        let code = JsValue::from_f64(error.code as f64);
        if emit(&self.hub, "error", &js_error, &code) == 0 {
            console_error(&js_error);
        }
    }
}

impl SocketListener for Driver {
    fn socket_opened(&self) {
        record(&self.hub, "opened", &JsValue::UNDEFINED);
        self.engine.borrow_mut().handle_open(now());
        self.drain();
    }

    fn socket_frame(&self, frame: Result<ServerFrame<JsPayload>, FrameError>) {
        let mut engine = self.engine.borrow_mut();
        #[cfg(feature = "trap-injection")]
        crate::trap::fire_if_armed();
        match frame {
            Ok(ServerFrame::Event(event)) => engine.handle_event(event),
            Ok(frame) => engine.handle_frame(now(), frame),
            Err(error) => engine.handle_bad_frame(now(), error),
        }
        drop(engine);
        self.drain();
    }

    fn socket_closed(&self, code: u16) {
        record(&self.hub, "closed", &JsValue::from(code));
        self.replace_socket(None);
        self.engine.borrow_mut().handle_close(now(), code);
        self.drain();
    }
}

impl TimerListener for Driver {
    fn timer_fired(&self) {
        *self.timer.borrow_mut() = None;
        // A JS client's writes are watched, but its `config` may be frozen or replaced: read it
        // again here too.
        if !self.client.reports_changes() {
            let _ = self.sync_config();
        }
        self.engine.borrow_mut().handle_timeout(now());
        self.drain();
    }
}

impl ConfigListener for Driver {
    /// The client's settings changed: pass them on (a live connection re-authenticates in-band
    /// or reconnects to the new endpoint, as the core decides).
    fn config_changed(&self) {
        let _ = self.sync_config();
        self.drain();
    }
}

/// A reference to one subscription that does not keep its connection alive.
pub(crate) struct SubscriptionRef {
    pub(crate) driver: Weak<Driver>,
    pub(crate) key: u64,
}

/// What waits on a subscription that was removed is told.
fn removed_error() -> RealtimeError {
    RealtimeError::new(ErrorKind::Closed, 0, "The subscription was removed")
}

fn fail_all(waiters: Vec<Waiter>, error: &RealtimeError) {
    for waiter in waiters {
        waiter.settle(Err(error));
    }
}

fn jitter_seed() -> u64 {
    (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(value: &JsValue);
}
