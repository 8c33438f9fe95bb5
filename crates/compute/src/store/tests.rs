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

fn node_report(host: &str, node: &str) -> cell::NodeReport {
    cell::NodeReport {
        host: host.into(),
        hypervisor_hostname: node.into(),
        hypervisor_type: "fake".into(),
        hypervisor_version: 1000,
        host_ip: "127.0.0.1".into(),
        cpu_info: "{}".into(),
        vcpus: 8,
        memory_mb: 1024,
        local_gb: 10,
        vcpus_used: 0,
        memory_mb_used: 512,
        local_gb_used: 0,
        running_vms: 0,
        cpu_allocation_ratio: 4.0,
        ram_allocation_ratio: 1.0,
        disk_allocation_ratio: 1.0,
        failed_builds: 2,
    }
}

#[tokio::test]
async fn services_beat_and_compute_nodes_keep_their_identity() {
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = cell::CellStore::new(test_db.db.clone());
        s.migrate().await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        assert!(
            matches!(s.report_compute_node(&node_report("h1", "h1")).await, Err(StoreError::Reference)),
            "{backend}: a node needs its host's service first"
        );
        let first = s.report_service("h1", "nova-compute", "compute", 10).await.unwrap();
        let again = s.report_service("h1", "nova-compute", "compute", 20).await.unwrap();
        assert_eq!((again.id, again.uuid.as_str(), again.report_count, again.last_seen_up), (first.id, first.uuid.as_str(), 2, Some(20)));
        s.report_service("h1", "nova-conductor", "conductor", 20).await.unwrap();
        assert_eq!(s.list_services().await.unwrap().len(), 2, "{backend}");

        let node = s.report_compute_node(&node_report("h1", "h1")).await.unwrap();
        let mut changed = node_report("h1", "h1");
        changed.vcpus_used = 3;
        let same = s.report_compute_node(&changed).await.unwrap();
        assert_eq!((same.uuid.as_str(), same.report.vcpus_used, same.mapped), (node.uuid.as_str(), 3, false), "{backend}");
        s.mark_host_mapped("h1").await.unwrap();
        assert!(s.list_compute_nodes().await.unwrap()[0].mapped, "{backend}");

        assert!(s.update_service(&first.uuid, true, Some("maintenance"), true).await.unwrap());
        let updated = s.get_service(&first.uuid).await.unwrap().unwrap();
        assert_eq!((updated.disabled, updated.disabled_reason.as_deref(), updated.forced_down), (true, Some("maintenance"), true));
        assert!(s.delete_service(&first.uuid).await.unwrap());
        assert!(s.list_compute_nodes().await.unwrap().is_empty(), "{backend}: a deleted service takes its nodes along");
        assert!(!s.delete_service(&first.uuid).await.unwrap());
    }
}

#[tokio::test]
async fn cells_and_host_mappings() {
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = Store::new(test_db.db.clone());
        s.migrate().await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        crate::domain::cells::ensure_default_cells(&s, "sqlite://c0.db", "sqlite://c1.db", None).await.unwrap();
        crate::domain::cells::ensure_default_cells(&s, "sqlite://x.db", "sqlite://y.db", Some("amqp://elsewhere")).await.unwrap();
        let cells = s.list_cells().await.unwrap();
        let names: Vec<&str> = cells.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["cell0", "cell1"], "{backend}: created once");
        assert_eq!(cells[1].transport_url, "inproc://cell1");
        assert!(s.map_host("h1", &cells[1].uuid).await.unwrap());
        assert!(!s.map_host("h1", &cells[1].uuid).await.unwrap(), "{backend}: mapping twice is a no-op");
        assert_eq!(s.list_host_mappings().await.unwrap(), vec![HostMappingRow { host: "h1".into(), cell_uuid: cells[1].uuid.clone() }]);
        s.unmap_host("h1").await.unwrap();
        assert!(s.list_host_mappings().await.unwrap().is_empty());
        assert!(s.delete_cell(&cells[1].uuid).await.unwrap());
    }
}

#[tokio::test]
async fn aggregates_keep_hosts_and_metadata() {
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = Store::new(test_db.db.clone());
        s.migrate().await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        let az = BTreeMap::from([("availability_zone".to_owned(), "az1".to_owned())]);
        let a = s.create_aggregate("u-1", "rack", &az).await.unwrap();
        assert!(matches!(s.create_aggregate("u-2", "rack", &BTreeMap::new()).await, Err(StoreError::Duplicate)), "{backend}");
        s.add_aggregate_host(a.id, "h2").await.unwrap();
        s.add_aggregate_host(a.id, "h1").await.unwrap();
        assert!(matches!(s.add_aggregate_host(a.id, "h1").await, Err(StoreError::Duplicate)), "{backend}");
        let changes = BTreeMap::from([("k".to_owned(), Some("v".to_owned())), ("availability_zone".to_owned(), None)]);
        assert!(s.update_aggregate_metadata(a.id, &changes).await.unwrap());
        let got = s.get_aggregate(a.id).await.unwrap().unwrap();
        assert_eq!(got.hosts, ["h1", "h2"], "{backend}");
        assert_eq!(got.metadata, BTreeMap::from([("k".to_owned(), "v".to_owned())]), "{backend}");
        assert!(got.updated_at.is_some());
        assert!(s.rename_aggregate(a.id, "rack-2").await.unwrap());
        s.create_aggregate("u-3", "rack", &BTreeMap::new()).await.unwrap();
        assert!(matches!(s.rename_aggregate(a.id, "rack").await, Err(StoreError::Duplicate)), "{backend}");
        assert!(s.remove_aggregate_host(a.id, "h1").await.unwrap());
        assert!(!s.remove_aggregate_host(a.id, "h1").await.unwrap());
        assert!(s.delete_aggregate(a.id).await.unwrap());
        assert_eq!(s.list_aggregates().await.unwrap().len(), 1, "{backend}");
    }
}

#[tokio::test]
async fn quota_limits_per_project_user_and_class() {
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = Store::new(test_db.db.clone());
        s.migrate().await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        let limits = |pairs: &[(&str, i64)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect::<BTreeMap<_, _>>();
        s.set_quota_limits(QuotaScope::Project("p"), &limits(&[("ram", 100), ("cores", 4)])).await.unwrap();
        s.set_quota_limits(QuotaScope::Project("p"), &limits(&[("ram", 200)])).await.unwrap();
        s.set_quota_limits(QuotaScope::User { project: "p", user: "u1" }, &limits(&[("ram", 50)])).await.unwrap();
        s.set_quota_limits(QuotaScope::User { project: "p", user: "u2" }, &limits(&[("ram", 30)])).await.unwrap();
        s.set_quota_limits(QuotaScope::Class("default"), &limits(&[("instances", 5)])).await.unwrap();
        assert_eq!(s.quota_limits(QuotaScope::Project("p")).await.unwrap(), limits(&[("cores", 4), ("ram", 200)]), "{backend}");
        assert_eq!(s.user_quota_sums("p").await.unwrap(), limits(&[("ram", 80)]), "{backend}");
        assert_eq!(s.quota_limits(QuotaScope::Class("default")).await.unwrap(), limits(&[("instances", 5)]));
        s.delete_quota_limits("p", Some("u1")).await.unwrap();
        assert_eq!(s.user_quota_sums("p").await.unwrap(), limits(&[("ram", 30)]), "{backend}");
        s.delete_quota_limits("p", None).await.unwrap();
        assert!(s.quota_limits(QuotaScope::Project("p")).await.unwrap().is_empty());
        assert!(s.user_quota_sums("p").await.unwrap().is_empty(), "{backend}: a project's reset takes its users' limits too");
    }
}

#[tokio::test]
async fn server_groups_are_counted_per_project_and_user() {
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = Store::new(test_db.db.clone());
        s.migrate().await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        let group = |uuid: &str, project: &str, user: &str| ServerGroupRow {
            uuid: uuid.into(),
            name: "g".into(),
            project_id: project.into(),
            user_id: user.into(),
            policy: "anti-affinity".into(),
            max_server_per_host: Some(2),
            created_at: 1,
        };
        s.create_server_group(&group("a", "p1", "u1")).await.unwrap();
        s.create_server_group(&group("b", "p1", "u2")).await.unwrap();
        s.create_server_group(&group("c", "p2", "u1")).await.unwrap();
        assert_eq!(s.count_server_groups("p1", None).await.unwrap(), 2, "{backend}");
        assert_eq!(s.count_server_groups("p1", Some("u1")).await.unwrap(), 1, "{backend}");
        assert_eq!(s.list_server_groups(Some("p1")).await.unwrap().len(), 2);
        assert_eq!(s.list_server_groups(None).await.unwrap().len(), 3);
        assert_eq!(s.get_server_group("a").await.unwrap(), Some(group("a", "p1", "u1")), "{backend}");
        assert!(s.delete_server_group("a").await.unwrap());
        assert!(!s.delete_server_group("a").await.unwrap());
    }
}

fn instance(uuid: &str, project: &str, name: &str) -> cell::InstanceRow {
    cell::InstanceRow {
        uuid: uuid.into(),
        project_id: project.into(),
        user_id: "u1".into(),
        display_name: name.into(),
        display_description: None,
        hostname: name.into(),
        reservation_id: "r-1".into(),
        launch_index: 0,
        image_ref: "img".into(),
        instance_type_id: 1,
        flavor: serde_json::json!({"vcpus": 1, "memory_mb": 512}),
        vm_state: crate::states::VmState::Building,
        task_state: Some(crate::states::TaskState::Scheduling),
        power_state: crate::states::PowerState::NoState,
        host: None,
        node: None,
        launched_on: None,
        availability_zone: None,
        key_name: None,
        key_data: None,
        user_data: None,
        config_drive: false,
        access_ip_v4: None,
        access_ip_v6: None,
        locked_by: None,
        locked_reason: None,
        progress: 0,
        system_metadata: BTreeMap::new(),
        metadata: BTreeMap::from([("role".to_owned(), "web".to_owned())]),
        tags: vec!["blue".into()],
        created_at: 10,
        updated_at: 10,
        launched_at: None,
        terminated_at: None,
        deleted_at: None,
        deleted: false,
    }
}

#[tokio::test]
async fn instances_change_only_from_the_states_an_update_expects() {
    use crate::states::{TaskState, VmState};
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = cell::CellStore::new(test_db.db.clone());
        s.migrate().await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        s.create_instance(&instance("i1", "p1", "web"), "req-1").await.unwrap();
        s.create_instance(&instance("i2", "p1", "db"), "req-2").await.unwrap();
        s.create_instance(&instance("i3", "p2", "other"), "req-3").await.unwrap();
        let got = s.instance("i1", false).await.unwrap().unwrap();
        assert_eq!(got, instance("i1", "p1", "web"), "{backend}: an instance reads back as written, metadata and tags too");

        // Compare-and-swap on the states: a second spawner loses.
        let spawn =
            cell::InstanceChanges { task_state: Some(Some(TaskState::Spawning)), host: Some(Some("h1".into())), ..Default::default() };
        let from_scheduling = cell::Expected { task_states: Some(vec![Some(TaskState::Scheduling)]), vm_states: None };
        let spawned = s.update_instance("i1", &spawn, &from_scheduling).await.unwrap();
        assert_eq!((spawned.task_state, spawned.host.as_deref()), (Some(TaskState::Spawning), Some("h1")), "{backend}");
        assert!(
            matches!(
                s.update_instance("i1", &spawn, &from_scheduling).await,
                Err(cell::UpdateRefused::UnexpectedState { vm_state: VmState::Building, task_state: Some(TaskState::Spawning) })
            ),
            "{backend}"
        );
        let clear = cell::InstanceChanges { task_state: Some(None), vm_state: Some(VmState::Active), ..Default::default() };
        let active = s.update_instance("i1", &clear, &Default::default()).await.unwrap();
        assert_eq!((active.vm_state, active.task_state, active.host.as_deref()), (VmState::Active, None, Some("h1")), "{backend}");

        // Lists: by project and state, sorted, paged by marker.
        let filter = cell::InstanceFilter { project_id: Some("p1".into()), deleted: Some(false), ..Default::default() };
        let by_name = cell::Page { sort_key: cell::SortKey::DisplayName, descending: false, marker: None, limit: None };
        let names: Vec<String> = s.list_instances(&filter, &by_name).await.unwrap().into_iter().map(|i| i.display_name).collect();
        assert_eq!(names, ["db", "web"], "{backend}");
        let after_db = cell::Page { marker: s.instance("i2", false).await.unwrap(), limit: Some(5), ..by_name.clone() };
        assert_eq!(s.list_instances(&filter, &after_db).await.unwrap().len(), 1, "{backend}: the page after the marker");
        let active_only = cell::InstanceFilter { vm_states: Some(vec![VmState::Active]), ..filter.clone() };
        assert_eq!(s.list_instances(&active_only, &by_name).await.unwrap().len(), 1, "{backend}");
        let tagged = cell::InstanceFilter { tags: vec!["blue".into()], not_tags_any: vec!["red".into()], ..filter.clone() };
        assert_eq!(s.list_instances(&tagged, &by_name).await.unwrap().len(), 2, "{backend}");

        // Metadata and tags.
        let merged = s.set_metadata("i1", &BTreeMap::from([("tier".to_owned(), "1".to_owned())]), false).await.unwrap();
        assert_eq!(merged.len(), 2, "{backend}");
        let replaced = s.set_metadata("i1", &BTreeMap::from([("only".to_owned(), "x".to_owned())]), true).await.unwrap();
        assert_eq!(replaced.keys().collect::<Vec<_>>(), ["only"], "{backend}");
        assert!(s.delete_metadata_key("i1", "only").await.unwrap() && !s.delete_metadata_key("i1", "only").await.unwrap());
        assert!(s.add_tag("i1", "red").await.unwrap() && !s.add_tag("i1", "red").await.unwrap(), "{backend}");
        assert!(s.delete_tag("i1", "blue").await.unwrap(), "{backend}");
        assert_eq!(s.instance("i1", false).await.unwrap().unwrap().tags, ["red"], "{backend}");

        // Faults: the newest per instance.
        for (at, message) in [(1, "first"), (2, "second")] {
            let fault = cell::FaultRow { code: 500, message: message.into(), details: None, host: None, created_at: at };
            s.add_fault("i2", &fault).await.unwrap();
        }
        let faults = s.latest_faults(&["i1".into(), "i2".into()]).await.unwrap();
        assert_eq!((faults.len(), faults["i2"].message.as_str()), (1, "second"), "{backend}");

        // Usage windows: launched before the window's end, not terminated before its start.
        let launched = cell::InstanceChanges { launched_at: Some(Some(100)), ..Default::default() };
        s.update_instance("i1", &launched, &Default::default()).await.unwrap();
        s.update_instance("i3", &launched, &Default::default()).await.unwrap();
        let ids = |v: Vec<cell::InstanceRow>| v.into_iter().map(|i| i.uuid).collect::<Vec<_>>();
        assert_eq!(ids(s.instances_active_between(50, 200, Some("p1")).await.unwrap()), ["i1"], "{backend}: i2 never launched");
        assert_eq!(
            ids(s.instances_active_between(50, 99, None).await.unwrap()),
            Vec::<String>::new(),
            "{backend}: launched after the window"
        );

        // Deleted instances are gone from live reads and refuse updates.
        assert!(s.destroy_instance("i2").await.unwrap(), "{backend}");
        assert!(s.instance("i2", false).await.unwrap().is_none(), "{backend}");
        assert!(s.instance("i2", true).await.unwrap().unwrap().deleted, "{backend}");
        assert!(matches!(s.update_instance("i2", &clear, &Default::default()).await, Err(cell::UpdateRefused::NotFound)), "{backend}");
    }
}

#[tokio::test]
async fn instance_actions_record_their_events_and_errors() {
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = cell::CellStore::new(test_db.db.clone());
        s.migrate().await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        s.create_instance(&instance("i1", "p1", "web"), "req-create").await.unwrap();
        s.start_event("i1", "req-create", "conductor_build", None).await.unwrap();
        s.finish_event("i1", "req-create", "conductor_build", &cell::EventOutcome::Success).await.unwrap();
        s.start_event("i1", "req-create", "compute_build", Some("h1")).await.unwrap();
        let failed = cell::EventOutcome::Error { details: "disk full".into() };
        s.finish_event("i1", "req-create", "compute_build", &failed).await.unwrap();
        s.start_action("i1", "req-stop", "stop", "p1", "u1").await.unwrap();

        let actions = s.list_actions("i1", None, None).await.unwrap();
        let names: Vec<&str> = actions.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(names, ["stop", "create"], "{backend}: newest first");
        let (create, events) = s.action("i1", "req-create").await.unwrap().unwrap();
        assert_eq!(create.message.as_deref(), Some("Error"), "{backend}: a failed event marks its action");
        let outcome: Vec<(&str, Option<&str>, Option<&str>)> =
            events.iter().map(|e| (e.event.as_str(), e.result.as_deref(), e.host.as_deref())).collect();
        assert_eq!(outcome, [("conductor_build", Some("Success"), None), ("compute_build", Some("Error"), Some("h1"))], "{backend}");
        assert_eq!(events[1].details.as_deref(), Some("disk full"), "{backend}");
        assert!(s.action("i1", "req-none").await.unwrap().is_none(), "{backend}");
    }
}

#[tokio::test]
async fn build_requests_map_to_their_cell_once_scheduled() {
    for test_db in db::testing::databases().await {
        let backend = test_db.db.backend();
        let s = Store::new(test_db.db.clone());
        s.migrate().await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        crate::domain::cells::ensure_default_cells(&s, "sqlite://c0.db", "sqlite://c1.db", None).await.unwrap();
        let cell1 = s.list_cells().await.unwrap().remove(1);
        let group = ServerGroupRow {
            uuid: "g".into(),
            name: "g".into(),
            project_id: "p1".into(),
            user_id: "u1".into(),
            policy: "affinity".into(),
            max_server_per_host: None,
            created_at: 1,
        };
        s.create_server_group(&group).await.unwrap();
        let (a, b) = (instance("a", "p1", "a"), instance("b", "p1", "b"));
        let spec = serde_json::json!({"flavor": "tiny"});
        let builds = [NewBuild { instance: &a, request_spec: &spec }, NewBuild { instance: &b, request_spec: &spec }];
        s.create_builds(&builds, Some("g")).await.unwrap();
        assert!(s.create_builds(&builds[..1], None).await.is_err(), "{backend}: an instance is recorded once");

        assert_eq!(s.list_build_requests(Some("p1")).await.unwrap().len(), 2, "{backend}");
        assert_eq!(s.build_request("a").await.unwrap(), Some(a.clone()), "{backend}");
        assert_eq!(s.request_spec("a").await.unwrap(), Some(spec.clone()), "{backend}");
        let renamed = cell::InstanceRow { display_name: "renamed".into(), ..b.clone() };
        assert!(s.update_build_request(&renamed).await.unwrap(), "{backend}");
        assert_eq!(s.build_request("b").await.unwrap().unwrap().display_name, "renamed", "{backend}");
        assert_eq!(s.server_group_members("g").await.unwrap(), ["a", "b"], "{backend}");
        assert_eq!(s.server_group_of("a").await.unwrap().as_deref(), Some("g"), "{backend}");
        assert_eq!(s.instance_mapping("a").await.unwrap().unwrap().cell_uuid, None, "{backend}: not placed yet");

        s.map_instance_to_cell("a", &cell1.uuid).await.unwrap();
        assert!(s.delete_build_request("a").await.unwrap(), "{backend}");
        assert!(!s.delete_build_request("a").await.unwrap(), "{backend}: deleted once");
        assert_eq!(s.instance_mapping("a").await.unwrap().unwrap().cell_uuid.as_deref(), Some(cell1.uuid.as_str()), "{backend}");
        assert_eq!(s.request_spec("a").await.unwrap(), Some(spec), "{backend}: the spec stays for moves");

        s.queue_instance_for_delete("b").await.unwrap();
        assert!(s.instance_mapping("b").await.unwrap().unwrap().queued_for_delete, "{backend}");
        assert_eq!(s.server_group_members("g").await.unwrap(), ["a"], "{backend}: a deleted member leaves its group");
        assert!(s.delete_server_group("g").await.unwrap());
        assert!(s.server_group_of("a").await.unwrap().is_none(), "{backend}: members go with their group");
    }
}
