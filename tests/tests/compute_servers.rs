//! Servers end to end: the API records a build request, the superconductor asks the
//! scheduler for a host (claimed in placement) and hands the instance to the host's
//! agent, which builds it with the fake driver; power actions move vm_state, task_state
//! and power_state as Nova does; a server no host takes lands in cell0 in ERROR with a
//! fault; deletes free the placement allocation.

use std::time::Duration;

use ferrostack::config::Config;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use system_tests::{Reply, TestCloud};

fn config() -> Config {
    let mut c = Config::default();
    c.compute.fake_computes = 1;
    c.compute.report_interval = 1;
    c.compute.resource_interval = 1;
    c
}

async fn at(c: &TestCloud, token: &str, version: &str, method: Method, path: &str, body: Option<Value>) -> Reply {
    let header = format!("compute {version}");
    c.call_with(method, &c.compute(&format!("/v2.1{path}")), Some(token), body, &[("OpenStack-API-Version", &header)]).await
}

fn fault<'a>(r: &'a Reply, name: &str) -> &'a str {
    assert_eq!(r.body[name]["code"], r.status.as_u16(), "{}", r.body);
    r.body[name]["message"].as_str().unwrap_or_default()
}

/// A public image with data, made by the admin.
async fn make_image(c: &TestCloud, admin: &str) -> String {
    let body = json!({"name": "boot", "disk_format": "raw", "container_format": "bare", "visibility": "public"});
    let r = c.call(Method::POST, &c.image("/v2/images"), Some(admin), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let put = c.put_data(&c.image(&format!("/v2/images/{id}/file")), admin, vec![7; 4096]).await;
    assert_eq!(put.status, StatusCode::NO_CONTENT);
    id
}

/// Waits until the compute host's resource provider has its inventory.
async fn host_ready(c: &TestCloud, admin: &str) {
    hosts_ready(c, admin, 1).await;
}

/// Waits until `n` compute hosts' resource providers have their inventory.
async fn hosts_ready(c: &TestCloud, admin: &str, n: usize) {
    for _ in 0..100 {
        let r = c
            .call_with(
                Method::GET,
                &c.placement("/resource_providers?resources=VCPU:1"),
                Some(admin),
                None,
                &[("OpenStack-API-Version", "placement 1.39")],
            )
            .await;
        if r.body["resource_providers"].as_array().is_some_and(|p| p.len() >= n) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the compute host never reported its inventory");
}

fn server(name: &str, image: &str, flavor: &str) -> Value {
    json!({"server": {"name": name, "imageRef": image, "flavorRef": flavor, "networks": "none"}})
}

/// Waits until the server shows `status` with no task in progress.
async fn wait_for(c: &TestCloud, token: &str, id: &str, status: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        let r = at(c, token, "2.96", Method::GET, &format!("/servers/{id}"), None).await;
        last = r.body["server"].clone();
        if last["status"] == status && last["OS-EXT-STS:task_state"].is_null() {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server {id} never became {status}: {last}");
}

async fn wait_gone(c: &TestCloud, token: &str, id: &str) {
    for _ in 0..100 {
        if at(c, token, "2.96", Method::GET, &format!("/servers/{id}"), None).await.status == StatusCode::NOT_FOUND {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server {id} was never deleted");
}

async fn allocations(c: &TestCloud, admin: &str, consumer: &str) -> Value {
    let r = c
        .call_with(
            Method::GET,
            &c.placement(&format!("/allocations/{consumer}")),
            Some(admin),
            None,
            &[("OpenStack-API-Version", "placement 1.39")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["allocations"].clone()
}

async fn act(c: &TestCloud, token: &str, id: &str, action: Value) -> Reply {
    at(c, token, "2.96", Method::POST, &format!("/servers/{id}/action"), Some(action)).await
}

#[tokio::test]
async fn a_server_boots_runs_its_power_actions_and_is_deleted() {
    let c = TestCloud::start_with(config()).await;
    let admin = c.admin_token().await;
    let member = c.project_member("server-owner").await;
    let image = make_image(&c, &admin).await;
    host_ready(&c, &admin).await;
    let mut notes = c.notifications().await;

    let created = at(&c, &member.token, "2.96", Method::POST, "/servers", Some(server("web-1", &image, "1"))).await;
    assert_eq!(created.status, StatusCode::ACCEPTED, "{}", created.body);
    let id = created.body["server"]["id"].as_str().unwrap().to_owned();
    assert!(created.headers["location"].to_str().unwrap().ends_with(&format!("/v2.1/servers/{id}")));
    assert_eq!(created.body["server"]["adminPass"].as_str().map(str::len), Some(12));

    let active = wait_for(&c, &member.token, &id, "ACTIVE").await;
    assert_eq!((active["OS-EXT-STS:vm_state"].as_str(), active["OS-EXT-STS:power_state"].as_i64()), (Some("active"), Some(1)));
    assert_eq!((active["flavor"]["original_name"].as_str(), active["image"]["id"].as_str()), (Some("m1.tiny"), Some(image.as_str())));
    assert_eq!(active["OS-EXT-AZ:availability_zone"], "nova");
    assert!(active.get("OS-EXT-SRV-ATTR:host").is_none(), "hosts are for admins");
    assert_eq!(active["tenant_id"], member.project_id.as_str());
    let seen_by_admin = at(&c, &admin, "2.96", Method::GET, &format!("/servers/{id}"), None).await;
    let host = seen_by_admin.body["server"]["OS-EXT-SRV-ATTR:host"].as_str().expect("admins see the host").to_owned();
    assert_eq!(seen_by_admin.body["server"]["host_status"], "UP");
    let r = at(&c, &admin, "2.48", Method::GET, &format!("/servers/{id}/diagnostics"), None).await;
    assert_eq!(
        (r.body["state"].as_str(), r.body["num_cpus"].as_i64(), r.body["memory_details"]["maximum"].as_i64()),
        (Some("running"), Some(1), Some(512)),
        "{}",
        r.body
    );
    assert_eq!(at(&c, &member.token, "2.48", Method::GET, &format!("/servers/{id}/diagnostics"), None).await.status, StatusCode::FORBIDDEN);
    let r = at(&c, &admin, "2.53", Method::GET, "/os-hypervisors?with_servers=true", None).await;
    assert_eq!(r.body["hypervisors"][0]["servers"][0]["uuid"], id.as_str(), "{}", r.body);
    let r = at(&c, &admin, "2.1", Method::GET, &format!("/os-hypervisors/{host}/servers"), None).await;
    assert_eq!(r.body["hypervisors"][0]["servers"][0]["uuid"], id.as_str(), "{}", r.body);

    // The claim: the flavor's resources on the host's compute node.
    let claimed = allocations(&c, &admin, &id).await;
    let node = claimed.as_object().unwrap().values().next().expect("one provider").clone();
    assert_eq!(node["resources"], json!({"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}));
    let types: Vec<String> = notes.event_types(2).await;
    assert_eq!(types, ["instance.create.start", "instance.create.end"]);

    // Power actions, each allowed only from the states Nova allows it from.
    let r = act(&c, &member.token, &id, json!({"os-start": null})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(fault(&r, "conflictingRequest"), format!("Cannot 'start' instance {id} while it is in vm_state active"));
    for (action, status, power) in [
        (json!({"os-stop": null}), "SHUTOFF", 4),
        (json!({"os-start": null}), "ACTIVE", 1),
        (json!({"pause": null}), "PAUSED", 3),
        (json!({"unpause": null}), "ACTIVE", 1),
        (json!({"suspend": null}), "SUSPENDED", 7),
        (json!({"resume": null}), "ACTIVE", 1),
        (json!({"reboot": {"type": "SOFT"}}), "ACTIVE", 1),
        (json!({"reboot": {"type": "HARD"}}), "ACTIVE", 1),
    ] {
        let r = act(&c, &member.token, &id, action.clone()).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{action}: {}", r.body);
        let s = wait_for(&c, &member.token, &id, status).await;
        assert_eq!(s["OS-EXT-STS:power_state"], power, "{action}");
    }
    let r = act(&c, &member.token, &id, json!({"reboot": {"type": "WARM"}})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Rebuild from another image: a new name and metadata, a new password; a stopped
    // server is rebuilt stopped.
    let other = make_image(&c, &admin).await;
    let rebuild = json!({"rebuild": {"imageRef": other, "name": "web-rebuilt", "metadata": {"rebuilt": "yes"}, "adminPass": "s3cret-pw"}});
    let r = act(&c, &member.token, &id, rebuild).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!((r.body["server"]["status"].as_str(), r.body["server"]["adminPass"].as_str()), (Some("REBUILD"), Some("s3cret-pw")));
    let rebuilt = wait_for(&c, &member.token, &id, "ACTIVE").await;
    assert_eq!((rebuilt["image"]["id"].as_str(), rebuilt["name"].as_str()), (Some(other.as_str()), Some("web-rebuilt")));
    assert_eq!(rebuilt["metadata"], json!({"rebuilt": "yes"}), "a rebuild's metadata replaces the old");
    assert_eq!(act(&c, &member.token, &id, json!({"os-stop": null})).await.status, StatusCode::ACCEPTED);
    wait_for(&c, &member.token, &id, "SHUTOFF").await;
    assert_eq!(act(&c, &member.token, &id, json!({"rebuild": {"imageRef": image}})).await.status, StatusCode::ACCEPTED);
    let rebuilt = wait_for(&c, &member.token, &id, "SHUTOFF").await;
    assert_eq!((rebuilt["image"]["id"].as_str(), rebuilt["OS-EXT-STS:power_state"].as_i64()), (Some(image.as_str()), Some(4)));
    let missing = json!({"rebuild": {"imageRef": uuid::Uuid::new_v4().to_string()}});
    assert_eq!(act(&c, &member.token, &id, missing).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(act(&c, &member.token, &id, json!({"os-start": null})).await.status, StatusCode::ACCEPTED);
    wait_for(&c, &member.token, &id, "ACTIVE").await;

    // Locked by its owner: changes are refused until unlocked; admins are exempt.
    let r = act(&c, &member.token, &id, json!({"lock": {"locked_reason": "audit"}})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let s = at(&c, &member.token, "2.73", Method::GET, &format!("/servers/{id}"), None).await;
    assert_eq!((s.body["server"]["locked"].as_bool(), s.body["server"]["locked_reason"].as_str()), (Some(true), Some("audit")));
    let r = act(&c, &member.token, &id, json!({"os-stop": null})).await;
    assert_eq!((r.status, fault(&r, "conflictingRequest")), (StatusCode::CONFLICT, format!("Instance {id} is locked").as_str()));
    let r = at(&c, &member.token, "2.96", Method::DELETE, &format!("/servers/{id}"), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a locked server is not deleted by its owner");
    assert_eq!(act(&c, &member.token, &id, json!({"unlock": null})).await.status, StatusCode::ACCEPTED);

    // Actions not built yet say so; unknown ones are bad requests.
    let r = act(&c, &member.token, &id, json!({"migrate": null})).await;
    assert_eq!(r.status, StatusCode::NOT_IMPLEMENTED);
    assert!(fault(&r, "notImplemented").contains("migrate"));
    let nowhere = uuid::Uuid::new_v4().to_string();
    assert_eq!(act(&c, &member.token, &nowhere, json!({"migrate": null})).await.status, StatusCode::NOT_FOUND, "a missing server first");
    let r = act(&c, &member.token, &id, json!({"fly": null})).await;
    assert_eq!((r.status, fault(&r, "badRequest")), (StatusCode::BAD_REQUEST, "There is no such action: fly"));

    // Rename (answered before 2.75 with the fields Nova's update shows); metadata and tags.
    let r = at(&c, &member.token, "2.96", Method::PUT, &format!("/servers/{id}"), Some(json!({"server": {"name": "web-one"}}))).await;
    assert_eq!((r.status, r.body["server"]["name"].as_str()), (StatusCode::OK, Some("web-one")));
    let r = at(&c, &member.token, "2.1", Method::PUT, &format!("/servers/{id}"), Some(json!({"server": {"name": "web-one"}}))).await;
    assert!(r.body["server"].get("OS-EXT-STS:vm_state").is_none() && r.body["server"].get("hostId").is_some(), "{}", r.body);
    let r =
        at(&c, &member.token, "2.96", Method::POST, &format!("/servers/{id}/metadata"), Some(json!({"metadata": {"role": "web"}}))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        at(&c, &member.token, "2.96", Method::DELETE, &format!("/servers/{id}/metadata/rebuilt"), None).await.status,
        StatusCode::NO_CONTENT
    );
    let r = at(
        &c,
        &member.token,
        "2.96",
        Method::POST,
        &format!("/servers/{id}/metadata"),
        Some(json!({"metadata": {"role": "web", "tier": "1"}})),
    )
    .await;
    assert_eq!(r.body["metadata"], json!({"role": "web", "tier": "1"}));
    let r = at(&c, &member.token, "2.96", Method::PUT, &format!("/servers/{id}/metadata/tier"), Some(json!({"meta": {"tier": "2"}}))).await;
    assert_eq!(r.body["meta"], json!({"tier": "2"}));
    let r = at(&c, &member.token, "2.96", Method::PUT, &format!("/servers/{id}/metadata/tier"), Some(json!({"meta": {"role": "2"}}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "the body's key must be the path's");
    assert_eq!(
        at(&c, &member.token, "2.96", Method::DELETE, &format!("/servers/{id}/metadata/role"), None).await.status,
        StatusCode::NO_CONTENT
    );
    let r = at(&c, &member.token, "2.96", Method::GET, &format!("/servers/{id}/metadata"), None).await;
    assert_eq!(r.body["metadata"], json!({"tier": "2"}));
    let r = at(&c, &member.token, "2.96", Method::PUT, &format!("/servers/{id}/tags/blue"), None).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(at(&c, &member.token, "2.96", Method::PUT, &format!("/servers/{id}/tags/blue"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(at(&c, &member.token, "2.96", Method::GET, &format!("/servers/{id}/tags/blue"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(at(&c, &member.token, "2.25", Method::GET, &format!("/servers/{id}/tags"), None).await.status, StatusCode::NOT_FOUND);
    let r = at(&c, &member.token, "2.96", Method::GET, "/servers/detail?tags=blue", None).await;
    assert_eq!(r.body["servers"].as_array().map(Vec::len), Some(1), "{}", r.body);

    // Instance actions, newest first; events for admins.
    let r = at(&c, &member.token, "2.96", Method::GET, &format!("/servers/{id}/os-instance-actions"), None).await;
    let names: Vec<&str> = r.body["instanceActions"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "unlock", "lock", "start", "rebuild", "stop", "rebuild", "reboot", "reboot", "resume", "suspend", "unpause", "pause", "start",
            "stop", "create"
        ]
    );
    let create_request = r.body["instanceActions"][14]["request_id"].as_str().unwrap().to_owned();
    let r = at(&c, &admin, "2.96", Method::GET, &format!("/servers/{id}/os-instance-actions/{create_request}"), None).await;
    let events: Vec<(&str, &str)> = r.body["instanceAction"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["event"].as_str().unwrap(), e["result"].as_str().unwrap()))
        .collect();
    assert_eq!(events, [("conductor_schedule_and_build_instances", "Success"), ("compute_build_and_run_instance", "Success")]);
    assert_eq!(r.body["instanceAction"]["events"][1]["host"], host.as_str());
    let r = at(&c, &member.token, "2.96", Method::GET, &format!("/servers/{id}/os-instance-actions/{create_request}"), None).await;
    assert!(r.body["instanceAction"].get("events").is_none(), "events are for admins: {}", r.body);

    // Another project sees nothing of it.
    let stranger = c.project_member("server-stranger").await;
    assert_eq!(at(&c, &stranger.token, "2.96", Method::GET, &format!("/servers/{id}"), None).await.status, StatusCode::NOT_FOUND);
    let r = at(&c, &stranger.token, "2.96", Method::GET, "/servers", None).await;
    assert_eq!(r.body["servers"], json!([]));
    let r = at(&c, &admin, "2.96", Method::GET, "/servers?all_tenants=1", None).await;
    assert_eq!(r.body["servers"].as_array().map(Vec::len), Some(1), "{}", r.body);

    // An admin resets a server's state; its owner may not.
    let reset = json!({"os-resetState": {"state": "error"}});
    assert_eq!(act(&c, &member.token, &id, reset.clone()).await.status, StatusCode::FORBIDDEN);
    assert_eq!(act(&c, &admin, &id, reset).await.status, StatusCode::ACCEPTED);
    wait_for(&c, &member.token, &id, "ERROR").await;

    // Delete (from ERROR): the agent destroys it and placement forgets the claim.
    assert_eq!(at(&c, &member.token, "2.96", Method::DELETE, &format!("/servers/{id}"), None).await.status, StatusCode::NO_CONTENT);
    wait_gone(&c, &member.token, &id).await;
    assert_eq!(allocations(&c, &admin, &id).await, json!({}));
}

#[tokio::test]
async fn a_server_no_host_takes_lands_in_cell0_in_error_with_a_fault() {
    let c = TestCloud::start_with(config()).await;
    let admin = c.admin_token().await;
    let member = c.project_member("unlucky").await;
    let image = make_image(&c, &admin).await;
    host_ready(&c, &admin).await;
    // The fake hosts' hypervisor is "fake": a flavor that wants QEMU passes no host.
    let flavor = json!({"flavor": {"name": "qemu-only", "ram": 64, "vcpus": 1, "disk": 0, "id": "qemu-only"}});
    assert_eq!(at(&c, &admin, "2.1", Method::POST, "/flavors", Some(flavor)).await.status, StatusCode::OK);
    let specs = json!({"extra_specs": {"capabilities:hypervisor_type": "QEMU"}});
    assert_eq!(at(&c, &admin, "2.1", Method::POST, "/flavors/qemu-only/os-extra_specs", Some(specs)).await.status, StatusCode::OK);

    let r = at(&c, &member.token, "2.96", Method::POST, "/servers", Some(server("nowhere", &image, "qemu-only"))).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.body["server"]["id"].as_str().unwrap().to_owned();
    let errored = wait_for(&c, &member.token, &id, "ERROR").await;
    assert_eq!(errored["fault"]["message"], "No valid host was found. There are not enough hosts available.");
    assert_eq!(errored["fault"]["code"], 500);
    assert!(errored["fault"].get("details").is_none(), "details are for admins: {errored}");
    let r = at(&c, &admin, "2.96", Method::GET, &format!("/servers/{id}"), None).await;
    let details = r.body["server"]["fault"]["details"].as_str().unwrap_or_default();
    assert!(details.contains("ComputeCapabilitiesFilter: (start: 1, end: 0)"), "the fault says which filter removed the host: {details}");
    assert_eq!(allocations(&c, &admin, &id).await, json!({}), "nothing stays claimed");
    let r = act(&c, &member.token, &id, json!({"os-start": null})).await;
    assert_eq!(fault(&r, "conflictingRequest"), format!("Cannot 'start' instance {id} while it is in vm_state error"));

    // It is listed with its project's servers, and deleted at once (it has no host).
    let r = at(&c, &member.token, "2.96", Method::GET, "/servers?status=ERROR", None).await;
    assert_eq!(r.body["servers"][0]["id"], id.as_str());
    assert_eq!(at(&c, &member.token, "2.96", Method::DELETE, &format!("/servers/{id}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(at(&c, &member.token, "2.96", Method::GET, &format!("/servers/{id}"), None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_creates_and_over_quota_creates_are_refused_as_nova_refuses_them() {
    let c = TestCloud::start_with(config()).await;
    let admin = c.admin_token().await;
    let member = c.project_member("careless").await;
    let image = make_image(&c, &admin).await;
    host_ready(&c, &admin).await;

    let post = |body: Value| at(&c, &member.token, "2.96", Method::POST, "/servers", Some(body));
    let r = post(server("s", &image, "no-such-flavor")).await;
    assert_eq!((r.status, fault(&r, "badRequest")), (StatusCode::BAD_REQUEST, "Flavor no-such-flavor could not be found."));
    let missing = uuid::Uuid::new_v4().to_string();
    let r = post(server("s", &missing, "1")).await;
    assert_eq!((r.status, fault(&r, "badRequest")), (StatusCode::BAD_REQUEST, format!("Image {missing} could not be found.").as_str()));
    let r = post(server(&"n".repeat(256), &image, "1")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = post(json!({"server": {"name": "s", "imageRef": image, "flavorRef": "1"}})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "from 2.37 networks is required");
    let r = post(json!({"server": {"name": "s", "imageRef": image, "flavorRef": "1", "networks": "auto"}})).await;
    assert!(fault(&r, "badRequest").contains("network service"));
    let r = at(
        &c,
        &member.token,
        "2.36",
        Method::POST,
        "/servers",
        Some(json!({"server": {"name": "old", "imageRef": image, "flavorRef": "1"}})),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "before 2.37 a server may boot without networks: {}", r.body);
    let first = r.body["server"]["id"].as_str().unwrap().to_owned();

    // Quota: two instances for the project, so a request for two more is refused whole.
    let quota = json!({"quota_set": {"instances": 2}});
    let r = at(&c, &admin, "2.1", Method::PUT, &format!("/os-quota-sets/{}", member.project_id), Some(quota)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut two = server("pair", &image, "1");
    two["server"]["min_count"] = json!(2);
    let r = post(two).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(fault(&r, "forbidden").starts_with("Quota exceeded for instances"), "{}", r.body);
    let r = post(server("third", &image, "1")).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "one more fits: {}", r.body);
    wait_for(&c, &member.token, &first, "ACTIVE").await;
    let r = at(&c, &member.token, "2.96", Method::GET, "/servers?name=^th", None).await;
    let names: Vec<&str> = r.body["servers"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["third"], "name filters are regular expressions");
    let r = at(&c, &member.token, "2.96", Method::GET, "/servers?limit=1", None).await;
    assert_eq!(r.body["servers"].as_array().map(Vec::len), Some(1));
    assert!(r.body["servers_links"][0]["href"].as_str().unwrap().contains("marker="), "{}", r.body);
}

#[tokio::test]
async fn the_image_proxy_shows_and_changes_the_callers_images() {
    let c = TestCloud::start_with(config()).await;
    let admin = c.admin_token().await;
    let image = make_image(&c, &admin).await;
    let r = at(&c, &admin, "2.35", Method::GET, "/images/detail?minRam=0", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let shown = &r.body["images"][0];
    assert_eq!(
        (shown["id"].as_str(), shown["status"].as_str(), shown["progress"].as_i64()),
        (Some(image.as_str()), Some("ACTIVE"), Some(100))
    );
    assert_eq!(shown["OS-EXT-IMG-SIZE:size"], 4096);
    assert_eq!(at(&c, &admin, "2.35", Method::GET, "/images/detail?minRam=1", None).await.body["images"], json!([]));
    assert_eq!(at(&c, &admin, "2.36", Method::GET, "/images", None).await.status, StatusCode::NOT_FOUND, "the proxy ends at 2.35");

    // Metadata is the image's additional properties, changed in Glance.
    let path = format!("/images/{image}/metadata");
    let r = at(&c, &admin, "2.1", Method::POST, &path, Some(json!({"metadata": {"os_distro": "cirros", "tier": "1"}}))).await;
    assert_eq!(r.body["metadata"], json!({"os_distro": "cirros", "tier": "1"}), "{}", r.body);
    let r = at(&c, &admin, "2.1", Method::PUT, &format!("{path}/tier"), Some(json!({"meta": {"tier": "2"}}))).await;
    assert_eq!(r.body["meta"], json!({"tier": "2"}));
    assert_eq!(at(&c, &admin, "2.1", Method::DELETE, &format!("{path}/os_distro"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(at(&c, &admin, "2.1", Method::DELETE, &format!("{path}/os_distro"), None).await.status, StatusCode::NOT_FOUND);
    let glance = c.call(Method::GET, &c.image(&format!("/v2/images/{image}")), Some(&admin), None).await;
    assert_eq!((glance.body["tier"].as_str(), glance.body.get("os_distro")), (Some("2"), None), "{}", glance.body);

    assert_eq!(at(&c, &admin, "2.1", Method::DELETE, &format!("/images/{image}"), None).await.status, StatusCode::NO_CONTENT);
    let r = at(&c, &admin, "2.1", Method::GET, &format!("/images/{image}"), None).await;
    assert_eq!((r.status, fault(&r, "itemNotFound")), (StatusCode::NOT_FOUND, "Image not found."));
}

#[tokio::test]
async fn usage_counts_each_projects_server_hours() {
    let c = TestCloud::start_with(config()).await;
    let admin = c.admin_token().await;
    let member = c.project_member("usage-owner").await;
    let image = make_image(&c, &admin).await;
    host_ready(&c, &admin).await;
    let r = at(&c, &member.token, "2.96", Method::POST, "/servers", Some(server("metered", &image, "1"))).await;
    let id = r.body["server"]["id"].as_str().unwrap().to_owned();
    wait_for(&c, &member.token, &id, "ACTIVE").await;
    tokio::time::sleep(Duration::from_millis(50)).await;

    let own = format!("/os-simple-tenant-usage/{}?start=2020-01-01T00:00:00", member.project_id);
    let r = at(&c, &member.token, "2.40", Method::GET, &own, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let usage = &r.body["tenant_usage"];
    assert!(usage["total_hours"].as_f64().unwrap() > 0.0, "{usage}");
    assert_eq!(
        (usage["server_usages"][0]["instance_id"].as_str(), usage["server_usages"][0]["state"].as_str()),
        (Some(id.as_str()), Some("active"))
    );
    assert_eq!(usage["server_usages"][0]["memory_mb"], 512);
    let vcpu_hours = usage["total_vcpus_usage"].as_f64().unwrap();
    assert!((vcpu_hours - usage["total_hours"].as_f64().unwrap()).abs() < 1e-9, "one vCPU: as many vCPU-hours as hours");

    assert_eq!(at(&c, &member.token, "2.40", Method::GET, "/os-simple-tenant-usage", None).await.status, StatusCode::FORBIDDEN);
    let r = at(&c, &admin, "2.40", Method::GET, "/os-simple-tenant-usage?start=2020-01-01T00:00:00&detailed=1", None).await;
    let projects: Vec<&str> = r.body["tenant_usages"].as_array().unwrap().iter().map(|u| u["tenant_id"].as_str().unwrap()).collect();
    assert_eq!(projects, [member.project_id.as_str()]);
    let backwards = "/os-simple-tenant-usage?start=2030-01-01T00:00:00&end=2020-01-01T00:00:00";
    assert_eq!(at(&c, &admin, "2.40", Method::GET, backwards, None).await.status, StatusCode::BAD_REQUEST);

    // A deleted server still counts for the time it ran.
    assert_eq!(at(&c, &member.token, "2.96", Method::DELETE, &format!("/servers/{id}"), None).await.status, StatusCode::NO_CONTENT);
    wait_gone(&c, &member.token, &id).await;
    let r = at(&c, &member.token, "2.40", Method::GET, &own, None).await;
    assert_eq!(r.body["tenant_usage"]["server_usages"][0]["state"], "terminated", "{}", r.body);
    let before = "/os-simple-tenant-usage?start=2020-01-01T00:00:00&end=2020-02-01T00:00:00";
    assert_eq!(at(&c, &admin, "2.40", Method::GET, before, None).await.body["tenant_usages"], json!([]));
}

#[tokio::test]
async fn external_events_reach_the_servers_host() {
    let c = TestCloud::start_with(config()).await;
    let admin = c.admin_token().await;
    let member = c.project_member("evented").await;
    let image = make_image(&c, &admin).await;
    host_ready(&c, &admin).await;
    let r = at(&c, &member.token, "2.96", Method::POST, "/servers", Some(server("evented", &image, "1"))).await;
    let id = r.body["server"]["id"].as_str().unwrap().to_owned();
    wait_for(&c, &member.token, &id, "ACTIVE").await;

    let plugged = json!({"events": [{"name": "network-vif-plugged", "server_uuid": id, "tag": "port-1"}]});
    let r = at(&c, &admin, "2.76", Method::POST, "/os-server-external-events", Some(plugged.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((r.body["events"][0]["code"].as_i64(), r.body["events"][0]["status"].as_str()), (Some(200), Some("completed")));
    assert_eq!(
        at(&c, &member.token, "2.76", Method::POST, "/os-server-external-events", Some(plugged)).await.status,
        StatusCode::FORBIDDEN
    );

    // Partly unknown: 207, each event with its own code.
    let missing = uuid::Uuid::new_v4().to_string();
    let mixed = json!({"events": [
        {"name": "power-update", "server_uuid": id, "tag": "POWER_OFF"},
        {"name": "network-changed", "server_uuid": missing},
        {"name": "power-update", "server_uuid": id},
    ]});
    let r = at(&c, &admin, "2.76", Method::POST, "/os-server-external-events", Some(mixed)).await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS, "{}", r.body);
    let codes: Vec<i64> = r.body["events"].as_array().unwrap().iter().map(|e| e["code"].as_i64().unwrap()).collect();
    assert_eq!(codes, [200, 404, 400], "a power update needs its tag");
    // The host took the power update: the server is off.
    let off = wait_for(&c, &member.token, &id, "SHUTOFF").await;
    assert_eq!(off["OS-EXT-STS:power_state"], 4);
    let old = json!({"events": [{"name": "power-update", "server_uuid": id, "tag": "POWER_ON"}]});
    assert_eq!(at(&c, &admin, "2.75", Method::POST, "/os-server-external-events", Some(old)).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_snapshot_is_a_new_image_filled_by_the_servers_host() {
    let c = TestCloud::start_with(config()).await;
    let admin = c.admin_token().await;
    let member = c.project_member("snapshotter").await;
    let image = make_image(&c, &admin).await;
    host_ready(&c, &admin).await;
    let r = at(&c, &member.token, "2.96", Method::POST, "/servers", Some(server("snapped", &image, "1"))).await;
    let id = r.body["server"]["id"].as_str().unwrap().to_owned();
    wait_for(&c, &member.token, &id, "ACTIVE").await;

    let r = act(&c, &member.token, &id, json!({"createImage": {"name": "snap-1", "metadata": {"purpose": "backup"}}})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let snap = r.body["image_id"].as_str().expect("2.45+ answers the image id").to_owned();
    let mut shown = Value::Null;
    for _ in 0..100 {
        shown = c.call(Method::GET, &c.image(&format!("/v2/images/{snap}")), Some(&member.token), None).await.body;
        if shown["status"] == "active" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(shown["status"], "active", "{shown}");
    let base = c.call(Method::GET, &c.image(&format!("/v2/images/{image}")), Some(&admin), None).await.body;
    assert_eq!((shown["size"].as_i64(), &shown["checksum"]), (Some(4096), &base["checksum"]), "a fake guest's disk is its image");
    assert_eq!(
        (shown["instance_uuid"].as_str(), shown["image_type"].as_str(), shown["purpose"].as_str(), shown["owner"].as_str()),
        (Some(id.as_str()), Some("snapshot"), Some("backup"), Some(member.project_id.as_str()))
    );
    wait_for(&c, &member.token, &id, "ACTIVE").await;

    // Before 2.45 the image is named by a Location header.
    let r = at(&c, &member.token, "2.44", Method::POST, &format!("/servers/{id}/action"), Some(json!({"createImage": {"name": "snap-2"}})))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert!(r.headers["location"].to_str().unwrap().contains("/image/images/"));
    wait_for(&c, &member.token, &id, "ACTIVE").await;
    let r = at(&c, &member.token, "2.96", Method::GET, &format!("/servers/{id}/os-instance-actions"), None).await;
    assert_eq!(r.body["instanceActions"][0]["action"], "createImage");

    // A name is required; a server in ERROR is not snapshotted.
    assert_eq!(act(&c, &member.token, &id, json!({"createImage": {}})).await.status, StatusCode::BAD_REQUEST);
    let r =
        at(&c, &admin, "2.96", Method::POST, &format!("/servers/{id}/action"), Some(json!({"os-resetState": {"state": "error"}}))).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = act(&c, &member.token, &id, json!({"createImage": {"name": "snap-3"}})).await;
    assert_eq!(
        (r.status, fault(&r, "conflictingRequest")),
        (StatusCode::CONFLICT, format!("Cannot 'createImage' instance {id} while it is in vm_state error").as_str())
    );
}

#[tokio::test]
async fn a_build_that_fails_on_its_host_moves_to_an_alternate() {
    let mut cfg = config();
    cfg.compute.fake_computes = 2;
    cfg.compute.fake_broken_computes = 1;
    let c = TestCloud::start_with(cfg).await;
    let admin = c.admin_token().await;
    let image = make_image(&c, &admin).await;
    for _ in 0..100 {
        let r = c
            .call_with(
                Method::GET,
                &c.placement("/resource_providers?resources=VCPU:1"),
                Some(&admin),
                None,
                &[("OpenStack-API-Version", "placement 1.39")],
            )
            .await;
        if r.body["resource_providers"].as_array().is_some_and(|p| p.len() == 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut four = server("retried", &image, "1");
    four["server"]["min_count"] = json!(4);
    four["server"]["return_reservation_id"] = json!(true);
    let r = at(&c, &admin, "2.96", Method::POST, "/servers", Some(four)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let reservation = r.body["reservation_id"].as_str().unwrap().to_owned();
    let listed = at(&c, &admin, "2.96", Method::GET, &format!("/servers?reservation_id={reservation}"), None).await;
    let ids: Vec<String> = listed.body["servers"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 4);
    let mut hosts = Vec::new();
    for id in &ids {
        let s = wait_for(&c, &admin, id, "ACTIVE").await;
        hosts.push(s["OS-EXT-SRV-ATTR:host"].as_str().unwrap().to_owned());
        let claimed = allocations(&c, &admin, id).await;
        assert_eq!(claimed.as_object().map(|a| a.len()), Some(1), "one claim, on the host that built it: {claimed}");
    }
    hosts.dedup();
    assert_eq!(hosts.len(), 1, "every server ended on the working host: {hosts:?}");
    assert!(hosts[0].ends_with("-2"), "the first fake host is the broken one: {hosts:?}");
}

#[tokio::test]
async fn a_build_that_fails_everywhere_ends_in_error() {
    let mut cfg = config();
    cfg.compute.fake_computes = 2;
    cfg.compute.fake_broken_computes = 2;
    let c = TestCloud::start_with(cfg).await;
    let admin = c.admin_token().await;
    let image = make_image(&c, &admin).await;
    hosts_ready(&c, &admin, 2).await;
    let r = at(&c, &admin, "2.96", Method::POST, "/servers", Some(server("doomed", &image, "1"))).await;
    let id = r.body["server"]["id"].as_str().unwrap().to_owned();
    let s = wait_for(&c, &admin, &id, "ERROR").await;
    assert_eq!(
        s["fault"]["message"],
        format!("Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance {id}.")
    );
    assert_eq!(allocations(&c, &admin, &id).await, json!({}), "no claim is left behind");
}

#[tokio::test]
async fn a_shelved_server_leaves_its_host_and_comes_back_from_its_image() {
    let c = TestCloud::start_with(config()).await;
    let admin = c.admin_token().await;
    let member = c.project_member("shelver").await;
    let image = make_image(&c, &admin).await;
    host_ready(&c, &admin).await;
    let r = at(&c, &member.token, "2.96", Method::POST, "/servers", Some(server("parked", &image, "1"))).await;
    let id = r.body["server"]["id"].as_str().unwrap().to_owned();
    wait_for(&c, &member.token, &id, "ACTIVE").await;

    // Shelve: a snapshot named after the server, then off the host with nothing claimed.
    assert_eq!(act(&c, &member.token, &id, json!({"shelve": null})).await.status, StatusCode::ACCEPTED);
    let shelved = wait_for(&c, &admin, &id, "SHELVED_OFFLOADED").await;
    assert_eq!((shelved["OS-EXT-SRV-ATTR:host"].as_str(), shelved["OS-EXT-STS:power_state"].as_i64()), (None, Some(4)));
    assert_eq!(allocations(&c, &admin, &id).await, json!({}), "an offloaded server holds nothing");
    let images = c.call(Method::GET, &c.image("/v2/images?name=parked-shelved"), Some(&member.token), None).await;
    let snapshot = images.body["images"][0].clone();
    assert_eq!((snapshot["status"].as_str(), snapshot["instance_uuid"].as_str()), (Some("active"), Some(id.as_str())), "{}", images.body);
    let r = act(&c, &member.token, &id, json!({"shelve": null})).await;
    assert_eq!(fault(&r, "conflictingRequest"), format!("Cannot 'shelve' instance {id} while it is in vm_state shelved_offloaded"));
    assert_eq!(act(&c, &admin, &id, json!({"shelveOffload": null})).await.status, StatusCode::CONFLICT, "offloaded already");
    let r = act(&c, &member.token, &id, json!({"unshelve": {"availability_zone": "nowhere"}})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);

    // Unshelve: scheduled and claimed again, spawned from the shelved image, which goes.
    assert_eq!(
        at(
            &c,
            &member.token,
            "2.77",
            Method::POST,
            &format!("/servers/{id}/action"),
            Some(json!({"unshelve": {"availability_zone": "nova"}}))
        )
        .await
        .status,
        StatusCode::ACCEPTED
    );
    let back = wait_for(&c, &admin, &id, "ACTIVE").await;
    assert!(back["OS-EXT-SRV-ATTR:host"].is_string(), "{back}");
    assert_eq!(back["image"]["id"], image.as_str(), "the server still names the image it was booted from");
    assert_eq!(allocations(&c, &admin, &id).await.as_object().map(|a| a.len()), Some(1));
    let gone = c.call(Method::GET, &c.image(&format!("/v2/images/{}", snapshot["id"].as_str().unwrap())), Some(&member.token), None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "the shelved image is deleted once unshelved");
    let r = at(&c, &member.token, "2.96", Method::GET, &format!("/servers/{id}/os-instance-actions"), None).await;
    let names: Vec<&str> = r.body["instanceActions"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(&names[..2], ["unshelve", "shelve"]);
}

#[tokio::test]
async fn a_group_holds_at_most_its_quota_of_members() {
    let c = TestCloud::start_with(config()).await;
    let admin = c.admin_token().await;
    let member = c.project_member("grouper").await;
    let image = make_image(&c, &admin).await;
    host_ready(&c, &admin).await;
    let r = at(
        &c,
        &member.token,
        "2.64",
        Method::POST,
        "/os-server-groups",
        Some(json!({"server_group": {"name": "g", "policy": "affinity"}})),
    )
    .await;
    let group = r.body["server_group"]["id"].as_str().unwrap().to_owned();
    let quota = json!({"quota_set": {"server_group_members": 1}});
    assert_eq!(
        at(&c, &admin, "2.1", Method::PUT, &format!("/os-quota-sets/{}", member.project_id), Some(quota)).await.status,
        StatusCode::OK
    );
    let mut grouped = server("in-group", &image, "1");
    grouped["os:scheduler_hints"] = json!({"group": group});
    let r = at(&c, &member.token, "2.96", Method::POST, "/servers", Some(grouped.clone())).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.body["server"]["id"].as_str().unwrap().to_owned();
    wait_for(&c, &member.token, &id, "ACTIVE").await;
    let r = at(&c, &member.token, "2.64", Method::GET, &format!("/os-server-groups/{group}"), None).await;
    assert_eq!(r.body["server_group"]["members"], json!([id]));
    let r = at(&c, &member.token, "2.96", Method::POST, "/servers", Some(grouped)).await;
    assert_eq!((r.status, fault(&r, "forbidden")), (StatusCode::FORBIDDEN, "Quota exceeded, too many servers in group"));
}

#[tokio::test]
async fn backups_rotate_out_the_oldest_of_their_type() {
    let c = TestCloud::start_with(config()).await;
    let admin = c.admin_token().await;
    let member = c.project_member("backer").await;
    let image = make_image(&c, &admin).await;
    host_ready(&c, &admin).await;
    let r = at(&c, &member.token, "2.96", Method::POST, "/servers", Some(server("backed", &image, "1"))).await;
    let id = r.body["server"]["id"].as_str().unwrap().to_owned();
    wait_for(&c, &member.token, &id, "ACTIVE").await;

    let mut backups = Vec::new();
    for name in ["daily-1", "daily-2"] {
        let r = act(&c, &member.token, &id, json!({"createBackup": {"name": name, "backup_type": "daily", "rotation": 1}})).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        backups.push(r.body["image_id"].as_str().unwrap().to_owned());
        wait_for(&c, &member.token, &id, "ACTIVE").await;
    }
    let newest = c.call(Method::GET, &c.image(&format!("/v2/images/{}", backups[1])), Some(&member.token), None).await;
    assert_eq!(
        (newest.body["image_type"].as_str(), newest.body["backup_type"].as_str()),
        (Some("backup"), Some("daily")),
        "{}",
        newest.body
    );
    let oldest = c.call(Method::GET, &c.image(&format!("/v2/images/{}", backups[0])), Some(&member.token), None).await;
    assert_eq!(oldest.status, StatusCode::NOT_FOUND, "a rotation of 1 keeps only the newest daily backup");
}

#[tokio::test]
async fn a_rescued_server_boots_from_the_rescue_image_until_unrescued() {
    let c = TestCloud::start_with(config()).await;
    let admin = c.admin_token().await;
    let member = c.project_member("rescuer").await;
    let image = make_image(&c, &admin).await;
    host_ready(&c, &admin).await;
    let r = at(&c, &member.token, "2.96", Method::POST, "/servers", Some(server("stuck", &image, "1"))).await;
    let id = r.body["server"]["id"].as_str().unwrap().to_owned();
    wait_for(&c, &member.token, &id, "ACTIVE").await;

    let missing = json!({"rescue": {"rescue_image_ref": uuid::Uuid::new_v4().to_string()}});
    assert_eq!(act(&c, &member.token, &id, missing).await.status, StatusCode::BAD_REQUEST);
    let r = act(&c, &member.token, &id, json!({"rescue": {"adminPass": "let-me-in"}})).await;
    assert_eq!((r.status, r.body["adminPass"].as_str()), (StatusCode::OK, Some("let-me-in")), "{}", r.body);
    let rescued = wait_for(&c, &member.token, &id, "RESCUE").await;
    assert_eq!(rescued["OS-EXT-STS:vm_state"], "rescued");
    let r = act(&c, &member.token, &id, json!({"rescue": null})).await;
    assert_eq!(fault(&r, "conflictingRequest"), format!("Cannot 'rescue' instance {id} while it is in vm_state rescued"));
    assert_eq!(act(&c, &member.token, &id, json!({"unrescue": null})).await.status, StatusCode::ACCEPTED);
    wait_for(&c, &member.token, &id, "ACTIVE").await;
    assert_eq!(act(&c, &member.token, &id, json!({"unrescue": null})).await.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn os_hosts_lists_hosts_and_what_each_project_uses_on_one() {
    let c = TestCloud::start_with(config()).await;
    let admin = c.admin_token().await;
    let member = c.project_member("hosted").await;
    let image = make_image(&c, &admin).await;
    host_ready(&c, &admin).await;
    let r = at(&c, &member.token, "2.96", Method::POST, "/servers", Some(server("on-host", &image, "1"))).await;
    let id = r.body["server"]["id"].as_str().unwrap().to_owned();
    let s = wait_for(&c, &admin, &id, "ACTIVE").await;
    let host = s["OS-EXT-SRV-ATTR:host"].as_str().unwrap().to_owned();

    let r = at(&c, &admin, "2.42", Method::GET, "/os-hosts?zone=nova", None).await;
    assert_eq!(r.body["hosts"], json!([{"host_name": host, "service": "compute", "zone": "nova"}]), "{}", r.body);
    assert_eq!(at(&c, &admin, "2.43", Method::GET, "/os-hosts", None).await.status, StatusCode::NOT_FOUND, "gone from 2.43");
    assert_eq!(at(&c, &member.token, "2.1", Method::GET, "/os-hosts", None).await.status, StatusCode::FORBIDDEN);

    let r = at(&c, &admin, "2.1", Method::GET, &format!("/os-hosts/{host}"), None).await;
    let lines = r.body["host"].as_array().unwrap();
    let projects: Vec<&str> = lines.iter().map(|l| l["resource"]["project"].as_str().unwrap()).collect();
    assert_eq!(projects, ["(total)", "(used_now)", "(used_max)", member.project_id.as_str()]);
    assert_eq!((lines[3]["resource"]["cpu"].as_i64(), lines[3]["resource"]["memory_mb"].as_i64()), (Some(1), Some(512)));
    assert_eq!(at(&c, &admin, "2.1", Method::GET, "/os-hosts/no-such-host", None).await.status, StatusCode::NOT_FOUND);

    let r = at(&c, &admin, "2.1", Method::PUT, &format!("/os-hosts/{host}"), Some(json!({"status": "disable"}))).await;
    assert_eq!(r.body, json!({"host": host, "status": "disabled"}));
    let services = at(&c, &admin, "2.1", Method::GET, "/os-services?binary=nova-compute", None).await;
    assert_eq!(services.body["services"][0]["status"], "disabled");
    assert_eq!(
        at(&c, &admin, "2.1", Method::PUT, &format!("/os-hosts/{host}"), Some(json!({"status": "off"}))).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(at(&c, &admin, "2.1", Method::GET, &format!("/os-hosts/{host}/reboot"), None).await.status, StatusCode::NOT_IMPLEMENTED);
}

#[tokio::test]
async fn a_running_servers_password_is_changed_by_its_host() {
    let c = TestCloud::start_with(config()).await;
    let admin = c.admin_token().await;
    let member = c.project_member("passworder").await;
    let image = make_image(&c, &admin).await;
    host_ready(&c, &admin).await;
    let r = at(&c, &member.token, "2.96", Method::POST, "/servers", Some(server("pw", &image, "1"))).await;
    let id = r.body["server"]["id"].as_str().unwrap().to_owned();
    wait_for(&c, &member.token, &id, "ACTIVE").await;

    assert_eq!(act(&c, &member.token, &id, json!({"changePassword": {"adminPass": "n3w-secret"}})).await.status, StatusCode::ACCEPTED);
    wait_for(&c, &member.token, &id, "ACTIVE").await;
    let r = at(&c, &admin, "2.96", Method::GET, &format!("/servers/{id}/os-instance-actions"), None).await;
    assert_eq!(r.body["instanceActions"][0]["action"], "changePassword");
    let bad = act(&c, &member.token, &id, json!({"changePassword": {"adminPass": 42}})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(!bad.body.to_string().contains("42"), "a password is never quoted back: {}", bad.body);
    assert_eq!(act(&c, &member.token, &id, json!({"os-stop": null})).await.status, StatusCode::ACCEPTED);
    wait_for(&c, &member.token, &id, "SHUTOFF").await;
    let r = act(&c, &member.token, &id, json!({"changePassword": {"adminPass": "x"}})).await;
    assert_eq!(fault(&r, "conflictingRequest"), format!("Cannot 'changePassword' instance {id} while it is in vm_state stopped"));
}
