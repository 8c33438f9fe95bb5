//! Times as the OpenStack APIs write them. Everything is UTC.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, TimeZone, Utc};

/// Microseconds since the Unix epoch, the form times are stored in.
pub type Micros = i64;

/// Now, in microseconds since the epoch.
pub fn now_micros() -> Micros {
    Utc::now().timestamp_micros()
}

/// A stored time back as a `DateTime`.
pub fn from_micros(us: Micros) -> DateTime<Utc> {
    Utc.timestamp_micros(us).single().unwrap_or_default()
}

/// Keystone's token time format: `2015-08-27T09:49:58.000000Z`.
pub fn keystone_token_time(us: Micros) -> String {
    from_micros(us).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Keystone's resource time format (created_at, expires_at of users and credentials):
/// `2015-08-27T09:49:58.000000` without a zone designator.
pub fn keystone_resource_time(us: Micros) -> String {
    from_micros(us).format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// RFC 3339 with seconds and a `Z`, as most services write `created_at`.
pub fn iso8601(us: Micros) -> String {
    from_micros(us).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses a client-given time: RFC 3339 with a zone, or a naive ISO 8601 time taken as UTC
/// (Keystone accepts both for `expires_at`).
pub fn parse_client_time(s: &str) -> Option<Micros> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc).timestamp_micros());
    }
    let s = s.trim_end_matches('Z');
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc().timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_keystone() {
        let us = 1_440_668_998_123_456;
        assert_eq!(keystone_token_time(us), "2015-08-27T09:49:58.123456Z");
        assert_eq!(keystone_resource_time(us), "2015-08-27T09:49:58.123456");
        assert_eq!(iso8601(us), "2015-08-27T09:49:58Z");
    }

    #[test]
    fn parses_zoned_and_naive_times() {
        let want = 1_440_668_998_000_000;
        assert_eq!(parse_client_time("2015-08-27T09:49:58Z"), Some(want));
        assert_eq!(parse_client_time("2015-08-27T09:49:58+00:00"), Some(want));
        assert_eq!(parse_client_time("2015-08-27T09:49:58.000000"), Some(want));
        assert_eq!(parse_client_time("2015-08-27T11:49:58+02:00"), Some(want));
        assert_eq!(parse_client_time("yesterday"), None);
    }
}
