//! Identifier generation.
//!
//! OpenStack services spell ids differently: Keystone uses 32 hex digits without dashes
//! (and the literal `default` for the default domain), Nova and Neutron use dashed UUIDs.

use uuid::Uuid;

/// A fresh Keystone-style id: a random UUID as 32 lowercase hex digits.
pub fn hex_id() -> String {
    Uuid::new_v4().simple().to_string()
}

/// A fresh request id as OpenStack spells it: `req-` followed by a dashed UUID.
pub fn request_id() -> String {
    format!("req-{}", Uuid::new_v4())
}

/// Whether `s` is a well-formed request id, so an inbound one can be trusted and carried on.
pub fn is_request_id(s: &str) -> bool {
    s.strip_prefix("req-").is_some_and(|rest| Uuid::try_parse(rest).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ids_are_32_hex_digits_and_unique() {
        let a = hex_id();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, hex_id());
    }

    #[test]
    fn request_ids_round_trip_and_reject_junk() {
        assert!(is_request_id(&request_id()));
        assert!(!is_request_id("req-nope"));
        assert!(!is_request_id("0b4ad1c8-64a9-4c48-8e43-3a3b2c3d4e5f"));
    }
}
