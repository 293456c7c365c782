//! Keeping inside AWS's request rates instead of running into them: a token bucket per class
//! of call, waited on before each call. A throttled call costs a retry with backoff, and a
//! burst of throttles slows a large apply more than an even pace does; Route53 in particular
//! allows five requests per second per account.
//!
//! The rates are a little under AWS's (Route53's 4 a second in all, changes and reads): Route53's is documented; ELBv2 documents token buckets
//! per account and region (its read bucket holds 40 and refills at 10 a second; the mutating
//! ones are smaller and not quantified); CloudFront publishes none, and users report about one
//! distribution change a second. Several Terraform processes of one account each keep their
//! own pace, and what they add up to beyond AWS's limits is retried by the SDK.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A rate: `per_second` calls on average, at most `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

/// Which calls a rate applies to: an operation (`CreateRule`), a prefix (`Describe*`), or
/// every call of the service (`*`). The most specific rule of a call applies.
pub type Limits = &'static [(&'static str, Rate)];

/// Route53: 5 requests per second per account, documented; changes spaced (one at a time, so
/// that the records of the tenants made meanwhile go into the next one), reads with the rest.
pub const ROUTE53: Limits = &[
    (
        "ChangeResourceRecordSets",
        Rate {
            per_second: 1.5,
            burst: 1.0,
        },
    ),
    (
        "*",
        Rate {
            per_second: 2.5,
            burst: 2.0,
        },
    ),
];

/// ELBv2: reads from a bucket of 40 refilled at 10 a second, as documented; changes from a
/// smaller one.
pub const ELBV2: Limits = &[
    (
        "Describe*",
        Rate {
            per_second: 8.0,
            burst: 20.0,
        },
    ),
    (
        "*",
        Rate {
            per_second: 4.0,
            burst: 10.0,
        },
    ),
];

/// CloudFront: changes to distributions about once a second, everything else ten a second.
/// Updates are spaced, one at a time: every update restarts a distribution's deployment, and
/// the aliases of the tenants made meanwhile go into the next one.
pub const CLOUDFRONT: Limits = &[
    (
        "CreateDistribution*",
        Rate {
            per_second: 0.8,
            burst: 3.0,
        },
    ),
    (
        "UpdateDistribution",
        Rate {
            per_second: 0.8,
            burst: 1.0,
        },
    ),
    (
        "DeleteDistribution",
        Rate {
            per_second: 0.8,
            burst: 3.0,
        },
    ),
    (
        "*",
        Rate {
            per_second: 8.0,
            burst: 10.0,
        },
    ),
];

/// The buckets of one service's calls.
#[derive(Debug)]
pub struct Pace {
    buckets: Vec<(&'static str, Rate, Mutex<Bucket>)>,
}

#[derive(Debug)]
struct Bucket {
    /// May go below zero: callers reserve tokens ahead and sleep until theirs is due.
    tokens: f64,
    at: Instant,
    /// A token claimed ahead of its call ([`Pace::claim`]): the next call spends it.
    claimed: bool,
}

impl Pace {
    /// No pacing at all.
    pub fn unlimited() -> Self {
        Self {
            buckets: Vec::new(),
        }
    }

    /// `limits`, every rate multiplied by `scale` (an emulator running AWS's time faster);
    /// a scale of 0 paces nothing.
    pub fn new(limits: Limits, scale: u32) -> Self {
        if scale == 0 {
            return Self::unlimited();
        }
        let now = Instant::now();
        Self {
            buckets: limits
                .iter()
                .map(|(pattern, rate)| {
                    let rate = Rate {
                        per_second: rate.per_second * f64::from(scale),
                        burst: rate.burst,
                    };
                    let bucket = Bucket {
                        tokens: rate.burst,
                        at: now,
                        claimed: false,
                    };
                    (*pattern, rate, Mutex::new(bucket))
                })
                .collect(),
        }
    }

    /// Waits until `operation` may be sent.
    pub async fn take(&self, operation: &str) {
        let wait = self.reserve(operation, Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Waits until `operation` could be sent without waiting, without taking its token: a
    /// writer that merges requests gathers them meanwhile, then sends them in one call.
    pub async fn until_free(&self, operation: &str) {
        loop {
            let wait = self.due(operation, Instant::now());
            if wait.is_zero() {
                return;
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Takes `operation`'s next token now, for a call to be sent a little later: the next call
    /// of `operation` spends it instead of waiting for one of its own. Between the two, the
    /// bucket is one token lower, so other writers waiting for it to be free keep waiting.
    /// A token claimed and never spent (the call turned out not to be needed) is dropped by
    /// the next claim: claims never add up to a burst.
    pub fn claim(&self, operation: &str) {
        self.claim_at(operation, Instant::now());
    }

    fn claim_at(&self, operation: &str, now: Instant) {
        let Some((_, rate, bucket)) = self.rule(operation) else {
            return;
        };
        let mut bucket = bucket.lock().unwrap_or_else(|e| e.into_inner());
        bucket.tokens = bucket.tokens_at(rate, now) - 1.0;
        bucket.at = now;
        bucket.claimed = true;
    }

    /// How long until `operation`'s bucket holds a whole token, at `now`.
    fn due(&self, operation: &str, now: Instant) -> Duration {
        let Some((_, rate, bucket)) = self.rule(operation) else {
            return Duration::ZERO;
        };
        let bucket = bucket.lock().unwrap_or_else(|e| e.into_inner());
        wait_for(bucket.tokens_at(rate, now) - 1.0, rate)
    }

    fn rule(&self, operation: &str) -> Option<&(&'static str, Rate, Mutex<Bucket>)> {
        self.buckets
            .iter()
            .filter(|(pattern, _, _)| matches(pattern, operation))
            .max_by_key(|(pattern, _, _)| specificity(pattern))
    }

    /// Takes a token of `operation`'s bucket at `now`; answers how long to wait for it.
    fn reserve(&self, operation: &str, now: Instant) -> Duration {
        let Some((_, rate, bucket)) = self.rule(operation) else {
            return Duration::ZERO;
        };
        let mut bucket = bucket.lock().unwrap_or_else(|e| e.into_inner());
        if std::mem::take(&mut bucket.claimed) {
            return Duration::ZERO;
        }
        bucket.tokens = bucket.tokens_at(rate, now) - 1.0;
        bucket.at = now;
        wait_for(bucket.tokens, rate)
    }
}

/// One operation's pace as a writer that merges requests meets it: it waits until a call
/// could go ([`Turn::free`]), lets its queue gather, and sends the call. A writer that shares
/// the pace with writers of other objects claims the call's token before gathering
/// ([`Turn::claim`]), so that the others wait for the next token instead of each taking one
/// ahead and sleeping on a request list that no longer grows.
#[derive(Clone, Debug)]
pub struct Turn {
    pace: Arc<Pace>,
    operation: &'static str,
}

impl Turn {
    pub fn new(pace: Arc<Pace>, operation: &'static str) -> Self {
        Self { pace, operation }
    }

    /// Resolves once the operation could be sent without waiting.
    pub async fn free(&self) {
        self.pace.until_free(self.operation).await;
    }

    /// Takes the operation's next token for the call about to be sent (see [`Pace::claim`]).
    pub fn claim(&self) {
        self.pace.claim(self.operation);
    }
}

impl Bucket {
    /// The tokens the bucket holds at `now`, refilled at `rate` since it was last drawn from.
    fn tokens_at(&self, rate: &Rate, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        (self.tokens + elapsed * rate.per_second).min(rate.burst)
    }
}

/// How long until a bucket left with `tokens` (below zero: owed) is even again at `rate`.
fn wait_for(tokens: f64, rate: &Rate) -> Duration {
    if tokens >= 0.0 {
        Duration::ZERO
    } else {
        Duration::from_secs_f64(-tokens / rate.per_second)
    }
}

fn matches(pattern: &str, operation: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => operation.starts_with(prefix),
        None => pattern == operation,
    }
}

/// An exact operation before the longest prefix before `*`.
fn specificity(pattern: &str) -> (bool, usize) {
    (!pattern.ends_with('*'), pattern.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_beyond_the_burst_are_spaced_by_the_rate() {
        let pace = Pace::new(ROUTE53, 1);
        let start = Instant::now();
        let waits: Vec<Duration> = (0..6).map(|_| pace.reserve("GetChange", start)).collect();
        assert!(waits[..2].iter().all(|w| w.is_zero()), "{waits:?}");
        // Then one every 0.4 s (2.5 a second), queued in order.
        for (i, wait) in waits[2..].iter().enumerate() {
            let expected = 0.4 * (i + 1) as f64;
            assert!((wait.as_secs_f64() - expected).abs() < 1e-9, "{waits:?}");
        }
        // After a second of quiet, a second's worth of tokens is back (the queue paid first).
        let later = start + Duration::from_secs(3);
        assert!(pace.reserve("ChangeResourceRecordSets", later).is_zero());
    }

    #[test]
    fn due_tells_when_a_token_is_back_without_taking_it() {
        let pace = Pace::new(ROUTE53, 1);
        let now = Instant::now();
        for _ in 0..2 {
            assert!(pace.due("GetChange", now).is_zero());
            pace.reserve("GetChange", now);
        }
        let due = pace.due("GetChange", now);
        assert!((due.as_secs_f64() - 0.4).abs() < 1e-9, "{due:?}");
        assert_eq!(pace.due("GetChange", now), due, "asking takes nothing");
        assert!(pace.due("GetChange", now + due).is_zero());
    }

    #[test]
    fn the_most_specific_rule_applies_and_its_bucket_only() {
        let pace = Pace::new(CLOUDFRONT, 1);
        let now = Instant::now();
        assert!(pace.reserve("UpdateDistribution", now).is_zero());
        assert!(
            !pace.reserve("UpdateDistribution", now).is_zero(),
            "one at a time"
        );
        assert!(
            pace.reserve("GetDistribution", now).is_zero(),
            "another bucket"
        );
        assert!(pace.reserve("CreateDistributionWithTags", now).is_zero());
        assert!(matches("Describe*", "DescribeRules") && !matches("Describe*", "CreateRule"));
    }

    #[test]
    fn a_claimed_token_holds_the_others_back_and_is_spent_by_the_next_call() {
        let pace = Pace::new(CLOUDFRONT, 1);
        let now = Instant::now();
        assert!(pace.due("UpdateDistribution", now).is_zero());
        pace.claim_at("UpdateDistribution", now);
        let due = pace.due("UpdateDistribution", now);
        assert!((due.as_secs_f64() - 1.25).abs() < 1e-9, "{due:?}");
        assert!(
            pace.reserve("UpdateDistribution", now).is_zero(),
            "the claimed token"
        );
        let next = pace.reserve("UpdateDistribution", now);
        assert!((next.as_secs_f64() - 1.25).abs() < 1e-9, "{next:?}");
        // A claim never spent is dropped by the next one: two claims, one free call.
        let later = now + Duration::from_secs(10);
        pace.claim_at("UpdateDistribution", later);
        pace.claim_at("UpdateDistribution", later);
        assert!(pace.reserve("UpdateDistribution", later).is_zero());
        assert!(!pace.reserve("UpdateDistribution", later).is_zero());
    }

    #[test]
    fn scales_multiply_the_rates_and_zero_paces_nothing() {
        let now = Instant::now();
        let fast = Pace::new(ROUTE53, 10);
        let waits: Vec<Duration> = (0..3).map(|_| fast.reserve("GetChange", now)).collect();
        assert!((waits[2].as_secs_f64() - 0.04).abs() < 1e-9, "{waits:?}");
        let none = Pace::new(ROUTE53, 0);
        assert!((0..100).all(|_| none.reserve("GetChange", now).is_zero()));
    }
}
