//! Simple tenant usage: what each project's servers used in a period, in hours of
//! running and in vCPU-, MiB- and GiB-hours, from the instances of every cell.

use common::RequestContext;
use serde_json::json;

use super::servers::MAX_LIMIT;
use super::{Compute, Error, Result};
use crate::store::cell::InstanceRow;

/// The period asked about (µs); its end is never later than now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: i64,
    pub stop: i64,
}

/// One server's use of the period.
#[derive(Debug, Clone)]
pub struct ServerUsage {
    pub instance: InstanceRow,
    pub hours: f64,
}

const MICROS_PER_HOUR: f64 = 3_600_000_000.0;

/// The hours of `period` the instance ran in: from its launch (or the period's start)
/// to its termination (or the period's end); none if it never launched.
pub fn hours_in(i: &InstanceRow, period: Period) -> f64 {
    let Some(launched) = i.launched_at else { return 0.0 };
    if i.terminated_at.is_some_and(|t| t < period.start) || launched > period.stop {
        return 0.0;
    }
    let start = launched.max(period.start);
    let stop = i.terminated_at.map_or(period.stop, |t| t.min(period.stop));
    (stop - start) as f64 / MICROS_PER_HOUR
}

impl Compute {
    /// The servers that ran in `period`, of `project` (every project's when `None`),
    /// oldest first, after `marker` (an instance uuid) and at most `limit`.
    pub async fn server_usages(
        &self,
        ctx: &RequestContext,
        project: Option<&str>,
        period: Period,
        marker: Option<&str>,
        limit: Option<usize>,
    ) -> Result<(Period, Vec<ServerUsage>)> {
        match project {
            Some(p) => self.authorize(ctx, "os_compute_api:os-simple-tenant-usage:show", &json!({"project_id": p}))?,
            None => self.authorize_own(ctx, "os_compute_api:os-simple-tenant-usage:list")?,
        }
        if period.start >= period.stop {
            return Err(Error::BadRequest("Invalid start time. The start time cannot occur after the end time.".into()));
        }
        let period = Period { stop: period.stop.min(common::time::now_micros()), ..period };
        let mut instances = Vec::new();
        for cell in self.cells().all() {
            instances.extend(cell.store()?.instances_active_between(period.start, period.stop, project).await?);
        }
        instances.sort_by(|a, b| (a.created_at, &a.uuid).cmp(&(b.created_at, &b.uuid)));
        if let Some(marker) = marker {
            let at = instances
                .iter()
                .position(|i| i.uuid == marker)
                .ok_or_else(|| Error::BadRequest(format!("Marker {marker} could not be found.")))?;
            instances.drain(..=at);
        }
        instances.truncate(limit.unwrap_or(MAX_LIMIT).min(MAX_LIMIT));
        Ok((period, instances.into_iter().map(|instance| ServerUsage { hours: hours_in(&instance, period), instance }).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(launched: Option<i64>, terminated: Option<i64>) -> InstanceRow {
        let mut i: InstanceRow = serde_json::from_value(json!({
            "uuid": "u", "project_id": "p", "user_id": "u", "display_name": "n", "display_description": null, "hostname": "n",
            "reservation_id": "r", "launch_index": 0, "image_ref": "i", "instance_type_id": 1, "flavor": {}, "vm_state": "active",
            "task_state": null, "power_state": 1, "host": null, "node": null, "launched_on": null, "availability_zone": null,
            "key_name": null, "key_data": null, "user_data": null, "config_drive": false, "access_ip_v4": null,
            "access_ip_v6": null, "locked_by": null, "locked_reason": null, "progress": 0, "system_metadata": {},
            "metadata": {}, "tags": [], "created_at": 0, "updated_at": 0, "launched_at": null, "terminated_at": null,
            "deleted_at": null, "deleted": false
        }))
        .unwrap();
        i.launched_at = launched;
        i.terminated_at = terminated;
        i
    }

    #[test]
    fn hours_count_only_the_running_part_of_the_period() {
        let hour = 3_600_000_000;
        let period = Period { start: 10 * hour, stop: 20 * hour };
        assert_eq!(hours_in(&instance(Some(0), None), period), 10.0);
        assert_eq!(hours_in(&instance(Some(12 * hour), Some(15 * hour)), period), 3.0);
        assert_eq!(hours_in(&instance(Some(0), Some(5 * hour)), period), 0.0, "terminated before the period");
        assert_eq!(hours_in(&instance(Some(25 * hour), None), period), 0.0, "launched after it");
        assert_eq!(hours_in(&instance(None, None), period), 0.0, "never launched");
    }
}
