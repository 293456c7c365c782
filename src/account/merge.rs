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
//!
//! For the write that paces a wave (a distribution's aliases: a second per UpdateDistribution,
//! about one a second per account) a quiet alone cuts the wave in two. Terraform holds a slot
//! per tenant until its writes are accepted, so while one half of the slots' tenants is in the
//! alias write, the other half queues for the next one, and the first half's slots are handed
//! to new tenants only after that write has gone: two half waves taking turns, each write
//! carrying half of what it could. Such a merger ([`Merger::waiting_for_crowd`]) instead
//! waits, within a limit as long as its previous write ([`crowd_gathering`]), until its queues
//! hold as many requests as the process had tenant operations under way at once since it last
//! looked ([`Crowd`]): the slots' tenants just finished are then replaced and queued, and
//! each write carries every slot. Against AWS, with Terraform's ten slots, that is about ten
//! aliases a write instead of about five. When writes are quick, Terraform's hand-over of the
//! slots (one after another, a few milliseconds each with hundreds of resources) outlasts the
//! write's own limit, so such a writer also waits while operations keep beginning.
//!
//! Any writer working for a crowd's operation stops gathering once every operation under way
//! has a request queued on its merger, and either every one of Terraform's slots is taken or
//! none has just begun: nobody is left to join. That is the records of a wave, which all come
//! the moment its aliases are accepted, and the aliases of a wave once its last tenant comes.
//!
//! The writers of several objects can share one pace: a distribution's aliases are written
//! one UpdateDistribution at a time for the whole account. Those take the pace in turn
//! ([`Merger::submit_in_turn`], [`Contest`]): when it lets a write go, the object with the most
//! requests queued goes first and claims the token before it gathers, and the others' queues
//! keep growing until theirs. That matters for a destroy, whose tenants come in Terraform's
//! order, spread over every distribution of the pool.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;

use crate::aws::pace::Turn;

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

/// The longest a writer waiting for a crowd waits.
pub const CROWD_CEILING: Duration = Duration::from_secs(1);

/// How long a writer waits for a crowd's operations after a write to the same object took
/// `last_write`: as long as that write, the time an operation that missed this write would
/// wait for the next one, between [`GATHER_FLOOR`] and [`CROWD_CEILING`].
pub fn crowd_gathering(last_write: Duration) -> Duration {
    last_write.clamp(GATHER_FLOOR, CROWD_CEILING)
}

/// The tenant operations under way in one process (creates, updates, deletes), and the most
/// of them under way at once lately: about as many as Terraform has slots for tenants.
pub struct Crowd {
    active: AtomicUsize,
    /// The most operations under way at once since a waiting writer last looked.
    peak: AtomicUsize,
    /// When the latest operation began.
    began: Mutex<Instant>,
    /// The most operations under way when one of them ended: Terraform's slots for tenants,
    /// once a first one is done (0 before).
    slots: AtomicUsize,
    changed: Notify,
}

impl Default for Crowd {
    fn default() -> Self {
        Self {
            active: AtomicUsize::default(),
            peak: AtomicUsize::default(),
            began: Mutex::new(Instant::now()),
            slots: AtomicUsize::default(),
            changed: Notify::default(),
        }
    }
}

tokio::task_local! {
    /// The crowd of the operation the current task runs.
    static CROWD: Arc<Crowd>;
}

impl Crowd {
    /// Runs `work` as one operation of the crowd.
    pub async fn operation<F: Future>(self: &Arc<Self>, work: F) -> F::Output {
        *self.began.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        let active = self.active.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(active, Ordering::SeqCst);
        self.changed.notify_waiters();
        // Counted out however the work ends, cancelled included.
        let _ends = Ends(self);
        CROWD.scope(self.clone(), work).await
    }

    /// The operations under way now.
    fn active(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }

    /// When the latest operation began.
    fn began(&self) -> Instant {
        *self.began.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether as many operations are under way as there were when one last ended (every
    /// slot is taken: no other can begin before one ends).
    fn full(&self) -> bool {
        let slots = self.slots.load(Ordering::SeqCst);
        slots > 0 && self.active() >= slots
    }

    /// Whether `parked` requests on a merger leave no operation to join it: every slot is
    /// taken and every operation under way has its request there.
    fn none_left(&self, parked: usize) -> bool {
        parked >= self.active() && self.full()
    }

    /// How many requests a writer waits for: the most operations under way at once since
    /// the previous call, which starts the count again from those under way now.
    fn expected(&self) -> usize {
        let active = self.active();
        self.peak.swap(active, Ordering::SeqCst).max(active)
    }
}

/// Counts an operation out of its crowd when dropped.
struct Ends<'a>(&'a Crowd);

impl Drop for Ends<'_> {
    fn drop(&mut self) {
        let under_way = self.0.active.fetch_sub(1, Ordering::SeqCst);
        self.0.slots.fetch_max(under_way, Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }
}

/// A request of a crowd's operation, counted on its merger until it is answered or dropped.
struct Parked {
    count: Arc<AtomicUsize>,
    crowd: Arc<Crowd>,
}

impl Parked {
    /// Counts the current task's operation, if it runs one, on `count`.
    fn enter(count: &Arc<AtomicUsize>) -> Option<Self> {
        let crowd = CROWD.try_with(Arc::clone).ok()?;
        count.fetch_add(1, Ordering::SeqCst);
        crowd.changed.notify_waiters();
        Some(Self {
            count: count.clone(),
            crowd,
        })
    }
}

impl Drop for Parked {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::SeqCst);
        self.crowd.changed.notify_waiters();
    }
}

/// A queued request and where its answer goes.
pub struct Pending<Q, A> {
    pub request: Q,
    pub reply: oneshot::Sender<A>,
    /// Counts the request on its merger until the answer is sent.
    _parked: Option<Parked>,
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
    /// [`gathering`]). Working for an operation of `crowd`, it also returns as soon as
    /// `parked` (the merger's queued requests of the crowd's operations) counts every
    /// operation under way, and either every slot is taken ([`Crowd::full`]) or none has
    /// begun for the quiet: none is left to join. (While Terraform is starting operations
    /// with slots to spare, the next may be about to come.)
    async fn gathered(&self, crowd: Option<&Crowd>, parked: &AtomicUsize) {
        let (at_most, quiet) = gathering(self.waiting().last_write);
        let until = Instant::now() + at_most;
        loop {
            let changed = crowd.map(|c| c.changed.notified());
            tokio::pin!(changed);
            if let Some(changed) = changed.as_mut().as_pin_mut() {
                changed.enable();
            }
            let parked = parked.load(Ordering::SeqCst);
            if crowd.is_some_and(|c| c.none_left(parked)) {
                return;
            }
            // With slots to spare, every one under way queued is enough once none has begun
            // for the quiet.
            let all_in = crowd
                .filter(|c| parked >= c.active())
                .map(|c| c.began() + quiet);
            if all_in.is_some_and(|at| at <= Instant::now()) {
                return;
            }
            let next = (self.waiting().latest + quiet).min(until);
            let next = all_in.map_or(next, |at| next.min(at));
            if next <= Instant::now() {
                return;
            }
            match changed.as_pin_mut() {
                Some(changed) => tokio::select! {
                    () = changed => {}
                    () = tokio::time::sleep_until(next) => {}
                },
                None => tokio::time::sleep_until(next).await,
            }
        }
    }

    /// Returns once no request has joined for the quiet and `parked` (the merger's queued
    /// requests of `crowd`'s operations) counts as many as the crowd has had under way at once
    /// since the last look. Short of that, it returns at the crowd's gathering limit (see
    /// [`crowd_gathering`]), or later while the crowd is still coming: as long as one of its
    /// operations began, or one queued a request for this key, within twice the gathering's
    /// limit, up to [`CROWD_CEILING`]. The slots of a quick write come back at Terraform's
    /// pace, not the write's: it hands them to new tenants one after another, which with
    /// hundreds of resources in its state takes longer in all than a quick write's limit.
    /// When every slot is taken ([`Crowd::full`]) and all of them are queued, it returns at
    /// once: nobody is left to join.
    async fn crowd_gathered(&self, crowd: &Crowd, parked: &AtomicUsize) {
        let last_write = self.waiting().last_write;
        let (at_most, quiet) = gathering(last_write);
        let started = Instant::now();
        let limit = started + at_most.max(crowd_gathering(last_write));
        let ceiling = started + CROWD_CEILING;
        let expected = crowd.expected();
        loop {
            // Registered before the count is read, so that no change in between is missed.
            let changed = crowd.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let moved = crowd.began().max(self.waiting().latest);
            let give_up = limit.max(moved + 2 * at_most).min(ceiling);
            let parked = parked.load(Ordering::SeqCst);
            if parked >= expected && crowd.none_left(parked) {
                return;
            }
            let next = if parked >= expected {
                (self.waiting().latest + quiet).min(give_up)
            } else {
                give_up
            };
            if next <= Instant::now() {
                return;
            }
            tokio::select! {
                () = changed => {}
                () = tokio::time::sleep_until(next) => {}
            }
        }
    }
}

/// Per-key queues of requests of type `Q` answered with `A`.
pub struct Merger<Q, A> {
    queues: Mutex<HashMap<String, Arc<Queue<Q, A>>>>,
    /// Whether its writers wait for the crowd of the operation they write for.
    waits_for_crowd: bool,
    /// Requests of crowd operations queued or being written, over every key.
    parked: Arc<AtomicUsize>,
    /// The writers waiting for a pace shared by the keys ([`Merger::submit_in_turn`]).
    contest: Contest<Q, A>,
}

impl<Q, A> Default for Merger<Q, A> {
    fn default() -> Self {
        Self {
            queues: Mutex::new(HashMap::new()),
            waits_for_crowd: false,
            parked: Arc::default(),
            contest: Contest::default(),
        }
    }
}

impl<Q, A> Merger<Q, A> {
    /// A merger whose writer, working for an operation of a [`Crowd`], also waits within its
    /// crowd's gathering limit until its queues hold as many requests as the crowd had
    /// operations under way at once: the one for the step that paces a wave. An operation that
    /// never comes (one waiting on a pool's growth, or a multi-tenant edge's tenant in the same
    /// run) costs each write at most that limit, as long as the previous write took.
    pub fn waiting_for_crowd() -> Self {
        Self {
            waits_for_crowd: true,
            ..Self::default()
        }
    }

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
        self.submit_with(key, request, |_| ready, write).await
    }

    /// The same for keys whose writes share one pace (the distributions of an account, one
    /// UpdateDistribution at a time): when `pace` lets a write go, the writer of the key with
    /// the most requests queued takes it and claims its token before gathering (see
    /// [`Contest`]); the others wait for the next token, their queues still growing.
    pub async fn submit_in_turn<W, F>(
        &self,
        key: &str,
        request: Q,
        pace: &Turn,
        write: W,
    ) -> Option<A>
    where
        W: FnOnce(Vec<Pending<Q, A>>) -> F,
        F: Future<Output = ()>,
    {
        self.submit_with(
            key,
            request,
            |queue| self.contest.take_turn(queue, pace),
            write,
        )
        .await
    }

    async fn submit_with<P, R, W, F>(&self, key: &str, request: Q, ready: P, write: W) -> Option<A>
    where
        P: FnOnce(Arc<Queue<Q, A>>) -> R,
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
            waiting.requests.push(Pending {
                request,
                reply,
                _parked: Parked::enter(&self.parked),
            });
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
            ready(queue.clone()).await;
            let crowd = CROWD.try_with(Arc::clone).ok();
            match crowd.as_deref() {
                Some(crowd) if self.waits_for_crowd => {
                    queue.crowd_gathered(crowd, &self.parked).await
                }
                crowd => queue.gathered(crowd, &self.parked).await,
            }
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

/// How often a writer passed over in a [`Contest`] looks again, should it miss the winner's
/// word.
const CONTEST_RECHECK: Duration = Duration::from_millis(10);

/// The writers of a merger's keys waiting for one pace. Each time the pace lets a write go,
/// the key with the most requests queued goes first: its write carries the most, and the
/// others' queues keep growing until their turn. Every write a writer lets go before its own
/// counts as one more request of its, so a short queue waits a bounded number of turns (a
/// key's queue holds at most as many requests as Terraform has slots). Ties go to the writer
/// waiting longest.
///
/// Without it, every writer waiting when the pace is free goes on at once: each takes its
/// token ahead and sleeps until it is due, its requests taken and the queue of its key no
/// longer growing. With ten distributions holding a thousand tenants (a destroy, whose
/// tenants come in Terraform's order, spread over every distribution), that is a write per
/// one or two aliases.
struct Contest<Q, A> {
    entrants: Mutex<Vec<Entrant<Q, A>>>,
    next: AtomicUsize,
    changed: Notify,
}

struct Entrant<Q, A> {
    id: usize,
    queue: Arc<Queue<Q, A>>,
    /// Writes other writers made while this one waited.
    passed_over: usize,
}

impl<Q, A> Default for Contest<Q, A> {
    fn default() -> Self {
        Self {
            entrants: Mutex::default(),
            next: AtomicUsize::default(),
            changed: Notify::default(),
        }
    }
}

impl<Q, A> Contest<Q, A> {
    fn entrants(&self) -> std::sync::MutexGuard<'_, Vec<Entrant<Q, A>>> {
        self.entrants.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `queue`'s writer may write at `pace`, and claims the write's token.
    async fn take_turn(&self, queue: Arc<Queue<Q, A>>, pace: &Turn) {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        self.entrants().push(Entrant {
            id,
            queue,
            passed_over: 0,
        });
        // Out of the contest however the wait ends, cancelled included.
        let _leaves = Leaves { contest: self, id };
        loop {
            pace.free().await;
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.won(id) {
                pace.claim();
                return;
            }
            // The leader claims the token as soon as it sees it free; this writer then waits
            // for the next one.
            tokio::select! {
                () = changed => {}
                () = tokio::time::sleep(CONTEST_RECHECK) => {}
            }
        }
    }

    /// Whether writer `id` leads; if so, every other one is passed over once more.
    fn won(&self, id: usize) -> bool {
        let mut entrants = self.entrants();
        let leader = entrants
            .iter()
            .max_by_key(|e| {
                let queued = e.queue.waiting().requests.len();
                (queued + e.passed_over, std::cmp::Reverse(e.id))
            })
            .map(|e| e.id);
        if leader != Some(id) {
            return false;
        }
        for entrant in entrants.iter_mut().filter(|e| e.id != id) {
            entrant.passed_over += 1;
        }
        true
    }
}

/// Takes a writer out of its contest when dropped.
struct Leaves<'a, Q, A> {
    contest: &'a Contest<Q, A>,
    id: usize,
}

impl<Q, A> Drop for Leaves<'_, Q, A> {
    fn drop(&mut self) {
        self.contest.entrants().retain(|e| e.id != self.id);
        self.contest.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::pace::{Pace, CLOUDFRONT};
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

    /// Spawns operation `n` of `crowd`: it begins after `after`, and after a step of `step`
    /// submits request `n` to `merger`, whose write takes 1 ms.
    fn spawn_operation(
        crowd: Arc<Crowd>,
        merger: Arc<Merger<u32, u32>>,
        writes: Arc<AtomicUsize>,
        n: u32,
        after: Duration,
        step: Duration,
    ) -> tokio::task::JoinHandle<Option<u32>> {
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let takes = Duration::from_millis(1);
            let request = async move {
                tokio::time::sleep(step).await;
                submit_counted(merger, writes, n, async {}, takes).await
            };
            crowd.operation(request).await
        })
    }

    #[tokio::test]
    async fn a_merger_writes_once_every_operation_under_way_is_queued() {
        // Ten operations begin together and queue together 20 ms later, as tenants do after
        // their alias is written; an eleventh begins and queues 5 ms after that, within the
        // quiet. The first write does not wait for the quiet: no operation under way was
        // left to join.
        let crowd: Arc<Crowd> = Arc::default();
        let merger: Arc<Merger<u32, u32>> = Arc::default();
        let writes = Arc::new(AtomicUsize::new(0));
        let operation = |n: u32, after: Duration, step: Duration| {
            let (crowd, merger, writes) = (crowd.clone(), merger.clone(), writes.clone());
            spawn_operation(crowd, merger, writes, n, after, step)
        };
        let step = Duration::from_millis(20);
        let mut tasks: Vec<_> = (0..10u32)
            .map(|n| operation(n, Duration::ZERO, step))
            .collect();
        tasks.push(operation(
            10,
            step + Duration::from_millis(5),
            Duration::ZERO,
        ));
        for (n, task) in (0..11u32).zip(tasks) {
            assert_eq!(task.await.unwrap(), Some(n + 1));
        }
        assert!(gathering(Duration::ZERO).1 > Duration::from_millis(5));
        assert_eq!(writes.load(Ordering::SeqCst), 2);
    }

    /// How many writes `merger` makes for a crowd whose ten slots have each run an
    /// operation to its end, when ten new operations then begin and queue at the same moment
    /// and an eleventh begins and queues 5 ms later, within the quiet.
    async fn writes_after_a_full_crowd(merger: Merger<u32, u32>) -> usize {
        let crowd: Arc<Crowd> = Arc::default();
        let merger = Arc::new(merger);
        let writes = Arc::new(AtomicUsize::new(0));
        let round = |from: u32, count: u32, after: Duration| {
            (from..from + count)
                .map(|n| {
                    let (crowd, merger, writes) = (crowd.clone(), merger.clone(), writes.clone());
                    spawn_operation(crowd, merger, writes, n, after, Duration::ZERO)
                })
                .collect::<Vec<_>>()
        };
        for task in round(0, 10, Duration::ZERO) {
            task.await.unwrap();
        }
        let before = writes.load(Ordering::SeqCst);
        let mut tasks = round(10, 10, Duration::ZERO);
        tasks.extend(round(20, 1, Duration::from_millis(5)));
        for (n, task) in (10..21u32).zip(tasks) {
            assert_eq!(task.await.unwrap(), Some(n + 1));
        }
        assert!(gathering(Duration::ZERO).1 > Duration::from_millis(5));
        writes.load(Ordering::SeqCst) - before
    }

    #[tokio::test]
    async fn a_full_crowd_queued_is_written_without_the_quiet() {
        // Terraform's ten slots are known from the first round: once ten are under way and
        // queued, none can join, however recently they began.
        assert_eq!(writes_after_a_full_crowd(Merger::default()).await, 2);
        assert_eq!(
            writes_after_a_full_crowd(Merger::waiting_for_crowd()).await,
            2
        );
    }

    /// Ten slots of a crowd, each running four operations one after another: a write to
    /// `merger` that takes `takes`, then a step of `step`. Before each operation the slot
    /// waits for `turn(slot, k)`: Terraform handing it the slot's `k`-th operation. Returns
    /// how many writes the 40 requests took.
    async fn writes_of_slots<T, F>(
        merger: Merger<u32, u32>,
        takes: Duration,
        step: Duration,
        turn: T,
    ) -> usize
    where
        T: Fn(u32, u32) -> F + Clone + Send + 'static,
        F: Future<Output = ()> + Send,
    {
        let crowd: Arc<Crowd> = Arc::default();
        let merger = Arc::new(merger);
        let writes = Arc::new(AtomicUsize::new(0));
        let slots: Vec<_> = (0..10u32)
            .map(|slot| {
                let (crowd, merger, writes) = (crowd.clone(), merger.clone(), writes.clone());
                let turn = turn.clone();
                tokio::spawn(async move {
                    for k in 0..4 {
                        turn(slot, k).await;
                        let n = slot * 4 + k;
                        let (merger, writes) = (merger.clone(), writes.clone());
                        let answer = crowd
                            .operation(async move {
                                let answer =
                                    submit_counted(merger, writes, n, async {}, takes).await;
                                tokio::time::sleep(step).await;
                                answer
                            })
                            .await;
                        assert_eq!(answer, Some(n + 1));
                    }
                })
            })
            .collect();
        for slot in slots {
            slot.await.unwrap();
        }
        writes.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn a_crowd_merger_waits_for_the_slots_of_operations_just_finished() {
        // Slots started 8 ms apart as Terraform starts tenants; a 60 ms write, a 10 ms step,
        // then 5 ms until the slot's next operation.
        let started_apart = |slot: u32, k: u32| {
            let wait = if k == 0 { 8 * slot } else { 5 };
            tokio::time::sleep(Duration::from_millis(u64::from(wait)))
        };
        let (takes, step) = (Duration::from_millis(60), Duration::from_millis(10));
        let writes = writes_of_slots(Merger::waiting_for_crowd(), takes, step, started_apart).await;
        assert!(writes <= 5, "{writes} writes for 40 requests from 10 slots");
    }

    #[tokio::test]
    async fn a_crowd_merger_waits_while_quick_writes_slots_are_handed_over() {
        // Terraform hands the slots out one at a time, 5 ms each, as it does with hundreds of
        // resources in its state; a quick write (2 ms), then an 18 ms step (a tenant's
        // records). The slots of one write come back from 25 ms to 70 ms after it, later
        // than a quick write's gathering limit, one every 5 ms.
        let terraform = Arc::new(tokio::sync::Mutex::new(()));
        let handed_over = move |_slot: u32, _k: u32| {
            let terraform = terraform.clone();
            async move {
                let _one_at_a_time = terraform.lock().await;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        let (takes, step) = (Duration::from_millis(2), Duration::from_millis(18));
        let writes = writes_of_slots(Merger::waiting_for_crowd(), takes, step, handed_over).await;
        assert!(writes <= 6, "{writes} writes for 40 requests from 10 slots");
    }

    /// Submits request `n` for `key` through `merger`'s contest for `pace`'s
    /// UpdateDistribution; its write spends the call's token as the real one does, then notes
    /// the key and how many requests it carried in `writes`.
    fn spawn_in_turn(
        merger: Arc<Merger<u32, u32>>,
        pace: Arc<Pace>,
        writes: Arc<Mutex<Vec<(&'static str, usize)>>>,
        key: &'static str,
        n: u32,
        after: Duration,
    ) -> tokio::task::JoinHandle<Option<u32>> {
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let turn = Turn::new(pace.clone(), "UpdateDistribution");
            merger
                .submit_in_turn(key, n, &turn, |batch| async move {
                    pace.take("UpdateDistribution").await;
                    writes.lock().unwrap().push((key, batch.len()));
                    for pending in batch {
                        let answer = pending.request + 1;
                        pending.answer(answer);
                    }
                })
                .await
        })
    }

    /// Runs `requests` (key, delay) through one merger and a pace of 8 UpdateDistribution a
    /// second (one at a time); answers its writes in order, each as (key, requests carried).
    async fn writes_in_turn(
        requests: &[(&'static str, u64)],
        busy_at_first: bool,
    ) -> Vec<(&'static str, usize)> {
        let merger: Arc<Merger<u32, u32>> = Arc::default();
        let pace = Arc::new(Pace::new(CLOUDFRONT, 10));
        if busy_at_first {
            pace.take("UpdateDistribution").await;
        }
        let writes = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0u32..)
            .zip(requests)
            .map(|(n, (key, after))| {
                let after = Duration::from_millis(*after);
                spawn_in_turn(merger.clone(), pace.clone(), writes.clone(), key, n, after)
            })
            .collect();
        for (n, task) in (0u32..).zip(tasks) {
            assert_eq!(task.await.unwrap(), Some(n + 1));
        }
        let writes = writes.lock().unwrap().clone();
        writes
    }

    #[tokio::test]
    async fn writers_sharing_a_pace_keep_gathering_until_their_turn() {
        // Three distributions with an alias change each; 30 ms later three more for the
        // third, while the first write's token is spent and the next is 125 ms away.
        let requests = [
            ("a", 0),
            ("b", 1),
            ("c", 2),
            ("c", 30),
            ("c", 31),
            ("c", 32),
        ];
        let writes = writes_in_turn(&requests, false).await;
        assert_eq!(writes.len(), 3, "{writes:?}");
        assert!(writes.contains(&("c", 4)), "{writes:?}");
    }

    #[tokio::test]
    async fn the_key_with_most_queued_writes_first() {
        // The pace is busy for 125 ms: meanwhile one change comes for "a", then three for "b".
        let requests = [("a", 0), ("b", 5), ("b", 6), ("b", 7)];
        let writes = writes_in_turn(&requests, true).await;
        assert_eq!(writes, [("b", 3), ("a", 1)]);
    }

    #[tokio::test]
    async fn a_short_queue_passed_over_wins_after_as_many_turns_as_it_is_short() {
        let contest: Contest<u32, u32> = Contest::default();
        let queue_of = |count: usize| {
            let queue: Arc<Queue<u32, u32>> = Arc::default();
            for request in 0..count {
                queue.waiting().requests.push(Pending {
                    request: request as u32,
                    reply: oneshot::channel().0,
                    _parked: None,
                });
            }
            queue
        };
        let entrant = |id, queue| Entrant {
            id,
            queue,
            passed_over: 0,
        };
        // "short" holds one request, "long" three; each win of "long" is replaced by another
        // writer of three.
        contest.entrants().push(entrant(0, queue_of(1)));
        let mut turns = 0;
        for id in 1.. {
            contest.entrants().push(entrant(id, queue_of(3)));
            if contest.won(0) {
                break;
            }
            assert!(contest.won(id));
            contest.entrants().retain(|e| e.id != id);
            turns += 1;
        }
        assert_eq!(turns, 2, "1 + 2 passes beats a fresh 3 on the tie's age");
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
