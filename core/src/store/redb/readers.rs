//! The store's reader threads: redb's reads are blocking, so they run off the async
//! runtime, on a few threads of the store's own that take reads from one queue.
//!
//! tokio's blocking pool would do the same work, but under load it keeps one thread per
//! read in flight, and every read then wakes a sleeping thread and switches to it: a
//! profile of `GET /v1/usage` put 36% of the process in futex calls and 25% in the
//! scheduler's task switch. A few threads that stay busy while the queue is full take the
//! next read without sleeping (docs/performance.md). The writer has its own thread
//! (`group`), and argon2 work stays on tokio's pool, so neither holds a read back. The usual
//! advice is `spawn_blocking`; its point, redb's blocking calls off the async workers,
//! these threads keep.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread::JoinHandle;

use redb::Database;
use tokio::sync::oneshot;

use crate::store::StoreError;

type Read = Box<dyn FnOnce(&Database) + Send>;

pub(super) struct Readers {
    /// Taken on drop, which ends the threads once the queue is empty.
    queue: Option<crossbeam_channel::Sender<Read>>,
    threads: Vec<JoinHandle<()>>,
}

impl Readers {
    /// One thread per core, two at least, so that one long read (a page of an operator's
    /// listing) does not hold every other read back.
    pub(super) fn start(db: Arc<Database>) -> std::io::Result<Self> {
        let count = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
        let (queue, reads) = crossbeam_channel::unbounded::<Read>();
        let threads = (0..count)
            .map(|n| {
                let reads = reads.clone();
                let db = db.clone();
                std::thread::Builder::new()
                    .name(format!("redb-reader-{n}"))
                    .spawn(move || {
                        for read in reads {
                            // A read that panics answers nobody (its caller gets an error),
                            // and the thread goes on with the next. (Release builds abort
                            // on a panic instead, as everywhere in the process.)
                            let _ = catch_unwind(AssertUnwindSafe(|| read(&db)));
                        }
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            queue: Some(queue),
            threads,
        })
    }

    /// Runs `work` on a reader thread and returns its answer.
    pub(super) async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let read: Read = Box::new(move |db| {
            // The caller may have gone away; then nobody needs the answer.
            let _ = answer.send(work(db));
        });
        self.queue
            .as_ref()
            .expect("the queue lives as long as the store")
            .send(read)
            .map_err(|_| StoreError::Backend("the reader threads are gone".into()))?;
        answered
            .await
            .map_err(|_| StoreError::Backend("a read failed without an answer".into()))?
    }
}

impl Drop for Readers {
    /// The threads finish the reads queued, then let go of the database, so that the file
    /// is free once the store is gone.
    fn drop(&mut self) {
        drop(self.queue.take());
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_read_that_panics_fails_alone_and_the_readers_go_on() {
        let db = Arc::new(
            Database::builder()
                .create_with_backend(redb::backends::InMemoryBackend::new())
                .unwrap(),
        );
        let readers = Readers::start(db).unwrap();
        let count = readers.threads.len();
        for _ in 0..count {
            let failed = readers
                .read(|_| -> Result<(), StoreError> { panic!("a broken read") })
                .await;
            assert!(matches!(failed, Err(StoreError::Backend(_))), "{failed:?}");
        }
        let answer = readers.read(|_| Ok(42)).await.unwrap();
        assert_eq!(answer, 42);
    }
}
