//! Group commit: every write of the store goes to one writer thread, which takes the writes
//! waiting and applies them together, in one write transaction and one fsync. One fsync
//! then serves as many writes as arrived while the last group ran, which is how the write
//! path gets past the disk's one-commit-at-a-time rate, and one transaction's bookkeeping
//! (its pages, its commit) serves them all.
//!
//! - Each write stays atomic: a write checks every condition before it changes anything
//!   (`write::check` before `write::apply`), so a failed condition (a version that moved, a
//!   place already taken) leaves nothing of it in the shared transaction, and only it
//!   fails. Any other failure, or a panic, may have left half a write behind: the whole
//!   transaction is rolled back and every write in it fails (a storage error, which the
//!   callers answer as such; it does not happen while the disk works).
//! - Each write stays isolated: the writes of a group run one after another, each seeing
//!   the ones before it, as if each had been committed alone in that order. They come from
//!   different requests: a request waits for its write's answer before it makes the next,
//!   and a group is the queue as it was when the group began.
//! - None is acknowledged before it is durable: the group's transaction is committed with
//!   `Durability::Immediate` (its fsync) before any of its writes is answered.
//! - Bookkeeping whose loss in a crash harms nothing (a session's last-seen time,
//!   `Writer::write_soon`; a per-client count's row, `Writer::write_behind`) goes in a
//!   transaction of its own, committed first without an fsync and answered at once. It becomes durable with the
//!   next durable commit; a group of such writes alone has no fsync. A crash loses at most
//!   the places of requests that were running, which the crash ended anyway, and a
//!   minute of a session's idle time.
//! - A failed commit leaves redb refusing further writes, while a group it could not
//!   persist may still be visible: the process stops at once, and opening the file again
//!   recovers the last durable state (the crash the design is tested against).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use redb::{Database, Durability, WriteTransaction};
use tokio::sync::oneshot;

use crate::store::StoreError;

/// The most writes one transaction holds, so that the first of a long queue does not wait
/// for all of it.
const MOST_IN_A_GROUP: usize = 256;

/// Called once its transaction is committed (and, for a durable write, its fsync done):
/// sends the write's answer, or the commit's failure.
type Acknowledge = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// What a write did in the shared transaction.
enum Applied {
    /// Done: to be acknowledged once the transaction is committed.
    Done(Acknowledge),
    /// Refused by one of its conditions before it changed anything, and answered; or its
    /// caller had gone away and it did nothing.
    Nothing,
    /// Failed after it may have changed something (answered with its error): the
    /// transaction must be rolled back.
    Tainted,
}

type Work = Box<dyn FnOnce(&WriteTransaction) -> Applied + Send>;

/// When a write is answered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Once it is durable.
    WhenDurable,
    /// As soon as its transaction is committed, before any fsync.
    WhenApplied,
}

struct Job {
    work: Work,
    answer: Answer,
}

/// The writer thread, stopped and joined when the last handle to the store is dropped.
pub(super) struct Writer {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub(super) fn start(db: Arc<Database>) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("redb-writer".to_owned())
            .spawn(move || write_groups(&db, &queue))?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Runs `work` in the group's transaction; its answer comes once that is durable.
    /// `work` must check its conditions before it changes anything: only a
    /// `StoreError::Conflict` is taken to have left nothing behind.
    pub(super) async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        self.queue(Answer::WhenDurable, work).await
    }

    /// Runs `work` like `write`, but answers as soon as it is committed, without waiting
    /// for an fsync: for bookkeeping a crash may lose (see the module's comment).
    pub(super) async fn write_soon<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        self.queue(Answer::WhenApplied, work).await
    }

    /// Queues `work` with no one waiting for it: bookkeeping already decided in memory
    /// (`counts.rs`), written in the order queued with the next group's writes that are
    /// answered without an fsync, and durable with the next fsync.
    pub(super) fn write_behind<F>(&self, work: F)
    where
        F: FnOnce(&WriteTransaction) -> Result<(), StoreError> + Send + 'static,
    {
        let work: Work = Box::new(move |txn| match work(txn) {
            Ok(()) => Applied::Done(Box::new(|_| {})),
            Err(error) => {
                tracing::error!(%error, "a written-behind record could not be written");
                Applied::Tainted
            }
        });
        if let Some(jobs) = &self.jobs {
            // A writer that has stopped has nothing left to write to.
            let _ = jobs.send(Job {
                work,
                answer: Answer::WhenApplied,
            });
        }
    }

    /// Returns once every write applied so far is durable: an empty write goes through the
    /// queue, and groups are made durable in order.
    pub(super) async fn durable(&self) -> Result<(), StoreError> {
        self.write(|_| Ok(())).await
    }

    async fn queue<T, F>(&self, when: Answer, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let work: Work = Box::new(move |txn| {
            // A caller that has gone away (its request dropped) is told nothing: its write
            // is not made, as it was not yet acknowledged.
            if answer.is_closed() {
                return Applied::Nothing;
            }
            match work(txn) {
                Ok(value) => Applied::Done(Box::new(move |committed: Result<(), StoreError>| {
                    let _ = answer.send(committed.map(|()| value));
                })),
                Err(error) => {
                    let clean = matches!(error, StoreError::Conflict(_));
                    let _ = answer.send(Err(error));
                    if clean {
                        Applied::Nothing
                    } else {
                        Applied::Tainted
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
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MOST_IN_A_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let (durable, soon): (Vec<Job>, Vec<Job>) = group
            .into_iter()
            .partition(|job| job.answer == Answer::WhenDurable);
        if !soon.is_empty() {
            commit_together(db, soon, Durability::None);
        }
        if !durable.is_empty() {
            commit_together(db, durable, Durability::Immediate);
        }
    }
}

/// Applies `jobs` one after another in one write transaction, commits it with
/// `durability`, then answers them. A write that taints the transaction fails with the
/// writes applied before it; the ones after it go on in a fresh transaction.
fn commit_together(db: &Database, jobs: Vec<Job>, durability: Durability) {
    let mut jobs = jobs.into_iter().peekable();
    while jobs.peek().is_some() {
        let txn = match begin(db, durability) {
            Ok(txn) => txn,
            Err(error) => {
                // No transaction to write in: the jobs are dropped, and their callers told
                // that the writer did not answer.
                tracing::error!(%error, "the database refused a write transaction");
                return;
            }
        };
        let mut done = Vec::new();
        let mut tainted = false;
        for job in jobs.by_ref() {
            // A panic drops the job's answer (its caller sees the writer's error) and may
            // have left half of it behind, like any failure that is not a refused condition.
            match catch_unwind(AssertUnwindSafe(|| (job.work)(&txn))) {
                Ok(Applied::Done(acknowledge)) => done.push(acknowledge),
                Ok(Applied::Nothing) => {}
                Ok(Applied::Tainted) | Err(_) => {
                    tainted = true;
                    break;
                }
            }
        }
        if tainted {
            let _ = txn.abort();
            for acknowledge in done {
                acknowledge(Err(StoreError::Backend(
                    "a write committed with this one failed; neither was kept".to_owned(),
                )));
            }
            continue;
        }
        if done.is_empty() {
            let _ = txn.abort();
            continue;
        }
        if let Err(error) = txn.commit() {
            // Nothing of it can be trusted to be on disk, and redb refuses every later
            // write: stop here, and let the next start recover the last durable state.
            tracing::error!(%error, "the database could not commit a group; stopping");
            std::process::abort();
        }
        for acknowledge in done {
            acknowledge(Ok(()));
        }
    }
}

fn begin(db: &Database, durability: Durability) -> Result<WriteTransaction, StoreError> {
    let mut txn = db.begin_write()?;
    txn.set_durability(durability)
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(txn)
}
