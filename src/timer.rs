//! The one timer a driver owns, on the global `setTimeout` (windows and workers alike), and the
//! monotonic clock the core is fed with.

use std::rc::Weak;

use appwrite_realtime_core::Instant;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, delay_ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Milliseconds on a monotonic clock; wall-clock jumps must not fire or stall deadlines.
pub(crate) fn now() -> Instant {
    Instant(performance_now().max(0.0) as u64)
}

pub(crate) trait TimerListener {
    fn timer_fired(&self);
}

/// A pending `setTimeout`; dropping it cancels it.
pub(crate) struct Timer {
    pub(crate) deadline: Instant,
    id: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Timer {
    pub(crate) fn arm<L: TimerListener + 'static>(deadline: Instant, listener: Weak<L>) -> Timer {
        let callback = Closure::<dyn FnMut()>::new(move || {
            if let Some(listener) = listener.upgrade() {
                listener.timer_fired();
            }
        });
        // Background tabs fire late; the core treats a late timeout as "everything due is due".
        let delay = deadline.0.saturating_sub(now().0) as f64;
        let id = set_timeout(callback.as_ref().unchecked_ref(), delay);
        Timer {
            deadline,
            id,
            _callback: callback,
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}
