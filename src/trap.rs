//! Test builds only (`--features trap-injection`): a real trap on demand. `trapNextCall()` makes
//! the next subscription or inbound frame panic while the engine is borrowed, which leaves the
//! instance as a bug would: a borrow never released, so every later call into it would panic too.

use std::cell::Cell;

use wasm_bindgen::prelude::*;

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
}

/// Makes the next subscription or inbound frame trap.
#[wasm_bindgen(js_name = trapNextCall)]
pub fn trap_next_call() {
    ARMED.with(|armed| armed.set(true));
}

pub(crate) fn fire_if_armed() {
    if ARMED.with(|armed| armed.replace(false)) {
        panic!("trap injected by trapNextCall()");
    }
}
