//! The Rust half of the JS `Channel` class (js/channel.js): every builder step is checked and
//! written here, by the core's [`AnyChannel`], through one export. The JS objects carry only
//! their channel string and step code, so builders hold no wasm memory and need no `free()`.

use appwrite_realtime_core::channel::{Action, AnyChannel, Step};
use wasm_bindgen::prelude::*;

use crate::args;
use crate::error::RealtimeError;

const ID_REFUSED: &str = "Channel ID is required";

enum Next {
    Step(Step),
    Action(Action),
}

/// What each step code of js/channel.js means, in its order: first steps, then the steps that
/// follow one, then the action suffixes.
const NEXT: [Next; 17] = [
    Next::Step(Step::Database),
    Next::Step(Step::TablesDb),
    Next::Step(Step::Bucket),
    Next::Step(Step::Function),
    Next::Step(Step::Execution),
    Next::Step(Step::Team),
    Next::Step(Step::Membership),
    Next::Step(Step::Presence),
    Next::Step(Step::Collection),
    Next::Step(Step::Document),
    Next::Step(Step::Table),
    Next::Step(Step::Row),
    Next::Step(Step::File),
    Next::Action(Action::Create),
    Next::Action(Action::Update),
    Next::Action(Action::Upsert),
    Next::Action(Action::Delete),
];

/// `path` (at step code `at`; empty for a first step) followed by step `next` with `id`.
#[wasm_bindgen(js_name = channelStep, skip_typescript)]
pub fn channel_step(path: &str, at: u32, next: u32, id: JsValue) -> Result<String, RealtimeError> {
    let current = || {
        let step = match NEXT.get(at as usize) {
            Some(Next::Step(step)) => *step,
            _ => Step::Resolved,
        };
        AnyChannel::resume(step, path.to_owned())
    };
    let built = match NEXT.get(next as usize) {
        Some(Next::Step(step)) if path.is_empty() => {
            AnyChannel::root(*step, &args::text(&id, ID_REFUSED)?)
        }
        Some(Next::Step(step)) => {
            current().child(*step, args::optional_text(&id, ID_REFUSED)?.as_deref())
        }
        Some(Next::Action(action)) => current().action(*action),
        None => return Err(RealtimeError::invalid("Unknown channel step")),
    };
    built
        .map(|channel| channel.as_str().to_owned())
        .map_err(|error| RealtimeError::invalid(error.message()))
}
