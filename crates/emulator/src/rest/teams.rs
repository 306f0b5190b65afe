//! Teams and their memberships: who may see and change them, and the `teams.*` events.

use super::access::{caller_roles, unauthorized};
use super::account::user_not_found;
use super::fields::{new_id, parse_body, required_string, string_field, string_list};
use super::request::{publication, read, write, ApiRequest, Caller};
use super::responses::{created, no_content, ok, ApiError, ApiResult};
use crate::events::EventNames;
use crate::ids;
use crate::state::{Membership, Project, Publication, Team};
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use serde_json::{json, Value};

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

pub(super) async fn create_team(request: ApiRequest, body: Bytes) -> ApiResult {
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

/// The caller must see team `team_id` (else "team not found") and may manage it (else
/// `refused()`).
fn check_manages(
    request: &ApiRequest,
    project: &Project,
    caller: &Caller,
    team_id: &str,
    refused: impl FnOnce() -> ApiError,
) -> Result<(), ApiError> {
    let access = team_access(request, project, caller, team_id);
    if !project.teams.contains_key(team_id) || !access.can_see() {
        return Err(team_not_found());
    }
    if !access.can_manage() {
        return Err(refused());
    }
    Ok(())
}

impl TeamAccess {
    fn can_see(&self) -> bool {
        self.open || self.member
    }

    fn can_manage(&self) -> bool {
        self.open || self.owner
    }
}

pub(super) async fn get_team(request: ApiRequest, Path(team_id): Path<String>) -> ApiResult {
    read(&request, |project, caller| {
        let team = project
            .teams
            .get(&team_id)
            .filter(|_| team_access(&request, project, caller, &team_id).can_see())
            .ok_or_else(team_not_found)?;
        ok(team_model(project, team))
    })
}

pub(super) async fn update_team(
    request: ApiRequest,
    Path(team_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    let name = required_string(&body, "name")?;
    write(&request, |project, caller| {
        check_manages(&request, project, caller, &team_id, unauthorized)?;
        let team = project.teams.get_mut(&team_id).ok_or_else(team_not_found)?;
        team.name = name;
        team.updated_at = ids::now_timestamp();
        let team = team.clone();
        let event = team_event(caller, project, &team, "update", None);
        Ok((ok(team_model(project, &team))?, vec![event]))
    })
}

pub(super) async fn delete_team(request: ApiRequest, Path(team_id): Path<String>) -> ApiResult {
    write(&request, |project, caller| {
        check_manages(&request, project, caller, &team_id, unauthorized)?;
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

pub(super) async fn create_membership(
    request: ApiRequest,
    Path(team_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    let requested_user = string_field(&body, "userId")?;
    let email = string_field(&body, "email")?;
    let roles = string_list(&body, "roles")?.unwrap_or_default();
    write(&request, |project, caller| {
        check_manages(&request, project, caller, &team_id, || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "user_unauthorized",
                "User is not allowed to send invitations for this team",
            )
        })?;
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

pub(super) async fn update_membership(
    request: ApiRequest,
    Path(path): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    let roles = string_list(&body, "roles")?
        .ok_or_else(|| ApiError::bad_request("Param \"roles\" is not optional."))?;
    change_membership(&request, path, Some(roles), "update")
}

pub(super) async fn update_membership_status(
    request: ApiRequest,
    Path(path): Path<(String, String)>,
) -> ApiResult {
    change_membership(&request, path, None, "update.status")
}

pub(super) async fn delete_membership(
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
