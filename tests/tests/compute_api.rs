//! The compute API over HTTP: version documents and microversion negotiation, Nova's
//! error bodies, flavors (defaults, management, visibility, extra specs, access lists,
//! paging) and key pairs (import, generation, per-user names, microversion changes).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use system_tests::{Reply, TestCloud};

struct Api<'a> {
    c: &'a TestCloud,
    token: String,
}

impl Api<'_> {
    async fn at(&self, version: &str, method: Method, path: &str, body: Option<Value>) -> Reply {
        let header = format!("compute {version}");
        self.c
            .call_with(method, &self.c.compute(&format!("/v2.1{path}")), Some(&self.token), body, &[("OpenStack-API-Version", &header)])
            .await
    }
}

fn fault<'a>(r: &'a Reply, name: &str) -> &'a str {
    assert_eq!(r.body[name]["code"], r.status.as_u16(), "{}", r.body);
    r.body[name]["message"].as_str().unwrap_or_default()
}

const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFaN82ydGaWo46z3qHyl/SGOX1MMMCEo+SVO/j79BrE0 user@host";

#[tokio::test]
async fn versions_and_microversions_are_negotiated_as_nova_does() {
    let c = TestCloud::start().await;
    let root = c.call(Method::GET, &c.compute("/"), None, None).await;
    assert_eq!(root.status, StatusCode::OK);
    let legacy = &root.body["versions"][0];
    assert_eq!((legacy["id"].as_str(), legacy["status"].as_str()), (Some("v2.0"), Some("SUPPORTED")), "v2.0 is listed first, as Nova does");
    let v = &root.body["versions"][1];
    assert_eq!((v["id"].as_str(), v["status"].as_str(), v["min_version"].as_str()), (Some("v2.1"), Some("CURRENT"), Some("2.1")));
    assert_eq!(v["links"][0]["href"], c.compute("/v2.1/"));
    let one = c.call(Method::GET, &c.compute("/v2.1/"), None, None).await;
    assert_eq!(one.headers["openstack-api-version"], "compute 2.1");
    assert_eq!(c.call(Method::GET, &c.compute("/v2.1"), None, None).await.body, one.body);
    assert_eq!(one.body["version"]["media-types"][0]["type"], "application/vnd.openstack.compute+json;version=2.1");
    assert_eq!(one.body["version"]["version"], v["version"]);

    let catalog = c.call(Method::GET, &c.v3("/auth/catalog"), Some(&c.admin_token().await), None).await;
    let compute = catalog.body["catalog"].as_array().unwrap().iter().find(|s| s["type"] == "compute").expect("compute in the catalog");
    assert_eq!(compute["endpoints"][0]["url"], c.compute("/v2.1"));

    let api = Api { c: &c, token: c.admin_token().await };
    // The legacy v2 API: v2.1's routes at 2.1, whatever version is asked for.
    let v2 = c.call(Method::GET, &c.compute("/v2/"), None, None).await;
    assert_eq!((v2.status, v2.body["version"]["id"].as_str()), (StatusCode::OK, Some("v2.0")));
    let flavors = c
        .call_with(Method::GET, &c.compute("/v2/flavors/detail"), Some(&api.token), None, &[("OpenStack-API-Version", "compute 2.61")])
        .await;
    assert_eq!(flavors.status, StatusCode::OK);
    assert!(flavors.body["flavors"][0].get("extra_specs").is_none(), "served at 2.1: {}", flavors.body);
    assert!(flavors.headers.get("openstack-api-version").is_none());
    let r = api.at("2.53", Method::GET, "/flavors", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["openstack-api-version"], "compute 2.53");
    assert_eq!(r.headers["x-openstack-nova-api-version"], "2.53");
    assert_eq!(r.headers["x-compute-request-id"], r.headers["x-openstack-request-id"]);
    let legacy =
        c.call_with(Method::GET, &c.compute("/v2.1/flavors"), Some(&api.token), None, &[("X-OpenStack-Nova-API-Version", "2.10")]).await;
    assert_eq!(legacy.headers["openstack-api-version"], "compute 2.10");
    let none = c.call(Method::GET, &c.compute("/v2.1/flavors"), Some(&api.token), None).await;
    assert_eq!(none.headers["openstack-api-version"], "compute 2.1", "no header means 2.1");

    let r = api.at("2.999", Method::GET, "/flavors", None).await;
    assert_eq!(r.status, StatusCode::NOT_ACCEPTABLE);
    assert!(fault(&r, "computeFault").starts_with("Version 2.999 is not supported by the API. Minimum is 2.1 and maximum is 2."));
    let r = api.at("2.x", Method::GET, "/flavors", None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(fault(&r, "badRequest"), "API Version String 2.x is of invalid format. Must be of format MajorNum.MinorNum.");

    let r = c.call(Method::GET, &c.compute("/v2.1/flavors"), None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = api.at("2.1", Method::GET, "/os-migrations", None).await;
    assert_eq!(r.status, StatusCode::NOT_IMPLEMENTED, "what is not built yet says so: {}", r.body);
    assert!(fault(&r, "notImplemented").contains("os-migrations"));
    let r = api.at("2.1", Method::GET, "/no-such-thing", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    fault(&r, "itemNotFound");
}

#[tokio::test]
async fn flavors_are_managed_by_admins_and_seen_as_nova_shows_them() {
    let c = TestCloud::start().await;
    let admin = Api { c: &c, token: c.admin_token().await };
    let member = c.project_member("flavor-user").await;
    let user = Api { c: &c, token: member.token.clone() };

    // A new cloud has devstack's flavors, sorted by id as strings.
    let r = user.at("2.1", Method::GET, "/flavors", None).await;
    let ids: Vec<&str> = r.body["flavors"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["1", "2", "3", "4", "42", "5", "84"]);
    let tiny = user.at("2.1", Method::GET, "/flavors/1", None).await.body["flavor"].clone();
    assert_eq!(
        (tiny["name"].as_str(), tiny["ram"].as_i64(), tiny["disk"].as_i64(), tiny["vcpus"].as_i64()),
        (Some("m1.tiny"), Some(512), Some(1), Some(1))
    );
    assert_eq!(tiny["swap"], "", "before 2.75 no swap is an empty string");
    assert_eq!(tiny["links"][0]["href"], c.compute("/v2.1/flavors/1"));
    let tiny = user.at("2.75", Method::GET, "/flavors/1", None).await.body["flavor"].clone();
    assert_eq!((tiny["swap"].as_i64(), tiny["extra_specs"]["hw_rng:allowed"].as_str()), (Some(0), Some("True")));

    // Creating is for admins, with Nova's checks and codes.
    let body =
        json!({"flavor": {"name": "f.private", "ram": 256, "vcpus": 1, "disk": 1, "id": "priv", "os-flavor-access:is_public": false}});
    let r = user.at("2.55", Method::POST, "/flavors", Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(fault(&r, "forbidden"), "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed.");
    let r = admin.at("2.55", Method::POST, "/flavors", Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["flavor"]["os-flavor-access:is_public"], false);
    let r = admin.at("2.55", Method::POST, "/flavors", Some(body)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(fault(&r, "conflictingRequest"), "Flavor with ID priv already exists.");
    let r = admin.at("2.55", Method::POST, "/flavors", Some(json!({"flavor": {"name": "m1.tiny", "ram": 1, "vcpus": 1, "disk": 0}}))).await;
    assert_eq!(fault(&r, "conflictingRequest"), "Flavor with name m1.tiny already exists.");
    let r = admin.at("2.55", Method::POST, "/flavors", Some(json!({"flavor": {"name": "x", "ram": 0, "vcpus": 1, "disk": 0}}))).await;
    assert_eq!(fault(&r, "badRequest"), "Invalid input for field/attribute ram. Value: 0. 0 is less than the minimum of 1");
    let r = admin.at("2.55", Method::POST, "/flavors", Some(json!({"flavor": {"name": "gen", "ram": 64, "vcpus": 1, "disk": 0}}))).await;
    let generated = r.body["flavor"]["id"].as_str().unwrap().to_owned();
    assert!(generated.len() == 36 && generated.matches('-').count() == 4, "an omitted id is a UUID: {generated}");

    // A private flavor is invisible to projects it is not shared with, until it is.
    assert_eq!(user.at("2.1", Method::GET, "/flavors/priv", None).await.status, StatusCode::NOT_FOUND);
    let r = admin.at("2.7", Method::POST, "/flavors/1/action", Some(json!({"addTenantAccess": {"tenant": member.project_id}}))).await;
    assert_eq!(fault(&r, "conflictingRequest"), "Can not add access to a public flavor.");
    let r = admin.at("2.7", Method::POST, "/flavors/priv/action", Some(json!({"addTenantAccess": {"tenant": member.project_id}}))).await;
    assert_eq!(r.body["flavor_access"], json!([{"flavor_id": "priv", "tenant_id": member.project_id}]));
    let r = admin.at("2.7", Method::POST, "/flavors/priv/action", Some(json!({"addTenantAccess": {"tenant": member.project_id}}))).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(user.at("2.1", Method::GET, "/flavors/priv", None).await.status, StatusCode::OK);
    let listed = user.at("2.1", Method::GET, "/flavors", None).await;
    assert!(listed.body["flavors"].as_array().unwrap().iter().any(|f| f["id"] == "priv"));
    let r = admin.at("2.1", Method::GET, "/flavors/priv/os-flavor-access", None).await;
    assert_eq!(r.body["flavor_access"][0]["tenant_id"], member.project_id.as_str());
    let r = admin.at("2.1", Method::GET, "/flavors/1/os-flavor-access", None).await;
    assert_eq!(fault(&r, "itemNotFound"), "Access list not available for public flavors.");
    let r = admin.at("2.1", Method::GET, "/flavors/detail?is_public=false", None).await;
    let private: Vec<&str> = r.body["flavors"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(private, ["priv"]);
    let r = admin.at("2.7", Method::POST, "/flavors/priv/action", Some(json!({"removeTenantAccess": {"tenant": member.project_id}}))).await;
    assert_eq!(r.body["flavor_access"], json!([]));
    assert_eq!(user.at("2.1", Method::GET, "/flavors/priv", None).await.status, StatusCode::NOT_FOUND);

    // Extra specs: admins write, members read; validated from 2.86.
    let r = admin.at("2.85", Method::POST, "/flavors/1/os-extra_specs", Some(json!({"extra_specs": {"hw:numa_nodes": "0", "n": 5}}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["extra_specs"]["n"], 5, "the body is echoed as sent");
    let r = admin.at("2.86", Method::POST, "/flavors/1/os-extra_specs", Some(json!({"extra_specs": {"hw:numa_nodes": "0"}}))).await;
    assert_eq!(fault(&r, "badRequest"), "Validation failed; '0' is less than the min value of '1'.");
    let r = admin.at("2.86", Method::PUT, "/flavors/1/os-extra_specs/hw:cpu_policy", Some(json!({"hw:cpu_policy": "dedicated"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = admin.at("2.86", Method::PUT, "/flavors/1/os-extra_specs/a", Some(json!({"b": "1"}))).await;
    assert_eq!(fault(&r, "badRequest"), "Request body and URI mismatch");
    let r = user.at("2.1", Method::GET, "/flavors/1/os-extra_specs", None).await;
    assert_eq!((r.body["extra_specs"]["n"].as_str(), r.body["extra_specs"]["hw:cpu_policy"].as_str()), (Some("5"), Some("dedicated")));
    assert_eq!(user.at("2.1", Method::GET, "/flavors/1/os-extra_specs/n", None).await.body, json!({"n": "5"}));
    assert_eq!(user.at("2.1", Method::DELETE, "/flavors/1/os-extra_specs/n", None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(admin.at("2.1", Method::DELETE, "/flavors/1/os-extra_specs/n", None).await.status, StatusCode::OK);
    let r = admin.at("2.1", Method::GET, "/flavors/1/os-extra_specs/n", None).await;
    assert_eq!(fault(&r, "itemNotFound"), "Flavor 1 has no extra specs with key n.");

    // Description (2.55), paging, filters, delete.
    assert_eq!(
        admin.at("2.54", Method::PUT, "/flavors/priv", Some(json!({"flavor": {"description": "d"}}))).await.status,
        StatusCode::NOT_FOUND
    );
    let r = admin.at("2.55", Method::PUT, "/flavors/priv", Some(json!({"flavor": {"description": "small and private"}}))).await;
    assert_eq!(r.body["flavor"]["description"], "small and private");
    let r = user.at("2.1", Method::GET, "/flavors?limit=2&sort_key=memory_mb&sort_dir=desc", None).await;
    let names: Vec<&str> = r.body["flavors"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["m1.xlarge", "m1.large"]);
    let next = r.body["flavors_links"][0]["href"].as_str().expect("a full page links to the next");
    let more = c.call_with(Method::GET, next, Some(&user.token), None, &[]).await;
    assert_eq!(more.body["flavors"][0]["name"], "m1.medium");
    let r = user.at("2.1", Method::GET, "/flavors?minRam=4096&minDisk=50", None).await;
    assert_eq!(r.body["flavors"].as_array().unwrap().len(), 2, "{}", r.body);
    assert_eq!(fault(&user.at("2.1", Method::GET, "/flavors?marker=nope", None).await, "badRequest"), "marker [nope] not found");
    assert_eq!(user.at("2.75", Method::GET, "/flavors?bogus=1", None).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(user.at("2.74", Method::GET, "/flavors?bogus=1", None).await.status, StatusCode::OK);
    let r = admin.at("2.1", Method::DELETE, "/flavors/priv", None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = admin.at("2.1", Method::GET, "/flavors/priv", None).await;
    assert_eq!(fault(&r, "itemNotFound"), "Flavor priv could not be found.");
}

#[tokio::test]
async fn key_pairs_are_imported_generated_and_kept_per_user() {
    let c = TestCloud::start().await;
    let admin = Api { c: &c, token: c.admin_token().await };
    let member = c.project_member("key-user").await;
    let user = Api { c: &c, token: member.token.clone() };

    let r = user.at("2.1", Method::POST, "/os-keypairs", Some(json!({"keypair": {"name": "imported", "public_key": ED25519}}))).await;
    assert_eq!(r.status, StatusCode::OK, "2.1 answers 200: {}", r.body);
    assert_eq!(r.body["keypair"]["fingerprint"], "8f:d2:51:4d:b8:f5:6f:30:5e:e6:0d:a1:9d:e3:cc:cf");
    assert!(r.body["keypair"].get("type").is_none() && r.body["keypair"].get("private_key").is_none());
    let r = user.at("2.2", Method::POST, "/os-keypairs", Some(json!({"keypair": {"name": "generated"}}))).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(r.body["keypair"]["private_key"].as_str().unwrap().starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    assert!(r.body["keypair"]["public_key"].as_str().unwrap().starts_with("ssh-rsa "));
    assert_eq!(r.body["keypair"]["type"], "ssh");
    let r = user.at("2.2", Method::POST, "/os-keypairs", Some(json!({"keypair": {"name": "cert", "type": "x509"}}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(r.body["keypair"]["public_key"].as_str().unwrap().starts_with("-----BEGIN CERTIFICATE-----"));

    let r = user.at("2.2", Method::POST, "/os-keypairs", Some(json!({"keypair": {"name": "imported", "public_key": ED25519}}))).await;
    assert_eq!(fault(&r, "conflictingRequest"), "Key pair 'imported' already exists.");
    let r = user.at("2.2", Method::POST, "/os-keypairs", Some(json!({"keypair": {"name": "bad", "public_key": "ssh-rsa nonsense"}}))).await;
    assert_eq!(fault(&r, "badRequest"), "Keypair data is invalid: failed to generate fingerprint");
    let r = user.at("2.92", Method::POST, "/os-keypairs", Some(json!({"keypair": {"name": "gen92"}}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "2.92 no longer generates keys");
    let r = user.at("2.92", Method::POST, "/os-keypairs", Some(json!({"keypair": {"name": "me@host.x", "public_key": ED25519}}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    let r = user.at("2.35", Method::GET, "/os-keypairs?limit=2", None).await;
    let names: Vec<&str> = r.body["keypairs"].as_array().unwrap().iter().map(|k| k["keypair"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["cert", "generated"]);
    let next = r.body["keypairs_links"][0]["href"].as_str().expect("a full page links to the next");
    let rest = c.call_with(Method::GET, next, Some(&user.token), None, &[("OpenStack-API-Version", "compute 2.35")]).await;
    assert_eq!(rest.body["keypairs"].as_array().unwrap().len(), 2, "{}", rest.body);
    let r = user.at("2.2", Method::GET, "/os-keypairs/imported", None).await;
    let k = &r.body["keypair"];
    assert_eq!(
        (k["user_id"].as_str(), k["deleted"].as_bool(), k["type"].as_str()),
        (Some(member.user_id.as_str()), Some(false), Some("ssh"))
    );
    assert!(k["id"].is_i64() && k["created_at"].is_string());

    // Another user's key pairs are theirs: invisible to members, reachable by admins (2.10).
    let r = admin.at("2.2", Method::GET, "/os-keypairs/imported", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(fault(&r, "itemNotFound").starts_with("Keypair imported not found for user "));
    let path = format!("/os-keypairs/imported?user_id={}", member.user_id);
    assert_eq!(admin.at("2.10", Method::GET, &path, None).await.status, StatusCode::OK);
    let r = user.at("2.10", Method::GET, "/os-keypairs?user_id=someone-else", None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = admin
        .at(
            "2.10",
            Method::POST,
            "/os-keypairs",
            Some(json!({"keypair": {"name": "given", "public_key": ED25519, "user_id": member.user_id}})),
        )
        .await;
    assert_eq!(r.body["keypair"]["user_id"], member.user_id.as_str());

    assert_eq!(user.at("2.1", Method::DELETE, "/os-keypairs/imported", None).await.status, StatusCode::ACCEPTED);
    assert_eq!(user.at("2.2", Method::DELETE, "/os-keypairs/cert", None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(user.at("2.2", Method::DELETE, "/os-keypairs/cert", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn quotas_default_update_revert_and_bound_key_pairs() {
    let c = TestCloud::start().await;
    let admin = Api { c: &c, token: c.admin_token().await };
    let member = c.project_member("quota-user").await;
    let user = Api { c: &c, token: member.token.clone() };
    let project = member.project_id.clone();

    let shown = user.at("2.1", Method::GET, &format!("/os-quota-sets/{project}"), None).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    let defaults = user.at("2.1", Method::GET, &format!("/os-quota-sets/{project}/defaults"), None).await;
    assert_eq!(shown.body, defaults.body, "an untouched project has the defaults");
    assert_eq!((shown.body["quota_set"]["id"].as_str(), shown.body["quota_set"]["instances"].as_i64()), (Some(project.as_str()), Some(10)));
    assert_eq!(shown.body["quota_set"].as_object().unwrap().len(), 15, "14 resources and the id at 2.1");
    let latest = user.at("2.57", Method::GET, &format!("/os-quota-sets/{project}"), None).await;
    assert_eq!(latest.body["quota_set"].as_object().unwrap().len(), 8, "7 resources and the id from 2.57");
    assert_eq!(user.at("2.1", Method::GET, "/os-quota-sets/someone-elses", None).await.status, StatusCode::FORBIDDEN);

    let r = user.at("2.1", Method::PUT, &format!("/os-quota-sets/{project}"), Some(json!({"quota_set": {"ram": 0}}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = admin
        .at("2.1", Method::PUT, &format!("/os-quota-sets/{project}"), Some(json!({"quota_set": {"ram": "5120", "key_pairs": 1}})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body["quota_set"].get("id").is_none(), "an update shows no id");
    assert_eq!(r.body["quota_set"]["ram"], 5120);
    let detail = admin.at("2.1", Method::GET, &format!("/os-quota-sets/{project}/detail"), None).await;
    assert_eq!(detail.body["quota_set"]["ram"], json!({"limit": 5120, "in_use": 0, "reserved": 0}));
    let r = admin.at("2.57", Method::PUT, &format!("/os-quota-sets/{project}"), Some(json!({"quota_set": {"injected_files": 1}}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "injected files left at 2.57");

    // A user's limit may not exceed what the project has left.
    let path = format!("/os-quota-sets/{project}?user_id={}", member.user_id);
    let r = admin.at("2.1", Method::PUT, &path, Some(json!({"quota_set": {"ram": 6000}}))).await;
    assert_eq!(r.body["badRequest"]["message"], "Quota limit 6000 for ram must be less than or equal to 5120.");
    let r = admin.at("2.1", Method::PUT, &path, Some(json!({"quota_set": {"ram": 2048}}))).await;
    assert_eq!(r.body["quota_set"]["ram"], 2048);
    let r = admin.at("2.1", Method::PUT, &format!("/os-quota-sets/{project}"), Some(json!({"quota_set": {"ram": 1024}}))).await;
    assert_eq!(
        r.body["badRequest"]["message"],
        "Quota limit 1024 for ram must be greater than or equal to already used and reserved 2048."
    );
    let r =
        admin.at("2.1", Method::PUT, &format!("/os-quota-sets/{project}"), Some(json!({"quota_set": {"ram": 1024, "force": true}}))).await;
    assert_eq!(r.body["quota_set"]["ram"], 1024, "force skips the checks");

    // The key pair quota binds: one allowed.
    let key = |name: &str| json!({"keypair": {"name": name, "public_key": ED25519}});
    assert_eq!(user.at("2.2", Method::POST, "/os-keypairs", Some(key("one"))).await.status, StatusCode::CREATED);
    let r = user.at("2.2", Method::POST, "/os-keypairs", Some(key("two"))).await;
    assert_eq!(fault(&r, "forbidden"), "Quota exceeded, too many key pairs.");

    // Limits show the project's limits; another project's only to admins.
    let r = user.at("2.1", Method::GET, "/limits", None).await;
    assert_eq!((r.body["limits"]["absolute"]["maxTotalRAMSize"].as_i64(), r.body["limits"]["rate"].clone()), (Some(1024), json!([])));
    assert_eq!(r.body["limits"]["absolute"].as_object().unwrap().len(), 19);
    assert_eq!(user.at("2.1", Method::GET, &format!("/limits?tenant_id={project}"), None).await.status, StatusCode::FORBIDDEN);
    let r = admin.at("2.57", Method::GET, &format!("/limits?tenant_id={project}"), None).await;
    assert_eq!(
        (r.body["limits"]["absolute"]["maxTotalKeypairs"].as_i64(), r.body["limits"]["absolute"].as_object().unwrap().len()),
        (Some(1), 11)
    );

    // Delete reverts project and users to the defaults; class "default" moves the defaults.
    assert_eq!(admin.at("2.1", Method::DELETE, &format!("/os-quota-sets/{project}"), None).await.status, StatusCode::ACCEPTED);
    let r = admin.at("2.1", Method::GET, &path, None).await;
    assert_eq!(r.body["quota_set"]["ram"], 51200);
    let r = admin.at("2.1", Method::PUT, "/os-quota-class-sets/default", Some(json!({"quota_class_set": {"instances": 50}}))).await;
    assert_eq!(r.body["quota_class_set"]["instances"], 50, "{}", r.body);
    assert!(r.body["quota_class_set"].get("server_groups").is_none(), "before 2.50 classes show no server groups");
    let r = user.at("2.1", Method::GET, &format!("/os-quota-sets/{project}"), None).await;
    assert_eq!(r.body["quota_set"]["instances"], 50);
    let r = admin.at("2.50", Method::GET, "/os-quota-class-sets/default", None).await;
    assert_eq!(
        (r.body["quota_class_set"]["id"].as_str(), r.body["quota_class_set"]["server_groups"].as_i64()),
        (Some("default"), Some(10))
    );
    assert_eq!(user.at("2.1", Method::GET, "/os-quota-class-sets/default", None).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn server_groups_belong_to_projects_and_count_against_the_quota() {
    let c = TestCloud::start().await;
    let admin = Api { c: &c, token: c.admin_token().await };
    let member = c.project_member("group-user").await;
    let user = Api { c: &c, token: member.token.clone() };

    let r = user
        .at("2.1", Method::POST, "/os-server-groups", Some(json!({"server_group": {"name": "web", "policies": ["anti-affinity"]}})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.body["server_group"]["policies"].clone(), r.body["server_group"]["metadata"].clone()),
        (json!(["anti-affinity"]), json!({}))
    );
    let web = r.body["server_group"]["id"].as_str().unwrap().to_owned();
    let body = json!({"server_group": {"name": "db", "policy": "anti-affinity", "rules": {"max_server_per_host": 2}}});
    let r = user.at("2.64", Method::POST, "/os-server-groups", Some(body)).await;
    assert_eq!(
        (r.body["server_group"]["policy"].as_str(), r.body["server_group"]["rules"].clone()),
        (Some("anti-affinity"), json!({"max_server_per_host": 2}))
    );
    assert_eq!(r.body["server_group"]["project_id"], member.project_id.as_str());
    let body = json!({"server_group": {"name": "x", "policy": "affinity", "rules": {"max_server_per_host": 2}}});
    let r = user.at("2.64", Method::POST, "/os-server-groups", Some(body)).await;
    assert_eq!(fault(&r, "badRequest"), "Only anti-affinity policy supports rules.");
    let r = user
        .at("2.14", Method::POST, "/os-server-groups", Some(json!({"server_group": {"name": "s", "policies": ["soft-affinity"]}})))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "soft policies come with 2.15");

    let r = user.at("2.64", Method::GET, "/os-server-groups", None).await;
    assert_eq!(r.body["server_groups"].as_array().unwrap().len(), 2);
    let r = admin.at("2.64", Method::GET, "/os-server-groups", None).await;
    assert!(r.body["server_groups"].as_array().unwrap().is_empty(), "admins see their own project's groups");
    let r = admin.at("2.64", Method::GET, "/os-server-groups?all_projects=True", None).await;
    assert_eq!(r.body["server_groups"].as_array().unwrap().len(), 2, "and everyone's when they ask");
    assert_eq!(admin.at("2.1", Method::GET, &format!("/os-server-groups/{web}"), None).await.status, StatusCode::OK);

    // The server_groups quota counts them.
    let quota = format!("/os-quota-sets/{}/detail", member.project_id);
    assert_eq!(admin.at("2.1", Method::GET, &quota, None).await.body["quota_set"]["server_groups"]["in_use"], 2);
    let path = format!("/os-quota-sets/{}", member.project_id);
    let r = admin.at("2.1", Method::PUT, &path, Some(json!({"quota_set": {"server_groups": 1}}))).await;
    assert_eq!(fault(&r, "badRequest"), "Quota limit 1 for server_groups must be greater than or equal to already used and reserved 2.");
    admin.at("2.1", Method::PUT, &path, Some(json!({"quota_set": {"server_groups": 2}}))).await;
    let r =
        user.at("2.1", Method::POST, "/os-server-groups", Some(json!({"server_group": {"name": "third", "policies": ["affinity"]}}))).await;
    assert_eq!(fault(&r, "forbidden"), "Quota exceeded, too many server groups.");

    assert_eq!(user.at("2.1", Method::DELETE, &format!("/os-server-groups/{web}"), None).await.status, StatusCode::NO_CONTENT);
    let r = user.at("2.1", Method::GET, &format!("/os-server-groups/{web}"), None).await;
    assert_eq!(fault(&r, "itemNotFound"), format!("Instance group {web} could not be found."));
}

#[tokio::test]
async fn changes_are_announced_as_versioned_notifications() {
    let c = TestCloud::start().await;
    let admin = Api { c: &c, token: c.admin_token().await };
    let mut seen = c.notifications().await;

    let body = json!({"flavor": {"name": "announced", "ram": 64, "vcpus": 1, "disk": 0, "id": "ann"}});
    assert_eq!(admin.at("2.55", Method::POST, "/flavors", Some(body)).await.status, StatusCode::OK);
    let created = seen.next().await;
    assert_eq!((created["event_type"].as_str(), created["priority"].as_str()), (Some("flavor.create"), Some("INFO")));
    assert!(created["publisher_id"].as_str().unwrap().starts_with("nova-api:"));
    let payload = &created["payload"];
    assert_eq!((payload["nova_object.name"].as_str(), payload["nova_object.version"].as_str()), (Some("FlavorPayload"), Some("1.4")));
    assert_eq!(
        (payload["nova_object.data"]["flavorid"].as_str(), payload["nova_object.data"]["memory_mb"].as_i64()),
        (Some("ann"), Some(64))
    );
    admin.at("2.1", Method::POST, "/flavors/ann/os-extra_specs", Some(json!({"extra_specs": {"k": "v"}}))).await;
    let updated = seen.next().await;
    assert_eq!(
        (updated["event_type"].as_str(), updated["payload"]["nova_object.data"]["extra_specs"]["k"].as_str()),
        (Some("flavor.update"), Some("v"))
    );
    admin.at("2.1", Method::DELETE, "/flavors/ann", None).await;
    assert_eq!(seen.event_types(1).await, ["flavor.delete"]);

    admin.at("2.2", Method::POST, "/os-keypairs", Some(json!({"keypair": {"name": "k", "public_key": ED25519}}))).await;
    let start = seen.next().await;
    assert_eq!(
        (start["event_type"].as_str(), start["payload"]["nova_object.data"]["fingerprint"].clone()),
        (Some("keypair.import.start"), Value::Null)
    );
    let end = seen.next().await;
    assert_eq!(end["payload"]["nova_object.data"]["fingerprint"], "8f:d2:51:4d:b8:f5:6f:30:5e:e6:0d:a1:9d:e3:cc:cf");
    admin.at("2.2", Method::DELETE, "/os-keypairs/k", None).await;
    assert_eq!(seen.event_types(2).await, ["keypair.delete.start", "keypair.delete.end"]);

    let r = admin.at("2.1", Method::POST, "/os-aggregates", Some(json!({"aggregate": {"name": "agg"}}))).await;
    let id = r.body["aggregate"]["id"].as_i64().unwrap();
    let start = seen.next().await;
    assert_eq!(
        (start["event_type"].as_str(), start["payload"]["nova_object.data"]["id"].clone()),
        (Some("aggregate.create.start"), Value::Null)
    );
    assert_eq!(seen.next().await["payload"]["nova_object.data"]["id"], id);
    let meta = json!({"set_metadata": {"metadata": {"a": "b"}}});
    admin.at("2.1", Method::POST, &format!("/os-aggregates/{id}/action"), Some(meta)).await;
    admin.at("2.1", Method::DELETE, &format!("/os-aggregates/{id}"), None).await;
    let events = seen.event_types(4).await;
    assert_eq!(
        events,
        ["aggregate.update_metadata.start", "aggregate.update_metadata.end", "aggregate.delete.start", "aggregate.delete.end"]
    );

    admin
        .at(
            "2.64",
            Method::POST,
            "/os-server-groups",
            Some(json!({"server_group": {"name": "g", "policy": "anti-affinity", "rules": {"max_server_per_host": 3}}})),
        )
        .await;
    let group = seen.next().await;
    assert_eq!(
        (group["event_type"].as_str(), group["payload"]["nova_object.data"]["rules"]["max_server_per_host"].as_str()),
        (Some("server_group.create"), Some("3"))
    );
}
