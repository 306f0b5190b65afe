//! Permission strings (`read("user:U")`) and connection roles (`User::getRoles`).

/// Splits `read("team:t1/owner")` into `("read", "team:t1/owner")`.
pub fn parse_permission(permission: &str) -> Option<(&str, &str)> {
    let open = permission.find('(')?;
    let kind = &permission[..open];
    let inner = permission[open + 1..].strip_suffix(')')?;
    let role = inner.strip_prefix('"')?.strip_suffix('"')?;
    let valid_kind = matches!(kind, "read" | "create" | "update" | "delete" | "write");
    (valid_kind && !role.is_empty()).then_some((kind, role))
}

/// The roles that may read a resource carrying these permissions.
pub fn read_roles(permissions: &[String]) -> Vec<String> {
    let mut roles: Vec<String> = Vec::new();
    for permission in permissions {
        if let Some(("read", role)) = parse_permission(permission) {
            if !roles.iter().any(|existing| existing == role) {
                roles.push(role.to_string());
            }
        }
    }
    roles
}

/// Whether one of `roles` (the caller's, `any` included) holds `action` (`read`, `create`,
/// `update`, `delete`) in `permissions`; `write` grants create, update and delete.
pub fn allows(roles: &[String], permissions: &[String], action: &str) -> bool {
    permissions.iter().any(|permission| {
        parse_permission(permission).is_some_and(|(kind, role)| {
            let kind_matches = kind == action
                || (kind == "write" && matches!(action, "create" | "update" | "delete"));
            kind_matches && (role == "any" || roles.iter().any(|own| own == role))
        })
    })
}

/// Appwrite's defaults for a resource an authenticated user creates without `permissions`:
/// read, update and delete for that user.
pub fn creator_defaults(user_id: &str) -> Vec<String> {
    ["read", "update", "delete"]
        .iter()
        .map(|kind| format!("{kind}(\"user:{user_id}\")"))
        .collect()
}

/// Permissions of a collection or bucket created on first use: anyone may create, update and
/// delete in it; reads follow the items' own permissions (`documentSecurity` on), so realtime
/// delivery still depends on each item. `readable` also lets anyone read everything.
pub fn open_container(readable: bool) -> Vec<String> {
    let kinds: &[&str] = if readable {
        &["read", "create", "update", "delete"]
    } else {
        &["create", "update", "delete"]
    };
    kinds
        .iter()
        .map(|kind| format!("{kind}(\"any\")"))
        .collect()
}

/// What a user's roles are derived from.
pub struct RoleSource<'a> {
    pub user_id: &'a str,
    pub verified: bool,
    pub labels: &'a [String],
    /// Confirmed memberships: (team id, membership id, team roles).
    pub memberships: Vec<(&'a str, &'a str, &'a [String])>,
}

/// Roles of an authenticated connection, in the server's order.
pub fn user_roles(source: &RoleSource<'_>) -> Vec<String> {
    let user = source.user_id;
    let status = if source.verified {
        "verified"
    } else {
        "unverified"
    };
    let mut roles = vec![
        format!("user:{user}"),
        "users".to_string(),
        format!("user:{user}/{status}"),
        format!("users/{status}"),
    ];
    for (team, membership, team_roles) in &source.memberships {
        roles.push(format!("team:{team}"));
        roles.push(format!("member:{membership}"));
        for team_role in team_roles.iter() {
            roles.push(format!("team:{team}/{team_role}"));
        }
    }
    for label in source.labels {
        roles.push(format!("label:{label}"));
    }
    roles
}

pub fn guest_roles() -> Vec<String> {
    vec!["guests".to_string()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_permission_strings() {
        assert_eq!(parse_permission(r#"read("any")"#), Some(("read", "any")));
        assert_eq!(
            parse_permission(r#"update("team:t/owner")"#),
            Some(("update", "team:t/owner"))
        );
        assert_eq!(parse_permission("read(any)"), None);
        assert_eq!(parse_permission(r#"peek("any")"#), None);
        let perms = vec![
            r#"read("any")"#.to_string(),
            r#"update("any")"#.to_string(),
            r#"read("any")"#.to_string(),
        ];
        assert_eq!(read_roles(&perms), vec!["any"]);
    }

    #[test]
    fn allows_matches_roles_any_and_write() {
        let roles = vec!["user:u".to_string(), "users".to_string()];
        let perms = vec![
            r#"read("user:u")"#.to_string(),
            r#"write("users")"#.to_string(),
            r#"delete("any")"#.to_string(),
        ];
        assert!(allows(&roles, &perms, "read"));
        assert!(allows(&roles, &perms, "update"));
        assert!(allows(&[], &perms, "delete"));
        assert!(!allows(&["guests".to_string()], &perms, "read"));
        assert!(!allows(&roles, &[r#"read("user:v")"#.to_string()], "read"));
        assert_eq!(creator_defaults("u")[0], r#"read("user:u")"#);
    }

    #[test]
    fn user_roles_in_order() {
        let labels = vec!["vip".to_string()];
        let team_roles = vec!["owner".to_string()];
        let roles = user_roles(&RoleSource {
            user_id: "u",
            verified: false,
            labels: &labels,
            memberships: vec![("t", "m", &team_roles)],
        });
        assert_eq!(
            roles,
            vec![
                "user:u",
                "users",
                "user:u/unverified",
                "users/unverified",
                "team:t",
                "member:m",
                "team:t/owner",
                "label:vip"
            ]
        );
    }
}
