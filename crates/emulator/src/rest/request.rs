//! Who a REST request comes from: credentials read from headers and query, the caller they
//! resolve to, and the read/write runners that lock the state and publish events.

use super::responses::{user_blocked, ApiError, ApiResult};
use super::AppState;
use crate::cookies::request_cookie;
use crate::events::EventNames;
use crate::state::{Project, Publication, State};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;
use std::convert::Infallible;

/// Who is calling, and for which project.
pub(super) struct Caller {
    pub(super) project: String,
    pub(super) user_id: Option<String>,
    /// The session that authenticated the call (for JWT creation).
    pub(super) session_id: Option<String>,
}

pub(super) fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty())
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
pub(super) struct Credentials {
    pub(super) project_id: Option<String>,
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
            let cookie_name = crate::cookies::session_cookie_name(project_id);
            let value = request_cookie(headers, &cookie_name)
                .or_else(|| request_cookie(headers, &format!("{cookie_name}_legacy")))
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

/// What every REST handler needs: the emulator, the headers, and the credentials that
/// identify the project and the caller (read before any lock is taken).
pub(super) struct ApiRequest {
    pub(super) emulator: AppState,
    pub(super) headers: HeaderMap,
    pub(super) credentials: Credentials,
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
pub(super) fn write<F>(request: &ApiRequest, action: F) -> ApiResult
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

pub(super) fn read<F>(request: &ApiRequest, action: F) -> ApiResult
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

pub(super) fn publication(
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
