//! Store tests, run on SQLite and on PostgreSQL and MariaDB where the machine has them.

use std::collections::BTreeMap;

use super::*;

fn flavor(flavorid: &str, name: &str, is_public: bool) -> FlavorRow {
    FlavorRow {
        id: 0,
        flavorid: flavorid.into(),
        name: name.into(),
        memory_mb: 512,
        vcpus: 1,
        root_gb: 1,
        ephemeral_gb: 0,
        swap: 0,
        rxtx_factor: 1.0,
        vcpu_weight: None,
        disabled: false,
        is_public,
        description: Some("d".into()),
        created_at: 1,
        updated_at: None,
        extra_specs: BTreeMap::from([("k".to_owned(), "v".to_owned())]),
    }
}

fn shared_with(project: &str) -> FlavorVisibility {
    FlavorVisibility::SharedWith { project_id: Some(project.into()), include_disabled: false }
}

#[tokio::test]
async fn flavors_are_unique_and_private_ones_visible_only_where_shared() {
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = Store::new(test_db.db.clone());
        s.migrate().await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        assert!(!s.flavors_ever_created().await.unwrap());
        let public = s.create_flavor(&flavor("1", "tiny", true)).await.unwrap();
        let private = s.create_flavor(&flavor("p", "private", false)).await.unwrap();
        assert_eq!((public.id, private.id), (1, 2), "{backend}");
        assert!(matches!(s.create_flavor(&flavor("1", "other", true)).await, Err(DuplicateFlavor::Id)), "{backend}");
        assert!(matches!(s.create_flavor(&flavor("9", "tiny", true)).await, Err(DuplicateFlavor::Name)), "{backend}");

        let got = s.get_flavor("1", &FlavorVisibility::All).await.unwrap().unwrap();
        assert_eq!(got, public, "{backend}: a flavor reads back as written, extra specs included");
        assert!(s.get_flavor("p", &shared_with("proj")).await.unwrap().is_none(), "{backend}");
        s.add_flavor_project(private.id, "proj").await.unwrap();
        assert!(matches!(s.add_flavor_project(private.id, "proj").await, Err(StoreError::Duplicate)), "{backend}");
        assert!(s.get_flavor("p", &shared_with("proj")).await.unwrap().is_some(), "{backend}");
        assert_eq!(s.list_flavors(&shared_with("other"), None, None).await.unwrap().len(), 1, "{backend}");
        assert_eq!(s.list_flavors(&shared_with("proj"), None, None).await.unwrap().len(), 2, "{backend}");
        assert_eq!(s.list_flavors(&FlavorVisibility::PrivateOnly, None, None).await.unwrap().len(), 1, "{backend}");
        assert_eq!(s.list_flavors(&FlavorVisibility::All, Some(1024), None).await.unwrap().len(), 0, "{backend}");
        assert_eq!(s.flavor_projects(private.id).await.unwrap(), vec!["proj".to_owned()]);

        s.merge_extra_specs(public.id, &BTreeMap::from([("k".to_owned(), "w".to_owned()), ("x".to_owned(), "1".to_owned())]))
            .await
            .unwrap();
        assert_eq!(s.extra_specs(public.id).await.unwrap().get("k").map(String::as_str), Some("w"), "{backend}");
        assert!(s.delete_extra_spec(public.id, "x").await.unwrap());
        assert!(!s.delete_extra_spec(public.id, "x").await.unwrap());

        assert!(s.delete_flavor(private.id).await.unwrap());
        assert!(!s.delete_flavor(private.id).await.unwrap());
        let again = s.create_flavor(&flavor("p", "private", false)).await.unwrap();
        assert_eq!(again.id, 3, "{backend}: ids are never reused");
        assert!(s.flavor_projects(again.id).await.unwrap().is_empty(), "{backend}: a deleted flavor's access list went with it");
        assert!(s.flavors_ever_created().await.unwrap());
    }
}

#[tokio::test]
async fn key_pairs_are_unique_per_user_and_page_by_name() {
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = Store::new(test_db.db.clone());
        s.migrate().await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        let key = |user: &str, name: &str| KeypairRow {
            id: 0,
            user_id: user.into(),
            name: name.into(),
            key_type: "ssh".into(),
            fingerprint: "f".into(),
            public_key: "ssh-ed25519 AAAA".into(),
            created_at: 5,
        };
        for name in ["c", "a", "b"] {
            s.create_keypair(&key("u1", name)).await.unwrap();
        }
        s.create_keypair(&key("u2", "a")).await.unwrap();
        assert!(matches!(s.create_keypair(&key("u1", "a")).await, Err(StoreError::Duplicate)), "{backend}");
        assert_eq!(s.count_keypairs("u1").await.unwrap(), 3);
        let names = |v: Vec<KeypairRow>| v.into_iter().map(|k| k.name).collect::<Vec<_>>();
        assert_eq!(names(s.list_keypairs("u1", None, None).await.unwrap()), ["a", "b", "c"], "{backend}");
        assert_eq!(names(s.list_keypairs("u1", Some("a"), Some(1)).await.unwrap()), ["b"], "{backend}");
        let a = s.get_keypair("u1", "a").await.unwrap().unwrap();
        assert_eq!(a, KeypairRow { id: 2, ..key("u1", "a") }, "{backend}");
        assert!(s.delete_keypair("u1", "a").await.unwrap());
        assert!(!s.delete_keypair("u1", "a").await.unwrap());
        assert!(s.get_keypair("u2", "a").await.unwrap().is_some(), "{backend}: another user's key of the same name stays");
    }
}
