//! Metadata definitions: namespaces, the resource types they apply to, and the objects,
//! properties and tags each namespace holds.

use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Result, Store};

/// A metadata definition namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceRow {
    /// Internal id that the namespace's contents refer to, so that a rename touches one row.
    pub id: String,
    /// The unique name clients know it by.
    pub namespace: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    /// `public` or `private`.
    pub visibility: String,
    /// Whether the namespace and its contents are kept from deletion.
    pub protected: bool,
    /// The owning project; a namespace without one is visible to everyone.
    pub owner: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A kind of resource (`OS::Glance::Image`, ...) namespaces may apply to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceTypeRow {
    pub name: String,
    /// Seeded with the service rather than made by an association.
    pub protected: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A namespace applying to a resource type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociationRow {
    pub namespace_id: String,
    /// The resource type's name.
    pub name: String,
    /// What the namespace's property names are prefixed with on that resource (`hw_`).
    pub prefix: Option<String>,
    /// Which of the resource's key/value sets the properties go to (`image`).
    pub properties_target: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A named group of property definitions within a namespace.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectRow {
    pub namespace_id: String,
    pub name: String,
    pub description: Option<String>,
    /// Names of the properties an instance of the object must set.
    pub required: Vec<String>,
    /// Property definitions by name.
    pub properties: Map<String, Value>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A property definition within a namespace.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyRow {
    pub namespace_id: String,
    pub name: String,
    /// The definition (`title`, `type`, `enum`, ...) as the client gave it.
    pub definition: Map<String, Value>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A tag within a namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRow {
    pub namespace_id: String,
    pub name: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Everything a namespace holds besides its own fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NamespaceContents {
    pub associations: Vec<AssociationRow>,
    pub objects: Vec<ObjectRow>,
    pub properties: Vec<PropertyRow>,
    pub tags: Vec<TagRow>,
}

const NAMESPACE_COLUMNS: &str = "id, name, display_name, description, visibility, protected, owner, created_at, updated_at";
const ASSOCIATION_COLUMNS: &str = "namespace_id, resource_type, prefix, properties_target, created_at, updated_at";
const OBJECT_COLUMNS: &str = "namespace_id, name, description, required_properties, properties, created_at, updated_at";
const PROPERTY_COLUMNS: &str = "namespace_id, name, json_schema, created_at, updated_at";
const TAG_COLUMNS: &str = "namespace_id, name, created_at, updated_at";

/// The tables whose rows belong to a namespace, emptied before it goes.
const CONTENT_TABLES: [&str; 4] = ["metadef_tags", "metadef_objects", "metadef_properties", "metadef_namespace_resource_types"];

fn namespace_from(row: &AnyRow) -> Result<NamespaceRow> {
    Ok(NamespaceRow {
        id: db::text(row, "id")?,
        namespace: db::text(row, "name")?,
        display_name: db::opt_text(row, "display_name")?,
        description: db::opt_text(row, "description")?,
        visibility: db::text(row, "visibility")?,
        protected: row.try_get::<i64, _>("protected")? != 0,
        owner: db::opt_text(row, "owner")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn resource_type_from(row: &AnyRow) -> Result<ResourceTypeRow> {
    Ok(ResourceTypeRow {
        name: db::text(row, "name")?,
        protected: row.try_get::<i64, _>("protected")? != 0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn association_from(row: &AnyRow) -> Result<AssociationRow> {
    Ok(AssociationRow {
        namespace_id: db::text(row, "namespace_id")?,
        name: db::text(row, "resource_type")?,
        prefix: db::opt_text(row, "prefix")?,
        properties_target: db::opt_text(row, "properties_target")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn object_from(row: &AnyRow) -> Result<ObjectRow> {
    Ok(ObjectRow {
        namespace_id: db::text(row, "namespace_id")?,
        name: db::text(row, "name")?,
        description: db::opt_text(row, "description")?,
        required: serde_json::from_str(&db::text(row, "required_properties")?).unwrap_or_default(),
        properties: serde_json::from_str(&db::text(row, "properties")?).unwrap_or_default(),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn property_from(row: &AnyRow) -> Result<PropertyRow> {
    Ok(PropertyRow {
        namespace_id: db::text(row, "namespace_id")?,
        name: db::text(row, "name")?,
        definition: serde_json::from_str(&db::text(row, "json_schema")?).unwrap_or_default(),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn tag_from(row: &AnyRow) -> Result<TagRow> {
    Ok(TagRow {
        namespace_id: db::text(row, "namespace_id")?,
        name: db::text(row, "name")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Inserts a namespace with its contents, all or nothing. A taken name, or contents
    /// that name something twice, is a [`StoreError::Duplicate`](super::StoreError);
    /// resource types the associations name that do not exist yet are created.
    pub async fn create_namespace(&self, ns: &NamespaceRow, contents: &NamespaceContents) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(&self.sql(&format!("INSERT INTO metadef_namespaces ({NAMESPACE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")))
            .bind(&ns.id)
            .bind(&ns.namespace)
            .bind(&ns.display_name)
            .bind(&ns.description)
            .bind(&ns.visibility)
            .bind(i64::from(ns.protected))
            .bind(&ns.owner)
            .bind(ns.created_at)
            .bind(ns.updated_at)
            .execute(&mut *tx)
            .await?;
        for a in &contents.associations {
            self.insert_association(&mut tx, a).await?;
        }
        for o in &contents.objects {
            self.insert_object(&mut tx, o).await?;
        }
        for p in &contents.properties {
            self.insert_property(&mut tx, p).await?;
        }
        for t in &contents.tags {
            self.insert_tag(&mut tx, t).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// One namespace by name.
    pub async fn get_namespace(&self, name: &str) -> Result<Option<NamespaceRow>> {
        let row = sqlx::query(&self.sql(&format!("SELECT {NAMESPACE_COLUMNS} FROM metadef_namespaces WHERE name = ?")))
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(namespace_from).transpose()
    }

    /// Every namespace, newest first.
    pub async fn list_namespaces(&self) -> Result<Vec<NamespaceRow>> {
        let rows = sqlx::query(&format!("SELECT {NAMESPACE_COLUMNS} FROM metadef_namespaces ORDER BY created_at DESC, name DESC"))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(namespace_from).collect()
    }

    /// Rewrites a namespace's fields, its name included (a taken name is a
    /// [`StoreError::Duplicate`](super::StoreError)); false when it is gone.
    pub async fn update_namespace(&self, ns: &NamespaceRow) -> Result<bool> {
        let done = sqlx::query(&self.sql(
            "UPDATE metadef_namespaces SET name = ?, display_name = ?, description = ?, visibility = ?, protected = ?, owner = ?, \
             updated_at = ? WHERE id = ?",
        ))
        .bind(&ns.namespace)
        .bind(&ns.display_name)
        .bind(&ns.description)
        .bind(&ns.visibility)
        .bind(i64::from(ns.protected))
        .bind(&ns.owner)
        .bind(ns.updated_at)
        .bind(&ns.id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes a namespace with everything it holds; resource types stay. False when
    /// it did not exist.
    pub async fn delete_namespace(&self, id: &str) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        for table in CONTENT_TABLES {
            sqlx::query(&self.sql(&format!("DELETE FROM {table} WHERE namespace_id = ?"))).bind(id).execute(&mut *tx).await?;
        }
        let done = sqlx::query(&self.sql("DELETE FROM metadef_namespaces WHERE id = ?")).bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Everything a namespace holds, each kind oldest first.
    pub async fn namespace_contents(&self, namespace_id: &str) -> Result<NamespaceContents> {
        Ok(NamespaceContents {
            associations: self.list_associations(namespace_id).await?,
            objects: self.list_metadef_objects(namespace_id).await?,
            properties: self.list_metadef_properties(namespace_id).await?,
            tags: self.list_metadef_tags(namespace_id).await?,
        })
    }

    /// Every resource type, oldest first.
    pub async fn list_resource_types(&self) -> Result<Vec<ResourceTypeRow>> {
        let rows = sqlx::query("SELECT name, protected, created_at, updated_at FROM metadef_resource_types ORDER BY created_at, name")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(resource_type_from).collect()
    }

    /// A namespace's resource type associations, oldest first.
    pub async fn list_associations(&self, namespace_id: &str) -> Result<Vec<AssociationRow>> {
        let rows = sqlx::query(&self.sql(&format!(
            "SELECT {ASSOCIATION_COLUMNS} FROM metadef_namespace_resource_types WHERE namespace_id = ? ORDER BY created_at, resource_type"
        )))
        .bind(namespace_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(association_from).collect()
    }

    /// Every namespace's resource type associations, oldest first.
    pub async fn all_associations(&self) -> Result<Vec<AssociationRow>> {
        let rows =
            sqlx::query(&format!("SELECT {ASSOCIATION_COLUMNS} FROM metadef_namespace_resource_types ORDER BY created_at, resource_type"))
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(association_from).collect()
    }

    /// Associates a namespace with a resource type, creating the type if it is new. A
    /// second association with the same type is a [`StoreError::Duplicate`](super::StoreError).
    pub async fn add_association(&self, a: &AssociationRow) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        self.insert_association(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends an association; false when there was none.
    pub async fn delete_association(&self, namespace_id: &str, resource_type: &str) -> Result<bool> {
        let done = sqlx::query(&self.sql("DELETE FROM metadef_namespace_resource_types WHERE namespace_id = ? AND resource_type = ?"))
            .bind(namespace_id)
            .bind(resource_type)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Inserts an object; a taken name is a [`StoreError::Duplicate`](super::StoreError).
    pub async fn create_metadef_object(&self, o: &ObjectRow) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        self.insert_object(&mut tx, o).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One object of a namespace.
    pub async fn get_metadef_object(&self, namespace_id: &str, name: &str) -> Result<Option<ObjectRow>> {
        let row = sqlx::query(&self.sql(&format!("SELECT {OBJECT_COLUMNS} FROM metadef_objects WHERE namespace_id = ? AND name = ?")))
            .bind(namespace_id)
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(object_from).transpose()
    }

    /// A namespace's objects, oldest first.
    pub async fn list_metadef_objects(&self, namespace_id: &str) -> Result<Vec<ObjectRow>> {
        let rows = sqlx::query(
            &self.sql(&format!("SELECT {OBJECT_COLUMNS} FROM metadef_objects WHERE namespace_id = ? ORDER BY created_at, name")),
        )
        .bind(namespace_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(object_from).collect()
    }

    /// Replaces the object called `old_name` with `o`, which may rename it (a taken name
    /// is a [`StoreError::Duplicate`](super::StoreError)); false when it is gone.
    pub async fn update_metadef_object(&self, old_name: &str, o: &ObjectRow) -> Result<bool> {
        let done = sqlx::query(&self.sql(
            "UPDATE metadef_objects SET name = ?, description = ?, required_properties = ?, properties = ?, updated_at = ? \
             WHERE namespace_id = ? AND name = ?",
        ))
        .bind(&o.name)
        .bind(&o.description)
        .bind(Value::from(o.required.clone()).to_string())
        .bind(Value::Object(o.properties.clone()).to_string())
        .bind(o.updated_at)
        .bind(&o.namespace_id)
        .bind(old_name)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes one object; false when there was none.
    pub async fn delete_metadef_object(&self, namespace_id: &str, name: &str) -> Result<bool> {
        self.delete_content("metadef_objects", namespace_id, name).await
    }

    /// Deletes every object of a namespace.
    pub async fn delete_metadef_objects(&self, namespace_id: &str) -> Result<()> {
        self.clear_content("metadef_objects", namespace_id).await
    }

    /// Inserts a property; a taken name is a [`StoreError::Duplicate`](super::StoreError).
    pub async fn create_metadef_property(&self, p: &PropertyRow) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        self.insert_property(&mut tx, p).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One property of a namespace.
    pub async fn get_metadef_property(&self, namespace_id: &str, name: &str) -> Result<Option<PropertyRow>> {
        let row = sqlx::query(&self.sql(&format!("SELECT {PROPERTY_COLUMNS} FROM metadef_properties WHERE namespace_id = ? AND name = ?")))
            .bind(namespace_id)
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(property_from).transpose()
    }

    /// A namespace's properties, oldest first.
    pub async fn list_metadef_properties(&self, namespace_id: &str) -> Result<Vec<PropertyRow>> {
        let rows = sqlx::query(
            &self.sql(&format!("SELECT {PROPERTY_COLUMNS} FROM metadef_properties WHERE namespace_id = ? ORDER BY created_at, name")),
        )
        .bind(namespace_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(property_from).collect()
    }

    /// Replaces the property called `old_name` with `p`, which may rename it (a taken
    /// name is a [`StoreError::Duplicate`](super::StoreError)); false when it is gone.
    pub async fn update_metadef_property(&self, old_name: &str, p: &PropertyRow) -> Result<bool> {
        let done = sqlx::query(
            &self.sql("UPDATE metadef_properties SET name = ?, json_schema = ?, updated_at = ? WHERE namespace_id = ? AND name = ?"),
        )
        .bind(&p.name)
        .bind(Value::Object(p.definition.clone()).to_string())
        .bind(p.updated_at)
        .bind(&p.namespace_id)
        .bind(old_name)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes one property; false when there was none.
    pub async fn delete_metadef_property(&self, namespace_id: &str, name: &str) -> Result<bool> {
        self.delete_content("metadef_properties", namespace_id, name).await
    }

    /// Deletes every property of a namespace.
    pub async fn delete_metadef_properties(&self, namespace_id: &str) -> Result<()> {
        self.clear_content("metadef_properties", namespace_id).await
    }

    /// Adds tags to a namespace, all or nothing; with `replace`, the namespace's other
    /// tags go first. A name the namespace already has, or one given twice, is a
    /// [`StoreError::Duplicate`](super::StoreError).
    pub async fn add_metadef_tags(&self, namespace_id: &str, tags: &[TagRow], replace: bool) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        if replace {
            sqlx::query(&self.sql("DELETE FROM metadef_tags WHERE namespace_id = ?")).bind(namespace_id).execute(&mut *tx).await?;
        }
        for t in tags {
            self.insert_tag(&mut tx, t).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// One tag of a namespace.
    pub async fn get_metadef_tag(&self, namespace_id: &str, name: &str) -> Result<Option<TagRow>> {
        let row = sqlx::query(&self.sql(&format!("SELECT {TAG_COLUMNS} FROM metadef_tags WHERE namespace_id = ? AND name = ?")))
            .bind(namespace_id)
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(tag_from).transpose()
    }

    /// A namespace's tags, oldest first.
    pub async fn list_metadef_tags(&self, namespace_id: &str) -> Result<Vec<TagRow>> {
        let rows =
            sqlx::query(&self.sql(&format!("SELECT {TAG_COLUMNS} FROM metadef_tags WHERE namespace_id = ? ORDER BY created_at, name")))
                .bind(namespace_id)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(tag_from).collect()
    }

    /// Renames a tag (a taken name is a [`StoreError::Duplicate`](super::StoreError));
    /// false when there is no tag `old_name`.
    pub async fn rename_metadef_tag(&self, namespace_id: &str, old_name: &str, new_name: &str, at: i64) -> Result<bool> {
        let done = sqlx::query(&self.sql("UPDATE metadef_tags SET name = ?, updated_at = ? WHERE namespace_id = ? AND name = ?"))
            .bind(new_name)
            .bind(at)
            .bind(namespace_id)
            .bind(old_name)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes one tag; false when there was none.
    pub async fn delete_metadef_tag(&self, namespace_id: &str, name: &str) -> Result<bool> {
        self.delete_content("metadef_tags", namespace_id, name).await
    }

    /// Deletes every tag of a namespace.
    pub async fn delete_metadef_tags(&self, namespace_id: &str) -> Result<()> {
        self.clear_content("metadef_tags", namespace_id).await
    }

    async fn insert_association(&self, conn: &mut AnyConnection, a: &AssociationRow) -> Result<()> {
        let known = sqlx::query(&self.sql("SELECT name FROM metadef_resource_types WHERE name = ?"))
            .bind(&a.name)
            .fetch_optional(&mut *conn)
            .await?;
        if known.is_none() {
            sqlx::query(&self.sql("INSERT INTO metadef_resource_types (name, protected, created_at, updated_at) VALUES (?, 0, ?, ?)"))
                .bind(&a.name)
                .bind(a.created_at)
                .bind(a.created_at)
                .execute(&mut *conn)
                .await?;
        }
        sqlx::query(&self.sql(&format!("INSERT INTO metadef_namespace_resource_types ({ASSOCIATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)")))
            .bind(&a.namespace_id)
            .bind(&a.name)
            .bind(&a.prefix)
            .bind(&a.properties_target)
            .bind(a.created_at)
            .bind(a.updated_at)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    async fn insert_object(&self, conn: &mut AnyConnection, o: &ObjectRow) -> Result<()> {
        sqlx::query(&self.sql(&format!("INSERT INTO metadef_objects ({OBJECT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)")))
            .bind(&o.namespace_id)
            .bind(&o.name)
            .bind(&o.description)
            .bind(Value::from(o.required.clone()).to_string())
            .bind(Value::Object(o.properties.clone()).to_string())
            .bind(o.created_at)
            .bind(o.updated_at)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    async fn insert_property(&self, conn: &mut AnyConnection, p: &PropertyRow) -> Result<()> {
        sqlx::query(&self.sql(&format!("INSERT INTO metadef_properties ({PROPERTY_COLUMNS}) VALUES (?, ?, ?, ?, ?)")))
            .bind(&p.namespace_id)
            .bind(&p.name)
            .bind(Value::Object(p.definition.clone()).to_string())
            .bind(p.created_at)
            .bind(p.updated_at)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    async fn insert_tag(&self, conn: &mut AnyConnection, t: &TagRow) -> Result<()> {
        sqlx::query(&self.sql(&format!("INSERT INTO metadef_tags ({TAG_COLUMNS}) VALUES (?, ?, ?, ?)")))
            .bind(&t.namespace_id)
            .bind(&t.name)
            .bind(t.created_at)
            .bind(t.updated_at)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Deletes the row called `name` of a namespace from one of [`CONTENT_TABLES`].
    async fn delete_content(&self, table: &str, namespace_id: &str, name: &str) -> Result<bool> {
        let done = sqlx::query(&self.sql(&format!("DELETE FROM {table} WHERE namespace_id = ? AND name = ?")))
            .bind(namespace_id)
            .bind(name)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes every row of a namespace from one of [`CONTENT_TABLES`].
    async fn clear_content(&self, table: &str, namespace_id: &str) -> Result<()> {
        sqlx::query(&self.sql(&format!("DELETE FROM {table} WHERE namespace_id = ?"))).bind(namespace_id).execute(self.pool()).await?;
        Ok(())
    }
}
