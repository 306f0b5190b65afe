//! Email sessions and JWTs of the account, with their cookies and `sessions.*` events.

use super::fields::{parse_body, required_string};
use super::request::{publication, write, ApiRequest, Caller};
use super::responses::{
    created, invalid_credentials, no_content, user_blocked, ApiError, ApiResult,
};
use crate::events::EventNames;
use crate::state::Publication;
use axum::body::Bytes;
use axum::http::{header, HeaderValue};
use serde_json::{json, Value};

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

pub(super) async fn create_email_session(request: ApiRequest, body: Bytes) -> ApiResult {
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
        let cookie_name = crate::cookies::session_cookie_name(&caller.project);
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

pub(super) async fn delete_current_session(request: ApiRequest) -> ApiResult {
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

pub(super) async fn create_jwt(request: ApiRequest) -> ApiResult {
    write(&request, |project, caller| {
        let (Some(user_id), Some(session_id)) = (caller.user_id.clone(), caller.session_id.clone())
        else {
            return Err(ApiError::guest());
        };
        let token = project.create_jwt(&user_id, &session_id);
        Ok((created(json!({ "jwt": token }))?, Vec::new()))
    })
}
