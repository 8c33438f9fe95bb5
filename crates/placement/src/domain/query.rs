//! The filter expressions of provider lists and allocation candidates, and how
//! Placement spells them in a query string, version by version.

use super::{Error, Result, Version};

/// Traits a provider (or the providers of one request group together) must have and
/// must not have.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraitExpr {
    /// Each inner list needs one of its traits (a single trait is simply required).
    pub any_of: Vec<Vec<String>>,
    /// None of these may be present.
    pub forbidden: Vec<String>,
}

impl TraitExpr {
    /// Whether it asks nothing.
    pub fn is_empty(&self) -> bool {
        self.any_of.is_empty() && self.forbidden.is_empty()
    }

    /// Every trait named, once.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.any_of.iter().flatten().chain(&self.forbidden).cloned().collect();
        names.sort();
        names.dedup();
        names
    }

    /// Whether `traits` satisfy it.
    pub fn matches(&self, traits: &[String]) -> bool {
        self.any_of.iter().all(|set| set.iter().any(|t| traits.contains(t))) && !self.forbidden.iter().any(|t| traits.contains(t))
    }

    /// Adds another expression's demands to this one's.
    pub fn extend(&mut self, other: TraitExpr) {
        self.any_of.extend(other.any_of);
        self.forbidden.extend(other.forbidden);
    }

    /// The `(A, B)` of a required set that is wholly forbidden too, if any.
    pub fn conflict(&self) -> Option<Vec<String>> {
        self.any_of.iter().find(|set| set.iter().all(|t| self.forbidden.contains(t))).cloned()
    }
}

/// Aggregates a provider must be in and must not be in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AggregateExpr {
    /// The provider must be in one aggregate of each list.
    pub any_of: Vec<Vec<String>>,
    /// It may be in none of these.
    pub forbidden: Vec<String>,
}

impl AggregateExpr {
    /// Whether it asks nothing.
    pub fn is_empty(&self) -> bool {
        self.any_of.is_empty() && self.forbidden.is_empty()
    }

    /// Whether a provider in `aggregates` satisfies it.
    pub fn matches(&self, aggregates: &[String]) -> bool {
        self.any_of.iter().all(|set| set.iter().any(|a| aggregates.contains(a))) && !self.forbidden.iter().any(|a| aggregates.contains(a))
    }
}

/// `resources=VCPU:2,MEMORY_MB:1024`: amounts by class (a repeated class: the last wins).
pub fn parse_resources(value: &str) -> Result<Vec<(String, i64)>> {
    let form = "Badly formed resources parameter. Expected resources query string parameter in form: ?resources=VCPU:2,MEMORY_MB:1024.";
    if value.trim().is_empty() {
        return Err(Error::bad(format!("{form} Got: empty string.")));
    }
    let mut out: Vec<(String, i64)> = Vec::new();
    for item in value.split(',') {
        let parts: Vec<&str> = item.split(':').collect();
        let [class, amount] = parts[..] else {
            return Err(Error::bad(format!("{form} Got: {item}.")));
        };
        let class = class.trim();
        let amount: i64 = amount
            .trim()
            .parse()
            .map_err(|_| Error::bad(format!("Requested resource {class} expected positive integer amount. Got: {amount}.")))?;
        if amount < 1 {
            return Err(Error::bad(format!("Requested resource {class} requires amount >= 1. Got: {amount}.")));
        }
        out.retain(|(c, _)| c != class);
        out.push((class.to_owned(), amount));
    }
    Ok(out)
}

/// One `required` value: `A,!B` (forbidden from 1.22) or `in:A,B` (from 1.39).
pub fn parse_required(value: &str, version: Version) -> Result<TraitExpr> {
    let invalid = |msg: String| Error::bad(format!("Invalid query string parameters: {msg}"));
    if let Some(list) = value.strip_prefix("in:") {
        if !version.at_least(39) {
            return Err(invalid(format!(
                "The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' only supported since microversion 1.39. Got: {value}"
            )));
        }
        let names: Vec<String> = list.split(',').map(|t| t.trim().to_owned()).collect();
        if names.iter().any(String::is_empty) {
            return Err(invalid(format!(
                "Expected 'required' parameter value of the form: in:HW_CPU_X86_VMX,CUSTOM_MAGIC. Got an empty trait in: {value}"
            )));
        }
        if names.iter().any(|n| n.starts_with('!')) {
            return Err(invalid(format!("The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' does not support forbidden traits. Got: {value}")));
        }
        return Ok(TraitExpr { any_of: vec![names], forbidden: Vec::new() });
    }
    let form = if version.at_least(22) { "HW_CPU_X86_VMX,!CUSTOM_MAGIC" } else { "HW_CPU_X86_VMX,CUSTOM_MAGIC" };
    let mut expr = TraitExpr::default();
    for item in value.split(',') {
        let item = item.trim();
        let name = item.trim_start_matches('!');
        if name.is_empty() {
            return Err(invalid(format!("Expected 'required' parameter value of the form: {form}. Got an empty trait in: {value}")));
        }
        if name.len() != item.len() {
            if !version.at_least(22) {
                return Err(invalid(format!("Expected 'required' parameter value of the form: {form}. Got: {value}")));
            }
            expr.forbidden.push(name.to_owned());
        } else {
            expr.any_of.push(vec![name.to_owned()]);
        }
    }
    Ok(expr)
}

/// The values of `required` (or `requiredN`) given: from 1.39 all count, before only
/// the last.
pub fn parse_required_all(values: &[&str], version: Version) -> Result<TraitExpr> {
    let mut expr = TraitExpr::default();
    let used: &[&str] = if version.at_least(39) { values } else { &values[values.len().saturating_sub(1)..] };
    for v in used {
        expr.extend(parse_required(v, version)?);
    }
    Ok(expr)
}

/// The values of `member_of` (or `member_ofN`): `U`, `in:U1,U2`, and from 1.32 `!U`,
/// `!in:U1,U2`; several values need 1.24.
pub fn parse_member_of(values: &[&str], version: Version, suffix: &str) -> Result<AggregateExpr> {
    if values.len() > 1 && !version.at_least(24) {
        return Err(Error::bad(format!("Multiple member_of{suffix} parameters are not supported")));
    }
    let mut expr = AggregateExpr::default();
    for value in values {
        let (forbidden, rest) = match value.strip_prefix('!') {
            Some(rest) => {
                if !version.at_least(32) {
                    return Err(Error::bad(format!(
                        "Forbidden member_of{suffix} parameters are not supported in the specified microversion"
                    )));
                }
                (true, rest)
            }
            None => (false, *value),
        };
        let list: Vec<String> = match rest.strip_prefix("in:") {
            Some(list) => list.split(',').map(|u| u.trim().to_owned()).collect(),
            None if rest.contains(',') => {
                return Err(Error::bad(format!(
                    "Multiple values for 'member_of' must be prefixed with the 'in:' or '!in:' keyword using the valid microversion. Got: {value}"
                )));
            }
            None => vec![rest.trim().to_owned()],
        };
        let mut uuids = Vec::with_capacity(list.len());
        for u in list {
            match uuid::Uuid::parse_str(&u) {
                Ok(parsed) => uuids.push(parsed.hyphenated().to_string()),
                Err(_) => {
                    return Err(Error::bad(format!(
                        "Invalid query string parameters: Expected 'member_of' parameter to contain valid UUID(s). Got: {u}"
                    )));
                }
            }
        }
        if forbidden {
            expr.forbidden.extend(uuids);
        } else {
            expr.any_of.push(uuids);
        }
    }
    Ok(expr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: Error) -> String {
        e.to_string()
    }

    #[test]
    fn resources_parse_as_placement_spells_them() {
        assert_eq!(parse_resources("VCPU:2,MEMORY_MB:1024").unwrap(), [("VCPU".to_owned(), 2), ("MEMORY_MB".to_owned(), 1024)]);
        assert_eq!(parse_resources("VCPU:2,VCPU:4").unwrap(), [("VCPU".to_owned(), 4)], "the last of a class wins");
        assert!(message(parse_resources("").unwrap_err()).ends_with("Got: empty string."));
        assert!(message(parse_resources("VCPU").unwrap_err()).ends_with("Got: VCPU."));
        assert!(message(parse_resources("VCPU:2,").unwrap_err()).ends_with("Got: ."), "a trailing comma is an empty item");
        assert!(message(parse_resources("VCPU:x").unwrap_err()).contains("expected positive integer amount"));
        assert!(message(parse_resources("VCPU:0").unwrap_err()).contains("requires amount >= 1"));
    }

    #[test]
    fn required_traits_follow_the_microversion() {
        let expr = parse_required("A, !B", Version(22)).unwrap();
        assert_eq!((expr.any_of, expr.forbidden), (vec![vec!["A".to_owned()]], vec!["B".to_owned()]));
        assert!(parse_required("!B", Version(21)).is_err(), "forbidden traits came in 1.22");
        assert!(parse_required("in:A,B", Version(38)).is_err(), "any-of came in 1.39");
        let any = parse_required("in:A,B", Version(39)).unwrap();
        assert!(any.matches(&["B".to_owned()]) && !any.matches(&["C".to_owned()]));
        assert!(parse_required("in:A,!B", Version(39)).is_err());
        assert!(parse_required("A,,B", Version(39)).is_err());
        let repeated = parse_required_all(&["A", "B"], Version(39)).unwrap();
        assert_eq!(repeated.any_of.len(), 2, "from 1.39 every value counts");
        assert_eq!(parse_required_all(&["A", "B"], Version(38)).unwrap().any_of, vec![vec!["B".to_owned()]], "before, the last");
        let conflicting = parse_required("A,!A", Version(22)).unwrap();
        assert_eq!(conflicting.conflict(), Some(vec!["A".to_owned()]));
    }

    #[test]
    fn member_of_takes_uuids_lists_and_negations_by_version() {
        let a = "11111111-1111-1111-1111-111111111111";
        let b = "22222222-2222-2222-2222-222222222222";
        let expr = parse_member_of(&[&format!("in:{a},{b}"), &format!("!{b}")], Version(32), "").unwrap();
        assert_eq!(expr.any_of, vec![vec![a.to_owned(), b.to_owned()]]);
        assert_eq!(expr.forbidden, vec![b.to_owned()]);
        assert!(!expr.matches(&[b.to_owned()]) && expr.matches(&[a.to_owned()]));
        assert!(parse_member_of(&[&format!("{a},{b}")], Version(32), "").is_err(), "a list needs in:");
        assert!(parse_member_of(&[a, b], Version(23), "").is_err(), "several member_of came in 1.24");
        assert!(parse_member_of(&[&format!("!{a}")], Version(31), "").is_err(), "forbidden aggregates came in 1.32");
        assert!(message(parse_member_of(&["nope"], Version(39), "").unwrap_err()).contains("valid UUID"));
    }
}
