//! Tenants' Route53 alias records: the zone read once, creations as one atomic batch per
//! tenant, deletions repeating each record exactly as Route53 requires.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_route53::types::{Change, ChangeAction, ResourceRecordSet, RrType};
use tokio_util::sync::CancellationToken;

use super::{normalize_host, Gateway, GatewayError};
use crate::aws::route53::{cloudfront_alias_changes, CLOUDFRONT_HOSTED_ZONE_ID};

/// The A/AAAA (and any other) records of a tenant's host.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TenantRecords {
    /// Alias records (A or AAAA) pointing at a CloudFront distribution.
    pub aliases: Vec<ResourceRecordSet>,
    /// Any other record of the host's name.
    pub others: Vec<ResourceRecordSet>,
}

impl TenantRecords {
    /// The record types aliased to `distribution_domain`, sorted.
    pub fn types_pointing_at(&self, distribution_domain: &str) -> Vec<String> {
        let mut types: Vec<String> = self
            .aliases
            .iter()
            .filter(|r| alias_target(r).as_deref() == Some(&normalize_host(distribution_domain)))
            .map(|r| r.r#type.as_str().to_string())
            .collect();
        types.sort();
        types
    }
}

/// The CloudFront domain an alias record points at, normalized.
pub fn alias_target(record: &ResourceRecordSet) -> Option<String> {
    let target = record.alias_target.as_ref()?;
    (target.hosted_zone_id == CLOUDFRONT_HOSTED_ZONE_ID).then(|| normalize_host(&target.dns_name))
}

impl Gateway {
    /// Every record of a zone.
    pub async fn zone_records(
        &self,
        zone_id: &str,
    ) -> Result<Arc<Vec<ResourceRecordSet>>, GatewayError> {
        let route53 = &self.aws.route53;
        Ok(self
            .zones
            .entry(zone_id)
            .get_or_load(|| async { route53.list_records(zone_id).await })
            .await?)
    }

    /// The records of `host` in the zone.
    pub async fn tenant_records(
        &self,
        zone_id: &str,
        host: &str,
    ) -> Result<TenantRecords, GatewayError> {
        let all = self.zone_records(zone_id).await?;
        let mut found = TenantRecords::default();
        for record in all.iter().filter(|r| normalize_host(&r.name) == host) {
            let is_alias =
                matches!(record.r#type, RrType::A | RrType::Aaaa) && alias_target(record).is_some();
            if is_alias {
                found.aliases.push(record.clone());
            } else {
                found.others.push(record.clone());
            }
        }
        Ok(found)
    }

    /// Creates the host's alias records (A, and AAAA with IPv6) to the distribution in one
    /// atomic batch, deleting in the same batch `replace`: stale records of ours to move.
    /// Waits for the change to be in sync when `wait` is given. Tenants changed together share
    /// one call and one wait ([`super::changes::ChangeBatcher`]).
    pub async fn create_tenant_records(
        &self,
        zone_id: &str,
        host: &str,
        distribution_domain: &str,
        ipv6: bool,
        replace: &[ResourceRecordSet],
        wait: Option<(Duration, &CancellationToken)>,
    ) -> Result<(), GatewayError> {
        let mut changes: Vec<Change> = replace
            .iter()
            .map(delete_change)
            .collect::<Result<_, _>>()?;
        changes.extend(cloudfront_alias_changes(
            ChangeAction::Create,
            host,
            distribution_domain,
            ipv6,
        )?);
        let created: Vec<ResourceRecordSet> = changes
            .iter()
            .filter(|c| c.action == ChangeAction::Create)
            .filter_map(|c| c.resource_record_set.clone())
            .collect();
        let route53 = &self.aws.route53;
        let change = match self.changes.submit(route53, zone_id, changes).await {
            Ok(info) => Some(info),
            // Refused as already there: if the zone now holds exactly this batch's outcome,
            // an earlier attempt of it was made and only its answer was lost (the SDK retried).
            Err(err) if err.has_code("InvalidChangeBatch") => {
                self.zones.entry(zone_id).invalidate().await;
                let now = self.zone_records(zone_id).await?;
                let done = created
                    .iter()
                    .all(|c| now.iter().any(|r| same_record(r, c)))
                    && replace.iter().all(|old| !now.contains(old));
                if !done {
                    return Err(err.into());
                }
                tracing::debug!(host, "the records were created by an earlier attempt");
                None
            }
            Err(err) => return Err(err.into()),
        };
        let removed: Vec<(String, RrType)> = replace
            .iter()
            .map(|r| (normalize_host(&r.name), r.r#type.clone()))
            .collect();
        self.zones
            .entry(zone_id)
            .patch(|records| {
                records.retain(|r| !removed.contains(&(normalize_host(&r.name), r.r#type.clone())));
                records.extend(created);
            })
            .await;
        if let (Some((timeout, cancel)), Some(change)) = (wait, change) {
            self.changes
                .wait_insync(route53, &change.id, timeout, cancel)
                .await?;
        }
        Ok(())
    }

    /// Deletes exactly these records in one batch.
    pub async fn delete_tenant_records(
        &self,
        zone_id: &str,
        records: &[ResourceRecordSet],
    ) -> Result<(), GatewayError> {
        if records.is_empty() {
            return Ok(());
        }
        let changes: Vec<Change> = records
            .iter()
            .map(delete_change)
            .collect::<Result<_, _>>()?;
        let route53 = &self.aws.route53;
        match self.changes.submit(route53, zone_id, changes).await {
            Ok(_) => {}
            // Someone removed one meanwhile: the whole batch is refused. Re-read and retry
            // with what is left.
            Err(err)
                if err.has_code("InvalidChangeBatch") && err.message().contains("not found") =>
            {
                self.zones.entry(zone_id).invalidate().await;
                let names: Vec<(String, RrType)> = records
                    .iter()
                    .map(|r| (normalize_host(&r.name), r.r#type.clone()))
                    .collect();
                let current = self.zone_records(zone_id).await?;
                let left: Vec<ResourceRecordSet> = current
                    .iter()
                    .filter(|r| names.contains(&(normalize_host(&r.name), r.r#type.clone())))
                    .filter(|r| records.contains(r))
                    .cloned()
                    .collect();
                if !left.is_empty() {
                    let changes: Vec<Change> =
                        left.iter().map(delete_change).collect::<Result<_, _>>()?;
                    self.changes.submit(route53, zone_id, changes).await?;
                }
            }
            Err(err) => return Err(err.into()),
        }
        let gone: Vec<ResourceRecordSet> = records.to_vec();
        self.zones
            .entry(zone_id)
            .patch(|all| all.retain(|r| !gone.contains(r)))
            .await;
        Ok(())
    }
}

/// True when two records have the same name, type and alias target.
fn same_record(a: &ResourceRecordSet, b: &ResourceRecordSet) -> bool {
    normalize_host(&a.name) == normalize_host(&b.name)
        && a.r#type == b.r#type
        && alias_target(a) == alias_target(b)
        && a.set_identifier == b.set_identifier
}

fn delete_change(record: &ResourceRecordSet) -> Result<Change, GatewayError> {
    Change::builder()
        .action(ChangeAction::Delete)
        .resource_record_set(record.clone())
        .build()
        .map_err(|e| GatewayError::Other(e.to_string()))
}
