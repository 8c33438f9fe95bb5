//! Strict JSON request bodies: a body that is not a JSON object is refused with a
//! message a person can act on, before any handler runs.

use axum::body::Bytes;
use serde_json::{Map, Value};

/// The largest request body any API accepts as JSON; larger ones are refused unread.
pub const MAX_JSON_BODY: usize = 1024 * 1024;

/// Parses a request body that must be a JSON object. The error is the 400 message.
pub fn parse_object(body: &Bytes) -> Result<Map<String, Value>, String> {
    if body.is_empty() {
        return Err("The request body is empty; a JSON object was expected.".into());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("The request body must be a JSON object.".into()),
        Err(e) => Err(format!("The request body is not valid JSON: {e}.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_json_objects_pass() {
        assert!(parse_object(&Bytes::from_static(br#"{"a": 1}"#)).is_ok());
        assert!(parse_object(&Bytes::from_static(b"[1]")).unwrap_err().contains("JSON object"));
        assert!(parse_object(&Bytes::from_static(b"{")).unwrap_err().contains("not valid JSON"));
        assert!(parse_object(&Bytes::new()).unwrap_err().contains("empty"));
    }
}
