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
        let group = connection_group(edge)?;
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

    /// Moves `host` into a distribution tenant of multi-tenant `edge` from standard
    /// distribution `from` (a pool distribution of another edge of this account), with no
    /// moment when nothing holds it: the tenant is created holding a stand-in domain
    /// ([`stand_in_domain`]; CloudFront's tenants have at least one), CloudFront moves the host
    /// into it in one call (UpdateDomainAssociation), and the stand-in is dropped. With `from`
    /// `None` (the host left the pool already) only a stand-in left by an interrupted move is
    /// dropped. Each step is found done or done, so a move stopped anywhere is finished by
    /// running it again; [`Self::place`] then finds the tenant in place.
    pub async fn arrive(
        &self,
        edge: &EdgeView,
        host: &str,
        tags: &BTreeMap<String, String>,
        from: Option<&str>,
    ) -> Result<(), AccountError> {
        let distribution_id = &edge.members[0].distribution.id;
        let stand_in = stand_in_domain(host, &edge.record.domain);
        let listed = self.distributions.tenants_of(distribution_id).await?;
        let found = listed.iter().find(|t| t.name == host).cloned();
        let mut tenant = match (found, from) {
            (Some(tenant), _) => tenant,
            (None, None) => return Ok(()),
            (None, Some(_)) => {
                let group = connection_group(edge)?;
                let domains = [stand_in.clone()];
                let created = self
                    .cloudfront
                    .create_distribution_tenant(distribution_id, host, &domains, &group.id, tags)
                    .await;
                match created {
                    Ok(tenant) => tenant,
                    Err(err) if is_taken(&err) => {
                        // A create whose answer was lost, retried, meets itself.
                        self.distributions.forget_tenants(distribution_id).await;
                        let listed = self.distributions.tenants_of(distribution_id).await?;
                        if let Some(tenant) = listed.iter().find(|t| t.name == host) {
                            tenant.clone()
                        } else {
                            return Err(AccountError::Refused(format!(
                            "{host} stays on distribution {}: the distribution tenant that receives it could not be created, as its name {host} or its stand-in domain {stand_in} is taken ({err}).",
                            from.unwrap_or_default()
                        )));
                        }
                    }
                    Err(err) => return Err(err.into()),
                }
            }
        };
        if let Some(from) = from.filter(|_| !tenant.domains.iter().any(|d| d == host)) {
            tenant = self
                .cloudfront
                .move_domain_to_tenant(host, &tenant.id)
                .await?;
            self.distributions
                .patch(from, |d| {
                    d.aliases.remove(host);
                })
                .await;
        }
        if tenant.domains.iter().any(|d| d == host) && tenant.domains.contains(&stand_in) {
            let keep: Vec<String> = tenant
                .domains
                .iter()
                .filter(|d| **d != stand_in)
                .cloned()
                .collect();
            tenant = self
                .cloudfront
                .set_tenant_domains(&tenant.id, &keep)
                .await?;
        }
        self.distributions
            .patch_tenants(distribution_id, |all| {
                all.retain(|t| t.id != tenant.id);
                all.push(tenant);
            })
            .await;
        Ok(())
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

/// The connection group of multi-tenant `edge`.
fn connection_group(
    edge: &EdgeView,
) -> Result<&crate::domain::edge::ConnectionGroupRef, AccountError> {
    edge.record
        .connection_group
        .as_ref()
        .ok_or_else(|| AccountError::Inconsistent {
            object: format!("edge {}", edge.record.name),
            detail: "it is multi-tenant but records no connection group".into(),
        })
}

/// The domain a distribution tenant holds while `host` is moved into it: a label of the
/// edge's `domain` (so the edge's certificate covers it) that names the move, with a hash of
/// the host so that two moves never share one. It lives for the seconds between the tenant's
/// creation and the move; should a tenant of that name ever exist, the create is refused
/// and nothing is taken from it.
pub fn stand_in_domain(host: &str, domain: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in host.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("gw-moving-{hash:016x}.{domain}")
}

/// CloudFront's answer when a domain or tenant name is already in use.
fn is_taken(err: &AwsError) -> bool {
    ["CNAMEAlreadyExists", "EntityAlreadyExists"]
        .iter()
        .any(|code| err.has_code(code))
}

#[cfg(test)]
mod tests {
    use super::stand_in_domain;

    #[test]
    fn a_stand_in_is_one_label_of_the_domain_and_differs_per_host() {
        let a = stand_in_domain("acme.example.com", "example.com");
        let b = stand_in_domain("kite.example.com", "example.com");
        assert_ne!(a, b);
        for name in [&a, &b] {
            let label = name.strip_suffix(".example.com").expect("under the domain");
            assert!(!label.contains('.') && label.len() <= 63, "{name}");
            assert!(label.starts_with("gw-moving-"), "{name}");
        }
        assert_eq!(a, stand_in_domain("acme.example.com", "example.com"));
    }
}
