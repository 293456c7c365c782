//! Alias changes on a distribution, merged: every change requested while a read-modify-write of
//! that distribution is under way goes into the next one, so ten tenants created together cost
//! two ETag cycles, not ten. Other processes' writes are handled by the ETag retry below.

use std::time::Duration;

use futures::future::{BoxFuture, FutureExt, Shared};
use tokio_util::sync::CancellationToken;

use super::merge::{Merger, Pending};
use super::normalize_host;
use crate::aws::cloudfront::to_aliases;
use crate::aws::{AwsError, CloudFront, ErrorKind};

/// One requested change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AliasChange {
    /// Add the host, unless the distribution already holds `cap` aliases.
    Add {
        host: String,
        cap: usize,
    },
    Remove {
        host: String,
    },
}

/// What became of a change.
#[derive(Clone)]
pub enum AliasOutcome {
    /// The alias was added (or was already there).
    Added { wait: Option<DeployWait> },
    /// The alias was removed (or was already gone).
    Removed { wait: Option<DeployWait> },
    /// The distribution is full: allocate elsewhere.
    NoRoom { holds: usize },
}

/// A wait for a distribution to deploy, shared by every tenant changed in the same update.
pub type DeployWait = Shared<BoxFuture<'static, Result<(), String>>>;

type Request = Pending<AliasChange, Result<AliasOutcome, AwsError>>;

/// Per-distribution queues of alias changes.
#[derive(Default)]
pub struct Batcher {
    merger: Merger<AliasChange, Result<AliasOutcome, AwsError>>,
}

/// How a batch should wait for deployment.
#[derive(Clone)]
pub struct WaitPolicy {
    pub wait: bool,
    pub timeout: Duration,
    pub cancel: CancellationToken,
}

impl Batcher {
    /// Submits a change of `distribution_id`'s aliases and returns once it is written (merged
    /// with whatever else is queued for that distribution).
    pub async fn submit(
        &self,
        cloudfront: &CloudFront,
        distribution_id: &str,
        change: AliasChange,
        policy: &WaitPolicy,
    ) -> Result<AliasOutcome, AwsError> {
        self.merger
            .submit(distribution_id, change, |batch| {
                run_batch(cloudfront, distribution_id, batch, policy)
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
}

async fn run_batch(cloudfront: &CloudFront, id: &str, batch: Vec<Request>, policy: &WaitPolicy) {
    let changes: Vec<AliasChange> = batch.iter().map(|r| r.request.clone()).collect();
    tracing::debug!(
        distribution = id,
        changes = changes.len(),
        "writing alias changes"
    );
    match write(cloudfront, id, &changes, policy).await {
        Ok(outcomes) => {
            for (request, outcome) in batch.into_iter().zip(outcomes) {
                request.answer(Ok(outcome));
            }
        }
        // One bad alias (taken elsewhere, or over AWS's quota) must not fail the others: write
        // them one by one so each gets its own answer.
        Err(err)
            if batch.len() > 1 && matches!(err.kind(), ErrorKind::Conflict | ErrorKind::Quota) =>
        {
            for request in batch {
                let result = write(
                    cloudfront,
                    id,
                    std::slice::from_ref(&request.request),
                    policy,
                )
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
    cloudfront: &CloudFront,
    id: &str,
    changes: &[AliasChange],
    policy: &WaitPolicy,
) -> Result<Vec<AliasOutcome>, AwsError> {
    let mut outcomes: Vec<Option<AliasOutcome>> = vec![None; changes.len()];
    let result = cloudfront
        .update_distribution_config(id, |config| {
            let current: Vec<String> = config
                .aliases
                .as_ref()
                .and_then(|a| a.items.clone())
                .unwrap_or_default();
            let mut next = current.clone();
            for (i, change) in changes.iter().enumerate() {
                outcomes[i] = Some(match change {
                    AliasChange::Add { host, cap } => {
                        if next.iter().any(|a| normalize_host(a) == *host) {
                            AliasOutcome::Added { wait: None }
                        } else if next.len() >= *cap {
                            AliasOutcome::NoRoom { holds: next.len() }
                        } else {
                            next.push(host.clone());
                            AliasOutcome::Added { wait: None }
                        }
                    }
                    AliasChange::Remove { host } => {
                        next.retain(|a| normalize_host(a) != *host);
                        AliasOutcome::Removed { wait: None }
                    }
                });
            }
            if next == current {
                return Ok(false);
            }
            config.aliases = Some(to_aliases(next)?);
            Ok(true)
        })
        .await;
    if let Err(err) = result {
        // AWS's own quota may be below the edge's cap: the distribution is full.
        if err.kind() == ErrorKind::Quota && matches!(changes, [AliasChange::Add { .. }]) {
            return Ok(vec![AliasOutcome::NoRoom { holds: usize::MAX }]);
        }
        return Err(err);
    }
    // Waited for even when nothing had to change: an earlier attempt whose answer was lost,
    // or another run, may have made the change moments ago. A deployed distribution answers
    // the first read.
    let wait = policy.wait.then(|| deploy_wait(cloudfront, id, policy));
    Ok(outcomes
        .into_iter()
        .map(|o| match o.expect("every change has an outcome") {
            AliasOutcome::Added { .. } => AliasOutcome::Added { wait: wait.clone() },
            AliasOutcome::Removed { .. } => AliasOutcome::Removed { wait: wait.clone() },
            full => full,
        })
        .collect())
}

fn deploy_wait(cloudfront: &CloudFront, id: &str, policy: &WaitPolicy) -> DeployWait {
    let cloudfront = cloudfront.clone();
    let id = id.to_string();
    let policy = policy.clone();
    async move {
        cloudfront
            .wait_distribution_deployed(&id, policy.timeout, &policy.cancel)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
    .boxed()
    .shared()
}
