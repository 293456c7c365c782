//! The distribution tenants of multi-tenant edges: a tenant's host placed as the domain of a
//! distribution tenant on the edge's distribution, reached through its connection group, and
//! removed again. The listing of each distribution's tenants is `distributions`'.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::aliases::AliasOutcome;
use super::distributions::Distributions;
use super::error::AccountError;
use super::pool::Placed;
use crate::aws::saas::TenantInfo;
use crate::aws::{AwsError, CloudFront, Deadline, ErrorKind};
use crate::domain::aliases::AliasResult;
use crate::domain::capacity::DISTRIBUTION_TENANTS_PER_ACCOUNT;
use crate::domain::edge::EdgeView;

/// Distribution tenants as this process creates and deletes them.
pub struct DistributionTenants {
    cloudfront: CloudFront,
    distributions: Arc<Distributions>,
}

impl DistributionTenants {
    pub fn new(cloudfront: CloudFront, distributions: Arc<Distributions>) -> Self {
        Self {
            cloudfront,
            distributions,
        }
    }

    /// Places `host` on multi-tenant `edge`: a distribution tenant named after the host, with
    /// the host as its one domain, tagged `tags`. A tenant of the edge's distribution already
    /// holding the host (an interrupted create's) is the answer; a domain held anywhere else is
    /// refused, saying by what.
    pub async fn place(
        &self,
        edge: &EdgeView,
        host: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<Placed, AccountError> {
        let member = &edge.members[0];
        let distribution_id = &member.distribution.id;
        let group =
            edge.record
                .connection_group
                .as_ref()
                .ok_or_else(|| AccountError::Inconsistent {
                    object: format!("edge {}", edge.record.name),
                    detail: "it is multi-tenant but records no connection group".into(),
                })?;
        let placed = || Placed {
            distribution: member.distribution.clone(),
            outcome: AliasOutcome {
                result: AliasResult::Added,
            },
        };
        if self.holder(distribution_id, host).await?.is_some() {
            return Ok(placed());
        }
        let domains = [host.to_string()];
        let created = self
            .cloudfront
            .create_distribution_tenant(distribution_id, host, &domains, &group.id, tags)
            .await;
        match created {
            Ok(tenant) => {
                self.distributions
                    .patch_tenants(distribution_id, |all| {
                        all.retain(|t| t.id != tenant.id);
                        all.push(tenant);
                    })
                    .await;
                Ok(placed())
            }
            Err(err) if is_taken(&err) => {
                self.distributions.forget_tenants(distribution_id).await;
                if self.holder(distribution_id, host).await?.is_some() {
                    return Ok(placed());
                }
                Err(self.refusal(host, err).await)
            }
            Err(err) if err.kind() == ErrorKind::Quota => Err(AccountError::Capacity(format!(
                "AWS refused distribution tenant {host}: the account holds as many distribution tenants as its quota allows ({DISTRIBUTION_TENANTS_PER_ACCOUNT} unless AWS raised it; Service Quotas, CloudFront, \"Distribution tenants per AWS account\"). Nothing was created for {host}. ({err})"
            ))),
            Err(err) => Err(err.into()),
        }
    }

    /// The tenant of `distribution_id` whose domain is `host`.
    pub async fn holder(
        &self,
        distribution_id: &str,
        host: &str,
    ) -> Result<Option<TenantInfo>, AccountError> {
        let tenants = self.distributions.tenants_of(distribution_id).await?;
        Ok(tenants
            .iter()
            .find(|t| t.domains.iter().any(|d| d == host))
            .cloned())
    }

    /// Why `host` cannot be a domain of the edge's distribution: who holds it.
    async fn refusal(&self, host: &str, err: AwsError) -> AccountError {
        let holder = self
            .cloudfront
            .find_distribution_tenant_by_domain(host)
            .await;
        let detail = match holder {
            Ok(Some(other)) => format!(
                "{host} is a domain of distribution tenant {} ({}) of distribution {}, which is not this edge's.",
                other.name, other.id, other.distribution_id
            ),
            _ => match self.distributions.all().await {
                Ok(all) => match all.iter().find(|d| d.aliases.contains(host)) {
                    Some(d) => format!(
                        "{host} is an alias of distribution {} ({}).",
                        d.id, d.domain_name
                    ),
                    None => format!(
                        "CloudFront refused it as a domain ({err}); another distribution or distribution tenant, perhaps of another account, holds it."
                    ),
                },
                Err(_) => format!("CloudFront refused it as a domain ({err})."),
            },
        };
        AccountError::Foreign {
            object: format!("CloudFront domain {host}"),
            detail,
        }
    }

    /// Removes the distribution tenant holding `host` on `distribution_id` (disabled first,
    /// as CloudFront requires). Nothing to remove is no error.
    pub async fn remove(
        &self,
        distribution_id: &str,
        host: &str,
        deadline: &Deadline,
    ) -> Result<(), AccountError> {
        let Some(tenant) = self.holder(distribution_id, host).await? else {
            return Ok(());
        };
        self.cloudfront
            .delete_distribution_tenant(&tenant.id, deadline)
            .await?;
        self.distributions
            .patch_tenants(distribution_id, |all| all.retain(|t| t.id != tenant.id))
            .await;
        Ok(())
    }
}

/// CloudFront's answer when a domain or tenant name is already in use.
fn is_taken(err: &AwsError) -> bool {
    ["CNAMEAlreadyExists", "EntityAlreadyExists"]
        .iter()
        .any(|code| err.has_code(code))
}
