//! The provider's view of AWS within one process, shared by every resource: edges discovered
//! from their pool distributions, listener rules and hosted zone records read once and kept up
//! to date with the provider's own changes, alias changes on one distribution merged into one
//! read-modify-write, and in-flight allocations reserved so concurrent tenants never collide.

pub mod aliases;
mod cache;
mod changes;
mod edge;
mod error;
mod merge;
mod pool;
pub mod records;
mod rules;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_cloudfront::types::DistributionSummary;

use crate::aws::AwsClients;
use crate::domain::allocation::Slot;
use crate::domain::edge::{parse_pool_comment, EdgeRecord};
pub use aliases::{AliasOutcome, DeployWait};
pub use cache::{Cached, Keyed, KeyedLocks};
pub use edge::{EdgeIds, EdgeSpec, ObservedEdge};
pub use error::GatewayError;
pub use records::TenantRecords;
pub use rules::RuleInfo;

/// A distribution as `ListDistributions` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionInfo {
    pub id: String,
    pub arn: String,
    pub domain_name: String,
    pub comment: String,
    /// Aliases, lowercase without a trailing dot.
    pub aliases: BTreeSet<String>,
    pub status: String,
    pub enabled: bool,
}

impl DistributionInfo {
    fn from_summary(s: &DistributionSummary) -> Self {
        Self {
            id: s.id.clone(),
            arn: s.arn.clone(),
            domain_name: s.domain_name.clone(),
            comment: s.comment.clone(),
            aliases: s
                .aliases
                .as_ref()
                .and_then(|a| a.items.as_ref())
                .map(|items| items.iter().map(|a| normalize_host(a)).collect())
                .unwrap_or_default(),
            status: s.status.clone(),
            enabled: s.enabled,
        }
    }
}

/// A distribution of an edge's pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub slot: u32,
    pub distribution: DistributionInfo,
}

/// An edge as found in AWS: its recorded settings and its pool, ordered by slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeView {
    pub record: EdgeRecord,
    pub members: Vec<Member>,
}

impl EdgeView {
    pub fn member_by_id(&self, id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.distribution.id == id)
    }

    /// The pool member holding `host` as an alias.
    pub fn member_with_alias(&self, host: &str) -> Option<&Member> {
        self.members
            .iter()
            .find(|m| m.distribution.aliases.contains(host))
    }

    /// Every tenant host on the pool.
    pub fn hosts(&self) -> BTreeSet<String> {
        self.members
            .iter()
            .flat_map(|m| m.distribution.aliases.iter().cloned())
            .collect()
    }

    /// The pool as allocation sees it, each distribution holding at most `capacity` aliases.
    pub fn slots(&self, capacity: usize) -> Vec<Slot> {
        self.members
            .iter()
            .map(|m| Slot {
                slot: m.slot,
                distribution_id: m.distribution.id.clone(),
                aliases: m.distribution.aliases.clone(),
                capacity,
            })
            .collect()
    }

    /// The pool's CloudFront domain names, normalized: what a tenant's records may point at.
    pub fn pool_domains(&self) -> BTreeSet<String> {
        self.members
            .iter()
            .map(|m| normalize_host(&m.distribution.domain_name))
            .collect()
    }

    pub fn host_of(&self, tenant: &str) -> String {
        format!("{tenant}.{}", self.record.domain)
    }
}

/// DNS names compare in lowercase without a trailing dot.
pub fn normalize_host(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Settings of the process that are not part of AWS.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Tags added to everything the provider creates.
    pub default_tags: BTreeMap<String, String>,
}

/// The shared state of one provider process.
pub struct Gateway {
    pub aws: AwsClients,
    pub settings: Settings,
    /// Every distribution of the account (pools are found by their comments).
    distributions: Cached<Vec<DistributionInfo>>,
    /// Edge records by edge id, read from a pool distribution's tags.
    records: Keyed<Option<EdgeRecord>>,
    /// Listener rules with their tags, by listener ARN.
    rules: Keyed<Vec<RuleInfo>>,
    /// Rules of the other listeners of a listener's load balancer (default rules excepted),
    /// by listener ARN; `None` when the listener does not exist.
    other_listeners_rules: Keyed<Option<usize>>,
    /// Record sets by hosted zone id.
    zones: Keyed<Vec<aws_sdk_route53::types::ResourceRecordSet>>,
    aliases: aliases::Batcher,
    changes: changes::ChangeBatcher,
    reservations: Mutex<Reservations>,
    plans: Mutex<PlanRegistry>,
    growth: KeyedLocks,
}

/// Allocations promised to tenants being created, not yet visible in the caches.
#[derive(Default)]
struct Reservations {
    /// Hosts being added, by distribution id.
    aliases: HashMap<String, BTreeSet<String>>,
    /// Priorities being taken, by listener ARN.
    priorities: HashMap<String, BTreeSet<i64>>,
    /// Distributions that refused more aliases than they hold (AWS's quota is below the cap).
    capacity_limits: HashMap<String, usize>,
}

/// What this process has planned: edges about to be created (so tenants planned with them can
/// be checked) and tenant hosts about to be added, per edge.
#[derive(Default)]
struct PlanRegistry {
    edges: HashMap<String, EdgeRecord>,
    new_hosts: HashMap<String, BTreeSet<String>>,
}

impl Gateway {
    pub fn new(aws: AwsClients, settings: Settings) -> Self {
        Self {
            aws,
            settings,
            distributions: Cached::default(),
            records: Keyed::default(),
            rules: Keyed::default(),
            other_listeners_rules: Keyed::default(),
            zones: Keyed::default(),
            aliases: aliases::Batcher::default(),
            changes: changes::ChangeBatcher::default(),
            reservations: Mutex::new(Reservations::default()),
            plans: Mutex::new(PlanRegistry::default()),
            growth: KeyedLocks::default(),
        }
    }

    /// Every distribution of the account, listed once per process.
    pub async fn distributions(&self) -> Result<Arc<Vec<DistributionInfo>>, GatewayError> {
        let cloudfront = &self.aws.cloudfront;
        Ok(self
            .distributions
            .get_or_load(|| async {
                let summaries = cloudfront.list_distribution_summaries().await?;
                Ok(summaries
                    .iter()
                    .map(DistributionInfo::from_summary)
                    .collect())
            })
            .await?)
    }

    /// Updates the cached listing after the provider changed a distribution.
    pub(crate) async fn patch_distribution(
        &self,
        id: &str,
        change: impl FnOnce(&mut DistributionInfo),
    ) {
        self.distributions
            .patch(|all| {
                if let Some(d) = all.iter_mut().find(|d| d.id == id) {
                    change(d);
                }
            })
            .await;
    }

    pub(crate) async fn add_distribution(&self, info: DistributionInfo) {
        self.distributions
            .patch(|all| {
                all.retain(|d| d.id != info.id);
                all.push(info);
            })
            .await;
    }

    pub(crate) async fn forget_distribution(&self, id: &str) {
        self.distributions
            .patch(|all| all.retain(|d| d.id != id))
            .await;
    }

    /// Drops every cached read, as after changes made by someone else.
    pub async fn invalidate_distributions(&self) {
        self.distributions.invalidate().await;
    }

    /// The edge `edge_id` as found in AWS, or `None` when it has no pool.
    pub async fn find_edge(&self, edge_id: &str) -> Result<Option<EdgeView>, GatewayError> {
        let all = self.distributions().await?;
        let mut members: Vec<Member> = all
            .iter()
            .filter_map(|d| {
                let (edge, slot) = parse_pool_comment(&d.comment)?;
                (edge == edge_id).then(|| Member {
                    slot,
                    distribution: d.clone(),
                })
            })
            .collect();
        if members.is_empty() {
            return Ok(None);
        }
        members.sort_by_key(|m| m.slot);
        let first = members[0].distribution.clone();
        let cloudfront = &self.aws.cloudfront;
        let record = self
            .records
            .entry(edge_id)
            .get_or_load(|| async {
                let tags = cloudfront.list_tags(&first.arn).await?;
                Ok(EdgeRecord::from_tags(&tags).ok())
            })
            .await?;
        let record = (*record).clone().ok_or_else(|| GatewayError::Inconsistent {
            object: format!("edge {edge_id}"),
            detail: format!(
                "distribution {} is named as part of edge {edge_id} by its comment, but its tags do not describe the edge",
                first.id
            ),
        })?;
        Ok(Some(EdgeView { record, members }))
    }

    /// The edge, or an error saying it does not exist.
    pub async fn edge(&self, edge_id: &str) -> Result<EdgeView, GatewayError> {
        self.find_edge(edge_id)
            .await?
            .ok_or_else(|| GatewayError::EdgeNotFound(edge_id.to_string()))
    }

    /// Forgets the cached record of an edge after its settings changed.
    pub async fn forget_edge_record(&self, edge_id: &str) {
        self.records.entry(edge_id).invalidate().await;
    }

    /// Records an edge planned in this process, so tenants planned with it can be checked
    /// before it exists.
    pub fn plan_edge(&self, record: EdgeRecord) {
        let mut plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        plans.edges.insert(record.name.clone(), record);
    }

    pub fn planned_edge(&self, edge_id: &str) -> Option<EdgeRecord> {
        let plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        plans.edges.get(edge_id).cloned()
    }

    /// Adds a tenant host to those planned on an edge; returns every host planned so far.
    pub fn plan_new_host(&self, edge_id: &str, host: &str) -> BTreeSet<String> {
        let mut plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        let hosts = plans.new_hosts.entry(edge_id.to_string()).or_default();
        hosts.insert(host.to_string());
        hosts.clone()
    }
}

/// Waits for a shared deployment wait of `distribution_id`, at most `deadline`; `setting` names
/// the timeout the user can raise (e.g. `timeouts.create`).
pub async fn await_deployment(
    wait: DeployWait,
    distribution_id: &str,
    deadline: Duration,
    setting: &str,
) -> Result<(), GatewayError> {
    match tokio::time::timeout(deadline, wait).await {
        Ok(result) => result.map_err(GatewayError::Other),
        Err(_) => Err(GatewayError::Other(format!(
            "Timeout: distribution {distribution_id} was not deployed within {deadline:?} ({setting})"
        ))),
    }
}

/// How long to wait for deployments when a resource gives no timeout.
pub const DEFAULT_DEPLOY_TIMEOUT: Duration = Duration::from_secs(30 * 60);
