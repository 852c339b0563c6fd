//! Group commit of finished sync executions. Every sync execution is recorded durably before its answer;
//! on SQLite with `synchronous = FULL` a commit costs a disk flush, and writers take turns, so one commit
//! per execution caps throughput at the disk's flush rate and makes writers wait in SQLite's busy loop.
//! Instead one task writes them: it takes every record waiting (up to [`MAX_BATCH`]), writes them in one
//! transaction, and answers each caller once that transaction is committed. Alone, a record is committed
//! at once; under load, the records that arrived during one flush share the next. If a batch fails, its
//! records are retried one by one, so that one bad record fails only its own caller. A batch is a few
//! statements whatever its size (multi-row INSERTs, one UPDATE counting the functions whose latest code
//! ran, one per version that ran), since each statement is a round trip to the database's connection; on
//! SQLite they go as one query.

use qinling_core::Execution;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool};
use tokio::sync::{mpsc, oneshot};

use crate::StoreError;
use crate::db::Backend;
use crate::executions::write_records;

/// Most records committed in one transaction.
const MAX_BATCH: usize = 256;
/// Records that may wait for the writer; more wait for room (the caller's execution is already done).
const QUEUE: usize = 4096;

struct Record {
    execution: Execution,
    log: String,
    done: oneshot::Sender<Result<Execution, StoreError>>,
}

#[derive(Clone)]
pub(crate) struct Recorder {
    records: mpsc::Sender<Record>,
}

impl Recorder {
    /// Starts the writer task; it ends when the last [`Recorder`] clone is dropped.
    pub(crate) fn start(db: AnyPool, backend: Backend) -> Self {
        let (records, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(write(db, backend, receiver));
        Self { records }
    }

    /// Records a finished execution and its log; gives the execution back once they are committed (the
    /// record moves to the writer and back, so the hot path copies neither output nor log).
    pub(crate) async fn record(&self, execution: Execution, log: String) -> Result<Execution, StoreError> {
        let (done, committed) = oneshot::channel();
        let stopped = || StoreError::Config("the execution recorder has stopped".into());
        self.records.send(Record { execution, log, done }).await.map_err(|_| stopped())?;
        committed.await.map_err(|_| stopped())?
    }
}

async fn write(db: AnyPool, backend: Backend, mut receiver: mpsc::Receiver<Record>) {
    let mut writer = Writer { db, backend, connection: None };
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let committed = writer.commit(&batch).await;
        let alone = committed.is_err() && batch.len() > 1;
        let mut failure = committed.err();
        for record in batch.drain(..) {
            let outcome = if alone { writer.commit(std::slice::from_ref(&record)).await.err() } else { failure.take() };
            let _ = record.done.send(match outcome {
                None => Ok(record.execution),
                Some(error) => Err(error),
            });
        }
    }
}

/// The writer task's state: its own connection, kept between batches so that no batch waits for the pool
/// and, on SQLite, the connection's page cache stays warm (another connection's write would invalidate it).
struct Writer {
    db: AnyPool,
    backend: Backend,
    connection: Option<PoolConnection<Any>>,
}

impl Writer {
    async fn commit(&mut self, records: &[Record]) -> Result<(), StoreError> {
        let connection = match &mut self.connection {
            Some(connection) => connection,
            None => self.connection.insert(self.db.acquire().await?),
        };
        let rows: Vec<(&Execution, &str)> =
            records.iter().map(|record| (&record.execution, record.log.as_str())).collect();
        let written = write_records(connection, self.backend, &rows).await;
        if written.is_err() {
            // Back to the pool, which tests it before handing it out again (a lost PostgreSQL connection).
            self.connection = None;
        }
        written
    }
}
