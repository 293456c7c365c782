//! Placing tenant aliases in an edge's pool and growing the pool when it is full. Owns what
//! placement promises and learns: the hosts being added by tenants of this process (so that
//! concurrent tenants never count the same room twice), the lower capacities AWS revealed by
//! refusing an alias, and one growth at a time per slot.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use super::aliases::{AliasOutcome, Aliases};
use super::cache::KeyedLocks;
use super::distributions::Distributions;
use super::error::AccountError;
use crate::aws::{CloudFront, ErrorKind};
use crate::domain::aliases::{AliasChange, AliasResult};
use crate::domain::allocation::{place_alias, Placement, Slot};
use crate::domain::capacity::{EdgeCapacity, RuleRoom};
use crate::domain::edge::{
    cache_policy_name, origin_request_policy_name, pool_comment, DistributionInfo,
    DistributionMode, EdgeRecord, EdgeView, Member, TAG_COMMENT, TAG_SLOT,
};

/// Placement rounds before giving up (each round either succeeds or learns that a distribution
/// is fuller than the listing said).
const MAX_PLACEMENT_ROUNDS: usize = 20;

/// Where a tenant's alias ended up.
#[derive(Clone)]
pub struct Placed {
    pub distribution: DistributionInfo,
    pub outcome: AliasOutcome,
}

/// The pools of every edge, as this process places tenants in them.
pub struct Pool {
    cloudfront: CloudFront,
    distributions: Arc<Distributions>,
    aliases: Aliases,
    learned: Mutex<Learned>,
    growth: KeyedLocks,
}

#[derive(Default)]
struct Learned {
    /// Hosts being added, by distribution id.
    reserved: HashMap<String, BTreeSet<String>>,
    /// Distributions that refused more aliases than they hold (AWS's quota is below the cap).
    capacity_limits: HashMap<String, usize>,
}

impl Pool {
    pub fn new(cloudfront: CloudFront, distributions: Arc<Distributions>) -> Self {
        Self {
            aliases: Aliases::new(cloudfront.clone()),
            cloudfront,
            distributions,
            learned: Mutex::default(),
            growth: KeyedLocks::default(),
        }
    }

    fn learned(&self) -> std::sync::MutexGuard<'_, Learned> {
        self.learned.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The pool as allocation sees it: each member's capacity, lowered where AWS refused more
    /// aliases, and with `reserved` the hosts promised to tenants being created.
    fn slots(&self, edge: &EdgeView, reserved: bool) -> Vec<Slot> {
        let learned = self.learned();
        let mut slots = edge.slots();
        for slot in &mut slots {
            if let Some(limit) = learned.capacity_limits.get(&slot.distribution_id) {
                slot.capacity = slot.capacity.min(*limit);
            }
            if reserved {
                if let Some(hosts) = learned.reserved.get(&slot.distribution_id) {
                    slot.aliases.extend(hosts.iter().cloned());
                }
            }
        }
        slots
    }

    /// How full `edge` is, with `rules` the room on its load balancer, counting the account's
    /// other distributions against its quota: what the plan-time check and the capacity data
    /// source both read.
    pub async fn capacity(
        &self,
        edge: Option<&EdgeView>,
        record: &EdgeRecord,
        rules: RuleRoom,
    ) -> Result<EdgeCapacity, AccountError> {
        if record.mode == DistributionMode::MultiTenant {
            let all = self.distributions.all_tenants().await?;
            let distribution = edge.map(|e| e.members[0].distribution.id.as_str());
            let hosts = edge.map_or(0, |e| e.hosts().len());
            let others = all
                .iter()
                .filter(|t| Some(t.distribution_id.as_str()) != distribution)
                .count();
            return Ok(EdgeCapacity::multi_tenant(
                distribution,
                hosts,
                record,
                rules,
                others,
            ));
        }
        let slots = edge.map(|e| self.slots(e, false)).unwrap_or_default();
        let all = self.distributions.all().await?;
        let others = all
            .iter()
            .filter(|d| edge.is_none_or(|e| e.member_by_id(&d.id).is_none()))
            .count();
        Ok(EdgeCapacity::of(&slots, record, rules, others))
    }

    /// Adds `host` to a pool distribution with room (first fit), growing the pool when every
    /// distribution is full. Concurrent calls never promise the same room twice.
    pub async fn place(&self, edge_id: &str, host: &str) -> Result<Placed, AccountError> {
        for _ in 0..MAX_PLACEMENT_ROUNDS {
            let edge = self.distributions.edge(edge_id).await?;
            let record = &edge.record;
            match place_alias(&self.slots(&edge, true), host, record.max_distributions) {
                Placement::Existing {
                    distribution_id, ..
                } => {
                    if let Some(member) = edge.member_by_id(&distribution_id) {
                        return Ok(Placed {
                            distribution: member.distribution.clone(),
                            outcome: AliasOutcome {
                                result: AliasResult::Added,
                            },
                        });
                    }
                }
                Placement::Add {
                    distribution_id, ..
                } => {
                    let change = AliasChange::Add {
                        host: host.to_string(),
                        cap: record.max_aliases_per_distribution,
                    };
                    self.reserve(&distribution_id, host, true);
                    let written = self.aliases.submit(&distribution_id, change).await;
                    self.reserve(&distribution_id, host, false);
                    let outcome = written?;
                    if let AliasResult::NoRoom { holds } = outcome.result {
                        let known = edge
                            .member_by_id(&distribution_id)
                            .map_or(0, |m| m.distribution.aliases.len());
                        self.learned()
                            .capacity_limits
                            .insert(distribution_id.clone(), holds.min(known));
                        // Someone else filled it: read the pool again.
                        self.distributions.invalidate().await;
                        continue;
                    }
                    return self.placed(edge_id, &distribution_id, host, outcome).await;
                }
                Placement::Grow { slot } => {
                    self.grow(&edge, slot).await?;
                }
                Placement::Full {
                    distributions,
                    max_distributions,
                } => {
                    return Err(AccountError::Capacity(format!(
                        "Every distribution of edge {edge_id} holds its maximum of {} aliases and the pool has reached max_distributions ({distributions} of {max_distributions}). Raise max_distributions (CloudFront allows 500 distributions per account) or max_aliases_per_distribution (if AWS raised the alias quota).",
                        record.max_aliases_per_distribution
                    )));
                }
            }
        }
        Err(AccountError::Other(format!(
            "could not place {host} in the pool of edge {edge_id}: it kept changing under concurrent writers"
        )))
    }

    /// Records a written alias in the listing and answers where it is.
    async fn placed(
        &self,
        edge_id: &str,
        distribution_id: &str,
        host: &str,
        outcome: AliasOutcome,
    ) -> Result<Placed, AccountError> {
        let added = host.to_string();
        self.distributions
            .patch(distribution_id, |d| {
                d.aliases.insert(added);
            })
            .await;
        let edge = self.distributions.edge(edge_id).await?;
        let distribution = edge
            .member_by_id(distribution_id)
            .map(|m| m.distribution.clone())
            .ok_or_else(|| AccountError::Inconsistent {
                object: format!("distribution {distribution_id}"),
                detail: "it left the pool while an alias was added".into(),
            })?;
        Ok(Placed {
            distribution,
            outcome,
        })
    }

    /// Removes `host` from the distribution holding it.
    pub async fn remove(
        &self,
        distribution_id: &str,
        host: &str,
    ) -> Result<AliasOutcome, AccountError> {
        let change = AliasChange::Remove {
            host: host.to_string(),
        };
        let outcome = match self.aliases.submit(distribution_id, change).await {
            Err(err) if err.is_not_found() => AliasOutcome {
                result: AliasResult::Removed,
            },
            other => other?,
        };
        self.distributions
            .patch(distribution_id, |d| {
                d.aliases.remove(host);
            })
            .await;
        Ok(outcome)
    }

    fn reserve(&self, distribution_id: &str, host: &str, reserve: bool) {
        let mut learned = self.learned();
        let hosts = learned
            .reserved
            .entry(distribution_id.to_string())
            .or_default();
        if reserve {
            hosts.insert(host.to_string());
        } else {
            hosts.remove(host);
        }
    }

    /// Creates the pool distribution for `slot`, cloned from the edge's first distribution with
    /// no aliases. The caller reference is the same in every process for this slot, so when two
    /// runs grow the pool at once CloudFront creates one distribution, not two.
    pub async fn grow(&self, edge: &EdgeView, slot: u32) -> Result<Member, AccountError> {
        let edge_id = edge.record.name.clone();
        // One grower per slot in this process; the others find the slot filled.
        let _guard = self.growth.lock(&format!("{edge_id}#{slot}")).await;
        if let Some(existing) = self.member_in_slot(&edge_id, slot).await? {
            return Ok(existing);
        }
        let template = edge
            .members
            .first()
            .ok_or_else(|| AccountError::Inconsistent {
                object: format!("edge {edge_id}"),
                detail: "it has no distribution to copy".into(),
            })?;
        let cloudfront = &self.cloudfront;
        let source = cloudfront
            .find_distribution_config_by_id(&template.distribution.id)
            .await?
            .ok_or_else(|| AccountError::Inconsistent {
                object: format!("distribution {}", template.distribution.id),
                detail: "it disappeared while the pool was growing".into(),
            })?;
        let mut config = source.value;
        config.caller_reference = edge.record.caller_reference(slot);
        config.comment = pool_comment(&edge_id, slot);
        config.aliases = Some(crate::aws::cloudfront::to_aliases(Vec::new())?);
        config.enabled = true;
        crate::aws::cloudfront::prepare_for_update(&mut config);
        let adoption = edge.record.adoption.as_ref();
        if adoption.is_some_and(|a| a.keeps(&template.distribution.id)) {
            // The first distribution was adopted with policies of its own: the ones the pool
            // creates use the edge's.
            let (cache, origin) = self.own_policies(&edge_id).await?;
            crate::aws::cloudfront::use_policies(&mut config, &cache, &origin);
        }
        let mut tags = cloudfront.list_tags(&template.distribution.arn).await?;
        tags.insert(TAG_SLOT.to_string(), slot.to_string());
        tags.remove(TAG_COMMENT);
        tracing::info!(edge = %edge_id, slot, "growing the pool by one distribution");
        match cloudfront.create_distribution(config, &tags).await {
            Ok(created) => Ok(self
                .distributions
                .add_created(&edge_id, slot, &created.value)
                .await),
            // Another run created this slot first (same caller reference): use theirs.
            Err(err)
                if err.has_code("DistributionAlreadyExists")
                    || err.kind() == ErrorKind::Conflict =>
            {
                self.distributions.invalidate().await;
                self.member_in_slot(&edge_id, slot)
                    .await?
                    .ok_or(AccountError::Aws(err))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// The ids of the edge's own cache and origin request policies, found by their names.
    async fn own_policies(&self, edge_id: &str) -> Result<(String, String), AccountError> {
        let cloudfront = &self.cloudfront;
        let missing =
            |what: &str| AccountError::Missing(format!("the {what} of edge {edge_id} is gone"));
        let cache = cloudfront
            .find_cache_policy_by_name(&cache_policy_name(edge_id))
            .await?
            .ok_or_else(|| missing("cache policy"))?;
        let origin = cloudfront
            .find_origin_request_policy_by_name(&origin_request_policy_name(edge_id))
            .await?
            .ok_or_else(|| missing("origin request policy"))?;
        Ok((cache.value.id, origin.value.id))
    }

    async fn member_in_slot(
        &self,
        edge_id: &str,
        slot: u32,
    ) -> Result<Option<Member>, AccountError> {
        Ok(self
            .distributions
            .edge(edge_id)
            .await?
            .members
            .into_iter()
            .find(|m| m.slot == slot))
    }
}
