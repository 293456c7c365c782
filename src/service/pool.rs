//! Placing tenant aliases in an edge's pool, and growing the pool when it is full.

use std::collections::BTreeSet;

use super::aliases::{AliasChange, AliasOutcome, WaitPolicy};
use super::{DistributionInfo, EdgeView, Gateway, GatewayError, Member};
use crate::aws::ErrorKind;
use crate::domain::allocation::{place_alias, Placement, Slot};
use crate::domain::edge::{pool_comment, TAG_SLOT};

/// Placement rounds before giving up (each round either succeeds or learns that a distribution
/// is fuller than the cache said).
const MAX_PLACEMENT_ROUNDS: usize = 20;

/// Where a tenant's alias ended up.
#[derive(Clone)]
pub struct Placed {
    pub distribution: DistributionInfo,
    pub outcome: AliasOutcome,
}

impl Gateway {
    /// The pool as allocation sees it: each member's aliases plus those promised to tenants
    /// being created, and its capacity.
    fn slots(&self, edge: &EdgeView) -> Vec<Slot> {
        let reservations = self.reservations.lock().unwrap_or_else(|e| e.into_inner());
        let mut slots = edge.slots(edge.record.max_aliases_per_distribution);
        for slot in &mut slots {
            if let Some(reserved) = reservations.aliases.get(&slot.distribution_id) {
                slot.aliases.extend(reserved.iter().cloned());
            }
            if let Some(limit) = reservations.capacity_limits.get(&slot.distribution_id) {
                slot.capacity = slot.capacity.min(*limit);
            }
        }
        slots
    }

    /// Adds `host` to a pool distribution with room (first fit), growing the pool when every
    /// distribution is full. Concurrent calls never promise the same room twice.
    pub async fn place_tenant_alias(
        &self,
        edge_id: &str,
        host: &str,
        policy: &WaitPolicy,
    ) -> Result<Placed, GatewayError> {
        for _ in 0..MAX_PLACEMENT_ROUNDS {
            let edge = self.edge(edge_id).await?;
            let placement = place_alias(&self.slots(&edge), host, edge.record.max_distributions);
            match placement {
                Placement::Existing {
                    distribution_id, ..
                } => {
                    let member = edge.member_by_id(&distribution_id).cloned();
                    if let Some(member) = member {
                        return Ok(Placed {
                            distribution: member.distribution,
                            outcome: AliasOutcome::Added { wait: None },
                        });
                    }
                }
                Placement::Add {
                    distribution_id, ..
                } => {
                    self.reserve_alias(&distribution_id, host, true);
                    let change = AliasChange::Add {
                        host: host.to_string(),
                        cap: edge.record.max_aliases_per_distribution,
                    };
                    let result = self
                        .aliases
                        .submit(&self.aws.cloudfront, &distribution_id, change, policy)
                        .await;
                    self.reserve_alias(&distribution_id, host, false);
                    match result? {
                        AliasOutcome::NoRoom { holds } => {
                            let known = edge
                                .member_by_id(&distribution_id)
                                .map_or(0, |m| m.distribution.aliases.len());
                            self.limit_capacity(&distribution_id, holds.min(known));
                            // Someone else filled it: read the pool again.
                            self.invalidate_distributions().await;
                        }
                        outcome => {
                            let host = host.to_string();
                            self.patch_distribution(&distribution_id, |d| {
                                d.aliases.insert(host);
                            })
                            .await;
                            let member = self.edge(edge_id).await?;
                            let distribution = member
                                .member_by_id(&distribution_id)
                                .map(|m| m.distribution.clone())
                                .ok_or_else(|| GatewayError::Inconsistent {
                                    object: format!("distribution {distribution_id}"),
                                    detail: "it left the pool while an alias was added".into(),
                                })?;
                            return Ok(Placed {
                                distribution,
                                outcome,
                            });
                        }
                    }
                }
                Placement::Grow { slot } => {
                    self.grow_pool(&edge, slot).await?;
                }
                Placement::Full {
                    distributions,
                    max_distributions,
                } => {
                    return Err(GatewayError::Capacity(format!(
                        "Every distribution of edge {edge_id} holds its maximum of {} aliases and the pool has reached max_distributions ({distributions} of {max_distributions}). Raise max_distributions (CloudFront allows 500 distributions per account) or max_aliases_per_distribution (if AWS raised the alias quota).",
                        edge.record.max_aliases_per_distribution
                    )));
                }
            }
        }
        Err(GatewayError::Other(format!(
            "could not place {host} in the pool of edge {edge_id}: it kept changing under concurrent writers"
        )))
    }

    /// Removes `host` from the distribution holding it.
    pub async fn remove_tenant_alias(
        &self,
        distribution_id: &str,
        host: &str,
        policy: &WaitPolicy,
    ) -> Result<AliasOutcome, GatewayError> {
        let change = AliasChange::Remove {
            host: host.to_string(),
        };
        let outcome = match self
            .aliases
            .submit(&self.aws.cloudfront, distribution_id, change, policy)
            .await
        {
            Err(err) if err.is_not_found() => AliasOutcome::Removed { wait: None },
            other => other?,
        };
        self.patch_distribution(distribution_id, |d| {
            d.aliases.remove(host);
        })
        .await;
        Ok(outcome)
    }

    fn limit_capacity(&self, distribution_id: &str, holds: usize) {
        let mut reservations = self.reservations.lock().unwrap_or_else(|e| e.into_inner());
        reservations
            .capacity_limits
            .insert(distribution_id.to_string(), holds);
    }

    fn reserve_alias(&self, distribution_id: &str, host: &str, reserve: bool) {
        let mut reservations = self.reservations.lock().unwrap_or_else(|e| e.into_inner());
        let hosts = reservations
            .aliases
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
    pub async fn grow_pool(&self, edge: &EdgeView, slot: u32) -> Result<Member, GatewayError> {
        let edge_id = edge.record.name.clone();
        // One grower per slot in this process; the others find the slot filled.
        let _guard = self.growth.lock(&format!("{edge_id}#{slot}")).await;
        if let Some(existing) = self
            .edge(&edge_id)
            .await?
            .members
            .into_iter()
            .find(|m| m.slot == slot)
        {
            return Ok(existing);
        }
        let template = edge
            .members
            .first()
            .ok_or_else(|| GatewayError::Inconsistent {
                object: format!("edge {edge_id}"),
                detail: "it has no distribution to copy".into(),
            })?;
        let cloudfront = &self.aws.cloudfront;
        let source = cloudfront
            .find_distribution_config_by_id(&template.distribution.id)
            .await?
            .ok_or_else(|| GatewayError::Inconsistent {
                object: format!("distribution {}", template.distribution.id),
                detail: "it disappeared while the pool was growing".into(),
            })?;
        let mut config = source.value;
        config.caller_reference = edge.record.caller_reference(slot);
        config.comment = pool_comment(&edge_id, slot);
        config.aliases = Some(crate::aws::cloudfront::to_aliases(Vec::new())?);
        config.enabled = true;
        crate::aws::cloudfront::prepare_for_update(&mut config);
        let mut tags = cloudfront.list_tags(&template.distribution.arn).await?;
        tags.insert(TAG_SLOT.to_string(), slot.to_string());
        tracing::info!(edge = %edge_id, slot, "growing the pool by one distribution");
        match cloudfront.create_distribution(config, &tags).await {
            Ok(created) => {
                let d = created.value;
                let info = DistributionInfo {
                    id: d.id.clone(),
                    arn: d.arn.clone(),
                    domain_name: d.domain_name.clone(),
                    comment: pool_comment(&edge_id, slot),
                    aliases: BTreeSet::new(),
                    status: d.status.clone(),
                    enabled: true,
                };
                self.add_distribution(info.clone()).await;
                Ok(Member {
                    slot,
                    distribution: info,
                })
            }
            // Another run created this slot first (same caller reference): use theirs.
            Err(err)
                if err.has_code("DistributionAlreadyExists")
                    || err.kind() == ErrorKind::Conflict =>
            {
                self.invalidate_distributions().await;
                self.edge(&edge_id)
                    .await?
                    .members
                    .into_iter()
                    .find(|m| m.slot == slot)
                    .ok_or(GatewayError::Aws(err))
            }
            Err(err) => Err(err.into()),
        }
    }
}
