//! `Realtime`: one multiplexed connection per instance, shaped like the official SDK's service.
//! JS reaches it as `RealtimeEngine`, behind the `Realtime` class of js/realtime.js, which keeps
//! the listeners and the log in the connection's hub and waits for the wasm while it loads.

use std::rc::Rc;

use appwrite_realtime_core::Presence;
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::args;
use crate::client::Client;
use crate::config::{ClientSource, Options};
use crate::driver::{Callback, Driver, Waiter};
use crate::error::RealtimeError;
use crate::subscription::{settle, subscription_object, unsubscribe_function};

/// A realtime connection: subscriptions share one WebSocket, opened on first use.
#[wasm_bindgen(js_name = RealtimeEngine, skip_typescript)]
pub struct Realtime {
    driver: Rc<Driver>,
}

impl Realtime {
    /// A subscription from JS arguments, not yet sent; one copy for both ways of subscribing.
    #[inline(never)]
    fn add(
        &self,
        channels: &JsValue,
        callback: JsValue,
        queries: &JsValue,
    ) -> Result<u64, RealtimeError> {
        let channels = args::channels(channels)?;
        let callback = args::function(callback, args::CALLBACK_REFUSED)?;
        let queries = args::queries(queries)?;
        self.driver
            .subscribe(channels, queries, Callback::Js(callback))
    }
}

/// The Rust API.
impl Realtime {
    /// A connection for a Rust [`Client`], which tells it of every change at once. Refuses
    /// [`Options`] with a zero duration.
    pub fn with_client(client: &Client, options: Options) -> Result<Realtime, RealtimeError> {
        Ok(Realtime {
            driver: Driver::new(
                ClientSource::Native(client.settings()),
                options.checked()?,
                None,
            ),
        })
    }

    /// Called when the server's `connected` arrives; returns the function removing it.
    pub fn on_open(&self, callback: JsValue) -> Result<Function, RealtimeError> {
        self.listen("open", callback)
    }

    /// Called when a connected socket is lost or closed; returns the function removing it.
    pub fn on_close(&self, callback: JsValue) -> Result<Function, RealtimeError> {
        self.listen("close", callback)
    }

    /// Called with `(error, code)` for every error; returns the function removing it.
    pub fn on_error(&self, callback: JsValue) -> Result<Function, RealtimeError> {
        self.listen("error", callback)
    }

    /// Called with `state()` whenever its status changes.
    pub fn on_state_change(&self, callback: JsValue) -> Result<Function, RealtimeError> {
        self.listen("state", callback)
    }

    /// Called after a reconnect once every subscription is acknowledged again: events published
    /// while the socket was down are lost (the server has no replay), so re-fetch data here.
    pub fn on_resync(&self, callback: JsValue) -> Result<Function, RealtimeError> {
        self.listen("resync", callback)
    }

    /// The last 100 protocol events, oldest first, with sessions, JWTs, users and payloads
    /// left out: what to attach to a bug report.
    pub fn debug_log(&self) -> JsValue {
        self.driver.debug_log()
    }

    /// Every `on*` returns the function that removes its listener.
    fn listen(&self, kind: &str, callback: JsValue) -> Result<Function, RealtimeError> {
        Ok(self
            .driver
            .listen(kind, &args::function(callback, args::CALLBACK_REFUSED)?))
    }
}

#[wasm_bindgen(js_class = RealtimeEngine)]
impl Realtime {
    /// `client` is this package's `Client` or the official SDK's (anything with its `config`),
    /// and `hub` the connection's (js/hub.js `createHub`): js/realtime.js checked all three.
    #[wasm_bindgen(constructor)]
    pub fn new(
        client: &JsValue,
        options: JsValue,
        hub: JsValue,
    ) -> Result<Realtime, RealtimeError> {
        let options = Options::from_js(&options)?;
        Ok(Realtime {
            driver: Driver::new(ClientSource::Foreign(client.clone()), options, Some(hub)),
        })
    }

    /// Subscribes `callback` to one channel or a list of channels, optionally filtered by
    /// queries. Resolves with `{ unsubscribe, update, close }` once the server acknowledged the
    /// subscription; rejects with a `RealtimeError` if it refused it.
    pub fn subscribe(&self, channels: JsValue, callback: JsValue, queries: JsValue) -> Promise {
        settle((|| {
            let key = self.add(&channels, callback, &queries)?;
            let handle = subscription_object(self.driver.reference(key));
            let (promise, waiter) = Waiter::promise(handle);
            self.driver.commit(key, Some(waiter));
            Ok(promise)
        })())
    }

    /// The legacy `client.subscribe(channels, callback)` of js/client.js: subscribes at once and
    /// returns a function that unsubscribes. Failures are reported on the console, as there is
    /// no promise to reject.
    #[wasm_bindgen(js_name = subscribeLegacy, skip_typescript)]
    pub fn subscribe_legacy(
        &self,
        channels: JsValue,
        callback: JsValue,
        queries: JsValue,
    ) -> Result<Function, RealtimeError> {
        let key = self.add(&channels, callback, &queries)?;
        self.driver.commit(key, None);
        Ok(unsubscribe_function(self.driver.reference(key)))
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
