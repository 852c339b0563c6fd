//! Group commit of finished sync executions. Every sync execution is recorded durably before its answer;
//! a commit costs a disk flush, so one commit per execution would cap throughput at the disk's flush rate.
//! Instead the records that arrive while one transaction commits share the next one, and each caller is
//! answered once its record is durable. On PostgreSQL, if a batch fails, its records are retried one by
//! one, so that one bad record fails only its own caller.
//!
//! SQLite ([`SqliteRecorder`]): the records are made durable in the execution journal, by the caller that
//! finds it idle, and reach the database afterwards; see that module. PostgreSQL: one task writes batches
//! through its own pooled connection, a few statements per batch whatever its size (multi-row INSERTs,
//! one UPDATE counting the functions whose latest code ran, one per version that ran).

use std::sync::Arc;

use qinling_core::Execution;
use sqlx::AnyPool;
use sqlx::pool::PoolConnection;
use tokio::sync::{mpsc, oneshot};

use crate::StoreError;
use crate::executions::write_records_postgres;
use crate::sqlite_recorder::SqliteRecorder;

/// Most records committed in one transaction.
pub(crate) const MAX_BATCH: usize = 256;
/// Records that may wait for the PostgreSQL writer; more wait for room (their executions are done).
const QUEUE: usize = 4096;

/// A finished execution waiting to be committed, and where to say that it was.
pub(crate) struct Record {
    execution: Execution,
    log: String,
    done: oneshot::Sender<Result<Execution, StoreError>>,
}

impl Record {
    /// A record, with the receiver its caller waits on.
    pub(crate) fn new(execution: Execution, log: String) -> (Self, Committed) {
        let (done, committed) = oneshot::channel();
        (Self { execution, log, done }, Committed(committed))
    }

    /// The record as the statements writing it take it.
    pub(crate) fn row(&self) -> (&Execution, &str) {
        (&self.execution, self.log.as_str())
    }

    /// The bytes of text the record carries: its input, output and log.
    pub(crate) fn size(&self) -> usize {
        let output = self.execution.result.as_ref().map_or(0, |result| result.output.len());
        self.execution.input.len() + output + self.log.len()
    }

    pub(crate) fn answer(self, failure: Option<StoreError>) {
        let _ = self.done.send(match failure {
            None => Ok(self.execution),
            Some(error) => Err(error),
        });
    }
}

/// What a caller waits on: its execution back once committed, or why it was not.
pub(crate) struct Committed(oneshot::Receiver<Result<Execution, StoreError>>);

impl Committed {
    pub(crate) async fn wait(self) -> Result<Execution, StoreError> {
        self.0.await.map_err(|_| StoreError::Config("the execution recorder has stopped".into()))?
    }
}

/// Answers the records of a batch: each with its execution if the batch was written, else each with the
/// failure (the first with the error itself, the others with its message).
pub(crate) fn answer_all(batch: Vec<Record>, written: Result<(), StoreError>) {
    let Err(error) = written else {
        batch.into_iter().for_each(|record| record.answer(None));
        return;
    };
    let why = error.to_string();
    let mut first = Some(error);
    for record in batch {
        record.answer(Some(first.take().unwrap_or_else(|| StoreError::Recording(why.clone()))));
    }
}

#[derive(Clone)]
pub(crate) enum Recorder {
    Sqlite(Arc<SqliteRecorder>),
    Postgres(mpsc::Sender<Record>),
}

impl Recorder {
    /// Starts the PostgreSQL writer task; it ends when the last [`Recorder`] clone is dropped.
    pub(crate) fn postgres(db: AnyPool) -> Self {
        let (records, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(write_postgres(db, receiver));
        Self::Postgres(records)
    }

    /// Records a finished execution and its log; gives the execution back once they are durable (the
    /// record moves to the writer and back).
    pub(crate) async fn record(&self, execution: Execution, log: String) -> Result<Execution, StoreError> {
        let (record, committed) = Record::new(execution, log);
        match self {
            Self::Sqlite(recorder) => recorder.record(record),
            // A writer that has stopped drops the record, and with it the answer: `wait` says so.
            Self::Postgres(records) => drop(records.send(record).await),
        }
        committed.wait().await
    }

    /// Waits until every record acknowledged so far can be read: on SQLite, until the applier has taken
    /// the journal's records into the database; on PostgreSQL they are there when acknowledged.
    pub(crate) async fn settle(&self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(recorder) => recorder.settle().await,
            Self::Postgres(_) => Ok(()),
        }
    }

    /// Settles, and on SQLite restarts the journal, so that no record acknowledged so far is replayed
    /// again: before a deletion that a replay would undo.
    pub(crate) async fn checkpoint(&self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(recorder) => recorder.checkpoint().await,
            Self::Postgres(_) => Ok(()),
        }
    }
}

async fn write_postgres(db: AnyPool, mut receiver: mpsc::Receiver<Record>) {
    // Kept between batches, so that no batch waits for the pool; back to the pool after a failure, which
    // tests it before handing it out again (a lost connection).
    let mut connection: Option<PoolConnection<sqlx::Any>> = None;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let records = std::mem::take(&mut batch);
        match commit_postgres(&db, &mut connection, &records).await {
            Err(_) if records.len() > 1 => {
                for record in records {
                    let failure = commit_postgres(&db, &mut connection, std::slice::from_ref(&record)).await.err();
                    record.answer(failure);
                }
            }
            committed => answer_all(records, committed),
        }
    }
}

async fn commit_postgres(
    db: &AnyPool,
    connection: &mut Option<PoolConnection<sqlx::Any>>,
    records: &[Record],
) -> Result<(), StoreError> {
    let held = match connection {
        Some(held) => held,
        None => connection.insert(db.acquire().await?),
    };
    let rows: Vec<(&Execution, &str)> = records.iter().map(Record::row).collect();
    let written = write_records_postgres(held, &rows).await;
    if written.is_err() {
        *connection = None;
    }
    written
}

#[cfg(test)]
mod tests {
    use qinling_core::ExecutionStatus;

    use super::*;
    use crate::testing::{execution, function, stores};

    #[tokio::test]
    async fn a_failed_batch_fails_every_record_in_it() {
        let (store, _dir) = stores().await.into_iter().next().unwrap();
        let function = function(&store).await;
        let batch =
            || (0..3).map(|_| Record::new(execution(&function, ExecutionStatus::Success), String::new())).unzip();
        let (records, answers): (Vec<Record>, Vec<Committed>) = batch();
        answer_all(records, Err(StoreError::Recording("disk full".into())));
        for answer in answers {
            let failure = answer.wait().await.expect_err("every record fails");
            assert!(failure.to_string().contains("disk full"), "{failure}");
        }
        let (records, answers): (Vec<Record>, Vec<Committed>) = batch();
        answer_all(records, Ok(()));
        for answer in answers {
            answer.wait().await.expect("every record is answered with its execution");
        }
    }
}
