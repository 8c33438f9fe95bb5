//! Store tests, run on SQLite and on PostgreSQL and MariaDB where the machine has them.

use serde_json::{Map, json};

use super::*;

fn domain(id: &str, name: &str) -> DomainRow {
    DomainRow { id: id.into(), name: name.into(), description: None, enabled: true, extra: Map::new() }
}

fn project(id: &str, name: &str, domain_id: &str, parent: Option<&str>) -> ProjectRow {
    ProjectRow {
        id: id.into(),
        name: name.into(),
        domain_id: domain_id.into(),
        parent_id: parent.map(str::to_owned),
        description: Some("d".into()),
        enabled: true,
        tags: vec!["b".into(), "a".into()],
        extra: json!({"x": 1}).as_object().cloned().unwrap(),
    }
}

fn user(id: &str, name: &str, domain_id: &str) -> UserRow {
    UserRow {
        id: id.into(),
        name: name.into(),
        domain_id: domain_id.into(),
        enabled: true,
        default_project_id: None,
        extra: Map::new(),
        options: Map::new(),
        created_at: 1,
        last_active_at: None,
        failed_auth_count: 0,
        failed_auth_at: None,
    }
}

fn grant(user_id: &str, project_id: &str, role_id: &str) -> AssignmentRow {
    AssignmentRow {
        actor_type: ActorType::User,
        actor_id: user_id.into(),
        target_type: TargetType::Project,
        target_id: project_id.into(),
        role_id: role_id.into(),
        inherited: false,
    }
}

async fn stores() -> Vec<(db::testing::TestDatabase, Store)> {
    let mut all = Vec::new();
    for test_db in db::testing::databases().await {
        let store = Store::new(test_db.db.clone());
        store.migrate().await.unwrap_or_else(|e| panic!("{}: {e}", test_db.db.backend()));
        all.push((test_db, store));
    }
    all
}

#[tokio::test]
async fn entities_round_trip_and_names_are_unique() {
    for (t, s) in stores().await {
        let backend = t.db.backend();
        s.create_domain(&domain("d1", "One")).await.unwrap();
        assert!(matches!(s.create_domain(&domain("d2", "One")).await, Err(StoreError::Duplicate)), "{backend}");
        s.create_project(&project("p1", "proj", "d1", None)).await.unwrap();
        let p = s.get_project("p1").await.unwrap().unwrap();
        assert_eq!(p.tags, vec!["a", "b"], "{backend}: tags come back sorted");
        assert_eq!(p.extra["x"], 1, "{backend}");
        assert!(p.enabled, "{backend}");
        assert!(matches!(s.create_project(&project("p2", "proj", "d1", None)).await, Err(StoreError::Duplicate)), "{backend}");
        assert_eq!(s.get_project_by_name("d1", "proj").await.unwrap().unwrap().id, "p1");

        let mut u = user("u1", "alice", "d1");
        let pw = PasswordRow { hash: "h1".into(), created_at: 10, expires_at: Some(99), self_service: false };
        s.create_user(&u, Some(&pw)).await.unwrap();
        u.enabled = false;
        let pw2 = PasswordRow { hash: "h2".into(), created_at: 20, expires_at: None, self_service: true };
        s.update_user(&u, Some(&pw2)).await.unwrap();
        let back = s.get_user_by_name("d1", "alice").await.unwrap().unwrap();
        assert!(!back.enabled, "{backend}");
        let history = s.password_history("u1").await.unwrap();
        assert_eq!(history.iter().map(|p| p.hash.as_str()).collect::<Vec<_>>(), ["h1", "h2"], "{backend}");
        assert!(history[1].self_service && !history[0].self_service, "{backend}");
        s.record_auth_attempt("u1", 3, Some(50), None).await.unwrap();
        assert_eq!(s.get_user("u1").await.unwrap().unwrap().failed_auth_count, 3, "{backend}");
    }
}

#[tokio::test]
async fn assignments_filter_and_follow_their_parts() {
    for (t, s) in stores().await {
        let backend = t.db.backend();
        s.create_domain(&domain("d1", "One")).await.unwrap();
        s.create_project(&project("p1", "a", "d1", None)).await.unwrap();
        s.create_project(&project("p2", "b", "d1", Some("p1"))).await.unwrap();
        s.create_user(&user("u1", "alice", "d1"), None).await.unwrap();
        for (id, name) in [("r1", "member"), ("r2", "reader")] {
            s.create_role(&RoleRow { id: id.into(), name: name.into(), domain_id: None, description: None, options: Map::new() })
                .await
                .unwrap();
        }
        s.create_assignment(&grant("u1", "p1", "r1")).await.unwrap();
        s.create_assignment(&grant("u1", "p1", "r1")).await.unwrap();
        s.create_assignment(&grant("u1", "p2", "r2")).await.unwrap();
        let on_p1 = AssignmentFilter { target: Some((TargetType::Project, Some("p1".into()))), ..Default::default() };
        assert_eq!(s.list_assignments(&on_p1).await.unwrap().len(), 1, "{backend}: granting twice stores once");
        let of_r2 = AssignmentFilter { role_id: Some("r2".into()), ..Default::default() };
        assert_eq!(s.list_assignments(&of_r2).await.unwrap()[0].target_id, "p2", "{backend}");

        assert!(matches!(s.delete_project("p1").await, Err(StoreError::Reference)), "{backend}: a parent is not deleted");
        s.delete_role("r2").await.unwrap();
        assert!(s.list_assignments(&of_r2).await.unwrap().is_empty(), "{backend}: a role's grants go with it");
        s.delete_user("u1").await.unwrap();
        assert!(s.list_assignments(&on_p1).await.unwrap().is_empty(), "{backend}: a user's grants go with them");
    }
}

#[tokio::test]
async fn deleting_a_domain_removes_everything_it_owns() {
    for (t, s) in stores().await {
        let backend = t.db.backend();
        s.create_domain(&domain("d1", "One")).await.unwrap();
        s.create_domain(&domain("keep", "Keep")).await.unwrap();
        s.create_project(&project("p1", "a", "d1", None)).await.unwrap();
        s.create_project(&project("p2", "b", "d1", Some("p1"))).await.unwrap();
        s.create_project(&project("p3", "c", "d1", Some("p2"))).await.unwrap();
        s.create_project(&project("other", "o", "keep", None)).await.unwrap();
        s.create_user(&user("u1", "alice", "d1"), None).await.unwrap();
        s.create_group(&GroupRow { id: "g1".into(), name: "g".into(), domain_id: "d1".into(), description: None, extra: Map::new() })
            .await
            .unwrap();
        s.add_group_member("g1", "u1").await.unwrap();
        s.create_role(&RoleRow { id: "r1".into(), name: "member".into(), domain_id: None, description: None, options: Map::new() })
            .await
            .unwrap();
        s.create_assignment(&grant("u1", "p3", "r1")).await.unwrap();
        s.delete_domain("d1").await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        assert!(s.get_project("p3").await.unwrap().is_none(), "{backend}");
        assert!(s.get_user("u1").await.unwrap().is_none(), "{backend}");
        assert!(s.get_group("g1").await.unwrap().is_none(), "{backend}");
        assert!(s.list_assignments(&AssignmentFilter::default()).await.unwrap().is_empty(), "{backend}");
        assert!(s.get_project("other").await.unwrap().is_some(), "{backend}: other domains are untouched");
        assert!(s.get_role("r1").await.unwrap().is_some(), "{backend}: global roles are untouched");
    }
}

#[tokio::test]
async fn catalog_app_creds_and_revocations() {
    for (t, s) in stores().await {
        let backend = t.db.backend();
        s.create_region(&RegionRow { id: "R".into(), description: String::new(), parent_region_id: None, extra: Map::new() })
            .await
            .unwrap();
        let svc = ServiceRow {
            id: "s1".into(),
            service_type: "compute".into(),
            enabled: true,
            extra: json!({"name": "nova"}).as_object().cloned().unwrap(),
        };
        s.create_service(&svc).await.unwrap();
        let ep = EndpointRow {
            id: "e1".into(),
            service_id: "s1".into(),
            interface: "public".into(),
            url: "http://x".into(),
            region_id: Some("R".into()),
            enabled: true,
            extra: Map::new(),
        };
        s.create_endpoint(&ep).await.unwrap();
        assert!(matches!(s.delete_region("R").await, Err(StoreError::Reference)), "{backend}: a region in use stays");
        assert!(s.delete_service("s1").await.unwrap(), "{backend}");
        assert!(s.list_endpoints().await.unwrap().is_empty(), "{backend}: endpoints go with their service");

        s.create_domain(&domain("d1", "One")).await.unwrap();
        s.create_user(&user("u1", "alice", "d1"), None).await.unwrap();
        let cred = AppCredRow {
            id: "a1".into(),
            name: "ci".into(),
            user_id: "u1".into(),
            project_id: "p".into(),
            secret_hash: "h".into(),
            description: None,
            expires_at: Some(5),
            unrestricted: true,
            created_at: 1,
            role_ids: vec!["r1".into(), "r2".into()],
            access_rules: vec![AccessRuleRow {
                id: "rule1".into(),
                user_id: "u1".into(),
                service: "compute".into(),
                path: "/v2.1/servers/*/ips".into(),
                method: "GET".into(),
            }],
        };
        s.create_app_cred(&cred).await.unwrap();
        let back = s.get_app_cred_by_name("u1", "ci").await.unwrap().unwrap();
        assert!(back.unrestricted && back.role_ids.len() == 2, "{backend}");
        assert_eq!(back.access_rules, cred.access_rules, "{backend}");
        assert!(
            matches!(s.create_app_cred(&AppCredRow { id: "a2".into(), ..cred.clone() }).await, Err(StoreError::Duplicate)),
            "{backend}"
        );
        s.create_app_cred(&AppCredRow { id: "a3".into(), name: "ci-too".into(), ..cred.clone() }).await.unwrap();
        assert_eq!(s.list_access_rules("u1").await.unwrap().len(), 1, "{backend}: the rule is shared, not copied");
        assert_eq!(s.find_access_rule("u1", "compute", "/v2.1/servers/*/ips", "GET").await.unwrap().unwrap().id, "rule1", "{backend}");
        assert_eq!(s.delete_access_rule("rule1").await.unwrap(), AccessRuleDeletion::InUse, "{backend}");
        s.delete_app_cred("a3").await.unwrap();
        assert_eq!(s.delete_access_rule("rule1").await.unwrap(), AccessRuleDeletion::InUse, "{backend}: a1 still names it");
        s.delete_app_cred("a1").await.unwrap();
        assert_eq!(s.get_access_rule("rule1").await.unwrap().unwrap().user_id, "u1", "{backend}: rules outlive credentials");
        assert_eq!(s.delete_access_rule("rule1").await.unwrap(), AccessRuleDeletion::Deleted, "{backend}");
        assert_eq!(s.delete_access_rule("rule1").await.unwrap(), AccessRuleDeletion::Missing, "{backend}");
        s.create_app_cred(&cred).await.unwrap();

        for at in [10, 20, 30] {
            s.create_revocation(&RevocationRow { user_id: Some("u1".into()), issued_before: at, revoked_at: at, ..Default::default() })
                .await
                .unwrap();
        }
        assert_eq!(s.list_revocations_since(20).await.unwrap().len(), 2, "{backend}");
        assert_eq!(s.prune_revocations(25).await.unwrap(), 2, "{backend}");
        assert_eq!(s.list_revocations_since(0).await.unwrap().len(), 1, "{backend}");
    }
}

#[tokio::test]
async fn trusts_spend_uses_atomically_and_blobs_round_trip() {
    for (t, s) in stores().await {
        let backend = t.db.backend();
        let trust = |id: &str, uses: Option<i64>| TrustRow {
            id: id.into(),
            trustor_user_id: "u1".into(),
            trustee_user_id: "u2".into(),
            project_id: Some("p".into()),
            impersonation: true,
            expires_at: None,
            remaining_uses: uses,
            allow_redelegation: false,
            redelegation_count: 0,
            redelegated_trust_id: None,
            role_ids: vec!["r1".into()],
            extra: Map::new(),
        };
        s.create_trust(&trust("limited", Some(2))).await.unwrap();
        s.create_trust(&trust("unlimited", None)).await.unwrap();
        s.create_trust(&TrustRow { redelegated_trust_id: Some("unlimited".into()), ..trust("child", None) }).await.unwrap();
        assert_eq!(s.list_redelegated_trust_ids("unlimited").await.unwrap(), vec!["child"], "{backend}");
        assert_eq!(s.get_trust("child").await.unwrap().unwrap().redelegated_trust_id.as_deref(), Some("unlimited"), "{backend}");
        assert_eq!(s.delete_trusts(&["child".into(), "missing".into()]).await.unwrap(), 1, "{backend}");
        let spent: Vec<bool> = spend_concurrently(&s, "limited", 3).await;
        assert_eq!(spent.iter().filter(|ok| **ok).count(), 2, "{backend}: two uses, three attempts");
        assert_eq!(s.get_trust("limited").await.unwrap().unwrap().remaining_uses, Some(0), "{backend}");
        assert!(s.consume_trust_use("unlimited").await.unwrap(), "{backend}");
        assert!(!s.consume_trust_use("missing").await.unwrap(), "{backend}");
        assert_eq!(s.get_trust("unlimited").await.unwrap().unwrap().role_ids, vec!["r1"], "{backend}");
        assert!(s.delete_trust("limited").await.unwrap());
        assert_eq!(s.list_trusts().await.unwrap().len(), 1, "{backend}");

        let cred = CredentialRow {
            id: "c1".into(),
            user_id: "u1".into(),
            project_id: None,
            credential_type: "cert".into(),
            encrypted_blob: "sealed".into(),
            key_hash: Some("k1".into()),
            extra: Map::new(),
        };
        s.create_credential(&cred).await.unwrap();
        assert_eq!(s.list_credentials(Some("u1")).await.unwrap()[0].encrypted_blob, "sealed", "{backend}");
        s.update_credential(&CredentialRow { key_hash: Some("k2".into()), ..cred.clone() }).await.unwrap();
        assert_eq!(s.get_credential("c1").await.unwrap().unwrap().key_hash.as_deref(), Some("k2"), "{backend}");
        assert!(s.list_credentials(Some("u2")).await.unwrap().is_empty(), "{backend}");
        let policy = PolicyRow { id: "p1".into(), policy_type: "application/json".into(), blob: "{}".into(), extra: Map::new() };
        s.create_policy(&policy).await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        assert_eq!(s.get_policy("p1").await.unwrap().unwrap().blob, "{}", "{backend}");
    }
}

/// Tries to spend `n` uses of a trust concurrently.
async fn spend_concurrently(s: &Store, id: &str, n: usize) -> Vec<bool> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (s, id) = (s.clone(), id.to_owned());
            tokio::spawn(async move { s.consume_trust_use(&id).await.unwrap() })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test]
async fn limits_are_unique_per_region_including_none() {
    for (t, s) in stores().await {
        let backend = t.db.backend();
        let reg = |id: &str, region: Option<&str>| RegisteredLimitRow {
            id: id.into(),
            service_id: "svc".into(),
            region_id: region.map(str::to_owned),
            resource_name: "cores".into(),
            default_limit: 10,
            description: None,
        };
        s.create_registered_limits(&[reg("a", None), reg("b", Some("R1"))]).await.unwrap();
        assert!(
            matches!(s.create_registered_limits(&[reg("c", None)]).await, Err(StoreError::Duplicate)),
            "{backend}: one default per region, 'no region' included"
        );
        assert!(
            matches!(s.create_registered_limits(&[reg("d", Some("R2")), reg("e", Some("R1"))]).await, Err(StoreError::Duplicate)),
            "{backend}"
        );
        let all = s.list_registered_limits().await.unwrap();
        assert_eq!(all.len(), 2, "{backend}: a failed batch writes nothing");
        assert_eq!(all.iter().find(|l| l.id == "a").unwrap().region_id, None, "{backend}");
        let limit = LimitRow {
            id: "l1".into(),
            target_type: "project".into(),
            target_id: "p1".into(),
            service_id: "svc".into(),
            region_id: Some("R1".into()),
            resource_name: "cores".into(),
            resource_limit: 4,
            description: Some("d".into()),
        };
        s.create_limits(std::slice::from_ref(&limit)).await.unwrap();
        s.update_limit(&LimitRow { resource_limit: 8, ..limit.clone() }).await.unwrap();
        assert_eq!(s.list_limits().await.unwrap()[0].resource_limit, 8, "{backend}");
        assert!(s.delete_limit("l1").await.unwrap() && !s.delete_limit("l1").await.unwrap(), "{backend}");
    }
}

#[tokio::test]
async fn endpoint_associations_follow_their_parts() {
    for (t, s) in stores().await {
        let backend = t.db.backend();
        s.create_domain(&domain("d1", "One")).await.unwrap();
        s.create_project(&project("p1", "a", "d1", None)).await.unwrap();
        let svc = ServiceRow { id: "s1".into(), service_type: "compute".into(), enabled: true, extra: Map::new() };
        s.create_service(&svc).await.unwrap();
        let ep = EndpointRow {
            id: "e1".into(),
            service_id: "s1".into(),
            interface: "public".into(),
            url: "http://x".into(),
            region_id: None,
            enabled: true,
            extra: Map::new(),
        };
        s.create_endpoint(&ep).await.unwrap();
        let group = EndpointGroupRow {
            id: "g1".into(),
            name: "g".into(),
            description: None,
            filters: json!({"service_id": "s1"}).as_object().cloned().unwrap(),
        };
        s.create_endpoint_group(&group).await.unwrap();
        s.add_endpoint_association(false, "e1", "p1").await.unwrap();
        s.add_endpoint_association(false, "e1", "p1").await.unwrap();
        s.add_endpoint_association(true, "g1", "p1").await.unwrap();
        assert_eq!(
            s.list_project_endpoints().await.unwrap(),
            vec![("p1".to_owned(), "e1".to_owned())],
            "{backend}: associating twice stores once"
        );
        assert_eq!(s.list_endpoint_groups().await.unwrap()[0].filters["service_id"], "s1", "{backend}");
        assert!(s.delete_endpoint("e1").await.unwrap());
        assert!(s.list_project_endpoints().await.unwrap().is_empty(), "{backend}: an endpoint's associations go with it");
        s.delete_project("p1").await.unwrap();
        assert!(s.list_project_endpoint_groups().await.unwrap().is_empty(), "{backend}: a project's associations go with it");
    }
}
