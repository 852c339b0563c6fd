//! The SQLite side of the execution recorder: finished sync executions are made durable in the execution
//! journal (`journal.rs`) before their callers are answered, and reach the database afterwards, many per
//! transaction, from a thread of their own (the *applier*, on a rusqlite connection beside sqlx's pool).
//! A SQLite commit per record cost its caller ~100 µs of SQLite work and a flush of every page the row
//! and its indexes touch; the journal costs one small synchronous write.
//!
//! Journaling is leader-based group commit: a caller that finds the journal idle becomes the leader and
//! writes the records waiting (its own among them) on its own thread (its tokio worker's other tasks move
//! to another worker meanwhile); records that arrive meanwhile wait, and if some do when the leader is
//! done, a blocking thread takes over batch after batch until none wait.
//!
//! Every read of what records change waits for the database to hold every record journaled before it
//! ([`SqliteRecorder::settle`]), so that a reply is never contradicted by a later read. Once the
//! database holds everything journaled, the journal restarts (when it is long, when it is full, and
//! before an execution is deleted, which a replay must not bring back). Opening replays what a crash
//! left in the journal; a record already in the database is not written or counted twice.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use crate::StoreError;
use crate::db::SQLITE_PRAGMAS;
use crate::executions::{apply_journaled, encode_records};
use crate::journal::{self, Journal};
use crate::recorder::{MAX_BATCH, Record, answer_all};

/// How long journaled records may wait for the applier when nobody reads them: they are durable
/// already, and waiting lets one transaction take many of them.
const APPLY_INTERVAL: Duration = Duration::from_millis(20);
/// Journal frames that make the applier start without waiting for [`APPLY_INTERVAL`].
const APPLY_BATCH: usize = 64;
/// Record bytes (input, output, log) past which a frame takes no more records: outputs may be MiBs.
const FRAME_BYTES: usize = 1 << 20;
/// After a failed transaction, how long the applier waits before it tries again.
const RETRY_AFTER: Duration = Duration::from_millis(100);
/// Journal bytes past which the applier restarts the journal once the database holds all of it.
const RESTART_AFTER: u64 = journal::CAPACITY / 4;

pub(crate) struct SqliteRecorder {
    queue: Mutex<Queue>,
    journal: Mutex<Journal>,
    applying: Mutex<Applying>,
    /// Wakes the applier: someone waits for the records pending, or many are.
    work: Condvar,
    /// Wakes those who wait for the applier: a transaction ended.
    applied: Condvar,
}

/// Records waiting for the journal, and whether a leader is writing it.
#[derive(Default)]
struct Queue {
    waiting: Vec<Record>,
    leading: bool,
}

/// Journal payloads not yet in the database, and how far the applier has come.
#[derive(Default)]
struct Applying {
    payloads: Vec<Vec<u8>>,
    /// Payloads journaled since opening, and how many of them the database holds.
    journaled: u64,
    applied: u64,
    /// Whether someone waits for the applier.
    urgent: bool,
    /// Transactions that failed, and the last one's error.
    failures: u64,
    last_failure: String,
}

impl SqliteRecorder {
    /// A recorder writing to the SQLite database at `path` (its schema in place already) through the
    /// journal beside it, after replaying what that journal holds.
    pub(crate) fn open(path: &Path) -> Result<Arc<Self>, StoreError> {
        let mut connection = rusqlite::Connection::open(path)?;
        connection.execute_batch(SQLITE_PRAGMAS)?;
        let (mut journal, left) = Journal::open(&journal_path(path)).map_err(StoreError::Journal)?;
        if !left.is_empty() {
            apply_journaled(&mut connection, &left)?;
            tracing::info!(batches = left.len(), "replayed the execution journal");
        }
        if !journal.is_empty() {
            journal.restart().map_err(StoreError::Journal)?;
        }
        let recorder = Arc::new(Self {
            queue: Mutex::default(),
            journal: Mutex::new(journal),
            applying: Mutex::default(),
            work: Condvar::new(),
            applied: Condvar::new(),
        });
        let applier = Arc::downgrade(&recorder);
        std::thread::Builder::new()
            .name("qinling-records".into())
            .spawn(move || apply_until_dropped(&applier, connection))
            .map_err(|e| StoreError::Recording(format!("cannot start the applier thread: {e}")))?;
        Ok(recorder)
    }

    /// Queues `record`; journals it (and whatever waits with it) at once on this thread if no leader is
    /// writing. The caller then waits for its record's answer.
    pub(crate) fn record(self: &Arc<Self>, record: Record) {
        let lead = {
            let mut queue = lock(&self.queue);
            queue.waiting.push(record);
            !std::mem::replace(&mut queue.leading, true)
        };
        if lead {
            in_place(|| self.journal_waiting());
            if self.still_leading() {
                let recorder = Arc::clone(self);
                tokio::task::spawn_blocking(move || recorder.lead_until_idle());
            }
        }
    }

    /// Waits until the database holds every record journaled so far.
    pub(crate) async fn settle(self: &Arc<Self>) -> Result<(), StoreError> {
        if lock(&self.applying).all_applied() {
            return Ok(());
        }
        let recorder = Arc::clone(self);
        blocking(move || recorder.wait_all_applied(lock(&recorder.applying))).await
    }

    /// Settles, then restarts the journal: none of its records can be replayed any more.
    pub(crate) async fn checkpoint(self: &Arc<Self>) -> Result<(), StoreError> {
        let recorder = Arc::clone(self);
        blocking(move || recorder.restart(&mut lock(&recorder.journal))).await
    }

    /// Journals batch after batch until no record waits.
    fn lead_until_idle(&self) {
        loop {
            self.journal_waiting();
            if !self.still_leading() {
                return;
            }
        }
    }

    /// Journals the records waiting (up to [`MAX_BATCH`], and [`FRAME_BYTES`] unless one record is
    /// larger) as one frame, hands it to the applier and answers them.
    fn journal_waiting(&self) {
        let batch: Vec<Record> = {
            let mut queue = lock(&self.queue);
            let mut bytes = 0;
            let taken = queue
                .waiting
                .iter()
                .take(MAX_BATCH)
                .take_while(|record| {
                    bytes += record.size();
                    bytes <= FRAME_BYTES
                })
                .count()
                .clamp(1, queue.waiting.len());
            queue.waiting.drain(..taken).collect()
        };
        let mut payload = Vec::new();
        encode_records(&batch.iter().map(Record::row).collect::<Vec<_>>(), &mut payload);
        let mut journal = lock(&self.journal);
        let mut append = || {
            if !journal.fits(payload.len()) {
                self.restart(&mut journal)?;
            }
            journal.append(&payload).map_err(StoreError::Journal)
        };
        let journaled: Result<(), StoreError> = append();
        if journaled.is_ok() {
            let mut applying = lock(&self.applying);
            applying.payloads.push(payload);
            applying.journaled += 1;
            if applying.payloads.len() >= APPLY_BATCH {
                self.work.notify_one();
            }
        }
        drop(journal);
        answer_all(batch, journaled);
    }

    /// Whether records wait for another frame by the current leader; if none do, the journal is idle and
    /// the next caller leads.
    fn still_leading(&self) -> bool {
        let mut queue = lock(&self.queue);
        queue.leading = !queue.waiting.is_empty();
        queue.leading
    }

    /// With the journal held (nothing can be journaled meanwhile): waits until the database holds all of
    /// it, then restarts it.
    fn restart(&self, journal: &mut Journal) -> Result<(), StoreError> {
        self.wait_all_applied(lock(&self.applying))?;
        if !journal.is_empty() {
            journal.restart().map_err(StoreError::Journal)?;
        }
        Ok(())
    }

    /// Asks the applier to start now and waits until it has applied everything journaled when called;
    /// fails if one of its transactions fails meanwhile.
    fn wait_all_applied(&self, mut applying: MutexGuard<'_, Applying>) -> Result<(), StoreError> {
        let (target, failures) = (applying.journaled, applying.failures);
        while applying.applied < target {
            if applying.failures > failures {
                return Err(StoreError::Recording(applying.last_failure.clone()));
            }
            applying.urgent = true;
            self.work.notify_one();
            applying = self.applied.wait(applying).unwrap_or_else(PoisonError::into_inner);
        }
        Ok(())
    }

    /// The applier's round: waits for work (or [`APPLY_INTERVAL`]), writes what is pending in one
    /// transaction, and restarts the journal when the database holds all of a long one.
    fn apply_round(&self, connection: &mut rusqlite::Connection) {
        let payloads = {
            let mut applying = lock(&self.applying);
            if !applying.urgent && applying.payloads.len() < APPLY_BATCH {
                applying = self.work.wait_timeout(applying, APPLY_INTERVAL).unwrap_or_else(PoisonError::into_inner).0;
            }
            applying.urgent = false;
            std::mem::take(&mut applying.payloads)
        };
        if payloads.is_empty() {
            return;
        }
        let written = apply_journaled(connection, &payloads);
        let failed = written.is_err();
        let mut applying = lock(&self.applying);
        match written {
            Ok(()) => applying.applied += payloads.len() as u64,
            Err(error) => {
                tracing::error!(%error, "execution records stay in the journal; retrying");
                applying.failures += 1;
                applying.last_failure = error.to_string();
                // Back in front of whatever was journaled meanwhile, in journal order.
                applying.payloads.splice(0..0, payloads);
            }
        }
        self.applied.notify_all();
        drop(applying);
        if failed {
            std::thread::sleep(RETRY_AFTER);
        } else {
            self.restart_if_long();
        }
    }

    /// Restarts the journal if it is long and the database holds all of it, unless a leader is writing.
    fn restart_if_long(&self) {
        let Ok(mut journal) = self.journal.try_lock() else { return };
        if journal.len() > RESTART_AFTER
            && lock(&self.applying).all_applied()
            && let Err(error) = journal.restart()
        {
            tracing::warn!(%error, "the execution journal could not restart; the next round tries again");
        }
    }
}

impl Applying {
    fn all_applied(&self) -> bool {
        self.applied == self.journaled
    }
}

/// The applier thread: rounds until the recorder is dropped. What it had not applied then is in the
/// journal, and the next opening applies it.
fn apply_until_dropped(recorder: &Weak<SqliteRecorder>, mut connection: rusqlite::Connection) {
    while let Some(recorder) = recorder.upgrade() {
        recorder.apply_round(&mut connection);
    }
}

/// The journal of the database at `database`: beside it, its name and `.records`.
fn journal_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".records");
    PathBuf::from(name)
}

/// Runs `wait` (which blocks until the applier is done) on a blocking thread.
async fn blocking(wait: impl FnOnce() -> Result<(), StoreError> + Send + 'static) -> Result<(), StoreError> {
    tokio::task::spawn_blocking(wait).await.map_err(|e| StoreError::Recording(format!("the wait failed: {e}")))?
}

/// Runs `blocking` on this thread. On a multi-threaded runtime this worker's other tasks move to another
/// worker meanwhile: a journal write waits for the disk, which must not stall them.
fn in_place(blocking: impl FnOnce()) {
    match tokio::runtime::Handle::try_current().map(|runtime| runtime.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(blocking),
        _ => blocking(),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each lock's data is consistent between any two statements: a panic elsewhere does not spoil it.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use qinling_core::{Execution, ExecutionStatus};

    use super::*;
    use crate::recorder::Recorder;
    use crate::testing::{self, execution, function, stores};

    /// The SQLite store of `stores()`, its recorder and its URL.
    async fn sqlite() -> (crate::Store, tempfile::TempDir, Arc<SqliteRecorder>) {
        let (store, dir) = stores().await.into_iter().next().unwrap();
        let Recorder::Sqlite(recorder) = store.recorder.clone() else { panic!("the first test store is SQLite") };
        (store, dir, recorder)
    }

    fn url(dir: &tempfile::TempDir) -> String {
        format!("sqlite://{}", dir.path().join("qinling.db").display())
    }

    /// The store, closed (as by a crash: what its applier had not applied stays in the journal only) and
    /// opened again.
    async fn reopen(store: crate::Store, recorder: Arc<SqliteRecorder>, dir: &tempfile::TempDir) -> crate::Store {
        drop((store, recorder));
        testing::open(&url(dir), dir).await
    }

    /// Writes `executions` straight into the store's journal, as a recorder would have before a crash.
    fn journal_directly(dir: &tempfile::TempDir, executions: &[Execution]) {
        let (mut journal, _) = Journal::open(&journal_path(&dir.path().join("qinling.db"))).unwrap();
        let mut payload = Vec::new();
        encode_records(&executions.iter().map(|e| (e, "journaled")).collect::<Vec<_>>(), &mut payload);
        journal.append(&payload).unwrap();
    }

    #[tokio::test]
    async fn a_lone_record_is_journaled_by_its_caller_and_read_back_at_once() {
        let (store, _dir, recorder) = sqlite().await;
        let function = function(&store).await;
        for _ in 0..3 {
            let (record, committed) = Record::new(execution(&function, ExecutionStatus::Success), "log".into());
            recorder.record(record);
            let answered = committed.wait();
            // Already answered: no other thread took part.
            let execution = futures::FutureExt::now_or_never(answered).expect("answered within record()").unwrap();
            assert!(!lock(&recorder.journal).is_empty(), "in the journal when answered");
            // Read at once: the read waits for the applier instead of missing the record.
            let log = store.execution_log(&function.project_id, execution.id).await.unwrap();
            assert_eq!(log.as_deref(), Some("log"));
        }
        assert_eq!(store.get_function(&function.project_id, function.id).await.unwrap().unwrap().count, 3);
    }

    #[tokio::test]
    async fn records_that_wait_for_a_leader_are_journaled_in_batches() {
        let (store, _dir, recorder) = sqlite().await;
        let function = function(&store).await;
        // A leader is writing: these wait, more than one batch of them.
        lock(&recorder.queue).leading = true;
        let mut answers = Vec::new();
        for _ in 0..MAX_BATCH + 10 {
            let (record, committed) = Record::new(execution(&function, ExecutionStatus::Success), "log".into());
            recorder.record(record);
            answers.push(committed);
        }
        assert!(lock(&recorder.queue).waiting.len() == MAX_BATCH + 10, "nothing is journaled while a leader is");
        let journaled_before = lock(&recorder.applying).journaled;
        recorder.lead_until_idle();
        assert!(!lock(&recorder.queue).leading, "idle once nothing waits");
        assert_eq!(lock(&recorder.applying).journaled - journaled_before, 2, "two frames");
        for answer in answers {
            answer.wait().await.unwrap();
        }
        let count = store.get_function(&function.project_id, function.id).await.unwrap().unwrap().count;
        assert_eq!(count, MAX_BATCH as i64 + 10);
    }

    #[tokio::test]
    async fn large_records_take_frames_of_their_own() {
        let (store, _dir, recorder) = sqlite().await;
        let function = function(&store).await;
        lock(&recorder.queue).leading = true;
        let log = "x".repeat(FRAME_BYTES * 2 / 3);
        let mut answers = Vec::new();
        for _ in 0..3 {
            let (record, committed) = Record::new(execution(&function, ExecutionStatus::Success), log.clone());
            recorder.record(record);
            answers.push(committed);
        }
        let journaled_before = lock(&recorder.applying).journaled;
        recorder.lead_until_idle();
        assert_eq!(lock(&recorder.applying).journaled - journaled_before, 3, "two would pass FRAME_BYTES");
        for answer in answers {
            answer.wait().await.unwrap();
        }
    }

    #[tokio::test]
    async fn what_a_crash_left_in_the_journal_is_applied_at_opening_once() {
        let (store, dir, recorder) = sqlite().await;
        let function = function(&store).await;
        let applied = execution(&function, ExecutionStatus::Success);
        store.record_execution(applied.clone(), "applied".into()).await.unwrap();
        store.get_function(&function.project_id, function.id).await.unwrap(); // Settled: in the database.
        drop((store, recorder));
        // The crash came after the database took `applied` and before the journal restarted: it is in
        // the journal again, with a record the database never took.
        let lost = execution(&function, ExecutionStatus::Failed);
        journal_directly(&dir, &[applied.clone(), lost.clone()]);
        let store = testing::open(&url(&dir), &dir).await;
        let project = &function.project_id;
        assert_eq!(store.get_execution(project, lost.id).await.unwrap(), Some(lost.clone()));
        assert_eq!(store.execution_log(project, lost.id).await.unwrap().as_deref(), Some("journaled"));
        assert_eq!(store.execution_log(project, applied.id).await.unwrap().as_deref(), Some("applied"));
        assert_eq!(store.get_function(project, function.id).await.unwrap().unwrap().count, 2, "each counted once");
        // Applied and restarted: opening again replays nothing.
        let Recorder::Sqlite(recorder) = store.recorder.clone() else { unreachable!() };
        let store = reopen(store, recorder, &dir).await;
        assert_eq!(store.get_function(project, function.id).await.unwrap().unwrap().count, 2);
    }

    #[tokio::test]
    async fn a_deleted_execution_is_not_brought_back_by_a_replay() {
        let (store, dir, recorder) = sqlite().await;
        let function = function(&store).await;
        let project = &function.project_id;
        let deleted = execution(&function, ExecutionStatus::Success);
        store.record_execution(deleted.clone(), String::new()).await.unwrap();
        assert!(store.delete_execution(project, deleted.id).await.unwrap());
        assert!(lock(&recorder.journal).is_empty(), "the deletion restarted the journal");
        let store = reopen(store, recorder, &dir).await;
        assert_eq!(store.get_execution(project, deleted.id).await.unwrap(), None);
        assert_eq!(store.get_function(project, function.id).await.unwrap().unwrap().count, 1);
    }

    #[tokio::test]
    async fn a_full_journal_restarts_once_the_database_holds_it() {
        let (store, _dir, recorder) = sqlite().await;
        let function = function(&store).await;
        // Logs big enough that the journal fills within a few records.
        let log = "x".repeat(journal::CAPACITY as usize / 3);
        for _ in 0..7 {
            store.record_execution(execution(&function, ExecutionStatus::Success), log.clone()).await.unwrap();
            assert!(lock(&recorder.journal).len() <= journal::CAPACITY, "never past its allocated space");
        }
        assert_eq!(store.get_function(&function.project_id, function.id).await.unwrap().unwrap().count, 7);
    }
}
