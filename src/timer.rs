//! The one timer a driver owns (a `gloo_timers` timeout, cancelled on drop), and the monotonic
//! clock the core is fed with.

use std::rc::Weak;

use appwrite_realtime_core::Instant;
use gloo_timers::callback::Timeout;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
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

/// A pending timeout; dropping it cancels it.
pub(crate) struct Timer {
    pub(crate) deadline: Instant,
    _timeout: Timeout,
}

impl Timer {
    pub(crate) fn arm<L: TimerListener + 'static>(deadline: Instant, listener: Weak<L>) -> Timer {
        // Background tabs fire late; the core treats a late timeout as "everything due is due".
        // setTimeout takes a signed 32-bit delay (a longer one wraps and fires at once, over and
        // over): a farther deadline is waited for in steps, as an early timeout re-arms.
        let delay = deadline.0.saturating_sub(now().0).min(i32::MAX as u64) as u32;
        let timeout = Timeout::new(delay, move || {
            if let Some(listener) = listener.upgrade() {
                listener.timer_fired();
            }
        });
        Timer {
            deadline,
            _timeout: timeout,
        }
    }
}
