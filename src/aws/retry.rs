//! Retries. Throttling and 5xx answers are retried by the SDK's standard retry strategy
//! ([`sdk_retry_config`]); this layer retries only the conflicts of optimistic concurrency
//! (a stale ETag, a rule priority taken meanwhile) after refreshing what it read, pausing
//! with a jittered delay ([`conflict_delay`]) between attempts.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

use aws_sdk_cloudfront::config::retry::{RetryPartition, TokenBucket};
use aws_smithy_types::retry::RetryConfig;

use super::wait::WaitSettings;

/// Retries after the first attempt when the provider configuration sets none; the AWS
/// provider's default.
pub const DEFAULT_MAX_RETRIES: u32 = 25;
/// First delay of the SDK's exponential backoff for throttled and failed calls.
pub const SDK_RETRY_INITIAL_BACKOFF: Duration = Duration::from_secs(1);
/// Cap of the SDK's backoff.
pub const SDK_RETRY_MAX_BACKOFF: Duration = Duration::from_secs(20);

/// The backoff of the SDK's standard retry strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdkBackoff {
    /// First delay (jittered, doubling per attempt).
    pub initial: Duration,
    /// Cap of the delay.
    pub max: Duration,
}

impl Default for SdkBackoff {
    fn default() -> Self {
        Self {
            initial: SDK_RETRY_INITIAL_BACKOFF,
            max: SDK_RETRY_MAX_BACKOFF,
        }
    }
}

/// A retry partition (the scope of the SDK's retry quota) of its own for one client, whose
/// retries are never refused for want of quota. The standard strategy otherwise gives each
/// service one bucket of 500 tokens per process and takes 5-10 of them for good per call that
/// needed several retries: a large apply that AWS throttles for a while empties it, and from
/// then on calls fail at the first throttle although `max_retries` allows more. Retries stay
/// bounded by `max_retries` and spaced by the backoff.
pub fn unlimited_retry_partition(name: &'static str) -> RetryPartition {
    RetryPartition::custom(name)
        .token_bucket(TokenBucket::unlimited())
        .build()
}

/// The SDK's standard retry mode with `max_retries` retries after the first attempt.
pub fn sdk_retry_config(max_retries: Option<u32>, backoff: SdkBackoff) -> RetryConfig {
    let retries = max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
    RetryConfig::standard()
        .with_max_attempts(retries.saturating_add(1))
        .with_initial_backoff(backoff.initial)
        .with_max_backoff(backoff.max)
}

/// The pause before retry number `attempt` (1 = the first retry) after a conflict: "full
/// jitter", a random delay up to `base * 2^(attempt-1)`, capped, so that writers that
/// collided once do not collide again in lockstep.
pub fn conflict_delay(attempt: u32, settings: &WaitSettings) -> Duration {
    let exponent = attempt.saturating_sub(1).min(16);
    let ceiling = settings
        .conflict_backoff
        .saturating_mul(1u32 << exponent)
        .min(settings.conflict_backoff_max);
    ceiling.mul_f64(random_fraction())
}

/// Sleeps for [`conflict_delay`].
pub(crate) async fn conflict_pause(attempt: u32, settings: &WaitSettings) {
    tokio::time::sleep(conflict_delay(attempt, settings)).await;
}

/// A number in [0, 1) that differs between calls, without a random-number dependency:
/// every `RandomState` is seeded differently.
fn random_fraction() -> f64 {
    let mut hasher = RandomState::new().build_hasher();
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    hasher.write_u128(now.as_nanos());
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_delays_grow_and_stay_under_the_cap() {
        let settings = WaitSettings {
            conflict_backoff: Duration::from_millis(100),
            conflict_backoff_max: Duration::from_millis(700),
            ..WaitSettings::default()
        };
        for _ in 0..200 {
            assert!(conflict_delay(1, &settings) < Duration::from_millis(100));
            assert!(conflict_delay(3, &settings) < Duration::from_millis(400));
            assert!(conflict_delay(30, &settings) < Duration::from_millis(700));
        }
        let distinct: std::collections::HashSet<Duration> =
            (0..50).map(|_| conflict_delay(4, &settings)).collect();
        assert!(distinct.len() > 10, "delays are not jittered: {distinct:?}");
    }

    #[test]
    fn sdk_retries_count_after_the_first_attempt() {
        let config = sdk_retry_config(Some(3), SdkBackoff::default());
        assert_eq!(config.max_attempts(), 4);
        assert_eq!(config.initial_backoff(), SDK_RETRY_INITIAL_BACKOFF);
        let config = sdk_retry_config(None, SdkBackoff::default());
        assert_eq!(config.max_attempts(), DEFAULT_MAX_RETRIES + 1);
        let config = sdk_retry_config(Some(0), SdkBackoff::default());
        assert_eq!(config.max_attempts(), 1);
    }
}
