//! Route53 changes merged per hosted zone. Route53 accepts five calls per second per account,
//! so tenants created or deleted together must not cost one ChangeResourceRecordSets each: the
//! changes requested while a call for the zone is under way go into the next call, and the
//! tenants of one call share one wait for it to be in sync.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_route53::types::{Change, ChangeInfo};
use futures::future::{BoxFuture, FutureExt, Shared};
use tokio_util::sync::CancellationToken;

use super::merge::{Merger, Pending};
use crate::aws::route53::plan_batches;
use crate::aws::{missing, AwsError, ErrorKind, Route53};

/// A wait for a change to be `INSYNC`, shared by every tenant whose records it carries.
type SyncWait = Shared<BoxFuture<'static, Result<(), AwsError>>>;

type Request = Pending<Vec<Change>, Result<ChangeInfo, AwsError>>;

/// Per-zone queues of record changes, and the waits for the calls made.
#[derive(Default)]
pub struct ChangeBatcher {
    merger: Merger<Vec<Change>, Result<ChangeInfo, AwsError>>,
    waits: Mutex<HashMap<String, SyncWait>>,
}

impl ChangeBatcher {
    /// Applies `changes` to the zone atomically, in one call with whatever else is queued for
    /// the zone. Each request stays atomic on its own: when the merged call is refused, each
    /// request is sent alone and gets its own answer.
    pub async fn submit(
        &self,
        route53: &Route53,
        zone_id: &str,
        changes: Vec<Change>,
    ) -> Result<ChangeInfo, AwsError> {
        self.merger
            .submit(zone_id, changes, |batch| run_batch(route53, zone_id, batch))
            .await
            .unwrap_or_else(|| {
                Err(AwsError::new(
                    "ChangeResourceRecordSets",
                    ErrorKind::Other,
                    "the record change was dropped",
                ))
            })
    }

    /// Waits until the change is `INSYNC`. Callers waiting for the same change share one
    /// poll, bounded by the first caller's `timeout` and `cancel`.
    pub async fn wait_insync(
        &self,
        route53: &Route53,
        change_id: &str,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<(), AwsError> {
        let wait = {
            let mut waits = self.waits.lock().unwrap_or_else(|e| e.into_inner());
            waits
                .entry(change_id.to_string())
                .or_insert_with(|| {
                    let route53 = route53.clone();
                    let id = change_id.to_string();
                    let cancel = cancel.clone();
                    async move {
                        route53
                            .wait_change_insync(&id, timeout, &cancel)
                            .await
                            .map(|_| ())
                    }
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

async fn run_batch(route53: &Route53, zone_id: &str, batch: Vec<Request>) {
    if batch.len() > 1 {
        let groups: Vec<Vec<Change>> = batch.iter().map(|r| r.request.clone()).collect();
        // Merged only when it fits one call; each request is atomic, so the call must be too.
        if plan_batches(&groups).is_ok_and(|calls| calls.len() == 1) {
            tracing::debug!(
                zone = zone_id,
                requests = batch.len(),
                "writing merged record changes"
            );
            match route53.change_records(zone_id, &groups).await {
                Ok(mut infos) => {
                    let info = infos.pop().ok_or_else(no_change_info);
                    for request in batch {
                        request.answer(info.clone());
                    }
                    return;
                }
                // One request's change is refused, and with it the whole call: send each
                // alone so that the others go through and the refused one learns why.
                Err(err) if matches!(err.kind(), ErrorKind::Conflict | ErrorKind::InvalidInput) => {
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
        request.answer(result);
    }
}

fn no_change_info() -> AwsError {
    missing("ChangeResourceRecordSets", "ChangeInfo")
}
