//! What this process has planned: edges about to be created (so that tenants planned with them
//! can be checked before they exist), the tenant hosts each plan adds to an edge (so that the
//! capacity check counts all of them, not one at a time, and a host planned twice is refused)
//! and the listener priorities tenants pin (so that two tenants pinning one are refused).
//!
//! Terraform plans each resource instance once per provider process (a replacement's second
//! plan, with no prior state, follows a first one that is not a creation), so a host or a
//! priority named by two creations of one process is named by two resources.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use crate::domain::edge::EdgeRecord;

/// The plans made in this process.
#[derive(Default)]
pub struct Plans {
    inner: Mutex<Planned>,
}

#[derive(Default)]
struct Planned {
    edges: HashMap<String, EdgeRecord>,
    new_hosts: HashMap<String, BTreeSet<String>>,
    host_plans: HashMap<(String, String), usize>,
    priorities: HashMap<(String, i64), String>,
}

impl Plans {
    fn lock(&self) -> std::sync::MutexGuard<'_, Planned> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records an edge planned for creation.
    pub fn plan_edge(&self, record: EdgeRecord) {
        self.lock().edges.insert(record.name.clone(), record);
    }

    /// The edge `edge_id` as planned in this process, if it is.
    pub fn planned_edge(&self, edge_id: &str) -> Option<EdgeRecord> {
        self.lock().edges.get(edge_id).cloned()
    }

    /// Adds a tenant host to those planned on an edge; returns every host planned so far, and
    /// whether an earlier creation of this process already planned this one.
    pub fn plan_new_host(&self, edge_id: &str, host: &str) -> (BTreeSet<String>, bool) {
        let mut planned = self.lock();
        let times = planned
            .host_plans
            .entry((edge_id.to_string(), host.to_string()))
            .or_default();
        *times += 1;
        let twice = *times > 1;
        let hosts = planned.new_hosts.entry(edge_id.to_string()).or_default();
        hosts.insert(host.to_string());
        (hosts.clone(), twice)
    }

    /// Records that the tenant of `host` pins `priority` on `listener`; answers the host of
    /// another tenant that pinned it earlier in this process.
    pub fn pin_priority(&self, listener: &str, priority: i64, host: &str) -> Option<String> {
        let mut planned = self.lock();
        let holder = planned
            .priorities
            .entry((listener.to_string(), priority))
            .or_insert_with(|| host.to_string());
        (holder != host).then(|| holder.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_planned_twice_and_a_priority_pinned_twice_are_told() {
        let plans = Plans::default();
        let (hosts, twice) = plans.plan_new_host("e1", "a.example.com");
        assert_eq!((hosts.len(), twice), (1, false));
        let (hosts, twice) = plans.plan_new_host("e1", "b.example.com");
        assert_eq!((hosts.len(), twice), (2, false));
        let (hosts, twice) = plans.plan_new_host("e1", "a.example.com");
        assert_eq!((hosts.len(), twice), (2, true));
        assert!(
            !plans.plan_new_host("e2", "a.example.com").1,
            "another edge"
        );

        assert_eq!(plans.pin_priority("l1", 7, "a.example.com"), None);
        assert_eq!(
            plans.pin_priority("l1", 7, "a.example.com"),
            None,
            "the same tenant"
        );
        assert_eq!(
            plans.pin_priority("l1", 7, "b.example.com"),
            Some("a.example.com".into())
        );
        assert_eq!(
            plans.pin_priority("l2", 7, "b.example.com"),
            None,
            "another listener"
        );
    }
}
