//! Images over HTTP (Glance v2): records, lists, patches, tags and data in and out.

use bytes::Bytes;
use futures_util::StreamExt;
use md5::Md5;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha512};
use system_tests::{Reply, TestCloud};

async fn create(c: &TestCloud, token: &str, body: Value) -> Value {
    let r = c.call(Method::POST, &c.image("/v2/images"), Some(token), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

async fn upload(c: &TestCloud, token: &str, id: &str, data: Vec<u8>) -> StatusCode {
    c.put_data(&c.image(&format!("/v2/images/{id}/file")), token, data).await.status
}

async fn patch(c: &TestCloud, token: &str, id: &str, media: &str, body: Value) -> Reply {
    let res = c
        .http
        .patch(c.image(&format!("/v2/images/{id}")))
        .header("X-Auth-Token", token)
        .header("Content-Type", media)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    Reply { status, headers, body: res.json().await.unwrap_or(Value::Null) }
}

const V21: &str = "application/openstack-images-v2.1-json-patch";
const V20: &str = "application/openstack-images-v2.0-json-patch";

#[tokio::test]
async fn an_image_goes_from_queued_to_active_and_its_data_comes_back_exactly() {
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    let versions = c.call(Method::GET, &c.image(""), None, None).await;
    assert_eq!(versions.status, StatusCode::MULTIPLE_CHOICES);
    assert!(versions.body["versions"][0]["links"][0]["href"].as_str().unwrap().ends_with("/image/v2/"));

    let image = create(&c, &admin, json!({"name": "img", "disk_format": "raw", "container_format": "bare", "ramdisk_id": "r"})).await;
    assert_eq!((image["status"].as_str(), image["visibility"].as_str(), &image["size"]), (Some("queued"), Some("shared"), &Value::Null));
    assert_eq!(image["ramdisk_id"], "r", "additional properties sit beside the base attributes");
    let id = image["id"].as_str().unwrap().to_owned();
    let file = c.image(&format!("/v2/images/{id}/file"));
    assert_eq!(c.call(Method::GET, &file, Some(&admin), None).await.status, StatusCode::NO_CONTENT, "no data yet");

    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    assert_eq!(upload(&c, &admin, &id, data.clone()).await, StatusCode::NO_CONTENT);
    assert_eq!(upload(&c, &admin, &id, data.clone()).await, StatusCode::CONFLICT, "an active image takes no more data");
    let shown = c.call(Method::GET, &c.image(&format!("/v2/images/{id}")), Some(&admin), None).await.body;
    assert_eq!(shown["status"], "active");
    assert_eq!(shown["size"], 100_000);
    assert_eq!(shown["virtual_size"], 100_000, "raw: the virtual size is the size");
    let md5_hex: String = Md5::digest(&data).iter().map(|b| format!("{b:02x}")).collect();
    let sha_hex: String = Sha512::digest(&data).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!((shown["checksum"].as_str(), shown["os_hash_algo"].as_str()), (Some(md5_hex.as_str()), Some("sha512")));
    assert_eq!(shown["os_hash_value"], sha_hex);

    let res = c.http.get(&file).header("X-Auth-Token", &admin).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-md5"], md5_hex.as_str());
    assert_eq!(res.bytes().await.unwrap().as_ref(), data.as_slice());
    let ranged = c.http.get(&file).header("X-Auth-Token", &admin).header("Range", "bytes=10-19").send().await.unwrap();
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(ranged.headers()["content-range"], "bytes 10-19/100000");
    assert_eq!(ranged.bytes().await.unwrap().as_ref(), &data[10..20]);
    let past = c.http.get(&file).header("X-Auth-Token", &admin).header("Range", "bytes=100000-").send().await.unwrap();
    assert_eq!(past.status(), StatusCode::RANGE_NOT_SATISFIABLE);

    assert_eq!(
        c.call(Method::POST, &c.image(&format!("/v2/images/{id}/actions/deactivate")), Some(&admin), None).await.status,
        StatusCode::NO_CONTENT
    );
    let shown = c.call(Method::GET, &c.image(&format!("/v2/images/{id}")), Some(&admin), None).await.body;
    assert_eq!(shown["status"], "deactivated");
    assert_eq!(
        c.call(Method::POST, &c.image(&format!("/v2/images/{id}/actions/reactivate")), Some(&admin), None).await.status,
        StatusCode::NO_CONTENT
    );

    let stored = c.dir.path().join("images").join(&id);
    assert!(stored.exists());
    assert_eq!(c.call(Method::DELETE, &c.image(&format!("/v2/images/{id}")), Some(&admin), None).await.status, StatusCode::NO_CONTENT);
    assert!(!stored.exists(), "deleting an image frees its data");
    for method in [Method::GET, Method::DELETE] {
        assert_eq!(c.call(method.clone(), &c.image(&format!("/v2/images/{id}")), Some(&admin), None).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            c.call(method, &c.image("/v2/images/"), Some(&admin), None).await.status,
            StatusCode::NOT_FOUND,
            "an empty id names no image"
        );
    }
    assert_eq!(c.call(Method::GET, &c.image("/v2/images/not-a-uuid"), Some(&admin), None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_requests_get_glance_errors_and_change_nothing() {
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    for (body, status) in [
        (json!({"name": "x", "disk_format": "wrong", "container_format": "bare"}), StatusCode::BAD_REQUEST),
        (json!({"name": "x", "disk_format": "raw", "container_format": "wrong"}), StatusCode::BAD_REQUEST),
        (json!({"name": "x", "status": "active"}), StatusCode::FORBIDDEN),
        (json!({"name": "x", "os_glance_import_task": "t"}), StatusCode::FORBIDDEN),
        (json!({"name": "x", "min_ram": "lots"}), StatusCode::BAD_REQUEST),
        (json!({"name": "x", "visibility": "everyone"}), StatusCode::BAD_REQUEST),
    ] {
        let r = c.call(Method::POST, &c.image("/v2/images"), Some(&admin), Some(body.clone())).await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert_eq!(r.body["code"], format!("{} {}", status.as_u16(), status.canonical_reason().unwrap()), "Glance's error body");
    }
    let listed = c.call(Method::GET, &c.image("/v2/images"), Some(&admin), None).await;
    assert_eq!(listed.body["images"], json!([]), "nothing was half-written");

    let image = create(&c, &admin, json!({"name": "p", "disk_format": "qcow2", "container_format": "bare", "protected": true})).await;
    let id = image["id"].as_str().unwrap();
    assert_eq!(c.call(Method::DELETE, &c.image(&format!("/v2/images/{id}")), Some(&admin), None).await.status, StatusCode::FORBIDDEN);
    let wrong_type = c
        .http
        .put(c.image(&format!("/v2/images/{id}/file")))
        .header("X-Auth-Token", &admin)
        .header("Content-Type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let unformatted = create(&c, &admin, json!({"name": "no formats"})).await;
    assert_eq!(upload(&c, &admin, unformatted["id"].as_str().unwrap(), b"x".to_vec()).await, StatusCode::BAD_REQUEST);
    let still = c.call(Method::GET, &c.image(&format!("/v2/images/{}", unformatted["id"].as_str().unwrap())), Some(&admin), None).await;
    assert_eq!(still.body["status"], "queued", "a refused upload leaves the image queued");

    // Another project's user sees no private image of ours, and cannot change a public one.
    let other_id = c.make_service_user(&admin, "other", "other-pw").await;
    let member =
        c.call(Method::GET, &c.v3("/roles?name=member"), Some(&admin), None).await.body["roles"][0]["id"].as_str().unwrap().to_owned();
    let service = c.call(Method::GET, &c.v3("/projects?name=service"), Some(&admin), None).await.body["projects"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    c.call(Method::PUT, &c.v3(&format!("/projects/{service}/users/{other_id}/roles/{member}")), Some(&admin), None).await;
    let (other, _) = c.password_token("other", "other-pw", Some(json!({"project": {"id": service}}))).await.unwrap();
    let private = create(&c, &admin, json!({"name": "mine", "visibility": "private"})).await;
    let private_url = c.image(&format!("/v2/images/{}", private["id"].as_str().unwrap()));
    assert_eq!(c.call(Method::GET, &private_url, Some(&other), None).await.status, StatusCode::NOT_FOUND);
    let public = create(&c, &admin, json!({"name": "ours", "visibility": "public"})).await;
    let public_id = public["id"].as_str().unwrap();
    assert_eq!(c.call(Method::GET, &c.image(&format!("/v2/images/{public_id}")), Some(&other), None).await.status, StatusCode::OK);
    let r = patch(&c, &other, public_id, V21, json!([{"op": "replace", "path": "/name", "value": "theirs"}])).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c.call(Method::POST, &c.image("/v2/images"), Some(&other), Some(json!({"name": "loud", "visibility": "public"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "only administrators publish images");
}

#[tokio::test]
async fn patches_follow_both_dialects_and_tags_come_and_go() {
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    let image =
        create(&c, &admin, json!({"name": "before", "disk_format": "raw", "container_format": "bare", "os_distro": "debian"})).await;
    let id = image["id"].as_str().unwrap();

    let r = patch(&c, &admin, id, V20, json!([{"replace": "/name", "value": "after"}])).await;
    assert_eq!((r.status, r.body["name"].as_str()), (StatusCode::OK, Some("after")));
    let r = patch(&c, &admin, id, V20, json!([{"add": "/os_distro", "value": "fedora"}])).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "2.0: add does not overwrite");
    let r = patch(
        &c,
        &admin,
        id,
        V21,
        json!([{"op": "add", "path": "/os_distro", "value": "fedora"}, {"op": "add", "path": "/min_ram", "value": 512}]),
    )
    .await;
    assert_eq!(
        (r.status, r.body["os_distro"].as_str(), r.body["min_ram"].as_i64()),
        (StatusCode::OK, Some("fedora"), Some(512)),
        "2.1: add sets"
    );
    for (ops, status) in [
        (json!([{"op": "replace", "path": "/status", "value": "active"}]), StatusCode::FORBIDDEN),
        (json!([{"op": "remove", "path": "/name"}]), StatusCode::FORBIDDEN),
        (json!([{"op": "remove", "path": "/missing"}]), StatusCode::CONFLICT),
        (json!([{"op": "replace", "path": "/missing", "value": "x"}]), StatusCode::CONFLICT),
        (json!([{"op": "add", "path": "/custom", "value": 5}]), StatusCode::BAD_REQUEST),
        (json!([{"op": "add", "path": "/name", "value": "half"}, {"op": "replace", "path": "/id", "value": "x"}]), StatusCode::FORBIDDEN),
    ] {
        let r = patch(&c, &admin, id, V21, ops.clone()).await;
        assert_eq!(r.status, status, "{ops}: {}", r.body);
    }
    let r = patch(&c, &admin, id, "application/json", json!([])).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(r.headers["accept-patch"].to_str().unwrap().contains("v2.1-json-patch"));
    let shown = c.call(Method::GET, &c.image(&format!("/v2/images/{id}")), Some(&admin), None).await.body;
    assert_eq!(shown["name"], "after", "a refused patch changes nothing, not even its valid parts");
    let r = patch(&c, &admin, id, V21, json!([{"op": "remove", "path": "/os_distro"}])).await;
    assert!(r.body.get("os_distro").is_none());
    let r = patch(&c, &admin, id, V20, json!([{"replace": "/owner", "value": "0123456789abcdef0123456789abcdef"}])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let shown = c.call(Method::GET, &c.image(&format!("/v2/images/{id}")), Some(&admin), None).await.body;
    assert_eq!(shown["owner"], "0123456789abcdef0123456789abcdef", "an administrator may give an image away");

    let tag = |method: Method, t: &str| {
        let url = c.image(&format!("/v2/images/{id}/tags/{t}"));
        let (c, admin) = (&c, admin.clone());
        async move { c.call(method, &url, Some(&admin), None).await.status }
    };
    assert_eq!(tag(Method::PUT, "gold").await, StatusCode::NO_CONTENT);
    assert_eq!(tag(Method::PUT, "gold").await, StatusCode::NO_CONTENT, "idempotent");
    let shown = c.call(Method::GET, &c.image(&format!("/v2/images/{id}")), Some(&admin), None).await.body;
    assert_eq!(shown["tags"], json!(["gold"]));
    assert_eq!(tag(Method::DELETE, "gold").await, StatusCode::NO_CONTENT);
    assert_eq!(tag(Method::DELETE, "gold").await, StatusCode::NOT_FOUND);
    let missing =
        c.call(Method::PUT, &c.image(&format!("/v2/images/{}/tags/x", "00000000-0000-0000-0000-000000000000")), Some(&admin), None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn lists_filter_sort_and_page() {
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    let mut ids = Vec::new();
    for (i, format) in ["qcow2", "raw", "raw"].into_iter().enumerate() {
        let image = create(
            &c,
            &admin,
            json!({"name": format!("i{i}"), "disk_format": format, "container_format": "bare", "tags": ["all", format!("t{i}")]}),
        )
        .await;
        let id = image["id"].as_str().unwrap().to_owned();
        if i > 0 {
            assert_eq!(upload(&c, &admin, &id, vec![0u8; 1000 * i]).await, StatusCode::NO_CONTENT);
        }
        ids.push(id);
    }
    let hidden = create(&c, &admin, json!({"name": "hidden", "os_hidden": true})).await;
    let list = |query: &str| {
        let url = c.image(&format!("/v2/images{query}"));
        let query = query.to_owned();
        let (c, admin) = (&c, admin.clone());
        async move {
            let r = c.call(Method::GET, &url, Some(&admin), None).await;
            assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.body);
            r.body
        }
    };
    let names =
        |body: &Value| body["images"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(names(&list("").await), ["i2", "i1", "i0"], "newest first; hidden images stay out");
    assert_eq!(names(&list("?os_hidden=True").await), ["hidden"]);
    assert_eq!(hidden["os_hidden"], true);
    assert_eq!(names(&list("?disk_format=raw").await), ["i2", "i1"]);
    assert_eq!(names(&list("?status=active&sort_key=name&sort_dir=asc").await), ["i1", "i2"]);
    assert_eq!(names(&list("?size_min=1500").await), ["i2"], "a null size never meets a bound");
    assert_eq!(names(&list("?size=1000").await), ["i1"]);
    assert_eq!(names(&list("?tag=all&tag=t0").await), ["i0"]);
    assert_eq!(names(&list("?name=in:i0,i2&sort=name:asc").await), ["i0", "i2"]);
    let first = list("?limit=2").await;
    assert_eq!(names(&first), ["i2", "i1"]);
    let next = first["next"].as_str().unwrap();
    assert!(next.starts_with("/v2/images?") && next.contains(&format!("marker={}", ids[1])), "{next}");
    let second = list(&next["/v2/images".len()..]).await;
    assert_eq!(names(&second), ["i0"]);
    assert!(second.get("next").is_none(), "a page that is not full is the last");
    for bad in
        ["?limit=x", "?sort_key=owner", "?marker=00000000-0000-0000-0000-000000000000", "?visibility=everyone", "?created_at=gt:never"]
    {
        let r = c.call(Method::GET, &c.image(&format!("/v2/images{bad}")), Some(&admin), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    for schema in ["image", "images", "member", "members"] {
        let r = c.call(Method::GET, &c.image(&format!("/v2/schemas/{schema}")), Some(&admin), None).await;
        assert_eq!(r.body["name"], schema);
    }
}

/// 2 GiB streamed up and back, compared by digest: the data is never held whole in
/// memory on either side.
#[tokio::test]
async fn a_two_gibibyte_image_round_trips_byte_for_byte() {
    const CHUNK: usize = 1 << 20;
    const CHUNKS: usize = 2048;
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    let image = create(&c, &admin, json!({"name": "big", "disk_format": "raw", "container_format": "bare"})).await;
    let id = image["id"].as_str().unwrap().to_owned();
    // Each chunk is a different window on one pattern, so misplaced chunks would show.
    let pattern = Bytes::from((0..CHUNK + 251).map(|j| (j * 7 % 251) as u8).collect::<Vec<u8>>());
    let chunk = move |i: usize| pattern.slice(i % 251..i % 251 + CHUNK);
    let mut sent = Sha512::new();
    for i in 0..CHUNKS {
        sent.update(chunk(i));
    }
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter((0..CHUNKS).map({
        let chunk = chunk.clone();
        move |i| Ok::<_, std::io::Error>(chunk(i))
    })));
    let res = c
        .http
        .put(c.image(&format!("/v2/images/{id}/file")))
        .header("X-Auth-Token", &admin)
        .header("Content-Type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let sent: String = sent.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let shown = c.call(Method::GET, &c.image(&format!("/v2/images/{id}")), Some(&admin), None).await.body;
    assert_eq!(shown["size"], (CHUNK * CHUNKS) as u64);
    assert_eq!(shown["os_hash_value"], sent);

    let res = c.http.get(c.image(&format!("/v2/images/{id}/file"))).header("X-Auth-Token", &admin).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (mut received, mut len) = (Sha512::new(), 0usize);
    let mut stream = res.bytes_stream();
    while let Some(part) = stream.next().await {
        let part = part.unwrap();
        len += part.len();
        received.update(&part);
    }
    let received: String = received.finalize().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!((len, received), (CHUNK * CHUNKS, sent), "every byte came back");
}

#[tokio::test]
async fn an_owner_shares_an_image_and_only_the_member_answers() {
    let c = TestCloud::start().await;
    let (owner, alt, other) = (c.project_member("owner").await, c.project_member("alt").await, c.project_member("other").await);
    let image = create(&c, &owner.token, json!({"name": "shared", "disk_format": "raw", "container_format": "bare"})).await;
    let id = image["id"].as_str().unwrap().to_owned();
    let members = c.image(&format!("/v2/images/{id}/members"));
    let alt_member = c.image(&format!("/v2/images/{id}/members/{}", alt.project_id));
    let listed_ids =
        |r: Reply| r.body["images"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    let list_as = |token: &str, query: &str| {
        let url = c.image(&format!("/v2/images{query}"));
        let token = token.to_owned();
        let c = &c;
        async move { listed_ids(c.call(Method::GET, &url, Some(&token), None).await) }
    };

    let added = c.call(Method::POST, &members, Some(&owner.token), Some(json!({"member": alt.project_id}))).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert_eq!((added.body["member_id"].as_str(), added.body["image_id"].as_str()), (Some(alt.project_id.as_str()), Some(id.as_str())));
    assert_eq!((added.body["status"].as_str(), added.body["schema"].as_str()), (Some("pending"), Some("/v2/schemas/member")));
    let again = c.call(Method::POST, &members, Some(&owner.token), Some(json!({"member": alt.project_id}))).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    let by_alt = c.call(Method::POST, &members, Some(&alt.token), Some(json!({"member": other.project_id}))).await;
    assert_eq!(by_alt.status, StatusCode::FORBIDDEN, "only the owner adds members: {}", by_alt.body);
    let no_member = c.call(Method::POST, &members, Some(&owner.token), Some(json!({"project": "x"}))).await;
    assert_eq!(no_member.status, StatusCode::BAD_REQUEST);

    // Pending: alt sees the image itself, but not in its default list.
    assert_eq!(c.call(Method::GET, &c.image(&format!("/v2/images/{id}")), Some(&alt.token), None).await.status, StatusCode::OK);
    assert_eq!(c.call(Method::GET, &c.image(&format!("/v2/images/{id}")), Some(&other.token), None).await.status, StatusCode::NOT_FOUND);
    assert!(!list_as(&alt.token, "").await.contains(&id));
    assert_eq!(list_as(&alt.token, "?member_status=pending&visibility=shared").await, std::slice::from_ref(&id));

    let by_owner = c.call(Method::PUT, &alt_member, Some(&owner.token), Some(json!({"status": "accepted"}))).await;
    assert_eq!(by_owner.status, StatusCode::FORBIDDEN, "the owner cannot answer for a member: {}", by_owner.body);
    let invalid = c.call(Method::PUT, &alt_member, Some(&alt.token), Some(json!({"status": "maybe"}))).await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST, "{}", invalid.body);
    let accepted = c.call(Method::PUT, &alt_member, Some(&alt.token), Some(json!({"status": "accepted"}))).await;
    assert_eq!((accepted.status, accepted.body["status"].as_str()), (StatusCode::OK, Some("accepted")), "{}", accepted.body);
    assert!(list_as(&alt.token, "").await.contains(&id), "an accepted image is listed");

    let by_owner = c.call(Method::GET, &members, Some(&owner.token), None).await;
    assert_eq!((by_owner.status, by_owner.body["members"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
    assert_eq!(by_owner.body["members"][0]["status"], "accepted");
    assert_eq!(c.call(Method::GET, &alt_member, Some(&alt.token), None).await.body["status"], "accepted");
    assert_eq!(c.call(Method::GET, &alt_member, Some(&other.token), None).await.status, StatusCode::NOT_FOUND);

    let rejected = c.call(Method::PUT, &alt_member, Some(&alt.token), Some(json!({"status": "rejected"}))).await;
    assert_eq!(rejected.status, StatusCode::OK);
    assert!(!list_as(&alt.token, "").await.contains(&id), "a rejected image is not listed");
    assert_eq!(list_as(&alt.token, "?member_status=rejected").await, std::slice::from_ref(&id));

    assert_eq!(c.call(Method::DELETE, &alt_member, Some(&alt.token), None).await.status, StatusCode::FORBIDDEN, "only the owner removes");
    assert_eq!(c.call(Method::DELETE, &alt_member, Some(&owner.token), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(c.call(Method::DELETE, &alt_member, Some(&owner.token), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(c.call(Method::GET, &c.image(&format!("/v2/images/{id}")), Some(&alt.token), None).await.status, StatusCode::NOT_FOUND);

    // Only shared images have members.
    let private = create(&c, &owner.token, json!({"name": "private", "visibility": "private"})).await;
    let private_members = c.image(&format!("/v2/images/{}/members", private["id"].as_str().unwrap()));
    let refused = c.call(Method::POST, &private_members, Some(&owner.token), Some(json!({"member": alt.project_id}))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(
        c.call(Method::GET, &format!("{private_members}/{}", alt.project_id), Some(&owner.token), None).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn stage(c: &TestCloud, token: &str, id: &str, data: Vec<u8>) -> StatusCode {
    c.put_data(&c.image(&format!("/v2/images/{id}/stage")), token, data).await.status
}

/// Polls an image until its status is `want`, for at most 30 s.
async fn wait_for_status(c: &TestCloud, token: &str, id: &str, want: &str) -> Value {
    for _ in 0..300 {
        let image = c.call(Method::GET, &c.image(&format!("/v2/images/{id}")), Some(token), None).await.body;
        if image["status"] == want {
            return image;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("image {id} did not become {want}");
}

#[tokio::test]
async fn glance_direct_import_stages_then_imports_under_a_task() {
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    let owner = c.project_member("importer").await;
    let info = c.call(Method::GET, &c.image("/v2/info/import"), Some(&owner.token), None).await;
    assert_eq!(info.body["import-methods"]["value"], json!(["glance-direct", "web-download"]), "{}", info.body);
    assert_eq!(c.call(Method::GET, &c.image("/v2/info/stores"), Some(&owner.token), None).await.status, StatusCode::NOT_FOUND);

    let image = create(&c, &owner.token, json!({"name": "imported", "disk_format": "raw", "container_format": "bare"})).await;
    let id = image["id"].as_str().unwrap().to_owned();
    let import_url = c.image(&format!("/v2/images/{id}/import"));
    let glance_direct = json!({"method": {"name": "glance-direct"}, "all_stores": true});
    let early = c.call(Method::POST, &import_url, Some(&owner.token), Some(glance_direct.clone())).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "nothing staged yet: {}", early.body);

    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    assert_eq!(stage(&c, &owner.token, &id, data.clone()).await, StatusCode::NO_CONTENT);
    let staged = c.call(Method::GET, &c.image(&format!("/v2/images/{id}")), Some(&owner.token), None).await.body;
    assert_eq!((staged["status"].as_str(), staged["size"].as_i64()), (Some("uploading"), Some(300_000)));
    assert_eq!(stage(&c, &owner.token, &id, data.clone()).await, StatusCode::CONFLICT, "staged once only");

    for (bad, why) in [
        (json!({"method": {"name": "web-upload"}}), "unknown method"),
        (json!({"name": "glance-direct"}), "no method"),
        (json!({"method": {"name": "glance-direct"}, "all_stores": "yes"}), "all_stores not a boolean"),
    ] {
        let r = c.call(Method::POST, &import_url, Some(&owner.token), Some(bad)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{why}: {}", r.body);
    }
    let started = c.call(Method::POST, &import_url, Some(&owner.token), Some(glance_direct.clone())).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    let request_id = started.headers["x-openstack-request-id"].to_str().unwrap().to_owned();

    let active = wait_for_status(&c, &owner.token, &id, "active").await;
    let md5_hex: String = Md5::digest(&data).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!((active["size"].as_i64(), active["checksum"].as_str()), (Some(300_000), Some(md5_hex.as_str())));
    assert_eq!((active["os_glance_importing_to_stores"].as_str(), active["os_glance_failed_import"].as_str()), (Some(""), Some("")));
    assert!(active.get("os_glance_import_task").is_none(), "the import lock is released: {active}");
    let back = c.http.get(c.image(&format!("/v2/images/{id}/file"))).header("X-Auth-Token", &owner.token).send().await.unwrap();
    assert_eq!(back.bytes().await.unwrap().as_ref(), data.as_slice());
    assert!(!c.dir.path().join("image-staging").join(&id).exists(), "staged data is gone once imported");
    let again = c.call(Method::POST, &import_url, Some(&owner.token), Some(glance_direct)).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "an active image is not imported again");

    let tasks = c.call(Method::GET, &c.image(&format!("/v2/images/{id}/tasks")), Some(&owner.token), None).await;
    assert_eq!(tasks.body["tasks"].as_array().map(Vec::len), Some(1), "{}", tasks.body);
    let task = &tasks.body["tasks"][0];
    assert_eq!((task["type"].as_str(), task["status"].as_str()), (Some("api_image_import"), Some("success")));
    assert_eq!(task["request_id"].as_str(), Some(request_id.as_str()));
    assert_eq!(task["input"]["import_req"]["method"]["name"], "glance-direct");
    let task_id = task["id"].as_str().unwrap();

    // The tasks API is administrators'.
    assert_eq!(c.call(Method::GET, &c.image("/v2/tasks"), Some(&owner.token), None).await.status, StatusCode::FORBIDDEN);
    let listed = c.call(Method::GET, &c.image("/v2/tasks?status=success"), Some(&admin), None).await;
    assert!(listed.body["tasks"].as_array().unwrap().iter().any(|t| t["id"] == task_id), "{}", listed.body);
    let shown = c.call(Method::GET, &c.image(&format!("/v2/tasks/{task_id}")), Some(&admin), None).await;
    assert_eq!((shown.body["result"]["image_id"].as_str(), shown.body["image_id"].as_str()), (Some(id.as_str()), Some(id.as_str())));
    assert!(shown.body["expires_at"].is_string(), "a finished task expires: {}", shown.body);
    let bad_type = c.call(Method::POST, &c.image("/v2/tasks"), Some(&admin), Some(json!({"type": "export", "input": {}}))).await;
    assert_eq!(bad_type.status, StatusCode::BAD_REQUEST);

    // Deleting a staged image frees its staged data.
    let other = create(&c, &owner.token, json!({"name": "staged only", "disk_format": "raw", "container_format": "bare"})).await;
    let other_id = other["id"].as_str().unwrap();
    assert_eq!(stage(&c, &owner.token, other_id, vec![1; 1000]).await, StatusCode::NO_CONTENT);
    assert!(c.dir.path().join("image-staging").join(other_id).exists());
    assert_eq!(
        c.call(Method::DELETE, &c.image(&format!("/v2/images/{other_id}")), Some(&owner.token), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(!c.dir.path().join("image-staging").join(other_id).exists());
}

fn two_stores() -> ferrostack::Config {
    let store = |id: &str, description: &str| ferrostack::config::StoreSettings {
        id: id.into(),
        description: Some(description.into()),
        path: None,
    };
    let mut config = ferrostack::Config::default();
    config.image.stores = vec![store("fast", "SSD"), store("cheap", "spinning disks")];
    config.image.default_store = Some("fast".into());
    config
}

/// Polls an image until `check` holds, for at most 30 s.
async fn wait_for(c: &TestCloud, token: &str, id: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..300 {
        let image = c.call(Method::GET, &c.image(&format!("/v2/images/{id}")), Some(token), None).await.body;
        if check(&image) {
            return image;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("image {id}: {what} never happened");
}

#[tokio::test]
async fn several_stores_take_imports_and_copies_and_give_copies_back() {
    let c = TestCloud::start_with(two_stores()).await;
    let admin = c.admin_token().await;
    let owner = c.project_member("stores").await;
    let stores = c.call(Method::GET, &c.image("/v2/info/stores"), Some(&owner.token), None).await;
    assert_eq!(stores.status, StatusCode::OK, "{}", stores.body);
    assert_eq!(
        stores.body["stores"],
        json!([{"id": "fast", "description": "SSD", "default": "true"}, {"id": "cheap", "description": "spinning disks"}])
    );
    let methods = c.call(Method::GET, &c.image("/v2/info/import"), Some(&owner.token), None).await;
    assert_eq!(methods.body["import-methods"]["value"], json!(["glance-direct", "web-download", "copy-image"]));
    let versions = c.call(Method::GET, &c.image(""), None, None).await;
    assert_eq!(versions.body["versions"][0]["id"], "v2.13");

    // An upload goes to the store the header names.
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
    let uploaded = create(&c, &owner.token, json!({"name": "u", "disk_format": "raw", "container_format": "bare"})).await;
    let uploaded_id = uploaded["id"].as_str().unwrap();
    let put = c
        .http
        .put(c.image(&format!("/v2/images/{uploaded_id}/file")))
        .header("X-Auth-Token", &owner.token)
        .header("Content-Type", "application/octet-stream")
        .header("X-Image-Meta-Store", "cheap")
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::NO_CONTENT);
    let shown = c.call(Method::GET, &c.image(&format!("/v2/images/{uploaded_id}")), Some(&owner.token), None).await.body;
    assert_eq!(shown["stores"], "cheap");
    assert!(c.dir.path().join("image-stores/cheap").join(uploaded_id).exists());

    // glance-direct into every store.
    let image = create(&c, &owner.token, json!({"name": "i", "disk_format": "raw", "container_format": "bare"})).await;
    let id = image["id"].as_str().unwrap().to_owned();
    assert_eq!(stage(&c, &owner.token, &id, data.clone()).await, StatusCode::NO_CONTENT);
    let import_url = c.image(&format!("/v2/images/{id}/import"));
    let unknown =
        c.call(Method::POST, &import_url, Some(&owner.token), Some(json!({"method": {"name": "glance-direct"}, "stores": ["tape"]}))).await;
    assert_eq!(unknown.status, StatusCode::CONFLICT, "{}", unknown.body);
    let both = json!({"method": {"name": "glance-direct"}, "all_stores": true, "stores": ["fast"]});
    assert_eq!(c.call(Method::POST, &import_url, Some(&owner.token), Some(both)).await.status, StatusCode::BAD_REQUEST);
    let all =
        c.call(Method::POST, &import_url, Some(&owner.token), Some(json!({"method": {"name": "glance-direct"}, "all_stores": true}))).await;
    assert_eq!(all.status, StatusCode::ACCEPTED, "{}", all.body);
    let imported = wait_for(&c, &owner.token, &id, "active in both stores", |i| i["status"] == "active").await;
    assert_eq!((imported["stores"].as_str(), imported["os_glance_failed_import"].as_str()), (Some("cheap,fast"), Some("")));

    // Deleting a copy from one store keeps the other; the last copy stays.
    let from_cheap = c.image(&format!("/v2/stores/cheap/{id}"));
    assert_eq!(c.call(Method::DELETE, &from_cheap, Some(&owner.token), None).await.status, StatusCode::FORBIDDEN, "administrators only");
    assert_eq!(c.call(Method::DELETE, &from_cheap, Some(&admin), None).await.status, StatusCode::NO_CONTENT);
    assert!(!c.dir.path().join("image-stores/cheap").join(&id).exists());
    let last = c.call(Method::DELETE, &c.image(&format!("/v2/stores/fast/{id}")), Some(&admin), None).await;
    assert_eq!(last.status, StatusCode::CONFLICT, "{}", last.body);

    // copy-image (administrators) puts it back.
    let copy = json!({"method": {"name": "copy-image"}, "all_stores": true, "all_stores_must_succeed": false});
    assert_eq!(c.call(Method::POST, &import_url, Some(&owner.token), Some(copy.clone())).await.status, StatusCode::FORBIDDEN);
    assert_eq!(c.call(Method::POST, &import_url, Some(&admin), Some(copy.clone())).await.status, StatusCode::ACCEPTED);
    let copied =
        wait_for(&c, &owner.token, &id, "copied to cheap", |i| i["stores"] == "cheap,fast" && i["os_glance_importing_to_stores"] == "")
            .await;
    assert_eq!(copied["os_glance_failed_import"], "", "{copied}");
    assert!(c.dir.path().join("image-stores/cheap").join(&id).exists());
    let again = c.call(Method::POST, &import_url, Some(&admin), Some(json!({"method": {"name": "copy-image"}, "stores": ["cheap"]}))).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "already there: {}", again.body);
    let tasks = c.call(Method::GET, &c.image(&format!("/v2/images/{id}/tasks")), Some(&admin), None).await;
    assert_eq!(tasks.body["tasks"].as_array().unwrap().len(), 2, "{}", tasks.body);

    let usage = c.call(Method::GET, &c.image("/v2/info/usage"), Some(&owner.token), None).await;
    assert_eq!(usage.body["usage"]["image_count_total"], json!({"limit": 1000, "usage": 2}), "{}", usage.body);

    assert_eq!(
        c.call(Method::DELETE, &c.image(&format!("/v2/images/{id}")), Some(&owner.token), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(!c.dir.path().join("image-stores/cheap").join(&id).exists() && !c.dir.path().join("image-stores/fast").join(&id).exists());
}

/// Serves `data` at `/image.raw`, a redirect to a port no import may use at
/// `/elsewhere` (and 404 elsewhere) on a free loopback port.
async fn serve_data(data: Vec<u8>) -> u16 {
    let data = Bytes::from(data);
    let app = axum::Router::new()
        .route("/image.raw", axum::routing::get(move || async move { data.clone() }))
        .route("/elsewhere", axum::routing::get(|| async { axum::response::Redirect::temporary("http://127.0.0.1:1/image.raw") }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

#[tokio::test]
async fn web_download_fetches_allowed_urls_and_legacy_import_tasks_use_it() {
    let data: Vec<u8> = (0..250_000u32).map(|i| (i % 241) as u8).collect();
    let port = serve_data(data.clone()).await;
    let mut config = ferrostack::Config::default();
    config.image.import_allowed_ports = Some(vec![80, 443, port]);
    let c = TestCloud::start_with(config).await;
    let admin = c.admin_token().await;
    let owner = c.project_member("fetcher").await;
    let methods = c.call(Method::GET, &c.image("/v2/info/import"), Some(&owner.token), None).await;
    assert_eq!(methods.body["import-methods"]["value"], json!(["glance-direct", "web-download"]));

    let image = create(&c, &owner.token, json!({"name": "web", "disk_format": "raw", "container_format": "bare"})).await;
    let id = image["id"].as_str().unwrap().to_owned();
    let import_url = c.image(&format!("/v2/images/{id}/import"));
    let web = |uri: &str| json!({"method": {"name": "web-download", "uri": uri}});
    for (bad, why) in [
        (json!({"method": {"name": "web-download"}}), "no uri"),
        (web("ftp://127.0.0.1/image.raw"), "not http"),
        (web("http://127.0.0.1:1/image.raw"), "a port not allowed"),
    ] {
        let r = c.call(Method::POST, &import_url, Some(&owner.token), Some(bad)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{why}: {}", r.body);
    }
    let missing = c.call(Method::POST, &import_url, Some(&owner.token), Some(web(&format!("http://127.0.0.1:{port}/nothing")))).await;
    assert_eq!(missing.status, StatusCode::ACCEPTED, "{}", missing.body);
    wait_for(&c, &owner.token, &id, "back to queued after a failed fetch", |i| {
        i["status"] == "queued" && i.get("os_glance_import_task").is_none()
    })
    .await;
    let failed = c.call(Method::GET, &c.image(&format!("/v2/images/{id}/tasks")), Some(&owner.token), None).await;
    assert_eq!(failed.body["tasks"][0]["status"], "failure", "{}", failed.body);
    assert!(failed.body["tasks"][0]["message"].as_str().unwrap().contains("404"), "{}", failed.body);

    let redirected = c.call(Method::POST, &import_url, Some(&owner.token), Some(web(&format!("http://127.0.0.1:{port}/elsewhere")))).await;
    assert_eq!(redirected.status, StatusCode::ACCEPTED, "{}", redirected.body);
    wait_for(&c, &owner.token, &id, "refusing a redirect to a port not allowed", |i| {
        i["status"] == "queued" && i.get("os_glance_import_task").is_none()
    })
    .await;
    let tasks = c.call(Method::GET, &c.image(&format!("/v2/images/{id}/tasks")), Some(&owner.token), None).await.body;
    let refused = tasks["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["input"]["import_req"]["method"]["uri"].as_str().unwrap().ends_with("/elsewhere"));
    assert_eq!(refused.unwrap()["status"], "failure", "{tasks}");
    assert!(
        refused.unwrap()["message"].as_str().unwrap().contains("does not pass filtering"),
        "the redirect is refused, not followed: {tasks}"
    );

    let started = c.call(Method::POST, &import_url, Some(&owner.token), Some(web(&format!("http://127.0.0.1:{port}/image.raw")))).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    let active = wait_for_status(&c, &owner.token, &id, "active").await;
    let md5_hex: String = Md5::digest(&data).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!((active["size"].as_i64(), active["checksum"].as_str()), (Some(250_000), Some(md5_hex.as_str())));

    // The legacy import task creates the image and fetches its data.
    let task_body = json!({"type": "import", "input": {
        "import_from": format!("http://127.0.0.1:{port}/image.raw"), "import_from_format": "raw",
        "image_properties": {"name": "legacy", "disk_format": "raw", "container_format": "bare"},
    }});
    assert_eq!(
        c.call(Method::POST, &c.image("/v2/tasks"), Some(&owner.token), Some(task_body.clone())).await.status,
        StatusCode::FORBIDDEN
    );
    let created = c.call(Method::POST, &c.image("/v2/tasks"), Some(&admin), Some(task_body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!((created.body["type"].as_str(), created.body["status"].as_str()), (Some("import"), Some("pending")));
    let task_url = c.image(&format!("/v2/tasks/{}", created.body["id"].as_str().unwrap()));
    let mut task = Value::Null;
    for _ in 0..300 {
        task = c.call(Method::GET, &task_url, Some(&admin), None).await.body;
        if task["status"] == "success" || task["status"] == "failure" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(task["status"], "success", "{task}");
    let legacy = task["result"]["image_id"].as_str().unwrap();
    let legacy_image = c.call(Method::GET, &c.image(&format!("/v2/images/{legacy}")), Some(&admin), None).await.body;
    assert_eq!((legacy_image["name"].as_str(), legacy_image["status"].as_str()), (Some("legacy"), Some("active")));
    let no_url = json!({"type": "import", "input": {"image_properties": {}}});
    assert_eq!(c.call(Method::POST, &c.image("/v2/tasks"), Some(&admin), Some(no_url)).await.status, StatusCode::BAD_REQUEST);
}
