//! CloudFront SaaS Manager: connection groups (the routing endpoint DNS points at) and
//! distribution tenants (a tenant's domains on a multi-tenant distribution).
//!
//! [`SaasApi`] is the thin wrapper, one method per operation, implemented by the CloudFront SDK
//! client and part of [`super::cloudfront::CloudFrontApi`]; the finders, mutations and waiters
//! built on it are methods of [`CloudFront`]. Like distributions, every change sends the ETag
//! it read as `If-Match`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_cloudfront::types::{
    ConnectionGroup, DistributionResourceId, DistributionTenant,
    DistributionTenantAssociationFilter, DomainItem, Tag, Tags,
};

use super::cloudfront::{versioned, CloudFront, Versioned, ETAG_CONFLICT_MAX_ATTEMPTS};
use super::error::AwsError;
use super::wait::{poll_until, Deadline, Poll};
use super::{all_pages, found};

/// Whether CloudFront refused a change because the ETag sent is no longer the object's.
fn is_stale(err: &AwsError) -> bool {
    err.has_code("PreconditionFailed") || err.has_code("InvalidIfMatchVersion")
}

/// Status of a tenant or connection group whose last change reached every edge location.
const DEPLOYED: &str = "Deployed";

/// A distribution tenant as the provider reasons about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantInfo {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub distribution_id: String,
    pub connection_group_id: Option<String>,
    /// Its domains, normalized.
    pub domains: Vec<String>,
    pub enabled: bool,
    pub status: String,
    pub etag: String,
}

/// One method per SaaS Manager operation the provider uses.
#[async_trait]
pub trait SaasApi: Send + Sync {
    /// CreateConnectionGroup.
    async fn create_connection_group(
        &self,
        name: &str,
        ipv6: bool,
        tags: Vec<Tag>,
    ) -> Result<Versioned<ConnectionGroup>, AwsError>;
    /// GetConnectionGroup, by id, name or ARN.
    async fn get_connection_group(
        &self,
        identifier: &str,
    ) -> Result<Versioned<ConnectionGroup>, AwsError>;
    /// UpdateConnectionGroup with `If-Match`.
    async fn update_connection_group(
        &self,
        id: &str,
        if_match: &str,
        enabled: bool,
        ipv6: bool,
    ) -> Result<Versioned<ConnectionGroup>, AwsError>;
    /// DeleteConnectionGroup with `If-Match`.
    async fn delete_connection_group(&self, id: &str, if_match: &str) -> Result<(), AwsError>;
    /// CreateDistributionTenant.
    async fn create_distribution_tenant(
        &self,
        distribution_id: &str,
        name: &str,
        domains: &[String],
        connection_group_id: &str,
        tags: Vec<Tag>,
    ) -> Result<Versioned<DistributionTenant>, AwsError>;
    /// GetDistributionTenant, by id, name or ARN.
    async fn get_distribution_tenant(
        &self,
        identifier: &str,
    ) -> Result<Versioned<DistributionTenant>, AwsError>;
    /// GetDistributionTenantByDomain.
    async fn get_distribution_tenant_by_domain(
        &self,
        domain: &str,
    ) -> Result<Versioned<DistributionTenant>, AwsError>;
    /// UpdateDistributionTenant with `If-Match`: its domains and whether it is enabled.
    async fn update_distribution_tenant(
        &self,
        id: &str,
        if_match: &str,
        domains: &[String],
        enabled: bool,
    ) -> Result<Versioned<DistributionTenant>, AwsError>;
    /// DeleteDistributionTenant with `If-Match`.
    async fn delete_distribution_tenant(&self, id: &str, if_match: &str) -> Result<(), AwsError>;
    /// UpdateDomainAssociation: `domain` moves to distribution tenant `tenant_id` from
    /// whatever holds it, with the tenant's ETag as `If-Match`.
    async fn update_domain_association(
        &self,
        domain: &str,
        tenant_id: &str,
        if_match: &str,
    ) -> Result<(), AwsError>;
    /// ListDistributionTenants of one distribution, one page.
    async fn list_distribution_tenants(
        &self,
        distribution_id: Option<&str>,
        marker: Option<String>,
    ) -> Result<(Vec<TenantInfo>, Option<String>), AwsError>;
}

fn tenant_info(tenant: DistributionTenant, etag: String) -> TenantInfo {
    TenantInfo {
        id: tenant.id.unwrap_or_default(),
        arn: tenant.arn.unwrap_or_default(),
        name: tenant.name.unwrap_or_default(),
        distribution_id: tenant.distribution_id.unwrap_or_default(),
        connection_group_id: tenant.connection_group_id,
        domains: tenant
            .domains
            .unwrap_or_default()
            .into_iter()
            .map(|d| crate::domain::naming::normalize_host(&d.domain))
            .collect(),
        enabled: tenant.enabled.unwrap_or(false),
        status: tenant.status.unwrap_or_default(),
        etag,
    }
}

fn domain_items(domains: &[String]) -> Result<Vec<DomainItem>, AwsError> {
    domains
        .iter()
        .map(|d| {
            DomainItem::builder().domain(d).build().map_err(|e| {
                AwsError::new(
                    "CreateDistributionTenant",
                    super::ErrorKind::InvalidInput,
                    e.to_string(),
                )
            })
        })
        .collect()
}

#[async_trait]
impl SaasApi for aws_sdk_cloudfront::Client {
    async fn create_connection_group(
        &self,
        name: &str,
        ipv6: bool,
        tags: Vec<Tag>,
    ) -> Result<Versioned<ConnectionGroup>, AwsError> {
        const OP: &str = "CreateConnectionGroup";
        let out = self
            .create_connection_group()
            .name(name)
            .ipv6_enabled(ipv6)
            .enabled(true)
            .tags(Tags::builder().set_items(Some(tags)).build())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(name))?;
        versioned(OP, out.connection_group, out.e_tag)
    }

    async fn get_connection_group(
        &self,
        identifier: &str,
    ) -> Result<Versioned<ConnectionGroup>, AwsError> {
        const OP: &str = "GetConnectionGroup";
        let out = self
            .get_connection_group()
            .identifier(identifier)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(identifier))?;
        versioned(OP, out.connection_group, out.e_tag)
    }

    async fn update_connection_group(
        &self,
        id: &str,
        if_match: &str,
        enabled: bool,
        ipv6: bool,
    ) -> Result<Versioned<ConnectionGroup>, AwsError> {
        const OP: &str = "UpdateConnectionGroup";
        let out = self
            .update_connection_group()
            .id(id)
            .if_match(if_match)
            .enabled(enabled)
            .ipv6_enabled(ipv6)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(id))?;
        versioned(OP, out.connection_group, out.e_tag)
    }

    async fn delete_connection_group(&self, id: &str, if_match: &str) -> Result<(), AwsError> {
        self.delete_connection_group()
            .id(id)
            .if_match(if_match)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteConnectionGroup", e).with_subject(id))?;
        Ok(())
    }

    async fn create_distribution_tenant(
        &self,
        distribution_id: &str,
        name: &str,
        domains: &[String],
        connection_group_id: &str,
        tags: Vec<Tag>,
    ) -> Result<Versioned<DistributionTenant>, AwsError> {
        const OP: &str = "CreateDistributionTenant";
        let out = self
            .create_distribution_tenant()
            .distribution_id(distribution_id)
            .name(name)
            .set_domains(Some(domain_items(domains)?))
            .connection_group_id(connection_group_id)
            .enabled(true)
            .tags(Tags::builder().set_items(Some(tags)).build())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(name))?;
        versioned(OP, out.distribution_tenant, out.e_tag)
    }

    async fn get_distribution_tenant(
        &self,
        identifier: &str,
    ) -> Result<Versioned<DistributionTenant>, AwsError> {
        const OP: &str = "GetDistributionTenant";
        let out = self
            .get_distribution_tenant()
            .identifier(identifier)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(identifier))?;
        versioned(OP, out.distribution_tenant, out.e_tag)
    }

    async fn get_distribution_tenant_by_domain(
        &self,
        domain: &str,
    ) -> Result<Versioned<DistributionTenant>, AwsError> {
        const OP: &str = "GetDistributionTenantByDomain";
        let out = self
            .get_distribution_tenant_by_domain()
            .domain(domain)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(domain))?;
        versioned(OP, out.distribution_tenant, out.e_tag)
    }

    async fn update_distribution_tenant(
        &self,
        id: &str,
        if_match: &str,
        domains: &[String],
        enabled: bool,
    ) -> Result<Versioned<DistributionTenant>, AwsError> {
        const OP: &str = "UpdateDistributionTenant";
        let out = self
            .update_distribution_tenant()
            .id(id)
            .if_match(if_match)
            .set_domains(Some(domain_items(domains)?))
            .enabled(enabled)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(id))?;
        versioned(OP, out.distribution_tenant, out.e_tag)
    }

    async fn delete_distribution_tenant(&self, id: &str, if_match: &str) -> Result<(), AwsError> {
        self.delete_distribution_tenant()
            .id(id)
            .if_match(if_match)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteDistributionTenant", e).with_subject(id))?;
        Ok(())
    }

    async fn update_domain_association(
        &self,
        domain: &str,
        tenant_id: &str,
        if_match: &str,
    ) -> Result<(), AwsError> {
        let target = DistributionResourceId::builder()
            .distribution_tenant_id(tenant_id)
            .build();
        self.update_domain_association()
            .domain(domain)
            .target_resource(target)
            .if_match(if_match)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateDomainAssociation", e).with_subject(domain))?;
        Ok(())
    }

    async fn list_distribution_tenants(
        &self,
        distribution_id: Option<&str>,
        marker: Option<String>,
    ) -> Result<(Vec<TenantInfo>, Option<String>), AwsError> {
        const OP: &str = "ListDistributionTenants";
        let filter = distribution_id.map(|id| {
            DistributionTenantAssociationFilter::builder()
                .distribution_id(id)
                .build()
        });
        let out = self
            .list_distribution_tenants()
            .set_association_filter(filter)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e))?;
        let items = out
            .distribution_tenant_list
            .unwrap_or_default()
            .into_iter()
            .map(|s| TenantInfo {
                id: s.id,
                arn: s.arn,
                name: s.name,
                distribution_id: s.distribution_id,
                connection_group_id: s.connection_group_id,
                domains: s
                    .domains
                    .into_iter()
                    .map(|d| crate::domain::naming::normalize_host(&d.domain))
                    .collect(),
                enabled: s.enabled.unwrap_or(false),
                status: s.status.unwrap_or_default(),
                etag: s.e_tag,
            })
            .collect();
        Ok((items, out.next_marker.filter(|m| !m.is_empty())))
    }
}

/// A connection group as the provider needs it: its id, routing endpoint and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    pub id: String,
    pub arn: String,
    pub routing_endpoint: String,
    pub enabled: bool,
    pub ipv6: bool,
    pub etag: String,
}

fn group_info(group: Versioned<ConnectionGroup>) -> GroupInfo {
    let Versioned { value, etag } = group;
    GroupInfo {
        id: value.id.unwrap_or_default(),
        arn: value.arn.unwrap_or_default(),
        routing_endpoint: value
            .routing_endpoint
            .map(|e| crate::domain::naming::normalize_host(&e))
            .unwrap_or_default(),
        enabled: value.enabled.unwrap_or(false),
        ipv6: value.ipv6_enabled.unwrap_or(false),
        etag,
    }
}

impl CloudFront {
    // ---- connection groups ---------------------------------------------------------------

    /// Creates a connection group, enabled, with its tags.
    pub async fn create_connection_group(
        &self,
        name: &str,
        ipv6: bool,
        tags: &BTreeMap<String, String>,
    ) -> Result<GroupInfo, AwsError> {
        let tags = super::cloudfront::to_tags(tags)?;
        let api = self.api("CreateConnectionGroup").await;
        Ok(group_info(
            api.create_connection_group(name, ipv6, tags).await?,
        ))
    }

    /// The connection group named or identified by `identifier`, or `None`.
    pub async fn find_connection_group(
        &self,
        identifier: &str,
    ) -> Result<Option<GroupInfo>, AwsError> {
        let api = self.api("GetConnectionGroup").await;
        Ok(found(api.get_connection_group(identifier).await)?.map(group_info))
    }

    /// Sets whether the group is enabled and serves IPv6, when that changes anything.
    pub async fn update_connection_group(
        &self,
        group: &GroupInfo,
        enabled: bool,
        ipv6: bool,
    ) -> Result<GroupInfo, AwsError> {
        if group.enabled == enabled && group.ipv6 == ipv6 {
            return Ok(group.clone());
        }
        let api = self.api("UpdateConnectionGroup").await;
        let updated = api
            .update_connection_group(&group.id, &group.etag, enabled, ipv6)
            .await?;
        Ok(group_info(updated))
    }

    /// Disables the group when needed, waits until that is deployed, then deletes it. A
    /// group already gone is no error. A stale ETag (another writer, or a retried request whose
    /// answer was lost after it took effect) starts over from a fresh read, at most
    /// [`ETAG_CONFLICT_MAX_ATTEMPTS`] times.
    pub async fn delete_connection_group(
        &self,
        id: &str,
        deadline: &Deadline,
    ) -> Result<(), AwsError> {
        let mut attempt = 1;
        loop {
            let Some(group) = self.find_connection_group(id).await? else {
                return Ok(());
            };
            let result = async {
                let group = self
                    .update_connection_group(&group, false, group.ipv6)
                    .await?;
                let group = self
                    .wait_connection_group_deployed(&group.id, deadline)
                    .await?;
                let api = self.api("DeleteConnectionGroup").await;
                api.delete_connection_group(&group.id, &group.etag).await
            }
            .await;
            match result {
                Err(err) if err.is_not_found() => return Ok(()),
                Err(err) if is_stale(&err) && attempt < ETAG_CONFLICT_MAX_ATTEMPTS => {
                    self.conflict_pause(attempt).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn wait_connection_group_deployed(
        &self,
        id: &str,
        deadline: &Deadline,
    ) -> Result<GroupInfo, AwsError> {
        poll_until(
            "WaitConnectionGroupDeployed",
            &format!("connection group {id} to be deployed"),
            self.waits.distribution_poll,
            deadline,
            || async {
                let api = self.api("GetConnectionGroup").await;
                let group = api.get_connection_group(id).await?;
                let status = group.value.status.clone().unwrap_or_default();
                Ok(if status == DEPLOYED {
                    Poll::Ready(group_info(group))
                } else {
                    Poll::Pending(status)
                })
            },
        )
        .await
    }

    // ---- distribution tenants ------------------------------------------------------------

    /// Creates a distribution tenant for `domains` on a multi-tenant distribution, reached
    /// through `connection_group_id`, enabled, with its tags.
    pub async fn create_distribution_tenant(
        &self,
        distribution_id: &str,
        name: &str,
        domains: &[String],
        connection_group_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<TenantInfo, AwsError> {
        let tags = super::cloudfront::to_tags(tags)?;
        let api = self.api("CreateDistributionTenant").await;
        let created = api
            .create_distribution_tenant(distribution_id, name, domains, connection_group_id, tags)
            .await?;
        Ok(tenant_info(created.value, created.etag))
    }

    /// The distribution tenant named or identified by `identifier`, or `None`.
    pub async fn find_distribution_tenant(
        &self,
        identifier: &str,
    ) -> Result<Option<TenantInfo>, AwsError> {
        let api = self.api("GetDistributionTenant").await;
        Ok(found(api.get_distribution_tenant(identifier).await)?
            .map(|t| tenant_info(t.value, t.etag)))
    }

    /// The distribution tenant one of whose domains is `domain`, or `None`.
    pub async fn find_distribution_tenant_by_domain(
        &self,
        domain: &str,
    ) -> Result<Option<TenantInfo>, AwsError> {
        let api = self.api("GetDistributionTenantByDomain").await;
        Ok(found(api.get_distribution_tenant_by_domain(domain).await)?
            .map(|t| tenant_info(t.value, t.etag)))
    }

    /// Every distribution tenant of `distribution_id` (of the account, for `None`).
    pub async fn list_distribution_tenants(
        &self,
        distribution_id: Option<&str>,
    ) -> Result<Vec<TenantInfo>, AwsError> {
        all_pages(|marker| async move {
            self.api("ListDistributionTenants")
                .await
                .list_distribution_tenants(distribution_id, marker)
                .await
        })
        .await
    }

    /// Disables the tenant when needed, then deletes it; when CloudFront still counts it as
    /// enabled (the disabling has not deployed yet), waits until it has and deletes again. A
    /// tenant already gone is no error. A stale ETag (another writer, or a retried request
    /// whose answer was lost after it took effect) starts over from a fresh read, at most
    /// [`ETAG_CONFLICT_MAX_ATTEMPTS`] times.
    pub async fn delete_distribution_tenant(
        &self,
        id: &str,
        deadline: &Deadline,
    ) -> Result<(), AwsError> {
        let mut attempt = 1;
        loop {
            let Some(tenant) = self.find_distribution_tenant(id).await? else {
                return Ok(());
            };
            match self.disable_and_delete_tenant(tenant, deadline).await {
                Err(err) if err.is_not_found() => return Ok(()),
                Err(err) if is_stale(&err) && attempt < ETAG_CONFLICT_MAX_ATTEMPTS => {
                    self.conflict_pause(attempt).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn disable_and_delete_tenant(
        &self,
        mut tenant: TenantInfo,
        deadline: &Deadline,
    ) -> Result<(), AwsError> {
        if tenant.enabled {
            let api = self.api("UpdateDistributionTenant").await;
            let updated = api
                .update_distribution_tenant(&tenant.id, &tenant.etag, &tenant.domains, false)
                .await?;
            tenant = tenant_info(updated.value, updated.etag);
        }
        let api = self.api("DeleteDistributionTenant").await;
        match api
            .delete_distribution_tenant(&tenant.id, &tenant.etag)
            .await
        {
            Err(err) if err.has_code("ResourceNotDisabled") => {
                let deployed = self.wait_tenant_deployed(&tenant.id, deadline).await?;
                let api = self.api("DeleteDistributionTenant").await;
                api.delete_distribution_tenant(&deployed.id, &deployed.etag)
                    .await
            }
            other => other,
        }
    }

    /// Moves `domain` into distribution tenant `tenant_id` in one step, from the standard
    /// distribution or tenant of the account holding it: at no moment does nothing hold it,
    /// so viewers of the domain are served throughout. A domain the tenant holds already is
    /// the answer (a retried request whose first answer was lost). A stale ETag starts over
    /// from a fresh read, at most [`ETAG_CONFLICT_MAX_ATTEMPTS`] times.
    pub async fn move_domain_to_tenant(
        &self,
        domain: &str,
        tenant_id: &str,
    ) -> Result<TenantInfo, AwsError> {
        const OP: &str = "UpdateDomainAssociation";
        let mut attempt = 1;
        let mut moved = false;
        loop {
            let tenant = self
                .find_distribution_tenant(tenant_id)
                .await?
                .ok_or_else(|| {
                    AwsError::new(
                        OP,
                        super::ErrorKind::NotFound,
                        format!("distribution tenant {tenant_id} does not exist"),
                    )
                })?;
            if tenant.domains.iter().any(|d| d == domain) {
                return Ok(tenant);
            }
            if moved {
                return Err(AwsError::new(
                    OP,
                    super::ErrorKind::Conflict,
                    format!("CloudFront accepted moving {domain} to distribution tenant {tenant_id}, but the tenant does not hold it"),
                ));
            }
            let api = self.api(OP).await;
            match api
                .update_domain_association(domain, &tenant.id, &tenant.etag)
                .await
            {
                Err(err) if is_stale(&err) && attempt < ETAG_CONFLICT_MAX_ATTEMPTS => {
                    self.conflict_pause(attempt).await;
                    attempt += 1;
                }
                Err(err) => return Err(err),
                // Read again: the answer carries no domains, and the next write needs the
                // ETag the move left.
                Ok(()) => moved = true,
            }
        }
    }

    /// Sets the domains of distribution tenant `tenant_id` to `domains`, keeping whether it
    /// is enabled. A stale ETag starts over from a fresh read, at most
    /// [`ETAG_CONFLICT_MAX_ATTEMPTS`] times.
    pub async fn set_tenant_domains(
        &self,
        tenant_id: &str,
        domains: &[String],
    ) -> Result<TenantInfo, AwsError> {
        let mut attempt = 1;
        loop {
            let tenant = self
                .find_distribution_tenant(tenant_id)
                .await?
                .ok_or_else(|| {
                    AwsError::new(
                        "UpdateDistributionTenant",
                        super::ErrorKind::NotFound,
                        format!("distribution tenant {tenant_id} does not exist"),
                    )
                })?;
            if tenant.domains == domains {
                return Ok(tenant);
            }
            let api = self.api("UpdateDistributionTenant").await;
            match api
                .update_distribution_tenant(&tenant.id, &tenant.etag, domains, tenant.enabled)
                .await
            {
                Ok(updated) => return Ok(tenant_info(updated.value, updated.etag)),
                Err(err) if is_stale(&err) && attempt < ETAG_CONFLICT_MAX_ATTEMPTS => {
                    self.conflict_pause(attempt).await;
                    attempt += 1;
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Waits until the tenant's last change reached every edge location.
    pub async fn wait_tenant_deployed(
        &self,
        id: &str,
        deadline: &Deadline,
    ) -> Result<TenantInfo, AwsError> {
        poll_until(
            "WaitDistributionTenantDeployed",
            &format!("distribution tenant {id} to be deployed"),
            self.waits.distribution_poll,
            deadline,
            || async {
                let api = self.api("GetDistributionTenant").await;
                let tenant = api.get_distribution_tenant(id).await?;
                let tenant = tenant_info(tenant.value, tenant.etag);
                Ok(if tenant.status == DEPLOYED {
                    Poll::Ready(tenant)
                } else {
                    Poll::Pending(tenant.status.clone())
                })
            },
        )
        .await
    }
}
