//! Application credential access rules: which API calls a token made from a restricted
//! application credential may make, as keystonemiddleware judges them.
//!
//! A rule names a service type, an HTTP method and a path pattern in which `*` and
//! `{name}` stand for one path segment and `**` for any run of characters, slashes
//! included.

use serde::{Deserialize, Serialize};

/// One allowed call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRule {
    /// The service type the call is made to (`compute`, `identity`, ...).
    pub service: String,
    /// The request path pattern.
    pub path: String,
    /// The HTTP method, upper case.
    pub method: String,
}

/// The request a rule is judged against.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// The service type of the API receiving the call.
    pub service: &'a str,
    /// The HTTP method.
    pub method: &'a str,
    /// The paths the call may be known by: below the service's own mount point
    /// (`/v3/users`) and as the client sent it (`/identity/v3/users`).
    pub paths: &'a [&'a str],
}

impl AccessRule {
    /// Whether this rule allows `call`.
    pub fn allows(&self, call: &Call<'_>) -> bool {
        self.method == call.method && self.service == call.service && call.paths.iter().any(|p| path_matches(p, &self.path))
    }
}

/// Whether any of `rules` allows `call`. An empty list allows nothing.
pub fn permits(rules: &[AccessRule], call: &Call<'_>) -> bool {
    rules.iter().any(|r| r.allows(call))
}

/// Whether `path` matches `pattern`. The pattern becomes an anchored regular expression
/// with every literal character escaped, so matching takes linear time whatever the
/// pattern, and a `.` in a pattern means a dot.
pub fn path_matches(path: &str, pattern: &str) -> bool {
    let mut re = String::with_capacity(pattern.len() * 2 + 2);
    re.push('^');
    let mut rest = pattern;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("**") {
            re.push_str(".*");
            rest = after;
        } else if let Some(after) = rest.strip_prefix('*') {
            re.push_str("[^/]+");
            rest = after;
        } else if let Some(close) = rest.strip_prefix('{').and_then(|r| r.find('}')) {
            re.push_str("[^/]+");
            rest = &rest[close + 2..];
        } else {
            re.push_str(&regex::escape(&c.to_string()));
            rest = &rest[c.len_utf8()..];
        }
    }
    re.push('$');
    regex::Regex::new(&re).is_ok_and(|r| r.is_match(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_keystonemiddleware_matches_them() {
        for (path, pattern) in [
            ("/v2/servers/123", "/v2/servers/{server_id}"),
            ("/v2/servers/123/", "/v2/servers/*/"),
            ("/v2/servers/123/456", "/v2/servers/**"),
            ("/v2/servers/123/", "/v2/servers/**"),
            ("/v2/servers", "**"),
            ("/v2/servers/123/456", "/v2/*/*/*"),
        ] {
            assert!(path_matches(path, pattern), "{path} ~ {pattern}");
        }
        for (path, pattern) in [
            ("/v2/servers/someuuid", "/v2/servers"),
            ("/v2/servers//", "/v2/servers/{id}"),
            ("/v2/servers/123/", "/v2/servers/{id}"),
            ("/v2/servers/123/456", "/v2/servers/*"),
            ("/v2/servers", "v2/servers"),
            ("/v2/servers/", "/v2/servers/{id}"),
            ("/v2/servers", "/v2/servers/{id}"),
        ] {
            assert!(!path_matches(path, pattern), "{path} !~ {pattern}");
        }
    }

    #[test]
    fn literal_characters_are_not_regular_expression_syntax() {
        assert!(path_matches("/v1/a.b", "/v1/a.b"));
        assert!(!path_matches("/v1/axb", "/v1/a.b"));
        assert!(!path_matches("/v1/aaa", "/v1/a+"));
        assert!(path_matches("/v1/{x", "/v1/{x"), "an unclosed brace is a literal");
    }

    #[test]
    fn a_rule_needs_method_service_and_path_to_agree() {
        let rule = AccessRule { service: "compute".into(), path: "/v2.1/servers/*/ips".into(), method: "GET".into() };
        let call = |service, method, path| {
            let paths = [path];
            rule.allows(&Call { service, method, paths: &paths })
        };
        assert!(call("compute", "GET", "/v2.1/servers/abc/ips"));
        assert!(!call("compute", "POST", "/v2.1/servers/abc/ips"));
        assert!(!call("image", "GET", "/v2.1/servers/abc/ips"));
        assert!(!call("compute", "GET", "/v2.1/servers/abc"));
        assert!(!permits(&[], &Call { service: "compute", method: "GET", paths: &["/"] }), "no rules, no calls");
        let either = Call { service: "compute", method: "GET", paths: &["/compute/v2.1/servers/abc/ips", "/v2.1/servers/abc/ips"] };
        assert!(permits(std::slice::from_ref(&rule), &either), "the path below the mount point counts");
    }
}
