//! Identity's default policy: Keystone's scoped defaults (admin, member and reader,
//! system and project scope), in the oslo.policy language so a policy file can
//! override any rule by name.

/// Cloud administrators, and readers with a system-scoped token.
const ADMIN_OR_SYSTEM_READER: &str = "rule:admin_required or (role:reader and system_scope:all)";

/// `(name, rule)` pairs.
pub fn defaults() -> Vec<(&'static str, String)> {
    let admin_or_reader = ADMIN_OR_SYSTEM_READER.to_owned();
    let admin = "rule:admin_required".to_owned();
    let mut rules: Vec<(&'static str, String)> = vec![
        ("admin_required", "role:admin or is_admin:1".into()),
        ("service_role", "role:service".into()),
        ("service_or_admin", "rule:admin_required or rule:service_role".into()),
        ("owner", "user_id:%(user_id)s".into()),
        ("admin_or_owner", "rule:admin_required or rule:owner".into()),
        ("token_subject", "user_id:%(target.token.user_id)s".into()),
        ("service_admin_or_token_subject", "rule:service_or_admin or rule:token_subject".into()),
        // Tokens.
        ("identity:check_token", format!("{admin_or_reader} or rule:service_admin_or_token_subject")),
        ("identity:validate_token", format!("{admin_or_reader} or rule:service_admin_or_token_subject")),
        ("identity:revoke_token", format!("{admin_or_reader} or rule:service_admin_or_token_subject")),
        ("identity:get_auth_catalog", String::new()),
        ("identity:get_auth_projects", String::new()),
        ("identity:get_auth_domains", String::new()),
        ("identity:get_auth_system", String::new()),
        // Domains.
        (
            "identity:get_domain",
            format!("{admin_or_reader} or token.domain.id:%(target.domain.id)s or token.project.domain.id:%(target.domain.id)s"),
        ),
        ("identity:list_domains", admin_or_reader.clone()),
        ("identity:create_domain", admin.clone()),
        ("identity:update_domain", admin.clone()),
        ("identity:delete_domain", admin.clone()),
        // Projects.
        (
            "identity:get_project",
            format!("{admin_or_reader} or (role:reader and domain_id:%(target.project.domain_id)s) or project_id:%(target.project.id)s"),
        ),
        ("identity:list_projects", format!("{admin_or_reader} or (role:reader and domain_id:%(target.domain_id)s)")),
        (
            "identity:list_user_projects",
            format!("{admin_or_reader} or (role:reader and domain_id:%(target.user.domain_id)s) or user_id:%(target.user.id)s"),
        ),
        ("identity:create_project", admin.clone()),
        ("identity:update_project", admin.clone()),
        ("identity:delete_project", admin.clone()),
        ("identity:list_project_tags", format!("{admin_or_reader} or project_id:%(target.project.id)s")),
        ("identity:update_project_tags", admin.clone()),
        // Users.
        (
            "identity:get_user",
            format!("{admin_or_reader} or (role:reader and token.domain.id:%(target.user.domain_id)s) or user_id:%(target.user.id)s"),
        ),
        ("identity:list_users", format!("{admin_or_reader} or (role:reader and domain_id:%(target.domain_id)s)")),
        ("identity:create_user", admin.clone()),
        ("identity:update_user", admin.clone()),
        ("identity:delete_user", admin.clone()),
        ("identity:list_groups_for_user", format!("{admin_or_reader} or user_id:%(user_id)s")),
        // Groups.
        ("identity:get_group", admin_or_reader.clone()),
        ("identity:list_groups", admin_or_reader.clone()),
        ("identity:create_group", admin.clone()),
        ("identity:update_group", admin.clone()),
        ("identity:delete_group", admin.clone()),
        ("identity:list_users_in_group", admin_or_reader.clone()),
        ("identity:check_user_in_group", admin_or_reader.clone()),
        ("identity:add_user_to_group", admin.clone()),
        ("identity:remove_user_from_group", admin.clone()),
        // Roles and their implications.
        ("identity:get_role", admin_or_reader.clone()),
        ("identity:list_roles", admin_or_reader.clone()),
        ("identity:create_role", admin.clone()),
        ("identity:update_role", admin.clone()),
        ("identity:delete_role", admin.clone()),
        ("identity:get_implied_role", admin_or_reader.clone()),
        ("identity:list_implied_roles", admin_or_reader.clone()),
        ("identity:list_role_inference_rules", admin_or_reader.clone()),
        ("identity:create_implied_role", admin.clone()),
        ("identity:delete_implied_role", admin.clone()),
        ("identity:check_implied_role", admin_or_reader.clone()),
        // Assignments.
        ("identity:check_grant", admin_or_reader.clone()),
        ("identity:list_grants", admin_or_reader.clone()),
        ("identity:create_grant", admin.clone()),
        ("identity:revoke_grant", admin.clone()),
        ("identity:list_system_grants_for_user", admin_or_reader.clone()),
        ("identity:check_system_grant_for_user", admin_or_reader.clone()),
        ("identity:create_system_grant_for_user", admin.clone()),
        ("identity:revoke_system_grant_for_user", admin.clone()),
        ("identity:list_system_grants_for_group", admin_or_reader.clone()),
        ("identity:check_system_grant_for_group", admin_or_reader.clone()),
        ("identity:create_system_grant_for_group", admin.clone()),
        ("identity:revoke_system_grant_for_group", admin.clone()),
        ("identity:list_role_assignments", format!("{admin_or_reader} or (role:reader and domain_id:%(target.domain_id)s)")),
        (
            "identity:list_role_assignments_for_tree",
            format!("{admin_or_reader} or (role:reader and domain_id:%(target.project.domain_id)s)"),
        ),
        // Catalog.
        ("identity:get_region", String::new()),
        ("identity:list_regions", String::new()),
        ("identity:create_region", admin.clone()),
        ("identity:update_region", admin.clone()),
        ("identity:delete_region", admin.clone()),
        ("identity:get_service", admin_or_reader.clone()),
        ("identity:list_services", admin_or_reader.clone()),
        ("identity:create_service", admin.clone()),
        ("identity:update_service", admin.clone()),
        ("identity:delete_service", admin.clone()),
        ("identity:get_endpoint", admin_or_reader.clone()),
        ("identity:list_endpoints", admin_or_reader.clone()),
        ("identity:create_endpoint", admin.clone()),
        ("identity:update_endpoint", admin.clone()),
        ("identity:delete_endpoint", admin.clone()),
        // Endpoint filtering (OS-EP-FILTER).
        ("identity:create_endpoint_group", admin.clone()),
        ("identity:update_endpoint_group", admin.clone()),
        ("identity:delete_endpoint_group", admin.clone()),
        ("identity:get_endpoint_group", admin_or_reader.clone()),
        ("identity:list_endpoint_groups", admin_or_reader.clone()),
        ("identity:list_endpoints_associated_with_endpoint_group", admin_or_reader.clone()),
        ("identity:list_projects_associated_with_endpoint_group", admin_or_reader.clone()),
        ("identity:list_endpoint_groups_for_project", admin_or_reader.clone()),
        ("identity:get_endpoint_group_in_project", admin_or_reader.clone()),
        ("identity:add_endpoint_group_to_project", admin.clone()),
        ("identity:remove_endpoint_group_from_project", admin.clone()),
        ("identity:add_endpoint_to_project", admin.clone()),
        ("identity:check_endpoint_in_project", admin_or_reader.clone()),
        ("identity:list_endpoints_for_project", admin_or_reader.clone()),
        ("identity:list_projects_for_endpoint", admin_or_reader.clone()),
        ("identity:remove_endpoint_from_project", admin.clone()),
        // Credentials and policy blobs.
        ("identity:get_credential", format!("{admin_or_reader} or user_id:%(target.credential.user_id)s")),
        ("identity:list_credentials", format!("{admin_or_reader} or user_id:%(target.credential.user_id)s")),
        ("identity:create_credential", "rule:admin_required or user_id:%(target.credential.user_id)s".into()),
        ("identity:update_credential", "rule:admin_required or user_id:%(target.credential.user_id)s".into()),
        ("identity:delete_credential", "rule:admin_required or user_id:%(target.credential.user_id)s".into()),
        ("identity:ec2_get_credential", format!("{admin_or_reader} or rule:owner")),
        ("identity:ec2_list_credentials", format!("{admin_or_reader} or rule:owner")),
        ("identity:ec2_create_credential", "rule:admin_required or rule:owner".into()),
        ("identity:ec2_delete_credential", "rule:admin_required or rule:owner".into()),
        ("identity:get_policy", admin_or_reader.clone()),
        ("identity:list_policies", admin_or_reader.clone()),
        ("identity:create_policy", admin.clone()),
        ("identity:update_policy", admin.clone()),
        ("identity:delete_policy", admin.clone()),
        // Unified limits.
        ("identity:get_registered_limit", String::new()),
        ("identity:list_registered_limits", String::new()),
        ("identity:create_registered_limits", admin.clone()),
        ("identity:update_registered_limit", admin.clone()),
        ("identity:delete_registered_limit", admin.clone()),
        ("identity:get_limit_model", String::new()),
        (
            "identity:get_limit",
            format!("{admin_or_reader} or project_id:%(target.limit.project_id)s or domain_id:%(target.limit.domain_id)s"),
        ),
        (
            "identity:list_limits",
            format!("{admin_or_reader} or project_id:%(target.limit.project_id)s or domain_id:%(target.limit.domain_id)s"),
        ),
        ("identity:create_limits", admin.clone()),
        ("identity:update_limit", admin.clone()),
        ("identity:delete_limit", admin.clone()),
        // Trusts.
        ("identity:create_trust", "user_id:%(trust.trustor_user_id)s".into()),
        ("identity:list_trusts", admin_or_reader.clone()),
        ("identity:list_trusts_for_trustor", format!("{admin_or_reader} or user_id:%(target.trust.trustor_user_id)s")),
        ("identity:list_trusts_for_trustee", format!("{admin_or_reader} or user_id:%(target.trust.trustee_user_id)s")),
        (
            "identity:get_trust",
            format!("{admin_or_reader} or user_id:%(target.trust.trustor_user_id)s or user_id:%(target.trust.trustee_user_id)s"),
        ),
        ("identity:delete_trust", "rule:admin_required or user_id:%(target.trust.trustor_user_id)s".into()),
        (
            "identity:list_roles_for_trust",
            format!("{admin_or_reader} or user_id:%(target.trust.trustor_user_id)s or user_id:%(target.trust.trustee_user_id)s"),
        ),
        (
            "identity:get_role_for_trust",
            format!("{admin_or_reader} or user_id:%(target.trust.trustor_user_id)s or user_id:%(target.trust.trustee_user_id)s"),
        ),
        // Application credentials.
        ("identity:get_application_credential", format!("{admin_or_reader} or rule:owner")),
        ("identity:list_application_credentials", format!("{admin_or_reader} or rule:owner")),
        ("identity:create_application_credential", "rule:owner".into()),
        ("identity:delete_application_credential", "rule:admin_required or rule:owner".into()),
        // Access rules of application credentials.
        ("identity:get_access_rule", format!("{admin_or_reader} or user_id:%(target.user.id)s")),
        ("identity:list_access_rules", format!("{admin_or_reader} or user_id:%(target.user.id)s")),
        ("identity:delete_access_rule", "rule:admin_required or user_id:%(target.user.id)s".into()),
    ];
    rules.shrink_to_fit();
    rules
}

/// The default policy, ready to enforce.
pub fn default_policy() -> Result<common::policy::Policy, common::policy::PolicyError> {
    let rules = defaults();
    let pairs: Vec<(&str, &str)> = rules.iter().map(|(n, r)| (*n, r.as_str())).collect();
    common::policy::Policy::new(&pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn creds(roles: &[&str], user: &str, system: bool) -> serde_json::Value {
        json!({"user_id": user, "roles": roles, "system_scope": if system { json!("all") } else { json!(null) },
               "is_admin": false, "project_id": "p1", "token": {"domain": {"id": null}, "project": {"domain": {"id": "d1"}}}})
    }

    #[test]
    fn defaults_parse_and_grant_what_keystone_grants() {
        let p = default_policy().unwrap();
        let target = json!({"target": {"user": {"id": "u1", "domain_id": "d1"}}});
        assert!(p.enforce("identity:get_user", &target, &creds(&["member"], "u1", false)).unwrap(), "users see themselves");
        assert!(!p.enforce("identity:get_user", &target, &creds(&["member"], "u2", false)).unwrap(), "but not others");
        assert!(p.enforce("identity:get_user", &target, &creds(&["admin"], "u2", false)).unwrap(), "admins see everyone");
        assert!(p.enforce("identity:list_users", &json!({}), &creds(&["reader"], "u2", true)).unwrap(), "system readers list users");
        assert!(!p.enforce("identity:create_user", &json!({}), &creds(&["reader"], "u2", true)).unwrap(), "but may not create them");
        assert!(p.enforce("identity:list_regions", &json!({}), &creds(&[], "u2", false)).unwrap());
    }
}
