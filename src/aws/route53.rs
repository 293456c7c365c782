//! Route53: the tenants' alias records (A and AAAA to their distribution) in a hosted zone.
//!
//! [`Route53Api`] is the thin wrapper, one method per API operation; [`Route53`] holds the
//! finders, the batched changes and the INSYNC waiter. A change batch is all-or-nothing on
//! AWS, so [`Route53::change_records`] keeps each group of changes (a tenant's A and AAAA)
//! in one batch and splits only between groups.

use async_trait::async_trait;
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ChangeInfo, ChangeStatus, HostedZone,
    ResourceRecordSet, RrType,
};

use super::error::{AwsError, ErrorKind};
use super::wait::{poll_until, Deadline, Poll};
use super::{all_pages, found, missing, Page, Service};

/// Most `ResourceRecord` elements AWS accepts in one ChangeResourceRecordSets call (an UPSERT
/// counts twice; this layer counts an alias record as one).
pub const MAX_RECORDS_PER_BATCH: usize = 1_000;
/// Most characters of record values AWS accepts in one call (an UPSERT counts twice).
pub const MAX_VALUE_CHARS_PER_BATCH: usize = 32_000;
/// `MaxItems` of ListResourceRecordSets (AWS's maximum).
pub const RECORDS_PAGE_SIZE: i32 = 300;
/// Hosted zone of every CloudFront distribution's domain name, the target zone of alias
/// records to a distribution (aws partition).
pub const CLOUDFRONT_HOSTED_ZONE_ID: &str = "Z2FDTNDATAQYW2";

/// Where a page of ListResourceRecordSets starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordStart {
    /// `StartRecordName`.
    pub name: String,
    /// `StartRecordType`.
    pub record_type: RrType,
    /// `StartRecordIdentifier`, for records with a routing policy.
    pub identifier: Option<String>,
}

/// One page of ListResourceRecordSets, in Route53's order (name, then type).
pub type RecordPage = Page<ResourceRecordSet, RecordStart>;

/// One method per Route53 API operation the provider uses.
#[async_trait]
pub trait Route53Api: Send + Sync {
    /// GetHostedZone.
    async fn get_hosted_zone(&self, zone_id: &str) -> Result<HostedZone, AwsError>;
    /// ListResourceRecordSets, one page.
    async fn list_resource_record_sets(
        &self,
        zone_id: &str,
        start: Option<RecordStart>,
        max_items: i32,
    ) -> Result<RecordPage, AwsError>;
    /// ChangeResourceRecordSets.
    async fn change_resource_record_sets(
        &self,
        zone_id: &str,
        batch: ChangeBatch,
    ) -> Result<ChangeInfo, AwsError>;
    /// GetChange.
    async fn get_change(&self, change_id: &str) -> Result<ChangeInfo, AwsError>;
}

#[async_trait]
impl Route53Api for aws_sdk_route53::Client {
    async fn get_hosted_zone(&self, zone_id: &str) -> Result<HostedZone, AwsError> {
        const OP: &str = "GetHostedZone";
        self.get_hosted_zone()
            .id(zone_id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(zone_id))?
            .hosted_zone
            .ok_or_else(|| missing(OP, "HostedZone"))
    }

    async fn list_resource_record_sets(
        &self,
        zone_id: &str,
        start: Option<RecordStart>,
        max_items: i32,
    ) -> Result<RecordPage, AwsError> {
        let mut request = self
            .list_resource_record_sets()
            .hosted_zone_id(zone_id)
            .max_items(max_items);
        if let Some(start) = start {
            request = request
                .start_record_name(start.name)
                .start_record_type(start.record_type)
                .set_start_record_identifier(start.identifier);
        }
        let out = request
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListResourceRecordSets", e).with_subject(zone_id))?;
        let next = match (out.is_truncated, out.next_record_name, out.next_record_type) {
            (true, Some(name), Some(record_type)) => Some(RecordStart {
                name,
                record_type,
                identifier: out.next_record_identifier,
            }),
            _ => None,
        };
        Ok(Page {
            items: out.resource_record_sets,
            next,
        })
    }

    async fn change_resource_record_sets(
        &self,
        zone_id: &str,
        batch: ChangeBatch,
    ) -> Result<ChangeInfo, AwsError> {
        const OP: &str = "ChangeResourceRecordSets";
        self.change_resource_record_sets()
            .hosted_zone_id(zone_id)
            .change_batch(batch)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(zone_id))?
            .change_info
            .ok_or_else(|| missing(OP, "ChangeInfo"))
    }

    async fn get_change(&self, change_id: &str) -> Result<ChangeInfo, AwsError> {
        const OP: &str = "GetChange";
        self.get_change()
            .id(change_id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(change_id))?
            .change_info
            .ok_or_else(|| missing(OP, "ChangeInfo"))
    }
}

/// Route53 finders, batched changes and the INSYNC waiter.
pub type Route53 = Service<dyn Route53Api>;

impl Route53 {
    /// The hosted zone (`Z123` or `/hostedzone/Z123`), or `None` when it does not exist.
    pub async fn find_hosted_zone_by_id(
        &self,
        zone_id: &str,
    ) -> Result<Option<HostedZone>, AwsError> {
        found(
            self.api("GetHostedZone")
                .await
                .get_hosted_zone(bare_zone_id(zone_id))
                .await,
        )
    }

    /// Every record of the zone.
    pub async fn list_records(&self, zone_id: &str) -> Result<Vec<ResourceRecordSet>, AwsError> {
        let zone_id = bare_zone_id(zone_id);
        all_pages(|start| async move {
            let page = self
                .api("ListResourceRecordSets")
                .await
                .list_resource_record_sets(zone_id, start, RECORDS_PAGE_SIZE)
                .await?;
            Ok((page.items, page.next))
        })
        .await
    }

    /// Applies groups of changes, each group atomically: groups are packed into as few
    /// ChangeResourceRecordSets calls as AWS's limits allow ([`plan_batches`]) and sent in
    /// order. Returns the change of each call, for [`Self::wait_change_insync`]. When a call
    /// fails, the calls before it stay applied and the ones after it are not sent.
    pub async fn change_records(
        &self,
        zone_id: &str,
        groups: &[Vec<Change>],
    ) -> Result<Vec<ChangeInfo>, AwsError> {
        let zone_id = bare_zone_id(zone_id);
        let mut changes = Vec::new();
        for batch in plan_batches(groups)? {
            let batch = ChangeBatch::builder()
                .set_changes(Some(batch))
                .build()
                .map_err(invalid_change)?;
            changes.push(
                self.api("ChangeResourceRecordSets")
                    .await
                    .change_resource_record_sets(zone_id, batch)
                    .await?,
            );
        }
        Ok(changes)
    }

    /// Waits until a change is `INSYNC` on every Route53 name server, polling every
    /// [`super::WaitSettings::change_poll`]; fails with [`ErrorKind::Timeout`] once
    /// `deadline` passes and [`ErrorKind::Cancelled`] when it is cancelled.
    pub async fn wait_change_insync(
        &self,
        change_id: &str,
        deadline: &Deadline,
    ) -> Result<ChangeInfo, AwsError> {
        let change_id = change_id.trim_start_matches("/change/");
        poll_until(
            "WaitChangeInsync",
            &format!("change {change_id} to be INSYNC"),
            self.waits.change_poll,
            deadline,
            || async {
                let info = self.api("GetChange").await.get_change(change_id).await?;
                Ok(if info.status == ChangeStatus::Insync {
                    Poll::Ready(info)
                } else {
                    Poll::Pending(info.status.as_str().to_string())
                })
            },
        )
        .await
    }
}

/// `Z123` from `/hostedzone/Z123`, as some APIs answer it.
pub fn bare_zone_id(zone_id: &str) -> &str {
    zone_id.trim_start_matches("/hostedzone/")
}

/// The changes that point `host` at a CloudFront distribution: an A alias record, and an
/// AAAA one when the distribution serves IPv6.
pub fn cloudfront_alias_changes(
    action: ChangeAction,
    host: &str,
    distribution_domain: &str,
    ipv6: bool,
) -> Result<Vec<Change>, AwsError> {
    let types: &[RrType] = if ipv6 {
        &[RrType::A, RrType::Aaaa]
    } else {
        &[RrType::A]
    };
    types
        .iter()
        .map(|record_type| {
            let target = AliasTarget::builder()
                .hosted_zone_id(CLOUDFRONT_HOSTED_ZONE_ID)
                .dns_name(distribution_domain)
                .evaluate_target_health(false)
                .build()
                .map_err(invalid_change)?;
            let record = ResourceRecordSet::builder()
                .name(host)
                .r#type(record_type.clone())
                .alias_target(target)
                .build()
                .map_err(invalid_change)?;
            Change::builder()
                .action(action.clone())
                .resource_record_set(record)
                .build()
                .map_err(invalid_change)
        })
        .collect()
}

/// A change the SDK refused to build.
pub fn invalid_change(e: aws_smithy_types::error::operation::BuildError) -> AwsError {
    AwsError::new(
        "ChangeResourceRecordSets",
        ErrorKind::InvalidInput,
        e.to_string(),
    )
}

/// What a change counts against AWS's per-call limits: (records, value characters).
fn change_cost(change: &Change) -> (usize, usize) {
    let values: Vec<&str> = change
        .resource_record_set
        .as_ref()
        .and_then(|r| r.resource_records.as_ref())
        .map(|records| records.iter().map(|r| r.value.as_str()).collect())
        .unwrap_or_default();
    let factor = if change.action == ChangeAction::Upsert {
        2
    } else {
        1
    };
    (
        values.len().max(1) * factor,
        values.iter().map(|v| v.len()).sum::<usize>() * factor,
    )
}

/// Packs groups of changes into batches under [`MAX_RECORDS_PER_BATCH`] and
/// [`MAX_VALUE_CHARS_PER_BATCH`], in order, never splitting a group. A group that alone
/// exceeds a limit is refused as [`ErrorKind::InvalidInput`].
pub fn plan_batches(groups: &[Vec<Change>]) -> Result<Vec<Vec<Change>>, AwsError> {
    let mut batches = Vec::new();
    let mut current: Vec<Change> = Vec::new();
    let (mut records, mut chars) = (0, 0);
    for group in groups.iter().filter(|g| !g.is_empty()) {
        let (group_records, group_chars) = group
            .iter()
            .map(change_cost)
            .fold((0, 0), |(r, c), (gr, gc)| (r + gr, c + gc));
        if group_records > MAX_RECORDS_PER_BATCH || group_chars > MAX_VALUE_CHARS_PER_BATCH {
            let name = group
                .first()
                .and_then(|c| c.resource_record_set.as_ref())
                .map(|r| r.name.clone())
                .unwrap_or_default();
            return Err(AwsError::new(
                "ChangeResourceRecordSets",
                ErrorKind::InvalidInput,
                format!(
                    "the changes for {name} count {group_records} records and {group_chars} characters; one call allows {MAX_RECORDS_PER_BATCH} and {MAX_VALUE_CHARS_PER_BATCH}"
                ),
            ));
        }
        if records + group_records > MAX_RECORDS_PER_BATCH
            || chars + group_chars > MAX_VALUE_CHARS_PER_BATCH
        {
            batches.push(std::mem::take(&mut current));
            records = 0;
            chars = 0;
        }
        current.extend(group.iter().cloned());
        records += group_records;
        chars += group_chars;
    }
    if !current.is_empty() {
        batches.push(current);
    }
    Ok(batches)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_route53::types::ResourceRecord;

    fn txt(action: ChangeAction, name: &str, values: &[String]) -> Change {
        let record = ResourceRecordSet::builder()
            .name(name)
            .r#type(RrType::Txt)
            .ttl(60)
            .set_resource_records(Some(
                values
                    .iter()
                    .map(|v| ResourceRecord::builder().value(v).build().unwrap())
                    .collect(),
            ))
            .build()
            .unwrap();
        Change::builder()
            .action(action)
            .resource_record_set(record)
            .build()
            .unwrap()
    }

    fn tenant(i: usize) -> Vec<Change> {
        cloudfront_alias_changes(
            ChangeAction::Create,
            &format!("t{i}.example.com"),
            "d111111abcdef8.cloudfront.net",
            true,
        )
        .unwrap()
    }

    fn sizes(batches: &[Vec<Change>]) -> Vec<usize> {
        batches.iter().map(Vec::len).collect()
    }

    #[test]
    fn groups_fill_batches_up_to_the_record_limit() {
        let groups: Vec<_> = (0..600).map(tenant).collect();
        let batches = plan_batches(&groups).unwrap();
        assert_eq!(sizes(&batches), vec![1000, 200]);
        // a tenant's A and AAAA stay together
        let groups: Vec<_> = (0..3).map(tenant).collect();
        let mut odd = groups.clone();
        odd.insert(
            0,
            vec![txt(ChangeAction::Create, "x.example.com", &["v".into()])],
        );
        let mut many: Vec<Vec<Change>> = vec![vec![txt(
            ChangeAction::Create,
            "y.example.com",
            &vec!["v".to_string(); 999],
        )]];
        many.extend(groups);
        let batches = plan_batches(&many).unwrap();
        assert_eq!(sizes(&batches), vec![1, 6]);
        assert_eq!(sizes(&plan_batches(&odd).unwrap()), vec![7]);
    }

    #[test]
    fn upserts_count_twice() {
        let groups: Vec<_> = (0..300)
            .map(|i| {
                cloudfront_alias_changes(
                    ChangeAction::Upsert,
                    &format!("t{i}.example.com"),
                    "d.cloudfront.net",
                    true,
                )
                .unwrap()
            })
            .collect();
        // 4 records per tenant: 250 tenants fill a batch
        assert_eq!(sizes(&plan_batches(&groups).unwrap()), vec![500, 100]);
    }

    #[test]
    fn the_character_limit_splits_too() {
        let value = "x".repeat(250);
        let groups: Vec<_> = (0..200)
            .map(|i| {
                vec![txt(
                    ChangeAction::Create,
                    &format!("t{i}.example.com"),
                    std::slice::from_ref(&value),
                )]
            })
            .collect();
        // 32,000 / 250 = 128 values per call
        assert_eq!(sizes(&plan_batches(&groups).unwrap()), vec![128, 72]);
    }

    #[test]
    fn a_group_over_a_limit_is_refused_and_empty_input_sends_nothing() {
        let big = vec![txt(
            ChangeAction::Upsert,
            "big.example.com",
            &vec!["v".to_string(); 501],
        )];
        let err = plan_batches(&[big]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.message().contains("big.example.com"), "{err}");
        assert!(plan_batches(&[]).unwrap().is_empty());
        assert!(plan_batches(&[vec![]]).unwrap().is_empty());
    }

    #[test]
    fn zone_ids_lose_their_prefix() {
        assert_eq!(bare_zone_id("/hostedzone/Z123"), "Z123");
        assert_eq!(bare_zone_id("Z123"), "Z123");
    }

    #[test]
    fn alias_changes_target_the_cloudfront_zone() {
        let changes = cloudfront_alias_changes(
            ChangeAction::Delete,
            "a.example.com",
            "d.cloudfront.net",
            false,
        )
        .unwrap();
        assert_eq!(changes.len(), 1);
        let record = changes[0].resource_record_set.as_ref().unwrap();
        assert_eq!(record.r#type, RrType::A);
        let target = record.alias_target.as_ref().unwrap();
        assert_eq!(target.hosted_zone_id, CLOUDFRONT_HOSTED_ZONE_ID);
        assert_eq!(target.dns_name, "d.cloudfront.net");
    }
}
