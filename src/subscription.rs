//! What page code holds for one subscription: the `{ unsubscribe, update, close }` object that
//! `Realtime.subscribe` resolves with, and the function the legacy `client.subscribe` returns.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;

use crate::args;
use crate::driver::{SubscriptionRef, Waiter};
use crate::error::RealtimeError;

#[wasm_bindgen(module = "/js/subscription.js")]
extern "C" {
    #[wasm_bindgen(js_name = subscriptionObject)]
    fn subscription_object_of(handle: SubscriptionHandle) -> JsValue;
    #[wasm_bindgen(js_name = unsubscribeFunction)]
    fn unsubscribe_function_of(handle: SubscriptionHandle) -> Function;
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
        driver.update(self.inner.key, channels, queries)?;
        let (promise, waiter) = Waiter::promise(JsValue::UNDEFINED);
        driver.commit(self.inner.key, Some(waiter));
        Ok(promise)
    }
}

/// `{ unsubscribe, update, close }` for `subscription`.
pub(crate) fn subscription_object(subscription: SubscriptionRef) -> JsValue {
    subscription_object_of(SubscriptionHandle {
        inner: subscription,
    })
}

/// The legacy API's function that ends `subscription`.
pub(crate) fn unsubscribe_function(subscription: SubscriptionRef) -> Function {
    unsubscribe_function_of(SubscriptionHandle {
        inner: subscription,
    })
}

/// Async-looking methods report every failure as a rejection, as the official SDK's do.
pub(crate) fn settle(result: Result<Promise, RealtimeError>) -> Promise {
    result.unwrap_or_else(|error| Promise::reject(&error.into()))
}
