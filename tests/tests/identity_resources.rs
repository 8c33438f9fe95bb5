//! Identity resources over HTTP: CRUD, hierarchy, grants, assignments and policy.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use system_tests::{Reply, TestCloud};

/// A caller: a cloud and a token to call it with.
struct Caller<'a> {
    c: &'a TestCloud,
    token: String,
}

impl Caller<'_> {
    async fn admin(c: &TestCloud) -> Caller<'_> {
        Caller { token: c.admin_token().await, c }
    }
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.c.call(method, &self.c.v3(path), Some(&self.token), body).await
    }
    async fn create(&self, path: &str, key: &str, body: Value) -> Value {
        let r = self.call(Method::POST, path, Some(json!({key: body}))).await;
        assert_eq!(r.status, StatusCode::CREATED, "POST {path}: {}", r.body);
        r.body[key].clone()
    }
    async fn id_of(&self, path: &str, key: &str) -> String {
        let r = self.call(Method::GET, path, None).await;
        r.body[key][0]["id"].as_str().unwrap_or_else(|| panic!("GET {path}: {}", r.body)).to_owned()
    }
}

#[tokio::test]
async fn projects_hierarchy_tags_and_duplicates() {
    let c = TestCloud::start().await;
    let a = Caller::admin(&c).await;
    let top = a.create("/projects", "project", json!({"name": "top", "tags": ["x", "y"], "flavor": "vanilla"})).await;
    assert_eq!(top["parent_id"], "default", "a top-level project's parent is its domain");
    assert_eq!(top["flavor"], "vanilla", "extra attributes are kept");
    let child = a.create("/projects", "project", json!({"name": "child", "parent_id": top["id"]})).await;
    let dup = a.call(Method::POST, "/projects", Some(json!({"project": {"name": "top"}}))).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert!(dup.body["error"]["message"].as_str().unwrap().contains("Duplicate entry"));
    let long = a.call(Method::POST, "/projects", Some(json!({"project": {"name": "n".repeat(65)}}))).await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST, "project names are at most 64 characters");
    assert!(long.body["error"]["message"].as_str().unwrap().contains("'project.name'"));

    let shown = a.call(Method::GET, &format!("/projects/{}?subtree_as_ids", top["id"].as_str().unwrap()), None).await;
    assert_eq!(shown.body["project"]["subtree"], json!([child["id"]]));
    let parents = a.call(Method::GET, &format!("/projects/{}?parents_as_ids", child["id"].as_str().unwrap()), None).await;
    assert_eq!(parents.body["project"]["parents"], json!([top["id"]]));
    let tagged = a.call(Method::GET, "/projects?tags=x,y", None).await;
    assert_eq!(tagged.body["projects"].as_array().unwrap().len(), 1);
    assert_eq!(a.call(Method::GET, "/projects?tags-any=y,z", None).await.body["projects"][0]["name"], "top");

    let top_id = top["id"].as_str().unwrap();
    let busy = a.call(Method::DELETE, &format!("/projects/{top_id}"), None).await;
    assert_eq!(busy.status, StatusCode::FORBIDDEN, "a project with children stays");
    let disable = a.call(Method::PATCH, &format!("/projects/{top_id}"), Some(json!({"project": {"enabled": false}}))).await;
    assert_eq!(disable.status, StatusCode::FORBIDDEN, "enabled children forbid disabling");
    let domain_change = a.call(Method::PATCH, &format!("/projects/{top_id}"), Some(json!({"project": {"domain_id": "elsewhere"}}))).await;
    assert_eq!(domain_change.status, StatusCode::BAD_REQUEST);
    let same_id =
        a.call(Method::PATCH, &format!("/projects/{top_id}"), Some(json!({"project": {"id": top_id, "description": "same id"}}))).await;
    assert_eq!(same_id.status, StatusCode::OK, "an update may repeat the id");
    let other_id = a.call(Method::PATCH, &format!("/projects/{top_id}"), Some(json!({"project": {"id": "another"}}))).await;
    assert_eq!(other_id.status, StatusCode::BAD_REQUEST, "but not change it");
    assert_eq!(a.call(Method::DELETE, &format!("/projects/{}", child["id"].as_str().unwrap()), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(a.call(Method::DELETE, &format!("/projects/{top_id}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(a.call(Method::GET, &format!("/projects/{top_id}"), None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn domains_must_be_disabled_before_deletion_and_take_their_contents() {
    let c = TestCloud::start().await;
    let a = Caller::admin(&c).await;
    let d = a.create("/domains", "domain", json!({"name": "acme"})).await;
    let id = d["id"].as_str().unwrap();
    let user = a.create("/users", "user", json!({"name": "wile", "domain_id": id, "password": "pw"})).await;
    let (token, _) = c
        .call(Method::POST, &c.v3("/auth/tokens"), None, Some(json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "wile", "domain": {"name": "acme"}, "password": "pw"}}}}})))
        .await
        .headers
        .get("x-subject-token")
        .map(|t| (t.to_str().unwrap().to_owned(), ()))
        .expect("user of the new domain authenticates");
    let refused = a.call(Method::DELETE, &format!("/domains/{id}"), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body["error"]["message"].as_str().unwrap().contains("disable it first"));
    assert_eq!(a.call(Method::PATCH, &format!("/domains/{id}"), Some(json!({"domain": {"enabled": false}}))).await.status, StatusCode::OK);
    let after = c.call_with(Method::GET, &c.v3("/auth/tokens"), Some(&a.token), None, &[("X-Subject-Token", &token)]).await;
    assert_eq!(after.status, StatusCode::NOT_FOUND, "disabling a domain revokes its users' tokens");
    assert_eq!(a.call(Method::DELETE, &format!("/domains/{id}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(a.call(Method::GET, &format!("/users/{}", user["id"].as_str().unwrap()), None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn grants_groups_and_effective_assignments() {
    let c = TestCloud::start().await;
    let a = Caller::admin(&c).await;
    let user = a.create("/users", "user", json!({"name": "bob", "password": "pw-bob"})).await;
    let uid = user["id"].as_str().unwrap().to_owned();
    let group = a.create("/groups", "group", json!({"name": "ops"})).await;
    let gid = group["id"].as_str().unwrap().to_owned();
    let project = a.create("/projects", "project", json!({"name": "work"})).await;
    let pid = project["id"].as_str().unwrap().to_owned();
    let member = a.id_of("/roles?name=member", "roles").await;
    assert_eq!(a.call(Method::PUT, &format!("/groups/{gid}/users/{uid}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(a.call(Method::HEAD, &format!("/groups/{gid}/users/{uid}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(a.call(Method::PUT, &format!("/projects/{pid}/groups/{gid}/roles/{member}"), None).await.status, StatusCode::NO_CONTENT);

    let scope = json!({"project": {"id": pid}});
    let (_, body) = c.password_token("bob", "pw-bob", Some(scope.clone())).await.expect("a group grant is enough");
    let names: Vec<&str> = body["token"]["roles"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"member") && names.contains(&"reader"));

    let direct = a.call(Method::GET, &format!("/role_assignments?scope.project.id={pid}"), None).await;
    assert_eq!(direct.body["role_assignments"].as_array().unwrap().len(), 1);
    assert_eq!(direct.body["role_assignments"][0]["group"]["id"], gid.as_str());
    let effective = a.call(Method::GET, &format!("/role_assignments?effective&include_names&user.id={uid}"), None).await;
    let list = effective.body["role_assignments"].as_array().unwrap();
    assert_eq!(list.len(), 2, "member through the group, and reader implied by it: {list:?}");
    assert!(list.iter().all(|e| e["user"]["name"] == "bob" && e["scope"]["project"]["name"] == "work"));
    assert!(list.iter().all(|e| e["links"]["membership"].as_str().unwrap().ends_with(&format!("/groups/{gid}/users/{uid}"))));
    let bad = a.call(Method::GET, &format!("/role_assignments?effective&group.id={gid}"), None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let domain_role = a.create("/roles", "role", json!({"name": "dr", "domain_id": "default"})).await;
    let dr = domain_role["id"].as_str().unwrap();
    assert_eq!(a.call(Method::PUT, &format!("/projects/{pid}/users/{uid}/roles/{dr}"), None).await.status, StatusCode::NO_CONTENT);
    let stored = a.call(Method::GET, &format!("/role_assignments?user.id={uid}&role.id={dr}"), None).await;
    assert_eq!(stored.body["role_assignments"].as_array().unwrap().len(), 1, "the domain role is granted");
    let effective = a.call(Method::GET, &format!("/role_assignments?effective&user.id={uid}&role.id={dr}"), None).await;
    assert_eq!(effective.body["role_assignments"], json!([]), "but never effective by itself");

    let (tok, _) = c.password_token("bob", "pw-bob", Some(scope.clone())).await.unwrap();
    assert_eq!(a.call(Method::DELETE, &format!("/projects/{pid}/groups/{gid}/roles/{member}"), None).await.status, StatusCode::NO_CONTENT);
    let revoked = c.call_with(Method::GET, &c.v3("/auth/tokens"), Some(&a.token), None, &[("X-Subject-Token", &tok)]).await;
    assert_eq!(revoked.status, StatusCode::NOT_FOUND, "removing the grant revokes tokens it gave");
    assert_eq!(c.password_token("bob", "pw-bob", Some(scope)).await.unwrap_err().status, StatusCode::UNAUTHORIZED);

    let inherited = format!("/OS-INHERIT/domains/default/users/{uid}/roles/{member}/inherited_to_projects");
    assert_eq!(a.call(Method::PUT, &inherited, None).await.status, StatusCode::NO_CONTENT);
    assert!(c.password_token("bob", "pw-bob", Some(json!({"project": {"id": pid}}))).await.is_ok(), "inherited from the domain");
    let listed = a.call(Method::GET, &format!("/users/{uid}/projects"), None).await;
    assert!(listed.body["projects"].as_array().unwrap().iter().any(|p| p["id"] == pid.as_str()));
}

#[tokio::test]
async fn roles_implications_and_their_limits() {
    let c = TestCloud::start().await;
    let a = Caller::admin(&c).await;
    let one = a.create("/roles", "role", json!({"name": "one"})).await;
    let two = a.create("/roles", "role", json!({"name": "two"})).await;
    let (r1, r2) = (one["id"].as_str().unwrap(), two["id"].as_str().unwrap());
    let put = a.call(Method::PUT, &format!("/roles/{r1}/implies/{r2}"), None).await;
    assert_eq!(put.status, StatusCode::CREATED);
    assert_eq!(put.body["role_inference"]["implies"]["id"], r2);
    let cycle = a.call(Method::PUT, &format!("/roles/{r2}/implies/{r1}"), None).await;
    assert_eq!(cycle.status, StatusCode::FORBIDDEN, "cycles are refused");
    let admin_role = a.id_of("/roles?name=admin", "roles").await;
    assert_eq!(
        a.call(Method::PUT, &format!("/roles/{r1}/implies/{admin_role}"), None).await.status,
        StatusCode::FORBIDDEN,
        "nothing may imply admin"
    );
    let d1 = a.create("/roles", "role", json!({"name": "d1", "domain_id": "default"})).await;
    let d2 = a.create("/roles", "role", json!({"name": "d2", "domain_id": "default"})).await;
    let (d1, d2) = (d1["id"].as_str().unwrap(), d2["id"].as_str().unwrap());
    assert_eq!(
        a.call(Method::PUT, &format!("/roles/{r1}/implies/{d1}"), None).await.status,
        StatusCode::FORBIDDEN,
        "a global role cannot imply a domain role"
    );
    assert_eq!(
        a.call(Method::PUT, &format!("/roles/{d1}/implies/{d2}"), None).await.status,
        StatusCode::CREATED,
        "domain roles may imply domain roles"
    );
    assert_eq!(a.call(Method::PUT, &format!("/roles/{d2}/implies/{r1}"), None).await.status, StatusCode::CREATED, "and global ones");
    let inferences = a.call(Method::GET, "/role_inferences", None).await;
    assert!(inferences.body["role_inferences"].as_array().unwrap().iter().any(|r| r["prior_role"]["id"] == r1));
    let dup = a.call(Method::POST, "/roles", Some(json!({"role": {"name": "one"}}))).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let scoped = a.create("/roles", "role", json!({"name": "one", "domain_id": "default"})).await;
    assert_eq!(scoped["domain_id"], "default", "a domain role may share a global role's name");
    let list = a.call(Method::GET, "/roles", None).await;
    assert!(list.body["roles"].as_array().unwrap().iter().all(|r| r["domain_id"].is_null()), "global roles only by default");
    assert_eq!(a.call(Method::DELETE, &format!("/roles/{r2}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(a.call(Method::GET, &format!("/roles/{r1}/implies/{r2}"), None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn catalog_administration_shows_up_in_tokens() {
    let c = TestCloud::start().await;
    let a = Caller::admin(&c).await;
    let region = a.call(Method::PUT, "/regions/West", Some(json!({"region": {"description": "west"}}))).await;
    assert_eq!(region.status, StatusCode::CREATED);
    let svc = a.create("/services", "service", json!({"type": "block-storage", "name": "cinder"})).await;
    let bad = a
        .call(Method::POST, "/endpoints", Some(json!({"endpoint": {"service_id": svc["id"], "interface": "sideways", "url": "http://x"}})))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let unknown_region = a
        .call(
            Method::POST,
            "/endpoints",
            Some(json!({"endpoint": {"service_id": svc["id"], "interface": "admin", "url": "http://x", "region_id": "Nowhere"}})),
        )
        .await;
    assert_eq!(unknown_region.status, StatusCode::BAD_REQUEST, "region_id must name a region");
    let legacy = a
        .create("/endpoints", "endpoint", json!({"service_id": svc["id"], "interface": "internal", "url": "http://x", "region": "Legacy"}))
        .await;
    assert_eq!(legacy["region_id"], "Legacy", "the legacy region field creates the region");
    assert_eq!(a.call(Method::GET, "/regions/Legacy", None).await.status, StatusCode::OK);
    let moved = a
        .call(Method::PATCH, &format!("/endpoints/{}", legacy["id"].as_str().unwrap()), Some(json!({"endpoint": {"region": "Legacy2"}})))
        .await;
    assert_eq!(moved.body["endpoint"]["region_id"], "Legacy2", "so does an update naming it: {}", moved.body);
    let ep = a
        .create(
            "/endpoints",
            "endpoint",
            json!({"service_id": svc["id"], "interface": "public", "url": "http://cinder:8776/v3", "region_id": "West"}),
        )
        .await;
    assert_eq!(ep["region"], "West");
    let catalog = a.call(Method::GET, "/auth/catalog", None).await;
    let block_storage = catalog.body["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["type"] == "block-storage")
        .cloned()
        .expect("new service in the catalog");
    assert_eq!(block_storage["name"], "cinder");
    assert!(
        block_storage["endpoints"].as_array().unwrap().iter().any(|e| e["url"] == "http://cinder:8776/v3" && e["interface"] == "public")
    );
    let in_use = a.call(Method::DELETE, "/regions/West", None).await;
    assert_eq!(in_use.status, StatusCode::FORBIDDEN, "a region with endpoints stays");
    assert_eq!(a.call(Method::DELETE, &format!("/services/{}", svc["id"].as_str().unwrap()), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(a.call(Method::DELETE, "/regions/West", None).await.status, StatusCode::NO_CONTENT);
    let catalog = a.call(Method::GET, "/auth/catalog", None).await;
    assert!(catalog.body["catalog"].as_array().unwrap().iter().all(|s| s["type"] != "block-storage"));
}

#[tokio::test]
async fn policy_keeps_members_to_themselves() {
    let c = TestCloud::start().await;
    let a = Caller::admin(&c).await;
    let project = a.create("/projects", "project", json!({"name": "mine"})).await;
    let user = a.create("/users", "user", json!({"name": "carol", "password": "pw-carol", "default_project_id": project["id"]})).await;
    let uid = user["id"].as_str().unwrap();
    let member = a.id_of("/roles?name=member", "roles").await;
    a.call(Method::PUT, &format!("/projects/{}/users/{uid}/roles/{member}", project["id"].as_str().unwrap()), None).await;
    let (token, body) = c.password_token("carol", "pw-carol", None).await.unwrap();
    assert_eq!(body["token"]["project"]["name"], "mine");
    let carol = Caller { c: &c, token: token.clone() };
    assert_eq!(carol.call(Method::GET, &format!("/users/{uid}"), None).await.status, StatusCode::OK, "users read themselves");
    assert_eq!(carol.call(Method::GET, &format!("/users/{uid}/projects"), None).await.body["projects"][0]["name"], "mine");
    assert_eq!(carol.call(Method::GET, "/auth/projects", None).await.body["projects"].as_array().unwrap().len(), 1);
    let listing = carol.call(Method::GET, "/users", None).await;
    assert_eq!(listing.status, StatusCode::FORBIDDEN);
    assert_eq!(listing.body["error"]["message"], "You are not authorized to perform the requested action: identity:list_users.");
    let admin_id = a.id_of("/users?name=admin", "users").await;
    assert_eq!(carol.call(Method::GET, &format!("/users/{admin_id}"), None).await.status, StatusCode::FORBIDDEN);
    let create = c.call(Method::POST, &c.v3("/projects"), Some(&token), Some(json!({"project": {"name": "nope"}}))).await;
    assert_eq!(create.status, StatusCode::FORBIDDEN);
    assert_eq!(a.call(Method::GET, "/projects?name=nope", None).await.body["projects"], json!([]), "nothing half-written");
}

#[tokio::test]
async fn projects_acting_as_domains() {
    let c = TestCloud::start().await;
    let a = Caller::admin(&c).await;
    let made = a.create("/projects", "project", json!({"name": "dom-proj", "is_domain": true, "domain_id": null})).await;
    assert_eq!(made["is_domain"], true);
    let id = made["id"].as_str().unwrap();
    let as_projects = a.call(Method::GET, "/projects?is_domain=true", None).await;
    assert!(as_projects.body["projects"].as_array().unwrap().iter().any(|p| p["id"] == id));
    let as_domains = a.call(Method::GET, "/domains", None).await;
    assert!(as_domains.body["domains"].as_array().unwrap().iter().any(|d| d["id"] == id), "it is a domain too");
    assert!(
        a.call(Method::GET, "/projects", None).await.body["projects"].as_array().unwrap().iter().all(|p| p["id"] != id),
        "but not an ordinary project"
    );
    assert_eq!(a.call(Method::GET, &format!("/projects/{id}"), None).await.body["project"]["is_domain"], true);
    assert_eq!(a.call(Method::DELETE, &format!("/projects/{id}"), None).await.status, StatusCode::FORBIDDEN, "enabled: disable it first");
    let disabled = a.call(Method::PATCH, &format!("/projects/{id}"), Some(json!({"project": {"enabled": false}}))).await;
    assert_eq!(disabled.body["project"]["enabled"], false);
    assert_eq!(a.call(Method::DELETE, &format!("/projects/{id}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(a.call(Method::GET, &format!("/domains/{id}"), None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_paths_and_methods_get_error_bodies() {
    let c = TestCloud::start().await;
    let a = Caller::admin(&c).await;
    let missing = a.call(Method::GET, "/OS-NOPE/things", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["error"]["code"], 404);
    let wrong = a.call(Method::PUT, "/users", None).await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong.body["error"]["code"], 405);
    for (method, path) in [
        (Method::PUT, "/domains/default/config"),
        (Method::GET, "/domains/default/config/ldap/url"),
        (Method::GET, "/domains/config/default"),
        (Method::POST, "/OS-OAUTH1/consumers"),
        (Method::GET, "/OS-FEDERATION/identity_providers"),
    ] {
        let absent = a.call(method.clone(), path, Some(json!({}))).await;
        assert_eq!(absent.status, StatusCode::NOT_IMPLEMENTED, "{method} {path}");
        assert!(absent.body["error"]["message"].as_str().unwrap().contains("not implemented"), "{method} {path}: {}", absent.body);
    }
    assert_eq!(a.call(Method::GET, "/domains/default", None).await.status, StatusCode::OK, "real domain routes are untouched");
    let elsewhere = c.call(Method::GET, &format!("{}/nothing-here", c.cloud.base_url), None, None).await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    assert_eq!(elsewhere.body["error"]["code"], 404);
}

#[tokio::test]
async fn lists_are_truncated_at_list_limit() {
    let mut config = ferrostack::Config::default();
    config.identity.list_limit = Some(2);
    let c = TestCloud::start_with(config).await;
    let a = Caller::admin(&c).await;
    let projects = a.call(Method::GET, "/projects", None).await;
    assert_eq!(projects.body["projects"].as_array().unwrap().len(), 2, "three projects exist, two are listed");
    assert_eq!(projects.body["truncated"], true);
    let domains = a.call(Method::GET, "/domains", None).await;
    assert!(domains.body.get("truncated").is_none(), "the one domain fits");
}

#[tokio::test]
async fn a_policy_file_in_the_data_dir_overrides_defaults() {
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    let made = c.call(Method::POST, &c.v3("/users"), Some(&admin), Some(json!({"user": {"name": "pat", "password": "pw-pat"}}))).await;
    assert_eq!(made.status, StatusCode::CREATED);
    let (token, _) = c.password_token("pat", "pw-pat", Some(json!("unscoped"))).await.unwrap();
    assert_eq!(c.call(Method::GET, &c.v3("/regions"), Some(&token), None).await.status, StatusCode::OK, "anyone lists regions by default");
    std::fs::write(c.dir.path().join("policy.yaml"), "\"identity:list_regions\": \"role:admin\"\n").unwrap();
    let c = c.restart(ferrostack::Config::default()).await;
    let (token, _) = c.password_token("pat", "pw-pat", Some(json!("unscoped"))).await.unwrap();
    let refused = c.call(Method::GET, &c.v3("/regions"), Some(&token), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "the operator's rule applies");
    assert_eq!(c.call(Method::GET, &c.v3("/regions"), Some(&admin), None).await.status, StatusCode::OK);
}
