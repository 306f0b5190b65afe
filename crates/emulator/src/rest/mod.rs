//! The route table of the REST subset under `/v1`, which creates users, sessions and data
//! so that real events flow; the handlers live in one file per API area. There are no API
//! keys: a call without a session stands for a server call.

mod access;
mod account;
mod collections;
mod documents;
mod fields;
mod flavour;
mod functions;
mod list_queries;
mod query_rules;
mod request;
mod responses;
mod sessions;
mod storage;
mod teams;

use crate::Emulator;
use account::{
    create_account, create_user, delete_user, get_account, get_prefs, update_email, update_labels,
    update_name, update_password, update_prefs, update_status, update_verification,
};
use axum::extract::{DefaultBodyLimit, State as AxumState};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use collections::{create_container, get_container, update_container};
use documents::{create_entry, delete_entry, get_entry, list_entries, update_entry, upsert_entry};
use flavour::{DocumentsFace, RowsFace};
use functions::{create_execution, get_execution};
use serde_json::{json, Value};
use sessions::{create_email_session, create_jwt, delete_current_session};
use std::sync::Arc;
use storage::{create_bucket, create_file, delete_file, get_file, list_files, update_file};
use teams::{
    create_membership, create_team, delete_membership, delete_team, get_team, update_membership,
    update_membership_status, update_team,
};

const VERSION: &str = "1.9.6";

/// The SDK uploads files up to 5 MiB in one request (bigger ones in 5 MiB chunks, which the
/// emulator does not assemble); room for that plus the form fields.
const UPLOAD_LIMIT: usize = 5 * 1024 * 1024 + 64 * 1024;

type AppState = Arc<Emulator>;

pub fn routes(emulator: &AppState) -> Router<AppState> {
    Router::new()
        .route("/v1/health/version", get(health_version))
        .route("/v1/users", post(create_user))
        .route("/v1/users/{user_id}/labels", put(update_labels))
        .route(
            "/v1/users/{user_id}/verification",
            patch(update_verification),
        )
        .route("/v1/account", post(create_account).get(get_account))
        .route("/v1/users/{user_id}", axum::routing::delete(delete_user))
        .route("/v1/account/name", patch(update_name))
        .route("/v1/account/email", patch(update_email))
        .route("/v1/account/password", patch(update_password))
        .route("/v1/account/prefs", patch(update_prefs).get(get_prefs))
        .route("/v1/account/status", patch(update_status))
        .route("/v1/account/sessions/email", post(create_email_session))
        .route(
            "/v1/account/sessions/current",
            axum::routing::delete(delete_current_session),
        )
        .route("/v1/account/jwts", post(create_jwt))
        .route(
            "/v1/databases/{database}/collections",
            post(create_container::<DocumentsFace>),
        )
        .route(
            "/v1/databases/{database}/collections/{collection}",
            get(get_container::<DocumentsFace>).put(update_container::<DocumentsFace>),
        )
        .route(
            "/v1/tablesdb/{database}/tables",
            post(create_container::<RowsFace>),
        )
        .route(
            "/v1/tablesdb/{database}/tables/{collection}",
            get(get_container::<RowsFace>).put(update_container::<RowsFace>),
        )
        .route("/v1/storage/buckets", post(create_bucket))
        .route(
            "/v1/databases/{database}/collections/{collection}/documents",
            post(create_entry::<DocumentsFace>).get(list_entries::<DocumentsFace>),
        )
        .route(
            "/v1/databases/{database}/collections/{collection}/documents/{document}",
            get(get_entry::<DocumentsFace>)
                .patch(update_entry::<DocumentsFace>)
                .put(upsert_entry::<DocumentsFace>)
                .delete(delete_entry::<DocumentsFace>),
        )
        .route(
            "/v1/tablesdb/{database}/tables/{collection}/rows",
            post(create_entry::<RowsFace>).get(list_entries::<RowsFace>),
        )
        .route(
            "/v1/tablesdb/{database}/tables/{collection}/rows/{document}",
            get(get_entry::<RowsFace>)
                .patch(update_entry::<RowsFace>)
                .put(upsert_entry::<RowsFace>)
                .delete(delete_entry::<RowsFace>),
        )
        .route(
            "/v1/storage/buckets/{bucket}/files",
            post(create_file)
                .get(list_files)
                .layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route(
            "/v1/storage/buckets/{bucket}/files/{file}",
            get(get_file).put(update_file).delete(delete_file),
        )
        .route("/v1/teams", post(create_team))
        .route(
            "/v1/teams/{team}",
            get(get_team).put(update_team).delete(delete_team),
        )
        .route("/v1/teams/{team}/memberships", post(create_membership))
        .route(
            "/v1/teams/{team}/memberships/{membership}",
            patch(update_membership).delete(delete_membership),
        )
        .route(
            "/v1/teams/{team}/memberships/{membership}/status",
            patch(update_membership_status),
        )
        .route(
            "/v1/functions/{function}/executions",
            post(create_execution),
        )
        .route(
            "/v1/functions/{function}/executions/{execution}",
            get(get_execution),
        )
        .layer(axum::middleware::from_fn_with_state(
            emulator.clone(),
            log_writes,
        ))
}

/// One log line per REST write.
async fn log_writes(
    AxumState(emulator): AxumState<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    if method != Method::GET && method != Method::OPTIONS {
        emulator.log(&format!(
            "{method} {path} -> {}",
            response.status().as_u16()
        ));
    }
    response
}

/// `GET /v1/health/version`: Appwrite's unauthenticated liveness probe.
async fn health_version() -> Json<Value> {
    Json(json!({"version": VERSION}))
}
