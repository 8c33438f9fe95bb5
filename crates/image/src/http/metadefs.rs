//! `/v2/metadefs/*`: metadata definition namespaces, their resource type associations,
//! objects, properties and tags; and their schemas under `/v2/schemas/metadefs/*`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use http_api::Authenticated;
use serde_json::Value;

use super::{AppState, json_body, query_pairs};
use crate::api::metadef_schemas as schemas;
use crate::api::metadefs as wire;
use crate::domain::Result;

/// A 201 with the created resource.
type Created = (StatusCode, Json<Value>);

async fn list_resource_types(State(s): State<AppState>, Authenticated(ctx): Authenticated) -> Result<Json<Value>> {
    Ok(Json(wire::render_resource_types(&s.images.list_resource_types(&ctx).await?)))
}

async fn list_namespaces(State(s): State<AppState>, Authenticated(ctx): Authenticated, RawQuery(raw): RawQuery) -> Result<Json<Value>> {
    let params = query_pairs(raw.as_deref())?;
    let page = s.images.list_namespaces(&ctx, &wire::parse_namespace_query(&params)?).await?;
    Ok(Json(wire::render_namespace_page(&page, &params)))
}

async fn create_namespace(State(s): State<AppState>, Authenticated(ctx): Authenticated, body: Bytes) -> Result<Response> {
    let body = json_body(&body)?;
    let ns = s.images.create_namespace(&ctx, wire::parse_namespace(&body)?).await?;
    let mut res = (StatusCode::CREATED, Json(wire::render_created_namespace(&ns, &body))).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("{}/v2/metadefs/namespaces/{}", s.endpoint, ns.namespace)) {
        res.headers_mut().insert(header::LOCATION, location);
    }
    Ok(res)
}

async fn show_namespace(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path(ns): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    let params = query_pairs(raw.as_deref())?;
    Ok(Json(wire::render_namespace_detail(&s.images.get_namespace(&ctx, &ns, wire::resource_type_param(&params)).await?)))
}

async fn update_namespace(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path(ns): Path<String>,
    body: Bytes,
) -> Result<Json<Value>> {
    let fields = wire::parse_namespace(&json_body(&body)?)?.fields;
    Ok(Json(wire::render_namespace(&s.images.update_namespace(&ctx, &ns, fields).await?)))
}

async fn delete_namespace(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(ns): Path<String>) -> Result<StatusCode> {
    s.images.delete_namespace(&ctx, &ns).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_associations(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(ns): Path<String>) -> Result<Json<Value>> {
    Ok(Json(wire::render_associations(&s.images.list_associations(&ctx, &ns).await?)))
}

async fn add_association(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path(ns): Path<String>,
    body: Bytes,
) -> Result<Created> {
    let req = wire::parse_association(&json_body(&body)?)?;
    Ok((StatusCode::CREATED, Json(wire::render_association(&s.images.add_association(&ctx, &ns, req).await?))))
}

async fn remove_association(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((ns, resource_type)): Path<(String, String)>,
) -> Result<StatusCode> {
    s.images.remove_association(&ctx, &ns, &resource_type).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_objects(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path(ns): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    let query = wire::parse_content_query(&query_pairs(raw.as_deref())?)?;
    Ok(Json(wire::render_objects(&ns, &s.images.list_metadef_objects(&ctx, &ns, &query).await?)))
}

async fn create_object(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path(ns): Path<String>,
    body: Bytes,
) -> Result<Created> {
    let body = json_body(&body)?;
    let object = s.images.create_metadef_object(&ctx, &ns, wire::parse_object(&body)?).await?;
    Ok((StatusCode::CREATED, Json(wire::render_created_object(&ns, &object, &body))))
}

async fn delete_objects(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(ns): Path<String>) -> Result<StatusCode> {
    s.images.delete_metadef_objects(&ctx, &ns).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn show_object(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((ns, name)): Path<(String, String)>,
) -> Result<Json<Value>> {
    Ok(Json(wire::render_object(&ns, &s.images.get_metadef_object(&ctx, &ns, &name).await?)))
}

async fn update_object(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((ns, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>> {
    let req = wire::parse_object(&json_body(&body)?)?;
    Ok(Json(wire::render_object(&ns, &s.images.update_metadef_object(&ctx, &ns, &name, req).await?)))
}

async fn delete_object(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((ns, name)): Path<(String, String)>,
) -> Result<StatusCode> {
    s.images.delete_metadef_object(&ctx, &ns, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_properties(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(ns): Path<String>) -> Result<Json<Value>> {
    Ok(Json(wire::render_properties(&s.images.list_metadef_properties(&ctx, &ns).await?)))
}

async fn create_property(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path(ns): Path<String>,
    body: Bytes,
) -> Result<Created> {
    let req = wire::parse_property(&json_body(&body)?)?;
    Ok((StatusCode::CREATED, Json(wire::render_property(&s.images.create_metadef_property(&ctx, &ns, req).await?))))
}

async fn delete_properties(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(ns): Path<String>) -> Result<StatusCode> {
    s.images.delete_metadef_properties(&ctx, &ns).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn show_property(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((ns, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    let params = query_pairs(raw.as_deref())?;
    let property = s.images.get_metadef_property(&ctx, &ns, &name, wire::resource_type_param(&params)).await?;
    Ok(Json(wire::render_property(&property)))
}

async fn update_property(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((ns, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>> {
    let req = wire::parse_property(&json_body(&body)?)?;
    Ok(Json(wire::render_property(&s.images.update_metadef_property(&ctx, &ns, &name, req).await?)))
}

async fn delete_property(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((ns, name)): Path<(String, String)>,
) -> Result<StatusCode> {
    s.images.delete_metadef_property(&ctx, &ns, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_tags(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path(ns): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    let query = wire::parse_content_query(&query_pairs(raw.as_deref())?)?;
    Ok(Json(wire::render_tag_names(&s.images.list_metadef_tags(&ctx, &ns, &query).await?)))
}

async fn create_tags(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path(ns): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Created> {
    let names = wire::parse_tags(&json_body(&body)?)?;
    let append = wire::parse_append(headers.get("x-openstack-append").and_then(|v| v.to_str().ok()));
    Ok((StatusCode::CREATED, Json(wire::render_tag_names(&s.images.create_metadef_tags(&ctx, &ns, names, append).await?))))
}

async fn delete_tags(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(ns): Path<String>) -> Result<StatusCode> {
    s.images.delete_metadef_tags(&ctx, &ns).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn show_tag(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((ns, name)): Path<(String, String)>,
) -> Result<Json<Value>> {
    Ok(Json(wire::render_tag(&s.images.get_metadef_tag(&ctx, &ns, &name).await?)))
}

/// Creates the tag the path names; Glance reads no body, so any is ignored.
async fn create_tag(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((ns, name)): Path<(String, String)>,
) -> Result<Created> {
    Ok((StatusCode::CREATED, Json(wire::render_tag(&s.images.create_metadef_tag(&ctx, &ns, &name).await?))))
}

async fn rename_tag(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((ns, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>> {
    let new_name = wire::parse_tag(&json_body(&body)?)?;
    Ok(Json(wire::render_tag(&s.images.rename_metadef_tag(&ctx, &ns, &name, &new_name).await?)))
}

async fn delete_tag(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((ns, name)): Path<(String, String)>,
) -> Result<StatusCode> {
    s.images.delete_metadef_tag(&ctx, &ns, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Metadata definition routes and their schemas; like every Glance v2 route, the
/// schemas need a token. Resource type names such as `OS::Glance::Image` travel in path
/// segments unencoded, colons and all.
pub fn routes() -> Router<AppState> {
    const NS: &str = "/v2/metadefs/namespaces/{ns}";
    Router::new()
        .route("/v2/metadefs/resource_types", get(list_resource_types))
        .route("/v2/metadefs/namespaces", get(list_namespaces).post(create_namespace))
        .route(NS, get(show_namespace).put(update_namespace).delete(delete_namespace))
        .route(&format!("{NS}/resource_types"), get(list_associations).post(add_association))
        .route(&format!("{NS}/resource_types/{{resource_type}}"), delete(remove_association))
        .route(&format!("{NS}/objects"), get(list_objects).post(create_object).delete(delete_objects))
        .route(&format!("{NS}/objects/{{name}}"), get(show_object).put(update_object).delete(delete_object))
        .route(&format!("{NS}/properties"), get(list_properties).post(create_property).delete(delete_properties))
        .route(&format!("{NS}/properties/{{name}}"), get(show_property).put(update_property).delete(delete_property))
        .route(&format!("{NS}/tags"), get(list_tags).post(create_tags).delete(delete_tags))
        .route(&format!("{NS}/tags/{{name}}"), get(show_tag).post(create_tag).put(rename_tag).delete(delete_tag))
        .route("/v2/schemas/metadefs/namespace", get(|_: Authenticated| async { Json(schemas::namespace()) }))
        .route("/v2/schemas/metadefs/namespaces", get(|_: Authenticated| async { Json(schemas::namespaces()) }))
        .route("/v2/schemas/metadefs/object", get(|_: Authenticated| async { Json(schemas::object()) }))
        .route("/v2/schemas/metadefs/objects", get(|_: Authenticated| async { Json(schemas::objects()) }))
        .route("/v2/schemas/metadefs/property", get(|_: Authenticated| async { Json(schemas::property()) }))
        .route("/v2/schemas/metadefs/properties", get(|_: Authenticated| async { Json(schemas::properties()) }))
        .route("/v2/schemas/metadefs/resource_type", get(|_: Authenticated| async { Json(schemas::resource_type()) }))
        .route("/v2/schemas/metadefs/resource_types", get(|_: Authenticated| async { Json(schemas::resource_types()) }))
        .route("/v2/schemas/metadefs/tag", get(|_: Authenticated| async { Json(schemas::tag()) }))
        .route("/v2/schemas/metadefs/tags", get(|_: Authenticated| async { Json(schemas::tags()) }))
}
