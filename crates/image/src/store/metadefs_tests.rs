//! Metadata definition store tests, run on SQLite and on PostgreSQL and MariaDB where the
//! machine has them.

use serde_json::json;

use super::metadefs::{AssociationRow, NamespaceContents, NamespaceRow, ObjectRow, PropertyRow, TagRow};
use super::{Store, StoreError};

fn namespace(id: &str, name: &str, at: i64) -> NamespaceRow {
    NamespaceRow {
        id: id.into(),
        namespace: name.into(),
        display_name: Some(format!("Namespace {name}")),
        description: None,
        visibility: "private".into(),
        protected: true,
        owner: Some("p1".into()),
        created_at: at,
        updated_at: at,
    }
}

fn association(namespace_id: &str, name: &str, at: i64) -> AssociationRow {
    AssociationRow {
        namespace_id: namespace_id.into(),
        name: name.into(),
        prefix: Some("hw_".into()),
        properties_target: None,
        created_at: at,
        updated_at: at,
    }
}

fn object(namespace_id: &str, name: &str, at: i64) -> ObjectRow {
    ObjectRow {
        namespace_id: namespace_id.into(),
        name: name.into(),
        description: Some("an object".into()),
        required: vec!["cpu".into()],
        properties: json!({"cpu": {"title": "CPU", "type": "integer"}}).as_object().cloned().unwrap(),
        created_at: at,
        updated_at: at,
    }
}

fn property(namespace_id: &str, name: &str, at: i64) -> PropertyRow {
    PropertyRow {
        namespace_id: namespace_id.into(),
        name: name.into(),
        definition: json!({"title": "T", "type": "string", "enum": ["a", "b"]}).as_object().cloned().unwrap(),
        created_at: at,
        updated_at: at,
    }
}

fn tag(namespace_id: &str, name: &str, at: i64) -> TagRow {
    TagRow { namespace_id: namespace_id.into(), name: name.into(), created_at: at, updated_at: at }
}

async fn store(test_db: &db::testing::TestDatabase) -> Store {
    let s = Store::new(test_db.db.clone());
    s.migrate().await.unwrap_or_else(|e| panic!("{}: {e}", test_db.db.backend()));
    s
}

#[tokio::test]
async fn the_default_resource_types_are_seeded_in_order() {
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = store(&test_db).await;
        let types = s.list_resource_types().await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        let names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "OS::Glance::Image",
                "OS::Cinder::Volume",
                "OS::Nova::Flavor",
                "OS::Nova::Aggregate",
                "OS::Nova::Server",
                "OS::Trove::Instance"
            ],
            "{backend}"
        );
        assert!(types.iter().all(|t| t.protected), "{backend}");
    }
}

#[tokio::test]
async fn namespaces_round_trip_rename_and_take_their_contents_with_them() {
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = store(&test_db).await;
        // Contents in the order a read gives them back: oldest first, then by name.
        let contents = NamespaceContents {
            associations: vec![association("n1", "Custom::Type", 10), association("n1", "OS::Glance::Image", 10)],
            objects: vec![object("n1", "o", 10)],
            properties: vec![property("n1", "OS::Glance::Image", 10)],
            tags: vec![tag("n1", "t", 10)],
        };
        s.create_namespace(&namespace("n1", "ns1", 10), &contents).await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        let taken = s.create_namespace(&namespace("n2", "ns1", 20), &NamespaceContents::default()).await;
        assert!(matches!(taken, Err(StoreError::Duplicate)), "{backend}: names are unique");
        let twice = NamespaceContents { tags: vec![tag("n3", "t", 30), tag("n3", "t", 30)], ..NamespaceContents::default() };
        assert!(matches!(s.create_namespace(&namespace("n3", "ns3", 30), &twice).await, Err(StoreError::Duplicate)), "{backend}");
        assert_eq!(s.get_namespace("ns3").await.unwrap(), None, "{backend}: all or nothing");
        s.create_namespace(&namespace("n2", "ns2", 20), &NamespaceContents::default()).await.unwrap();

        assert_eq!(s.get_namespace("ns1").await.unwrap(), Some(namespace("n1", "ns1", 10)), "{backend}");
        let listed: Vec<String> = s.list_namespaces().await.unwrap().into_iter().map(|n| n.namespace).collect();
        assert_eq!(listed, ["ns2", "ns1"], "{backend}: newest first");
        assert_eq!(s.namespace_contents("n1").await.unwrap(), contents, "{backend}");
        assert_eq!(s.all_associations().await.unwrap(), contents.associations, "{backend}");
        let custom = s.list_resource_types().await.unwrap().into_iter().find(|t| t.name == "Custom::Type");
        assert!(custom.is_some_and(|t| !t.protected && t.created_at == 10), "{backend}: an association creates its type");

        let renamed = NamespaceRow { namespace: "ns1-renamed".into(), protected: false, updated_at: 11, ..namespace("n1", "ns1", 10) };
        assert!(s.update_namespace(&renamed).await.unwrap(), "{backend}");
        assert_eq!(s.get_namespace("ns1").await.unwrap(), None, "{backend}");
        assert_eq!(s.get_namespace("ns1-renamed").await.unwrap(), Some(renamed.clone()), "{backend}");
        let collision = NamespaceRow { namespace: "ns2".into(), ..renamed.clone() };
        assert!(matches!(s.update_namespace(&collision).await, Err(StoreError::Duplicate)), "{backend}");
        assert!(!s.update_namespace(&namespace("gone", "gone", 1)).await.unwrap(), "{backend}");

        assert!(s.delete_namespace("n1").await.unwrap(), "{backend}");
        assert!(!s.delete_namespace("n1").await.unwrap(), "{backend}");
        assert_eq!(s.namespace_contents("n1").await.unwrap(), NamespaceContents::default(), "{backend}: contents go with it");
        assert_eq!(s.list_resource_types().await.unwrap().len(), 7, "{backend}: resource types stay");
    }
}

#[tokio::test]
async fn contents_are_unique_within_their_namespace_and_renamed_in_place() {
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = store(&test_db).await;
        s.create_namespace(&namespace("n1", "ns1", 1), &NamespaceContents::default()).await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        s.create_namespace(&namespace("n2", "ns2", 2), &NamespaceContents::default()).await.unwrap();

        s.create_metadef_object(&object("n1", "o1", 10)).await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        s.create_metadef_object(&object("n2", "o1", 10)).await.unwrap();
        assert!(matches!(s.create_metadef_object(&object("n1", "o1", 11)).await, Err(StoreError::Duplicate)), "{backend}");
        let renamed = ObjectRow { name: "o2".into(), description: None, required: Vec::new(), updated_at: 12, ..object("n1", "o1", 10) };
        assert!(s.update_metadef_object("o1", &renamed).await.unwrap(), "{backend}");
        assert!(!s.update_metadef_object("o1", &renamed).await.unwrap(), "{backend}");
        assert_eq!(s.get_metadef_object("n1", "o2").await.unwrap(), Some(renamed), "{backend}");
        assert_eq!(s.get_metadef_object("n1", "o1").await.unwrap(), None, "{backend}");
        s.delete_metadef_objects("n1").await.unwrap();
        assert!(s.list_metadef_objects("n1").await.unwrap().is_empty(), "{backend}");
        assert_eq!(s.list_metadef_objects("n2").await.unwrap().len(), 1, "{backend}: other namespaces keep theirs");

        s.create_metadef_property(&property("n1", "p1", 10)).await.unwrap();
        s.create_metadef_property(&property("n1", "p2", 11)).await.unwrap();
        assert!(matches!(s.create_metadef_property(&property("n1", "p1", 12)).await, Err(StoreError::Duplicate)), "{backend}");
        let collision = PropertyRow { name: "p2".into(), ..property("n1", "p1", 10) };
        assert!(matches!(s.update_metadef_property("p1", &collision).await, Err(StoreError::Duplicate)), "{backend}");
        assert!(s.delete_metadef_property("n1", "p2").await.unwrap(), "{backend}");
        assert!(!s.delete_metadef_property("n1", "p2").await.unwrap(), "{backend}");
        assert_eq!(s.get_metadef_property("n1", "p1").await.unwrap(), Some(property("n1", "p1", 10)), "{backend}");
        s.delete_metadef_properties("n1").await.unwrap();
        assert!(s.list_metadef_properties("n1").await.unwrap().is_empty(), "{backend}");

        s.add_association(&association("n1", "OS::Nova::Flavor", 10)).await.unwrap();
        assert!(matches!(s.add_association(&association("n1", "OS::Nova::Flavor", 11)).await, Err(StoreError::Duplicate)), "{backend}");
        assert!(s.delete_association("n1", "OS::Nova::Flavor").await.unwrap(), "{backend}");
        assert!(!s.delete_association("n1", "OS::Nova::Flavor").await.unwrap(), "{backend}");

        let names = |tags: Vec<TagRow>| tags.into_iter().map(|t| t.name).collect::<Vec<_>>();
        s.add_metadef_tags("n1", &[tag("n1", "a", 10), tag("n1", "b", 10)], true).await.unwrap();
        s.add_metadef_tags("n1", &[tag("n1", "c", 11)], false).await.unwrap();
        assert_eq!(names(s.list_metadef_tags("n1").await.unwrap()), ["a", "b", "c"], "{backend}: appended");
        let again = s.add_metadef_tags("n1", &[tag("n1", "d", 12), tag("n1", "a", 12)], false).await;
        assert!(matches!(again, Err(StoreError::Duplicate)), "{backend}");
        assert_eq!(names(s.list_metadef_tags("n1").await.unwrap()), ["a", "b", "c"], "{backend}: all or nothing");
        s.add_metadef_tags("n1", &[tag("n1", "x", 13)], true).await.unwrap();
        assert_eq!(names(s.list_metadef_tags("n1").await.unwrap()), ["x"], "{backend}: replaced");
        s.add_metadef_tags("n1", &[tag("n1", "z", 14)], false).await.unwrap();
        assert!(s.rename_metadef_tag("n1", "x", "y", 15).await.unwrap(), "{backend}");
        assert!(matches!(s.rename_metadef_tag("n1", "y", "z", 16).await, Err(StoreError::Duplicate)), "{backend}");
        assert!(!s.rename_metadef_tag("n1", "x", "w", 17).await.unwrap(), "{backend}");
        assert_eq!(s.get_metadef_tag("n1", "y").await.unwrap(), Some(TagRow { updated_at: 15, ..tag("n1", "y", 13) }), "{backend}");
        assert!(s.delete_metadef_tag("n1", "y").await.unwrap(), "{backend}");
        s.delete_metadef_tags("n1").await.unwrap();
        assert!(s.list_metadef_tags("n1").await.unwrap().is_empty(), "{backend}");
    }
}
