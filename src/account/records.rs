//! Tenants' Route53 alias records. Each hosted zone is read once per process and patched after
//! the provider's own changes. Route53 accepts five calls per second per account, so changes
//! are merged per zone: the changes requested while a call for the zone is under way go into
//! the next call (each tenant's change staying atomic), and the tenants of one call share one
//! wait for it to be in sync. Deletions repeat each record exactly, as Route53 requires.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_route53::types::{Change, ChangeAction, ChangeInfo, ResourceRecordSet, RrType};
use futures::future::{join_all, BoxFuture, FutureExt, Shared};

use super::cache::Keyed;
use super::error::AccountError;
use super::merge::{Merger, Pending};
use crate::aws::route53::{
    cloudfront_alias_changes, invalid_change, plan_batches, CLOUDFRONT_HOSTED_ZONE_ID,
};
use crate::aws::{missing, AwsError, Deadline, ErrorKind, Route53};
use crate::domain::edge::EdgeView;
use crate::domain::naming::normalize_host;
use crate::domain::tenant::RecordInfo;

/// A wait for a change to be `INSYNC`, shared by every tenant whose records it carries.
type SyncWait = Shared<BoxFuture<'static, Result<(), AwsError>>>;

type Answer = Result<ChangeInfo, AwsError>;

/// The records of one host name: as Route53 holds them (to delete them exactly) and as the
/// domain's decisions read them, index for index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostRecords {
    pub sets: Vec<ResourceRecordSet>,
    pub infos: Vec<RecordInfo>,
}

impl HostRecords {
    /// The records at `indexes`.
    pub fn select(&self, indexes: &[usize]) -> Vec<ResourceRecordSet> {
        indexes.iter().map(|i| self.sets[*i].clone()).collect()
    }

    /// The aliases to CloudFront among them (A or AAAA), whichever distribution they point at.
    pub fn cloudfront_aliases(&self) -> Vec<ResourceRecordSet> {
        let indexes: Vec<usize> = (0..self.infos.len())
            .filter(|i| self.infos[*i].is_cloudfront_alias())
            .collect();
        self.select(&indexes)
    }
}

/// One hosted zone's record sets by host name (normalized), so that a tenant finds its own
/// without going through every tenant's.
#[derive(Debug, Clone, Default)]
struct Zone {
    by_host: HashMap<String, Vec<ResourceRecordSet>>,
}

impl Zone {
    fn new(records: Vec<ResourceRecordSet>) -> Self {
        let mut zone = Self::default();
        zone.add(records);
        zone
    }

    /// The record sets of `host`, a normalized name.
    fn of_host(&self, host: &str) -> &[ResourceRecordSet] {
        self.by_host.get(host).map_or(&[], Vec::as_slice)
    }

    /// The record sets of the host `record` is named for.
    fn beside(&self, record: &ResourceRecordSet) -> &[ResourceRecordSet] {
        self.of_host(&normalize_host(&record.name))
    }

    /// Whether the zone holds exactly `record`.
    fn contains(&self, record: &ResourceRecordSet) -> bool {
        self.beside(record).contains(record)
    }

    /// Whether the zone holds a record of the same name, type and alias target as `record`.
    fn holds_same(&self, record: &ResourceRecordSet) -> bool {
        self.beside(record).iter().any(|r| same_record(r, record))
    }

    fn add(&mut self, records: Vec<ResourceRecordSet>) {
        for record in records {
            self.by_host
                .entry(normalize_host(&record.name))
                .or_default()
                .push(record);
        }
    }

    /// Drops the record sets of the name and type of each of `removed`.
    fn remove(&mut self, removed: &[ResourceRecordSet]) {
        for gone in removed {
            let host = normalize_host(&gone.name);
            if let Some(sets) = self.by_host.get_mut(&host) {
                sets.retain(|r| r.r#type != gone.r#type);
                if sets.is_empty() {
                    self.by_host.remove(&host);
                }
            }
        }
    }
}

/// The hosted zones' records, as this process reads and changes them.
pub struct Records {
    route53: Route53,
    /// Record sets by hosted zone id.
    zones: Keyed<Zone>,
    merger: Merger<Vec<Change>, Answer>,
    waits: Mutex<HashMap<String, SyncWait>>,
    /// Changes this process submitted, by hosted zone in the order Route53 accepted them,
    /// not yet seen `INSYNC`.
    pending: Mutex<HashMap<String, Vec<String>>>,
}

impl Records {
    pub fn new(route53: Route53) -> Self {
        Self {
            route53,
            zones: Keyed::default(),
            merger: Merger::default(),
            waits: Mutex::default(),
            pending: Mutex::default(),
        }
    }

    /// Waits until every change this process submitted to the zone is `INSYNC`. Route53
    /// applies a zone's changes in the order it accepted them, so only the newest is polled:
    /// once it is in sync, so are the ones before it. Tenants do not wait for their own
    /// changes; a deployment check waits for all.
    pub async fn await_in_sync(
        &self,
        zone_id: &str,
        deadline: &Deadline,
    ) -> Result<(), AccountError> {
        let newest = {
            let pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            pending.get(zone_id).and_then(|ids| ids.last().cloned())
        };
        let Some(newest) = newest else {
            return Ok(());
        };
        self.wait_insync(&newest, deadline).await?;
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(ids) = pending.get_mut(zone_id) {
            // Changes submitted after the newest one read here are still to be waited for.
            if let Some(at) = ids.iter().position(|id| *id == newest) {
                ids.drain(..=at);
            }
        }
        Ok(())
    }

    async fn zone(&self, zone_id: &str) -> Result<Arc<Zone>, AccountError> {
        let route53 = &self.route53;
        Ok(self
            .zones
            .entry(zone_id)
            .get_or_load(|| async { route53.list_records(zone_id).await.map(Zone::new) })
            .await?)
    }

    /// Reads the zone again, as after a change refused because of someone else's.
    async fn reread(&self, zone_id: &str) -> Result<Arc<Zone>, AccountError> {
        self.zones.entry(zone_id).invalidate().await;
        self.zone(zone_id).await
    }

    /// The records of `host` in the zone.
    pub async fn of_host(&self, zone_id: &str, host: &str) -> Result<HostRecords, AccountError> {
        let sets = self.zone(zone_id).await?.of_host(host).to_vec();
        let infos = sets.iter().map(info_of_record).collect();
        Ok(HostRecords { sets, infos })
    }

    /// Creates the host's alias records (A, and AAAA with IPv6) to the distribution in one
    /// atomic change, deleting in the same change `replace`: stale records of ours to move.
    /// Does not wait for the change to be in sync ([`Records::await_in_sync`] does, for all).
    pub async fn create(
        &self,
        zone_id: &str,
        host: &str,
        distribution_domain: &str,
        ipv6: bool,
        replace: &[ResourceRecordSet],
    ) -> Result<(), AccountError> {
        let mut changes = deletions(replace)?;
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
        match self.submit(zone_id, changes).await {
            Ok(_) => {}
            // Refused as already there: if the zone now holds exactly this change's outcome,
            // an earlier attempt of it was made and only its answer was lost (the SDK retried).
            Err(err) if err.has_code("InvalidChangeBatch") => {
                let now = self.reread(zone_id).await?;
                let done = created.iter().all(|c| now.holds_same(c))
                    && replace.iter().all(|old| !now.contains(old));
                if !done {
                    return Err(err.into());
                }
                tracing::debug!(host, "the records were created by an earlier attempt");
            }
            Err(err) => return Err(err.into()),
        }
        self.patch(zone_id, replace, created).await;
        Ok(())
    }

    /// Deletes exactly these records in one change.
    pub async fn delete(
        &self,
        zone_id: &str,
        records: &[ResourceRecordSet],
    ) -> Result<(), AccountError> {
        if records.is_empty() {
            return Ok(());
        }
        match self.submit(zone_id, deletions(records)?).await {
            Ok(_) => {}
            // Someone removed one meanwhile: the whole change is refused. Re-read and retry
            // with what is left.
            Err(err)
                if err.has_code("InvalidChangeBatch") && err.message().contains("not found") =>
            {
                let current = self.reread(zone_id).await?;
                let left: Vec<ResourceRecordSet> = records
                    .iter()
                    .filter(|r| current.contains(r))
                    .cloned()
                    .collect();
                if !left.is_empty() {
                    self.submit(zone_id, deletions(&left)?).await?;
                }
            }
            Err(err) => return Err(err.into()),
        }
        self.patch(zone_id, records, Vec::new()).await;
        Ok(())
    }

    /// Adds (or removes) the AAAA record of every tenant of the edge when the edge turns IPv6
    /// on (or off), each tenant's change atomic, merged into as few calls as the limits allow.
    pub async fn follow_ipv6(&self, edge: &EdgeView, enabled: bool) -> Result<(), AccountError> {
        let zone = edge.record.hosted_zone_id.as_str();
        let mut changes = Vec::new();
        for member in &edge.members {
            for host in &member.distribution.aliases {
                let records = self.of_host(zone, host).await?;
                let aaaa: Vec<ResourceRecordSet> = records
                    .cloudfront_aliases()
                    .into_iter()
                    .filter(|r| r.r#type == RrType::Aaaa)
                    .collect();
                if enabled && aaaa.is_empty() {
                    let created: Vec<Change> = cloudfront_alias_changes(
                        ChangeAction::Create,
                        host,
                        &member.distribution.domain_name,
                        true,
                    )?
                    .into_iter()
                    .filter(|c| {
                        c.resource_record_set
                            .as_ref()
                            .is_some_and(|r| r.r#type == RrType::Aaaa)
                    })
                    .collect();
                    changes.push((created, Vec::new()));
                } else if !enabled && !aaaa.is_empty() {
                    changes.push((deletions(&aaaa)?, aaaa));
                }
            }
        }
        let results = join_all(changes.into_iter().map(|(change, removed)| async move {
            let created: Vec<ResourceRecordSet> = change
                .iter()
                .filter(|c| c.action == ChangeAction::Create)
                .filter_map(|c| c.resource_record_set.clone())
                .collect();
            self.submit(zone, change).await?;
            self.patch(zone, &removed, created).await;
            Ok::<_, AccountError>(())
        }))
        .await;
        results.into_iter().collect()
    }

    /// Updates the cached zone after a change: `removed` gone, `created` there.
    async fn patch(
        &self,
        zone_id: &str,
        removed: &[ResourceRecordSet],
        created: Vec<ResourceRecordSet>,
    ) {
        self.zones
            .entry(zone_id)
            .patch(|zone| {
                zone.remove(removed);
                zone.add(created);
            })
            .await;
    }

    /// Applies `changes` to the zone atomically, in one call with whatever else is queued for
    /// the zone. When the merged call is refused, each request is sent alone and gets its own
    /// answer.
    async fn submit(&self, zone_id: &str, changes: Vec<Change>) -> Answer {
        let answer = self
            .merger
            .submit(
                zone_id,
                changes,
                self.route53.until_free("ChangeResourceRecordSets"),
                |batch| self.write_batch(zone_id, batch),
            )
            .await
            .unwrap_or_else(|| {
                Err(AwsError::new(
                    "ChangeResourceRecordSets",
                    ErrorKind::Other,
                    "the record change was dropped",
                ))
            });
        answer
    }

    /// Notes a change Route53 accepted for the zone's sync wait. Called by the zone's one
    /// writer, so the list is in the order Route53 accepted the changes.
    fn accepted(&self, zone_id: &str, answer: &Answer) {
        if let Ok(change) = answer {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            pending
                .entry(zone_id.to_string())
                .or_default()
                .push(change.id.clone());
        }
    }

    async fn write_batch(&self, zone_id: &str, batch: Vec<Pending<Vec<Change>, Answer>>) {
        let route53 = &self.route53;
        if batch.len() > 1 {
            let groups: Vec<Vec<Change>> = batch.iter().map(|r| r.request.clone()).collect();
            // Merged only when it fits one call; each request is atomic, so the call must be.
            if plan_batches(&groups).is_ok_and(|calls| calls.len() == 1) {
                tracing::debug!(
                    zone = zone_id,
                    requests = batch.len(),
                    "writing merged record changes"
                );
                match route53.change_records(zone_id, &groups).await {
                    Ok(mut infos) => {
                        let info = infos.pop().ok_or_else(no_change_info);
                        self.accepted(zone_id, &info);
                        for request in batch {
                            request.answer(info.clone());
                        }
                        return;
                    }
                    // One request's change is refused, and with it the whole call: send each
                    // alone so that the others go through and the refused one learns why.
                    Err(err)
                        if matches!(err.kind(), ErrorKind::Conflict | ErrorKind::InvalidInput) =>
                    {
                        tracing::debug!(zone = zone_id, error = %err, "merged record changes refused, sending them one by one");
                    }
                    Err(err) => {
                        for request in batch {
                            request.answer(Err(err.clone()));
                        }
                        return;
                    }
                }
            }
        }
        for request in batch {
            let result = route53
                .change_records(zone_id, std::slice::from_ref(&request.request))
                .await
                .and_then(|mut infos| infos.pop().ok_or_else(no_change_info));
            self.accepted(zone_id, &result);
            request.answer(result);
        }
    }

    /// Waits until the change is `INSYNC`. Callers waiting for the same change share one
    /// poll, bounded by the first caller's deadline.
    async fn wait_insync(&self, change_id: &str, deadline: &Deadline) -> Result<(), AwsError> {
        let wait = {
            let mut waits = self.waits.lock().unwrap_or_else(|e| e.into_inner());
            waits
                .entry(change_id.to_string())
                .or_insert_with(|| {
                    let route53 = self.route53.clone();
                    let id = change_id.to_string();
                    let deadline = deadline.clone();
                    async move { route53.wait_change_insync(&id, &deadline).await.map(|_| ()) }
                        .boxed()
                        .shared()
                })
                .clone()
        };
        let result = wait.await;
        self.waits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(change_id);
        result
    }
}

/// How a record reads to the domain's decisions.
fn info_of_record(record: &ResourceRecordSet) -> RecordInfo {
    let alias = record.alias_target.as_ref();
    RecordInfo {
        record_type: record.r#type.as_str().to_string(),
        cloudfront_target: cloudfront_target(record),
        target: match alias {
            Some(t) => format!("an alias to {}", t.dns_name),
            None => record
                .resource_records
                .as_deref()
                .unwrap_or_default()
                .iter()
                .map(|r| r.value.clone())
                .collect::<Vec<_>>()
                .join(", "),
        },
    }
}

/// The CloudFront domain a record is an alias to, normalized.
fn cloudfront_target(record: &ResourceRecordSet) -> Option<String> {
    let alias = record.alias_target.as_ref()?;
    (alias.hosted_zone_id == CLOUDFRONT_HOSTED_ZONE_ID).then(|| normalize_host(&alias.dns_name))
}

/// True when two records have the same name, type and alias target.
fn same_record(a: &ResourceRecordSet, b: &ResourceRecordSet) -> bool {
    normalize_host(&a.name) == normalize_host(&b.name)
        && a.r#type == b.r#type
        && cloudfront_target(a) == cloudfront_target(b)
        && a.set_identifier == b.set_identifier
}

/// The changes deleting exactly `records`.
fn deletions(records: &[ResourceRecordSet]) -> Result<Vec<Change>, AwsError> {
    records
        .iter()
        .map(|record| {
            Change::builder()
                .action(ChangeAction::Delete)
                .resource_record_set(record.clone())
                .build()
                .map_err(invalid_change)
        })
        .collect()
}

fn no_change_info() -> AwsError {
    missing("ChangeResourceRecordSets", "ChangeInfo")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alias(name: &str, kind: RrType, target: &str) -> ResourceRecordSet {
        let changes = cloudfront_alias_changes(ChangeAction::Create, name, target, true)
            .expect("alias changes");
        changes
            .into_iter()
            .filter_map(|c| c.resource_record_set)
            .find(|r| r.r#type == kind)
            .expect("a record of the type")
    }

    #[test]
    fn a_zone_finds_a_hosts_records_by_its_normalized_name() {
        let acme_a = alias("acme.example.com", RrType::A, "d1.cloudfront.net");
        let acme_aaaa = alias("acme.example.com", RrType::Aaaa, "d1.cloudfront.net");
        let mut kite = alias("kite.example.com", RrType::A, "d2.cloudfront.net");
        // Route53 answers names with a trailing dot, as they were written.
        kite.name = "Kite.Example.com.".into();
        let zone = Zone::new(vec![acme_a.clone(), kite.clone(), acme_aaaa.clone()]);
        assert_eq!(
            zone.of_host("acme.example.com"),
            [acme_a.clone(), acme_aaaa.clone()]
        );
        assert_eq!(
            zone.of_host("kite.example.com"),
            std::slice::from_ref(&kite)
        );
        assert!(zone.of_host("nobody.example.com").is_empty());
        assert!(zone.contains(&kite) && zone.holds_same(&acme_a));
        let elsewhere = alias("acme.example.com", RrType::A, "d9.cloudfront.net");
        assert!(!zone.contains(&elsewhere) && !zone.holds_same(&elsewhere));
    }

    #[test]
    fn a_zone_patch_drops_the_name_and_type_removed_and_keeps_the_rest() {
        let acme_a = alias("acme.example.com", RrType::A, "d1.cloudfront.net");
        let acme_aaaa = alias("acme.example.com", RrType::Aaaa, "d1.cloudfront.net");
        let kite = alias("kite.example.com", RrType::A, "d2.cloudfront.net");
        let mut zone = Zone::new(vec![acme_a.clone(), acme_aaaa.clone(), kite.clone()]);
        // A deletion names the record it removes; the cached one may differ in its target.
        zone.remove(&[alias("ACME.example.com.", RrType::A, "d7.cloudfront.net")]);
        assert_eq!(
            zone.of_host("acme.example.com"),
            std::slice::from_ref(&acme_aaaa)
        );
        zone.remove(&[acme_aaaa, kite]);
        assert!(zone.by_host.is_empty(), "{zone:?}");
        let moved = alias("acme.example.com", RrType::A, "d2.cloudfront.net");
        zone.add(vec![moved.clone()]);
        assert_eq!(zone.of_host("acme.example.com"), [moved]);
    }
}
