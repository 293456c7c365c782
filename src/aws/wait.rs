//! Polling until AWS reports a state, bounded by a timeout and cancellable.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::error::{AwsError, ErrorKind};

/// How often `wait_distribution_deployed` reads the distribution. A change takes minutes to
/// deploy; reading more often only spends API quota.
pub const DISTRIBUTION_POLL_INTERVAL: Duration = Duration::from_secs(15);
/// How often `wait_change_insync` reads a Route53 change; changes usually sync within a minute.
pub const CHANGE_POLL_INTERVAL: Duration = Duration::from_secs(5);
/// First pause after a lost optimistic-concurrency race (stale ETag, priority taken).
pub const CONFLICT_BACKOFF: Duration = Duration::from_millis(250);
/// Longest pause between two attempts after lost races.
pub const CONFLICT_BACKOFF_MAX: Duration = Duration::from_secs(5);

/// The pauses of this layer's own loops: waiter polls and retries after conflicts.
/// The defaults are the named constants above; tests against an emulator shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitSettings {
    /// Between two reads of a deploying distribution.
    pub distribution_poll: Duration,
    /// Between two reads of a pending Route53 change.
    pub change_poll: Duration,
    /// Base of the jittered exponential backoff after a conflict.
    pub conflict_backoff: Duration,
    /// Cap of that backoff.
    pub conflict_backoff_max: Duration,
}

impl Default for WaitSettings {
    fn default() -> Self {
        Self {
            distribution_poll: DISTRIBUTION_POLL_INTERVAL,
            change_poll: CHANGE_POLL_INTERVAL,
            conflict_backoff: CONFLICT_BACKOFF,
            conflict_backoff_max: CONFLICT_BACKOFF_MAX,
        }
    }
}

/// How long a wait may last and what ends it early, passed as one value to every waiter: a
/// point in time (so that successive waits of one operation share its budget), Terraform's
/// cancellation, and the setting the user can raise (`timeouts.create`), named in the error.
#[derive(Debug, Clone)]
pub struct Deadline {
    at: Instant,
    timeout: Duration,
    cancel: CancellationToken,
    setting: &'static str,
}

impl Deadline {
    /// A deadline `timeout` from now, ended early by `cancel`; `setting` names where the user
    /// sets `timeout`.
    pub fn after(timeout: Duration, cancel: CancellationToken, setting: &'static str) -> Self {
        Self {
            at: Instant::now() + timeout,
            timeout,
            cancel,
            setting,
        }
    }

    /// Time left until the deadline (zero once it passed).
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// True once the deadline passed.
    pub fn passed(&self) -> bool {
        Instant::now() >= self.at
    }

    /// Cancelled when Terraform asks the provider to stop.
    pub fn cancel(&self) -> &CancellationToken {
        &self.cancel
    }

    /// What a timeout error says: the duration and the setting that gave it.
    pub fn describe(&self) -> String {
        format!("{:?} ({})", self.timeout, self.setting)
    }
}

/// One read of a waiter.
pub(crate) enum Poll<T> {
    /// The awaited state is reached.
    Ready(T),
    /// Not yet; the state observed, for the timeout message.
    Pending(String),
}

/// Calls `poll` every `interval` until it is ready, fails, the deadline passes or is
/// cancelled. `operation` names the waiter and `what` the awaited state in errors
/// (`distribution E123 to be Deployed`).
pub(crate) async fn poll_until<T, F, Fut>(
    operation: &str,
    what: &str,
    interval: Duration,
    deadline: &Deadline,
    mut poll: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, AwsError>>,
{
    let timed_out = |last: &Option<String>| {
        let seen = last
            .as_deref()
            .map(|s| format!(" (last status {s})"))
            .unwrap_or_default();
        AwsError::new(
            operation,
            ErrorKind::Timeout,
            format!(
                "timed out after {} waiting for {what}{seen}",
                deadline.describe()
            ),
        )
    };
    let cancelled = || {
        AwsError::new(
            operation,
            ErrorKind::Cancelled,
            format!("cancelled while waiting for {what}"),
        )
    };
    let cancel = deadline.cancel();
    let mut last = None;
    loop {
        let outcome = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(cancelled()),
            _ = tokio::time::sleep_until(deadline.at) => return Err(timed_out(&last)),
            outcome = poll() => outcome?,
        };
        match outcome {
            Poll::Ready(value) => return Ok(value),
            Poll::Pending(state) => last = Some(state),
        }
        if deadline.passed() {
            return Err(timed_out(&last));
        }
        let pause = interval.min(deadline.remaining());
        tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(cancelled()),
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn deadline(timeout: Duration, cancel: CancellationToken) -> Deadline {
        Deadline::after(timeout, cancel, "timeouts.create")
    }

    #[tokio::test]
    async fn polls_until_ready() {
        let reads = AtomicU32::new(0);
        let value = poll_until(
            "Wait",
            "x",
            Duration::from_millis(5),
            &deadline(Duration::from_secs(10), CancellationToken::new()),
            || async {
                let n = reads.fetch_add(1, Ordering::SeqCst);
                Ok(if n < 2 {
                    Poll::Pending("InProgress".into())
                } else {
                    Poll::Ready(n)
                })
            },
        )
        .await
        .unwrap();
        assert_eq!(value, 2);
        assert_eq!(reads.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn times_out_naming_the_last_state() {
        let err = poll_until::<(), _, _>(
            "WaitThing",
            "thing to be Ready",
            Duration::from_millis(10),
            &deadline(Duration::from_millis(60), CancellationToken::new()),
            || async { Ok(Poll::Pending("InProgress".into())) },
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout);
        assert_eq!(err.operation(), "WaitThing");
        assert!(
            err.message()
                .contains("thing to be Ready (last status InProgress)")
                && err.message().contains("(timeouts.create)"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn stops_when_cancelled() {
        let cancel = CancellationToken::new();
        let trigger = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(70)).await;
            trigger.cancel();
        });
        let started = Instant::now();
        let err = poll_until::<(), _, _>(
            "Wait",
            "x",
            Duration::from_millis(10),
            &deadline(Duration::from_secs(3600), cancel.clone()),
            || async { Ok(Poll::Pending("PENDING".into())) },
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Cancelled);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_failed_read_ends_the_wait() {
        let err = poll_until::<(), _, _>(
            "Wait",
            "x",
            Duration::from_millis(5),
            &deadline(Duration::from_secs(10), CancellationToken::new()),
            || async { Err(AwsError::new("GetChange", ErrorKind::NotFound, "gone")) },
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }
}
