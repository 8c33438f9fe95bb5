//! Store tests, run on SQLite and on PostgreSQL and MariaDB where the machine has them.

use super::*;

fn root(uuid: &str, name: &str) -> ProviderRow {
    ProviderRow { uuid: uuid.into(), name: name.into(), generation: 0, parent_uuid: None, root_uuid: uuid.into() }
}

fn inventory(class: &str, total: i64) -> InventoryRow {
    InventoryRow { resource_class: class.into(), total, reserved: 0, min_unit: 1, max_unit: total, step_size: 1, allocation_ratio: 1.0 }
}

fn write(consumer: &str, expected: Option<Option<i64>>, allocations: &[(&str, &str, i64)]) -> ConsumerWrite {
    ConsumerWrite {
        consumer_uuid: consumer.into(),
        project_id: "p".into(),
        user_id: "u".into(),
        consumer_type: Some("INSTANCE".into()),
        expected_generation: expected,
        allocations: allocations.iter().map(|(p, c, n)| ((*p).into(), (*c).into(), *n)).collect(),
    }
}

/// Refuses what does not fit the inventory (the domain's rule, reduced to capacity).
fn capacity(c: &CapacityCheck) -> Result<(), String> {
    match c.inventory {
        Some(inv) if c.others + c.amount <= inv.capacity() => Ok(()),
        _ => Err(format!("{} of {} does not fit", c.amount, c.class)),
    }
}

#[tokio::test]
async fn providers_inventories_and_allocations_keep_generations_and_usage() {
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = Store::new(test_db.db.clone());
        s.migrate().await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        s.sync_standard_classes(&["VCPU", "MEMORY_MB", "DISK_GB"]).await.unwrap();
        s.sync_standard_traits(&["MISC_SHARES_VIA_AGGREGATE", "HW_CPU_X86_AVX2"]).await.unwrap();

        s.create_provider(&root("a", "host-a")).await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        assert!(matches!(s.create_provider(&root("b", "host-a")).await, Err(WriteRefused::Rule(c)) if c == "name"), "{backend}");
        let child = ProviderRow { parent_uuid: Some("a".into()), root_uuid: "a".into(), ..root("a1", "host-a-numa0") };
        s.create_provider(&child).await.unwrap();

        let g = s.replace_inventories("a", 0, &[inventory("VCPU", 4), inventory("MEMORY_MB", 1024)]).await.unwrap();
        assert_eq!(g, 1, "{backend}");
        assert!(
            matches!(s.replace_inventories("a", 0, &[]).await, Err(WriteRefused::ProviderGeneration(_))),
            "{backend}: stale generation"
        );

        s.replace_allocations(&[write("c1", Some(None), &[("a", "VCPU", 3), ("a", "MEMORY_MB", 512)])], capacity).await.unwrap();
        let refused = s.replace_allocations(&[write("c2", Some(None), &[("a", "VCPU", 2)])], capacity).await;
        assert!(matches!(refused, Err(WriteRefused::Rule(_))), "{backend}: 3 + 2 VCPU exceed 4");
        let stale = s.replace_allocations(&[write("c1", Some(None), &[("a", "VCPU", 1)])], capacity).await;
        assert!(matches!(stale, Err(WriteRefused::ConsumerGeneration(_))), "{backend}: c1 exists");
        // Replacing c1's own allocation frees what it held first.
        s.replace_allocations(&[write("c1", Some(Some(1)), &[("a", "VCPU", 4)])], capacity).await.unwrap();
        assert_eq!(s.consumer("c1").await.unwrap().unwrap().generation, 2, "{backend}");
        assert_eq!(s.provider_usages("a").await.unwrap(), vec![("VCPU".to_owned(), 4)], "{backend}: MEMORY_MB no longer held");

        let in_use = s.replace_inventories("a", s.provider("a").await.unwrap().unwrap().generation, &[inventory("MEMORY_MB", 1024)]).await;
        assert!(matches!(in_use, Err(WriteRefused::InventoryInUse { ref classes, .. }) if classes == &["VCPU"]), "{backend}: {in_use:?}");
        assert!(matches!(s.delete_provider("a").await, Err(WriteRefused::Rule(r)) if r == "children"), "{backend}");

        let usages = s.project_usages("p", None).await.unwrap();
        let instance = &usages[&Some("INSTANCE".to_owned())];
        assert_eq!((instance.consumer_count, instance.usages.get("VCPU").copied()), (1, Some(4)), "{backend}");
        assert!(s.delete_allocations("c1").await.unwrap(), "{backend}");
        assert!(!s.delete_allocations("c1").await.unwrap(), "{backend}: nothing left to delete");
        assert!(s.consumer("c1").await.unwrap().is_none(), "{backend}: a consumer with nothing goes");
    }
}

#[tokio::test]
async fn candidate_roots_find_trees_with_room_including_sharing_providers() {
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = Store::new(test_db.db.clone());
        s.migrate().await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        s.sync_standard_classes(&["VCPU", "MEMORY_MB", "DISK_GB"]).await.unwrap();
        s.sync_standard_traits(&["MISC_SHARES_VIA_AGGREGATE"]).await.unwrap();
        for (uuid, vcpu) in [("h1", 2), ("h2", 8), ("h3", 8)] {
            s.create_provider(&root(uuid, uuid)).await.unwrap();
            s.replace_inventories(uuid, 0, &[inventory("VCPU", vcpu)]).await.unwrap();
        }
        // h3 is full; shared storage serves h2 through an aggregate.
        s.replace_allocations(&[write("busy", None, &[("h3", "VCPU", 8)])], capacity).await.unwrap();
        s.create_provider(&root("nfs", "nfs")).await.unwrap();
        s.replace_inventories("nfs", 0, &[inventory("DISK_GB", 1000)]).await.unwrap();
        s.replace_provider_traits("nfs", 1, &["MISC_SHARES_VIA_AGGREGATE".into()]).await.unwrap();
        s.replace_provider_aggregates("nfs", None, true, &["agg".into()]).await.unwrap();
        s.replace_provider_aggregates("h2", None, true, &["agg".into()]).await.unwrap();

        let scope = CandidateScope { amounts: vec![("VCPU".into(), 4)], root: None };
        let roots: Vec<String> = s.candidate_roots(&scope, None, 10).await.unwrap().into_iter().map(|(_, u)| u).collect();
        assert_eq!(roots, ["h2"], "{backend}: h1 too small, h3 full");

        let scope = CandidateScope { amounts: vec![("VCPU".into(), 1), ("DISK_GB".into(), 100)], root: None };
        let roots: Vec<String> = s.candidate_roots(&scope, None, 10).await.unwrap().into_iter().map(|(_, u)| u).collect();
        assert_eq!(roots, ["h2"], "{backend}: only h2 reaches disk, through the sharing provider");

        let scope = CandidateScope { amounts: vec![("VCPU".into(), 1)], root: None };
        let first = s.candidate_roots(&scope, None, 1).await.unwrap();
        let rest = s.candidate_roots(&scope, first.last(), 10).await.unwrap();
        assert_eq!((first.len(), rest.len()), (1, 1), "{backend}: pages of roots");

        let trees = s.load_trees(&["h2".into()]).await.unwrap();
        assert_eq!(trees.sharing.get("h2").map(Vec::as_slice), Some(&["nfs".to_owned()][..]), "{backend}");
        assert!(trees.providers["nfs"].fits("DISK_GB", 1000) && !trees.providers["nfs"].fits("DISK_GB", 1001), "{backend}");
        assert_eq!(s.providers_with_room(&[("VCPU".into(), 3)]).await.unwrap(), ["h2"], "{backend}");
    }
}

#[tokio::test]
async fn concurrent_writers_on_neighbouring_providers_do_not_deadlock() {
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = Store::new(test_db.db.clone());
        s.migrate().await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        s.sync_standard_classes(&["VCPU", "MEMORY_MB"]).await.unwrap();
        // Neighbouring keys: under MariaDB's repeatable read the empty ranges these
        // writers delete and fill share gap locks, and such writers deadlocked.
        let writers: Vec<_> = (0..8)
            .map(|w| {
                let s = s.clone();
                tokio::spawn(async move {
                    for n in 0..10 {
                        let uuid = format!("p-{n:02}-{w}");
                        s.create_provider(&root(&uuid, &uuid)).await?;
                        s.replace_inventories(&uuid, 0, &[inventory("VCPU", 8), inventory("MEMORY_MB", 512)]).await?;
                    }
                    Ok::<_, WriteRefused>(())
                })
            })
            .collect();
        for w in writers {
            w.await.unwrap().unwrap_or_else(|e| panic!("{backend}: {e}"));
        }
        assert_eq!(s.list_providers(&ProviderFilter::default()).await.unwrap().len(), 80, "{backend}");
    }
}

#[tokio::test]
async fn a_reshape_is_all_or_nothing() {
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = Store::new(test_db.db.clone());
        s.migrate().await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        s.sync_standard_classes(&["VCPU", "MEMORY_MB"]).await.unwrap();
        s.create_provider(&root("a", "a")).await.unwrap();
        s.create_provider(&ProviderRow {
            uuid: "b".into(),
            name: "b".into(),
            generation: 0,
            parent_uuid: Some("a".into()),
            root_uuid: "a".into(),
        })
        .await
        .unwrap();
        let ga = s.replace_inventories("a", 0, &[inventory("VCPU", 4)]).await.unwrap();
        s.replace_allocations(&[write("c1", None, &[("a", "VCPU", 1)]), write("c2", None, &[("a", "VCPU", 1)])], capacity).await.unwrap();
        let ga = s.provider("a").await.unwrap().unwrap().generation.max(ga);
        let gb = s.provider("b").await.unwrap().unwrap().generation;
        let moved = [("a".to_owned(), ga, vec![inventory("MEMORY_MB", 64)]), ("b".to_owned(), gb, vec![inventory("VCPU", 4)])];
        // c2 stays on a's VCPU, which a no longer offers: refused, nothing changes.
        let refused = s.reshape(&moved, &[write("c1", None, &[("b", "VCPU", 1)])], capacity).await;
        assert!(matches!(refused, Err(WriteRefused::InventoryInUse { ref provider, .. }) if provider == "a"), "{backend}: {refused:?}");
        assert_eq!(s.inventories("a").await.unwrap()[0].resource_class, "VCPU", "{backend}");
        s.reshape(&moved, &[write("c1", None, &[("b", "VCPU", 1)]), write("c2", None, &[("b", "VCPU", 1)])], capacity).await.unwrap();
        assert_eq!(s.inventories("a").await.unwrap()[0].resource_class, "MEMORY_MB", "{backend}");
        assert_eq!(s.provider_allocations("b").await.unwrap().len(), 2, "{backend}");
        let stale = s.reshape(&moved, &[], capacity).await;
        assert!(matches!(stale, Err(WriteRefused::ProviderGeneration(_))), "{backend}: {stale:?}");
    }
}
