//! `GET /v2/schemas/*`: the JSON schemas clients fetch to describe and check images,
//! members and tasks.

use serde_json::{Value, json};

use crate::api::tasks::TASK_TYPES;
use crate::domain::images::{CONTAINER_FORMATS, DISK_FORMATS, VISIBILITIES};
use crate::domain::tasks::TASK_STATUSES;

const STATUSES: [&str; 9] = ["queued", "saving", "active", "killed", "deleted", "uploading", "importing", "pending_delete", "deactivated"];

/// How Glance's schemas spell "a UUID".
const UUID_PATTERN: &str = "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$";

/// The schema of one image.
pub fn image() -> Value {
    let nullable_string = |description: &str, max: usize| json!({"type": ["null", "string"], "description": description, "maxLength": max});
    let read_only = |t: Value, description: &str| json!({"type": t, "readOnly": true, "description": description});
    let with_null = |values: &[&str]| values.iter().map(|v| json!(v)).chain([Value::Null]).collect::<Vec<_>>();
    json!({
        "name": "image",
        "properties": {
            "id": {"type": "string", "description": "An identifier for the image",
                   "pattern": UUID_PATTERN},
            "name": nullable_string("Descriptive name for the image", 255),
            "status": {"type": "string", "readOnly": true, "description": "Status of the image", "enum": STATUSES},
            "visibility": {"type": "string", "description": "Scope of image accessibility", "enum": VISIBILITIES},
            "protected": {"type": "boolean", "description": "If true, image will not be deletable."},
            "os_hidden": {"type": "boolean", "description": "If true, image will not appear in default image list response."},
            "checksum": read_only(json!(["null", "string"]), "md5 hash of image contents."),
            "os_hash_algo": read_only(json!(["null", "string"]), "Algorithm to calculate the os_hash_value"),
            "os_hash_value": read_only(json!(["null", "string"]), "Hexdigest of the image contents using the algorithm specified by the os_hash_algo"),
            "owner": nullable_string("Owner of the image", 255),
            "size": read_only(json!(["null", "integer"]), "Size of image file in bytes"),
            "virtual_size": read_only(json!(["null", "integer"]), "Virtual size of image in bytes"),
            "container_format": {"type": ["null", "string"], "description": "Format of the container", "enum": with_null(&CONTAINER_FORMATS)},
            "disk_format": {"type": ["null", "string"], "description": "Format of the disk", "enum": with_null(&DISK_FORMATS)},
            "created_at": read_only(json!("string"), "Date and time of image registration"),
            "updated_at": read_only(json!("string"), "Date and time of the last image modification"),
            "tags": {"type": "array", "description": "List of strings related to the image", "items": {"type": "string", "maxLength": 255}},
            "min_ram": {"type": "integer", "description": "Amount of ram (in MB) required to boot image.", "minimum": 0},
            "min_disk": {"type": "integer", "description": "Amount of disk space (in GB) required to boot image.", "minimum": 0},
            "self": read_only(json!("string"), "An image self url"),
            "file": read_only(json!("string"), "An image file url"),
            "schema": read_only(json!("string"), "An image schema url"),
        },
        "additionalProperties": {"type": "string"},
        "links": [
            {"rel": "self", "href": "{self}"},
            {"rel": "enclosure", "href": "{file}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    })
}

/// The schema of an image list.
pub fn images() -> Value {
    json!({
        "name": "images",
        "properties": {
            "images": {"type": "array", "items": image()},
            "first": {"type": "string"},
            "next": {"type": "string"},
            "schema": {"type": "string"},
        },
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    })
}

/// The schema of one image member.
pub fn member() -> Value {
    json!({
        "name": "member",
        "properties": {
            "member_id": {"type": "string", "description": "An identifier for the image member (tenantId)"},
            "image_id": {"type": "string", "description": "An identifier for the image"},
            "created_at": {"type": "string", "description": "Date and time of image member creation"},
            "updated_at": {"type": "string", "description": "Date and time of last modification of image member"},
            "status": {"type": "string", "description": "The status of this image member", "enum": ["pending", "accepted", "rejected"]},
            "schema": {"type": "string", "readOnly": true},
        },
    })
}

/// The schema of a member list.
pub fn members() -> Value {
    json!({
        "name": "members",
        "properties": {"members": {"type": "array", "items": member()}, "schema": {"type": "string"}},
        "links": [{"rel": "describedby", "href": "{schema}"}],
    })
}

/// The properties of a task, with or without the details a list leaves out.
fn task_properties(detailed: bool) -> Value {
    let mut p = json!({
        "id": {"type": "string", "description": "An identifier for the task", "pattern": UUID_PATTERN},
        "type": {"type": "string", "description": "The type of task represented by this content", "enum": TASK_TYPES},
        "status": {"type": "string", "description": "The current status of this task", "enum": TASK_STATUSES},
        "owner": {"type": "string", "description": "An identifier for the owner of this task"},
        "image_id": {"type": "string", "description": "Image associated with the task"},
        "request_id": {"type": "string", "description": "Human-readable informative request-id"},
        "user_id": {"type": "string", "description": "User associated with the task"},
        "expires_at": {"type": ["null", "string"], "description": "Datetime when this resource would be subject to removal"},
        "created_at": {"type": "string", "description": "Datetime when this resource was created"},
        "updated_at": {"type": "string", "description": "Datetime when this resource was updated"},
        "self": {"readOnly": true, "type": "string"},
        "schema": {"readOnly": true, "type": "string"},
    });
    if detailed {
        let extra = json!({
            "input": {"type": ["null", "object"], "description": "The parameters required by task, JSON blob"},
            "result": {"type": ["null", "object"], "description": "The result of current task, JSON blob"},
            "message": {"type": "string", "description": "Human-readable informative message only included when appropriate (usually on failure)"},
        });
        p.as_object_mut().expect("an object").extend(extra.as_object().expect("an object").clone());
    }
    p
}

/// The schema of one task.
pub fn task() -> Value {
    json!({"name": "task", "properties": task_properties(true)})
}

/// The schema of a task list.
pub fn tasks() -> Value {
    json!({
        "name": "tasks",
        "properties": {"tasks": {"type": "array", "items": {"name": "task", "properties": task_properties(false)}}, "schema": {"type": "string"}},
        "links": [{"rel": "describedby", "href": "{schema}"}],
    })
}
