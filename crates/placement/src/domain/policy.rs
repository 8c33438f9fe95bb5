//! Placement's default policy: administrators and services do everything; a project's
//! readers may read their own usages.

use common::policy::Policy;

const ADMIN_OR_SERVICE: &str = "role:admin or role:service";

/// Every rule placement consults, with Placement's default.
pub const DEFAULT_RULES: [(&str, &str); 36] = [
    ("admin_api", "role:admin"),
    ("service_api", "role:service"),
    ("admin_or_service_api", ADMIN_OR_SERVICE),
    ("placement:resource_providers:list", ADMIN_OR_SERVICE),
    ("placement:resource_providers:create", ADMIN_OR_SERVICE),
    ("placement:resource_providers:show", ADMIN_OR_SERVICE),
    ("placement:resource_providers:update", ADMIN_OR_SERVICE),
    ("placement:resource_providers:delete", ADMIN_OR_SERVICE),
    ("placement:resource_providers:inventories:list", ADMIN_OR_SERVICE),
    ("placement:resource_providers:inventories:create", ADMIN_OR_SERVICE),
    ("placement:resource_providers:inventories:show", ADMIN_OR_SERVICE),
    ("placement:resource_providers:inventories:update", ADMIN_OR_SERVICE),
    ("placement:resource_providers:inventories:delete", ADMIN_OR_SERVICE),
    ("placement:resource_providers:aggregates:list", ADMIN_OR_SERVICE),
    ("placement:resource_providers:aggregates:update", ADMIN_OR_SERVICE),
    ("placement:resource_providers:traits:list", ADMIN_OR_SERVICE),
    ("placement:resource_providers:traits:update", ADMIN_OR_SERVICE),
    ("placement:resource_providers:traits:delete", ADMIN_OR_SERVICE),
    ("placement:resource_providers:usages", ADMIN_OR_SERVICE),
    ("placement:resource_providers:allocations:list", ADMIN_OR_SERVICE),
    ("placement:allocations:list", ADMIN_OR_SERVICE),
    ("placement:allocations:manage", ADMIN_OR_SERVICE),
    ("placement:allocations:update", ADMIN_OR_SERVICE),
    ("placement:allocations:delete", ADMIN_OR_SERVICE),
    ("placement:allocation_candidates:list", ADMIN_OR_SERVICE),
    ("placement:resource_classes:list", ADMIN_OR_SERVICE),
    ("placement:resource_classes:create", ADMIN_OR_SERVICE),
    ("placement:resource_classes:show", ADMIN_OR_SERVICE),
    ("placement:resource_classes:update", ADMIN_OR_SERVICE),
    ("placement:resource_classes:delete", ADMIN_OR_SERVICE),
    ("placement:traits:list", ADMIN_OR_SERVICE),
    ("placement:traits:show", ADMIN_OR_SERVICE),
    ("placement:traits:update", ADMIN_OR_SERVICE),
    ("placement:traits:delete", ADMIN_OR_SERVICE),
    ("placement:usages", "role:admin or role:service or (role:reader and project_id:%(project_id)s)"),
    ("placement:reshaper:reshape", "role:service or role:admin"),
];

/// Placement's defaults, ready for an operator's overrides.
pub fn default_policy() -> Result<Policy, common::policy::PolicyError> {
    Policy::new(&DEFAULT_RULES)
}
