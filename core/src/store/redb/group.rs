//! Group commit: every write of the store goes to one writer thread, which takes the writes
//! waiting and applies them together, in one write transaction and one fsync. One fsync
//! then serves as many writes as arrived while the last group ran, which is how the write
//! path gets past the disk's one-commit-at-a-time rate, and one transaction's bookkeeping
//! (its pages, its commit) serves them all.
//!
//! - Each write stays atomic. A write checks its conditions before it changes anything
//!   (`write::check` before `write::apply`), so a refused condition (a version that moved,
//!   a place already taken: `StoreError::Conflict`) leaves nothing of it in the shared
//!   transaction, and only it fails. Any other failure, or a panic, may have left half a
//!   write behind: the transaction is rolled back, that write fails alone, and the writes
//!   applied before it are applied again, in a fresh transaction (a write is a closure
//!   that can run more than once, and nothing of a rolled-back run is kept).
//! - Each write stays isolated: the writes of a group run one after another, each seeing
//!   the ones before it, as if each had been committed alone in that order. They come from
//!   different requests: a request waits for its write's answer before it makes the next,
//!   and a group is the queue as it was when the group began.
//! - None is acknowledged before it is durable: the group's transaction is committed with
//!   `Durability::Immediate` (its fsync) before any of its writes is answered.
//! - Every write is a `Change` (`change.rs`), a value the writer applies; once its
//!   transaction is committed, and before it is answered, the writer forgets the session
//!   views the change touched.
//! - Bookkeeping whose loss in a crash harms little (a session's last-seen time; a
//!   per-client count's row, `Writer::apply_behind`) goes in a
//!   transaction of its own, committed first without an fsync and answered at once. It
//!   becomes durable with the next durable commit, and at the latest `UNSYNCED_AT_MOST`
//!   later, when the writer makes it durable on its own: a crash loses at most that much of
//!   it. A count's row, which no one waits for, rides instead in the durable transaction
//!   of its group when the group has one.
//! - A failed commit leaves redb refusing further writes, while a group it could not
//!   persist may still be visible: the process stops at once, and opening the file again
//!   recovers the last durable state (the crash the design is tested against).

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use redb::{Database, Durability, WriteTransaction};
use tokio::sync::oneshot;

use super::change::{Answer, Change, Failed, Outcome};
use super::views::Views;
use crate::store::StoreError;

/// The most writes one transaction holds, so that the first of a long queue does not wait
/// for all of it.
const MOST_IN_A_GROUP: usize = 256;

/// How long bookkeeping committed without an fsync may wait for one.
const UNSYNCED_AT_MOST: Duration = Duration::from_millis(50);

/// Called once its transaction is committed (and, for a durable write, its fsync done):
/// sends the write's answer.
type Acknowledge = Box<dyn FnOnce() + Send>;

/// What a write did in the shared transaction.
enum Applied {
    /// Done: to be acknowledged once the transaction is committed.
    Done(Acknowledge),
    /// Refused by one of its conditions before it changed anything, and answered; or its
    /// caller had gone away and it did nothing.
    Nothing,
    /// Failed after it may have changed something, and answered with its error: the
    /// transaction must be rolled back.
    Tainted,
}

type Work = Box<dyn FnMut(&WriteTransaction) -> Applied + Send>;

/// Run on the writer thread once a write's transaction is committed, before the write is
/// answered: the writer forgets the session views its change made stale (`views.rs`).
type Committed = Box<dyn Fn() + Send + Sync>;

struct Job {
    work: Work,
    answer: Answer,
}

/// The writer thread, stopped and joined when the last handle to the store is dropped.
pub(super) struct Writer {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    /// The session views kept in memory, which the writer forgets as its changes touch them.
    views: Arc<Views>,
}

impl Writer {
    pub(super) fn start(db: Arc<Database>, views: Arc<Views>) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("redb-writer".to_owned())
            .spawn(move || write_groups(&db, &queue))?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
            views,
        })
    }

    /// Applies `change` in the group's transaction and answers when `change.answer()`
    /// says, after forgetting the session views it touched (see `change.rs`).
    pub(super) async fn apply(&self, change: Change) -> Result<Outcome, StoreError> {
        let forget = self.forgetting(&change);
        self.queue(change.answer(), Some(forget), move |txn| change.apply(txn))
            .await
    }

    /// Queues `change` with no one waiting for it: bookkeeping already decided in memory
    /// (`counts.rs`), written in the order queued, in its group's durable transaction when
    /// there is one and otherwise with the bookkeeping committed without an fsync.
    pub(super) fn apply_behind(&self, change: Change) {
        let forget = Arc::new(self.forgetting(&change));
        let work: Work = Box::new(move |txn| match change.apply(txn) {
            Ok(_) => {
                let forget = forget.clone();
                Applied::Done(Box::new(move || forget()))
            }
            Err(failed) => {
                tracing::error!(error = %failed.error, "a written-behind record could not be written");
                Applied::Tainted
            }
        });
        if let Some(jobs) = &self.jobs {
            // A writer that has stopped has nothing left to write to.
            let _ = jobs.send(Job {
                work,
                answer: Answer::NoOneWaits,
            });
        }
    }

    /// What the writer does once `change` is committed: forget the views it touched.
    fn forgetting(&self, change: &Change) -> Committed {
        let touched = change.touched();
        let views = self.views.clone();
        Box::new(move || views.forget(&touched))
    }

    /// Runs `work` in the group's transaction; its answer comes once that is durable.
    /// `work` must check its conditions before it changes anything: only a
    /// `StoreError::Conflict` is taken to have left nothing behind. (The writer's own tests
    /// write through it; the store writes only `Change`s.)
    #[cfg(test)]
    pub(super) async fn write<T, F>(&self, mut work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&WriteTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        self.queue(Answer::WhenDurable, None, move |txn| {
            work(txn).map_err(|error| {
                let left_behind = !matches!(error, StoreError::Conflict(_));
                Failed { error, left_behind }
            })
        })
        .await
    }

    /// Returns once every write applied so far is durable: an empty write goes through the
    /// queue, and groups are made durable in order. (Tests wait on it for rows written
    /// behind.)
    #[cfg(test)]
    pub(super) async fn durable(&self) -> Result<(), StoreError> {
        self.write(|_| Ok(())).await
    }

    async fn queue<T, F>(
        &self,
        when: Answer,
        committed: Option<Committed>,
        mut work: F,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&WriteTransaction) -> Result<T, Failed> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        // Shared with the acknowledgement of each run, so that a run rolled back leaves the
        // answer to the next.
        let answer = Arc::new(Mutex::new(Some(answer)));
        let send = |answer: &Mutex<Option<oneshot::Sender<_>>>, result| {
            if let Some(answer) = answer.lock().unwrap_or_else(|e| e.into_inner()).take() {
                let _ = answer.send(result);
            }
        };
        // Whether a run of this write was applied: a write run again after a rollback may
        // already have decided other writes' answers (a conflict with it), so it is made
        // again even if its own caller has gone away meanwhile.
        let mut applied_once = false;
        let committed: Option<Arc<Committed>> = committed.map(Arc::new);
        let work: Work = Box::new(move |txn| {
            // A caller that has gone away (its request dropped) before its write ran is
            // told nothing: the write is not made, as it was not yet acknowledged.
            let gone = answer
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
                .is_none_or(oneshot::Sender::is_closed);
            if gone && !applied_once {
                return Applied::Nothing;
            }
            match work(txn) {
                Ok(value) => {
                    applied_once = true;
                    let answer = answer.clone();
                    let committed = committed.clone();
                    Applied::Done(Box::new(move || {
                        if let Some(committed) = committed {
                            committed();
                        }
                        send(&answer, Ok(value));
                    }))
                }
                Err(Failed { error, left_behind }) => {
                    send(&answer, Err(error));
                    if left_behind {
                        Applied::Tainted
                    } else {
                        Applied::Nothing
                    }
                }
            }
        });
        let stopped = || StoreError::Backend("the database writer did not answer".to_owned());
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(Job { work, answer: when })
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // The thread ends once its queue is closed and empty; joining it closes the file.
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn write_groups(db: &Database, queue: &mpsc::Receiver<Job>) {
    // Since when writes committed without an fsync have waited for one: even a steady
    // stream of such writes alone gets one every `UNSYNCED_AT_MOST`.
    let mut unsynced_since: Option<Instant> = None;
    loop {
        let first = if let Some(since) = unsynced_since {
            let left = UNSYNCED_AT_MOST.saturating_sub(since.elapsed());
            match queue.recv_timeout(left) {
                Ok(job) if !left.is_zero() => job,
                Ok(job) => {
                    make_durable(db);
                    unsynced_since = None;
                    job
                }
                Err(RecvTimeoutError::Timeout) => {
                    make_durable(db);
                    unsynced_since = None;
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    make_durable(db);
                    break;
                }
            }
        } else {
            match queue.recv() {
                Ok(job) => job,
                Err(_) => break,
            }
        };
        let mut group = vec![first];
        while group.len() < MOST_IN_A_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        // Writes no one waits for ride in the durable transaction when there is one: one
        // transaction fewer per group under a steady load of commits.
        let any_durable = group.iter().any(|job| job.answer == Answer::WhenDurable);
        let (durable, soon): (Vec<Job>, Vec<Job>) =
            group.into_iter().partition(|job| match job.answer {
                Answer::WhenDurable => true,
                Answer::NoOneWaits => any_durable,
                Answer::WhenApplied => false,
            });
        if !soon.is_empty() && commit_together(db, soon, Durability::None) {
            unsynced_since.get_or_insert_with(Instant::now);
        }
        if !durable.is_empty() && commit_together(db, durable, Durability::Immediate) {
            unsynced_since = None;
        }
    }
    // A clean close persists what was committed without an fsync.
}

/// Applies `jobs` one after another in one write transaction, commits it with
/// `durability`, then answers them; whether anything was committed. A job that taints the
/// transaction fails alone: the transaction is rolled back and the jobs applied before it
/// run again in a fresh one.
fn commit_together(db: &Database, jobs: Vec<Job>, durability: Durability) -> bool {
    let mut waiting: VecDeque<Job> = jobs.into();
    let mut committed = false;
    while !waiting.is_empty() {
        let txn = begin(db, durability);
        let mut applied: Vec<(Job, Acknowledge)> = Vec::new();
        let mut tainted = false;
        while let Some(mut job) = waiting.pop_front() {
            // A panic drops the job and with it its answer (its caller sees the writer's
            // error), and may have left half of it behind, like any failure that is not a
            // refused condition.
            match catch_unwind(AssertUnwindSafe(|| (job.work)(&txn))) {
                Ok(Applied::Done(acknowledge)) => applied.push((job, acknowledge)),
                Ok(Applied::Nothing) => {}
                Ok(Applied::Tainted) | Err(_) => {
                    tainted = true;
                    break;
                }
            }
        }
        if tainted || applied.is_empty() {
            let _ = txn.abort();
            // The runs rolled back are dropped with their acknowledgements, unanswered;
            // the jobs run again, first.
            for (job, _) in applied.into_iter().rev() {
                waiting.push_front(job);
            }
            continue;
        }
        commit(txn);
        committed = true;
        for (_, acknowledge) in applied {
            acknowledge();
        }
    }
    committed
}

fn begin(db: &Database, durability: Durability) -> WriteTransaction {
    let mut txn = db.begin_write().unwrap_or_else(|error| stop(&error));
    txn.set_durability(durability)
        .unwrap_or_else(|error| stop(&error));
    txn
}

/// An empty commit with immediate durability: its fsync persists every commit before it.
fn make_durable(db: &Database) {
    commit(begin(db, Durability::Immediate));
}

fn commit(txn: WriteTransaction) {
    if let Err(error) = txn.commit() {
        stop(&error);
    }
}

/// The database cannot write any more: nothing of what it holds unsynced can be trusted to
/// reach the disk, and redb refuses every later write. Stop here, and let the next start
/// recover the last durable state.
fn stop(error: &dyn std::fmt::Display) -> ! {
    tracing::error!(%error, "the database cannot write; stopping");
    std::process::abort();
}

#[cfg(test)]
mod tests {
    use redb::{ReadableDatabase, TableDefinition};

    use super::*;

    const T: TableDefinition<&str, u64> = TableDefinition::new("t");

    fn put(txn: &WriteTransaction, key: &str) -> Result<(), StoreError> {
        txn.open_table(T)?.insert(key, 1)?;
        Ok(())
    }

    fn kept(db: &Database, key: &str) -> bool {
        let txn = db.begin_read().expect("read");
        let table = txn.open_table(T).expect("table");
        table.get(key).expect("get").is_some()
    }

    /// Writes queued behind a slow one form one group: a write that fails after it wrote
    /// fails alone, and the writes before and after it in the group are kept.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_write_that_fails_half_way_fails_alone() {
        let db = Arc::new(
            Database::builder()
                .create_with_backend(redb::backends::InMemoryBackend::new())
                .expect("a database"),
        );
        let writer = Arc::new(Writer::start(db.clone(), Arc::default()).expect("a writer"));
        let slow = {
            let writer = writer.clone();
            tokio::spawn(async move {
                writer
                    .write(|txn| {
                        std::thread::sleep(Duration::from_millis(200));
                        put(txn, "slow")
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let before = writer.write(|txn| put(txn, "before"));
        let broken = writer.write(|txn| {
            put(txn, "broken")?;
            Err::<(), _>(StoreError::Backend("failed after writing".to_owned()))
        });
        let refused = writer.write(|txn| {
            let _ = txn;
            Err::<(), _>(StoreError::Conflict("a version moved".to_owned()))
        });
        let after = writer.write(|txn| put(txn, "after"));
        let (before, broken, refused, after) = tokio::join!(before, broken, refused, after);
        slow.await.expect("joined").expect("the slow write");
        assert!(before.is_ok() && after.is_ok(), "{before:?} {after:?}");
        assert!(matches!(broken, Err(StoreError::Backend(_))), "{broken:?}");
        assert!(
            matches!(refused, Err(StoreError::Conflict(_))),
            "{refused:?}"
        );
        assert!(kept(&db, "slow") && kept(&db, "before") && kept(&db, "after"));
        assert!(!kept(&db, "broken"), "nothing of the failed write is kept");
    }
}
