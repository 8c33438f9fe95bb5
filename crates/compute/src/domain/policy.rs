//! Nova's default policy for the routes compute serves: administrators manage flavors,
//! services, hypervisors, aggregates and quotas, and see every project's servers and
//! their hosts; project readers read their servers, extra specs, quotas and server
//! groups, members create and act on servers and create server groups; a user manages
//! their own key pairs; anyone lists availability zones.

use common::policy::Policy;

const ADMIN: &str = "rule:context_is_admin";
const PROJECT_READER_OR_ADMIN: &str = "(role:reader and project_id:%(project_id)s) or rule:context_is_admin";
const PROJECT_MEMBER: &str = "role:member and project_id:%(project_id)s";
const PROJECT_MEMBER_OR_ADMIN: &str = "(role:member and project_id:%(project_id)s) or rule:context_is_admin";
const OWNER_OR_ADMIN: &str = "rule:context_is_admin or user_id:%(user_id)s";

/// Every rule compute consults, with Nova's default.
pub const DEFAULT_RULES: [(&str, &str); 108] = [
    ("context_is_admin", "role:admin"),
    ("os_compute_api:os-flavor-manage:create", ADMIN),
    ("os_compute_api:os-flavor-manage:update", ADMIN),
    ("os_compute_api:os-flavor-manage:delete", ADMIN),
    ("os_compute_api:os-flavor-access", ADMIN),
    ("os_compute_api:os-flavor-access:add_tenant_access", ADMIN),
    ("os_compute_api:os-flavor-access:remove_tenant_access", ADMIN),
    ("os_compute_api:os-flavor-extra-specs:index", PROJECT_READER_OR_ADMIN),
    ("os_compute_api:os-flavor-extra-specs:show", PROJECT_READER_OR_ADMIN),
    ("os_compute_api:os-flavor-extra-specs:create", ADMIN),
    ("os_compute_api:os-flavor-extra-specs:update", ADMIN),
    ("os_compute_api:os-flavor-extra-specs:delete", ADMIN),
    ("os_compute_api:os-keypairs:index", OWNER_OR_ADMIN),
    ("os_compute_api:os-keypairs:create", OWNER_OR_ADMIN),
    ("os_compute_api:os-keypairs:show", OWNER_OR_ADMIN),
    ("os_compute_api:os-keypairs:delete", OWNER_OR_ADMIN),
    ("os_compute_api:os-services:list", ADMIN),
    ("os_compute_api:os-services:update", ADMIN),
    ("os_compute_api:os-services:delete", ADMIN),
    ("os_compute_api:os-hypervisors:list", ADMIN),
    ("os_compute_api:os-hypervisors:list-detail", ADMIN),
    ("os_compute_api:os-hypervisors:show", ADMIN),
    ("os_compute_api:os-hypervisors:statistics", ADMIN),
    ("os_compute_api:os-hypervisors:uptime", ADMIN),
    ("os_compute_api:os-hypervisors:search", ADMIN),
    ("os_compute_api:os-hypervisors:servers", ADMIN),
    ("os_compute_api:os-availability-zone:list", "@"),
    ("os_compute_api:os-availability-zone:detail", ADMIN),
    ("os_compute_api:os-aggregates:index", ADMIN),
    ("os_compute_api:os-aggregates:create", ADMIN),
    ("os_compute_api:os-aggregates:show", ADMIN),
    ("os_compute_api:os-aggregates:update", ADMIN),
    ("os_compute_api:os-aggregates:delete", ADMIN),
    ("os_compute_api:os-aggregates:add_host", ADMIN),
    ("os_compute_api:os-aggregates:remove_host", ADMIN),
    ("os_compute_api:os-aggregates:set_metadata", ADMIN),
    ("os_compute_api:os-quota-sets:show", PROJECT_READER_OR_ADMIN),
    ("os_compute_api:os-quota-sets:detail", PROJECT_READER_OR_ADMIN),
    ("os_compute_api:os-quota-sets:defaults", "@"),
    ("os_compute_api:os-quota-sets:update", ADMIN),
    ("os_compute_api:os-quota-sets:delete", ADMIN),
    ("os_compute_api:os-quota-class-sets:show", ADMIN),
    ("os_compute_api:os-quota-class-sets:update", ADMIN),
    ("os_compute_api:limits", "@"),
    ("os_compute_api:limits:other_project", ADMIN),
    ("os_compute_api:os-server-groups:index", PROJECT_READER_OR_ADMIN),
    ("os_compute_api:os-server-groups:index:all_projects", ADMIN),
    ("os_compute_api:os-server-groups:show", PROJECT_READER_OR_ADMIN),
    ("os_compute_api:os-server-groups:create", PROJECT_MEMBER),
    ("os_compute_api:os-server-groups:delete", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:servers:index", PROJECT_READER_OR_ADMIN),
    ("os_compute_api:servers:detail", PROJECT_READER_OR_ADMIN),
    ("os_compute_api:servers:show", PROJECT_READER_OR_ADMIN),
    ("os_compute_api:servers:create", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:servers:update", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:servers:delete", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:servers:index:get_all_tenants", ADMIN),
    ("os_compute_api:servers:detail:get_all_tenants", ADMIN),
    ("os_compute_api:servers:allow_all_filters", ADMIN),
    ("os_compute_api:servers:create:forced_host", ADMIN),
    ("os_compute_api:servers:show:host_status", ADMIN),
    ("os_compute_api:servers:start", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:servers:stop", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:servers:reboot", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:servers:rebuild", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:servers:create_image", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-create-backup", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-hosts:list", ADMIN),
    ("os_compute_api:os-server-diagnostics", ADMIN),
    ("os_compute_api:os-hosts:show", ADMIN),
    ("os_compute_api:os-hosts:update", ADMIN),
    ("os_compute_api:os-rescue", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-admin-password", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-unrescue", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-shelve:shelve", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-shelve:shelve_offload", ADMIN),
    ("os_compute_api:os-shelve:unshelve", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-shelve:unshelve_to_host", ADMIN),
    ("os_compute_api:os-admin-actions:reset_state", ADMIN),
    ("os_compute_api:os-simple-tenant-usage:list", ADMIN),
    ("os_compute_api:os-server-external-events:create", "rule:context_is_admin or role:service"),
    ("os_compute_api:os-simple-tenant-usage:show", PROJECT_READER_OR_ADMIN),
    ("os_compute_api:os-pause-server:pause", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-pause-server:unpause", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-suspend-server:suspend", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-suspend-server:resume", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-lock-server:lock", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-lock-server:unlock", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-lock-server:unlock:unlock_override", ADMIN),
    ("os_compute_api:os-deferred-delete:restore", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-deferred-delete:force", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-extended-server-attributes", ADMIN),
    ("os_compute_api:os-instance-actions:list", PROJECT_READER_OR_ADMIN),
    ("os_compute_api:os-instance-actions:show", PROJECT_READER_OR_ADMIN),
    ("os_compute_api:os-instance-actions:events", ADMIN),
    ("os_compute_api:os-instance-actions:events:details", ADMIN),
    ("os_compute_api:server-metadata:index", PROJECT_READER_OR_ADMIN),
    ("os_compute_api:server-metadata:show", PROJECT_READER_OR_ADMIN),
    ("os_compute_api:server-metadata:create", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:server-metadata:update", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:server-metadata:update_all", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:server-metadata:delete", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-server-tags:index", PROJECT_READER_OR_ADMIN),
    ("os_compute_api:os-server-tags:show", PROJECT_READER_OR_ADMIN),
    ("os_compute_api:os-server-tags:update", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-server-tags:update_all", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-server-tags:delete", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-server-tags:delete_all", PROJECT_MEMBER_OR_ADMIN),
];

/// Nova's defaults, ready for an operator's overrides.
pub fn default_policy() -> Result<Policy, common::policy::PolicyError> {
    Policy::new(&DEFAULT_RULES)
}

#[cfg(test)]
mod tests {
    use common::RequestContext;
    use serde_json::json;

    use super::*;

    fn caller(roles: &[&str]) -> RequestContext {
        RequestContext {
            request_id: "req-1".into(),
            user_id: "u1".into(),
            user_domain_id: "default".into(),
            scope: common::Scope::Project { id: "p1".into(), domain_id: "default".into() },
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            audit_ids: Vec::new(),
            application_credential_id: None,
            access_rules: None,
            trust_id: None,
            service_roles: Vec::new(),
        }
    }

    #[test]
    fn members_read_specs_of_their_project_and_own_their_key_pairs() {
        let p = default_policy().unwrap();
        let member = caller(&["member", "reader"]).policy_credentials();
        let admin = caller(&["admin", "member", "reader"]).policy_credentials();
        let own = json!({"project_id": "p1", "user_id": "u1"});
        let other = json!({"project_id": "p2", "user_id": "u2"});
        assert!(p.enforce("os_compute_api:os-flavor-extra-specs:index", &own, &member).unwrap());
        assert!(!p.enforce("os_compute_api:os-flavor-extra-specs:create", &own, &member).unwrap());
        assert!(p.enforce("os_compute_api:os-flavor-extra-specs:create", &own, &admin).unwrap());
        assert!(p.enforce("os_compute_api:os-keypairs:show", &own, &member).unwrap());
        assert!(!p.enforce("os_compute_api:os-keypairs:show", &other, &member).unwrap());
        assert!(p.enforce("os_compute_api:os-keypairs:show", &other, &admin).unwrap());
        assert!(!p.enforce("os_compute_api:os-flavor-manage:create", &own, &member).unwrap());
    }
}
