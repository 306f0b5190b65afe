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
