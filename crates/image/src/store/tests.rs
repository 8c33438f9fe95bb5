//! Store tests, run on SQLite and on PostgreSQL and MariaDB where the machine has them.

use serde_json::json;

use super::*;

fn image(id: &str, created_at: i64) -> ImageRow {
    ImageRow {
        disk_format: Some("qcow2".into()),
        properties: json!({"os_distro": "debian"}).as_object().cloned().unwrap(),
        tags: vec!["b".into(), "a".into()],
        created_at,
        updated_at: created_at,
        ..ImageRow::example(id)
    }
}

#[tokio::test]
async fn images_round_trip_move_through_statuses_and_keep_tags() {
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = Store::new(test_db.db.clone());
        s.migrate().await.unwrap_or_else(|e| panic!("{backend}: {e}"));

        s.create_image(&image("i1", 10)).await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        s.create_image(&image("i2", 20)).await.unwrap();
        assert!(matches!(s.create_image(&image("i1", 30)).await, Err(StoreError::Duplicate)), "{backend}");
        let back = s.get_image("i1").await.unwrap().unwrap();
        assert_eq!(back, ImageRow { tags: vec!["a".into(), "b".into()], ..image("i1", 10) }, "{backend}");
        let listed: Vec<String> = s.list_images(ListScope::All).await.unwrap().into_iter().map(|i| i.id).collect();
        assert_eq!(listed, ["i2", "i1"], "{backend}: newest first");

        assert!(s.transition("i1", "queued", "saving", 11).await.unwrap(), "{backend}");
        assert!(!s.transition("i1", "queued", "saving", 12).await.unwrap(), "{backend}: only one upload wins");
        let data =
            ImageData { size: 5, virtual_size: Some(5), checksum: "c".into(), os_hash_algo: "sha512".into(), os_hash_value: "h".into() };
        assert!(s.activate("i1", "saving", &data, &["file".into()], 13).await.unwrap(), "{backend}");
        assert!(!s.activate("i1", "saving", &data, &["file".into()], 14).await.unwrap(), "{backend}: activation needs a saving image");
        let active = s.get_image("i1").await.unwrap().unwrap();
        assert_eq!((active.status.as_str(), active.size, active.checksum.as_deref()), ("active", Some(5), Some("c")), "{backend}");
        assert_eq!(active.stores, ["file"], "{backend}");
        assert!(s.add_location("i1", "fast", 14).await.unwrap(), "{backend}");
        assert!(!s.add_location("i2", "fast", 14).await.unwrap(), "{backend}: only an active image is copied");
        let (a, b) = tokio::join!(s.remove_location("i1", "file"), s.remove_location("i1", "fast"));
        assert_eq!(u8::from(a.unwrap()) + u8::from(b.unwrap()), 1, "{backend}: racing removals keep one copy");
        if !s.get_image("i1").await.unwrap().unwrap().stores.contains(&"fast".to_string()) {
            // The race went the other way: put the expected state back for what follows.
            s.add_location("i1", "fast", 15).await.unwrap();
            assert!(s.remove_location("i1", "file").await.unwrap(), "{backend}");
        }
        assert!(!s.remove_location("i1", "fast").await.unwrap(), "{backend}: the last copy stays");
        assert_eq!(s.list_images(ListScope::All).await.unwrap().iter().find(|i| i.id == "i1").unwrap().stores, ["fast"], "{backend}");

        assert!(s.add_tag("i1", "c", 15).await.unwrap(), "{backend}");
        assert!(!s.add_tag("i1", "c", 16).await.unwrap(), "{backend}");
        assert!(s.delete_tag("i1", "a", 17).await.unwrap(), "{backend}");
        assert!(!s.delete_tag("i1", "a", 18).await.unwrap(), "{backend}");
        let mut renamed = s.get_image("i1").await.unwrap().unwrap();
        assert_eq!(renamed.tags, ["b", "c"], "{backend}");
        renamed.name = Some("renamed".into());
        renamed.owner = Some("p2".into());
        renamed.tags = vec!["z".into()];
        renamed.updated_at = 19;
        assert!(s.update_image(&renamed).await.unwrap(), "{backend}");
        assert_eq!(s.get_image("i1").await.unwrap().unwrap(), renamed, "{backend}");

        assert!(s.delete_image("i1").await.unwrap(), "{backend}");
        assert!(!s.delete_image("i1").await.unwrap(), "{backend}");
        assert!(s.get_image("i1").await.unwrap().is_none(), "{backend}");
    }
}

#[tokio::test]
async fn members_are_unique_per_project_capped_and_go_with_their_image() {
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = Store::new(test_db.db.clone());
        s.migrate().await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        s.create_image(&image("i1", 10)).await.unwrap();
        s.create_image(&image("i2", 20)).await.unwrap();
        let member = |image_id: &str, member: &str, at| MemberRow {
            image_id: image_id.into(),
            member: member.into(),
            status: "pending".into(),
            created_at: at,
            updated_at: at,
        };
        assert!(s.add_member(&member("i1", "p2", 1), 2).await.unwrap(), "{backend}");
        assert!(matches!(s.add_member(&member("i1", "p2", 2), 2).await, Err(StoreError::Duplicate)), "{backend}");
        assert!(s.add_member(&member("i1", "p3", 3), 2).await.unwrap(), "{backend}");
        assert!(!s.add_member(&member("i1", "p4", 4), 2).await.unwrap(), "{backend}: the quota holds");
        assert!(s.add_member(&member("i2", "p2", 5), 2).await.unwrap(), "{backend}");

        s.create_image(&ImageRow { visibility: "public".into(), ..image("i3", 30) }).await.unwrap();
        s.add_tag("i1", "x", 5).await.unwrap();
        let seen = |scope| {
            let s = &s;
            async move { s.list_images(scope).await.unwrap().into_iter().map(|i| (i.id, i.tags.len())).collect::<Vec<_>>() }
        };
        let with_tags = |ids: &[&str]| ids.iter().map(|id| (id.to_string(), if *id == "i1" { 3 } else { 2 })).collect::<Vec<_>>();
        assert_eq!(seen(ListScope::SeenBy(Some("p2"))).await, with_tags(&["i3", "i2", "i1"]), "{backend}: a member sees its shares");
        assert_eq!(seen(ListScope::SeenBy(Some("p9"))).await, with_tags(&["i3"]), "{backend}: others see public images only");
        assert_eq!(seen(ListScope::SeenBy(None)).await, with_tags(&["i3"]), "{backend}");
        assert_eq!(seen(ListScope::SeenBy(Some("p1"))).await, with_tags(&["i3", "i2", "i1"]), "{backend}: the owner sees its own");

        assert!(s.set_member_status("i1", "p2", "accepted", 6).await.unwrap(), "{backend}");
        assert!(!s.set_member_status("i1", "p9", "accepted", 6).await.unwrap(), "{backend}");
        assert_eq!(
            s.get_member("i1", "p2").await.unwrap(),
            Some(MemberRow { status: "accepted".into(), updated_at: 6, ..member("i1", "p2", 1) }),
            "{backend}"
        );
        let listed: Vec<String> = s.list_members("i1").await.unwrap().into_iter().map(|m| m.member).collect();
        assert_eq!(listed, ["p2", "p3"], "{backend}");
        let of_p2 = s.memberships("p2").await.unwrap();
        assert_eq!((of_p2["i1"].as_str(), of_p2["i2"].as_str()), ("accepted", "pending"), "{backend}");

        assert!(s.delete_member("i1", "p3").await.unwrap(), "{backend}");
        assert!(!s.delete_member("i1", "p3").await.unwrap(), "{backend}");
        assert!(s.delete_image("i2").await.unwrap(), "{backend}");
        assert_eq!(s.get_member("i2", "p2").await.unwrap(), None, "{backend}: members go with their image");
    }
}

#[tokio::test]
async fn an_import_takes_its_lock_with_its_task_and_a_failure_requeues_the_image() {
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = Store::new(test_db.db.clone());
        s.migrate().await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        s.create_image(&image("i1", 10)).await.unwrap();
        assert!(s.transition("i1", "queued", "uploading", 11).await.unwrap());
        assert!(s.set_staged_size("i1", 42, 12).await.unwrap(), "{backend}");
        let task = |id: &str| TaskRow {
            id: id.into(),
            kind: "api_image_import".into(),
            status: "pending".into(),
            owner: Some("p1".into()),
            user_id: Some("u1".into()),
            request_id: Some("req-1".into()),
            image_id: Some("i1".into()),
            input: json!({"image_id": "i1"}),
            result: None,
            message: String::new(),
            expires_at: None,
            created_at: 13,
            updated_at: 13,
            worker: Some("host:/data".into()),
        };
        assert!(s.begin_import("i1", "uploading", "importing", "", &task("t1")).await.unwrap(), "{backend}");
        assert!(!s.begin_import("i1", "importing", "importing", "", &task("t2")).await.unwrap(), "{backend}: the lock holds");
        let locked = s.get_image("i1").await.unwrap().unwrap();
        assert_eq!((locked.status.as_str(), locked.properties["os_glance_import_task"].as_str()), ("importing", Some("t1")));
        assert_eq!(s.get_task("t1").await.unwrap(), Some(task("t1")), "{backend}");
        assert_eq!(s.get_task("t2").await.unwrap(), None, "{backend}: a refused import records no task");

        assert!(s.end_import("i1", true, "", 14).await.unwrap(), "{backend}");
        let requeued = s.get_image("i1").await.unwrap().unwrap();
        assert_eq!((requeued.status.as_str(), requeued.size), ("queued", None), "{backend}");
        assert!(!requeued.properties.contains_key("os_glance_import_task"), "{backend}");

        let finished = TaskRow { status: "failure".into(), message: "why".into(), expires_at: Some(100), updated_at: 14, ..task("t1") };
        assert!(s.update_task(&finished).await.unwrap(), "{backend}");
        assert_eq!(s.list_tasks(Some("i1"), 50).await.unwrap(), std::slice::from_ref(&finished), "{backend}");
        assert!(s.list_tasks(None, 100).await.unwrap().is_empty(), "{backend}: expired tasks are not listed");
        assert_eq!(s.purge_expired_tasks(100).await.unwrap(), 1, "{backend}");
        assert_eq!(s.get_task("t1").await.unwrap(), None, "{backend}");

        // Two imports racing for one image: exactly one takes the lock.
        s.create_image(&image("i2", 20)).await.unwrap();
        assert!(s.transition("i2", "queued", "uploading", 21).await.unwrap());
        let (t3, t4) = (TaskRow { image_id: Some("i2".into()), ..task("t3") }, TaskRow { image_id: Some("i2".into()), ..task("t4") });
        let (a, b) =
            tokio::join!(s.begin_import("i2", "uploading", "importing", "", &t3), s.begin_import("i2", "uploading", "importing", "", &t4));
        assert_eq!(u8::from(a.unwrap()) + u8::from(b.unwrap()), 1, "{backend}: one import wins");
    }
}
