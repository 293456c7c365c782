//! Alias changes on a distribution, merged: every change requested while a read-modify-write
//! of that distribution is under way goes into the next one, so ten tenants created together
//! cost one or two writes, not ten. Within each write the changes are applied in order with
//! the cap ([`apply_alias_changes`]). A write starts from the configuration this process's
//! previous write left, without reading it again; other processes' writes are met by the ETag
//! (see [`CloudFront::update_distribution_config_from`]).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use aws_sdk_cloudfront::types::DistributionConfig;

use super::merge::{Merger, Pending};
use crate::aws::cloudfront::{to_aliases, Versioned};
use crate::aws::{AwsError, CloudFront, ErrorKind};
use crate::domain::aliases::{apply_alias_changes, AliasChange, AliasResult};

/// What became of a change.
#[derive(Clone, Debug)]
pub struct AliasOutcome {
    pub result: AliasResult,
}

type Answer = Result<AliasOutcome, AwsError>;

/// Per-distribution queues of alias changes: the one writer of tenants' aliases.
pub struct Aliases {
    cloudfront: CloudFront,
    merger: Merger<AliasChange, Answer>,
    /// The configuration and ETag each distribution had after this process's last alias
    /// write: the next write starts from it instead of a read (the ETag catches anyone
    /// else's change in between).
    written: Mutex<HashMap<String, Versioned<DistributionConfig>>>,
}

impl Aliases {
    pub fn new(cloudfront: CloudFront) -> Self {
        Self {
            cloudfront,
            merger: Merger::waiting_for_crowd(),
            written: Mutex::default(),
        }
    }

    /// Submits a change of `distribution_id`'s aliases and returns once it is written (merged
    /// with whatever else is queued for that distribution). It does not wait for the
    /// distribution to deploy (`gateway_edge_deployment` waits once for the whole edge).
    pub async fn submit(
        &self,
        distribution_id: &str,
        change: AliasChange,
    ) -> Result<AliasOutcome, AwsError> {
        let pace = self.cloudfront.turn("UpdateDistribution");
        self.merger
            .submit_in_turn(distribution_id, change, &pace, |batch| {
                self.write_batch(distribution_id, batch)
            })
            .await
            .unwrap_or_else(|| {
                Err(AwsError::new(
                    "UpdateDistribution",
                    ErrorKind::Other,
                    "the alias change was dropped",
                ))
            })
    }

    async fn write_batch(&self, id: &str, batch: Vec<Pending<AliasChange, Answer>>) {
        let changes: Vec<AliasChange> = batch.iter().map(|r| r.request.clone()).collect();
        tracing::debug!(
            distribution = id,
            changes = changes.len(),
            "writing alias changes"
        );
        match self.write(id, &changes).await {
            Ok(outcomes) => {
                for (request, outcome) in batch.into_iter().zip(outcomes) {
                    request.answer(Ok(outcome));
                }
            }
            // One bad alias (taken elsewhere, or over AWS's quota) must not fail the others:
            // write them one by one so each gets its own answer.
            Err(err)
                if batch.len() > 1
                    && matches!(err.kind(), ErrorKind::Conflict | ErrorKind::Quota) =>
            {
                for request in batch {
                    let result = self
                        .write(id, std::slice::from_ref(&request.request))
                        .await
                        .map(|mut outcomes| outcomes.remove(0));
                    request.answer(result);
                }
            }
            Err(err) => {
                for request in batch {
                    request.answer(Err(err.clone()));
                }
            }
        }
    }

    /// One read-modify-write applying `changes` in order.
    async fn write(
        &self,
        id: &str,
        changes: &[AliasChange],
    ) -> Result<Vec<AliasOutcome>, AwsError> {
        let mut results = Vec::new();
        // Only the distribution's queue writer is here: what it takes out, it puts back.
        let known = self.remembered().remove(id);
        let written = self
            .cloudfront
            .update_distribution_config_from(id, known, |config| {
                let current = config
                    .aliases
                    .as_ref()
                    .and_then(|a| a.items.clone())
                    .unwrap_or_default();
                let (next, outcome) = apply_alias_changes(&current, changes);
                results = outcome;
                match next {
                    Some(next) => {
                        config.aliases = Some(to_aliases(next)?);
                        Ok(true)
                    }
                    None => Ok(false),
                }
            })
            .await;
        match written {
            Ok(update) => {
                let left = Versioned {
                    value: update.config,
                    etag: update.etag,
                };
                self.remembered().insert(id.to_string(), left);
                Ok(results
                    .into_iter()
                    .map(|result| AliasOutcome { result })
                    .collect())
            }
            // AWS's own quota may be below the edge's cap: the distribution is full.
            Err(err)
                if err.kind() == ErrorKind::Quota
                    && matches!(changes, [AliasChange::Add { .. }]) =>
            {
                Ok(vec![AliasOutcome {
                    result: AliasResult::NoRoom { holds: usize::MAX },
                }])
            }
            Err(err) => Err(name_the_aliases(err, id, changes)),
        }
    }

    fn remembered(&self) -> MutexGuard<'_, HashMap<String, Versioned<DistributionConfig>>> {
        self.written.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// An alias taken by another distribution, or over AWS's quota, names the aliases being added.
fn name_the_aliases(err: AwsError, id: &str, changes: &[AliasChange]) -> AwsError {
    let added: Vec<&str> = changes
        .iter()
        .filter_map(|c| match c {
            AliasChange::Add { host, .. } => Some(host.as_str()),
            AliasChange::Remove { .. } => None,
        })
        .collect();
    match err.kind() {
        ErrorKind::Conflict | ErrorKind::Quota if !added.is_empty() => {
            let noun = if added.len() == 1 { "alias" } else { "aliases" };
            err.with_subject(format!("{id} ({noun} {})", added.join(", ")))
        }
        _ => err,
    }
}
