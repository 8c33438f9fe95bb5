//! Metadata definitions over HTTP (Glance's /v2/metadefs): namespaces with their resource
//! type associations, objects, properties and tags; who sees and changes them; their
//! schemas.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use system_tests::{Reply, TestCloud};

/// `http://.../image/v2/metadefs` + `path`.
fn md(c: &TestCloud, path: &str) -> String {
    c.image(&format!("/v2/metadefs{path}"))
}

async fn create_namespace(c: &TestCloud, token: &str, body: Value) -> Value {
    let r = c.call(Method::POST, &md(c, "/namespaces"), Some(token), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

fn names(list: &Value) -> Vec<String> {
    list.as_array().expect("a list").iter().map(|item| item["name"].as_str().expect("named").to_owned()).collect()
}

fn assert_deleted(r: &Reply) {
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(r.body, Value::Null, "a 204 has no body");
}

#[tokio::test]
async fn a_protected_namespace_stays_until_unprotected_then_goes_with_its_contents() {
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    let types = c.call(Method::GET, &md(&c, "/resource_types"), Some(&admin), None).await;
    assert_eq!(types.status, StatusCode::OK, "{}", types.body);
    let type_names = names(&types.body["resource_types"]);
    assert_eq!(type_names.first().map(String::as_str), Some("OS::Glance::Image"), "the defaults are there from the start");
    assert!(types.body["resource_types"][0]["created_at"].is_string());

    let ns = "tempest-namespace-1";
    let created = create_namespace(
        &c,
        &admin,
        json!({"namespace": ns, "visibility": "public", "description": "Tempest", "display_name": ns,
               "resource_type_associations": [{"name": "OS::Glance::Image"}], "protected": true}),
    )
    .await;
    assert_eq!(created["resource_type_associations"], json!([{"name": "OS::Glance::Image"}]), "echoed as sent");
    assert_eq!(created["self"], "/v2/metadefs/namespaces/tempest-namespace-1");
    assert_eq!(created["schema"], "/v2/schemas/metadefs/namespace");
    assert!(created["owner"].is_string(), "the creator's project owns it: {created}");
    let again = c.call(Method::POST, &md(&c, "/namespaces"), Some(&admin), Some(json!({"namespace": ns}))).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);

    let listed = c.call(Method::GET, &md(&c, "/namespaces"), Some(&admin), None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert!(listed.body["namespaces"].as_array().unwrap().iter().any(|n| n["namespace"] == ns));
    assert_eq!(listed.body["first"], "/v2/metadefs/namespaces");
    assert_eq!(listed.body["schema"], "/v2/schemas/metadefs/namespaces");

    let url = md(&c, &format!("/namespaces/{ns}"));
    let shown = c.call(Method::GET, &url, Some(&admin), None).await;
    assert_eq!((shown.status, shown.body["visibility"].as_str()), (StatusCode::OK, Some("public")), "{}", shown.body);
    assert_eq!(names(&shown.body["resource_type_associations"]), ["OS::Glance::Image"]);
    assert!(shown.body.get("objects").is_none() && shown.body.get("tags").is_none(), "empty contents are left out");

    let object = c.call(Method::POST, &format!("{url}/objects"), Some(&admin), Some(json!({"name": "o"}))).await;
    assert_eq!(object.status, StatusCode::CREATED, "{}", object.body);
    let tags = c.call(Method::POST, &format!("{url}/tags"), Some(&admin), Some(json!({"tags": [{"name": "t"}]}))).await;
    assert_eq!(tags.status, StatusCode::CREATED, "{}", tags.body);
    for part in ["", "/objects", "/tags", "/objects/o", "/tags/t", "/resource_types/OS::Glance::Image"] {
        let refused = c.call(Method::DELETE, &format!("{url}{part}"), Some(&admin), None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{part}: protected: {}", refused.body);
    }

    let updated = c
        .call(
            Method::PUT,
            &url,
            Some(&admin),
            Some(json!({"namespace": ns, "description": "Tempest", "visibility": "private", "display_name": ns, "protected": false})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!((updated.body["visibility"].as_str(), updated.body["protected"].as_bool()), (Some("private"), Some(false)));
    assert!(updated.body.get("resource_type_associations").is_none(), "an update returns the namespace's own fields");

    assert_deleted(&c.call(Method::DELETE, &url, Some(&admin), None).await);
    assert_eq!(c.call(Method::GET, &url, Some(&admin), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(c.call(Method::DELETE, &url, Some(&admin), None).await.status, StatusCode::NOT_FOUND);

    create_namespace(&c, &admin, json!({"namespace": ns})).await;
    let objects = c.call(Method::GET, &format!("{url}/objects"), Some(&admin), None).await;
    assert_eq!(objects.body["objects"], json!([]), "the old namespace's objects went with it");
    let tags = c.call(Method::GET, &format!("{url}/tags"), Some(&admin), None).await;
    assert_eq!(tags.body["tags"], json!([]), "and its tags");
    let associations = c.call(Method::GET, &format!("{url}/resource_types"), Some(&admin), None).await;
    assert_eq!(associations.body["resource_type_associations"], json!([]), "and its associations");
    let types = c.call(Method::GET, &md(&c, "/resource_types"), Some(&admin), None).await;
    assert_eq!(names(&types.body["resource_types"]), type_names, "resource types stay");
}

#[tokio::test]
async fn private_namespaces_are_hidden_from_other_projects_and_only_administrators_write() {
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    let (owner, other) = (c.project_member("md-owner").await, c.project_member("md-other").await);
    create_namespace(&c, &admin, json!({"namespace": "private-ns", "owner": owner.project_id})).await;
    create_namespace(&c, &admin, json!({"namespace": "public-ns", "visibility": "public", "objects": [{"name": "o"}]})).await;
    let private = md(&c, "/namespaces/private-ns");

    let seen = c.call(Method::GET, &private, Some(&owner.token), None).await;
    assert_eq!((seen.status, seen.body["visibility"].as_str()), (StatusCode::OK, Some("private")), "{}", seen.body);
    assert_eq!(c.call(Method::GET, &private, Some(&other.token), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(c.call(Method::GET, &format!("{private}/objects"), Some(&other.token), None).await.status, StatusCode::NOT_FOUND);
    let listed = c.call(Method::GET, &md(&c, "/namespaces"), Some(&other.token), None).await;
    let listed: Vec<&str> = listed.body["namespaces"].as_array().unwrap().iter().filter_map(|n| n["namespace"].as_str()).collect();
    assert!(listed.contains(&"public-ns") && !listed.contains(&"private-ns"), "{listed:?}");
    let public_objects = c.call(Method::GET, &md(&c, "/namespaces/public-ns/objects"), Some(&other.token), None).await;
    assert_eq!(names(&public_objects.body["objects"]), ["o"], "{}", public_objects.body);

    let by_member = c.call(Method::POST, &md(&c, "/namespaces"), Some(&owner.token), Some(json!({"namespace": "mine"}))).await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN, "{}", by_member.body);
    let rename = json!({"namespace": "renamed"});
    let by_owner = c.call(Method::PUT, &private, Some(&owner.token), Some(rename.clone())).await;
    assert_eq!(by_owner.status, StatusCode::FORBIDDEN, "the owner sees it but is no administrator: {}", by_owner.body);
    let by_other = c.call(Method::PUT, &private, Some(&other.token), Some(rename)).await;
    assert_eq!(by_other.status, StatusCode::NOT_FOUND, "a namespace one cannot see is not there: {}", by_other.body);
    let tag = c.call(Method::POST, &format!("{private}/tags/t"), Some(&owner.token), None).await;
    assert_eq!(tag.status, StatusCode::FORBIDDEN, "{}", tag.body);
    assert_eq!(c.call(Method::GET, &md(&c, "/resource_types"), Some(&other.token), None).await.status, StatusCode::OK);

    let all = c.call(Method::GET, &md(&c, "/namespaces?visibility=private"), Some(&admin), None).await;
    assert_eq!(all.body["namespaces"][0]["namespace"], "private-ns", "administrators see every namespace: {}", all.body);
    let bad = c.call(Method::GET, &md(&c, "/namespaces?visibility=shared"), Some(&admin), None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn objects_properties_tags_and_associations_are_managed_within_a_namespace() {
    let c = TestCloud::start().await;
    let admin = c.admin_token().await;
    create_namespace(&c, &admin, json!({"namespace": "ns", "visibility": "public"})).await;
    let url = md(&c, "/namespaces/ns");
    let call = |method: Method, path: &str, body: Option<Value>| {
        let (url, admin) = (format!("{url}{path}"), admin.clone());
        let c = &c;
        async move { c.call(method, &url, Some(&admin), body).await }
    };

    // Associations, and the prefix they give property names.
    let associated = call(Method::POST, "/resource_types", Some(json!({"name": "OS::Nova::Flavor", "prefix": "hw:"}))).await;
    assert_eq!(associated.status, StatusCode::CREATED, "{}", associated.body);
    assert_eq!((associated.body["name"].as_str(), associated.body["prefix"].as_str()), (Some("OS::Nova::Flavor"), Some("hw:")));
    assert!(associated.body.get("properties_target").is_none(), "unset fields are left out");
    let again = call(Method::POST, "/resource_types", Some(json!({"name": "OS::Nova::Flavor"}))).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let custom = call(Method::POST, "/resource_types", Some(json!({"name": "Custom::Thing"}))).await;
    assert_eq!(custom.status, StatusCode::CREATED, "an unknown resource type is created: {}", custom.body);
    let types = c.call(Method::GET, &md(&c, "/resource_types"), Some(&admin), None).await;
    assert!(names(&types.body["resource_types"]).contains(&"Custom::Thing".to_owned()));
    let listed = call(Method::GET, "/resource_types", None).await;
    assert_eq!(names(&listed.body["resource_type_associations"]), ["OS::Nova::Flavor", "Custom::Thing"]);

    // Properties: named as the caller likes, colons included; listed as an object by name.
    let enum_values = json!(["xen", "qemu", "kvm"]);
    let property = json!({"title": "T", "name": "OS::Glance::Image", "type": "string", "enum": enum_values});
    let created = call(Method::POST, "/properties", Some(property)).await;
    assert_eq!((created.status, created.body["title"].as_str()), (StatusCode::CREATED, Some("T")), "{}", created.body);
    let shown = call(Method::GET, "/properties/OS::Glance::Image", None).await;
    assert_eq!((shown.status, shown.body["name"].as_str()), (StatusCode::OK, Some("OS::Glance::Image")), "{}", shown.body);
    let update = json!({"title": "T2", "type": "string", "enum": enum_values, "name": "OS::Glance::Image"});
    let updated = call(Method::PUT, "/properties/OS::Glance::Image", Some(update)).await;
    assert_eq!((updated.status, updated.body["title"].as_str()), (StatusCode::OK, Some("T2")), "{}", updated.body);
    let cpu = json!({"name": "cpu_policy", "title": "CPU policy", "type": "string"});
    assert_eq!(call(Method::POST, "/properties", Some(cpu)).await.status, StatusCode::CREATED);
    let prefixed = call(Method::GET, "/properties/hw:cpu_policy?resource_type=OS::Nova::Flavor", None).await;
    assert_eq!((prefixed.status, prefixed.body["name"].as_str()), (StatusCode::OK, Some("cpu_policy")), "{}", prefixed.body);
    let unprefixed = call(Method::GET, "/properties/cpu_policy?resource_type=OS::Nova::Flavor", None).await;
    assert_eq!(unprefixed.status, StatusCode::NOT_FOUND);
    let on_flavors = call(Method::GET, "?resource_type=OS::Nova::Flavor", None).await;
    assert!(on_flavors.body["properties"].get("hw:cpu_policy").is_some(), "{}", on_flavors.body);
    for (body, status) in [
        (json!({"name": "p", "title": "P", "type": "string", "confidential": true}), StatusCode::BAD_REQUEST),
        (json!({"name": "p", "title": "P"}), StatusCode::BAD_REQUEST),
        (json!({"name": "p", "title": "P", "type": "string", "created_at": "now"}), StatusCode::FORBIDDEN),
    ] {
        assert_eq!(call(Method::POST, "/properties", Some(body.clone())).await.status, status, "{body}");
    }
    assert_deleted(&call(Method::DELETE, "/properties/OS::Glance::Image", None).await);
    let properties = call(Method::GET, "/properties", None).await;
    let property_names = properties.body["properties"].as_object().map(|p| p.keys().cloned().collect::<Vec<_>>());
    assert_eq!(property_names, Some(vec!["cpu_policy".to_owned()]), "an object keyed by name: {}", properties.body);
    assert_deleted(&call(Method::DELETE, "/properties", None).await);
    assert_eq!(call(Method::GET, "/properties", None).await.body, json!({"properties": {}}));

    // Objects: a create echoes only what was sent; an update replaces the whole object.
    let object = call(Method::POST, "/objects", Some(json!({"name": "o"}))).await;
    assert_eq!(object.status, StatusCode::CREATED, "{}", object.body);
    let mut keys: Vec<&str> = object.body.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["created_at", "name", "schema", "self", "updated_at"]);
    assert_eq!(object.body["self"], "/v2/metadefs/namespaces/ns/objects/o");
    assert_eq!(call(Method::POST, "/objects", Some(json!({"name": "o"}))).await.status, StatusCode::CONFLICT);
    let renamed = call(Method::PUT, "/objects/o", Some(json!({"name": "o2"}))).await;
    assert_eq!((renamed.status, renamed.body["name"].as_str()), (StatusCode::OK, Some("o2")), "{}", renamed.body);
    assert_eq!((&renamed.body["required"], &renamed.body["properties"]), (&json!([]), &json!({})));
    assert_eq!(call(Method::GET, "/objects/o", None).await.status, StatusCode::NOT_FOUND);
    let objects = call(Method::GET, "/objects", None).await;
    assert_eq!(names(&objects.body["objects"]), ["o2"]);
    assert_eq!(objects.body["schema"], "v2/schemas/metadefs/objects", "Glance's link, without its leading slash");
    assert_deleted(&call(Method::DELETE, "/objects/o2", None).await);
    assert_eq!(call(Method::DELETE, "/objects/o2", None).await.status, StatusCode::NOT_FOUND);

    // Tags: a bulk create replaces unless asked to append; a duplicate changes nothing.
    let tag_list = |tags: &[&str]| json!({"tags": tags.iter().map(|t| json!({"name": t})).collect::<Vec<_>>()});
    let listed_tags = || {
        let call = &call;
        async move { names(&call(Method::GET, "/tags", None).await.body["tags"]) }
    };
    let created = call(Method::POST, "/tags", Some(tag_list(&["a", "b", "c"]))).await;
    assert_eq!((created.status, created.body.clone()), (StatusCode::CREATED, tag_list(&["a", "b", "c"])));
    assert_eq!(listed_tags().await.len(), 3);
    let appended =
        c.call_with(Method::POST, &format!("{url}/tags"), Some(&admin), Some(tag_list(&["d"])), &[("X-Openstack-Append", "True")]).await;
    assert_eq!(appended.status, StatusCode::CREATED, "{}", appended.body);
    assert_eq!(listed_tags().await.len(), 4);
    assert_eq!(call(Method::POST, "/tags", Some(tag_list(&["e"]))).await.status, StatusCode::CREATED);
    assert_eq!(listed_tags().await, ["e"], "replaced");
    assert_eq!(call(Method::POST, "/tags", Some(tag_list(&["f", "f"]))).await.status, StatusCode::CONFLICT);
    assert_eq!(listed_tags().await, ["e"], "all or nothing");
    let one = call(Method::POST, "/tags/g", None).await;
    assert_eq!((one.status, one.body["name"].as_str()), (StatusCode::CREATED, Some("g")), "{}", one.body);
    assert!(one.body["created_at"].is_string());
    assert_eq!(call(Method::POST, "/tags/g", None).await.status, StatusCode::CONFLICT);
    assert_eq!(call(Method::GET, "/tags/g", None).await.body["name"], "g");
    let renamed = call(Method::PUT, "/tags/g", Some(json!({"name": "h"}))).await;
    assert_eq!((renamed.status, renamed.body["name"].as_str()), (StatusCode::OK, Some("h")), "{}", renamed.body);
    assert_eq!(call(Method::PUT, "/tags/h", Some(json!({"name": "e"}))).await.status, StatusCode::CONFLICT);
    assert_deleted(&call(Method::DELETE, "/tags/h", None).await);
    assert_eq!(call(Method::GET, "/tags/h", None).await.status, StatusCode::NOT_FOUND);
    assert_deleted(&call(Method::DELETE, "/tags", None).await);
    assert!(listed_tags().await.is_empty());
    assert_deleted(&call(Method::DELETE, "/tags", None).await);

    assert_deleted(&call(Method::DELETE, "/resource_types/OS::Nova::Flavor", None).await);
    assert_eq!(call(Method::DELETE, "/resource_types/OS::Nova::Flavor", None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(names(&call(Method::GET, "/resource_types", None).await.body["resource_type_associations"]), ["Custom::Thing"]);
}

#[tokio::test]
async fn metadef_schemas_need_a_token_and_name_themselves() {
    let c = TestCloud::start().await;
    let member = c.project_member("schema-reader").await;
    for (path, name) in [
        ("namespace", "namespace"),
        ("namespaces", "namespaces"),
        ("resource_type", "resource_type_association"),
        ("resource_types", "resource_type_associations"),
        ("object", "object"),
        ("objects", "objects"),
        ("property", "property"),
        ("properties", "properties"),
        ("tag", "tag"),
        ("tags", "tags"),
    ] {
        let url = c.image(&format!("/v2/schemas/metadefs/{path}"));
        assert_eq!(c.call(Method::GET, &url, None, None).await.status, StatusCode::UNAUTHORIZED, "{path}");
        let schema = c.call(Method::GET, &url, Some(&member.token), None).await;
        assert_eq!((schema.status, schema.body["name"].as_str()), (StatusCode::OK, Some(name)), "{path}: {}", schema.body);
    }
}
