//! Group commit: every write of the store goes to one writer thread, which applies the
//! writes that are waiting, each in a write transaction of its own committed without an
//! fsync (`Durability::None`), then makes the whole group durable with one fsync: an empty
//! commit with `Durability::Immediate`, which persists the commits before it. One fsync
//! then serves as many commits as arrived while the last one ran, which is how the write
//! path gets past the disk's one-commit-at-a-time rate.
//!
//! - Each write stays atomic and isolated: it is its own transaction, and a failed
//!   condition (a version that moved, a place already taken) aborts only it.
//! - None is acknowledged before its group is durable: its answer is sent after the fsync,
//!   and a failed fsync fails every write of the group.
//! - A write is visible to readers from the moment it is applied, a fraction of a
//!   millisecond before its group's fsync. A crash inside that window loses it, as it loses
//!   any write not yet acknowledged. Reads whose answer would pass such a write on as kept
//!   wait for it to be durable first (`Writer::durable`): a stored answer replayed for an
//!   Idempotency-Key, a mail about to be sent.
//! - A failed fsync leaves redb refusing further writes, while the group it could not
//!   persist is still visible: the process stops at once, and opening the file again
//!   recovers the last durable state (the crash the design is tested against).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use redb::{Database, Durability, WriteTransaction};
use tokio::sync::oneshot;

use crate::store::StoreError;

/// The most writes one fsync makes durable, so that the first of a long queue does not wait
/// for all of it.
const MOST_IN_A_GROUP: usize = 256;

/// Called once its group's fsync is done: sends the write's answer.
type Acknowledge = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
/// A write: given its transaction (or why there is none), applies itself and says whether it
/// is to be committed; a write that fails answers at once and is rolled back.
type Job = Box<dyn FnOnce(Result<&WriteTransaction, StoreError>) -> Option<Acknowledge> + Send>;

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

    /// Runs `work` in a write transaction of its own; its answer comes once the group it
    /// was committed with is durable.
    pub(super) async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |txn| {
            // A caller that has gone away (its request dropped) is told nothing: its write
            // is not made, as it was not yet acknowledged.
            if answer.is_closed() {
                return None;
            }
            match txn.and_then(work) {
                Ok(value) => Some(Box::new(move |durable: Result<(), StoreError>| {
                    let _ = answer.send(durable.map(|()| value));
                }) as Acknowledge),
                Err(error) => {
                    let _ = answer.send(Err(error));
                    None
                }
            }
        });
        let stopped = || StoreError::Backend("the database writer has stopped".to_owned());
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

impl Writer {
    /// Returns once every write applied so far is durable: an empty write goes through the
    /// queue, and groups are made durable in order.
    pub(super) async fn durable(&self) -> Result<(), StoreError> {
        self.write(|_| Ok(())).await
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
        let applied: Vec<Acknowledge> =
            group.into_iter().filter_map(|job| apply(db, job)).collect();
        if applied.is_empty() {
            continue;
        }
        if let Err(error) = make_durable(db) {
            // The group is visible and cannot be persisted, and redb refuses every later
            // write: stop here, and let the next start recover the last durable state.
            tracing::error!(%error, "the database could not be made durable; stopping");
            std::process::abort();
        }
        for acknowledge in applied {
            acknowledge(Ok(()));
        }
    }
}

/// One write in its own transaction, committed without an fsync. A panic in the write
/// drops its transaction (rolled back) and its answer (the caller sees the writer's error),
/// and the writer goes on with the next.
fn apply(db: &Database, job: Job) -> Option<Acknowledge> {
    let txn = db
        .begin_write()
        .map_err(StoreError::from)
        .and_then(|mut txn| {
            txn.set_durability(Durability::None)
                .map_err(|e| StoreError::Backend(e.to_string()))?;
            Ok(txn)
        });
    let (txn, job_txn) = match txn {
        Ok(txn) => (Some(txn), None),
        Err(error) => (None, Some(error)),
    };
    let outcome = catch_unwind(AssertUnwindSafe(|| match (&txn, job_txn) {
        (Some(txn), _) => job(Ok(txn)),
        (None, Some(error)) => job(Err(error)),
        (None, None) => None,
    }));
    let acknowledge = outcome.ok().flatten()?;
    match txn.map(WriteTransaction::commit) {
        Some(Ok(())) => Some(acknowledge),
        Some(Err(error)) => {
            acknowledge(Err(error.into()));
            None
        }
        None => None,
    }
}

/// The fsync of a group: an empty commit with immediate durability persists every
/// non-durable commit before it.
fn make_durable(db: &Database) -> Result<(), StoreError> {
    let mut txn = db.begin_write()?;
    txn.set_durability(Durability::Immediate)
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    txn.commit()?;
    Ok(())
}
