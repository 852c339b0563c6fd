//! The SQLite side of the execution recorder: leader-based group commit on one synchronous connection
//! (rusqlite, beside sqlx's pool: sqlx runs each SQLite connection on a thread of its own, and handing a
//! commit to that thread and the answer back cost as much as SQLite's own work for the record: ~60–90 µs
//! each at concurrency 1, measured with scratch builds).
//!
//! A caller that finds the writer idle becomes the leader: it commits the records waiting (its own among
//! them) on its own thread (its tokio worker's other tasks move to another worker meanwhile), then goes
//! back to its request. Records that arrive meanwhile wait; if some do when the leader's commit ends, a
//! blocking thread takes over and commits batch after batch until none wait, and the writer is idle
//! again. So a lone execution's record costs its commit and no hand-off, and under load the flushes are
//! shared as before.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::StoreError;
use crate::db::SQLITE_PRAGMAS;
use crate::executions::write_records_sqlite;
use crate::recorder::{MAX_BATCH, Record, answer_all};

pub(crate) struct SqliteRecorder {
    queue: Mutex<Queue>,
    /// Used by the leader alone; the lock makes the connection shareable between threads.
    connection: Mutex<rusqlite::Connection>,
}

/// Records waiting for a commit, and whether a leader is committing.
#[derive(Default)]
struct Queue {
    waiting: Vec<Record>,
    leading: bool,
}

impl SqliteRecorder {
    /// A recorder writing to the SQLite database at `path` (its schema is in place already).
    pub(crate) fn open(path: &Path) -> Result<Arc<Self>, StoreError> {
        let connection = rusqlite::Connection::open(path)?;
        connection.execute_batch(SQLITE_PRAGMAS)?;
        Ok(Arc::new(Self { queue: Mutex::default(), connection: Mutex::new(connection) }))
    }

    /// Queues `record`; commits it (and whatever waits with it) at once on this thread if no commit is
    /// under way. The caller then waits for its record's answer.
    pub(crate) fn record(self: &Arc<Self>, record: Record) {
        let lead = {
            let mut queue = self.queue();
            queue.waiting.push(record);
            !std::mem::replace(&mut queue.leading, true)
        };
        if lead {
            in_place(|| self.commit_waiting());
            if self.still_leading() {
                let recorder = Arc::clone(self);
                tokio::task::spawn_blocking(move || recorder.lead_until_idle());
            }
        }
    }

    /// Commits batch after batch until no record waits.
    fn lead_until_idle(&self) {
        loop {
            self.commit_waiting();
            if !self.still_leading() {
                return;
            }
        }
    }

    /// Commits the records waiting (up to [`MAX_BATCH`]) in one transaction and answers them.
    fn commit_waiting(&self) {
        let batch: Vec<Record> = {
            let mut queue = self.queue();
            let taken = queue.waiting.len().min(MAX_BATCH);
            queue.waiting.drain(..taken).collect()
        };
        let mut connection = self.connection.lock().unwrap_or_else(PoisonError::into_inner);
        let mut commit = |records: &[Record]| {
            let rows: Vec<_> = records.iter().map(Record::row).collect();
            write_records_sqlite(&mut connection, &rows)
        };
        match commit(&batch) {
            Err(_) if batch.len() > 1 => {
                for record in batch {
                    let failure = commit(std::slice::from_ref(&record)).err();
                    record.answer(failure);
                }
            }
            committed => answer_all(batch, committed),
        }
    }

    /// Whether records wait for another commit by the current leader; if none do, the writer is idle and
    /// the next caller leads.
    fn still_leading(&self) -> bool {
        let mut queue = self.queue();
        queue.leading = !queue.waiting.is_empty();
        queue.leading
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        // The queue is consistent between any two statements: a panic elsewhere does not spoil it.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs `blocking` on this thread. On a multi-threaded runtime this worker's other tasks move to another
/// worker meanwhile: a commit waits for the disk, and may wait for SQLite's lock while another connection
/// writes (up to the busy timeout), which must not stall them.
fn in_place(blocking: impl FnOnce()) {
    match tokio::runtime::Handle::try_current().map(|runtime| runtime.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(blocking),
        _ => blocking(),
    }
}

#[cfg(test)]
mod tests {
    use qinling_core::ExecutionStatus;

    use super::*;
    use crate::recorder::Recorder;
    use crate::testing::{execution, function, stores};

    /// The SQLite store of `stores()` and its recorder.
    async fn sqlite() -> (crate::Store, tempfile::TempDir, Arc<SqliteRecorder>) {
        let (store, dir) = stores().await.into_iter().next().unwrap();
        let Recorder::Sqlite(recorder) = store.recorder.clone() else { panic!("the first test store is SQLite") };
        (store, dir, recorder)
    }

    #[tokio::test]
    async fn a_lone_record_is_committed_by_its_caller_before_record_returns() {
        let (store, _dir, recorder) = sqlite().await;
        let function = function(&store).await;
        for _ in 0..3 {
            let (record, committed) = Record::new(execution(&function, ExecutionStatus::Success), "log".into());
            recorder.record(record);
            let answered = committed.wait();
            // Already answered: no other thread took part.
            let execution = futures::FutureExt::now_or_never(answered).expect("answered within record()").unwrap();
            let log = store.execution_log(&function.project_id, execution.id).await.unwrap();
            assert_eq!(log.as_deref(), Some("log"));
        }
        assert_eq!(store.get_function(&function.project_id, function.id).await.unwrap().unwrap().count, 3);
    }

    #[tokio::test]
    async fn records_that_wait_for_a_leader_are_committed_in_batches_and_a_bad_one_fails_alone() {
        let (store, _dir, recorder) = sqlite().await;
        let function = function(&store).await;
        let taken = execution(&function, ExecutionStatus::Success);
        store.record_execution(taken.clone(), String::new()).await.unwrap();
        // A leader is committing: these wait, more than one batch of them, one with an id already taken.
        recorder.queue().leading = true;
        let mut answers = Vec::new();
        for i in 0..MAX_BATCH + 10 {
            let execution = if i == 7 { taken.clone() } else { execution(&function, ExecutionStatus::Success) };
            let (record, committed) = Record::new(execution, "log".into());
            recorder.record(record);
            answers.push(committed);
        }
        assert!(recorder.queue().waiting.len() == MAX_BATCH + 10, "nothing is committed while a leader is");
        recorder.lead_until_idle();
        assert!(!recorder.queue().leading, "idle once nothing waits");
        let mut failed = Vec::new();
        for (i, answer) in answers.into_iter().enumerate() {
            if answer.wait().await.is_err() {
                failed.push(i);
            }
        }
        assert_eq!(failed, [7], "only the record whose id was taken fails");
        let count = store.get_function(&function.project_id, function.id).await.unwrap().unwrap().count;
        assert_eq!(count, 1 + MAX_BATCH as i64 + 9);
    }
}
