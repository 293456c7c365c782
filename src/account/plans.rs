//! What this process has planned: edges about to be created (so that tenants planned with them
//! can be checked before they exist) and the tenant hosts each plan adds to an edge (so that the
//! capacity check counts all of them, not one at a time).

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

    /// Adds a tenant host to those planned on an edge; returns every host planned so far.
    pub fn plan_new_host(&self, edge_id: &str, host: &str) -> BTreeSet<String> {
        let mut planned = self.lock();
        let hosts = planned.new_hosts.entry(edge_id.to_string()).or_default();
        hosts.insert(host.to_string());
        hosts.clone()
    }
}
