//! Metadata definitions (`/v2/metadefs`): namespaces describing the properties other
//! services' resources may carry, with their objects, properties, tags and the resource
//! types they apply to. Anyone reads the namespaces they see; administrators write.
//!
//! A namespace the caller does not see is a 404 for every operation, writes included,
//! as in Glance; a protected namespace keeps itself and all its contents from deletion.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use common::RequestContext;
use common::time::now_micros;
use serde_json::{Map, Value, json};

use super::policy::project_target;
use super::{Error, Images, Result};
use crate::store::{AssociationRow, NamespaceContents, NamespaceRow, ObjectRow, PropertyRow, ResourceTypeRow, StoreError, TagRow};

const METADEF_ADMIN: &str = "rule:metadef_admin";
const NAMESPACE_READER: &str = "rule:context_is_admin or (role:reader and (project_id:%(project_id)s or 'public':%(visibility)s))";
const PROJECT_READER: &str = "rule:context_is_admin or (role:reader and project_id:%(project_id)s)";

/// Glance's default metadef rules, checked against a namespace's owner (`project_id`) and
/// visibility: readers of the owning project, or of any project for a public namespace,
/// read; administrators write. `metadef_default` is referenced by no default, but
/// operators' policy files written for Glance's legacy defaults name it.
pub const METADEF_RULES: [(&str, &str); 28] = [
    ("metadef_default", ""),
    ("metadef_admin", "rule:context_is_admin"),
    ("get_metadef_namespace", NAMESPACE_READER),
    ("get_metadef_namespaces", PROJECT_READER),
    ("modify_metadef_namespace", METADEF_ADMIN),
    ("add_metadef_namespace", METADEF_ADMIN),
    ("delete_metadef_namespace", METADEF_ADMIN),
    ("get_metadef_object", NAMESPACE_READER),
    ("get_metadef_objects", NAMESPACE_READER),
    ("modify_metadef_object", METADEF_ADMIN),
    ("add_metadef_object", METADEF_ADMIN),
    ("delete_metadef_object", METADEF_ADMIN),
    ("list_metadef_resource_types", NAMESPACE_READER),
    ("get_metadef_resource_type", NAMESPACE_READER),
    ("add_metadef_resource_type_association", METADEF_ADMIN),
    ("remove_metadef_resource_type_association", METADEF_ADMIN),
    ("get_metadef_property", NAMESPACE_READER),
    ("get_metadef_properties", NAMESPACE_READER),
    ("modify_metadef_property", METADEF_ADMIN),
    ("add_metadef_property", METADEF_ADMIN),
    ("remove_metadef_property", METADEF_ADMIN),
    ("get_metadef_tag", NAMESPACE_READER),
    ("get_metadef_tags", NAMESPACE_READER),
    ("modify_metadef_tag", METADEF_ADMIN),
    ("add_metadef_tag", METADEF_ADMIN),
    ("add_metadef_tags", METADEF_ADMIN),
    ("delete_metadef_tag", METADEF_ADMIN),
    ("delete_metadef_tags", METADEF_ADMIN),
];

/// Who may see a namespace besides its owner.
pub const NAMESPACE_VISIBILITIES: [&str; 2] = ["public", "private"];
/// The types a property definition may declare.
pub const PROPERTY_TYPES: [&str; 6] = ["array", "boolean", "integer", "number", "object", "string"];
/// Keys a namespace list may be sorted by.
pub const NAMESPACE_SORT_KEYS: [&str; 8] =
    ["namespace", "display_name", "description", "visibility", "protected", "owner", "created_at", "updated_at"];
/// Keys an object or tag list may be sorted by.
pub const CONTENT_SORT_KEYS: [&str; 3] = ["name", "created_at", "updated_at"];
/// Longest name of a namespace, resource type, object, property or tag, and longest
/// display name, prefix or properties target.
pub const MAX_NAME: usize = 80;
/// Longest namespace description.
pub const MAX_DESCRIPTION: usize = 500;
/// Longest namespace owner.
pub const MAX_OWNER: usize = 255;

/// A namespace's own fields, as a create or an update gives them; types were checked on
/// the wire.
#[derive(Debug, Clone, Default)]
pub struct NamespaceFields {
    pub namespace: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    /// `None` means private.
    pub visibility: Option<String>,
    pub protected: bool,
    /// `None` means the caller's project.
    pub owner: Option<String>,
}

/// A namespace create request: the namespace and what it holds from the start.
#[derive(Debug, Clone, Default)]
pub struct NewNamespace {
    pub fields: NamespaceFields,
    pub associations: Vec<NewAssociation>,
    pub objects: Vec<NewObject>,
    /// Property definitions by name.
    pub properties: Map<String, Value>,
    /// Tag names.
    pub tags: Vec<String>,
}

/// A resource type association as a request gives it.
#[derive(Debug, Clone, Default)]
pub struct NewAssociation {
    /// The resource type's name; an unknown one is created.
    pub name: String,
    pub prefix: Option<String>,
    pub properties_target: Option<String>,
}

/// An object as a create or an update gives it.
#[derive(Debug, Clone, Default)]
pub struct NewObject {
    pub name: String,
    pub description: Option<String>,
    pub required: Vec<String>,
    /// Property definitions by name.
    pub properties: Map<String, Value>,
}

/// A property as a create or an update gives it.
#[derive(Debug, Clone, Default)]
pub struct NewProperty {
    pub name: String,
    /// The whole definition as sent, checked on the wire.
    pub definition: Map<String, Value>,
}

/// A namespace with everything it holds, as a show returns it.
#[derive(Debug)]
pub struct NamespaceDetail {
    pub namespace: NamespaceRow,
    pub contents: NamespaceContents,
}

/// A namespace in a list, with its resource type associations.
#[derive(Debug)]
pub struct ListedNamespace {
    pub namespace: NamespaceRow,
    pub associations: Vec<AssociationRow>,
}

/// One page of a namespace list; `full` when the page is full, so that a next page may
/// exist.
#[derive(Debug)]
pub struct NamespacePage {
    pub namespaces: Vec<ListedNamespace>,
    pub full: bool,
}

/// A namespace list request, parsed and checked on the wire.
#[derive(Debug, Clone, Default)]
pub struct NamespaceQuery {
    pub limit: Option<usize>,
    /// The name of the namespace the page starts after.
    pub marker: Option<String>,
    /// One of [`NAMESPACE_SORT_KEYS`]; `None` sorts by `created_at`.
    pub sort_key: Option<String>,
    /// Oldest (or smallest) first; newest first otherwise, Glance's default.
    pub ascending: bool,
    pub visibility: Option<String>,
    /// Only namespaces associated with one of these resource types; empty means any.
    pub resource_types: Vec<String>,
}

/// An object or tag list request, parsed and checked on the wire.
#[derive(Debug, Clone, Default)]
pub struct ContentQuery {
    /// `None` lists them all.
    pub limit: Option<usize>,
    /// The name of the object or tag the page starts after.
    pub marker: Option<String>,
    /// One of [`CONTENT_SORT_KEYS`]; `None` sorts by `created_at`.
    pub sort_key: Option<String>,
    /// Oldest (or smallest) first; newest first otherwise, Glance's default.
    pub ascending: bool,
}

fn no_namespace(name: &str) -> Error {
    Error::NotFound(format!("Metadata definition namespace={name} was not found."))
}

fn no_object(name: &str, namespace: &str) -> Error {
    Error::NotFound(format!("The metadata definition object with name={name} was not found in namespace={namespace}."))
}

fn no_property(name: &str, namespace: &str) -> Error {
    Error::NotFound(format!("The metadata definition property with name={name} was not found in namespace={namespace}."))
}

fn no_tag(name: &str, namespace: &str) -> Error {
    Error::NotFound(format!("The metadata definition tag with name={name} was not found in namespace={namespace}."))
}

/// A store failure, with a duplicate name reported as the 409 `conflict` describes.
fn or_conflict(e: StoreError, conflict: impl FnOnce() -> String) -> Error {
    match e {
        StoreError::Duplicate => Error::Conflict(conflict()),
        e => e.into(),
    }
}

/// Refuses to delete `what` (the namespace itself, or some of its contents) when the
/// namespace is protected.
fn check_unprotected(ns: &NamespaceRow, what: &str) -> Result<()> {
    if ns.protected {
        return Err(Error::Forbidden(format!(
            "Metadata definition namespace {} is protected: {what} cannot be deleted. Update it with \"protected\": false first.",
            ns.namespace
        )));
    }
    Ok(())
}

/// Refuses a name that is empty or longer than [`MAX_NAME`].
fn check_name(what: &str, name: &str) -> Result<()> {
    let len = name.chars().count();
    if len == 0 || len > MAX_NAME {
        return Err(Error::BadRequest(format!("Invalid {what} name {name:?}: it must have 1 to {MAX_NAME} characters.")));
    }
    Ok(())
}

/// Refuses an optional field longer than `max`.
fn check_length(field: &str, value: Option<&str>, max: usize) -> Result<()> {
    if value.is_some_and(|v| v.chars().count() > max) {
        return Err(Error::BadRequest(format!("Invalid value for {field}: longer than {max} characters.")));
    }
    Ok(())
}

/// Refuses a request that names the same thing twice (Glance's 409).
fn check_unique<'a>(what: &str, names: impl IntoIterator<Item = &'a str>) -> Result<()> {
    let mut seen = HashSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(Error::Conflict(format!("The request names {what} {name:?} twice.")));
        }
    }
    Ok(())
}

/// What a metadef rule sees: the namespace's owner as `project_id` and its visibility;
/// without a namespace (creating one, listing), the caller's own project.
fn namespace_target(ctx: &RequestContext, ns: Option<&NamespaceRow>) -> Value {
    match ns {
        Some(ns) => json!({"project_id": ns.owner, "visibility": ns.visibility}),
        None => project_target(ctx.project_id()),
    }
}

/// Whether `ctx` sees `ns` at all, as Glance's database layer decides: administrators
/// see every namespace, anyone public ones and those without an owner, a project its own.
fn sees(ctx: &RequestContext, ns: &NamespaceRow, admin: bool) -> bool {
    admin || ns.visibility == "public" || ns.owner.is_none() || ctx.project_id().is_some_and(|p| ns.owner.as_deref() == Some(p))
}

/// A namespace row from request fields, with Glance's defaults: private, unprotected,
/// owned by the caller's project.
fn namespace_row(ctx: &RequestContext, id: String, f: NamespaceFields, created_at: i64, updated_at: i64) -> Result<NamespaceRow> {
    check_name("namespace", &f.namespace)?;
    check_length("display_name", f.display_name.as_deref(), MAX_NAME)?;
    check_length("description", f.description.as_deref(), MAX_DESCRIPTION)?;
    check_length("owner", f.owner.as_deref(), MAX_OWNER)?;
    let visibility = f.visibility.unwrap_or_else(|| "private".into());
    if !NAMESPACE_VISIBILITIES.contains(&visibility.as_str()) {
        return Err(Error::BadRequest(format!(
            "Invalid value '{visibility}' for visibility: it must be one of {}.",
            NAMESPACE_VISIBILITIES.join(", ")
        )));
    }
    Ok(NamespaceRow {
        id,
        namespace: f.namespace,
        display_name: f.display_name,
        description: f.description,
        visibility,
        protected: f.protected,
        owner: f.owner.or_else(|| ctx.project_id().map(str::to_owned)),
        created_at,
        updated_at,
    })
}

fn association_row(namespace_id: &str, a: NewAssociation, at: i64) -> Result<AssociationRow> {
    check_name("resource type", &a.name)?;
    check_length("prefix", a.prefix.as_deref(), MAX_NAME)?;
    check_length("properties_target", a.properties_target.as_deref(), MAX_NAME)?;
    Ok(AssociationRow {
        namespace_id: namespace_id.to_owned(),
        name: a.name,
        prefix: a.prefix,
        properties_target: a.properties_target,
        created_at: at,
        updated_at: at,
    })
}

fn object_row(namespace_id: &str, o: NewObject, created_at: i64, updated_at: i64) -> Result<ObjectRow> {
    check_name("object", &o.name)?;
    for property in o.properties.keys() {
        check_name("property", property)?;
    }
    Ok(ObjectRow {
        namespace_id: namespace_id.to_owned(),
        name: o.name,
        description: o.description,
        required: o.required,
        properties: o.properties,
        created_at,
        updated_at,
    })
}

fn property_row(namespace_id: &str, p: NewProperty, created_at: i64, updated_at: i64) -> Result<PropertyRow> {
    check_name("property", &p.name)?;
    Ok(PropertyRow { namespace_id: namespace_id.to_owned(), name: p.name, definition: p.definition, created_at, updated_at })
}

fn tag_row(namespace_id: &str, name: String, created_at: i64, updated_at: i64) -> Result<TagRow> {
    check_name("tag", &name)?;
    Ok(TagRow { namespace_id: namespace_id.to_owned(), name, created_at, updated_at })
}

/// Prepends a resource type's prefix to every property name of a namespace, at its
/// top level and in its objects, as the properties are named on that resource.
fn add_prefix(contents: &mut NamespaceContents, prefix: &str) {
    for p in &mut contents.properties {
        p.name = format!("{prefix}{}", p.name);
    }
    for o in &mut contents.objects {
        o.properties = std::mem::take(&mut o.properties).into_iter().map(|(name, def)| (format!("{prefix}{name}"), def)).collect();
        o.required = o.required.iter().map(|name| format!("{prefix}{name}")).collect();
    }
}

fn compare_namespaces(a: &NamespaceRow, b: &NamespaceRow, key: &str) -> Ordering {
    match key {
        "namespace" => a.namespace.cmp(&b.namespace),
        "display_name" => a.display_name.cmp(&b.display_name),
        "description" => a.description.cmp(&b.description),
        "visibility" => a.visibility.cmp(&b.visibility),
        "protected" => a.protected.cmp(&b.protected),
        "owner" => a.owner.cmp(&b.owner),
        "updated_at" => a.updated_at.cmp(&b.updated_at),
        _ => a.created_at.cmp(&b.created_at),
    }
}

/// What object and tag lists sort and page on.
trait Content {
    fn name(&self) -> &str;
    fn created_at(&self) -> i64;
    fn updated_at(&self) -> i64;
}

impl Content for ObjectRow {
    fn name(&self) -> &str {
        &self.name
    }
    fn created_at(&self) -> i64 {
        self.created_at
    }
    fn updated_at(&self) -> i64 {
        self.updated_at
    }
}

impl Content for TagRow {
    fn name(&self) -> &str {
        &self.name
    }
    fn created_at(&self) -> i64 {
        self.created_at
    }
    fn updated_at(&self) -> i64 {
        self.updated_at
    }
}

/// One page of a namespace's objects or tags in the order `q` asks for, ties broken by
/// creation time then name; `missing` is the error for a marker that names none of them.
fn page_of<T: Content>(mut items: Vec<T>, q: &ContentQuery, missing: impl FnOnce(&str) -> Error) -> Result<Vec<T>> {
    let key = q.sort_key.as_deref().unwrap_or("created_at");
    let by_key = |a: &T, b: &T| match key {
        "name" => a.name().cmp(b.name()),
        "updated_at" => a.updated_at().cmp(&b.updated_at()),
        _ => a.created_at().cmp(&b.created_at()),
    };
    items.sort_by(|a, b| {
        let order = by_key(a, b).then_with(|| a.created_at().cmp(&b.created_at())).then_with(|| a.name().cmp(b.name()));
        if q.ascending { order } else { order.reverse() }
    });
    if let Some(marker) = &q.marker {
        let at = items.iter().position(|i| i.name() == marker.as_str()).ok_or_else(|| missing(marker.as_str()))?;
        items = items.split_off(at + 1);
    }
    if let Some(limit) = q.limit {
        items.truncate(limit);
    }
    Ok(items)
}

impl Images {
    /// Refuses `ctx` unless rule `rule` allows it on `ns`: with 404 when it may not even
    /// read the namespace (Glance does not reveal a namespace to those who may not read
    /// it), with 403 otherwise.
    fn enforce_metadef(&self, ctx: &RequestContext, rule: &str, ns: Option<&NamespaceRow>) -> Result<()> {
        let target = namespace_target(ctx, ns);
        if self.allowed(ctx, rule, &target)? {
            return Ok(());
        }
        if rule == "get_metadef_namespace" || !self.allowed(ctx, "get_metadef_namespace", &target)? {
            return Err(match ns {
                Some(ns) => no_namespace(&ns.namespace),
                None => Error::NotFound("The resource could not be found.".into()),
            });
        }
        Err(Error::Forbidden(format!("You are not authorized to complete {rule} action.")))
    }

    /// The namespace called `name`, if `ctx` sees it (404 otherwise) and rule `rule`
    /// lets it act on it.
    async fn namespace_for(&self, ctx: &RequestContext, name: &str, rule: &str) -> Result<NamespaceRow> {
        let ns = self.store.get_namespace(name).await?.ok_or_else(|| no_namespace(name))?;
        if !sees(ctx, &ns, self.is_admin(ctx)?) {
            return Err(no_namespace(name));
        }
        self.enforce_metadef(ctx, rule, Some(&ns))?;
        Ok(ns)
    }

    /// Creates a namespace with the associations, objects, properties and tags the
    /// request embeds, all or nothing; unknown resource types are created.
    pub async fn create_namespace(&self, ctx: &RequestContext, req: NewNamespace) -> Result<NamespaceRow> {
        self.enforce_metadef(ctx, "add_metadef_namespace", None)?;
        for (embedded, rule) in [
            (!req.associations.is_empty(), "add_metadef_resource_type_association"),
            (!req.objects.is_empty(), "add_metadef_object"),
            (!req.properties.is_empty(), "add_metadef_property"),
            (!req.tags.is_empty(), "add_metadef_tag"),
        ] {
            if embedded {
                self.enforce_metadef(ctx, rule, None)?;
            }
        }
        let now = now_micros();
        let ns = namespace_row(ctx, uuid::Uuid::new_v4().to_string(), req.fields, now, now)?;
        let id = ns.id.as_str();
        let contents = NamespaceContents {
            associations: req.associations.into_iter().map(|a| association_row(id, a, now)).collect::<Result<_>>()?,
            objects: req.objects.into_iter().map(|o| object_row(id, o, now, now)).collect::<Result<_>>()?,
            properties: req
                .properties
                .into_iter()
                .map(|(name, definition)| match definition {
                    Value::Object(definition) => property_row(id, NewProperty { name, definition }, now, now),
                    _ => Err(Error::BadRequest(format!("Property {name:?} must be defined by an object."))),
                })
                .collect::<Result<_>>()?,
            tags: req.tags.into_iter().map(|name| tag_row(id, name, now, now)).collect::<Result<_>>()?,
        };
        check_unique("resource type", contents.associations.iter().map(|a| a.name.as_str()))?;
        check_unique("object", contents.objects.iter().map(|o| o.name.as_str()))?;
        check_unique("tag", contents.tags.iter().map(|t| t.name.as_str()))?;
        self.store
            .create_namespace(&ns, &contents)
            .await
            .map_err(|e| or_conflict(e, || format!("Metadata definition namespace={} already exists.", ns.namespace)))?;
        Ok(ns)
    }

    /// A namespace with everything it holds. With `resource_type`, property names carry
    /// the prefix of the namespace's association with that type, as on such resources.
    pub async fn get_namespace(&self, ctx: &RequestContext, name: &str, resource_type: Option<&str>) -> Result<NamespaceDetail> {
        let ns = self.namespace_for(ctx, name, "get_metadef_namespace").await?;
        for rule in ["list_metadef_resource_types", "get_metadef_objects", "get_metadef_properties", "get_metadef_tags"] {
            self.enforce_metadef(ctx, rule, Some(&ns))?;
        }
        let mut contents = self.store.namespace_contents(&ns.id).await?;
        let prefix = resource_type
            .and_then(|rt| contents.associations.iter().find(|a| a.name == rt))
            .and_then(|a| a.prefix.clone())
            .filter(|p| !p.is_empty());
        if let Some(prefix) = prefix {
            add_prefix(&mut contents, &prefix);
        }
        Ok(NamespaceDetail { namespace: ns, contents })
    }

    /// The namespaces `ctx` sees that meet `query`, one page of them, each with its
    /// resource type associations.
    pub async fn list_namespaces(&self, ctx: &RequestContext, query: &NamespaceQuery) -> Result<NamespacePage> {
        self.enforce_metadef(ctx, "get_metadef_namespaces", None)?;
        self.enforce_metadef(ctx, "list_metadef_resource_types", None)?;
        let admin = self.is_admin(ctx)?;
        let marker = match &query.marker {
            Some(name) => Some(self.store.get_namespace(name).await?.filter(|ns| sees(ctx, ns, admin)).ok_or_else(|| no_namespace(name))?),
            None => None,
        };
        let mut associations: HashMap<String, Vec<AssociationRow>> = HashMap::new();
        for a in self.store.all_associations().await? {
            associations.entry(a.namespace_id.clone()).or_default().push(a);
        }
        let mut listed = Vec::new();
        for ns in self.store.list_namespaces().await? {
            let wanted_type = query.resource_types.is_empty()
                || associations.get(&ns.id).is_some_and(|list| list.iter().any(|a| query.resource_types.contains(&a.name)));
            if sees(ctx, &ns, admin)
                && query.visibility.as_ref().is_none_or(|v| &ns.visibility == v)
                && wanted_type
                && self.allowed(ctx, "get_metadef_namespace", &namespace_target(ctx, Some(&ns)))?
            {
                listed.push(ns);
            }
        }
        let key = query.sort_key.as_deref().unwrap_or("created_at");
        let order = |a: &NamespaceRow, b: &NamespaceRow| {
            let order =
                compare_namespaces(a, b, key).then_with(|| a.created_at.cmp(&b.created_at)).then_with(|| a.namespace.cmp(&b.namespace));
            if query.ascending { order } else { order.reverse() }
        };
        listed.sort_by(&order);
        if let Some(marker) = &marker {
            listed.retain(|ns| order(ns, marker) == Ordering::Greater);
        }
        let limit = query.limit.unwrap_or(self.config.limit_param_default).min(self.config.api_limit_max);
        let full = listed.len() >= limit;
        listed.truncate(limit);
        let namespaces = listed
            .into_iter()
            .map(|ns| ListedNamespace { associations: associations.remove(&ns.id).unwrap_or_default(), namespace: ns })
            .collect();
        Ok(NamespacePage { namespaces, full })
    }

    /// Replaces a namespace's own fields (its contents stay), renaming it when the name
    /// changes; omitted fields take their create defaults.
    pub async fn update_namespace(&self, ctx: &RequestContext, name: &str, fields: NamespaceFields) -> Result<NamespaceRow> {
        let current = self.namespace_for(ctx, name, "modify_metadef_namespace").await?;
        let ns = namespace_row(ctx, current.id, fields, current.created_at, now_micros())?;
        match self.store.update_namespace(&ns).await {
            Ok(true) => Ok(ns),
            Ok(false) => Err(no_namespace(name)),
            Err(e) => Err(or_conflict(e, || format!("Metadata definition namespace={} already exists.", ns.namespace))),
        }
    }

    /// Deletes a namespace with everything it holds, unless it is protected.
    pub async fn delete_namespace(&self, ctx: &RequestContext, name: &str) -> Result<()> {
        let ns = self.namespace_for(ctx, name, "delete_metadef_namespace").await?;
        check_unprotected(&ns, "it")?;
        if !self.store.delete_namespace(&ns.id).await? {
            return Err(no_namespace(name));
        }
        Ok(())
    }

    /// Every resource type, oldest first.
    pub async fn list_resource_types(&self, ctx: &RequestContext) -> Result<Vec<ResourceTypeRow>> {
        self.enforce_metadef(ctx, "list_metadef_resource_types", None)?;
        Ok(self.store.list_resource_types().await?)
    }

    /// A namespace's resource type associations.
    pub async fn list_associations(&self, ctx: &RequestContext, namespace: &str) -> Result<Vec<AssociationRow>> {
        let ns = self.namespace_for(ctx, namespace, "list_metadef_resource_types").await?;
        if !self.allowed(ctx, "get_metadef_resource_type", &namespace_target(ctx, Some(&ns)))? {
            return Ok(Vec::new());
        }
        Ok(self.store.list_associations(&ns.id).await?)
    }

    /// Associates a namespace with a resource type, creating the type if it is new.
    pub async fn add_association(&self, ctx: &RequestContext, namespace: &str, req: NewAssociation) -> Result<AssociationRow> {
        let ns = self.namespace_for(ctx, namespace, "add_metadef_resource_type_association").await?;
        let row = association_row(&ns.id, req, now_micros())?;
        self.store.add_association(&row).await.map_err(|e| {
            or_conflict(e, || {
                format!(
                    "The metadata definition resource-type association of resource-type={} to namespace={namespace} already exists.",
                    row.name
                )
            })
        })?;
        Ok(row)
    }

    /// Ends a namespace's association with a resource type, unless the namespace is
    /// protected; the resource type stays.
    pub async fn remove_association(&self, ctx: &RequestContext, namespace: &str, resource_type: &str) -> Result<()> {
        let ns = self.namespace_for(ctx, namespace, "remove_metadef_resource_type_association").await?;
        let not_found = || Error::NotFound(format!("Failed to find resource type {resource_type} to delete"));
        if !self.store.list_associations(&ns.id).await?.iter().any(|a| a.name == resource_type) {
            return Err(not_found());
        }
        check_unprotected(&ns, &format!("its association with {resource_type}"))?;
        if !self.store.delete_association(&ns.id, resource_type).await? {
            return Err(not_found());
        }
        Ok(())
    }

    /// Adds an object to a namespace.
    pub async fn create_metadef_object(&self, ctx: &RequestContext, namespace: &str, req: NewObject) -> Result<ObjectRow> {
        let ns = self.namespace_for(ctx, namespace, "add_metadef_object").await?;
        let now = now_micros();
        let row = object_row(&ns.id, req, now, now)?;
        self.store.create_metadef_object(&row).await.map_err(|e| {
            or_conflict(e, || format!("A metadata definition object with name={} already exists in namespace={namespace}.", row.name))
        })?;
        Ok(row)
    }

    /// One object of a namespace.
    pub async fn get_metadef_object(&self, ctx: &RequestContext, namespace: &str, name: &str) -> Result<ObjectRow> {
        let ns = self.namespace_for(ctx, namespace, "get_metadef_object").await?;
        self.store.get_metadef_object(&ns.id, name).await?.ok_or_else(|| no_object(name, namespace))
    }

    /// A namespace's objects, one page of them.
    pub async fn list_metadef_objects(&self, ctx: &RequestContext, namespace: &str, query: &ContentQuery) -> Result<Vec<ObjectRow>> {
        let ns = self.namespace_for(ctx, namespace, "get_metadef_objects").await?;
        if !self.allowed(ctx, "get_metadef_object", &namespace_target(ctx, Some(&ns)))? {
            return Ok(Vec::new());
        }
        page_of(self.store.list_metadef_objects(&ns.id).await?, query, |marker| no_object(marker, namespace))
    }

    /// Replaces an object whole, renaming it when the name changes.
    pub async fn update_metadef_object(&self, ctx: &RequestContext, namespace: &str, name: &str, req: NewObject) -> Result<ObjectRow> {
        let ns = self.namespace_for(ctx, namespace, "modify_metadef_object").await?;
        let current = self.store.get_metadef_object(&ns.id, name).await?.ok_or_else(|| no_object(name, namespace))?;
        let row = object_row(&ns.id, req, current.created_at, now_micros())?;
        match self.store.update_metadef_object(name, &row).await {
            Ok(true) => Ok(row),
            Ok(false) => Err(no_object(name, namespace)),
            Err(e) => Err(or_conflict(e, || {
                format!("A metadata definition object with name={} already exists in namespace={namespace}.", row.name)
            })),
        }
    }

    /// Deletes one object, unless the namespace is protected.
    pub async fn delete_metadef_object(&self, ctx: &RequestContext, namespace: &str, name: &str) -> Result<()> {
        let ns = self.namespace_for(ctx, namespace, "delete_metadef_object").await?;
        if self.store.get_metadef_object(&ns.id, name).await?.is_none() {
            return Err(no_object(name, namespace));
        }
        check_unprotected(&ns, &format!("object {name}"))?;
        if !self.store.delete_metadef_object(&ns.id, name).await? {
            return Err(no_object(name, namespace));
        }
        Ok(())
    }

    /// Deletes every object of a namespace, unless it is protected. Glance guards this
    /// with the rule that guards deleting the namespace.
    pub async fn delete_metadef_objects(&self, ctx: &RequestContext, namespace: &str) -> Result<()> {
        let ns = self.namespace_for(ctx, namespace, "delete_metadef_namespace").await?;
        check_unprotected(&ns, "its objects")?;
        Ok(self.store.delete_metadef_objects(&ns.id).await?)
    }

    /// Adds a property to a namespace.
    pub async fn create_metadef_property(&self, ctx: &RequestContext, namespace: &str, req: NewProperty) -> Result<PropertyRow> {
        let ns = self.namespace_for(ctx, namespace, "add_metadef_property").await?;
        let now = now_micros();
        let row = property_row(&ns.id, req, now, now)?;
        self.store.create_metadef_property(&row).await.map_err(|e| {
            or_conflict(e, || format!("A metadata definition property with name={} already exists in namespace={namespace}.", row.name))
        })?;
        Ok(row)
    }

    /// One property of a namespace. With `resource_type`, `name` is the property's name
    /// on such resources: it must start with the association's prefix, which is
    /// stripped before the lookup.
    pub async fn get_metadef_property(
        &self,
        ctx: &RequestContext,
        namespace: &str,
        name: &str,
        resource_type: Option<&str>,
    ) -> Result<PropertyRow> {
        let ns = self.namespace_for(ctx, namespace, "get_metadef_property").await?;
        let name = match resource_type {
            Some(rt) => {
                self.enforce_metadef(ctx, "get_metadef_resource_type", Some(&ns))?;
                let association = self
                    .store
                    .list_associations(&ns.id)
                    .await?
                    .into_iter()
                    .find(|a| a.name == rt)
                    .ok_or_else(|| Error::NotFound(format!("Resource type {rt} is not associated with namespace {namespace}.")))?;
                let prefix = association.prefix.unwrap_or_default();
                match name.strip_prefix(prefix.as_str()) {
                    Some(bare) if !prefix.is_empty() => bare.to_owned(),
                    _ => {
                        return Err(Error::NotFound(format!(
                            "Property {name} does not start with the expected resource type association prefix of '{prefix}'."
                        )));
                    }
                }
            }
            None => name.to_owned(),
        };
        self.store.get_metadef_property(&ns.id, &name).await?.ok_or_else(|| no_property(&name, namespace))
    }

    /// A namespace's properties.
    pub async fn list_metadef_properties(&self, ctx: &RequestContext, namespace: &str) -> Result<Vec<PropertyRow>> {
        let ns = self.namespace_for(ctx, namespace, "get_metadef_properties").await?;
        Ok(self.store.list_metadef_properties(&ns.id).await?)
    }

    /// Replaces a property's definition, renaming it when the name changes.
    pub async fn update_metadef_property(
        &self,
        ctx: &RequestContext,
        namespace: &str,
        name: &str,
        req: NewProperty,
    ) -> Result<PropertyRow> {
        let ns = self.namespace_for(ctx, namespace, "modify_metadef_property").await?;
        let current = self.store.get_metadef_property(&ns.id, name).await?.ok_or_else(|| no_property(name, namespace))?;
        let row = property_row(&ns.id, req, current.created_at, now_micros())?;
        match self.store.update_metadef_property(name, &row).await {
            Ok(true) => Ok(row),
            Ok(false) => Err(no_property(name, namespace)),
            Err(e) => Err(or_conflict(e, || {
                format!("A metadata definition property with name={} already exists in namespace={namespace}.", row.name)
            })),
        }
    }

    /// Deletes one property, unless the namespace is protected.
    pub async fn delete_metadef_property(&self, ctx: &RequestContext, namespace: &str, name: &str) -> Result<()> {
        let ns = self.namespace_for(ctx, namespace, "remove_metadef_property").await?;
        if self.store.get_metadef_property(&ns.id, name).await?.is_none() {
            return Err(no_property(name, namespace));
        }
        check_unprotected(&ns, &format!("property {name}"))?;
        if !self.store.delete_metadef_property(&ns.id, name).await? {
            return Err(no_property(name, namespace));
        }
        Ok(())
    }

    /// Deletes every property of a namespace, unless it is protected. Glance guards this
    /// with the rule that guards deleting the namespace.
    pub async fn delete_metadef_properties(&self, ctx: &RequestContext, namespace: &str) -> Result<()> {
        let ns = self.namespace_for(ctx, namespace, "delete_metadef_namespace").await?;
        check_unprotected(&ns, "its properties")?;
        Ok(self.store.delete_metadef_properties(&ns.id).await?)
    }

    /// Adds one tag to a namespace.
    pub async fn create_metadef_tag(&self, ctx: &RequestContext, namespace: &str, name: &str) -> Result<TagRow> {
        let ns = self.namespace_for(ctx, namespace, "add_metadef_tag").await?;
        let now = now_micros();
        let row = tag_row(&ns.id, name.to_owned(), now, now)?;
        self.store
            .add_metadef_tags(&ns.id, std::slice::from_ref(&row), false)
            .await
            .map_err(|e| or_conflict(e, || format!("A metadata tag with name={} already exists in namespace={namespace}.", row.name)))?;
        Ok(row)
    }

    /// Adds tags to a namespace, all or nothing: appended to its tags with `append`,
    /// replacing them otherwise. No tags at all changes nothing.
    pub async fn create_metadef_tags(
        &self,
        ctx: &RequestContext,
        namespace: &str,
        names: Vec<String>,
        append: bool,
    ) -> Result<Vec<TagRow>> {
        let ns = self.namespace_for(ctx, namespace, "add_metadef_tags").await?;
        let now = now_micros();
        let rows: Vec<TagRow> = names.into_iter().map(|name| tag_row(&ns.id, name, now, now)).collect::<Result<_>>()?;
        if rows.is_empty() {
            return Ok(rows);
        }
        check_unique("tag", rows.iter().map(|t| t.name.as_str()))?;
        self.store.add_metadef_tags(&ns.id, &rows, !append).await.map_err(|e| {
            or_conflict(e, || format!("A tag of the request already exists in namespace={namespace} (tag names may compare without case)."))
        })?;
        Ok(rows)
    }

    /// One tag of a namespace.
    pub async fn get_metadef_tag(&self, ctx: &RequestContext, namespace: &str, name: &str) -> Result<TagRow> {
        let ns = self.namespace_for(ctx, namespace, "get_metadef_tag").await?;
        self.store.get_metadef_tag(&ns.id, name).await?.ok_or_else(|| no_tag(name, namespace))
    }

    /// A namespace's tags, one page of them.
    pub async fn list_metadef_tags(&self, ctx: &RequestContext, namespace: &str, query: &ContentQuery) -> Result<Vec<TagRow>> {
        let ns = self.namespace_for(ctx, namespace, "get_metadef_tags").await?;
        page_of(self.store.list_metadef_tags(&ns.id).await?, query, |marker| no_tag(marker, namespace))
    }

    /// Renames a tag.
    pub async fn rename_metadef_tag(&self, ctx: &RequestContext, namespace: &str, name: &str, new_name: &str) -> Result<TagRow> {
        let ns = self.namespace_for(ctx, namespace, "modify_metadef_tag").await?;
        let current = self.store.get_metadef_tag(&ns.id, name).await?.ok_or_else(|| no_tag(name, namespace))?;
        let row = tag_row(&ns.id, new_name.to_owned(), current.created_at, now_micros())?;
        match self.store.rename_metadef_tag(&ns.id, name, &row.name, row.updated_at).await {
            Ok(true) => Ok(row),
            Ok(false) => Err(no_tag(name, namespace)),
            Err(e) => Err(or_conflict(e, || format!("A metadata tag with name={} already exists in namespace={namespace}.", row.name))),
        }
    }

    /// Deletes one tag, unless the namespace is protected.
    pub async fn delete_metadef_tag(&self, ctx: &RequestContext, namespace: &str, name: &str) -> Result<()> {
        let ns = self.namespace_for(ctx, namespace, "delete_metadef_tag").await?;
        if self.store.get_metadef_tag(&ns.id, name).await?.is_none() {
            return Err(no_tag(name, namespace));
        }
        check_unprotected(&ns, &format!("tag {name}"))?;
        if !self.store.delete_metadef_tag(&ns.id, name).await? {
            return Err(no_tag(name, namespace));
        }
        Ok(())
    }

    /// Deletes every tag of a namespace, unless it is protected. Glance guards this with
    /// the rules that guard deleting the namespace and deleting tags.
    pub async fn delete_metadef_tags(&self, ctx: &RequestContext, namespace: &str) -> Result<()> {
        let ns = self.namespace_for(ctx, namespace, "delete_metadef_namespace").await?;
        self.enforce_metadef(ctx, "delete_metadef_tags", Some(&ns))?;
        check_unprotected(&ns, "its tags")?;
        Ok(self.store.delete_metadef_tags(&ns.id).await?)
    }
}

#[cfg(test)]
mod tests {
    use common::Scope;

    use super::*;
    use crate::domain::policy::default_policy;

    fn ctx(project: &str, roles: &[&str]) -> RequestContext {
        RequestContext {
            request_id: "req-test".into(),
            user_id: "u".into(),
            user_domain_id: "default".into(),
            scope: Scope::Project { id: project.into(), domain_id: "default".into() },
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            audit_ids: Vec::new(),
            application_credential_id: None,
            access_rules: None,
            trust_id: None,
            service_roles: Vec::new(),
        }
    }

    fn namespace(owner: Option<&str>, visibility: &str) -> NamespaceRow {
        NamespaceRow {
            id: "id".into(),
            namespace: "ns".into(),
            display_name: None,
            description: None,
            visibility: visibility.into(),
            protected: false,
            owner: owner.map(str::to_owned),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn tag(name: &str, created_at: i64) -> TagRow {
        TagRow { namespace_id: "id".into(), name: name.into(), created_at, updated_at: created_at }
    }

    #[test]
    fn readers_read_what_they_see_and_only_administrators_write() {
        let policy = default_policy().unwrap();
        let check = |rule: &str, c: &RequestContext, ns: &NamespaceRow| {
            policy.enforce(rule, &namespace_target(c, Some(ns)), &c.policy_credentials()).unwrap()
        };
        let (owner, other, admin) =
            (ctx("p1", &["member", "reader"]), ctx("p2", &["member", "reader"]), ctx("p3", &["admin", "member", "reader"]));
        let (private, public) = (namespace(Some("p1"), "private"), namespace(Some("p1"), "public"));
        assert!(check("get_metadef_namespace", &owner, &private));
        assert!(!check("get_metadef_namespace", &other, &private));
        assert!(check("get_metadef_tags", &other, &public));
        assert!(check("get_metadef_object", &admin, &private));
        assert!(!check("add_metadef_tag", &owner, &private), "writes are for administrators");
        assert!(check("delete_metadef_namespace", &admin, &private));
    }

    #[test]
    fn visibility_follows_glance_database_rules() {
        let (owner, other) = (ctx("p1", &["reader"]), ctx("p2", &["reader"]));
        assert!(sees(&owner, &namespace(Some("p1"), "private"), false));
        assert!(!sees(&other, &namespace(Some("p1"), "private"), false));
        assert!(sees(&other, &namespace(Some("p1"), "private"), true), "administrators see everything");
        assert!(sees(&other, &namespace(Some("p1"), "public"), false));
        assert!(sees(&other, &namespace(None, "private"), false), "a namespace without an owner is everyone's");
    }

    #[test]
    fn prefixes_apply_to_property_names_everywhere() {
        let mut contents = NamespaceContents {
            properties: vec![PropertyRow {
                namespace_id: "id".into(),
                name: "cpu".into(),
                definition: Map::new(),
                created_at: 0,
                updated_at: 0,
            }],
            objects: vec![ObjectRow {
                namespace_id: "id".into(),
                name: "o".into(),
                description: None,
                required: vec!["mem".into()],
                properties: json!({"mem": {"title": "M", "type": "integer"}}).as_object().cloned().unwrap(),
                created_at: 0,
                updated_at: 0,
            }],
            ..NamespaceContents::default()
        };
        add_prefix(&mut contents, "hw_");
        assert_eq!(contents.properties[0].name, "hw_cpu");
        assert_eq!(contents.objects[0].required, ["hw_mem"]);
        assert!(contents.objects[0].properties.contains_key("hw_mem"));
        assert_eq!(contents.objects[0].name, "o", "object names are not property names");
    }

    #[test]
    fn content_pages_are_newest_first_and_continue_after_the_marker() {
        let tags = vec![tag("a", 1), tag("b", 2), tag("c", 3)];
        let names = |page: Vec<TagRow>| page.into_iter().map(|t| t.name).collect::<Vec<_>>();
        let missing = |m: &str| Error::NotFound(m.to_owned());
        assert_eq!(names(page_of(tags.clone(), &ContentQuery::default(), missing).unwrap()), ["c", "b", "a"]);
        let after_c = ContentQuery { marker: Some("c".into()), limit: Some(1), ..ContentQuery::default() };
        assert_eq!(names(page_of(tags.clone(), &after_c, missing).unwrap()), ["b"]);
        let by_name = ContentQuery { sort_key: Some("name".into()), ascending: true, ..ContentQuery::default() };
        assert_eq!(names(page_of(tags.clone(), &by_name, missing).unwrap()), ["a", "b", "c"]);
        let unknown = ContentQuery { marker: Some("z".into()), ..ContentQuery::default() };
        assert!(matches!(page_of(tags, &unknown, missing), Err(Error::NotFound(_))));
    }

    #[test]
    fn requests_are_checked_before_anything_is_written() {
        let c = ctx("p1", &["admin"]);
        let fields = |name: &str, visibility: Option<&str>| NamespaceFields {
            namespace: name.into(),
            visibility: visibility.map(str::to_owned),
            ..NamespaceFields::default()
        };
        let row = namespace_row(&c, "id".into(), fields("ns", None), 1, 1).unwrap();
        assert_eq!((row.visibility.as_str(), row.owner.as_deref(), row.protected), ("private", Some("p1"), false));
        assert!(matches!(namespace_row(&c, "id".into(), fields("ns", Some("shared")), 1, 1), Err(Error::BadRequest(_))));
        assert!(matches!(namespace_row(&c, "id".into(), fields(&"n".repeat(81), None), 1, 1), Err(Error::BadRequest(_))));
        assert!(matches!(check_unique("tag", ["a", "b", "a"]), Err(Error::Conflict(_))));
        let protected = NamespaceRow { protected: true, ..namespace(None, "public") };
        assert!(matches!(check_unprotected(&protected, "it"), Err(Error::Forbidden(_))));
    }
}
