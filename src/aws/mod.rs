//! The AWS layer: clients built from the provider configuration, and one module per service
//! with its finders, mutations and waiters.
//!
//! - [`clients`]: [`AwsClients::connect`] — region, credentials (profile, shared files,
//!   assumed role), endpoints and retries from the provider block.
//! - [`cloudfront`], [`route53`], [`elbv2`]: a trait per service with one method per API
//!   operation (implemented by the SDK client, or by a fake in tests), and the operations the
//!   resources use on top of it. Finders return `Ok(None)` for objects that do not exist.
//! - [`error`]: [`AwsError`], which every call returns, classified by [`ErrorKind`].
//! - [`retry`] and [`wait`]: the SDK retry settings, the pause after a conflict, and the
//!   waiters' polling.

pub mod clients;
pub mod cloudfront;
pub mod elbv2;
pub mod error;
pub mod pace;
pub mod retry;
pub mod route53;
pub mod saas;
pub mod wait;

pub use clients::{AwsClients, CallerIdentity, ClientOptions};
pub use cloudfront::CloudFront;
pub use elbv2::Elbv2;
pub use error::{AwsError, ErrorKind};
pub use route53::Route53;
pub use wait::{Deadline, WaitSettings};

use pace::Pace;

use std::sync::Arc;

/// A service's finders, mutations and waiters over its API (`A`: the SDK client, or a fake in
/// tests), with the pauses of this layer's own loops. [`CloudFront`], [`Route53`] and
/// [`Elbv2`] are this over their `*Api` traits.
pub struct Service<A: ?Sized> {
    inner: Arc<A>,
    waits: WaitSettings,
    pace: Arc<Pace>,
}

impl<A: ?Sized> Service<A> {
    /// The operations over `api`, pausing as `waits` says, at any rate.
    pub fn new(api: Arc<A>, waits: WaitSettings) -> Self {
        Self {
            inner: api,
            waits,
            pace: Arc::new(Pace::unlimited()),
        }
    }

    /// The same, calling no faster than `limits` (times `scale`; see [`pace`]).
    pub fn with_limits(self, limits: pace::Limits, scale: u32) -> Self {
        Self {
            pace: Arc::new(Pace::new(limits, scale)),
            ..self
        }
    }

    /// Resolves once `operation` may be sent at the service's pace, taking nothing.
    pub async fn until_free(&self, operation: &str) {
        self.pace.until_free(operation).await;
    }

    /// `operation`'s pace, for a writer that merges requests and shares it with other writers.
    pub fn turn(&self, operation: &'static str) -> pace::Turn {
        pace::Turn::new(self.pace.clone(), operation)
    }

    /// The API, once `operation` may be sent at the service's pace.
    async fn api(&self, operation: &str) -> &A {
        self.pace.take(operation).await;
        &self.inner
    }

    /// Sleeps before retry number `attempt` after a lost optimistic-concurrency race.
    pub async fn conflict_pause(&self, attempt: u32) {
        retry::conflict_pause(attempt, &self.waits).await;
    }
}

impl<A: ?Sized> Clone for Service<A> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            waits: self.waits,
            pace: self.pace.clone(),
        }
    }
}

// By hand: the API client is not printed.
impl<A: ?Sized> std::fmt::Debug for Service<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(std::any::type_name::<A>())
            .field("waits", &self.waits)
            .finish_non_exhaustive()
    }
}

/// One page of a listing: its items, and where the next page starts (`None` on the last).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T, M = String> {
    pub items: Vec<T>,
    pub next: Option<M>,
}

/// Every item of a paged listing. `page` fetches the page after `marker` (the first page for
/// `None`) and answers its items and the marker of the next page, `None` on the last one.
pub(crate) async fn all_pages<T, M, F, Fut>(mut page: F) -> Result<Vec<T>, AwsError>
where
    F: FnMut(Option<M>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<M>), AwsError>>,
{
    let mut items = Vec::new();
    let mut marker = None;
    loop {
        let (mut batch, next) = page(marker).await?;
        items.append(&mut batch);
        match next {
            Some(next) => marker = Some(next),
            None => return Ok(items),
        }
    }
}

/// A finder's answer: "not found" becomes `None`, other errors stay errors.
pub(crate) fn found<T>(result: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.is_not_found() => Ok(None),
        Err(err) => Err(err),
    }
}

/// An answer that lacks a field the API always sends.
pub(crate) fn missing(operation: &str, field: &str) -> AwsError {
    AwsError::new(
        operation,
        ErrorKind::Other,
        format!("AWS answered without {field}"),
    )
}
