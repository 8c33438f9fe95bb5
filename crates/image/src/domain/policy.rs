//! Glance's default policy, and the targets its rules are checked against.
//!
//! The defaults are Glance's secure-RBAC rules: readers read, members of the owning
//! project change, administrators do anything, and a project an image is shared with
//! reads it through its membership. An operator's policy file overrides any of them.

use common::policy::Policy;
use serde_json::{Value, json};

use crate::store::ImageRow;

const ADMIN: &str = "rule:context_is_admin";
const OWNER_MEMBER: &str = "rule:context_is_admin or (role:member and project_id:%(project_id)s)";
const OWNER_READER: &str = "rule:context_is_admin or (role:reader and project_id:%(project_id)s)";
const IMAGE_READER: &str = "rule:context_is_admin or (role:reader and (project_id:%(project_id)s or project_id:%(member_id)s \
                            or 'community':%(visibility)s or 'public':%(visibility)s))";
const IMAGE_MEMBER: &str = "rule:context_is_admin or (role:member and (project_id:%(project_id)s or project_id:%(member_id)s \
                            or 'community':%(visibility)s or 'public':%(visibility)s))";
const MEMBERSHIP_READER: &str = "rule:context_is_admin or (role:reader and (project_id:%(project_id)s or project_id:%(member_id)s))";
const MEMBERSHIP_HOLDER: &str = "rule:context_is_admin or (role:member and project_id:%(member_id)s)";

/// Every rule the image service consults about images, members and tasks, with
/// Glance's default (the metadata definition rules are in [`super::metadefs`]).
pub const DEFAULT_RULES: [(&str, &str); 26] = [
    ("context_is_admin", "role:admin"),
    ("default", ""),
    ("add_image", OWNER_MEMBER),
    ("delete_image", OWNER_MEMBER),
    ("get_image", IMAGE_READER),
    ("get_images", OWNER_READER),
    ("modify_image", OWNER_MEMBER),
    ("publicize_image", "role:admin"),
    ("communitize_image", OWNER_MEMBER),
    ("download_image", IMAGE_MEMBER),
    ("upload_image", OWNER_MEMBER),
    ("deactivate", OWNER_MEMBER),
    ("reactivate", OWNER_MEMBER),
    ("copy_image", "role:admin"),
    ("delete_image_location", ADMIN),
    ("add_member", OWNER_MEMBER),
    ("delete_member", OWNER_MEMBER),
    ("get_member", MEMBERSHIP_READER),
    ("get_members", MEMBERSHIP_READER),
    ("modify_member", MEMBERSHIP_HOLDER),
    ("tasks_api_access", "role:admin"),
    ("get_task", ""),
    ("get_tasks", ""),
    ("add_task", ""),
    ("modify_task", ""),
    ("manage_image_cache", ADMIN),
];

/// Glance's defaults, ready for an operator's overrides.
pub fn default_policy() -> Result<Policy, common::policy::PolicyError> {
    Policy::new(&[&DEFAULT_RULES[..], &super::metadefs::METADEF_RULES[..]].concat())
}

/// What a rule about `image` sees: its owner as `project_id`, its visibility, and as
/// `member_id` the project whose membership is in question, if any.
pub fn image_target(image: &ImageRow, member_id: Option<&str>) -> Value {
    json!({
        "id": image.id,
        "project_id": image.owner,
        "owner": image.owner,
        "visibility": image.visibility,
        "member_id": member_id,
    })
}

/// What a rule about a project's own images sees (creating one, listing).
pub fn project_target(project_id: Option<&str>) -> Value {
    json!({"project_id": project_id})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(project: &str, roles: &[&str]) -> Value {
        json!({"project_id": project, "roles": roles})
    }

    fn image(owner: &str, visibility: &str) -> ImageRow {
        ImageRow { owner: Some(owner.into()), visibility: visibility.into(), ..ImageRow::example("i") }
    }

    #[test]
    fn defaults_follow_glance_secure_rbac() {
        let p = default_policy().unwrap();
        let check = |rule: &str, target: &Value, creds: &Value| p.enforce(rule, target, creds).unwrap();
        let shared = image("owner", "shared");
        let (owner_member, owner_reader) = (creds("owner", &["member", "reader"]), creds("owner", &["reader"]));
        let (other, admin) = (creds("other", &["member", "reader"]), creds("x", &["admin"]));

        assert!(check("modify_image", &image_target(&shared, None), &owner_member));
        assert!(!check("modify_image", &image_target(&shared, None), &owner_reader), "readers do not change images");
        assert!(!check("modify_image", &image_target(&shared, None), &other));
        assert!(check("modify_image", &image_target(&shared, None), &admin));

        assert!(!check("get_image", &image_target(&shared, None), &other), "a shared image needs a membership");
        assert!(check("get_image", &image_target(&shared, Some("other")), &other));
        assert!(check("get_image", &image_target(&image("owner", "public"), None), &other));

        assert!(check("modify_member", &image_target(&shared, Some("other")), &other), "a member answers for itself");
        assert!(!check("modify_member", &image_target(&shared, Some("other")), &owner_member), "the owner cannot answer");
        assert!(check("add_member", &image_target(&shared, None), &owner_member));
        assert!(!check("add_member", &image_target(&shared, Some("other")), &other));

        assert!(!check("publicize_image", &json!({}), &owner_member));
        assert!(!check("tasks_api_access", &json!({}), &owner_member) && check("tasks_api_access", &json!({}), &admin));
    }
}
