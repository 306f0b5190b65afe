//! The REST subset under `/v1` that creates users, sessions and data so that real
//! events flow. Open by design: no API keys, no permission checks on writes.

use crate::events::{DatabaseType, EventNames};
use crate::ids;
use crate::multipart;
use crate::permissions;
use crate::state::{
    Bucket, Collection, Database, Document, Membership, Project, Publication, State, Team, User,
};
use crate::Emulator;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, State as AxumState};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use indexmap::IndexMap;
use serde_json::{json, Map, Value};
use std::convert::Infallible;
use std::sync::Arc;

const VERSION: &str = "1.9.6";

/// The SDK uploads files up to 5 MiB in one request (bigger ones in 5 MiB chunks, which the
/// emulator does not assemble); room for that plus the form fields.
const UPLOAD_LIMIT: usize = 5 * 1024 * 1024 + 64 * 1024;

type AppState = Arc<Emulator>;

/// Appwrite's error body: `{message, code, type, version}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::bad_request_of_kind("general_argument_invalid", message)
    }

    fn bad_request_of_kind(kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, kind, message)
    }

    fn not_found(kind: &'static str, message: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, kind, message)
    }

    fn conflict(kind: &'static str, message: &str) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, kind, message)
    }

    fn guest() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "general_unauthorized_scope",
            "User (role: guests) missing scopes ([\"account\"])",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"message": self.message, "code": self.status.as_u16(), "type": self.kind, "version": VERSION});
        (self.status, Json(body)).into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

fn created(value: Value) -> ApiResult {
    Ok((StatusCode::CREATED, Json(value)).into_response())
}

fn ok(value: Value) -> ApiResult {
    Ok((StatusCode::OK, Json(value)).into_response())
}

fn no_content() -> ApiResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Who is calling, and for which project.
struct Caller {
    project: String,
    user_id: Option<String>,
    /// The session that authenticated the call (for JWT creation).
    session_id: Option<String>,
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty())
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| crate::php_query::percent_decode(value))
}

/// `?project=` as PHP reads it. Parsed before any lock is taken: a hostile query string
/// must not hold up other requests.
fn query_project(raw_query: Option<&str>) -> Option<String> {
    match crate::php_query::parse(raw_query?).shift_remove("project") {
        Some(crate::php_query::PhpParam::Text(project)) => Some(project),
        _ => None,
    }
}

/// What the request says about its project and caller, read from headers and the query
/// string before the state lock is taken (nothing here needs the state).
struct Credentials {
    project_id: Option<String>,
    /// Decoded `{id, secret}` of the session cookie / header / fallback cookie.
    session: Option<(String, String)>,
    jwt: Option<String>,
}

impl Credentials {
    fn read(headers: &HeaderMap, raw_query: Option<&str>) -> Credentials {
        let project_id = header_text(headers, "x-appwrite-project")
            .map(str::to_string)
            .or_else(|| query_project(raw_query))
            .filter(|project| !project.is_empty());
        let session = project_id.as_ref().and_then(|project_id| {
            let cookie_name = format!("a_session_{project_id}");
            let value = cookie(headers, &cookie_name)
                .or_else(|| cookie(headers, &format!("{cookie_name}_legacy")))
                .or_else(|| header_text(headers, "x-appwrite-session").map(str::to_string))
                .or_else(|| {
                    let fallback: Value =
                        serde_json::from_str(header_text(headers, "x-fallback-cookies")?).ok()?;
                    fallback.get(&cookie_name)?.as_str().map(str::to_string)
                })?;
            crate::state::decode_session_value(&value)
        });
        Credentials {
            project_id,
            session,
            jwt: header_text(headers, "x-appwrite-jwt").map(str::to_string),
        }
    }
}

fn caller(state: &State, credentials: &Credentials) -> Result<Caller, ApiError> {
    let project_id = credentials
        .project_id
        .clone()
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "project_not_found", "No Appwrite project was specified. Please specify your project ID when initializing your Appwrite SDK."))?;
    let project = state
        .project(&project_id)
        .ok_or_else(|| ApiError::not_found("project_not_found", "Project with the requested ID could not be found. Please check the value of the X-Appwrite-Project header to ensure the correct project ID is being used."))?;
    let mut user_id = None;
    let mut session_id = None;
    if let Some((id, secret)) = &credentials.session {
        if let Some(user) = project.user_for_session(id, secret) {
            session_id = project
                .sessions
                .values()
                .find(|session| session.user_id == user && &session.secret == secret)
                .map(|session| session.id.clone());
            user_id = Some(user);
        }
    }
    if let Some(jwt) = credentials.jwt.as_deref() {
        if user_id.is_some() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "user_jwt_and_cookie_set",
                "JWT and cookie used in the same request. Use either `setJWT` or `setCookie`.",
            ));
        }
        user_id = project.user_for_jwt(jwt).map_err(|reason| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "user_jwt_invalid",
                format!("Failed to verify JWT. {reason}"),
            )
        })?;
        session_id = project
            .jwts
            .get(jwt)
            .map(|stored| stored.session_id.clone());
    }
    if let Some(user) = user_id.as_ref().and_then(|id| project.users.get(id)) {
        if !user.status {
            return Err(user_blocked());
        }
    }
    Ok(Caller {
        project: project_id,
        user_id,
        session_id,
    })
}

fn user_blocked() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "user_blocked",
        "The current user has been blocked. You can unblock the user by making a request to the User API's \"Update User Status\" endpoint or in the Appwrite Console's Auth section.",
    )
}

fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "user_invalid_credentials",
        "Invalid credentials. Please check the email and password.",
    )
}

fn parse_body(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(ApiError::bad_request("Request body must be a JSON object.")),
    }
}

fn string_field(body: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ApiError::bad_request(format!(
            "Invalid `{key}` param: Value must be a valid string"
        ))),
    }
}

fn required_string(body: &Map<String, Value>, key: &str) -> Result<String, ApiError> {
    string_field(body, key)?
        .ok_or_else(|| ApiError::bad_request(format!("Param \"{key}\" is not optional.")))
}

fn string_list(body: &Map<String, Value>, key: &str) -> Result<Option<Vec<String>>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Invalid `{key}` param: Value must be an array of strings"
                ))
            }),
        Some(_) => Err(ApiError::bad_request(format!(
            "Invalid `{key}` param: Value must be an array"
        ))),
    }
}

fn permissions_field(body: &Map<String, Value>) -> Result<Option<Vec<String>>, ApiError> {
    let permissions = string_list(body, "permissions")?;
    if let Some(list) = &permissions {
        if let Some(bad) = list
            .iter()
            .find(|permission| permissions::parse_permission(permission).is_none())
        {
            return Err(ApiError::bad_request(format!(
                "Invalid `permissions` param: Permission \"{bad}\" is not allowed."
            )));
        }
    }
    Ok(permissions)
}

fn new_id(body: &Map<String, Value>, key: &str) -> Result<String, ApiError> {
    let requested = string_field(body, key)?.unwrap_or_else(|| "unique()".to_string());
    let id = ids::resolve_id(&requested);
    if !ids::is_valid_custom_id(&id) {
        return Err(ApiError::bad_request(format!("Invalid `{key}` param: Parameter must contain at most 36 chars. Valid chars are a-z, A-Z, 0-9, period, hyphen, and underscore. Can't start with a special char")));
    }
    Ok(id)
}

/// What every REST handler needs: the emulator, the headers, and the credentials that
/// identify the project and the caller (read before any lock is taken).
struct ApiRequest {
    emulator: AppState,
    headers: HeaderMap,
    credentials: Credentials,
}

impl FromRequestParts<AppState> for ApiRequest {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        emulator: &AppState,
    ) -> Result<Self, Infallible> {
        Ok(ApiRequest {
            emulator: emulator.clone(),
            headers: parts.headers.clone(),
            credentials: Credentials::read(&parts.headers, parts.uri.query()),
        })
    }
}

/// Runs a write against the caller's project and publishes what it produced under the same
/// lock, so events go out in commit order (publishing only queues frames; nothing waits).
fn write<F>(request: &ApiRequest, action: F) -> ApiResult
where
    F: FnOnce(&mut Project, &Caller) -> Result<(Response, Vec<Publication>), ApiError>,
{
    let emulator = &request.emulator;
    emulator.with_state(|state| {
        let caller = caller(state, &request.credentials)?;
        let project = state
            .project_mut(&caller.project)
            .ok_or_else(project_not_found)?;
        let (response, publications) = action(project, &caller)?;
        for publication in publications {
            state.publish(publication, emulator.config.server_version);
        }
        Ok(response)
    })
}

fn project_not_found() -> ApiError {
    ApiError::not_found(
        "project_not_found",
        "Project with the requested ID could not be found.",
    )
}

fn read<F>(request: &ApiRequest, action: F) -> ApiResult
where
    F: FnOnce(&Project, &Caller) -> ApiResult,
{
    request.emulator.with_state(|state| {
        let caller = caller(state, &request.credentials)?;
        let project = state
            .project(&caller.project)
            .ok_or_else(project_not_found)?;
        action(project, &caller)
    })
}

/// The caller's roles for permission checks: its connection roles plus `any`.
fn caller_roles(project: &Project, caller: &Caller) -> Vec<String> {
    let mut roles = match &caller.user_id {
        Some(user_id) => project.roles_for(user_id),
        None => permissions::guest_roles(),
    };
    roles.push("any".to_string());
    roles
}

/// Appwrite lets a client grant only roles it holds itself (API keys may grant any). In the
/// emulator a call without a session stands for a server call here, so demos and tests can
/// still hand out any role; a signed-in caller is held to the rule.
fn check_grantable(
    caller: &Caller,
    roles: &[String],
    requested: Option<&[String]>,
    open: bool,
) -> Result<(), ApiError> {
    let (Some(requested), Some(_)) = (requested, &caller.user_id) else {
        return Ok(());
    };
    if open {
        return Ok(());
    }
    let grantable = |role: &str| role == "any" || roles.iter().any(|own| own == role);
    let refused = requested.iter().any(|permission| {
        permissions::parse_permission(permission).is_some_and(|(_, role)| !grantable(role))
    });
    if !refused {
        return Ok(());
    }
    let listed: Vec<&str> = std::iter::once("any")
        .chain(
            roles
                .iter()
                .map(String::as_str)
                .filter(|role| *role != "any"),
        )
        .collect();
    Err(ApiError::new(
        StatusCode::UNAUTHORIZED,
        "user_unauthorized",
        format!("Permissions must be one of: ({})", listed.join(", ")),
    ))
}

fn allowed(roles: &[String], permissions: &[String], action: &str) -> bool {
    permissions::allows(roles, permissions, action)
}

/// Container-level permission, or the item's own when item security is on.
fn item_allows(
    roles: &[String],
    (container, security): (&[String], bool),
    item: &[String],
    action: &str,
) -> bool {
    allowed(roles, container, action) || (security && allowed(roles, item, action))
}

/// Appwrite's answer when a write (or a read of a container without item security) is not
/// permitted.
fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "user_unauthorized",
        "The current user is not authorized to perform the requested action.",
    )
}

fn publication(
    caller: &Caller,
    names: EventNames,
    roles: Vec<String>,
    payload: Value,
) -> Publication {
    Publication {
        project: caller.project.clone(),
        events: names.events,
        channels: names.channels,
        roles,
        payload,
        permissions_changed_for: None,
    }
}

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

// ---- users, account, sessions ---------------------------------------------------------

fn account_created(caller: &Caller, user: &User) -> Publication {
    let names = EventNames::from_pattern(
        "users.[userId].create",
        &[("userId", &user.id)],
        &caller.project,
    );
    publication(
        caller,
        names,
        vec![format!("user:{}", user.id)],
        user.account_json(),
    )
}

fn insert_user(project: &mut Project, body: &Map<String, Value>) -> Result<User, ApiError> {
    let id = new_id(body, "userId")?;
    let email = string_field(body, "email")?.unwrap_or_default();
    let duplicate = project.users.contains_key(&id)
        || (!email.is_empty()
            && project
                .users
                .values()
                .any(|user| user.email.eq_ignore_ascii_case(&email)));
    if duplicate {
        return Err(ApiError::conflict(
            "user_already_exists",
            "A user with the same id, email, or phone already exists in this project.",
        ));
    }
    let user = User::new(
        id,
        email,
        string_field(body, "password")?.unwrap_or_default(),
        string_field(body, "name")?.unwrap_or_default(),
    );
    project.users.insert(user.id.clone(), user.clone());
    Ok(user)
}

async fn create_user(request: ApiRequest, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    write(&request, |project, caller| {
        let user = insert_user(project, &body)?;
        Ok((
            created(user.account_json())?,
            vec![account_created(caller, &user)],
        ))
    })
}

async fn create_account(request: ApiRequest, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    required_string(&body, "email")?;
    required_string(&body, "password")?;
    write(&request, |project, caller| {
        let user = insert_user(project, &body)?;
        Ok((
            created(user.account_json())?,
            vec![account_created(caller, &user)],
        ))
    })
}

async fn get_account(request: ApiRequest) -> ApiResult {
    read(&request, |project, caller| {
        let user = caller
            .user_id
            .as_ref()
            .and_then(|id| project.users.get(id))
            .ok_or_else(ApiError::guest)?;
        ok(user.account_json())
    })
}

fn user_update(caller: &Caller, user: &User, attribute: &str) -> Publication {
    let pattern = format!("users.[userId].update.{attribute}");
    let names = EventNames::from_pattern(&pattern, &[("userId", &user.id)], &caller.project);
    publication(
        caller,
        names,
        vec![format!("user:{}", user.id)],
        user.account_json(),
    )
}

async fn update_name(request: ApiRequest, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let name = required_string(&body, "name")?;
    write(&request, |project, caller| {
        let user_id = caller.user_id.clone().ok_or_else(ApiError::guest)?;
        let user = project
            .users
            .get_mut(&user_id)
            .ok_or_else(ApiError::guest)?;
        user.name = name;
        user.updated_at = ids::now_timestamp();
        let user = user.clone();
        Ok((
            ok(user.account_json())?,
            vec![user_update(caller, &user, "name")],
        ))
    })
}

/// Applies `change` to the calling user and emits `users.U.update.<attribute>`.
fn update_own_account(
    request: &ApiRequest,
    attribute: &'static str,
    change: impl FnOnce(&Project, &mut User) -> Result<(), ApiError>,
) -> ApiResult {
    write(request, |project, caller| {
        let user_id = caller.user_id.clone().ok_or_else(ApiError::guest)?;
        let mut user = project
            .users
            .get(&user_id)
            .cloned()
            .ok_or_else(ApiError::guest)?;
        change(project, &mut user)?;
        user.updated_at = ids::now_timestamp();
        project.users.insert(user_id, user.clone());
        Ok((
            ok(user.account_json())?,
            vec![user_update(caller, &user, attribute)],
        ))
    })
}

/// `PATCH /v1/account/email {email, password}`: the current password confirms the change
/// (a user without one may set an email freely); verification is reset.
async fn update_email(request: ApiRequest, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let email = required_string(&body, "email")?;
    let password = required_string(&body, "password")?;
    if !is_email(&email) {
        return Err(ApiError::bad_request(
            "Invalid `email` param: Value must be a valid email address",
        ));
    }
    let email = email.to_lowercase();
    update_own_account(&request, "email", |project, user| {
        if !user.password.is_empty() && user.password != password {
            return Err(invalid_credentials());
        }
        // Every email is also a messaging target; Appwrite finds the other user's target first.
        let taken = project
            .users
            .values()
            .any(|other| other.id != user.id && other.email.eq_ignore_ascii_case(&email));
        if taken {
            return Err(ApiError::conflict(
                "user_target_already_exists",
                "A target with the same ID already exists.",
            ));
        }
        if user.password.is_empty() {
            // A user without a password gets this one, as in Appwrite.
            user.password = password;
            user.password_update = ids::now_timestamp();
        }
        user.email = email;
        user.email_verification = false;
        Ok(())
    })
}

fn is_email(text: &str) -> bool {
    text.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    }) && !text.contains(char::is_whitespace)
}

/// `PATCH /v1/account/password {password, oldPassword}`: the old password is required once
/// the user has one.
async fn update_password(request: ApiRequest, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let password = required_string(&body, "password")?;
    let old_password = string_field(&body, "oldPassword")?.unwrap_or_default();
    let length = password.chars().count();
    if !(8..=256).contains(&length) {
        return Err(ApiError::bad_request(
            "Invalid `password` param: Password must be between 8 and 256 characters long.",
        ));
    }
    update_own_account(&request, "password", |_, user| {
        if !user.password.is_empty() && user.password != old_password {
            return Err(invalid_credentials());
        }
        user.password = password;
        user.password_update = ids::now_timestamp();
        Ok(())
    })
}

/// `PATCH /v1/account/prefs {prefs}`: replaces the preferences object.
async fn update_prefs(request: ApiRequest, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let prefs = match body.get("prefs") {
        Some(Value::Object(prefs)) => prefs.clone(),
        None | Some(Value::Null) => {
            return Err(ApiError::bad_request("Param \"prefs\" is not optional."))
        }
        Some(_) => {
            return Err(ApiError::bad_request(
                "Invalid `prefs` param: Value must be a valid object.",
            ))
        }
    };
    update_own_account(&request, "prefs", |_, user| {
        user.prefs = prefs;
        Ok(())
    })
}

async fn get_prefs(request: ApiRequest) -> ApiResult {
    read(&request, |project, caller| {
        let user = caller
            .user_id
            .as_ref()
            .and_then(|id| project.users.get(id))
            .ok_or_else(ApiError::guest)?;
        ok(Value::Object(user.prefs.clone()))
    })
}

/// `PATCH /v1/account/status`: blocks the caller. As in Appwrite its sessions stay but every
/// REST call made with them answers 401 `user_blocked`; the answer clears the session cookies
/// and the SDK's fallback (`X-Fallback-Cookies: []`). The emulator also ends the user's open
/// sockets right after they got the status event, and a blocked session no longer signs a
/// socket in.
async fn update_status(request: ApiRequest) -> ApiResult {
    let blocked = std::cell::Cell::new(None);
    let mut response = update_own_account(&request, "status", |_, user| {
        user.status = false;
        blocked.set(Some(user.id.clone()));
        Ok(())
    })?;
    if let Some(user_id) = blocked.take() {
        let project_id = request.credentials.project_id.clone().unwrap_or_default();
        request
            .emulator
            .with_state(|state| state.drop_user_connections(&project_id, &user_id));
        let cookie_name = format!("a_session_{project_id}");
        for name in [format!("{cookie_name}_legacy"), cookie_name] {
            let cookie = format!(
                "{name}=; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
            );
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
        response
            .headers_mut()
            .insert("x-fallback-cookies", HeaderValue::from_static("[]"));
    }
    Ok(response)
}

/// `DELETE /v1/users/{id}` (a server route; the emulator has no API keys): removes the user
/// with its sessions, JWTs and memberships and emits `users.U.delete` with the last model.
async fn delete_user(request: ApiRequest, Path(user_id): Path<String>) -> ApiResult {
    write(&request, |project, caller| {
        let user = project
            .users
            .shift_remove(&user_id)
            .ok_or_else(user_not_found)?;
        project
            .sessions
            .retain(|_, session| session.user_id != user_id);
        project.jwts.retain(|_, jwt| jwt.user_id != user_id);
        project
            .memberships
            .retain(|_, membership| membership.user_id != user_id);
        let names = EventNames::from_pattern(
            "users.[userId].delete",
            &[("userId", &user.id)],
            &caller.project,
        );
        let event = publication(
            caller,
            names,
            vec![format!("user:{}", user.id)],
            user.account_json(),
        );
        Ok((no_content()?, vec![event]))
    })
}

fn user_not_found() -> ApiError {
    ApiError::not_found(
        "user_not_found",
        "User with the requested ID could not be found.",
    )
}

async fn update_labels(request: ApiRequest, Path(user_id): Path<String>, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let labels = string_list(&body, "labels")?
        .ok_or_else(|| ApiError::bad_request("Param \"labels\" is not optional."))?;
    write(&request, |project, caller| {
        let user = project.users.get_mut(&user_id).ok_or_else(user_not_found)?;
        user.labels = labels;
        user.updated_at = ids::now_timestamp();
        let user = user.clone();
        Ok((
            ok(user.account_json())?,
            vec![user_update(caller, &user, "labels")],
        ))
    })
}

async fn update_verification(
    request: ApiRequest,
    Path(user_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    let verified = body
        .get("emailVerification")
        .and_then(Value::as_bool)
        .ok_or_else(|| ApiError::bad_request("Param \"emailVerification\" is not optional."))?;
    write(&request, |project, caller| {
        let user = project.users.get_mut(&user_id).ok_or_else(user_not_found)?;
        user.email_verification = verified;
        user.updated_at = ids::now_timestamp();
        let user = user.clone();
        Ok((
            ok(user.account_json())?,
            vec![user_update(caller, &user, "verification")],
        ))
    })
}

fn session_event(
    caller: &Caller,
    user_id: &str,
    session_id: &str,
    action: &str,
    payload: Value,
) -> Publication {
    let pattern = format!("users.[userId].sessions.[sessionId].{action}");
    let names = EventNames::from_pattern(
        &pattern,
        &[("userId", user_id), ("sessionId", session_id)],
        &caller.project,
    );
    publication(caller, names, vec![format!("user:{user_id}")], payload)
}

async fn create_email_session(request: ApiRequest, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let email = required_string(&body, "email")?;
    let password = required_string(&body, "password")?;
    write(&request, |project, caller| {
        let user_id = project
            .users
            .values()
            .find(|user| user.email.eq_ignore_ascii_case(&email) && user.password == password)
            .ok_or_else(invalid_credentials)?;
        if !user_id.status {
            return Err(user_blocked());
        }
        let user_id = user_id.id.clone();
        let session = project.create_session(&user_id);
        let token = session.token();
        let cookie_name = format!("a_session_{}", caller.project);
        let mut response = created(session.model_json(true))?;
        for name in [cookie_name.clone(), format!("{cookie_name}_legacy")] {
            let cookie = format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax");
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
        if let Ok(value) = HeaderValue::from_str(&json!({ cookie_name: token }).to_string()) {
            response.headers_mut().insert("x-fallback-cookies", value);
        }
        let event = session_event(
            caller,
            &user_id,
            &session.id,
            "create",
            session.model_json(false),
        );
        Ok((response, vec![event]))
    })
}

async fn delete_current_session(request: ApiRequest) -> ApiResult {
    write(&request, |project, caller| {
        let (Some(user_id), Some(session_id)) = (caller.user_id.clone(), caller.session_id.clone())
        else {
            return Err(ApiError::guest());
        };
        let session = project
            .sessions
            .shift_remove(&session_id)
            .ok_or_else(ApiError::guest)?;
        let event = session_event(
            caller,
            &user_id,
            &session_id,
            "delete",
            session.model_json(false),
        );
        Ok((no_content()?, vec![event]))
    })
}

async fn create_jwt(request: ApiRequest) -> ApiResult {
    write(&request, |project, caller| {
        let (Some(user_id), Some(session_id)) = (caller.user_id.clone(), caller.session_id.clone())
        else {
            return Err(ApiError::guest());
        };
        let token = project.create_jwt(&user_id, &session_id);
        Ok((created(json!({ "jwt": token }))?, Vec::new()))
    })
}

// ---- databases ------------------------------------------------------------------------

/// Which API a request came through; decides the payload model and, on first use,
/// the database type.
#[derive(Clone, Copy)]
enum Flavour {
    Documents,
    Rows,
}

impl Flavour {
    fn database_type(self) -> DatabaseType {
        match self {
            Flavour::Documents => DatabaseType::Legacy,
            Flavour::Rows => DatabaseType::TablesDb,
        }
    }

    fn id_param(self) -> &'static str {
        match self {
            Flavour::Documents => "documentId",
            Flavour::Rows => "rowId",
        }
    }

    fn list_key(self) -> &'static str {
        match self {
            Flavour::Documents => "documents",
            Flavour::Rows => "rows",
        }
    }

    fn not_found(self) -> ApiError {
        match self {
            Flavour::Documents => ApiError::not_found(
                "document_not_found",
                "Document with the requested ID could not be found.",
            ),
            Flavour::Rows => ApiError::not_found(
                "row_not_found",
                "Row with the requested ID could not be found.",
            ),
        }
    }

    fn model(self, database_id: &str, collection_id: &str, document: &Document) -> Value {
        let mut object = Map::new();
        object.insert("$id".into(), json!(document.id));
        object.insert("$sequence".into(), json!(document.sequence.to_string()));
        let parent_key = match self {
            Flavour::Documents => "$collectionId",
            Flavour::Rows => "$tableId",
        };
        object.insert(parent_key.into(), json!(collection_id));
        object.insert("$databaseId".into(), json!(database_id));
        object.insert("$createdAt".into(), json!(document.created_at));
        object.insert("$updatedAt".into(), json!(document.updated_at));
        object.insert("$permissions".into(), json!(document.permissions));
        for (key, value) in &document.data {
            if !key.starts_with('$') {
                object.insert(key.clone(), value.clone());
            }
        }
        Value::Object(object)
    }
}

fn collection_mut<'a>(
    project: &'a mut Project,
    flavour: Flavour,
    database_id: &str,
    collection_id: &str,
) -> (DatabaseType, &'a mut Collection) {
    let database = project
        .databases
        .entry(database_id.to_string())
        .or_insert_with(|| Database {
            kind: flavour.database_type(),
            collections: IndexMap::new(),
        });
    let kind = database.kind;
    let collection = database
        .collections
        .entry(collection_id.to_string())
        .or_insert_with(|| Collection {
            name: collection_id.to_string(),
            created_at: ids::now_timestamp(),
            updated_at: ids::now_timestamp(),
            permissions: permissions::open_container(false),
            document_security: true,
            documents: IndexMap::new(),
        });
    (kind, collection)
}

fn document_publication(
    caller: &Caller,
    flavour: Flavour,
    kind: DatabaseType,
    (database_id, collection_id): (&str, &str),
    collection: &Collection,
    document: &Document,
    action: &str,
) -> Publication {
    let names = EventNames::for_document(kind, database_id, collection_id, &document.id, action);
    let mut read_permissions = collection.permissions.clone();
    if collection.document_security {
        read_permissions.extend(document.permissions.iter().cloned());
    }
    publication(
        caller,
        names,
        permissions::read_roles(&read_permissions),
        flavour.model(database_id, collection_id, document),
    )
}

fn data_field(body: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    match body.get("data") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(data)) => Ok(data.clone()),
        Some(Value::String(text)) => match serde_json::from_str(text) {
            Ok(Value::Object(data)) => Ok(data),
            _ => Err(ApiError::bad_request(
                "Invalid `data` param: Value must be a valid JSON object",
            )),
        },
        Some(_) => Err(ApiError::bad_request(
            "Invalid `data` param: Value must be a valid JSON object",
        )),
    }
}

fn create_in(
    request: &ApiRequest,
    flavour: Flavour,
    ids_in_path: (String, String),
    body: &Bytes,
) -> ApiResult {
    let body = parse_body(body)?;
    let document_id = new_id(&body, flavour.id_param())?;
    let data = data_field(&body)?;
    let requested_permissions = permissions_field(&body)?;
    let (database_id, collection_id) = ids_in_path;
    let open = request.emulator.config.no_permissions;
    write(request, |project, caller| {
        let roles = caller_roles(project, caller);
        let document_permissions = requested_permissions.clone().unwrap_or_else(|| {
            caller
                .user_id
                .as_deref()
                .map(permissions::creator_defaults)
                .unwrap_or_default()
        });
        let sequence = project.next_sequence();
        let (kind, collection) = collection_mut(project, flavour, &database_id, &collection_id);
        check_grantable(caller, &roles, requested_permissions.as_deref(), open)?;
        if !open && !allowed(&roles, &collection.permissions, "create") {
            return Err(unauthorized());
        }
        if collection.documents.contains_key(&document_id) {
            return Err(match flavour {
                Flavour::Documents => ApiError::conflict("document_already_exists", "Document with the requested ID already exists. Try again with a different ID or use ID.unique() to generate a unique ID."),
                Flavour::Rows => ApiError::conflict("row_already_exists", "Row with the requested ID already exists. Try again with a different ID or use ID.unique() to generate a unique ID."),
            });
        }
        let now = ids::now_timestamp();
        let document = Document {
            id: document_id.clone(),
            sequence,
            created_at: now.clone(),
            updated_at: now,
            permissions: document_permissions,
            data,
        };
        collection
            .documents
            .insert(document.id.clone(), document.clone());
        let event = document_publication(
            caller,
            flavour,
            kind,
            (&database_id, &collection_id),
            collection,
            &document,
            "create",
        );
        Ok((
            created(flavour.model(&database_id, &collection_id, &document))?,
            vec![event],
        ))
    })
}

/// PATCH (merge, must exist) or PUT (upsert).
fn change_in(
    request: &ApiRequest,
    flavour: Flavour,
    (database_id, collection_id, document_id): (String, String, String),
    body: &Bytes,
    upsert: bool,
) -> ApiResult {
    let body = parse_body(body)?;
    let data = data_field(&body)?;
    let new_permissions = permissions_field(&body)?;
    let open = request.emulator.config.no_permissions;
    write(request, |project, caller| {
        let roles = caller_roles(project, caller);
        let creator = caller.user_id.clone();
        let sequence = project.next_sequence();
        let (kind, collection) = collection_mut(project, flavour, &database_id, &collection_id);
        let now = ids::now_timestamp();
        let container = (
            collection.permissions.as_slice(),
            collection.document_security,
        );
        let permitted = match collection.documents.get(&document_id) {
            Some(document) => item_allows(&roles, container, &document.permissions, "update"),
            None => !upsert || allowed(&roles, container.0, "create"),
        };
        if upsert || collection.documents.contains_key(&document_id) {
            check_grantable(caller, &roles, new_permissions.as_deref(), open)?;
        }
        if !open && !permitted {
            return Err(unauthorized());
        }
        let document = match collection.documents.get_mut(&document_id) {
            Some(document) => {
                if upsert {
                    document.data = data;
                } else {
                    document.data.extend(data);
                }
                if let Some(new_permissions) = new_permissions {
                    document.permissions = new_permissions;
                }
                document.updated_at = now;
                document.clone()
            }
            None if upsert => {
                let document = Document {
                    id: document_id.clone(),
                    sequence,
                    created_at: now.clone(),
                    updated_at: now,
                    permissions: new_permissions.unwrap_or_else(|| {
                        creator
                            .as_deref()
                            .map(permissions::creator_defaults)
                            .unwrap_or_default()
                    }),
                    data,
                };
                collection
                    .documents
                    .insert(document.id.clone(), document.clone());
                document
            }
            None => return Err(flavour.not_found()),
        };
        let action = if upsert { "upsert" } else { "update" };
        let event = document_publication(
            caller,
            flavour,
            kind,
            (&database_id, &collection_id),
            collection,
            &document,
            action,
        );
        Ok((
            ok(flavour.model(&database_id, &collection_id, &document))?,
            vec![event],
        ))
    })
}

fn delete_in(
    request: &ApiRequest,
    flavour: Flavour,
    (database_id, collection_id, document_id): (String, String, String),
) -> ApiResult {
    let open = request.emulator.config.no_permissions;
    write(request, |project, caller| {
        let roles = caller_roles(project, caller);
        let (kind, collection) = collection_mut(project, flavour, &database_id, &collection_id);
        let container = (
            collection.permissions.as_slice(),
            collection.document_security,
        );
        let permitted = collection
            .documents
            .get(&document_id)
            .is_none_or(|document| item_allows(&roles, container, &document.permissions, "delete"));
        if !open && !permitted {
            return Err(unauthorized());
        }
        let document = collection
            .documents
            .shift_remove(&document_id)
            .ok_or_else(|| flavour.not_found())?;
        let event = document_publication(
            caller,
            flavour,
            kind,
            (&database_id, &collection_id),
            collection,
            &document,
            "delete",
        );
        Ok((no_content()?, vec![event]))
    })
}

fn get_in(
    request: &ApiRequest,
    flavour: Flavour,
    (database_id, collection_id, document_id): (String, String, String),
) -> ApiResult {
    let open = request.emulator.config.no_permissions;
    read(request, |project, caller| {
        let collection = project
            .databases
            .get(&database_id)
            .and_then(|database| database.collections.get(&collection_id))
            .ok_or_else(|| flavour.not_found())?;
        let roles = caller_roles(project, caller);
        let container = (
            collection.permissions.as_slice(),
            collection.document_security,
        );
        if !open && !container.1 && !allowed(&roles, container.0, "read") {
            return Err(unauthorized());
        }
        let document = collection
            .documents
            .get(&document_id)
            .filter(|document| {
                open || item_allows(&roles, container, &document.permissions, "read")
            })
            .ok_or_else(|| flavour.not_found())?;
        ok(flavour.model(&database_id, &collection_id, document))
    })
}

fn list_in(
    request: &ApiRequest,
    flavour: Flavour,
    (database_id, collection_id): (String, String),
) -> ApiResult {
    let open = request.emulator.config.no_permissions;
    read(request, |project, caller| {
        let roles = caller_roles(project, caller);
        let collection = project
            .databases
            .get(&database_id)
            .and_then(|database| database.collections.get(&collection_id));
        let mut models: Vec<Value> = Vec::new();
        if let Some(collection) = collection {
            let container = (
                collection.permissions.as_slice(),
                collection.document_security,
            );
            if !open && !container.1 && !allowed(&roles, container.0, "read") {
                return Err(unauthorized());
            }
            models = collection
                .documents
                .values()
                .filter(|document| {
                    open || item_allows(&roles, container, &document.permissions, "read")
                })
                .map(|document| flavour.model(&database_id, &collection_id, document))
                .collect();
        }
        ok(json!({"total": models.len(), flavour.list_key(): models}))
    })
}

/// The REST face a route serves: documents (`/databases`) or rows (`/tablesdb`) of the same data.
trait Face {
    const FLAVOUR: Flavour;
}

struct DocumentsFace;
impl Face for DocumentsFace {
    const FLAVOUR: Flavour = Flavour::Documents;
}

struct RowsFace;
impl Face for RowsFace {
    const FLAVOUR: Flavour = Flavour::Rows;
}

async fn create_entry<F: Face>(
    request: ApiRequest,
    Path(path): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    create_in(&request, F::FLAVOUR, path, &body)
}

async fn list_entries<F: Face>(
    request: ApiRequest,
    Path(path): Path<(String, String)>,
) -> ApiResult {
    list_in(&request, F::FLAVOUR, path)
}

async fn get_entry<F: Face>(
    request: ApiRequest,
    Path(path): Path<(String, String, String)>,
) -> ApiResult {
    get_in(&request, F::FLAVOUR, path)
}

async fn update_entry<F: Face>(
    request: ApiRequest,
    Path(path): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult {
    change_in(&request, F::FLAVOUR, path, &body, false)
}

async fn upsert_entry<F: Face>(
    request: ApiRequest,
    Path(path): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult {
    change_in(&request, F::FLAVOUR, path, &body, true)
}

async fn delete_entry<F: Face>(
    request: ApiRequest,
    Path(path): Path<(String, String, String)>,
) -> ApiResult {
    delete_in(&request, F::FLAVOUR, path)
}

// ---- collections, tables and buckets (server routes; the emulator has no API keys) ---

fn bool_field(body: &Map<String, Value>, key: &str) -> Result<Option<bool>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(flag)) => Ok(Some(*flag)),
        Some(_) => Err(ApiError::bad_request(format!(
            "Invalid `{key}` param: Value must be a valid boolean"
        ))),
    }
}

impl Flavour {
    fn container_id_param(self) -> &'static str {
        match self {
            Flavour::Documents => "collectionId",
            Flavour::Rows => "tableId",
        }
    }

    fn security_param(self) -> &'static str {
        match self {
            Flavour::Documents => "documentSecurity",
            Flavour::Rows => "rowSecurity",
        }
    }

    fn container_not_found(self) -> ApiError {
        match self {
            Flavour::Documents => ApiError::not_found(
                "collection_not_found",
                "Collection with the requested ID could not be found.",
            ),
            Flavour::Rows => ApiError::not_found(
                "table_not_found",
                "Table with the requested ID could not be found.",
            ),
        }
    }

    fn container_model(
        self,
        database_id: &str,
        collection_id: &str,
        collection: &Collection,
    ) -> Value {
        let mut object = Map::new();
        object.insert("$id".into(), json!(collection_id));
        object.insert("$createdAt".into(), json!(collection.created_at));
        object.insert("$updatedAt".into(), json!(collection.updated_at));
        object.insert("$permissions".into(), json!(collection.permissions));
        object.insert("databaseId".into(), json!(database_id));
        object.insert("name".into(), json!(collection.name));
        object.insert("enabled".into(), json!(true));
        object.insert(
            self.security_param().into(),
            json!(collection.document_security),
        );
        let (fields, indexes) = match self {
            Flavour::Documents => ("attributes", "indexes"),
            Flavour::Rows => ("columns", "indexes"),
        };
        object.insert(fields.into(), json!([]));
        object.insert(indexes.into(), json!([]));
        Value::Object(object)
    }
}

/// `POST /v1/databases/{db}/collections {collectionId, name, permissions?, documentSecurity?}`
/// (and `/v1/tablesdb/{db}/tables` with `tableId`, `rowSecurity`): a container with the given
/// permissions; item security is off unless asked for, as in Appwrite.
async fn create_container<F: Face>(
    request: ApiRequest,
    Path(database_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let flavour = F::FLAVOUR;
    let body = parse_body(&body)?;
    let collection_id = new_id(&body, flavour.container_id_param())?;
    let name = required_string(&body, "name")?;
    let container_permissions = permissions_field(&body)?.unwrap_or_default();
    let security = bool_field(&body, flavour.security_param())?.unwrap_or(false);
    write(&request, |project, _| {
        let database = project
            .databases
            .entry(database_id.clone())
            .or_insert_with(|| Database {
                kind: flavour.database_type(),
                collections: IndexMap::new(),
            });
        if database.collections.contains_key(&collection_id) {
            return Err(match flavour {
                Flavour::Documents => ApiError::conflict("collection_already_exists", "Collection with the requested ID already exists. Try again with a different ID or use ID.unique() to generate a unique ID."),
                Flavour::Rows => ApiError::conflict("table_already_exists", "Table with the requested ID already exists. Try again with a different ID or use ID.unique() to generate a unique ID."),
            });
        }
        let now = ids::now_timestamp();
        let collection = Collection {
            name,
            created_at: now.clone(),
            updated_at: now,
            permissions: container_permissions,
            document_security: security,
            documents: IndexMap::new(),
        };
        let model = flavour.container_model(&database_id, &collection_id, &collection);
        database.collections.insert(collection_id, collection);
        Ok((created(model)?, Vec::new()))
    })
}

async fn get_container<F: Face>(
    request: ApiRequest,
    Path((database_id, collection_id)): Path<(String, String)>,
) -> ApiResult {
    read(&request, |project, _| {
        let collection = project
            .databases
            .get(&database_id)
            .and_then(|database| database.collections.get(&collection_id))
            .ok_or_else(|| F::FLAVOUR.container_not_found())?;
        ok(F::FLAVOUR.container_model(&database_id, &collection_id, collection))
    })
}

/// `PUT …/collections/{c} {name, permissions?, documentSecurity?}`: replaces permissions and
/// item security (absent `permissions` keeps them).
async fn update_container<F: Face>(
    request: ApiRequest,
    Path((database_id, collection_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let flavour = F::FLAVOUR;
    let body = parse_body(&body)?;
    let name = string_field(&body, "name")?;
    let new_permissions = permissions_field(&body)?;
    let security = bool_field(&body, flavour.security_param())?;
    write(&request, |project, _| {
        let collection = project
            .databases
            .get_mut(&database_id)
            .and_then(|database| database.collections.get_mut(&collection_id))
            .ok_or_else(|| flavour.container_not_found())?;
        if let Some(name) = name {
            collection.name = name;
        }
        if let Some(new_permissions) = new_permissions {
            collection.permissions = new_permissions;
        }
        collection.document_security = security.unwrap_or(false);
        collection.updated_at = ids::now_timestamp();
        let model = flavour.container_model(&database_id, &collection_id, collection);
        Ok((ok(model)?, Vec::new()))
    })
}

/// `POST /v1/storage/buckets {bucketId, name, permissions?, fileSecurity?}`.
async fn create_bucket(request: ApiRequest, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let bucket_id = new_id(&body, "bucketId")?;
    let name = required_string(&body, "name")?;
    let bucket_permissions = permissions_field(&body)?.unwrap_or_default();
    let file_security = bool_field(&body, "fileSecurity")?.unwrap_or(false);
    write(&request, |project, _| {
        if project.buckets.contains_key(&bucket_id) {
            return Err(ApiError::conflict(
                "storage_bucket_already_exists",
                "A storage bucket with the requested ID already exists. Try again with a different ID or use ID.unique() to generate a unique ID.",
            ));
        }
        let now = ids::now_timestamp();
        let model = json!({
            "$id": bucket_id,
            "$createdAt": now,
            "$updatedAt": now,
            "$permissions": bucket_permissions,
            "fileSecurity": file_security,
            "name": name,
            "enabled": true,
            "maximumFileSize": 30_000_000,
            "allowedFileExtensions": [],
            "compression": "none",
            "encryption": true,
            "antivirus": true,
            "transformations": true,
            "totalSize": 0,
        });
        project.buckets.insert(
            bucket_id,
            Bucket {
                permissions: bucket_permissions,
                file_security,
                files: IndexMap::new(),
            },
        );
        Ok((created(model)?, Vec::new()))
    })
}

// ---- storage --------------------------------------------------------------------------

fn bucket_mut<'a>(project: &'a mut Project, bucket_id: &str) -> &'a mut Bucket {
    project
        .buckets
        .entry(bucket_id.to_string())
        .or_insert_with(|| Bucket {
            permissions: permissions::open_container(false),
            file_security: true,
            files: IndexMap::new(),
        })
}

fn file_publication(
    caller: &Caller,
    bucket_id: &str,
    bucket: &Bucket,
    file: &Map<String, Value>,
    action: &str,
) -> Publication {
    let file_id = file.get("$id").and_then(Value::as_str).unwrap_or_default();
    let pattern = format!("buckets.[bucketId].files.[fileId].{action}");
    let names = EventNames::from_pattern(
        &pattern,
        &[("bucketId", bucket_id), ("fileId", file_id)],
        &caller.project,
    );
    let mut read_permissions = bucket.permissions.clone();
    if bucket.file_security {
        let file_permissions: Vec<String> = file
            .get("$permissions")
            .and_then(|value| serde_json::from_value(value.clone()).ok())
            .unwrap_or_default();
        read_permissions.extend(file_permissions);
    }
    publication(
        caller,
        names,
        permissions::read_roles(&read_permissions),
        Value::Object(file.clone()),
    )
}

fn file_permissions(file: &Map<String, Value>) -> Vec<String> {
    file.get("$permissions")
        .and_then(|value| serde_json::from_value(value.clone()).ok())
        .unwrap_or_default()
}

/// Whether the caller may `action` an existing file (bucket permission, or the file's own
/// when file security is on).
fn file_allows(roles: &[String], bucket: &Bucket, file: &Map<String, Value>, action: &str) -> bool {
    item_allows(
        roles,
        (&bucket.permissions, bucket.file_security),
        &file_permissions(file),
        action,
    )
}

/// Reads need bucket read, or file security (then each file decides).
fn bucket_readable(roles: &[String], bucket: &Bucket) -> bool {
    bucket.file_security || allowed(roles, &bucket.permissions, "read")
}

fn file_not_found() -> ApiError {
    ApiError::not_found(
        "storage_file_not_found",
        "The requested file could not be found.",
    )
}

/// The form fields of an upload (`permissions[]` parts gathered into a `permissions` list)
/// and its `file` part. A JSON body (metadata only, no content) is accepted too.
fn file_upload(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Map<String, Value>, Option<multipart::Part>), ApiError> {
    let Some(boundary) = header_text(headers, "content-type").and_then(multipart::boundary) else {
        return Ok((parse_body(body)?, None));
    };
    let parts = multipart::parse(body, &boundary)
        .ok_or_else(|| ApiError::bad_request("Request body is not valid multipart/form-data."))?;
    let mut fields = Map::new();
    let mut file = None;
    for part in parts {
        if part.name == "file" {
            file = Some(part);
            continue;
        }
        let text = Value::String(String::from_utf8_lossy(&part.data).into_owned());
        match part.name.strip_suffix("[]") {
            Some(list_name) => match fields.get_mut(list_name) {
                Some(Value::Array(items)) => items.push(text),
                _ => {
                    fields.insert(list_name.to_string(), Value::Array(vec![text]));
                }
            },
            None => {
                fields.insert(part.name, text);
            }
        }
    }
    if file.is_none() {
        return Err(ApiError::bad_request_of_kind(
            "storage_file_empty",
            "Empty file passed to the endpoint.",
        ));
    }
    Ok((fields, file))
}

async fn create_file(request: ApiRequest, Path(bucket_id): Path<String>, body: Bytes) -> ApiResult {
    let (body, upload) = file_upload(&request.headers, &body)?;
    let file_id = new_id(&body, "fileId")?;
    let uploaded_name = upload.as_ref().and_then(|file| file.filename.clone());
    let name = string_field(&body, "name")?
        .or(uploaded_name)
        .unwrap_or_else(|| file_id.clone());
    let uploaded_type = upload.as_ref().and_then(|file| file.content_type.clone());
    let mime_type = string_field(&body, "mimeType")?
        .or(uploaded_type)
        .unwrap_or_else(|| "application/octet-stream".to_string());
    let size = match &upload {
        Some(file) => file.data.len() as u64,
        None => body.get("size").and_then(Value::as_u64).unwrap_or(0),
    };
    let requested_permissions = permissions_field(&body)?;
    let open = request.emulator.config.no_permissions;
    write(&request, |project, caller| {
        let roles = caller_roles(project, caller);
        let file_permissions = requested_permissions.clone().unwrap_or_else(|| {
            caller
                .user_id
                .as_deref()
                .map(permissions::creator_defaults)
                .unwrap_or_default()
        });
        let bucket = bucket_mut(project, &bucket_id);
        check_grantable(caller, &roles, requested_permissions.as_deref(), open)?;
        if !open && !allowed(&roles, &bucket.permissions, "create") {
            return Err(unauthorized());
        }
        if bucket.files.contains_key(&file_id) {
            return Err(ApiError::conflict(
                "storage_file_already_exists",
                "A storage file with the requested ID already exists.",
            ));
        }
        let now = ids::now_timestamp();
        let file = json!({
            "$id": file_id,
            "bucketId": bucket_id,
            "$createdAt": now,
            "$updatedAt": now,
            "$permissions": file_permissions,
            "name": name,
            "signature": ids::random_hex(32),
            "mimeType": mime_type,
            "sizeOriginal": size,
            "chunksTotal": 1,
            "chunksUploaded": 1,
        });
        let Value::Object(file) = file else {
            return Err(ApiError::bad_request("file model"));
        };
        bucket.files.insert(file_id.clone(), file.clone());
        let event = file_publication(caller, &bucket_id, bucket, &file, "create");
        Ok((created(Value::Object(file))?, vec![event]))
    })
}

async fn list_files(request: ApiRequest, Path(bucket_id): Path<String>) -> ApiResult {
    let open = request.emulator.config.no_permissions;
    read(&request, |project, caller| {
        let roles = caller_roles(project, caller);
        let mut files: Vec<Value> = Vec::new();
        if let Some(bucket) = project.buckets.get(&bucket_id) {
            if !open && !bucket_readable(&roles, bucket) {
                return Err(unauthorized());
            }
            files = bucket
                .files
                .values()
                .filter(|file| open || file_allows(&roles, bucket, file, "read"))
                .cloned()
                .map(Value::Object)
                .collect();
        }
        ok(json!({"total": files.len(), "files": files}))
    })
}

async fn get_file(
    request: ApiRequest,
    Path((bucket_id, file_id)): Path<(String, String)>,
) -> ApiResult {
    let open = request.emulator.config.no_permissions;
    read(&request, |project, caller| {
        let roles = caller_roles(project, caller);
        let bucket = project.buckets.get(&bucket_id).ok_or_else(file_not_found)?;
        if !open && !bucket_readable(&roles, bucket) {
            return Err(unauthorized());
        }
        let file = bucket
            .files
            .get(&file_id)
            .filter(|file| open || file_allows(&roles, bucket, file, "read"))
            .ok_or_else(file_not_found)?;
        ok(Value::Object(file.clone()))
    })
}

async fn update_file(
    request: ApiRequest,
    Path((bucket_id, file_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    let name = string_field(&body, "name")?;
    let new_permissions = permissions_field(&body)?;
    let open = request.emulator.config.no_permissions;
    write(&request, |project, caller| {
        let roles = caller_roles(project, caller);
        let bucket = bucket_mut(project, &bucket_id);
        let permitted = bucket
            .files
            .get(&file_id)
            .is_none_or(|file| file_allows(&roles, bucket, file, "update"));
        if bucket.files.contains_key(&file_id) {
            check_grantable(caller, &roles, new_permissions.as_deref(), open)?;
        }
        if !open && !permitted {
            return Err(unauthorized());
        }
        let file = bucket.files.get_mut(&file_id).ok_or_else(file_not_found)?;
        if let Some(name) = name {
            file.insert("name".into(), json!(name));
        }
        if let Some(new_permissions) = new_permissions {
            file.insert("$permissions".into(), json!(new_permissions));
        }
        file.insert("$updatedAt".into(), json!(ids::now_timestamp()));
        let file = file.clone();
        let event = file_publication(caller, &bucket_id, bucket, &file, "update");
        Ok((ok(Value::Object(file))?, vec![event]))
    })
}

async fn delete_file(
    request: ApiRequest,
    Path((bucket_id, file_id)): Path<(String, String)>,
) -> ApiResult {
    let open = request.emulator.config.no_permissions;
    write(&request, |project, caller| {
        let roles = caller_roles(project, caller);
        let bucket = bucket_mut(project, &bucket_id);
        let permitted = bucket
            .files
            .get(&file_id)
            .is_none_or(|file| file_allows(&roles, bucket, file, "delete"));
        if !open && !permitted {
            return Err(unauthorized());
        }
        let file = bucket
            .files
            .shift_remove(&file_id)
            .ok_or_else(file_not_found)?;
        let event = file_publication(caller, &bucket_id, bucket, &file, "delete");
        Ok((no_content()?, vec![event]))
    })
}

// ---- teams and memberships ------------------------------------------------------------

fn team_model(project: &Project, team: &Team) -> Value {
    let total = project
        .memberships
        .values()
        .filter(|membership| membership.team_id == team.id && membership.confirm)
        .count();
    json!({"$id": team.id, "$createdAt": team.created_at, "$updatedAt": team.updated_at, "name": team.name, "total": total, "prefs": {}})
}

fn membership_model(project: &Project, membership: &Membership) -> Value {
    let user = project.users.get(&membership.user_id);
    let team_name = project
        .teams
        .get(&membership.team_id)
        .map(|team| team.name.clone())
        .unwrap_or_default();
    json!({
        "$id": membership.id,
        "$createdAt": membership.created_at,
        "$updatedAt": membership.updated_at,
        "userId": membership.user_id,
        "userName": user.map(|user| user.name.clone()).unwrap_or_default(),
        "userEmail": user.map(|user| user.email.clone()).unwrap_or_default(),
        "userPhone": user.map(|user| user.phone.clone()).unwrap_or_default(),
        "teamId": membership.team_id,
        "teamName": team_name,
        "invited": membership.created_at,
        "joined": membership.created_at,
        "confirm": membership.confirm,
        "mfa": false,
        "userAccessedAt": user.map(|user| user.updated_at.clone()).unwrap_or_default(),
        "roles": membership.roles,
    })
}

fn team_not_found() -> ApiError {
    ApiError::not_found(
        "team_not_found",
        "Team with the requested ID could not be found.",
    )
}

fn membership_not_found() -> ApiError {
    ApiError::not_found(
        "membership_not_found",
        "Membership with the requested ID could not be found.",
    )
}

fn team_event(
    caller: &Caller,
    project: &Project,
    team: &Team,
    suffix: &str,
    permissions_changed_for: Option<String>,
) -> Publication {
    let pattern = format!("teams.[teamId].{suffix}");
    let names = EventNames::from_pattern(&pattern, &[("teamId", &team.id)], &caller.project);
    let mut event = publication(
        caller,
        names,
        vec![format!("team:{}", team.id)],
        team_model(project, team),
    );
    event.permissions_changed_for = permissions_changed_for;
    event
}

fn membership_event(
    caller: &Caller,
    project: &Project,
    membership: &Membership,
    suffix: &str,
) -> Publication {
    let pattern = format!("teams.[teamId].memberships.[membershipId].{suffix}");
    let names = EventNames::from_pattern(
        &pattern,
        &[
            ("teamId", &membership.team_id),
            ("membershipId", &membership.id),
        ],
        &caller.project,
    );
    let mut event = publication(
        caller,
        names,
        vec![format!("team:{}", membership.team_id)],
        membership_model(project, membership),
    );
    event.permissions_changed_for = Some(membership.user_id.clone());
    event
}

async fn create_team(request: ApiRequest, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let team_id = new_id(&body, "teamId")?;
    let name = required_string(&body, "name")?;
    let owner_roles = string_list(&body, "roles")?.unwrap_or_else(|| vec!["owner".to_string()]);
    write(&request, |project, caller| {
        if project.teams.contains_key(&team_id) {
            return Err(ApiError::conflict("team_already_exists", "Team with requested ID already exists. Please choose a different ID and try again."));
        }
        let now = ids::now_timestamp();
        let team = Team {
            id: team_id.clone(),
            name,
            created_at: now.clone(),
            updated_at: now.clone(),
        };
        project.teams.insert(team.id.clone(), team.clone());
        if let Some(user_id) = &caller.user_id {
            let membership = Membership {
                id: ids::unique_id(),
                team_id: team.id.clone(),
                user_id: user_id.clone(),
                roles: owner_roles,
                created_at: now.clone(),
                updated_at: now,
                confirm: true,
            };
            project
                .memberships
                .insert(membership.id.clone(), membership);
        }
        let event = team_event(caller, project, &team, "create", caller.user_id.clone());
        Ok((created(team_model(project, &team))?, vec![event]))
    })
}

/// What a caller may do in a team. A call without a session stands for a server call with an
/// API key (the emulator has none) and may do everything; a signed-in user needs membership
/// to see the team and the `owner` role to change it, as in Appwrite.
struct TeamAccess {
    open: bool,
    member: bool,
    owner: bool,
}

fn team_access(
    request: &ApiRequest,
    project: &Project,
    caller: &Caller,
    team_id: &str,
) -> TeamAccess {
    let open = request.emulator.config.no_permissions || caller.user_id.is_none();
    let roles = caller_roles(project, caller);
    TeamAccess {
        open,
        member: roles.iter().any(|role| role == &format!("team:{team_id}")),
        owner: roles
            .iter()
            .any(|role| role == &format!("team:{team_id}/owner")),
    }
}

impl TeamAccess {
    fn can_see(&self) -> bool {
        self.open || self.member
    }

    fn can_manage(&self) -> bool {
        self.open || self.owner
    }
}

async fn get_team(request: ApiRequest, Path(team_id): Path<String>) -> ApiResult {
    read(&request, |project, caller| {
        let team = project
            .teams
            .get(&team_id)
            .filter(|_| team_access(&request, project, caller, &team_id).can_see())
            .ok_or_else(team_not_found)?;
        ok(team_model(project, team))
    })
}

async fn update_team(request: ApiRequest, Path(team_id): Path<String>, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let name = required_string(&body, "name")?;
    write(&request, |project, caller| {
        let access = team_access(&request, project, caller, &team_id);
        if !project.teams.contains_key(&team_id) || !access.can_see() {
            return Err(team_not_found());
        }
        if !access.can_manage() {
            return Err(unauthorized());
        }
        let team = project.teams.get_mut(&team_id).ok_or_else(team_not_found)?;
        team.name = name;
        team.updated_at = ids::now_timestamp();
        let team = team.clone();
        let event = team_event(caller, project, &team, "update", None);
        Ok((ok(team_model(project, &team))?, vec![event]))
    })
}

async fn delete_team(request: ApiRequest, Path(team_id): Path<String>) -> ApiResult {
    write(&request, |project, caller| {
        let access = team_access(&request, project, caller, &team_id);
        if !project.teams.contains_key(&team_id) || !access.can_see() {
            return Err(team_not_found());
        }
        if !access.can_manage() {
            return Err(unauthorized());
        }
        let team = project
            .teams
            .shift_remove(&team_id)
            .ok_or_else(team_not_found)?;
        let event = team_event(caller, project, &team, "delete", None);
        project
            .memberships
            .retain(|_, membership| membership.team_id != team_id);
        Ok((no_content()?, vec![event]))
    })
}

async fn create_membership(
    request: ApiRequest,
    Path(team_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    let requested_user = string_field(&body, "userId")?;
    let email = string_field(&body, "email")?;
    let roles = string_list(&body, "roles")?.unwrap_or_default();
    write(&request, |project, caller| {
        let access = team_access(&request, project, caller, &team_id);
        if !project.teams.contains_key(&team_id) || !access.can_see() {
            return Err(team_not_found());
        }
        if !access.can_manage() {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "user_unauthorized",
                "User is not allowed to send invitations for this team",
            ));
        }
        let user_id = match (&requested_user, &email) {
            (Some(user_id), _) => project.users.get(user_id).map(|user| user.id.clone()),
            (None, Some(email)) => project
                .users
                .values()
                .find(|user| user.email.eq_ignore_ascii_case(email))
                .map(|user| user.id.clone()),
            (None, None) => {
                return Err(ApiError::bad_request(
                    "Param \"userId\" or \"email\" is required.",
                ))
            }
        }
        .ok_or_else(user_not_found)?;
        if project
            .memberships
            .values()
            .any(|membership| membership.team_id == team_id && membership.user_id == user_id)
        {
            return Err(ApiError::conflict(
                "membership_already_confirmed",
                "Membership is already confirmed.",
            ));
        }
        let now = ids::now_timestamp();
        let membership = Membership {
            id: ids::unique_id(),
            team_id: team_id.clone(),
            user_id,
            roles,
            created_at: now.clone(),
            updated_at: now,
            confirm: true,
        };
        project
            .memberships
            .insert(membership.id.clone(), membership.clone());
        let event = membership_event(caller, project, &membership, "create");
        Ok((
            created(membership_model(project, &membership))?,
            vec![event],
        ))
    })
}

fn change_membership(
    request: &ApiRequest,
    (team_id, membership_id): (String, String),
    roles: Option<Vec<String>>,
    suffix: &str,
) -> ApiResult {
    write(request, |project, caller| {
        let access = team_access(request, project, caller, &team_id);
        if roles.is_some() && project.teams.contains_key(&team_id) && !access.can_manage() {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "user_unauthorized",
                "User is not allowed to modify roles",
            ));
        }
        let membership = project
            .memberships
            .get_mut(&membership_id)
            .filter(|membership| membership.team_id == team_id)
            .ok_or_else(membership_not_found)?;
        if let Some(roles) = roles {
            membership.roles = roles;
        }
        membership.confirm = true;
        membership.updated_at = ids::now_timestamp();
        let membership = membership.clone();
        let event = membership_event(caller, project, &membership, suffix);
        Ok((ok(membership_model(project, &membership))?, vec![event]))
    })
}

async fn update_membership(
    request: ApiRequest,
    Path(path): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    let roles = string_list(&body, "roles")?
        .ok_or_else(|| ApiError::bad_request("Param \"roles\" is not optional."))?;
    change_membership(&request, path, Some(roles), "update")
}

async fn update_membership_status(
    request: ApiRequest,
    Path(path): Path<(String, String)>,
) -> ApiResult {
    change_membership(&request, path, None, "update.status")
}

async fn delete_membership(
    request: ApiRequest,
    Path((team_id, membership_id)): Path<(String, String)>,
) -> ApiResult {
    write(&request, |project, caller| {
        let exists = project
            .memberships
            .get(&membership_id)
            .is_some_and(|membership| membership.team_id == team_id);
        if !exists {
            return Err(membership_not_found());
        }
        let access = team_access(&request, project, caller, &team_id);
        let own = project
            .memberships
            .get(&membership_id)
            .is_some_and(|membership| caller.user_id.as_deref() == Some(&membership.user_id));
        if !access.can_manage() && !own {
            return Err(unauthorized());
        }
        let membership = project
            .memberships
            .shift_remove(&membership_id)
            .ok_or_else(membership_not_found)?;
        let event = membership_event(caller, project, &membership, "delete");
        Ok((no_content()?, vec![event]))
    })
}

// ---- executions -----------------------------------------------------------------------

/// How long an async execution waits in the queue, then runs, before it completes.
const ASYNC_EXECUTION_STEP: std::time::Duration = std::time::Duration::from_millis(25);

fn execution_not_found() -> ApiError {
    ApiError::not_found(
        "execution_not_found",
        "Execution with the requested ID could not be found.",
    )
}

/// The event of one execution change, readable by the execution's read roles (none: no event).
fn execution_publication(
    project_id: &str,
    execution: &Map<String, Value>,
    action: &str,
) -> Publication {
    let text = |key: &str| {
        execution
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let pattern = format!("functions.[functionId].executions.[executionId].{action}");
    let names = EventNames::from_pattern(
        &pattern,
        &[
            ("functionId", text("functionId")),
            ("executionId", text("$id")),
        ],
        project_id,
    );
    let permissions: Vec<String> = execution
        .get("$permissions")
        .and_then(|value| serde_json::from_value(value.clone()).ok())
        .unwrap_or_default();
    Publication {
        project: project_id.to_string(),
        events: names.events,
        channels: names.channels,
        roles: permissions::read_roles(&permissions),
        payload: Value::Object(execution.clone()),
        permissions_changed_for: None,
    }
}

/// Moves an execution to `processing`, or to `completed` (the emulator's stand-in function
/// answers 200 at once).
fn advance_execution(
    execution: &mut Map<String, Value>,
    status: &str,
    started: std::time::Instant,
) {
    execution.insert("$updatedAt".into(), json!(ids::now_timestamp()));
    execution.insert("status".into(), json!(status));
    if status == "completed" {
        execution.insert("responseStatusCode".into(), json!(200));
        // Seconds as a float, never exactly 0 (a real run always takes time).
        let duration = (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
        execution.insert("duration".into(), json!(duration.max(0.001)));
    }
}

/// Moves a stored execution on; `completed` also publishes `…executions.E.update` (the
/// functions worker's only event: `processing` is a silent database update). False when the
/// execution is gone (e.g. after `/_emulator/reset`).
fn step_execution(
    emulator: &Emulator,
    (project_id, execution_id): (&str, &str),
    status: &str,
    started: std::time::Instant,
) -> bool {
    emulator.with_state(|state| {
        let Some(execution) = state
            .project_mut(project_id)
            .and_then(|project| project.executions.get_mut(execution_id))
        else {
            return false;
        };
        advance_execution(execution, status, started);
        if status == "completed" {
            let event = execution_publication(project_id, execution, "update");
            state.publish(event, emulator.config.server_version);
        }
        true
    })
}

/// `POST /v1/functions/{fn}/executions {body?, async?, path?, method?, headers?, permissions?}`.
/// As Appwrite's `Executions/Create.php` and functions worker do:
/// synchronous: runs at once and answers 201 `completed` with the response body; the route's
/// `…create` event carries that answer (published before the answer leaves). The stored copy
/// keeps no response body (`GET` shows `""`), as Appwrite stores the execution before it sets it.
/// `async: true`: 202 `waiting` and the `…create` event; the execution then turns `processing`
/// (no event) and `completed`, announced by one `…update` event; async executions keep no
/// response body.
async fn create_execution(
    request: ApiRequest,
    Path(function_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    let requested_permissions = permissions_field(&body)?;
    let request_body = string_field(&body, "body")?.unwrap_or_default();
    let path = string_field(&body, "path")?.unwrap_or_else(|| "/".to_string());
    let method = string_field(&body, "method")?.unwrap_or_else(|| "POST".to_string());
    let is_async = match body.get("async") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => {
            return Err(ApiError::bad_request(
                "Invalid `async` param: Value must be a valid boolean",
            ))
        }
    };
    let request_headers: Vec<Value> = match body.get("headers") {
        Some(Value::Object(headers)) => headers
            .iter()
            .map(|(name, value)| {
                let value = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_string);
                json!({"name": name.to_lowercase(), "value": value})
            })
            .collect(),
        _ => Vec::new(),
    };
    let started = std::time::Instant::now();
    let execution_id = ids::unique_id();
    let response = write(&request, |project, caller| {
        // Real executions are readable by their caller only; the emulator also takes `permissions`.
        let execution_permissions = requested_permissions.unwrap_or_else(|| {
            caller
                .user_id
                .iter()
                .map(|user| format!("read(\"user:{user}\")"))
                .collect()
        });
        let now = ids::now_timestamp();
        let execution = json!({
            "$id": execution_id,
            "$createdAt": now,
            "$updatedAt": now,
            "$permissions": execution_permissions,
            "functionId": function_id,
            "resourceId": function_id,
            "resourceType": "functions",
            "deploymentId": "",
            "trigger": "http",
            "status": if is_async { "waiting" } else { "processing" },
            "requestMethod": method,
            "requestPath": path,
            "requestHeaders": request_headers,
            "responseStatusCode": 0,
            "responseBody": "",
            "responseHeaders": [],
            "logs": "",
            "errors": "",
            "duration": 0.0,
            "scheduledAt": null,
        });
        let Value::Object(mut execution) = execution else {
            return Err(ApiError::bad_request("execution model"));
        };
        if !is_async {
            advance_execution(&mut execution, "completed", started);
        }
        project
            .executions
            .insert(execution_id.clone(), execution.clone());
        if !is_async {
            execution.insert("responseBody".into(), json!(request_body));
            execution.insert(
                "responseHeaders".into(),
                json!([{"name": "x-appwrite-execution-id", "value": execution_id}]),
            );
        }
        let events = vec![execution_publication(&caller.project, &execution, "create")];
        let status = if is_async {
            StatusCode::ACCEPTED
        } else {
            StatusCode::CREATED
        };
        Ok((
            (status, Json(Value::Object(execution))).into_response(),
            events,
        ))
    })?;
    if is_async {
        let emulator = request.emulator.clone();
        let project_id = request.credentials.project_id.clone().unwrap_or_default();
        tokio::spawn(async move {
            let key = (project_id.as_str(), execution_id.as_str());
            tokio::time::sleep(ASYNC_EXECUTION_STEP).await;
            if step_execution(&emulator, key, "processing", started) {
                tokio::time::sleep(ASYNC_EXECUTION_STEP).await;
                step_execution(&emulator, key, "completed", started);
            }
        });
    }
    Ok(response)
}

/// `GET /v1/functions/{fn}/executions/{id}`: readable by the execution's read roles.
async fn get_execution(
    request: ApiRequest,
    Path((function_id, execution_id)): Path<(String, String)>,
) -> ApiResult {
    let open = request.emulator.config.no_permissions;
    read(&request, |project, caller| {
        let execution = project
            .executions
            .get(&execution_id)
            .filter(|execution| execution.get("functionId") == Some(&json!(function_id)))
            .ok_or_else(execution_not_found)?;
        let permissions: Vec<String> = execution
            .get("$permissions")
            .and_then(|value| serde_json::from_value(value.clone()).ok())
            .unwrap_or_default();
        if !open && !allowed(&caller_roles(project, caller), &permissions, "read") {
            return Err(execution_not_found());
        }
        ok(Value::Object(execution.clone()))
    })
}
