//! Usage bodies: a provider's, and a project's (grouped by consumer type from 1.38).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::domain::Version;
use crate::store::UsageByType;

/// A provider's usages.
pub fn render_provider(usages: &BTreeMap<String, i64>, generation: i64) -> Value {
    json!({"resource_provider_generation": generation, "usages": usages})
}

/// Which consumers a project usage query covers (1.38+).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeFilter {
    /// Every type, each apart.
    Each,
    /// Every type together, as `all`.
    All,
    /// Only consumers of unknown type.
    Unknown,
    /// Only this type.
    Only(String),
}

/// A project's usages at `version`.
pub fn render_project(by_type: &BTreeMap<Option<String>, UsageByType>, version: Version, filter: &TypeFilter) -> Value {
    if !version.at_least(38) {
        let mut total: BTreeMap<&str, i64> = BTreeMap::new();
        for u in by_type.values() {
            for (class, n) in &u.usages {
                *total.entry(class).or_default() += n;
            }
        }
        return json!({"usages": total});
    }
    let entry = |u: &UsageByType| {
        let mut m: Map<String, Value> = u.usages.iter().map(|(c, n)| (c.clone(), json!(n))).collect();
        m.insert("consumer_count".into(), json!(u.consumer_count));
        Value::Object(m)
    };
    let mut out = Map::new();
    match filter {
        TypeFilter::All => {
            if !by_type.is_empty() {
                let mut sum = UsageByType::default();
                for u in by_type.values() {
                    sum.consumer_count += u.consumer_count;
                    for (class, n) in &u.usages {
                        *sum.usages.entry(class.clone()).or_default() += n;
                    }
                }
                out.insert("all".into(), entry(&sum));
            }
        }
        TypeFilter::Each => {
            for (t, u) in by_type {
                out.insert(t.clone().unwrap_or_else(|| "unknown".into()), entry(u));
            }
        }
        TypeFilter::Unknown => {
            if let Some(u) = by_type.get(&None) {
                out.insert("unknown".into(), entry(u));
            }
        }
        TypeFilter::Only(name) => {
            if let Some(u) = by_type.get(&Some(name.clone())) {
                out.insert(name.clone(), entry(u));
            }
        }
    }
    json!({"usages": out})
}
