//! Image lists: who sees what, Glance's filters, sorting and keyset pagination.

use std::cmp::Ordering;
use std::collections::HashMap;

use common::RequestContext;

use super::error::no_image;
use super::images::sees;
use super::policy::project_target;
use super::{Error, Images, Result};
use crate::store::{ImageRow, ListScope};

/// Keys a list may be sorted by.
pub const SORT_KEYS: [&str; 8] = ["name", "status", "container_format", "disk_format", "size", "id", "created_at", "updated_at"];

/// How to compare a time filter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeOp {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Neq,
}

/// One condition every listed image meets.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// The attribute (or additional property) equals one of the values.
    OneOf { key: String, values: Vec<String> },
    /// A numeric attribute is at least (`min`) or at most (`max`) a bound; null never matches.
    Bound { key: String, min: bool, bound: i64 },
    /// `created_at` or `updated_at` compared with a time, in microseconds.
    Time { key: String, op: TimeOp, at: i64 },
    /// The image carries the tag.
    Tag(String),
}

/// A list request, parsed and checked on the wire.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub limit: Option<usize>,
    pub marker: Option<String>,
    /// `(key, ascending)`; empty means newest first.
    pub sort: Vec<(String, bool)>,
    pub filters: Vec<Filter>,
    /// `None` lists what the caller sees by default; `Some("all")` includes community.
    pub visibility: Option<String>,
    /// List only hidden images (`os_hidden=true`) instead of only visible ones.
    pub os_hidden: bool,
    /// Which shared images offered to the caller to list: `pending`, `accepted`
    /// (`None` means this), `rejected` or `all`.
    pub member_status: Option<String>,
}

/// One page of a list; `full` when the page is full, so that a next page may exist.
#[derive(Debug)]
pub struct Page {
    pub images: Vec<ImageRow>,
    pub full: bool,
}

/// The value of `key` on `image` as a string, for equality filters.
fn attribute(image: &ImageRow, key: &str) -> Option<String> {
    let text = |v: &Option<String>| v.clone();
    match key {
        "id" => Some(image.id.clone()),
        "name" => text(&image.name),
        "status" => Some(image.status.clone()),
        "visibility" => Some(image.visibility.clone()),
        "owner" => text(&image.owner),
        "disk_format" => text(&image.disk_format),
        "container_format" => text(&image.container_format),
        "checksum" => text(&image.checksum),
        "os_hash_value" => text(&image.os_hash_value),
        "protected" => Some(image.protected.to_string()),
        "size" | "virtual_size" | "min_disk" | "min_ram" => number(image, key).map(|n| n.to_string()),
        other => image.properties.get(other).and_then(|v| v.as_str()).map(str::to_owned),
    }
}

fn number(image: &ImageRow, key: &str) -> Option<i64> {
    match key {
        "size" => image.size,
        "virtual_size" => image.virtual_size,
        "min_disk" => Some(image.min_disk),
        "min_ram" => Some(image.min_ram),
        _ => None,
    }
}

fn matches(image: &ImageRow, filter: &Filter) -> bool {
    match filter {
        Filter::OneOf { key, values } => attribute(image, key).is_some_and(|v| values.contains(&v)),
        Filter::Bound { key, min, bound } => number(image, key).is_some_and(|n| if *min { n >= *bound } else { n <= *bound }),
        Filter::Time { key, op, at } => {
            let t = if key == "created_at" { image.created_at } else { image.updated_at };
            // Times are shown to the second, so a filter compares whole seconds.
            let (t, at) = (t / 1_000_000, at / 1_000_000);
            match op {
                TimeOp::Gt => t > at,
                TimeOp::Gte => t >= at,
                TimeOp::Lt => t < at,
                TimeOp::Lte => t <= at,
                TimeOp::Eq => t == at,
                TimeOp::Neq => t != at,
            }
        }
        Filter::Tag(tag) => image.tags.contains(tag),
    }
}

fn compare_by(a: &ImageRow, b: &ImageRow, key: &str) -> Ordering {
    match key {
        "created_at" => a.created_at.cmp(&b.created_at),
        "updated_at" => a.updated_at.cmp(&b.updated_at),
        "size" => a.size.cmp(&b.size),
        _ => attribute(a, key).cmp(&attribute(b, key)),
    }
}

/// The order a list's sort keys give, with `created_at` and `id` as tie-breakers.
fn order(sort: &[(String, bool)]) -> Vec<(String, bool)> {
    let mut keys = if sort.is_empty() { vec![("created_at".to_owned(), false)] } else { sort.to_vec() };
    let tie_dir = keys[0].1;
    for tie in ["created_at", "id"] {
        if !keys.iter().any(|(k, _)| k == tie) {
            keys.push((tie.to_owned(), tie_dir));
        }
    }
    keys
}

fn compare(a: &ImageRow, b: &ImageRow, keys: &[(String, bool)]) -> Ordering {
    keys.iter()
        .map(|(key, asc)| if *asc { compare_by(a, b, key) } else { compare_by(b, a, key) })
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

impl Images {
    /// The images `ctx` sees that meet `query`, one page of them.
    pub async fn list(&self, ctx: &RequestContext, query: &ListQuery) -> Result<Page> {
        self.enforce(ctx, "get_images", &project_target(ctx.project_id()))?;
        let admin = self.is_admin(ctx)?;
        let memberships = match ctx.project_id() {
            Some(project) => self.store.memberships(project).await?,
            None => HashMap::new(),
        };
        let member_status = query.member_status.as_deref().unwrap_or("accepted");
        let own = |i: &ImageRow| self.owns(ctx, i);
        // Glance's database layer: what a caller sees at all, then which of that a list
        // shows. A shared image is listed for a member only with the status asked for.
        let project = ctx.project_id();
        let listed = |i: &ImageRow| {
            let answer = memberships.get(&i.id);
            sees(admin, project, i, answer.is_some())
                && (admin || own(i) || i.visibility != "shared" || answer.is_some_and(|s| member_status == "all" || s == member_status))
        };
        let all = self.store.list_images(if admin { ListScope::All } else { ListScope::SeenBy(ctx.project_id()) }).await?;
        let marker = match &query.marker {
            Some(id) => {
                let found = all.iter().find(|i| &i.id == id).ok_or_else(|| Error::BadRequest(format!("marker {id} not found")))?;
                if !sees(admin, project, found, memberships.contains_key(id)) {
                    return Err(no_image(id));
                }
                Some(found.clone())
            }
            None => None,
        };
        let keys = order(&query.sort);
        let mut images: Vec<ImageRow> = all
            .into_iter()
            .filter(|i| i.status != "killed" && i.os_hidden == query.os_hidden && listed(i))
            .filter(|i| match query.visibility.as_deref() {
                None => i.visibility != "community" || own(i),
                Some("all") => true,
                Some(v) => i.visibility == v,
            })
            .filter(|i| query.filters.iter().all(|f| matches(i, f)))
            .collect();
        images.sort_by(|a, b| compare(a, b, &keys));
        if let Some(marker) = &marker {
            images.retain(|i| compare(i, marker, &keys) == Ordering::Greater);
        }
        let limit = query.limit.unwrap_or(self.config.limit_param_default).min(self.config.api_limit_max);
        let full = images.len() >= limit;
        images.truncate(limit);
        Ok(Page { images, full })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(id: &str, created_at: i64, size: Option<i64>) -> ImageRow {
        ImageRow {
            name: Some(id.to_uppercase()),
            status: "active".into(),
            visibility: "private".into(),
            owner: Some("p".into()),
            size,
            tags: vec!["t".into()],
            created_at,
            updated_at: created_at,
            ..ImageRow::example(id)
        }
    }

    #[test]
    fn filters_meet_glance_rules() {
        let sized = image("a", 1, Some(100));
        let empty = image("b", 2, None);
        let bound = |min, bound| Filter::Bound { key: "size".into(), min, bound };
        assert!(matches(&sized, &bound(true, 100)) && matches(&sized, &bound(false, 100)));
        assert!(!matches(&empty, &bound(true, 0)), "a null size never meets a bound");
        assert!(matches(&sized, &Filter::OneOf { key: "size".into(), values: vec!["100".into()] }));
        assert!(matches(&sized, &Filter::OneOf { key: "disk_format".into(), values: vec!["qcow2".into(), "raw".into()] }));
        assert!(!matches(&sized, &Filter::OneOf { key: "os_distro".into(), values: vec!["debian".into()] }));
        assert!(matches(&sized, &Filter::Tag("t".into())) && !matches(&sized, &Filter::Tag("u".into())));
        let time = |op| Filter::Time { key: "created_at".into(), op, at: 1_500_000 };
        assert!(matches(&image("c", 2_000_000, None), &time(TimeOp::Gt)));
        assert!(matches(&image("c", 1_200_000, None), &time(TimeOp::Eq)), "times compare to the second");
    }

    #[test]
    fn default_order_is_newest_first_and_ties_break_by_id() {
        let keys = order(&[]);
        let (a, b, c) = (image("a", 1, None), image("b", 2, None), image("c", 2, None));
        let mut all = [a.clone(), b.clone(), c.clone()];
        all.sort_by(|x, y| compare(x, y, &keys));
        assert_eq!(all.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["c", "b", "a"]);
        let by_name = order(&[("name".into(), true)]);
        all.sort_by(|x, y| compare(x, y, &by_name));
        assert_eq!(all.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(compare(&a, &b, &keys), Ordering::Greater, "after the marker means later in the order");
    }
}
