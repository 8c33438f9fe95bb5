//! Policy engine speaking the oslo.policy rule language, so operators' existing policy
//! files keep their meaning.
//!
//! Supported: `@` (always), `!` (never), the empty rule (always), `rule:NAME`,
//! `role:NAME`, generic `KEY:VALUE` checks where `KEY` is a dotted path into the caller's
//! credentials (or a literal such as `True`) and `VALUE` a literal, a quoted string or a
//! `%(target.path)s` substitution from the target; combined with `not`, `and`, `or` and
//! parentheses, with oslo.policy's precedence (`not` over `and` over `or`). The legacy
//! list-of-lists syntax and remote `http:` checks are refused when the policy is loaded.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

/// Why a policy could not be built or consulted.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A rule's text does not parse.
    #[error("policy rule {name:?} is invalid: {reason}")]
    Syntax { name: String, reason: String },
    /// The policy file cannot be read or is not a map of rule names to rule strings.
    #[error("policy file {path}: {reason}")]
    File { path: String, reason: String },
    /// Code asked for a rule no defaults register: a programming error.
    #[error("policy rule {0:?} is not registered")]
    NotRegistered(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Check {
    Always,
    Never,
    Rule(String),
    Role(String),
    Generic { key: String, value: String },
    Not(Box<Check>),
    And(Vec<Check>),
    Or(Vec<Check>),
}

/// A set of named rules: a service's defaults with an operator's overrides on top.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    rules: HashMap<String, Check>,
}

impl Policy {
    /// Builds a policy from `(name, rule)` defaults.
    pub fn new(defaults: &[(&str, &str)]) -> Result<Self, PolicyError> {
        let mut policy = Policy::default();
        for (name, text) in defaults {
            policy.set(name, text)?;
        }
        Ok(policy)
    }

    /// Sets (or overrides) one rule.
    pub fn set(&mut self, name: &str, text: &str) -> Result<(), PolicyError> {
        let check = parse(text).map_err(|reason| PolicyError::Syntax { name: name.to_owned(), reason })?;
        self.rules.insert(name.to_owned(), check);
        Ok(())
    }

    /// Applies an operator's policy file (YAML or JSON, a map of rule names to rule
    /// strings) over the defaults. Rules it names that no service registers are kept,
    /// since other rules may refer to them.
    pub fn apply_file(&mut self, path: &Path) -> Result<(), PolicyError> {
        let file_err = |reason: String| PolicyError::File { path: path.display().to_string(), reason };
        let text = std::fs::read_to_string(path).map_err(|e| file_err(e.to_string()))?;
        let map: HashMap<String, String> = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text).map_err(|e| file_err(e.to_string()))?
        } else {
            serde_saphyr::from_str(&text).map_err(|e| file_err(e.to_string()))?
        };
        for (name, text) in map {
            self.set(&name, &text)?;
        }
        Ok(())
    }

    /// Whether `creds` may do what rule `name` guards on `target`.
    pub fn enforce(&self, name: &str, target: &Value, creds: &Value) -> Result<bool, PolicyError> {
        let check = self.rules.get(name).ok_or_else(|| PolicyError::NotRegistered(name.to_owned()))?;
        Ok(self.eval(check, target, creds, 0))
    }

    fn eval(&self, check: &Check, target: &Value, creds: &Value, depth: usize) -> bool {
        // A rule that (indirectly) refers to itself would recurse forever; oslo.policy
        // would overflow the stack, here it simply fails closed.
        if depth > 32 {
            return false;
        }
        match check {
            Check::Always => true,
            Check::Never => false,
            Check::Rule(name) => self.rules.get(name).is_some_and(|c| self.eval(c, target, creds, depth + 1)),
            Check::Role(role) => substitute(role, target).is_some_and(|role| {
                creds["roles"].as_array().is_some_and(|roles| roles.iter().filter_map(Value::as_str).any(|r| r.eq_ignore_ascii_case(&role)))
            }),
            Check::Generic { key, value } => generic_check(key, value, target, creds),
            Check::Not(inner) => !self.eval(inner, target, creds, depth + 1),
            Check::And(all) => all.iter().all(|c| self.eval(c, target, creds, depth + 1)),
            Check::Or(any) => any.iter().any(|c| self.eval(c, target, creds, depth + 1)),
        }
    }
}

fn generic_check(key: &str, value: &str, target: &Value, creds: &Value) -> bool {
    let Some(expected) = substitute(value, target) else { return false };
    if let Some(literal) = literal(key) {
        return literal == expected;
    }
    lookup(creds, key).and_then(python_str).is_some_and(|actual| actual == expected)
}

/// Expands `%(path)s` from the target; `None` when the target lacks the path, which makes
/// the check fail as oslo.policy's KeyError does.
fn substitute(text: &str, target: &Value) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("%(") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find(")s")?;
        out.push_str(&python_str(lookup(target, &after[..end])?)?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Some(strip_quotes(&out).to_owned())
}

/// Finds `path` in a document, first as a literal key (oslo.policy flattens targets into
/// dotted keys), then by walking the dots.
fn lookup<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = doc.get(path) {
        return Some(v);
    }
    path.split('.').try_fold(doc, |v, seg| v.get(seg))
}

/// A value as Python's `str()` writes it, since oslo.policy compares strings that way.
fn python_str(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(true) => Some("True".into()),
        Value::Bool(false) => Some("False".into()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null => Some("None".into()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

fn literal(key: &str) -> Option<String> {
    match key {
        "True" | "False" | "None" => Some(key.to_owned()),
        _ if key.parse::<f64>().is_ok() => Some(key.to_owned()),
        _ if is_quoted(key) => Some(strip_quotes(key).to_owned()),
        _ => None,
    }
}

fn is_quoted(s: &str) -> bool {
    s.len() >= 2 && ((s.starts_with('\'') && s.ends_with('\'')) || (s.starts_with('"') && s.ends_with('"')))
}

fn strip_quotes(s: &str) -> &str {
    if is_quoted(s) { &s[1..s.len() - 1] } else { s }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    Check(Check),
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    for word in text.split_whitespace() {
        let core = word.trim_start_matches('(');
        tokens.extend(std::iter::repeat_n(Token::Open, word.len() - core.len()));
        let inner = core.trim_end_matches(')');
        let closes = core.len() - inner.len();
        if !inner.is_empty() {
            tokens.push(match inner {
                "and" => Token::And,
                "or" => Token::Or,
                "not" => Token::Not,
                "@" => Token::Check(Check::Always),
                "!" => Token::Check(Check::Never),
                _ => Token::Check(parse_check(inner)?),
            });
        }
        tokens.extend(std::iter::repeat_n(Token::Close, closes));
    }
    Ok(tokens)
}

fn parse_check(word: &str) -> Result<Check, String> {
    let (kind, value) = word.split_once(':').ok_or_else(|| format!("{word:?} is not a KIND:VALUE check"))?;
    match kind {
        "rule" => Ok(Check::Rule(value.to_owned())),
        "role" => Ok(Check::Role(value.to_owned())),
        "http" | "https" => Err(format!("remote check {word:?} is not supported")),
        _ => Ok(Check::Generic { key: kind.to_owned(), value: value.to_owned() }),
    }
}

fn parse(text: &str) -> Result<Check, String> {
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Ok(Check::Always);
    }
    let mut parser = Parser { tokens, pos: 0 };
    let check = parser.or()?;
    if parser.pos != parser.tokens.len() {
        return Err(format!("unexpected {:?}", parser.tokens[parser.pos]));
    }
    Ok(check)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn next_is(&self, t: &Token) -> bool {
        self.tokens.get(self.pos) == Some(t)
    }

    fn or(&mut self) -> Result<Check, String> {
        let mut any = vec![self.and()?];
        while self.next_is(&Token::Or) {
            self.pos += 1;
            any.push(self.and()?);
        }
        Ok(if any.len() == 1 { any.remove(0) } else { Check::Or(any) })
    }

    fn and(&mut self) -> Result<Check, String> {
        let mut all = vec![self.not()?];
        while self.next_is(&Token::And) {
            self.pos += 1;
            all.push(self.not()?);
        }
        Ok(if all.len() == 1 { all.remove(0) } else { Check::And(all) })
    }

    fn not(&mut self) -> Result<Check, String> {
        if self.next_is(&Token::Not) {
            self.pos += 1;
            return Ok(Check::Not(Box::new(self.not()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Check, String> {
        let token = self.tokens.get(self.pos).cloned().ok_or("rule ends too early")?;
        self.pos += 1;
        match token {
            Token::Check(c) => Ok(c),
            Token::Open => {
                let inner = self.or()?;
                if !self.next_is(&Token::Close) {
                    return Err("unbalanced parenthesis".into());
                }
                self.pos += 1;
                Ok(inner)
            }
            other => Err(format!("unexpected {other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(rules: &[(&str, &str)]) -> Policy {
        Policy::new(rules).unwrap()
    }

    fn creds(roles: &[&str]) -> Value {
        json!({"user_id": "u1", "project_id": "p1", "roles": roles, "system_scope": null,
               "is_admin": false, "token": {"domain": {"id": "d1"}}})
    }

    #[test]
    fn constants_and_empty_rule() {
        let p = policy(&[("a", "@"), ("n", "!"), ("e", "")]);
        assert!(p.enforce("a", &json!({}), &creds(&[])).unwrap());
        assert!(!p.enforce("n", &json!({}), &creds(&[])).unwrap());
        assert!(p.enforce("e", &json!({}), &creds(&[])).unwrap());
    }

    #[test]
    fn roles_match_case_insensitively() {
        let p = policy(&[("r", "role:Admin")]);
        assert!(p.enforce("r", &json!({}), &creds(&["admin"])).unwrap());
        assert!(!p.enforce("r", &json!({}), &creds(&["member"])).unwrap());
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        // "a or b and c" must read as "a or (b and c)".
        let p = policy(&[("r", "role:a or role:b and role:c")]);
        assert!(p.enforce("r", &json!({}), &creds(&["a"])).unwrap());
        assert!(!p.enforce("r", &json!({}), &creds(&["b"])).unwrap());
        assert!(p.enforce("r", &json!({}), &creds(&["b", "c"])).unwrap());
        let p = policy(&[("r", "not role:a and role:b")]);
        assert!(p.enforce("r", &json!({}), &creds(&["b"])).unwrap());
        assert!(!p.enforce("r", &json!({}), &creds(&["a", "b"])).unwrap());
    }

    #[test]
    fn parentheses_group_and_may_touch_words() {
        let p = policy(&[("r", "(role:a or role:b) and (user_id:u1)")]);
        assert!(p.enforce("r", &json!({}), &creds(&["b"])).unwrap());
        assert!(!p.enforce("r", &json!({}), &json!({"user_id": "u2", "roles": ["b"]})).unwrap());
    }

    #[test]
    fn rules_refer_to_rules() {
        let p = policy(&[("admin_required", "role:admin"), ("r", "rule:admin_required or user_id:%(user_id)s")]);
        assert!(p.enforce("r", &json!({"user_id": "u1"}), &creds(&[])).unwrap());
        assert!(!p.enforce("r", &json!({"user_id": "u2"}), &creds(&[])).unwrap());
        assert!(p.enforce("r", &json!({"user_id": "u2"}), &creds(&["admin"])).unwrap());
    }

    #[test]
    fn target_substitution_walks_dots_and_fails_closed_when_missing() {
        let p = policy(&[("r", "token.domain.id:%(target.user.domain_id)s")]);
        assert!(p.enforce("r", &json!({"target": {"user": {"domain_id": "d1"}}}), &creds(&[])).unwrap());
        assert!(p.enforce("r", &json!({"target.user.domain_id": "d1"}), &creds(&[])).unwrap());
        assert!(!p.enforce("r", &json!({"target": {"user": {"domain_id": "d2"}}}), &creds(&[])).unwrap());
        assert!(!p.enforce("r", &json!({}), &creds(&[])).unwrap());
    }

    #[test]
    fn booleans_and_literals_compare_as_python_strings() {
        let p = policy(&[("admin", "is_admin:True"), ("sys", "system_scope:all"), ("lit", "'x':%(v)s")]);
        assert!(!p.enforce("admin", &json!({}), &creds(&[])).unwrap());
        assert!(p.enforce("admin", &json!({}), &json!({"is_admin": true})).unwrap());
        assert!(p.enforce("sys", &json!({}), &json!({"system_scope": "all"})).unwrap());
        assert!(!p.enforce("sys", &json!({}), &creds(&[])).unwrap());
        assert!(p.enforce("lit", &json!({"v": "x"}), &creds(&[])).unwrap());
    }

    #[test]
    fn self_reference_fails_closed() {
        let p = policy(&[("loop", "rule:loop")]);
        assert!(!p.enforce("loop", &json!({}), &creds(&[])).unwrap());
    }

    #[test]
    fn bad_rules_are_refused_at_load() {
        for bad in ["role:a or", "(role:a", "role:a)", "nonsense", "http://example/check"] {
            assert!(Policy::new(&[("r", bad)]).is_err(), "{bad:?} should not parse");
        }
        let p = policy(&[]);
        assert!(matches!(p.enforce("missing", &json!({}), &creds(&[])), Err(PolicyError::NotRegistered(_))));
    }

    #[test]
    fn files_override_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let yaml = dir.path().join("policy.yaml");
        std::fs::write(&yaml, "\"r\": \"role:reader\"\n").unwrap();
        let mut p = policy(&[("r", "role:admin")]);
        p.apply_file(&yaml).unwrap();
        assert!(p.enforce("r", &json!({}), &creds(&["reader"])).unwrap());
        let json_file = dir.path().join("policy.json");
        std::fs::write(&json_file, r#"{"r": "!"}"#).unwrap();
        p.apply_file(&json_file).unwrap();
        assert!(!p.enforce("r", &json!({}), &creds(&["reader"])).unwrap());
        std::fs::write(&json_file, r#"{"r": "role:"#).unwrap();
        assert!(matches!(p.apply_file(&json_file), Err(PolicyError::File { .. })));
    }
}
