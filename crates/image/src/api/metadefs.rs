//! Metadata definitions on the wire: namespaces, resource types and their associations,
//! objects, properties and tags as Glance spells them, and the bodies and list queries
//! that create, change and page them. Unset fields are left out, never sent as null.

use common::time::iso8601;
use serde_json::{Map, Value, json};

use crate::domain::metadefs::{
    CONTENT_SORT_KEYS, ContentQuery, ListedNamespace, NAMESPACE_SORT_KEYS, NAMESPACE_VISIBILITIES, NamespaceDetail, NamespaceFields,
    NamespacePage, NamespaceQuery, NewAssociation, NewNamespace, NewObject, NewProperty, PROPERTY_TYPES,
};
use crate::domain::{Error, Result};
use crate::store::{AssociationRow, NamespaceRow, ObjectRow, PropertyRow, ResourceTypeRow, TagRow};

const NAMESPACES: &str = "/v2/metadefs/namespaces";
/// What a namespace body may hold (the namespace schema's properties).
const NAMESPACE_KEYS: [&str; 14] = [
    "namespace",
    "display_name",
    "description",
    "visibility",
    "protected",
    "owner",
    "created_at",
    "updated_at",
    "schema",
    "self",
    "resource_type_associations",
    "properties",
    "objects",
    "tags",
];
/// The contents a namespace create may embed, echoed back as sent.
const CONTENT_KEYS: [&str; 4] = ["resource_type_associations", "properties", "objects", "tags"];
/// What an object body may hold.
const OBJECT_KEYS: [&str; 8] = ["name", "description", "required", "properties", "schema", "self", "created_at", "updated_at"];
/// Attributes of namespaces and objects only the service sets.
const LINKED_READ_ONLY: [&str; 4] = ["self", "schema", "created_at", "updated_at"];
/// Attributes of properties, tags and associations only the service sets.
const READ_ONLY: [&str; 2] = ["created_at", "updated_at"];
/// What a property definition may hold.
const PROPERTY_KEYS: [&str; 19] = [
    "name",
    "title",
    "description",
    "operators",
    "type",
    "required",
    "minimum",
    "maximum",
    "maxLength",
    "minLength",
    "pattern",
    "enum",
    "readonly",
    "default",
    "items",
    "maxItems",
    "minItems",
    "uniqueItems",
    "additionalItems",
];

/// Sets `key` when `value` is set.
fn set_opt(v: &mut Value, key: &str, value: Option<&str>) {
    if let Some(s) = value {
        v[key] = json!(s);
    }
}

/// A namespace's own fields and links, as an update returns it.
pub fn render_namespace(ns: &NamespaceRow) -> Value {
    let mut v = json!({
        "namespace": ns.namespace, "visibility": ns.visibility, "protected": ns.protected,
        "created_at": iso8601(ns.created_at), "updated_at": iso8601(ns.updated_at),
        "self": format!("{NAMESPACES}/{}", ns.namespace), "schema": "/v2/schemas/metadefs/namespace",
    });
    set_opt(&mut v, "display_name", ns.display_name.as_deref());
    set_opt(&mut v, "description", ns.description.as_deref());
    set_opt(&mut v, "owner", ns.owner.as_deref());
    v
}

/// A namespace just created: its fields, and the contents it embedded echoed as the
/// request sent them, as Glance does.
pub fn render_created_namespace(ns: &NamespaceRow, sent: &Value) -> Value {
    let mut v = render_namespace(ns);
    for key in CONTENT_KEYS {
        if let Some(content) = sent.get(key) {
            v[key] = content.clone();
        }
    }
    v
}

/// A namespace with each kind of content it holds, when it holds any.
pub fn render_namespace_detail(d: &NamespaceDetail) -> Value {
    let mut v = render_namespace(&d.namespace);
    let c = &d.contents;
    if !c.associations.is_empty() {
        v["resource_type_associations"] = c.associations.iter().map(render_association).collect();
    }
    if !c.properties.is_empty() {
        v["properties"] = property_map(&c.properties);
    }
    if !c.objects.is_empty() {
        v["objects"] = c.objects.iter().map(|o| render_object(&d.namespace.namespace, o)).collect();
    }
    if !c.tags.is_empty() {
        v["tags"] = tag_names(&c.tags);
    }
    v
}

/// A namespace in a list: its fields with its resource type associations, if any.
fn render_listed_namespace(l: &ListedNamespace) -> Value {
    let mut v = render_namespace(&l.namespace);
    if !l.associations.is_empty() {
        v["resource_type_associations"] = l.associations.iter().map(render_association).collect();
    }
    v
}

/// The namespace list path with `pairs` as its query.
fn namespaces_href(pairs: &[(String, String)]) -> String {
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    if query.is_empty() { NAMESPACES.to_owned() } else { format!("{NAMESPACES}?{query}") }
}

/// A page of namespaces with Glance's links: `first` repeats the query without its
/// marker, and `next`, present when the page is full, continues after its last namespace.
pub fn render_namespace_page(page: &NamespacePage, params: &[(String, String)]) -> Value {
    let without_marker: Vec<(String, String)> = params.iter().filter(|(k, _)| k != "marker").cloned().collect();
    let mut body = json!({
        "namespaces": page.namespaces.iter().map(render_listed_namespace).collect::<Vec<_>>(),
        "first": namespaces_href(&without_marker),
        "schema": "/v2/schemas/metadefs/namespaces",
    });
    if let (true, Some(last)) = (page.full, page.namespaces.last()) {
        let mut next = without_marker;
        next.push(("marker".into(), last.namespace.namespace.clone()));
        body["next"] = json!(namespaces_href(&next));
    }
    body
}

/// Every resource type.
pub fn render_resource_types(types: &[ResourceTypeRow]) -> Value {
    let list: Vec<Value> =
        types.iter().map(|t| json!({"name": t.name, "created_at": iso8601(t.created_at), "updated_at": iso8601(t.updated_at)})).collect();
    json!({"resource_types": list})
}

/// One resource type association.
pub fn render_association(a: &AssociationRow) -> Value {
    let mut v = json!({"name": a.name, "created_at": iso8601(a.created_at), "updated_at": iso8601(a.updated_at)});
    set_opt(&mut v, "prefix", a.prefix.as_deref());
    set_opt(&mut v, "properties_target", a.properties_target.as_deref());
    v
}

/// A namespace's resource type associations.
pub fn render_associations(associations: &[AssociationRow]) -> Value {
    json!({"resource_type_associations": associations.iter().map(render_association).collect::<Vec<_>>()})
}

/// An object of namespace `namespace`, with its links.
pub fn render_object(namespace: &str, o: &ObjectRow) -> Value {
    let mut v = json!({
        "name": o.name, "required": o.required, "properties": o.properties,
        "created_at": iso8601(o.created_at), "updated_at": iso8601(o.updated_at),
        "self": format!("{NAMESPACES}/{namespace}/objects/{}", o.name), "schema": "/v2/schemas/metadefs/object",
    });
    set_opt(&mut v, "description", o.description.as_deref());
    v
}

/// An object just created: as [`render_object`], without the optional fields the
/// request left out, since Glance echoes the request.
pub fn render_created_object(namespace: &str, o: &ObjectRow, sent: &Value) -> Value {
    let mut v = render_object(namespace, o);
    if let Some(fields) = v.as_object_mut() {
        for key in ["description", "required", "properties"] {
            if sent.get(key).is_none() {
                fields.remove(key);
            }
        }
    }
    v
}

/// A namespace's objects. Glance writes this schema link without its leading slash.
pub fn render_objects(namespace: &str, objects: &[ObjectRow]) -> Value {
    json!({"objects": objects.iter().map(|o| render_object(namespace, o)).collect::<Vec<_>>(), "schema": "v2/schemas/metadefs/objects"})
}

/// One property: its definition, named.
pub fn render_property(p: &PropertyRow) -> Value {
    let mut definition = p.definition.clone();
    definition.insert("name".into(), json!(p.name));
    Value::Object(definition)
}

/// Property definitions by name, as stored.
fn property_map(properties: &[PropertyRow]) -> Value {
    Value::Object(properties.iter().map(|p| (p.name.clone(), Value::Object(p.definition.clone()))).collect())
}

/// A namespace's properties: an object keyed by name, not a list.
pub fn render_properties(properties: &[PropertyRow]) -> Value {
    json!({"properties": property_map(properties)})
}

/// One tag.
pub fn render_tag(t: &TagRow) -> Value {
    json!({"name": t.name, "created_at": iso8601(t.created_at), "updated_at": iso8601(t.updated_at)})
}

fn tag_names(tags: &[TagRow]) -> Value {
    tags.iter().map(|t| json!({"name": t.name})).collect()
}

/// Tags by name only, as lists and bulk creates return them.
pub fn render_tag_names(tags: &[TagRow]) -> Value {
    json!({"tags": tag_names(tags)})
}

fn bad(key: &str, what: &str) -> Error {
    Error::BadRequest(format!("Invalid value for '{key}': {what} is expected."))
}

/// A request body's members: every metadef body is a JSON object.
fn members(body: &Value) -> Result<&Map<String, Value>> {
    body.as_object().ok_or_else(|| Error::BadRequest("Body expected in request: a JSON object.".into()))
}

/// Refuses attributes only the service sets: 403, as Glance does, before anything else.
fn refuse_read_only(obj: &Map<String, Value>, read_only: &[&str]) -> Result<()> {
    match read_only.iter().find(|key| obj.contains_key(**key)) {
        Some(key) => Err(Error::Forbidden(format!("Attribute '{key}' is read-only."))),
        None => Ok(()),
    }
}

/// Refuses attributes the schema does not have.
fn refuse_unknown(obj: &Map<String, Value>, known: &[&str]) -> Result<()> {
    match obj.keys().find(|key| !known.contains(&key.as_str())) {
        Some(key) => Err(Error::BadRequest(format!("Additional properties are not allowed ('{key}' was unexpected)."))),
        None => Ok(()),
    }
}

fn string(key: &str, v: &Value) -> Result<String> {
    v.as_str().map(str::to_owned).ok_or_else(|| bad(key, "a string"))
}

/// The string `key` of `obj`, when present.
fn opt_string(obj: &Map<String, Value>, key: &str) -> Result<Option<String>> {
    obj.get(key).map(|v| string(key, v)).transpose()
}

/// The string `key` of `obj`, which must be present.
fn required_string(obj: &Map<String, Value>, key: &str) -> Result<String> {
    string(key, obj.get(key).ok_or_else(|| Error::BadRequest(format!("'{key}' is a required property.")))?)
}

/// A list of distinct strings (the schemas' `stringArray`).
fn string_array(key: &str, v: &Value) -> Result<Vec<String>> {
    let items = v.as_array().ok_or_else(|| bad(key, "a list of strings"))?;
    let list: Vec<String> = items.iter().map(|item| string(key, item)).collect::<Result<_>>()?;
    if list.iter().enumerate().any(|(i, s)| list[..i].contains(s)) {
        return Err(Error::BadRequest(format!("Invalid value for '{key}': it has non-unique elements.")));
    }
    Ok(list)
}

/// The list `key` of `obj`, each item read by `item`; none when absent.
fn list_of<T>(obj: &Map<String, Value>, key: &str, item: impl Fn(&Value) -> Result<T>) -> Result<Vec<T>> {
    match obj.get(key) {
        Some(v) => v.as_array().ok_or_else(|| bad(key, "a list"))?.iter().map(item).collect(),
        None => Ok(Vec::new()),
    }
}

fn is_property_type(v: &Value) -> bool {
    v.as_str().is_some_and(|t| PROPERTY_TYPES.contains(&t))
}

/// A property definition, checked against Glance's property schema: `title` and `type`
/// are required (and `name`, for a property sent on its own), unknown keys are refused.
fn property_definition(v: &Value, name_required: bool) -> Result<Map<String, Value>> {
    let def = v.as_object().ok_or_else(|| Error::BadRequest("A property definition must be a JSON object.".into()))?;
    refuse_unknown(def, &PROPERTY_KEYS)?;
    let required: &[&str] = if name_required { &["name", "title", "type"] } else { &["title", "type"] };
    if let Some(key) = required.iter().find(|key| !def.contains_key(**key)) {
        return Err(Error::BadRequest(format!("'{key}' is a required property of a property definition.")));
    }
    for (key, value) in def {
        let valid = match key.as_str() {
            "name" | "title" | "description" | "pattern" => value.is_string(),
            "type" => is_property_type(value),
            "operators" => value.as_array().is_some_and(|ops| ops.iter().all(Value::is_string)),
            "required" => string_array(key, value).is_ok(),
            "minimum" | "maximum" => value.is_number(),
            "maxLength" | "minLength" | "maxItems" | "minItems" => value.is_u64(),
            "enum" => value.is_array(),
            "readonly" | "uniqueItems" | "additionalItems" => value.is_boolean(),
            "items" => value
                .as_object()
                .is_some_and(|items| items.get("type").is_none_or(is_property_type) && items.get("enum").is_none_or(Value::is_array)),
            // `default` may be any value.
            _ => true,
        };
        if !valid {
            return Err(Error::BadRequest(format!("Invalid value {value} for '{key}' in a property definition.")));
        }
    }
    Ok(def.clone())
}

/// Property definitions by name, as namespaces and objects embed them.
fn property_definitions(key: &str, v: &Value) -> Result<Map<String, Value>> {
    let properties = v.as_object().ok_or_else(|| bad(key, "an object of property definitions by name"))?;
    let mut definitions = Map::new();
    for (name, def) in properties {
        definitions.insert(name.clone(), Value::Object(property_definition(def, false)?));
    }
    Ok(definitions)
}

/// An item of the list `key`, which must be an object.
fn list_item<'a>(key: &str, v: &'a Value) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| bad(key, "a list of objects"))
}

fn object_fields(obj: &Map<String, Value>) -> Result<NewObject> {
    Ok(NewObject {
        name: required_string(obj, "name")?,
        description: opt_string(obj, "description")?,
        required: obj.get("required").map(|v| string_array("required", v)).transpose()?.unwrap_or_default(),
        properties: obj.get("properties").map(|v| property_definitions("properties", v)).transpose()?.unwrap_or_default(),
    })
}

fn association_fields(obj: &Map<String, Value>) -> Result<NewAssociation> {
    Ok(NewAssociation {
        name: required_string(obj, "name")?,
        prefix: opt_string(obj, "prefix")?,
        properties_target: opt_string(obj, "properties_target")?,
    })
}

/// A namespace create or update body. An update takes only its `fields`, but Glance
/// checks the whole body against the schema either way.
pub fn parse_namespace(body: &Value) -> Result<NewNamespace> {
    let obj = members(body)?;
    refuse_read_only(obj, &LINKED_READ_ONLY)?;
    refuse_unknown(obj, &NAMESPACE_KEYS)?;
    let fields = NamespaceFields {
        namespace: required_string(obj, "namespace")?,
        display_name: opt_string(obj, "display_name")?,
        description: opt_string(obj, "description")?,
        visibility: opt_string(obj, "visibility")?,
        protected: obj.get("protected").map(|v| v.as_bool().ok_or_else(|| bad("protected", "a boolean"))).transpose()?.unwrap_or(false),
        owner: opt_string(obj, "owner")?,
    };
    Ok(NewNamespace {
        fields,
        associations: list_of(obj, "resource_type_associations", |v| association_fields(list_item("resource_type_associations", v)?))?,
        objects: list_of(obj, "objects", |v| object_fields(list_item("objects", v)?))?,
        properties: obj.get("properties").map(|v| property_definitions("properties", v)).transpose()?.unwrap_or_default(),
        tags: list_of(obj, "tags", |v| required_string(list_item("tags", v)?, "name"))?,
    })
}

/// A resource type association body.
pub fn parse_association(body: &Value) -> Result<NewAssociation> {
    let obj = members(body)?;
    refuse_read_only(obj, &READ_ONLY)?;
    refuse_unknown(obj, &["name", "prefix", "properties_target"])?;
    association_fields(obj)
}

/// An object create or update body.
pub fn parse_object(body: &Value) -> Result<NewObject> {
    let obj = members(body)?;
    refuse_read_only(obj, &LINKED_READ_ONLY)?;
    refuse_unknown(obj, &OBJECT_KEYS)?;
    object_fields(obj)
}

/// A property create or update body: a whole definition, named.
pub fn parse_property(body: &Value) -> Result<NewProperty> {
    refuse_read_only(members(body)?, &READ_ONLY)?;
    let definition = property_definition(body, true)?;
    let name = definition.get("name").and_then(Value::as_str).ok_or_else(|| bad("name", "a string"))?.to_owned();
    Ok(NewProperty { name, definition })
}

/// A tag rename body, `{"name": <new name>}`.
pub fn parse_tag(body: &Value) -> Result<String> {
    let obj = members(body)?;
    refuse_read_only(obj, &READ_ONLY)?;
    refuse_unknown(obj, &["name"])?;
    required_string(obj, "name")
}

/// A bulk tag create body, `{"tags": [{"name": ...}, ...]}`; no `tags` means none.
pub fn parse_tags(body: &Value) -> Result<Vec<String>> {
    let obj = members(body)?;
    refuse_read_only(obj, &READ_ONLY)?;
    refuse_unknown(obj, &["tags"])?;
    list_of(obj, "tags", |v| {
        let tag = list_item("tags", v)?;
        refuse_unknown(tag, &["name"])?;
        required_string(tag, "name")
    })
}

/// `X-Openstack-Append` as oslo's `bool_from_string` reads it: anything but a word for
/// true is false.
pub fn parse_append(header: Option<&str>) -> bool {
    header.is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "t" | "true" | "on" | "y" | "yes"))
}

/// The `resource_type` a namespace or property show asks names to be prefixed for.
pub fn resource_type_param(params: &[(String, String)]) -> Option<&str> {
    params.iter().find(|(k, v)| k == "resource_type" && !v.is_empty()).map(|(_, v)| v.as_str())
}

fn limit(raw: &str) -> Result<usize> {
    let n: i64 = raw.parse().map_err(|_| Error::BadRequest("limit param must be an integer".into()))?;
    usize::try_from(n).map_err(|_| Error::BadRequest("limit param must be positive".into()))
}

fn sort_key(raw: &str, allowed: &[&str]) -> Result<String> {
    if !allowed.contains(&raw) {
        return Err(Error::BadRequest(format!("Invalid sort key: {raw}. It must be one of the following: {}.", allowed.join(", "))));
    }
    Ok(raw.to_owned())
}

fn ascending(raw: &str) -> Result<bool> {
    match raw {
        "asc" => Ok(true),
        "desc" => Ok(false),
        other => Err(Error::BadRequest(format!("Invalid sort direction: {other}"))),
    }
}

/// A namespace list query; parameters Glance does not know are ignored, as it does.
pub fn parse_namespace_query(params: &[(String, String)]) -> Result<NamespaceQuery> {
    let mut q = NamespaceQuery::default();
    for (key, raw) in params {
        match key.as_str() {
            "limit" => q.limit = Some(limit(raw)?),
            "marker" => q.marker = Some(raw.clone()),
            "sort_key" => q.sort_key = Some(sort_key(raw, &NAMESPACE_SORT_KEYS)?),
            "sort_dir" => q.ascending = ascending(raw)?,
            "visibility" => {
                if !NAMESPACE_VISIBILITIES.contains(&raw.as_str()) {
                    return Err(Error::BadRequest(format!("Invalid visibility value: {raw}")));
                }
                q.visibility = Some(raw.clone());
            }
            "resource_types" => {
                q.resource_types = raw.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect();
            }
            _ => {}
        }
    }
    Ok(q)
}

/// An object or tag list query; parameters Glance does not know are ignored.
pub fn parse_content_query(params: &[(String, String)]) -> Result<ContentQuery> {
    let mut q = ContentQuery::default();
    for (key, raw) in params {
        match key.as_str() {
            "limit" => q.limit = Some(limit(raw)?),
            "marker" => q.marker = Some(raw.clone()),
            "sort_key" => q.sort_key = Some(sort_key(raw, &CONTENT_SORT_KEYS)?),
            "sort_dir" => q.ascending = ascending(raw)?,
            _ => {}
        }
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn namespace_bodies_are_checked_as_glance_schemas_check_them() {
        let full = json!({
            "namespace": "n", "visibility": "public", "protected": true,
            "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "hw_"}],
            "properties": {"cpu": {"title": "CPU", "type": "integer", "minimum": 1}},
            "objects": [{"name": "o", "required": ["cpu"]}],
            "tags": [{"name": "t"}],
        });
        let ns = parse_namespace(&full).unwrap();
        assert_eq!((ns.fields.namespace.as_str(), ns.fields.protected), ("n", true));
        assert_eq!(ns.associations[0].prefix.as_deref(), Some("hw_"));
        assert_eq!(ns.objects[0].required, ["cpu"]);
        assert_eq!(ns.tags, ["t"]);
        assert!(ns.properties.contains_key("cpu"));

        assert!(matches!(parse_namespace(&json!({"namespace": "n", "self": "x"})), Err(Error::Forbidden(_))));
        for bad in [
            json!({}),
            json!({"namespace": 1}),
            json!({"namespace": "n", "colour": "red"}),
            json!({"namespace": "n", "protected": "yes"}),
            json!({"namespace": "n", "display_name": null}),
            json!({"namespace": "n", "properties": {"p": {"title": "P"}}}),
            json!({"namespace": "n", "objects": [{"required": []}]}),
            json!({"namespace": "n", "tags": ["t"]}),
        ] {
            assert!(matches!(parse_namespace(&bad), Err(Error::BadRequest(_))), "{bad}");
        }
    }

    #[test]
    fn property_definitions_follow_the_property_schema() {
        let p = parse_property(&json!({"name": "OS::Glance::Image", "title": "T", "type": "string", "enum": ["a", "b"]})).unwrap();
        assert_eq!(p.name, "OS::Glance::Image", "property names are not restricted");
        let row = PropertyRow { namespace_id: "i".into(), name: p.name, definition: p.definition, created_at: 0, updated_at: 0 };
        assert_eq!(render_property(&row)["enum"], json!(["a", "b"]));
        let read_only = json!({"name": "p", "title": "T", "type": "string", "created_at": "x"});
        assert!(matches!(parse_property(&read_only), Err(Error::Forbidden(_))));
        for bad in [
            json!({"title": "T", "type": "string"}),
            json!({"name": "p", "title": "T", "type": "text"}),
            json!({"name": "p", "title": "T", "type": "string", "confidential": true}),
            json!({"name": "p", "title": "T", "type": "string", "maxLength": -1}),
            json!({"name": "p", "title": "T", "type": "array", "items": {"type": "list"}}),
            json!({"name": "p", "title": "T", "type": "string", "required": ["a", "a"]}),
        ] {
            assert!(matches!(parse_property(&bad), Err(Error::BadRequest(_))), "{bad}");
        }
    }

    #[test]
    fn tags_and_queries_parse_as_glance_reads_them() {
        assert_eq!(parse_tags(&json!({"tags": [{"name": "a"}, {"name": "b"}]})).unwrap(), ["a", "b"]);
        assert!(parse_tags(&json!({})).unwrap().is_empty());
        assert!(matches!(parse_tags(&json!({"tags": [{"name": "a", "x": 1}]})), Err(Error::BadRequest(_))));
        assert!(parse_append(Some(" True")) && parse_append(Some("1")) && !parse_append(Some("no")) && !parse_append(None));

        let q = parse_namespace_query(&params(&[("limit", "2"), ("sort_dir", "asc"), ("resource_types", "A, B"), ("other", "x")])).unwrap();
        assert_eq!((q.limit, q.ascending, q.resource_types.len()), (Some(2), true, 2));
        for bad in [&[("limit", "-1")][..], &[("limit", "x")], &[("sort_dir", "up")], &[("visibility", "shared")], &[("sort_key", "id")]] {
            assert!(parse_namespace_query(&params(bad)).is_err(), "{bad:?}");
        }
        assert!(parse_content_query(&params(&[("sort_key", "name"), ("marker", "t")])).is_ok());
        assert_eq!(resource_type_param(&params(&[("resource_type", "OS::Nova::Flavor")])), Some("OS::Nova::Flavor"));
    }

    #[test]
    fn pages_link_to_their_first_and_next() {
        let ns = NamespaceRow {
            id: "i".into(),
            namespace: "n".into(),
            display_name: None,
            description: None,
            visibility: "public".into(),
            protected: false,
            owner: None,
            created_at: 0,
            updated_at: 0,
        };
        let page = NamespacePage { namespaces: vec![ListedNamespace { namespace: ns, associations: Vec::new() }], full: true };
        let body = render_namespace_page(&page, &params(&[("limit", "1"), ("marker", "m")]));
        assert_eq!(body["first"], "/v2/metadefs/namespaces?limit=1");
        assert_eq!(body["next"], "/v2/metadefs/namespaces?limit=1&marker=n");
        let item = &body["namespaces"][0];
        assert!(item.get("owner").is_none() && item.get("display_name").is_none(), "unset fields are left out: {item}");
        assert_eq!(item["self"], "/v2/metadefs/namespaces/n");
    }
}
