//! Placement over HTTP: microversions, providers in trees, inventories and
//! generations, traits, aggregates, allocations with capacity and consumer
//! generations, usages, and allocation candidates.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use system_tests::{Reply, TestCloud};

const LATEST: &str = "placement latest";

struct Api<'a> {
    c: &'a TestCloud,
    token: String,
}

impl Api<'_> {
    async fn at(&self, version: &str, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.c.call_with(method, &self.c.placement(path), Some(&self.token), body, &[("OpenStack-API-Version", version)]).await
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.at(LATEST, method, path, body).await
    }

    async fn provider(&self, name: &str, parent: Option<&str>) -> String {
        let r = self.call(Method::POST, "/resource_providers", Some(json!({"name": name, "parent_provider_uuid": parent}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["uuid"].as_str().unwrap().to_owned()
    }

    async fn generation(&self, rp: &str) -> i64 {
        self.call(Method::GET, &format!("/resource_providers/{rp}"), None).await.body["generation"].as_i64().unwrap()
    }

    async fn inventory(&self, rp: &str, inventories: Value) {
        let generation = self.generation(rp).await;
        let body = json!({"resource_provider_generation": generation, "inventories": inventories});
        let r = self.call(Method::PUT, &format!("/resource_providers/{rp}/inventories"), Some(body)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }

    async fn allocate(&self, consumer: &str, generation: Value, allocations: Value) -> Reply {
        let body = json!({"allocations": allocations, "project_id": "proj", "user_id": "user", "consumer_generation": generation, "consumer_type": "INSTANCE"});
        self.call(Method::PUT, &format!("/allocations/{consumer}"), Some(body)).await
    }

    async fn candidates(&self, query: &str) -> Value {
        let r = self.call(Method::GET, &format!("/allocation_candidates?{query}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.body);
        r.body
    }
}

fn code(r: &Reply) -> &str {
    r.body["errors"][0]["code"].as_str().unwrap_or_default()
}

fn consumer(n: u8) -> String {
    format!("00000000-0000-0000-0000-0000000000{n:02}")
}

async fn admin(c: &TestCloud) -> Api<'_> {
    Api { c, token: c.admin_token().await }
}

#[tokio::test]
async fn versions_are_negotiated_and_errors_take_placements_shape() {
    let c = TestCloud::start().await;
    let root = c.call(Method::GET, &c.placement("/"), None, None).await;
    assert_eq!(root.status, StatusCode::OK, "the version document needs no token");
    assert_eq!(root.body["versions"][0]["max_version"], "1.39");
    let catalog = c.call(Method::GET, &c.v3("/services?type=placement"), Some(&c.admin_token().await), None).await;
    assert_eq!(catalog.body["services"][0]["name"], "placement");

    let api = admin(&c).await;
    let r = api.at("placement 1.14", Method::GET, "/resource_providers", None).await;
    assert_eq!(r.headers["openstack-api-version"], "placement 1.14");
    assert_eq!(r.headers["vary"], "openstack-api-version");
    let r = api.at("compute 2.1", Method::GET, "/resource_providers", None).await;
    assert_eq!(r.headers["openstack-api-version"], "placement 1.0", "another service's version leaves the minimum");
    let r = api.at("placement 1.40", Method::GET, "/resource_providers", None).await;
    assert_eq!(r.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!((r.body["errors"][0]["max_version"].as_str(), r.body["errors"][0]["min_version"].as_str()), (Some("1.39"), Some("1.0")));
    let r = api.at("placement pony.horse", Method::GET, "/resource_providers", None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["errors"][0]["detail"].as_str().unwrap().contains("invalid version string: pony.horse"));
    let r = api.at("placement 1.1", Method::GET, "/resource_classes", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "resource classes came in 1.2");
    let r = api.at("placement 1.22", Method::GET, "/resource_providers/nope", None).await;
    assert!(r.body["errors"][0].get("code").is_none(), "codes came in 1.23");
    assert!(r.body["errors"][0]["request_id"].as_str().unwrap().starts_with("req-"));

    let unauthenticated = c.call(Method::GET, &c.placement("/resource_providers"), None, None).await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
    let member = c.project_member("plain").await;
    let r = c.call(Method::GET, &c.placement("/resource_providers"), Some(&member.token), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "placement is for admins and services");
    let r = api.call(Method::POST, "/resource_providers", None).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = api.call(Method::POST, "/reshaper", Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "a reshape names inventories and allocations: {}", r.body);
}

#[tokio::test]
async fn providers_form_trees_and_inventories_follow_generations() {
    let c = TestCloud::start().await;
    let api = admin(&c).await;
    let old = api.at("placement 1.19", Method::POST, "/resource_providers", Some(json!({"name": "old-style"}))).await;
    assert_eq!(old.status, StatusCode::CREATED);
    let location = old.headers["location"].to_str().unwrap();
    assert!(location.starts_with(&c.placement("/resource_providers/")), "an absolute URL, as clients follow it: {location}");
    let host = api.provider("host", None).await;
    let shown = api.call(Method::GET, &format!("/resource_providers/{host}"), None).await;
    assert_eq!(shown.body["links"][0]["href"], format!("/placement/resource_providers/{host}"));
    let r = api.call(Method::POST, "/resource_providers", Some(json!({"name": "host"}))).await;
    assert_eq!((r.status, code(&r)), (StatusCode::CONFLICT, "placement.duplicate_name"));
    let r = api.call(Method::POST, "/resource_providers", Some(json!({"name": "x".repeat(201)}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let numa0 = api.provider("host-numa0", Some(&host)).await;
    let other = api.provider("other", None).await;
    let tree = api.call(Method::GET, &format!("/resource_providers?in_tree={numa0}"), None).await;
    let names: Vec<&str> = tree.body["resource_providers"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["host", "host-numa0"]);
    let moved = json!({"name": "host-numa0", "parent_provider_uuid": other});
    let r = api.at("placement 1.36", Method::PUT, &format!("/resource_providers/{numa0}"), Some(moved.clone())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "re-parenting came in 1.37: {}", r.body);
    let r = api.call(Method::PUT, &format!("/resource_providers/{numa0}"), Some(moved)).await;
    assert_eq!((r.status, r.body["root_provider_uuid"].as_str()), (StatusCode::OK, Some(other.as_str())));
    let r =
        api.call(Method::PUT, &format!("/resource_providers/{other}"), Some(json!({"name": "other", "parent_provider_uuid": numa0}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "no loops: {}", r.body);
    let r = api.call(Method::DELETE, &format!("/resource_providers/{other}"), None).await;
    assert_eq!((r.status, code(&r)), (StatusCode::CONFLICT, "placement.resource_provider.cannot_delete_parent"));

    api.inventory(&host, json!({"VCPU": {"total": 8, "allocation_ratio": 4.0}, "MEMORY_MB": {"total": 4096, "reserved": 512}})).await;
    let stale = json!({"resource_provider_generation": 0, "inventories": {}});
    let r = api.call(Method::PUT, &format!("/resource_providers/{host}/inventories"), Some(stale)).await;
    assert_eq!((r.status, code(&r)), (StatusCode::CONFLICT, "placement.concurrent_update"));
    let bad =
        json!({"resource_provider_generation": api.generation(&host).await, "inventories": {"DISK_GB": {"total": 10, "reserved": 11}}});
    let r = api.call(Method::PUT, &format!("/resource_providers/{host}/inventories"), Some(bad)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let unknown = json!({"resource_provider_generation": api.generation(&host).await, "inventories": {"CUSTOM_NOPE": {"total": 1}}});
    let r = api.call(Method::PUT, &format!("/resource_providers/{host}/inventories"), Some(unknown)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api
        .call(Method::POST, &format!("/resource_providers/{host}/inventories"), Some(json!({"resource_class": "DISK_GB", "total": 100})))
        .await;
    assert_eq!((r.status, r.body["total"].as_i64()), (StatusCode::CREATED, Some(100)));
    let generation = r.body["resource_provider_generation"].as_i64().unwrap();
    let r = api
        .call(
            Method::PUT,
            &format!("/resource_providers/{host}/inventories/DISK_GB"),
            Some(json!({"total": 200, "resource_provider_generation": generation})),
        )
        .await;
    assert_eq!((r.status, r.body["total"].as_i64()), (StatusCode::OK, Some(200)));
    let all = api.call(Method::GET, &format!("/resource_providers/{host}/inventories"), None).await;
    assert_eq!(all.body["inventories"]["MEMORY_MB"]["reserved"], 512);
    assert_eq!(all.body["inventories"]["VCPU"]["allocation_ratio"], 4.0);
    let r = api.call(Method::DELETE, &format!("/resource_providers/{host}/inventories/DISK_GB"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = api.call(Method::GET, &format!("/resource_providers/{host}/inventories/DISK_GB"), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn allocations_respect_capacity_and_consumer_generations() {
    let c = TestCloud::start().await;
    let api = admin(&c).await;
    let host = api.provider("host", None).await;
    api.inventory(&host, json!({"VCPU": {"total": 4, "max_unit": 2}, "MEMORY_MB": {"total": 2048}})).await;
    let one = json!({host.clone(): {"resources": {"VCPU": 2, "MEMORY_MB": 1024}}});

    let r = api.allocate(&consumer(1), Value::Null, one.clone()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let held = api.call(Method::GET, &format!("/allocations/{}", consumer(1)), None).await;
    assert_eq!((held.body["consumer_generation"].as_i64(), held.body["project_id"].as_str()), (Some(1), Some("proj")));
    let r = api.allocate(&consumer(1), Value::Null, one.clone()).await;
    assert_eq!((r.status, code(&r)), (StatusCode::CONFLICT, "placement.concurrent_update"), "consumer 1 exists");
    let r = api.allocate(&consumer(2), Value::Null, json!({host.clone(): {"resources": {"VCPU": 3}}})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "3 is over max_unit 2");
    assert!(r.body["errors"][0]["detail"].as_str().unwrap().contains("violate inventory constraints"));
    api.allocate(&consumer(2), Value::Null, one.clone()).await;
    let r = api.allocate(&consumer(3), Value::Null, json!({host.clone(): {"resources": {"VCPU": 1}}})).await;
    assert!(r.body["errors"][0]["detail"].as_str().unwrap().contains("exceed the capacity"), "{}", r.body);
    let r = api.allocate(&consumer(3), Value::Null, json!({"99999999-9999-9999-9999-999999999999": {"resources": {"VCPU": 1}}})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);

    let usages = api.call(Method::GET, &format!("/resource_providers/{host}/usages"), None).await;
    assert_eq!(usages.body["usages"], json!({"VCPU": 4, "MEMORY_MB": 2048}));
    let project = api.call(Method::GET, "/usages?project_id=proj", None).await;
    assert_eq!(project.body["usages"]["INSTANCE"], json!({"VCPU": 4, "MEMORY_MB": 2048, "consumer_count": 2}));
    let old = api.at("placement 1.9", Method::GET, "/usages?project_id=proj", None).await;
    assert_eq!(old.body["usages"], json!({"VCPU": 4, "MEMORY_MB": 2048}));

    let r = api.call(Method::DELETE, &format!("/resource_providers/{host}/inventories"), None).await;
    assert_eq!((r.status, code(&r)), (StatusCode::CONFLICT, "placement.inventory.inuse"));
    let r = api.call(Method::DELETE, &format!("/resource_providers/{host}"), None).await;
    assert_eq!((r.status, code(&r)), (StatusCode::CONFLICT, "placement.resource_provider.inuse"));

    // A move: consumer 2's resources go to a migration record, consumer 2 to nothing, at once.
    let mv = json!({
        consumer(2): {"allocations": {}, "project_id": "proj", "user_id": "user", "consumer_generation": 1, "consumer_type": "INSTANCE"},
        consumer(4): {"allocations": one, "project_id": "proj", "user_id": "user", "consumer_generation": null, "consumer_type": "MIGRATION"},
    });
    let r = api.call(Method::POST, "/allocations", Some(mv)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let by_provider = api.call(Method::GET, &format!("/resource_providers/{host}/allocations"), None).await;
    let consumers: Vec<&String> = by_provider.body["allocations"].as_object().unwrap().keys().collect();
    assert_eq!(consumers, [&consumer(1), &consumer(4)]);
    let r = api.call(Method::DELETE, &format!("/allocations/{}", consumer(4)), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = api.call(Method::DELETE, &format!("/allocations/{}", consumer(4)), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn traits_classes_and_aggregates_filter_providers() {
    let c = TestCloud::start().await;
    let api = admin(&c).await;
    let a = api.provider("a", None).await;
    let b = api.provider("b", None).await;
    let r = api.call(Method::PUT, "/traits/CUSTOM_GOLD", None).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(api.call(Method::PUT, "/traits/CUSTOM_GOLD", None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(api.call(Method::PUT, "/traits/gold", None).await.status, StatusCode::BAD_REQUEST);
    let listed = api.call(Method::GET, "/traits?name=startswith:CUSTOM_", None).await;
    assert_eq!(listed.body["traits"], json!(["CUSTOM_GOLD"]));
    assert!(
        api.call(Method::GET, "/traits?name=in:HW_CPU_X86_AVX2", None).await.body["traits"] == json!(["HW_CPU_X86_AVX2"]),
        "standard traits exist"
    );

    let body = json!({"traits": ["CUSTOM_GOLD", "HW_CPU_X86_AVX2"], "resource_provider_generation": api.generation(&a).await});
    let r = api.call(Method::PUT, &format!("/resource_providers/{a}/traits"), Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = api
        .call(
            Method::PUT,
            &format!("/resource_providers/{b}/traits"),
            Some(json!({"traits": ["CUSTOM_NOPE"], "resource_provider_generation": 0})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(api.call(Method::DELETE, "/traits/CUSTOM_GOLD", None).await.status, StatusCode::CONFLICT, "in use");
    assert_eq!(api.call(Method::DELETE, "/traits/HW_CPU_X86_AVX2", None).await.status, StatusCode::BAD_REQUEST, "standard");

    let agg = "11111111-2222-3333-4444-555555555555";
    let r = api
        .call(
            Method::PUT,
            &format!("/resource_providers/{b}/aggregates"),
            Some(json!({"aggregates": [agg], "resource_provider_generation": 0})),
        )
        .await;
    assert_eq!((r.status, r.body["resource_provider_generation"].as_i64()), (StatusCode::OK, Some(1)));
    let old = api.at("placement 1.1", Method::PUT, &format!("/resource_providers/{a}/aggregates"), Some(json!([agg]))).await;
    assert_eq!(old.body, json!({"aggregates": [agg]}));

    let names = |r: Reply| -> Vec<String> {
        r.body["resource_providers"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(names(api.call(Method::GET, "/resource_providers?required=CUSTOM_GOLD", None).await), ["a"]);
    assert_eq!(names(api.call(Method::GET, "/resource_providers?required=!CUSTOM_GOLD", None).await), ["b"]);
    assert_eq!(names(api.call(Method::GET, &format!("/resource_providers?member_of={agg}"), None).await), ["a", "b"]);
    assert_eq!(names(api.call(Method::GET, &format!("/resource_providers?member_of=!{agg}"), None).await), Vec::<String>::new());

    assert_eq!(api.call(Method::PUT, "/resource_classes/CUSTOM_FPGA_X", None).await.status, StatusCode::CREATED);
    api.inventory(&b, json!({"CUSTOM_FPGA_X": {"total": 2}})).await;
    assert_eq!(names(api.call(Method::GET, "/resource_providers?resources=CUSTOM_FPGA_X:2", None).await), ["b"]);
    assert_eq!(api.call(Method::GET, "/resource_providers?resources=CUSTOM_FPGA_X:3", None).await.body["resource_providers"], json!([]));
    assert_eq!(api.call(Method::DELETE, "/resource_classes/CUSTOM_FPGA_X", None).await.status, StatusCode::CONFLICT);
    assert_eq!(api.call(Method::DELETE, "/resource_classes/VCPU", None).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn allocation_candidates_span_trees_groups_and_sharing_providers() {
    let c = TestCloud::start().await;
    let api = admin(&c).await;
    // Two flat hosts, one full; one host with two NUMA children; shared disk for `flat1`.
    let flat1 = api.provider("flat1", None).await;
    let flat2 = api.provider("flat2", None).await;
    for h in [&flat1, &flat2] {
        api.inventory(h, json!({"VCPU": {"total": 4}, "MEMORY_MB": {"total": 4096}})).await;
    }
    api.allocate(&consumer(9), Value::Null, json!({flat2.clone(): {"resources": {"VCPU": 4}}})).await;
    let numa_host = api.provider("numa-host", None).await;
    api.inventory(&numa_host, json!({"DISK_GB": {"total": 100}})).await;
    let mut numa = Vec::new();
    for n in 0..2 {
        let node = api.provider(&format!("numa{n}"), Some(&numa_host)).await;
        api.inventory(&node, json!({"VCPU": {"total": 4}, "MEMORY_MB": {"total": 2048}})).await;
        numa.push(node);
    }
    let body = json!({"traits": ["HW_CPU_X86_AVX2"], "resource_provider_generation": api.generation(&numa[1]).await});
    api.call(Method::PUT, &format!("/resource_providers/{}/traits", numa[1]), Some(body)).await;

    let all = api.candidates("resources=VCPU:2,MEMORY_MB:1024").await;
    let requests = all["allocation_requests"].as_array().unwrap();
    // flat1; on numa-host each node alone, and (the unsuffixed group may spread over a
    // tree) VCPU from one node with memory from the other, both ways round.
    assert_eq!(requests.len(), 5, "{all}");
    assert!(all["provider_summaries"].get(&flat2).is_none(), "flat2 is full");
    assert!(all["provider_summaries"][&numa_host]["resources"]["DISK_GB"].is_object(), "whole trees are summarised");
    assert_eq!(api.candidates("resources=VCPU:2&limit=1").await["allocation_requests"].as_array().unwrap().len(), 1);

    // Resources of the unsuffixed group may come from different providers of one tree.
    let spread = api.candidates("resources=VCPU:1,DISK_GB:10").await;
    let spread = spread["allocation_requests"].as_array().unwrap();
    assert_eq!(spread.len(), 2, "DISK_GB from the root, VCPU from either node: {spread:?}");
    assert!(spread.iter().all(|r| r["allocations"][&numa_host]["resources"]["DISK_GB"] == 10));

    let avx = api.candidates("resources=VCPU:1&required=HW_CPU_X86_AVX2").await;
    assert_eq!(avx["allocation_requests"][0]["allocations"].as_object().unwrap().keys().collect::<Vec<_>>(), [&numa[1]]);
    let no_avx = api.candidates("resources=VCPU:1&required=!HW_CPU_X86_AVX2").await;
    assert_eq!(no_avx["allocation_requests"].as_array().unwrap().len(), 2, "flat1 and numa0");

    // Two granular groups: isolate puts them on different nodes; none also allows one.
    let isolate = api.candidates("resources1=VCPU:1&resources2=VCPU:1&group_policy=isolate").await;
    let isolated = isolate["allocation_requests"].as_array().unwrap();
    assert!(isolated.iter().all(|r| r["mappings"]["1"] != r["mappings"]["2"]), "{isolated:?}");
    assert_eq!(isolated.len(), 2, "numa0+numa1 both ways round: {isolated:?}");
    let shared = api.candidates("resources1=VCPU:1&resources2=VCPU:1&group_policy=none").await;
    assert_eq!(shared["allocation_requests"].as_array().unwrap().len(), 5, "flat1 alone, each node alone, and the two pairs");
    let r = api.call(Method::GET, "/allocation_candidates?resources1=VCPU:1&resources2=VCPU:1", None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "group_policy is required with two groups");

    // Shared storage: flat1 reaches DISK_GB through an aggregate with a sharing provider.
    let nfs = api.provider("nfs", None).await;
    api.inventory(&nfs, json!({"DISK_GB": {"total": 500}})).await;
    let body = json!({"traits": ["MISC_SHARES_VIA_AGGREGATE"], "resource_provider_generation": api.generation(&nfs).await});
    api.call(Method::PUT, &format!("/resource_providers/{nfs}/traits"), Some(body)).await;
    let agg = "aaaaaaaa-0000-0000-0000-000000000001";
    for rp in [&nfs, &flat1] {
        let body = json!({"aggregates": [agg], "resource_provider_generation": api.generation(rp).await});
        api.call(Method::PUT, &format!("/resource_providers/{rp}/aggregates"), Some(body)).await;
    }
    let disk = api.candidates("resources=VCPU:1,DISK_GB:200").await;
    let disk = disk["allocation_requests"].as_array().unwrap();
    assert_eq!(disk.len(), 1, "numa-host has only 100 GB; flat1 uses nfs: {disk:?}");
    assert_eq!(disk[0]["allocations"][&nfs]["resources"]["DISK_GB"], 200);
    assert_eq!(disk[0]["allocations"][&flat1]["resources"]["VCPU"], 1);

    let rooted = api.candidates("resources=VCPU:1&root_required=!HW_CPU_X86_AVX2").await;
    assert_eq!(rooted["allocation_requests"].as_array().unwrap().len(), 3, "root traits only: the AVX2 node's root has none");
    let r = api.call(Method::GET, "/allocation_candidates?resources=VCPU:1&required=CUSTOM_UNKNOWN", None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let old = api.at("placement 1.11", Method::GET, "/allocation_candidates?resources=VCPU:1,MEMORY_MB:512", None).await;
    assert!(old.body["allocation_requests"][0]["allocations"].is_array(), "the list form before 1.12");
}

#[tokio::test]
async fn the_reshaper_moves_inventory_and_allocations_together() {
    let c = TestCloud::start().await;
    let api = Api { c: &c, token: c.admin_token().await };
    let root = api.provider("reshape-root", None).await;
    api.inventory(&root, json!({"VCPU": {"total": 8}, "MEMORY_MB": {"total": 1024}})).await;
    for n in [1, 2] {
        let r = api.allocate(&consumer(n), Value::Null, json!({(&root): {"resources": {"VCPU": n, "MEMORY_MB": 256}}})).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    }
    let child = api.provider("reshape-child", Some(&root)).await;
    let generation_of = |body: Value| body["consumer_generation"].clone();
    let g1 = generation_of(api.call(Method::GET, &format!("/allocations/{}", consumer(1)), None).await.body);
    let g2 = generation_of(api.call(Method::GET, &format!("/allocations/{}", consumer(2)), None).await.body);
    // VCPU moves from the root to the child, with the VCPU the consumers named hold.
    let body = |root_generation: i64, child_generation: i64, consumers: &[(u8, &Value)]| {
        let mut allocations = serde_json::Map::new();
        for (n, generation) in consumers {
            allocations.insert(
                consumer(*n),
                json!({
                    "allocations": {(&root): {"resources": {"MEMORY_MB": 256}}, (&child): {"resources": {"VCPU": n}}},
                    "project_id": "proj", "user_id": "user", "consumer_generation": generation, "consumer_type": "INSTANCE",
                }),
            );
        }
        json!({
            "inventories": {
                (&root): {"resource_provider_generation": root_generation, "inventories": {"MEMORY_MB": {"total": 1024}}},
                (&child): {"resource_provider_generation": child_generation, "inventories": {"VCPU": {"total": 8}}},
            },
            "allocations": allocations,
        })
    };
    let (rg, cg) = (api.generation(&root).await, api.generation(&child).await);
    let both = [(1, &g1), (2, &g2)];
    assert_eq!(api.at("placement 1.29", Method::POST, "/reshaper", Some(body(rg, cg, &both))).await.status, StatusCode::NOT_FOUND);
    let stale = api.call(Method::POST, "/reshaper", Some(body(rg - 1, cg, &both))).await;
    assert_eq!((stale.status, code(&stale)), (StatusCode::CONFLICT, "placement.concurrent_update"));
    let orphan = api.call(Method::POST, "/reshaper", Some(body(rg, cg, &both[..1]))).await;
    assert_eq!(
        (orphan.status, code(&orphan)),
        (StatusCode::CONFLICT, "placement.inventory.inuse"),
        "consumer 2 would keep VCPU the root no longer has: {}",
        orphan.body
    );
    assert_eq!(api.generation(&root).await, rg, "a refused reshape changes nothing");

    let done = api.call(Method::POST, "/reshaper", Some(body(rg, cg, &both))).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    let root_inv = api.call(Method::GET, &format!("/resource_providers/{root}/inventories"), None).await;
    assert!(root_inv.body["inventories"].get("VCPU").is_none());
    let usage = api.call(Method::GET, &format!("/resource_providers/{child}/usages"), None).await;
    assert_eq!(usage.body["usages"]["VCPU"], 3);
    let held = api.call(Method::GET, &format!("/allocations/{}", consumer(2)), None).await;
    assert_eq!(held.body["allocations"][&child]["resources"]["VCPU"], 2, "{}", held.body);
}
