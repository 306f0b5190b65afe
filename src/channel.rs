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

    /// `.collections.<id>`, after a database.
    pub fn collection(&self, id: JsValue) -> Result<Channel, RealtimeError> {
        self.child(Step::Collection, Some(args::text(&id, ID_REFUSED)?))
    }
    /// `.documents` or `.documents.<id>`, after a collection.
    pub fn document(&self, id: JsValue) -> Result<Channel, RealtimeError> {
        self.child(Step::Document, args::optional_text(&id, ID_REFUSED)?)
    }
    /// `.tables.<id>`, after a tablesdb database.
    pub fn table(&self, id: JsValue) -> Result<Channel, RealtimeError> {
        self.child(Step::Table, Some(args::text(&id, ID_REFUSED)?))
    }
    /// `.rows` or `.rows.<id>`, after a table.
    pub fn row(&self, id: JsValue) -> Result<Channel, RealtimeError> {
        self.child(Step::Row, args::optional_text(&id, ID_REFUSED)?)
    }
    /// `.files` or `.files.<id>`, after a bucket.
    pub fn file(&self, id: JsValue) -> Result<Channel, RealtimeError> {
        self.child(Step::File, args::optional_text(&id, ID_REFUSED)?)
    }
    /// Only the `create` events of this resource.
    pub fn create(&self) -> Result<Channel, RealtimeError> {
        self.action(Action::Create)
    }
    /// Only the `update` events of this resource.
    pub fn update(&self) -> Result<Channel, RealtimeError> {
        self.action(Action::Update)
    }
    /// Only the `upsert` events of documents, rows and presences.
    pub fn upsert(&self) -> Result<Channel, RealtimeError> {
        self.action(Action::Upsert)
    }
    /// Only the `delete` events of this resource.
    pub fn delete(&self) -> Result<Channel, RealtimeError> {
        self.action(Action::Delete)
    }

    /// `databases.<id>`.
    pub fn database(id: JsValue) -> Result<Channel, RealtimeError> {
        root(Step::Database, &id)
    }
    /// `tablesdb.<id>`.
    pub fn tablesdb(id: JsValue) -> Result<Channel, RealtimeError> {
        root(Step::TablesDb, &id)
    }
    /// `buckets.<id>`.
    pub fn bucket(id: JsValue) -> Result<Channel, RealtimeError> {
        root(Step::Bucket, &id)
    }
    /// `functions.<id>`.
    #[wasm_bindgen(js_name = function)]
    pub fn function_(id: JsValue) -> Result<Channel, RealtimeError> {
        root(Step::Function, &id)
    }
    /// `executions.<id>`.
    pub fn execution(id: JsValue) -> Result<Channel, RealtimeError> {
        root(Step::Execution, &id)
    }
    /// `teams.<id>`.
    pub fn team(id: JsValue) -> Result<Channel, RealtimeError> {
        root(Step::Team, &id)
    }
    /// `memberships.<id>`.
    pub fn membership(id: JsValue) -> Result<Channel, RealtimeError> {
        root(Step::Membership, &id)
    }
    /// `presences.<id>`.
    pub fn presence(id: JsValue) -> Result<Channel, RealtimeError> {
        root(Step::Presence, &id)
    }
    /// `account`: the signed-in user's own events.
    pub fn account() -> String {
        core::ACCOUNT.into()
    }
    /// `documents`: every document the user may read.
    pub fn documents() -> String {
        core::DOCUMENTS.into()
    }
    /// `rows`: every row the user may read.
    pub fn rows() -> String {
        core::ROWS.into()
    }
    /// `files`: every file the user may read.
    pub fn files() -> String {
        core::FILES.into()
    }
    /// `executions`: every execution the user may read.
    pub fn executions() -> String {
        core::EXECUTIONS.into()
    }
    /// `teams`: every team the user belongs to.
    pub fn teams() -> String {
        core::TEAMS.into()
    }
    /// `memberships`: every membership the user may read.
    pub fn memberships() -> String {
        core::MEMBERSHIPS.into()
    }
    /// `presences`: every presence the user may read.
    pub fn presences() -> String {
        core::PRESENCES.into()
    }
}
