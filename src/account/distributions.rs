//! The account's CloudFront distributions as one listing, read once per process and patched
//! after the provider's own writes, and the edges found in it: a pool is the distributions
//! whose comments name the edge, its settings the tags of its first distribution.

use std::sync::Arc;

use aws_sdk_cloudfront::types::{Distribution, DistributionSummary};

use super::cache::{Cached, Keyed};
use super::error::AccountError;
use crate::aws::saas::TenantInfo;
use crate::aws::CloudFront;
use crate::domain::edge::{
    pool_comment, DistributionInfo, DistributionMode, EdgeRecord, EdgeView, Member,
};
use crate::domain::naming::normalize_host;

/// The listing and the edge records read from it.
pub struct Distributions {
    cloudfront: CloudFront,
    /// Every distribution of the account.
    listing: Cached<Vec<DistributionInfo>>,
    /// Edge records by edge id, read from a pool distribution's tags.
    records: Keyed<Option<EdgeRecord>>,
    /// Distribution tenants by multi-tenant distribution id.
    tenants: Keyed<Vec<TenantInfo>>,
    /// Every distribution tenant of the account, for its quota.
    all_tenants: Cached<Vec<TenantInfo>>,
}

impl Distributions {
    pub fn new(cloudfront: CloudFront) -> Self {
        Self {
            cloudfront,
            listing: Cached::default(),
            records: Keyed::default(),
            tenants: Keyed::default(),
            all_tenants: Cached::default(),
        }
    }

    /// Every distribution of the account, listed once per process.
    pub async fn all(&self) -> Result<Arc<Vec<DistributionInfo>>, AccountError> {
        let cloudfront = &self.cloudfront;
        Ok(self
            .listing
            .get_or_load(|| async {
                let summaries = cloudfront.list_distribution_summaries().await?;
                Ok(summaries.iter().map(info_of_summary).collect())
            })
            .await?)
    }

    /// Updates the listing after the provider changed a distribution.
    pub async fn patch(&self, id: &str, change: impl FnOnce(&mut DistributionInfo)) {
        self.listing
            .patch(|all| {
                if let Some(d) = all.iter_mut().find(|d| d.id == id) {
                    change(d);
                }
            })
            .await;
    }

    /// Adds a distribution the provider created for `slot` of edge `edge_id` to the listing.
    pub async fn add_created(&self, edge_id: &str, slot: u32, created: &Distribution) -> Member {
        let info = DistributionInfo {
            id: created.id.clone(),
            arn: created.arn.clone(),
            domain_name: created.domain_name.clone(),
            comment: pool_comment(edge_id, slot),
            aliases: Default::default(),
            status: created.status.clone(),
            enabled: true,
        };
        let added = info.clone();
        self.listing
            .patch(|all| {
                all.retain(|d| d.id != added.id);
                all.push(added);
            })
            .await;
        Member {
            slot,
            distribution: info,
        }
    }

    /// Removes a deleted distribution from the listing.
    pub async fn forget(&self, id: &str) {
        self.listing.patch(|all| all.retain(|d| d.id != id)).await;
    }

    /// Drops the listing, as after changes made by someone else.
    pub async fn invalidate(&self) {
        self.listing.invalidate().await;
    }

    /// Forgets the cached record of an edge after its settings changed.
    pub async fn forget_record(&self, edge_id: &str) {
        self.records.entry(edge_id).invalidate().await;
    }

    /// The edge `edge_id` as found in AWS, or `None` when it has no pool.
    pub async fn find_edge(&self, edge_id: &str) -> Result<Option<EdgeView>, AccountError> {
        let all = self.all().await?;
        let Some(members) = EdgeView::members_of(edge_id, &all) else {
            return Ok(None);
        };
        let first = &members[0].distribution;
        let cloudfront = &self.cloudfront;
        let record = self
            .records
            .entry(edge_id)
            .get_or_load(|| async {
                let tags = cloudfront.list_tags(&first.arn).await?;
                Ok(EdgeRecord::from_tags(&tags).ok())
            })
            .await?;
        let record = (*record)
            .clone()
            .ok_or_else(|| AccountError::Inconsistent {
                object: format!("edge {edge_id}"),
                detail: format!(
                    "distribution {} is named as part of edge {edge_id} by its comment, but its tags do not describe the edge",
                    first.id
                ),
            })?;
        let mut members = members;
        if record.mode == DistributionMode::MultiTenant {
            // The tenants' hosts are the domains of the distribution's tenants, served at the
            // connection group's routing endpoint.
            let first = &mut members[0].distribution;
            let tenants = self.tenants_of(&first.id).await?;
            first.aliases = tenants.iter().flat_map(|t| t.domains.clone()).collect();
            if let Some(group) = &record.connection_group {
                first.domain_name = group.routing_endpoint.clone();
            }
            members.truncate(1);
        }
        Ok(Some(EdgeView { record, members }))
    }

    /// The distribution tenants of multi-tenant distribution `id`, listed once per process.
    pub async fn tenants_of(&self, id: &str) -> Result<Arc<Vec<TenantInfo>>, AccountError> {
        let cloudfront = &self.cloudfront;
        Ok(self
            .tenants
            .entry(id)
            .get_or_load(|| async { cloudfront.list_distribution_tenants(Some(id)).await })
            .await?)
    }

    /// Every distribution tenant of the account, listed once per process (the quota counts
    /// them all).
    pub async fn all_tenants(&self) -> Result<Arc<Vec<TenantInfo>>, AccountError> {
        let cloudfront = &self.cloudfront;
        Ok(self
            .all_tenants
            .get_or_load(|| async { cloudfront.list_distribution_tenants(None).await })
            .await?)
    }

    /// Updates the tenants of distribution `id` after the provider changed one.
    pub async fn patch_tenants(&self, id: &str, change: impl FnOnce(&mut Vec<TenantInfo>)) {
        self.tenants.entry(id).patch(change).await;
    }

    /// Drops the tenants of distribution `id`, as after changes made by someone else.
    pub async fn forget_tenants(&self, id: &str) {
        self.tenants.entry(id).invalidate().await;
    }

    /// The edge, or an error saying it does not exist.
    pub async fn edge(&self, edge_id: &str) -> Result<EdgeView, AccountError> {
        self.find_edge(edge_id)
            .await?
            .ok_or_else(|| AccountError::EdgeNotFound(edge_id.to_string()))
    }
}

fn info_of_summary(s: &DistributionSummary) -> DistributionInfo {
    DistributionInfo {
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
