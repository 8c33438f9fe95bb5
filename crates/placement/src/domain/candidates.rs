//! Allocation candidates: every way a request (resource groups with their traits,
//! aggregates and trees) can be met by one provider tree and the sharing providers
//! linked to it.
//!
//! The store narrows the search to trees where each amount fits somewhere, a page at
//! a time; the exact rules run here, over whole trees loaded at once.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use common::RequestContext;

use super::query::{AggregateExpr, TraitExpr};
use super::{Code, Error, Placement, Result, Version};
use crate::store::{CandidateScope, ProviderCapacity, TreeData};

/// How many trees are read from the store at once.
const PAGE: usize = 500;

/// One request group: `resources`, `required`, `member_of`, `in_tree` with one suffix.
#[derive(Debug, Clone, Default)]
pub struct RequestGroup {
    /// The suffix; empty for the unsuffixed group, whose resources may come from
    /// several providers of one tree.
    pub suffix: String,
    /// `(class, amount)`.
    pub resources: Vec<(String, i64)>,
    /// Traits.
    pub required: TraitExpr,
    /// Aggregates.
    pub member_of: AggregateExpr,
    /// Only this provider's tree.
    pub in_tree: Option<String>,
}

/// Whether different suffixed groups may share a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupPolicy {
    /// They may.
    None,
    /// They may not.
    Isolate,
}

/// A whole `GET /allocation_candidates` request.
#[derive(Debug, Clone, Default)]
pub struct CandidateQuery {
    /// The groups; the unsuffixed one first when present.
    pub groups: Vec<RequestGroup>,
    /// Required when there are several suffixed groups.
    pub group_policy: Option<GroupPolicy>,
    /// At most this many candidates.
    pub limit: Option<usize>,
    /// Traits the root of the tree must (not) have.
    pub root_required: TraitExpr,
    /// Suffix sets whose providers must lie in one subtree.
    pub same_subtree: Vec<Vec<String>>,
}

/// One way to meet the request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    /// Provider → class → amount.
    pub allocations: BTreeMap<String, BTreeMap<String, i64>>,
    /// Suffix → the providers that met that group.
    pub mappings: BTreeMap<String, Vec<String>>,
}

/// The answer: candidates, and what each provider they involve offers and is.
#[derive(Debug, Clone, Default)]
pub struct Candidates {
    /// In tree order.
    pub candidates: Vec<Candidate>,
    /// Every provider of the trees used, and the sharing providers used.
    pub summaries: BTreeMap<String, ProviderCapacity>,
    /// Every class the request names (summaries before 1.27 show only these).
    pub requested_classes: BTreeSet<String>,
}

impl Placement {
    /// Finds allocation candidates.
    pub async fn allocation_candidates(&self, ctx: &RequestContext, version: Version, q: &CandidateQuery) -> Result<Candidates> {
        self.authorize_plain(ctx, "placement:allocation_candidates:list")?;
        self.validate_candidate_query(q).await?;
        let requested_classes: BTreeSet<String> = q.groups.iter().flat_map(|g| g.resources.iter().map(|(c, _)| c.clone())).collect();
        let mut out = Candidates { requested_classes, ..Default::default() };
        let mut scope = CandidateScope { amounts: q.groups.iter().flat_map(|g| g.resources.iter().cloned()).collect(), root: None };
        if let Some(tree_member) = q.groups.iter().find(|g| g.suffix.is_empty()).and_then(|g| g.in_tree.as_ref()) {
            match self.store().provider(tree_member).await? {
                Some(p) => scope.root = Some(p.root_uuid),
                None => return Ok(out),
            }
        }
        let mut in_tree_roots: HashMap<String, Option<String>> = HashMap::new();
        for g in &q.groups {
            if let Some(t) = &g.in_tree {
                in_tree_roots.insert(t.clone(), self.store().provider(t).await?.map(|p| p.root_uuid));
            }
        }
        let limit = q.limit.unwrap_or(usize::MAX);
        let mut seen: BTreeSet<Candidate> = BTreeSet::new();
        let mut cursor = None;
        'pages: loop {
            let roots = self.store().candidate_roots(&scope, cursor.as_ref(), PAGE).await?;
            let Some(last) = roots.last().cloned() else { break };
            let uuids: Vec<String> = roots.iter().map(|(_, u)| u.clone()).collect();
            let data = self.store().load_trees(&uuids).await?;
            let trees = Trees::new(&data);
            for root in &uuids {
                for candidate in trees.candidates(root, q, version, &in_tree_roots) {
                    if !seen.insert(candidate.clone()) {
                        continue;
                    }
                    for p in candidate.allocations.keys() {
                        for member in trees.summary_members(p, version) {
                            out.summaries.entry(member.uuid.clone()).or_insert_with(|| member.clone());
                        }
                    }
                    out.candidates.push(candidate);
                    if out.candidates.len() >= limit {
                        break 'pages;
                    }
                }
            }
            if roots.len() < PAGE {
                break;
            }
            cursor = Some(last);
        }
        Ok(out)
    }

    async fn validate_candidate_query(&self, q: &CandidateQuery) -> Result<()> {
        let classes: Vec<&str> = q.groups.iter().flat_map(|g| g.resources.iter().map(|(c, _)| c.as_str())).collect();
        if let Err(class) = self.require_classes(&classes).await {
            return Err(Error::bad(format!("Invalid resource class in resources parameter: No such resource class {class}.")));
        }
        let mut traits = q.root_required.clone();
        for g in &q.groups {
            traits.extend(g.required.clone());
        }
        self.require_traits(&traits, |missing| format!("No such trait(s): {missing}.")).await?;
        let suffixed = q.groups.iter().filter(|g| !g.suffix.is_empty()).count();
        if suffixed > 1 && q.group_policy.is_none() {
            return Err(Error::bad("The \"group_policy\" parameter is required when specifying more than one \"resources{N}\" parameter."));
        }
        let suffixes: Vec<&str> = q.groups.iter().map(|g| g.suffix.as_str()).collect();
        for set in &q.same_subtree {
            if set.iter().any(String::is_empty) {
                return Err(Error::BadRequest {
                    code: Code::BadValue,
                    message: "Empty string (unsuffixed group) can not be specified in `same_subtree` ".into(),
                });
            }
            let unknown: Vec<&String> = set.iter().filter(|s| !suffixes.contains(&s.as_str())).collect();
            if !unknown.is_empty() {
                return Err(Error::BadRequest {
                    code: Code::BadValue,
                    message: format!("Real suffixes should be specified in `same_subtree`: {unknown:?} not found in {suffixes:?}."),
                });
            }
        }
        Ok(())
    }
}

/// Loaded trees, indexed for the search.
struct Trees<'a> {
    data: &'a TreeData,
    /// Root → the providers of its tree, in uuid order.
    members: HashMap<&'a str, Vec<&'a ProviderCapacity>>,
}

impl<'a> Trees<'a> {
    fn new(data: &'a TreeData) -> Self {
        let mut members: HashMap<&str, Vec<&ProviderCapacity>> = HashMap::new();
        for p in data.providers.values() {
            members.entry(p.root_uuid.as_str()).or_default().push(p);
        }
        for list in members.values_mut() {
            list.sort_by(|a, b| a.uuid.cmp(&b.uuid));
        }
        Trees { data, members }
    }

    fn tree(&self, root: &str) -> &[&'a ProviderCapacity] {
        self.members.get(root).map(Vec::as_slice).unwrap_or_default()
    }

    fn sharing(&self, root: &str) -> Vec<&'a ProviderCapacity> {
        self.data.sharing.get(root).into_iter().flatten().filter_map(|u| self.data.providers.get(u)).collect()
    }

    /// The providers a summary shows for a provider used: its whole tree from 1.29,
    /// itself before.
    fn summary_members(&self, uuid: &str, version: Version) -> Vec<&'a ProviderCapacity> {
        let Some(p) = self.data.providers.get(uuid) else { return Vec::new() };
        if version.at_least(29) { self.tree(&p.root_uuid).to_vec() } else { vec![p] }
    }

    /// Whether `ancestor` is `uuid` or above it.
    fn is_ancestor_or_self(&self, ancestor: &str, uuid: &str) -> bool {
        let mut at = Some(uuid);
        while let Some(node) = at {
            if node == ancestor {
                return true;
            }
            at = self.data.providers.get(node).and_then(|p| p.parent_uuid.as_deref());
        }
        false
    }

    /// Every candidate the tree of `root` (with its sharing providers) offers.
    fn candidates(
        &self,
        root: &str,
        q: &CandidateQuery,
        version: Version,
        in_tree_roots: &HashMap<String, Option<String>>,
    ) -> Vec<Candidate> {
        let Some(root_provider) = self.data.providers.get(root) else { return Vec::new() };
        if !q.root_required.matches(&root_provider.traits) {
            return Vec::new();
        }
        let mut per_group: Vec<Vec<Candidate>> = Vec::with_capacity(q.groups.len());
        for g in &q.groups {
            let tree_ok = match &g.in_tree {
                Some(t) => in_tree_roots.get(t).cloned().flatten().as_deref() == Some(root),
                None => true,
            };
            let options = if !tree_ok {
                Vec::new()
            } else if g.suffix.is_empty() {
                self.unsuffixed_options(root_provider, g)
            } else {
                self.granular_options(root, g)
            };
            if options.is_empty() {
                return Vec::new();
            }
            per_group.push(options);
        }
        let mut out = Vec::new();
        let mut combination: Vec<&Candidate> = Vec::with_capacity(per_group.len());
        self.combine(&per_group, &mut combination, q, version, &mut out);
        out
    }

    /// A suffixed group: one provider meets all of it.
    fn granular_options(&self, root: &str, g: &RequestGroup) -> Vec<Candidate> {
        let mut providers: Vec<&ProviderCapacity> = self.tree(root).to_vec();
        providers.extend(self.sharing(root));
        providers
            .into_iter()
            .filter(|p| {
                g.resources.iter().all(|(c, n)| p.fits(c, *n)) && g.required.matches(&p.traits) && g.member_of.matches(&p.aggregates)
            })
            .map(|p| Candidate {
                allocations: if g.resources.is_empty() {
                    BTreeMap::new()
                } else {
                    BTreeMap::from([(p.uuid.clone(), g.resources.iter().cloned().collect())])
                },
                mappings: BTreeMap::from([(g.suffix.clone(), vec![p.uuid.clone()])]),
            })
            .collect()
    }

    /// The unsuffixed group: each class from one provider of the tree or one sharing
    /// provider, traits met by the suppliers together.
    fn unsuffixed_options(&self, root: &ProviderCapacity, g: &RequestGroup) -> Vec<Candidate> {
        let in_aggregates = |p: &ProviderCapacity| {
            if p.root_uuid == root.uuid {
                // The root's aggregates span its tree.
                g.member_of.any_of.iter().all(|set| set.iter().any(|a| p.aggregates.contains(a) || root.aggregates.contains(a)))
                    && !g.member_of.forbidden.iter().any(|a| p.aggregates.contains(a) || root.aggregates.contains(a))
            } else {
                g.member_of.matches(&p.aggregates)
            }
        };
        let mut pool: Vec<&ProviderCapacity> = self.tree(&root.uuid).to_vec();
        if g.in_tree.is_none() {
            pool.extend(self.sharing(&root.uuid));
        }
        let mut per_class: Vec<Vec<&ProviderCapacity>> = Vec::with_capacity(g.resources.len());
        for (class, amount) in &g.resources {
            let fit: Vec<&ProviderCapacity> = pool.iter().copied().filter(|p| p.fits(class, *amount) && in_aggregates(p)).collect();
            if fit.is_empty() {
                return Vec::new();
            }
            per_class.push(fit);
        }
        let mut out = Vec::new();
        let mut pick: Vec<usize> = vec![0; per_class.len()];
        loop {
            let suppliers: Vec<&ProviderCapacity> = pick.iter().enumerate().map(|(i, &j)| per_class[i][j]).collect();
            let mut traits: Vec<String> = suppliers.iter().flat_map(|p| p.traits.iter().cloned()).collect();
            traits.sort();
            traits.dedup();
            if g.required.any_of.iter().all(|set| set.iter().any(|t| traits.contains(t)))
                && !suppliers.iter().any(|p| g.required.forbidden.iter().any(|t| p.traits.contains(t)))
            {
                let mut allocations: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
                for ((class, amount), p) in g.resources.iter().zip(&suppliers) {
                    allocations.entry(p.uuid.clone()).or_default().insert(class.clone(), *amount);
                }
                let used: Vec<String> = allocations.keys().cloned().collect();
                out.push(Candidate { allocations, mappings: BTreeMap::from([(String::new(), used)]) });
            }
            // The next combination, like an odometer.
            let mut i = pick.len();
            loop {
                if i == 0 {
                    return out;
                }
                i -= 1;
                pick[i] += 1;
                if pick[i] < per_class[i].len() {
                    break;
                }
                pick[i] = 0;
            }
        }
    }

    /// Every combination of one option per group that the group policy, the subtree
    /// rules and the summed capacities allow.
    fn combine<'c>(
        &self,
        per_group: &'c [Vec<Candidate>],
        chosen: &mut Vec<&'c Candidate>,
        q: &CandidateQuery,
        version: Version,
        out: &mut Vec<Candidate>,
    ) {
        if chosen.len() == per_group.len() {
            if let Some(c) = self.merge(chosen, q, version) {
                out.push(c);
            }
            return;
        }
        for option in &per_group[chosen.len()] {
            chosen.push(option);
            self.combine(per_group, chosen, q, version, out);
            chosen.pop();
        }
    }

    fn merge(&self, chosen: &[&Candidate], q: &CandidateQuery, version: Version) -> Option<Candidate> {
        let mut merged = Candidate { allocations: BTreeMap::new(), mappings: BTreeMap::new() };
        for c in chosen {
            for (p, classes) in &c.allocations {
                let entry = merged.allocations.entry(p.clone()).or_default();
                for (class, n) in classes {
                    *entry.entry(class.clone()).or_default() += n;
                }
            }
            for (suffix, providers) in &c.mappings {
                merged.mappings.insert(suffix.clone(), providers.clone());
            }
        }
        if q.group_policy == Some(GroupPolicy::Isolate) {
            let mut used = BTreeSet::new();
            for (suffix, providers) in &merged.mappings {
                if !suffix.is_empty() && providers.iter().any(|p| !used.insert(p.clone())) {
                    return None;
                }
            }
        }
        for set in &q.same_subtree {
            let providers: Vec<&String> = set.iter().filter_map(|s| merged.mappings.get(s)).flatten().collect();
            if !providers.iter().any(|top| providers.iter().all(|p| self.is_ancestor_or_self(top, p))) {
                return None;
            }
        }
        for (p, classes) in &merged.allocations {
            let provider = self.data.providers.get(p)?;
            for (class, n) in classes {
                let (inv, used) = provider.inventories.get(class)?;
                if *n > inv.max_unit || inv.capacity() - used < *n {
                    return None;
                }
            }
        }
        if !version.at_least(29) {
            // Before nested providers, a candidate spans one provider of each tree.
            let mut roots = BTreeSet::new();
            for p in merged.allocations.keys() {
                let root = &self.data.providers.get(p)?.root_uuid;
                if !roots.insert(root.clone()) {
                    return None;
                }
            }
        }
        Some(merged)
    }
}
