//! Permission checks that the REST areas share: the caller's roles, what it may grant,
//! and container or item permissions.

use super::request::Caller;
use super::responses::ApiError;
use crate::permissions;
use crate::state::Project;
use axum::http::StatusCode;

/// The caller's roles for permission checks: its connection roles plus `any`.
pub(super) fn caller_roles(project: &Project, caller: &Caller) -> Vec<String> {
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
pub(super) fn check_grantable(
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

pub(super) fn allowed(roles: &[String], permissions: &[String], action: &str) -> bool {
    permissions::allows(roles, permissions, action)
}

/// Container-level permission, or the item's own when item security is on.
pub(super) fn item_allows(
    roles: &[String],
    (container, security): (&[String], bool),
    item: &[String],
    action: &str,
) -> bool {
    allowed(roles, container, action) || (security && allowed(roles, item, action))
}

/// Appwrite's answer when a write (or a read of a container without item security) is not
/// permitted.
pub(super) fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "user_unauthorized",
        "The current user is not authorized to perform the requested action.",
    )
}
