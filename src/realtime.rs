//! `Realtime`: one multiplexed connection per instance, shaped like the official SDK's service.

use std::rc::Rc;
use std::time::Duration;

use appwrite_realtime_core::{Config, Presence};
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;

use crate::args;
use crate::client::{ClientSource, CALLBACK_REFUSED};
use crate::driver::{Callback, Driver, SubscriptionRef};
use crate::error::RealtimeError;

#[wasm_bindgen(module = "/js/interop.js")]
extern "C" {
    #[wasm_bindgen(js_name = subscriptionObject)]
    fn subscription_object(handle: SubscriptionHandle) -> JsValue;
    #[wasm_bindgen(js_name = unsubscribeFunction)]
    fn unsubscribe_function_of(handle: SubscriptionHandle) -> Function;
}

/// Timing options of a connection (`new Realtime(client, options)`, in milliseconds there).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RealtimeOptions {
    pub(crate) heartbeat_interval: Duration,
    pub(crate) pong_timeout: Duration,
    /// Bound of the first reconnect delay; it doubles per failed attempt.
    pub(crate) reconnect_delay: Duration,
    /// Cap of the reconnect delay's bound.
    pub(crate) max_reconnect_delay: Duration,
    /// A page hidden this long closes its socket until shown again.
    pub(crate) hidden_timeout: Option<Duration>,
}

impl Default for RealtimeOptions {
    fn default() -> Self {
        let defaults = Config::default();
        RealtimeOptions {
            heartbeat_interval: defaults.ping_interval,
            pong_timeout: defaults.pong_timeout,
            reconnect_delay: defaults.backoff_initial,
            max_reconnect_delay: defaults.backoff_max,
            hidden_timeout: defaults.hidden_timeout,
        }
    }
}

impl RealtimeOptions {
    fn from_js(options: &JsValue) -> Result<Self, RealtimeError> {
        let timings = args::timing_options(options);
        if let Some(message) = timings.as_string() {
            return Err(RealtimeError::invalid(&message));
        }
        let timings: &js_sys::Array = timings.unchecked_ref();
        let millis = |index, default| match timings.get(index).as_f64() {
            Some(ms) if ms > 0.0 => Duration::from_millis(ms as u64),
            _ => default,
        };
        let defaults = RealtimeOptions::default();
        Ok(RealtimeOptions {
            heartbeat_interval: millis(0, defaults.heartbeat_interval),
            pong_timeout: millis(1, defaults.pong_timeout),
            reconnect_delay: millis(2, defaults.reconnect_delay),
            max_reconnect_delay: millis(3, defaults.max_reconnect_delay),
            hidden_timeout: timings
                .get(4)
                .as_f64()
                .filter(|ms| *ms > 0.0)
                .map(|ms| Duration::from_millis(ms as u64)),
        })
    }

    pub(crate) fn core_config(&self, jitter_seed: u64) -> Config {
        Config {
            ping_interval: self.heartbeat_interval,
            pong_timeout: self.pong_timeout,
            backoff_initial: self.reconnect_delay,
            backoff_max: self.max_reconnect_delay,
            hidden_timeout: self.hidden_timeout,
            jitter_seed,
            ..Config::default()
        }
    }
}

/// A realtime connection: subscriptions share one WebSocket, opened on first use.
#[wasm_bindgen(skip_typescript)]
pub struct Realtime {
    driver: Rc<Driver>,
}

#[wasm_bindgen]
impl Realtime {
    /// `client` is this package's `Client` or the official SDK's (anything with its `config`).
    #[wasm_bindgen(constructor)]
    pub fn new(client: &JsValue, options: JsValue) -> Result<Realtime, RealtimeError> {
        let source = ClientSource::from_js(client)?;
        let options = RealtimeOptions::from_js(&options)?;
        Ok(Realtime {
            driver: Driver::new(source, options),
        })
    }

    /// Subscribes `callback` to one channel or a list of channels, optionally filtered by
    /// queries. Resolves with `{ unsubscribe, update, close }` once the server acknowledged the
    /// subscription; rejects with a `RealtimeError` if it refused it.
    pub fn subscribe(&self, channels: JsValue, callback: JsValue, queries: JsValue) -> Promise {
        settle((|| {
            let channels = args::channels(&channels)?;
            let callback = args::function(callback, CALLBACK_REFUSED)?;
            let queries = args::queries(&queries)?;
            let weak = Rc::downgrade(&self.driver);
            self.driver
                .subscribe(channels, queries, Callback::Js(callback), |key| {
                    subscription_object(SubscriptionHandle {
                        inner: SubscriptionRef { driver: weak, key },
                    })
                })
        })())
    }

    /// Closes the connection and drops every subscription.
    pub fn disconnect(&self) -> Promise {
        self.driver.disconnect();
        Promise::resolve(&JsValue::UNDEFINED)
    }

    /// Upserts this connection's presence; the latest payload is re-sent after every reconnect.
    #[wasm_bindgen(js_name = upsertPresence)]
    pub fn upsert_presence(&self, params: JsValue) -> Promise {
        settle(
            presence_from_js(&params)
                .and_then(|presence| self.driver.upsert_presence(presence))
                .map(|()| Promise::resolve(&JsValue::UNDEFINED)),
        )
    }

    #[wasm_bindgen(js_name = onOpen)]
    pub fn on_open(&self, callback: JsValue) -> Result<Function, RealtimeError> {
        self.listen("open", callback)
    }

    #[wasm_bindgen(js_name = onClose)]
    pub fn on_close(&self, callback: JsValue) -> Result<Function, RealtimeError> {
        self.listen("close", callback)
    }

    #[wasm_bindgen(js_name = onError)]
    pub fn on_error(&self, callback: JsValue) -> Result<Function, RealtimeError> {
        self.listen("error", callback)
    }

    /// Called with `realtime.state` whenever its status changes.
    #[wasm_bindgen(js_name = onStateChange)]
    pub fn on_state_change(&self, callback: JsValue) -> Result<Function, RealtimeError> {
        self.listen("state", callback)
    }

    /// `{ status, retryIn, lastError }`: `idle`, `connecting`, `connected`, `reconnecting` (with
    /// the milliseconds until the next attempt) or `closed`, and the last error reported.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> JsValue {
        self.driver.state()
    }

    /// Counters since this connection was created: connects, reconnects, frames and bytes in
    /// and out, events delivered, callback errors, the last ping's round trip, time connected.
    pub fn stats(&self) -> JsValue {
        self.driver.stats()
    }

    /// The last 100 protocol events, oldest first, with sessions, JWTs, users and payloads
    /// left out: what to attach to a bug report.
    #[wasm_bindgen(js_name = debugLog)]
    pub fn debug_log(&self) -> JsValue {
        self.driver.debug_log()
    }

    /// Called after a reconnect once every subscription is acknowledged again: events published
    /// while the socket was down are lost (the server has no replay), so re-fetch data here.
    #[wasm_bindgen(js_name = onResync)]
    pub fn on_resync(&self, callback: JsValue) -> Result<Function, RealtimeError> {
        self.listen("resync", callback)
    }
}

impl Realtime {
    /// Every `on*` returns the function that removes its listener.
    fn listen(&self, kind: &str, callback: JsValue) -> Result<Function, RealtimeError> {
        Ok(self
            .driver
            .listen(kind, &args::function(callback, CALLBACK_REFUSED)?))
    }
}

/// The object behind a subscription's `{ unsubscribe, update, close }`.
#[wasm_bindgen(skip_typescript)]
pub struct SubscriptionHandle {
    inner: SubscriptionRef,
}

#[wasm_bindgen]
impl SubscriptionHandle {
    pub fn unsubscribe(&self) -> Promise {
        if let Some(driver) = self.inner.driver.upgrade() {
            driver.unsubscribe(self.inner.key);
        }
        Promise::resolve(&JsValue::UNDEFINED)
    }

    pub fn update(&self, changes: JsValue) -> Promise {
        settle(self.try_update(&changes))
    }

    /// `unsubscribe()`, and closes the connection when this was its last subscription.
    pub fn close(&self) -> Promise {
        if let Some(driver) = self.inner.driver.upgrade() {
            driver.unsubscribe(self.inner.key);
            if !driver.has_subscriptions() {
                driver.disconnect();
            }
        }
        Promise::resolve(&JsValue::UNDEFINED)
    }
}

impl SubscriptionHandle {
    fn try_update(&self, changes: &JsValue) -> Result<Promise, RealtimeError> {
        let Some(driver) = self.inner.driver.upgrade() else {
            return Err(RealtimeError::invalid(
                "The connection of this subscription is gone",
            ));
        };
        let field = |name: &str| {
            Reflect::get(changes, &JsValue::from_str(name))
                .ok()
                .filter(|v| !v.is_undefined())
        };
        let channels = field("channels")
            .map(|channels| args::channels(&channels))
            .transpose()?;
        let queries = field("queries")
            .map(|queries| args::queries(&queries))
            .transpose()?;
        driver.update(self.inner.key, channels, queries)
    }
}

/// Async-looking methods report every failure as a rejection, as the official SDK's do.
fn settle(result: Result<Promise, RealtimeError>) -> Promise {
    result.unwrap_or_else(|error| Promise::reject(&error.into()))
}

pub(crate) fn unsubscribe_function(handle: SubscriptionRef) -> Function {
    unsubscribe_function_of(SubscriptionHandle { inner: handle })
}

fn presence_from_js(params: &JsValue) -> Result<Presence, RealtimeError> {
    let fields = args::presence_fields(params);
    if let Some(message) = fields.as_string() {
        return Err(RealtimeError::invalid(&message));
    }
    let fields: &js_sys::Array = fields.unchecked_ref();
    Ok(Presence {
        status: fields.get(0).as_string().unwrap_or_default(),
        presence_id: fields.get(1).as_string(),
        metadata_json: fields.get(2).as_string(),
        permissions: args::text_list(&fields.get(3), false).unwrap_or_default(),
    })
}
