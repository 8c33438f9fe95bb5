//! `GET /v2/schemas/metadefs/*`: the JSON schemas of metadata definitions, as Glance
//! serves them. An item schema forbids unknown keys; a list schema wraps its item's
//! schema, whose definitions move up to the list.

use serde_json::{Value, json};

use crate::domain::metadefs::{MAX_DESCRIPTION, MAX_NAME, MAX_OWNER, NAMESPACE_VISIBILITIES, PROPERTY_TYPES};

/// A property type, as Glance's schemas list the types: null among them, although
/// `"type": "string"` lets no null through.
fn property_type() -> Value {
    let mut types: Vec<Value> = PROPERTY_TYPES.iter().map(|t| json!(t)).collect();
    types.push(Value::Null);
    json!({"type": "string", "enum": types})
}

/// The keys a property definition may have.
fn property_keys() -> Value {
    json!({
        "name": {"type": "string", "maxLength": MAX_NAME},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "operators": {"type": "array", "items": {"type": "string"}},
        "type": property_type(),
        "required": {"$ref": "#/definitions/stringArray"},
        "minimum": {"type": "number"},
        "maximum": {"type": "number"},
        "maxLength": {"$ref": "#/definitions/positiveInteger"},
        "minLength": {"$ref": "#/definitions/positiveIntegerDefault0"},
        "pattern": {"type": "string", "format": "regex"},
        "enum": {"type": "array"},
        "readonly": {"type": "boolean"},
        "default": {},
        "items": {"type": "object", "properties": {"type": property_type(), "enum": {"type": "array"}}},
        "maxItems": {"$ref": "#/definitions/positiveInteger"},
        "minItems": {"$ref": "#/definitions/positiveIntegerDefault0"},
        "uniqueItems": {"type": "boolean", "default": false},
        "additionalItems": {"type": "boolean"},
    })
}

/// The definitions every metadef schema with properties refers to.
fn definitions(string_array: Value) -> Value {
    json!({
        "positiveInteger": {"type": "integer", "minimum": 0},
        "positiveIntegerDefault0": {"allOf": [{"$ref": "#/definitions/positiveInteger"}, {"default": 0}]},
        "stringArray": string_array,
    })
}

/// Namespace and object definitions: also `property`, the maps of property definitions
/// by name they embed.
fn content_definitions() -> Value {
    let mut d = definitions(json!({"type": "array", "items": {"type": "string"}, "uniqueItems": true}));
    d["property"] = json!({
        "type": "object",
        "additionalProperties": {"type": "object", "required": ["title", "type"], "properties": property_keys()},
    });
    d
}

/// Property definitions: there a list of required names may not be empty.
fn property_definitions() -> Value {
    definitions(json!({"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": true}))
}

fn timestamp(description: &str) -> Value {
    json!({"type": "string", "readOnly": true, "description": description, "format": "date-time"})
}

fn link() -> Value {
    json!({"type": "string", "readOnly": true})
}

/// An item schema: its keys, which it requires, nothing else allowed.
fn item(name: &str, properties: Value, required: &[&str]) -> Value {
    json!({"name": name, "properties": properties, "additionalProperties": false, "required": required})
}

fn with_definitions(mut schema: Value, definitions: Value) -> Value {
    schema["definitions"] = definitions;
    schema
}

/// A list schema: `entry` describes the member named after the list, beside the links.
fn collection(name: &str, entry: Value) -> Value {
    let mut properties = json!({"first": {"type": "string"}, "next": {"type": "string"}, "schema": {"type": "string"}});
    properties[name] = entry;
    json!({
        "name": name,
        "properties": properties,
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    })
}

fn array_of(items: Value) -> Value {
    json!({"type": "array", "items": items})
}

fn namespace_keys() -> Value {
    json!({
        "namespace": {"type": "string", "description": "The unique namespace text.", "maxLength": MAX_NAME},
        "display_name": {
            "type": "string",
            "description": "The user friendly name for the namespace. Used by UI if available.",
            "maxLength": MAX_NAME,
        },
        "description": {
            "type": "string",
            "description": "Provides a user friendly description of the namespace.",
            "maxLength": MAX_DESCRIPTION,
        },
        "visibility": {"type": "string", "description": "Scope of namespace accessibility.", "enum": NAMESPACE_VISIBILITIES},
        "protected": {"type": "boolean", "description": "If true, namespace will not be deletable."},
        "owner": {"type": "string", "description": "Owner of the namespace.", "maxLength": MAX_OWNER},
        "created_at": timestamp("Date and time of namespace creation"),
        "updated_at": timestamp("Date and time of the last namespace modification"),
        "schema": link(),
        "self": link(),
        "resource_type_associations": array_of(json!({
            "type": "object",
            "properties": {"name": {"type": "string"}, "prefix": {"type": "string"}, "properties_target": {"type": "string"}},
        })),
        "properties": {"$ref": "#/definitions/property"},
        "objects": array_of(json!({
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "description": {"type": "string"},
                "required": {"$ref": "#/definitions/stringArray"},
                "properties": {"$ref": "#/definitions/property"},
            },
        })),
        "tags": array_of(json!({"type": "object", "properties": {"name": {"type": "string"}}})),
    })
}

fn object_keys() -> Value {
    json!({
        "name": {"type": "string", "maxLength": MAX_NAME},
        "description": {"type": "string"},
        "required": {"$ref": "#/definitions/stringArray"},
        "properties": {"$ref": "#/definitions/property"},
        "schema": link(),
        "self": link(),
        "created_at": timestamp("Date and time of object creation"),
        "updated_at": timestamp("Date and time of the last object modification"),
    })
}

fn association_keys() -> Value {
    json!({
        "name": {
            "type": "string",
            "description": "Resource type names should be aligned with Heat resource types whenever possible: \
                            https://docs.openstack.org/heat/latest/template_guide/openstack.html",
            "maxLength": MAX_NAME,
        },
        "prefix": {
            "type": "string",
            "description": "Specifies the prefix to use for the given resource type. Any properties in the namespace should be \
                            prefixed with this prefix when being applied to the specified resource type. Must include prefix \
                            separator (e.g. a colon :).",
            "maxLength": MAX_NAME,
        },
        "properties_target": {
            "type": "string",
            "description": "Some resource types allow more than one key / value pair per instance.  For example, Cinder allows \
                            user and image metadata on volumes. Only the image properties metadata is evaluated by Nova \
                            (scheduling or drivers). This property allows a namespace target to remove the ambiguity.",
            "maxLength": MAX_NAME,
        },
        "created_at": timestamp("Date and time of resource type association"),
        "updated_at": timestamp("Date and time of the last resource type association modification"),
    })
}

fn tag_keys() -> Value {
    json!({
        "name": {"type": "string", "maxLength": MAX_NAME},
        "created_at": timestamp("Date and time of tag creation"),
        "updated_at": timestamp("Date and time of the last tag modification"),
    })
}

fn namespace_item() -> Value {
    item("namespace", namespace_keys(), &["namespace"])
}

fn object_item() -> Value {
    item("object", object_keys(), &["name"])
}

/// The schema of one namespace.
pub fn namespace() -> Value {
    with_definitions(namespace_item(), content_definitions())
}

/// The schema of a namespace list.
pub fn namespaces() -> Value {
    with_definitions(collection("namespaces", array_of(namespace_item())), content_definitions())
}

/// The schema of one object.
pub fn object() -> Value {
    with_definitions(object_item(), content_definitions())
}

/// The schema of an object list.
pub fn objects() -> Value {
    with_definitions(collection("objects", array_of(object_item())), content_definitions())
}

/// The schema of one property, sent on its own and so named.
pub fn property() -> Value {
    with_definitions(item("property", property_keys(), &["type", "title", "name"]), property_definitions())
}

/// The schema of a namespace's properties: an object of definitions keyed by name.
pub fn properties() -> Value {
    let entry = json!({"type": "object", "additionalProperties": item("property", property_keys(), &["type", "title"])});
    with_definitions(collection("properties", entry), property_definitions())
}

/// The schema of one resource type association.
pub fn resource_type() -> Value {
    item("resource_type_association", association_keys(), &["name"])
}

/// The schema of a resource type association list.
pub fn resource_types() -> Value {
    collection("resource_type_associations", array_of(resource_type()))
}

/// The schema of one tag.
pub fn tag() -> Value {
    item("tag", tag_keys(), &["name"])
}

/// The schema of a tag list.
pub fn tags() -> Value {
    collection("tags", array_of(tag()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_schema_has_the_name_clients_check() {
        for (schema, name) in [
            (namespace(), "namespace"),
            (namespaces(), "namespaces"),
            (object(), "object"),
            (objects(), "objects"),
            (property(), "property"),
            (properties(), "properties"),
            (resource_type(), "resource_type_association"),
            (resource_types(), "resource_type_associations"),
            (tag(), "tag"),
            (tags(), "tags"),
        ] {
            assert_eq!(schema["name"], name);
        }
    }

    #[test]
    fn lists_wrap_their_items_and_carry_their_definitions() {
        let list = namespaces();
        assert_eq!(list["properties"]["namespaces"]["items"]["required"], json!(["namespace"]));
        assert!(list["properties"]["namespaces"]["items"].get("definitions").is_none());
        assert!(list["definitions"]["property"].is_object());
        assert_eq!(properties()["properties"]["properties"]["additionalProperties"]["required"], json!(["type", "title"]));
        assert_eq!(property()["definitions"]["stringArray"]["minItems"], 1);
        assert_eq!(namespace()["additionalProperties"], false);
    }
}
