//! `Realtime`: one multiplexed connection per instance, shaped like the official SDK's service.

use std::rc::Rc;
use std::time::Duration;

use appwrite_realtime_core::{Config, Presence};
use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::prelude::*;

use crate::client::Client;
use crate::driver::{Callback, Driver, SubscriptionRef};
use crate::error::RealtimeError;

#[wasm_bindgen(inline_js = r#"
export function subscriptionObject(handle) {
  return {
    unsubscribe: () => handle.unsubscribe(),
    update: (changes) => handle.update(changes),
    close: () => handle.close(),
  };
}
export function unsubscribeFunction(handle) {
  return () => { handle.unsubscribe(); };
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = subscriptionObject)]
    fn subscription_object(handle: SubscriptionHandle) -> JsValue;
    #[wasm_bindgen(js_name = unsubscribeFunction)]
    fn unsubscribe_function_of(handle: SubscriptionHandle) -> Function;
}

/// Timing options of a connection (`new Realtime(client, options)`), in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RealtimeOptions {
    pub(crate) heartbeat_interval: Duration,
    pub(crate) pong_timeout: Duration,
}

impl Default for RealtimeOptions {
    fn default() -> Self {
        let defaults = Config::default();
        RealtimeOptions {
            heartbeat_interval: defaults.ping_interval,
            pong_timeout: defaults.pong_timeout,
        }
    }
}

impl RealtimeOptions {
    fn from_js(options: &JsValue) -> Result<Self, RealtimeError> {
        let mut parsed = RealtimeOptions::default();
        if options.is_undefined() || options.is_null() {
            return Ok(parsed);
        }
        let millis = |name: &str| -> Result<Option<Duration>, RealtimeError> {
            let value =
                Reflect::get(options, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
            if value.is_undefined() {
                return Ok(None);
            }
            match value.as_f64() {
                Some(ms) if ms.is_finite() && ms > 0.0 => {
                    Ok(Some(Duration::from_millis(ms as u64)))
                }
                _ => Err(RealtimeError::invalid(&format!(
                    "{name} must be a positive number of milliseconds"
                ))),
            }
        };
        if let Some(interval) = millis("heartbeatInterval")? {
            parsed.heartbeat_interval = interval;
        }
        if let Some(timeout) = millis("pongTimeout")? {
            parsed.pong_timeout = timeout;
        }
        Ok(parsed)
    }

    pub(crate) fn core_config(&self, jitter_seed: u64) -> Config {
        Config {
            ping_interval: self.heartbeat_interval,
            pong_timeout: self.pong_timeout,
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
    #[wasm_bindgen(constructor)]
    pub fn new(client: &Client, options: JsValue) -> Result<Realtime, RealtimeError> {
        let options = RealtimeOptions::from_js(&options)?;
        Ok(Realtime {
            driver: Driver::new(client.shared.clone(), options),
        })
    }

    /// Subscribes `callback` to one channel or a list of channels, optionally filtered by
    /// queries. Resolves with `{ unsubscribe, update, close }` once the server acknowledged the
    /// subscription; rejects with a `RealtimeError` if it refused it.
    pub fn subscribe(
        &self,
        channels: JsValue,
        callback: Function,
        queries: Option<Array>,
    ) -> Promise {
        settle((|| {
            let channels = channel_list(&channels)?;
            let queries = query_list(queries.as_ref())?;
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
    pub fn on_open(&self, callback: Function) {
        self.driver.on_open(callback);
    }

    #[wasm_bindgen(js_name = onClose)]
    pub fn on_close(&self, callback: Function) {
        self.driver.on_close(callback);
    }

    #[wasm_bindgen(js_name = onError)]
    pub fn on_error(&self, callback: Function) {
        self.driver.on_error(callback);
    }

    /// Called after a reconnect once every subscription is acknowledged again: events published
    /// while the socket was down are lost (the server has no replay), so re-fetch data here.
    #[wasm_bindgen(js_name = onResync)]
    pub fn on_resync(&self, callback: Function) {
        self.driver.on_resync(callback);
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
            .map(|channels| channel_list(&channels))
            .transpose()?;
        let queries = match field("queries") {
            Some(queries) => Some(query_list(Some(&Array::from(&queries)))?),
            None => None,
        };
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

/// Accepts a channel string, a channel builder, or an array of either (all via `String(x)`).
pub(crate) fn channel_list(channels: &JsValue) -> Result<Vec<String>, RealtimeError> {
    let items: Vec<JsValue> = if Array::is_array(channels) {
        Array::from(channels).iter().collect()
    } else {
        vec![channels.clone()]
    };
    if items.is_empty() {
        return Err(RealtimeError::invalid("At least one channel is required"));
    }
    items
        .iter()
        .map(|item| {
            let channel = js_to_string(item);
            if channel.trim().is_empty() || item.is_undefined() || item.is_null() {
                Err(RealtimeError::invalid("Channel is required"))
            } else {
                Ok(channel)
            }
        })
        .collect()
}

/// Accepts query strings (from `Query.*`) or values whose `toString()` gives one.
pub(crate) fn query_list(queries: Option<&Array>) -> Result<Vec<String>, RealtimeError> {
    let Some(queries) = queries else {
        return Ok(Vec::new());
    };
    Ok(queries.iter().map(|query| js_to_string(&query)).collect())
}

#[wasm_bindgen]
extern "C" {
    /// The global `String(value)`: calls a builder's `toString()`, never throws for plain values.
    #[wasm_bindgen(js_name = String)]
    fn coerce_to_string(value: &JsValue) -> String;
}

pub(crate) fn js_to_string(value: &JsValue) -> String {
    value.as_string().unwrap_or_else(|| coerce_to_string(value))
}

fn presence_from_js(params: &JsValue) -> Result<Presence, RealtimeError> {
    let field = |name: &str| {
        Reflect::get(params, &JsValue::from_str(name))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    };
    let status = field("status")
        .and_then(|status| status.as_string())
        .ok_or_else(|| RealtimeError::invalid("Presence status is required"))?;
    let presence_id = field("presenceId").map(|id| js_to_string(&id));
    let metadata_json = match field("metadata") {
        Some(metadata) => Some(
            js_sys::JSON::stringify(&metadata)
                .map(String::from)
                .map_err(|_| {
                    RealtimeError::invalid("Presence metadata must be JSON-serialisable")
                })?,
        ),
        None => None,
    };
    let permissions = match field("permissions") {
        Some(permissions) => Array::from(&permissions)
            .iter()
            .map(|p| js_to_string(&p))
            .collect(),
        None => Vec::new(),
    };
    Ok(Presence {
        status,
        presence_id,
        metadata_json,
        permissions,
    })
}
