//! Users and the signed-in account: creating, changing, blocking and deleting users, and
//! the `users.*` events this emits.

use super::fields::{new_id, parse_body, required_string, string_field, string_list};
use super::request::{publication, read, write, ApiRequest, Caller};
use super::responses::{created, invalid_credentials, no_content, ok, ApiError, ApiResult};
use crate::events::EventNames;
use crate::ids;
use crate::state::{Project, Publication, User};
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{header, HeaderValue};
use serde_json::{Map, Value};

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

pub(super) async fn create_user(request: ApiRequest, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    write(&request, |project, caller| {
        let user = insert_user(project, &body)?;
        Ok((
            created(user.account_json())?,
            vec![account_created(caller, &user)],
        ))
    })
}

pub(super) async fn create_account(request: ApiRequest, body: Bytes) -> ApiResult {
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

/// The calling user, or the guest error.
fn own_user<'a>(project: &'a Project, caller: &Caller) -> Result<&'a User, ApiError> {
    caller
        .user_id
        .as_ref()
        .and_then(|id| project.users.get(id))
        .ok_or_else(ApiError::guest)
}

pub(super) async fn get_account(request: ApiRequest) -> ApiResult {
    read(&request, |project, caller| {
        let user = own_user(project, caller)?;
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

pub(super) async fn update_name(request: ApiRequest, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let name = required_string(&body, "name")?;
    update_account(&request, Account::Own, "name", |_, user| {
        user.name = name;
        Ok(())
    })
}

/// Whose account a change applies to: the caller's, or (the Users API) any user's.
enum Account {
    Own,
    Id(String),
}

/// Applies `change` to an account and emits `users.U.update.<attribute>`.
fn update_account(
    request: &ApiRequest,
    account: Account,
    attribute: &'static str,
    change: impl FnOnce(&Project, &mut User) -> Result<(), ApiError>,
) -> ApiResult {
    write(request, |project, caller| {
        let (user_id, missing): (String, fn() -> ApiError) = match account {
            Account::Own => (
                caller.user_id.clone().ok_or_else(ApiError::guest)?,
                ApiError::guest,
            ),
            Account::Id(user_id) => (user_id, user_not_found),
        };
        let mut user = project.users.get(&user_id).cloned().ok_or_else(missing)?;
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
pub(super) async fn update_email(request: ApiRequest, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let email = required_string(&body, "email")?;
    let password = required_string(&body, "password")?;
    if !is_email(&email) {
        return Err(ApiError::bad_request(
            "Invalid `email` param: Value must be a valid email address",
        ));
    }
    let email = email.to_lowercase();
    update_account(&request, Account::Own, "email", |project, user| {
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
pub(super) async fn update_password(request: ApiRequest, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let password = required_string(&body, "password")?;
    let old_password = string_field(&body, "oldPassword")?.unwrap_or_default();
    let length = password.chars().count();
    if !(8..=256).contains(&length) {
        return Err(ApiError::bad_request(
            "Invalid `password` param: Password must be between 8 and 256 characters long.",
        ));
    }
    update_account(&request, Account::Own, "password", |_, user| {
        if !user.password.is_empty() && user.password != old_password {
            return Err(invalid_credentials());
        }
        user.password = password;
        user.password_update = ids::now_timestamp();
        Ok(())
    })
}

/// `PATCH /v1/account/prefs {prefs}`: replaces the preferences object.
pub(super) async fn update_prefs(request: ApiRequest, body: Bytes) -> ApiResult {
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
    update_account(&request, Account::Own, "prefs", |_, user| {
        user.prefs = prefs;
        Ok(())
    })
}

pub(super) async fn get_prefs(request: ApiRequest) -> ApiResult {
    read(&request, |project, caller| {
        let user = own_user(project, caller)?;
        ok(Value::Object(user.prefs.clone()))
    })
}

/// `PATCH /v1/account/status`: blocks the caller. As in Appwrite its sessions stay but every
/// REST call made with them answers 401 `user_blocked`; the answer clears the session cookies
/// and the SDK's fallback (`X-Fallback-Cookies: []`). The emulator also ends the user's open
/// sockets right after they got the status event, and a blocked session no longer signs a
/// socket in.
pub(super) async fn update_status(request: ApiRequest) -> ApiResult {
    let blocked = std::cell::Cell::new(None);
    let mut response = update_account(&request, Account::Own, "status", |_, user| {
        user.status = false;
        blocked.set(Some(user.id.clone()));
        Ok(())
    })?;
    if let Some(user_id) = blocked.take() {
        let project_id = request.credentials.project_id.clone().unwrap_or_default();
        request
            .emulator
            .with_state(|state| state.drop_user_connections(&project_id, &user_id));
        let cookie_name = crate::cookies::session_cookie_name(&project_id);
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
pub(super) async fn delete_user(request: ApiRequest, Path(user_id): Path<String>) -> ApiResult {
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

pub(super) fn user_not_found() -> ApiError {
    ApiError::not_found(
        "user_not_found",
        "User with the requested ID could not be found.",
    )
}

pub(super) async fn update_labels(
    request: ApiRequest,
    Path(user_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    let labels = string_list(&body, "labels")?
        .ok_or_else(|| ApiError::bad_request("Param \"labels\" is not optional."))?;
    update_account(&request, Account::Id(user_id), "labels", |_, user| {
        user.labels = labels;
        Ok(())
    })
}

pub(super) async fn update_verification(
    request: ApiRequest,
    Path(user_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    let verified = body
        .get("emailVerification")
        .and_then(Value::as_bool)
        .ok_or_else(|| ApiError::bad_request("Param \"emailVerification\" is not optional."))?;
    update_account(&request, Account::Id(user_id), "verification", |_, user| {
        user.email_verification = verified;
        Ok(())
    })
}
