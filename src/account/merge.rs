//! Requests on one AWS object merged into one write: every request made while a write to that
//! object (a distribution, a hosted zone) is under way goes into the next write. Whoever gets
//! the object's turn writes everything queued so far; the others find their answer waiting.
//!
//! Terraform starts the tenants of a wave one after another, tens of milliseconds apart when
//! it holds many resources, and they reach each step close together. So that the first of
//! them does not write alone, the writer lets the queue gather until no request has joined
//! for a while (the quiet) or the gathering's limit has passed. Both follow what the previous
//! write to the same object took, which is what waiting saves: a quarter of it at most
//! ([`GATHER_SHARE`]), never less than [`GATHER_FLOOR`] nor more than [`GATHER_CEILING`], the
//! quiet a quarter of that, between [`QUIET_FLOOR`] and [`QUIET_CEILING`]. Against AWS, the
//! write after a second-long UpdateDistribution gathers for up to 250 ms; after an 80 ms rule
//! write, for 40 ms.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

/// The share of the previous write's time a writer lets its queue gather at most.
pub const GATHER_SHARE: u32 = 4;
/// The gathering limit of a writer whose writes are quick (or who has not written yet).
pub const GATHER_FLOOR: Duration = Duration::from_millis(40);
/// The longest a writer lets its queue gather.
pub const GATHER_CEILING: Duration = Duration::from_millis(250);
/// The shortest quiet that ends a gathering.
pub const QUIET_FLOOR: Duration = Duration::from_millis(4);
/// The longest quiet that ends a gathering.
pub const QUIET_CEILING: Duration = Duration::from_millis(25);

/// How long a writer lets its queue gather, and how long a quiet ends it, after a write to
/// the same object took `last_write`.
pub fn gathering(last_write: Duration) -> (Duration, Duration) {
    let at_most = (last_write / GATHER_SHARE).clamp(GATHER_FLOOR, GATHER_CEILING);
    let quiet = (at_most / GATHER_SHARE).clamp(QUIET_FLOOR, QUIET_CEILING);
    (at_most, quiet)
}

/// A queued request and where its answer goes.
pub struct Pending<Q, A> {
    pub request: Q,
    pub reply: oneshot::Sender<A>,
}

impl<Q, A> Pending<Q, A> {
    /// Sends the answer; a caller that stopped waiting is no error.
    pub fn answer(self, answer: A) {
        let _ = self.reply.send(answer);
    }
}

struct Queue<Q, A> {
    pending: Mutex<Waiting<Q, A>>,
    turn: tokio::sync::Mutex<()>,
}

/// The requests not yet taken by a writer, when the latest of them came, and how long the
/// key's previous write took.
struct Waiting<Q, A> {
    requests: Vec<Pending<Q, A>>,
    latest: Instant,
    last_write: Duration,
}

impl<Q, A> Default for Queue<Q, A> {
    fn default() -> Self {
        Self {
            pending: Mutex::new(Waiting {
                requests: Vec::new(),
                latest: Instant::now(),
                last_write: Duration::ZERO,
            }),
            turn: tokio::sync::Mutex::new(()),
        }
    }
}

impl<Q, A> Queue<Q, A> {
    fn waiting(&self) -> std::sync::MutexGuard<'_, Waiting<Q, A>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Returns once no request has joined for the quiet, or at the gathering's limit (see
    /// [`gathering`]).
    async fn gathered(&self) {
        let (at_most, quiet) = gathering(self.waiting().last_write);
        let until = Instant::now() + at_most;
        loop {
            let quiet_from = self.waiting().latest + quiet;
            let next = quiet_from.min(until);
            if next <= Instant::now() {
                return;
            }
            tokio::time::sleep_until(next).await;
        }
    }
}

/// Per-key queues of requests of type `Q` answered with `A`.
pub struct Merger<Q, A> {
    queues: Mutex<HashMap<String, Arc<Queue<Q, A>>>>,
}

impl<Q, A> Default for Merger<Q, A> {
    fn default() -> Self {
        Self {
            queues: Mutex::new(HashMap::new()),
        }
    }
}

impl<Q, A> Merger<Q, A> {
    /// Queues `request` for `key` and returns its answer, given by `write` (called with
    /// every request queued for the key when this caller's turn comes) or by a call of another
    /// caller. The turn's writer first awaits `ready` (the service's pace letting the write
    /// go), then lets the queue gather: whatever is requested meanwhile joins the same write.
    /// `None` when the request was dropped unanswered.
    pub async fn submit<R, W, F>(&self, key: &str, request: Q, ready: R, write: W) -> Option<A>
    where
        R: Future<Output = ()>,
        W: FnOnce(Vec<Pending<Q, A>>) -> F,
        F: Future<Output = ()>,
    {
        let queue = {
            let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
            queues.entry(key.to_string()).or_default().clone()
        };
        let (reply, mut answer) = oneshot::channel();
        {
            let mut waiting = queue.waiting();
            waiting.requests.push(Pending { request, reply });
            waiting.latest = Instant::now();
        }
        // A caller whose request another writer took is answered without waiting for a turn
        // of its own: the turn is for whoever still has something to write.
        let turn = tokio::select! {
            answered = &mut answer => return answered.ok(),
            turn = queue.turn.lock() => turn,
        };
        let queued = !queue.waiting().requests.is_empty();
        if queued {
            ready.await;
            queue.gathered().await;
            let batch = std::mem::take(&mut queue.waiting().requests);
            if !batch.is_empty() {
                let started = Instant::now();
                write(batch).await;
                queue.waiting().last_write = started.elapsed();
            }
        }
        drop(turn);
        answer.await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// Submits request `n` for one key of `merger`. A write it makes counts itself in
    /// `writes`, takes `takes`, and answers each request of its batch with the request plus
    /// one.
    async fn submit_counted(
        merger: Arc<Merger<u32, u32>>,
        writes: Arc<AtomicUsize>,
        n: u32,
        ready: impl Future<Output = ()>,
        takes: Duration,
    ) -> Option<u32> {
        merger
            .submit("key", n, ready, |batch| async move {
                writes.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(takes).await;
                for pending in batch {
                    let answer = pending.request + 1;
                    pending.answer(answer);
                }
            })
            .await
    }

    #[tokio::test]
    async fn requests_queued_during_a_write_share_the_next_one() {
        let merger: Arc<Merger<u32, u32>> = Arc::default();
        let writes = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..10u32)
            .map(|n| {
                let request = submit_counted(
                    merger.clone(),
                    writes.clone(),
                    n,
                    async {},
                    Duration::from_millis(20),
                );
                tokio::spawn(request)
            })
            .collect();
        for (n, task) in (0..10u32).zip(tasks) {
            assert_eq!(task.await.unwrap(), Some(n + 1));
        }
        let writes = writes.load(Ordering::SeqCst);
        assert!((1..=3).contains(&writes), "{writes} writes for 10 requests");
    }

    /// Submits `count` requests, request `n` after `after(n)`, each writer awaiting `ready()`
    /// before it writes; checks that every request got its own answer and returns how many
    /// writes there were.
    async fn writes_for(
        count: u32,
        after: fn(u32) -> Duration,
        ready: fn() -> tokio::time::Sleep,
    ) -> usize {
        let merger: Arc<Merger<u32, u32>> = Arc::default();
        let writes = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..count)
            .map(|n| {
                let (merger, writes) = (merger.clone(), writes.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(after(n)).await;
                    submit_counted(merger, writes, n, ready(), Duration::ZERO).await
                })
            })
            .collect();
        for (n, task) in (0..count).zip(tasks) {
            assert_eq!(task.await.unwrap(), Some(n + 1));
        }
        writes.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn requests_made_while_the_writer_waits_to_be_ready_join_its_write() {
        // One request every 2 ms, while a write waits 50 ms to be let go.
        let writes = writes_for(
            10,
            |n| Duration::from_millis(2 * u64::from(n)),
            || tokio::time::sleep(Duration::from_millis(50)),
        )
        .await;
        assert_eq!(writes, 1);
    }

    #[tokio::test]
    async fn a_burst_of_requests_shares_one_write_though_the_first_could_go_alone() {
        // One request a millisecond, each free to go at once: nothing is in flight and
        // nothing paces the writes.
        let writes = writes_for(
            10,
            |n| Duration::from_millis(u64::from(n)),
            || tokio::time::sleep(Duration::ZERO),
        )
        .await;
        assert_eq!(writes, 1);
    }

    #[tokio::test]
    async fn a_steady_stream_is_written_at_least_every_gathering_limit() {
        // Quick writes: a request every half quiet for five gathering limits, never quiet.
        let (at_most, quiet) = gathering(Duration::ZERO);
        let count = (5 * at_most.as_millis() / (quiet.as_millis() / 2)) as u32;
        let writes = writes_for(
            count,
            |n| gathering(Duration::ZERO).1 / 2 * n,
            || tokio::time::sleep(Duration::ZERO),
        )
        .await;
        assert!((4..=8).contains(&writes), "{writes} writes");
    }

    #[tokio::test]
    async fn a_key_whose_writes_take_long_gathers_longer() {
        // Each write takes 400 ms. After the first, six requests come 15 ms apart: slower
        // than the shortest quiet, but well within what a write that long lets gather.
        let merger: Arc<Merger<u32, u32>> = Arc::default();
        let writes = Arc::new(AtomicUsize::new(0));
        let submit = |n: u32| {
            let takes = Duration::from_millis(400);
            submit_counted(merger.clone(), writes.clone(), n, async {}, takes)
        };
        assert_eq!(submit(0).await, Some(1));
        let tasks: Vec<_> = (1..=6u32)
            .map(|n| {
                let request = submit(n);
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(15) * (n - 1)).await;
                    request.await
                })
            })
            .collect();
        for (n, task) in (1..=6u32).zip(tasks) {
            assert_eq!(task.await.unwrap(), Some(n + 1));
        }
        assert_eq!(writes.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_unanswered_request_is_none() {
        let merger: Merger<u32, u32> = Merger::default();
        assert_eq!(
            merger.submit("key", 1, async {}, |_batch| async {}).await,
            None
        );
    }
}
