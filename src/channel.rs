//! `Channel`: the official SDK's channel builders as one class, as in the official SDK. The
//! typestate (`Channel<Database>` has `collection()`, …) lives in the TypeScript declarations;
//! plain JS callers get the same rules checked at run time by the core's [`AnyChannel`].
//! `toString()` is the channel string; `subscribe` accepts builders and strings alike.

use appwrite_realtime_core::channel::{self as core, Action, AnyChannel, ChannelError, Step};
use wasm_bindgen::prelude::*;

use crate::args;
use crate::error::RealtimeError;

const ID_REFUSED: &str = "Channel ID is required";

fn channel_error(error: ChannelError) -> RealtimeError {
    RealtimeError::invalid(error.message())
}

fn root(step: Step, id: &JsValue) -> Result<Channel, RealtimeError> {
    AnyChannel::root(step, &args::text(id, ID_REFUSED)?)
        .map(Channel)
        .map_err(channel_error)
}

/// A channel, built step by step from `Channel.database(id)`, `Channel.bucket(id)`, ….
#[wasm_bindgen(skip_typescript)]
pub struct Channel(AnyChannel);

impl Channel {
    fn child(&self, step: Step, id: Option<String>) -> Result<Channel, RealtimeError> {
        self.0
            .child(step, id.as_deref())
            .map(Channel)
            .map_err(channel_error)
    }

    fn action(&self, action: Action) -> Result<Channel, RealtimeError> {
        self.0.action(action).map(Channel).map_err(channel_error)
    }
}

#[wasm_bindgen]
impl Channel {
    /// The channel string.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_js_string(&self) -> String {
        self.0.as_str().into()
    }

    pub fn collection(&self, id: JsValue) -> Result<Channel, RealtimeError> {
        self.child(Step::Collection, Some(args::text(&id, ID_REFUSED)?))
    }
    pub fn document(&self, id: JsValue) -> Result<Channel, RealtimeError> {
        self.child(Step::Document, args::optional_text(&id, ID_REFUSED)?)
    }
    pub fn table(&self, id: JsValue) -> Result<Channel, RealtimeError> {
        self.child(Step::Table, Some(args::text(&id, ID_REFUSED)?))
    }
    pub fn row(&self, id: JsValue) -> Result<Channel, RealtimeError> {
        self.child(Step::Row, args::optional_text(&id, ID_REFUSED)?)
    }
    pub fn file(&self, id: JsValue) -> Result<Channel, RealtimeError> {
        self.child(Step::File, args::optional_text(&id, ID_REFUSED)?)
    }
    pub fn create(&self) -> Result<Channel, RealtimeError> {
        self.action(Action::Create)
    }
    pub fn update(&self) -> Result<Channel, RealtimeError> {
        self.action(Action::Update)
    }
    pub fn upsert(&self) -> Result<Channel, RealtimeError> {
        self.action(Action::Upsert)
    }
    pub fn delete(&self) -> Result<Channel, RealtimeError> {
        self.action(Action::Delete)
    }

    pub fn database(id: JsValue) -> Result<Channel, RealtimeError> {
        root(Step::Database, &id)
    }
    pub fn tablesdb(id: JsValue) -> Result<Channel, RealtimeError> {
        root(Step::TablesDb, &id)
    }
    pub fn bucket(id: JsValue) -> Result<Channel, RealtimeError> {
        root(Step::Bucket, &id)
    }
    #[wasm_bindgen(js_name = function)]
    pub fn function_(id: JsValue) -> Result<Channel, RealtimeError> {
        root(Step::Function, &id)
    }
    pub fn execution(id: JsValue) -> Result<Channel, RealtimeError> {
        root(Step::Execution, &id)
    }
    pub fn team(id: JsValue) -> Result<Channel, RealtimeError> {
        root(Step::Team, &id)
    }
    pub fn membership(id: JsValue) -> Result<Channel, RealtimeError> {
        root(Step::Membership, &id)
    }
    pub fn presence(id: JsValue) -> Result<Channel, RealtimeError> {
        root(Step::Presence, &id)
    }
    pub fn account() -> String {
        core::ACCOUNT.into()
    }
    pub fn documents() -> String {
        core::DOCUMENTS.into()
    }
    pub fn rows() -> String {
        core::ROWS.into()
    }
    pub fn files() -> String {
        core::FILES.into()
    }
    pub fn executions() -> String {
        core::EXECUTIONS.into()
    }
    pub fn teams() -> String {
        core::TEAMS.into()
    }
    pub fn memberships() -> String {
        core::MEMBERSHIPS.into()
    }
    pub fn presences() -> String {
        core::PRESENCES.into()
    }
}
