//! `Channel`: the official SDK's channel builders, one class per step so that TypeScript rejects
//! chains the server never publishes (`Channel.database('x').document()`). Each step's
//! `toString()` is the channel string; `subscribe` accepts steps and strings alike.

use appwrite_realtime_core::channel as core;
use wasm_bindgen::prelude::*;

use crate::error::RealtimeError;

fn missing_id(error: core::ChannelError) -> RealtimeError {
    RealtimeError::invalid(&error.to_string())
}

// Docs come in as plain literals: a `///` comment passed through a macro reaches wasm-bindgen as
// a raw string, whose `r"` prefix would show in the generated TypeScript.
macro_rules! step {
    ($doc:literal, $class:ident($core:ty)) => {
        #[doc = $doc]
        #[wasm_bindgen]
        #[derive(Clone)]
        pub struct $class($core);

        #[wasm_bindgen]
        impl $class {
            /// The channel string.
            #[wasm_bindgen(js_name = toString)]
            pub fn to_js_string(&self) -> String {
                self.0.to_string()
            }
        }

        impl From<$core> for $class {
            fn from(channel: $core) -> Self {
                $class(channel)
            }
        }
    };
}

macro_rules! actions {
    ($class:ident: $($action:ident),+) => {
        #[wasm_bindgen]
        impl $class {
            $(
                pub fn $action(&self) -> ResolvedChannel {
                    ResolvedChannel(self.0.$action())
                }
            )+
        }
    };
}

step!("`databases.<id>`.", DatabaseChannel(core::Database));
step!(
    "`databases.<db>.collections.<id>`.",
    CollectionChannel(core::Collection)
);
step!(
    "`databases.<db>.collections.<c>.documents[.<id>]`.",
    DocumentChannel(core::Document)
);
step!("`tablesdb.<id>`.", TablesDbChannel(core::TablesDb));
step!("`tablesdb.<db>.tables.<id>`.", TableChannel(core::Table));
step!(
    "`tablesdb.<db>.tables.<t>.rows[.<id>]`.",
    RowChannel(core::Row)
);
step!("`buckets.<id>`.", BucketChannel(core::Bucket));
step!("`buckets.<b>.files[.<id>]`.", FileChannel(core::File));
step!("`functions.<id>`.", FunctionChannel(core::Function));
step!("`executions.<id>`.", ExecutionChannel(core::Execution));
step!("`teams.<id>`.", TeamChannel(core::Team));
step!("`memberships.<id>`.", MembershipChannel(core::Membership));
step!("`presences.<id>`.", PresenceChannel(core::Presence));
step!(
    "A channel with an action suffix; nothing can follow it.",
    ResolvedChannel(core::Resolved)
);

actions!(DocumentChannel: create, update, upsert, delete);
actions!(RowChannel: create, update, upsert, delete);
actions!(FileChannel: create, update, delete);
actions!(TeamChannel: create, update, delete);
actions!(MembershipChannel: create, update, delete);
actions!(PresenceChannel: create, update, upsert, delete);

#[wasm_bindgen]
impl DatabaseChannel {
    pub fn collection(&self, id: &str) -> Result<CollectionChannel, RealtimeError> {
        self.0.collection(id).map(Into::into).map_err(missing_id)
    }
}

#[wasm_bindgen]
impl CollectionChannel {
    pub fn document(&self, id: Option<String>) -> Result<DocumentChannel, RealtimeError> {
        self.0
            .document(id.as_deref())
            .map(Into::into)
            .map_err(missing_id)
    }
}

#[wasm_bindgen]
impl TablesDbChannel {
    pub fn table(&self, id: &str) -> Result<TableChannel, RealtimeError> {
        self.0.table(id).map(Into::into).map_err(missing_id)
    }
}

#[wasm_bindgen]
impl TableChannel {
    pub fn row(&self, id: Option<String>) -> Result<RowChannel, RealtimeError> {
        self.0
            .row(id.as_deref())
            .map(Into::into)
            .map_err(missing_id)
    }
}

#[wasm_bindgen]
impl BucketChannel {
    pub fn file(&self, id: Option<String>) -> Result<FileChannel, RealtimeError> {
        self.0
            .file(id.as_deref())
            .map(Into::into)
            .map_err(missing_id)
    }
}

/// Entry points of the channel builders, as in the official SDK.
#[wasm_bindgen]
pub struct Channel;

#[wasm_bindgen]
impl Channel {
    pub fn database(id: &str) -> Result<DatabaseChannel, RealtimeError> {
        core::database(id).map(Into::into).map_err(missing_id)
    }
    pub fn tablesdb(id: &str) -> Result<TablesDbChannel, RealtimeError> {
        core::tablesdb(id).map(Into::into).map_err(missing_id)
    }
    pub fn bucket(id: &str) -> Result<BucketChannel, RealtimeError> {
        core::bucket(id).map(Into::into).map_err(missing_id)
    }
    #[wasm_bindgen(js_name = function)]
    pub fn function_(id: &str) -> Result<FunctionChannel, RealtimeError> {
        core::function(id).map(Into::into).map_err(missing_id)
    }
    pub fn execution(id: &str) -> Result<ExecutionChannel, RealtimeError> {
        core::execution(id).map(Into::into).map_err(missing_id)
    }
    pub fn team(id: &str) -> Result<TeamChannel, RealtimeError> {
        core::team(id).map(Into::into).map_err(missing_id)
    }
    pub fn membership(id: &str) -> Result<MembershipChannel, RealtimeError> {
        core::membership(id).map(Into::into).map_err(missing_id)
    }
    pub fn presence(id: &str) -> Result<PresenceChannel, RealtimeError> {
        core::presence(id).map(Into::into).map_err(missing_id)
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
