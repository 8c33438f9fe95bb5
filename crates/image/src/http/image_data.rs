//! `/v2/images/{id}/file`: data streamed in and out, never held whole in memory.

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http_api::Authenticated;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::AppState;
use crate::domain::{Error, Result};

async fn upload(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode> {
    super::require_octet_stream(&headers)?;
    if let Some(hint) = headers.get("x-openstack-image-size") {
        hint.to_str()
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| Error::BadRequest("X-OpenStack-Image-Size must be an integer.".into()))?;
    }
    s.images.upload(&ctx, &id, super::import::header_store(&headers), body.into_data_stream()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The inclusive byte range a `Range` header asks for within `size` bytes: `None` for
/// the whole; 416 for one that cannot be served; 400 for several ranges.
fn byte_range(header: Option<&str>, size: u64) -> Result<Option<(u64, u64)>> {
    let Some(value) = header else { return Ok(None) };
    let unsatisfiable = || Error::RangeNotSatisfiable(format!("Requested range {value:?} is not satisfiable for {size} bytes."));
    let spec = value.trim().strip_prefix("bytes=").ok_or_else(unsatisfiable)?;
    if spec.contains(',') {
        return Err(Error::BadRequest("Multiple byte ranges are not supported.".into()));
    }
    let (start, end) = spec.split_once('-').ok_or_else(unsatisfiable)?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| unsatisfiable())?;
            if n == 0 || size == 0 {
                return Err(unsatisfiable());
            }
            (size.saturating_sub(n), size - 1)
        }
        (start, "") => (start.parse().map_err(|_| unsatisfiable())?, size.saturating_sub(1)),
        (start, end) => {
            let (start, end): (u64, u64) = (start.parse().map_err(|_| unsatisfiable())?, end.parse().map_err(|_| unsatisfiable())?);
            if end < start {
                return Err(unsatisfiable());
            }
            (start, end.min(size.saturating_sub(1)))
        }
    };
    if start >= size {
        return Err(unsatisfiable());
    }
    Ok(Some((start, end)))
}

async fn download(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let file = s.images.download(&ctx, &id).await?;
    let Some(path) = file.path else { return Ok(StatusCode::NO_CONTENT.into_response()) };
    let mut data = tokio::fs::File::open(&path).await.map_err(|e| Error::Internal(format!("opening the data of image {id}: {e}")))?;
    let size = data.metadata().await.map_err(|e| Error::Internal(e.to_string()))?.len();
    let range = byte_range(headers.get(header::RANGE).and_then(|v| v.to_str().ok()), size)?;
    let (status, start, len) = match range {
        Some((start, end)) => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        None => (StatusCode::OK, 0, size),
    };
    if start > 0 {
        data.seek(std::io::SeekFrom::Start(start)).await.map_err(|e| Error::Internal(e.to_string()))?;
    }
    let body = Body::from_stream(crate::store::read_stream(data.take(len)));
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if let Some(md5) = file.image.checksum.as_deref().and_then(|c| HeaderValue::from_str(c).ok()) {
        h.insert("content-md5", md5);
    }
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{size}", start + len - 1))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    Ok(res)
}

/// Data routes; uploads are as large as the image size cap allows, not the default
/// request body limit.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v2/images/{id}/file", get(download).put(upload).layer(DefaultBodyLimit::disable()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_glance_serves_them() {
        assert_eq!(byte_range(None, 10).unwrap(), None);
        assert_eq!(byte_range(Some("bytes=2-4"), 10).unwrap(), Some((2, 4)));
        assert_eq!(byte_range(Some("bytes=2-"), 10).unwrap(), Some((2, 9)));
        assert_eq!(byte_range(Some("bytes=-3"), 10).unwrap(), Some((7, 9)));
        assert_eq!(byte_range(Some("bytes=5-100"), 10).unwrap(), Some((5, 9)), "an end past the data is clamped");
        assert!(matches!(byte_range(Some("bytes=10-"), 10), Err(Error::RangeNotSatisfiable(_))));
        assert!(matches!(byte_range(Some("bytes=4-2"), 10), Err(Error::RangeNotSatisfiable(_))));
        assert!(matches!(byte_range(Some("items=1-2"), 10), Err(Error::RangeNotSatisfiable(_))));
        assert!(matches!(byte_range(Some("bytes=1-2,4-5"), 10), Err(Error::BadRequest(_))));
    }
}
