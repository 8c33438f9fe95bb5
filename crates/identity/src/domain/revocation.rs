//! Revocation events, indexed so that checking a token costs a handful of hash lookups
//! however many events there are (Keystone scans its event list, which slows validation
//! from milliseconds to seconds once events number in the thousands).

use std::collections::HashMap;

use crate::store::RevocationRow;

/// The facts about a token that revocation events can match.
#[derive(Debug, Clone, Copy)]
pub struct TokenFacts<'a> {
    pub user_id: &'a str,
    pub user_domain_id: &'a str,
    pub project_id: Option<&'a str>,
    pub project_domain_id: Option<&'a str>,
    pub domain_id: Option<&'a str>,
    pub audit_id: &'a str,
    pub audit_chain_id: &'a str,
    pub issued_at: i64,
}

/// Every live revocation event, keyed by what it matches; each key keeps the latest
/// `issued_before`, since a later cut-off covers every earlier one.
#[derive(Debug, Default)]
pub struct RevocationIndex {
    by_user: HashMap<String, i64>,
    by_project: HashMap<String, i64>,
    by_domain: HashMap<String, i64>,
    by_user_scope: HashMap<(String, String), i64>,
    by_audit_id: HashMap<String, i64>,
    by_audit_chain: HashMap<String, i64>,
    latest_revoked_at: i64,
}

/// Raises the cut-off for `key` to `cut_off`; true when that revokes more than before.
fn bump<K: std::hash::Hash + Eq>(map: &mut HashMap<K, i64>, key: K, cut_off: i64) -> bool {
    let slot = map.entry(key).or_insert(i64::MIN);
    let raised = cut_off > *slot;
    *slot = (*slot).max(cut_off);
    raised
}

fn hit<K, Q>(map: &HashMap<K, i64>, key: &Q, issued_at: i64) -> bool
where
    K: std::borrow::Borrow<Q> + std::hash::Hash + Eq,
    Q: std::hash::Hash + Eq + ?Sized,
{
    map.get(key).is_some_and(|cut_off| issued_at <= *cut_off)
}

impl RevocationIndex {
    /// Adds one event; true when it revokes something the index did not already.
    pub fn insert(&mut self, e: &RevocationRow) -> bool {
        let cut = e.issued_before;
        self.latest_revoked_at = self.latest_revoked_at.max(e.revoked_at);
        if let Some(audit) = &e.audit_id {
            bump(&mut self.by_audit_id, audit.clone(), cut)
        } else if let Some(chain) = &e.audit_chain_id {
            bump(&mut self.by_audit_chain, chain.clone(), cut)
        } else if let Some(user) = &e.user_id {
            match e.project_id.as_ref().or(e.domain_id.as_ref()) {
                Some(scope) => bump(&mut self.by_user_scope, (user.clone(), scope.clone()), cut),
                None => bump(&mut self.by_user, user.clone(), cut),
            }
        } else if let Some(project) = &e.project_id {
            bump(&mut self.by_project, project.clone(), cut)
        } else if let Some(domain) = &e.domain_id {
            bump(&mut self.by_domain, domain.clone(), cut)
        } else {
            false
        }
    }

    /// The newest `revoked_at` seen, from which a refresh continues.
    pub fn latest_revoked_at(&self) -> i64 {
        self.latest_revoked_at
    }

    /// Whether any event revokes a token with these facts.
    pub fn is_revoked(&self, t: &TokenFacts<'_>) -> bool {
        let at = t.issued_at;
        let scope = t.project_id.or(t.domain_id);
        hit(&self.by_audit_id, t.audit_id, at)
            || hit(&self.by_audit_chain, t.audit_chain_id, at)
            || hit(&self.by_user, t.user_id, at)
            || t.project_id.is_some_and(|p| hit(&self.by_project, p, at))
            || [Some(t.user_domain_id), t.project_domain_id, t.domain_id].into_iter().flatten().any(|d| hit(&self.by_domain, d, at))
            || scope.is_some_and(|s| hit(&self.by_user_scope, &(t.user_id.to_owned(), s.to_owned()), at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(issued_at: i64) -> TokenFacts<'static> {
        TokenFacts {
            user_id: "u",
            user_domain_id: "d",
            project_id: Some("p"),
            project_domain_id: Some("pd"),
            domain_id: None,
            audit_id: "a1",
            audit_chain_id: "a0",
            issued_at,
        }
    }

    fn event(f: impl FnOnce(&mut RevocationRow)) -> RevocationRow {
        let mut e = RevocationRow { issued_before: 100, revoked_at: 100, ..Default::default() };
        f(&mut e);
        e
    }

    #[test]
    fn each_kind_of_event_revokes_older_tokens_only() {
        let cases: Vec<RevocationRow> = vec![
            event(|e| e.user_id = Some("u".into())),
            event(|e| e.project_id = Some("p".into())),
            event(|e| e.domain_id = Some("d".into())),
            event(|e| e.domain_id = Some("pd".into())),
            event(|e| {
                e.user_id = Some("u".into());
                e.project_id = Some("p".into());
            }),
            event(|e| e.audit_id = Some("a1".into())),
            event(|e| e.audit_chain_id = Some("a0".into())),
        ];
        for e in cases {
            let mut idx = RevocationIndex::default();
            idx.insert(&e);
            assert!(idx.is_revoked(&facts(100)), "{e:?} revokes a token issued at the cut-off");
            assert!(!idx.is_revoked(&facts(101)), "{e:?} spares a token issued after it");
        }
    }

    #[test]
    fn unrelated_events_do_not_revoke() {
        let mut idx = RevocationIndex::default();
        idx.insert(&event(|e| e.user_id = Some("other".into())));
        idx.insert(&event(|e| {
            e.user_id = Some("u".into());
            e.project_id = Some("other-project".into());
        }));
        idx.insert(&event(|e| e.audit_id = Some("a0".into())));
        assert!(!idx.is_revoked(&facts(1)));
    }

    #[test]
    fn thousands_of_events_keep_one_entry_per_key() {
        let mut idx = RevocationIndex::default();
        for i in 0..5000 {
            idx.insert(&event(|e| {
                e.user_id = Some(format!("user-{}", i % 10));
                e.issued_before = i;
                e.revoked_at = i;
            }));
        }
        assert_eq!(idx.by_user.len(), 10);
        assert_eq!(idx.latest_revoked_at(), 4999);
    }
}
