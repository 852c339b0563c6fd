//! Execution records and their logs.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use qinling_core::{
    Condition, Execution, ExecutionFilter, ExecutionId, ExecutionResult, ExecutionStatus, Page, ProjectId,
    ProjectScope, Timestamp,
};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, AnyConnection, Arguments, Connection};

use crate::db::Backend;
use crate::rows::{self, get, stamp};
use crate::{Store, StoreError};

const TABLE: &str = "executions";

/// `<every column but logs>` of executions, as one literal.
macro_rules! columns {
    () => {
        "id, project_id, function_id, function_version, function_alias, description, input, status, sync, \
         result_output, result_duration, created_at, updated_at"
    };
}

impl Store {
    /// Records a finished (sync) execution with its log and counts it against its function or version,
    /// in one transaction.
    pub async fn record_execution(&self, execution: Execution, log: String) -> Result<Execution, StoreError> {
        self.recorder.record(execution, log).await
    }

    /// Queues an accepted async execution (status `running`, unclaimed).
    pub async fn enqueue_execution(&self, execution: &Execution) -> Result<(), StoreError> {
        insert(&[(execution, "")]).execute(&self.db).await?;
        Ok(())
    }

    /// How many executions wait in the async queue.
    pub async fn queued_executions(&self) -> Result<i64, StoreError> {
        let queued =
            sqlx::query_scalar("SELECT COUNT(*) FROM executions WHERE status = 'running' AND claimed_by IS NULL")
                .fetch_one(&self.db)
                .await?;
        Ok(queued)
    }

    /// Claims the oldest queued execution for `worker`, atomically: no two claims get the same one.
    pub async fn claim_queued_execution(&self, worker: &str, now: Timestamp) -> Result<Option<Execution>, StoreError> {
        // The outer `claimed_by IS NULL` makes a claim that lost a race a no-op; on PostgreSQL, SKIP LOCKED
        // lets concurrent claimers (other replicas) pass over a row being claimed instead of queueing on it.
        let sql = match self.backend {
            Backend::Sqlite => concat!(
                "UPDATE executions SET claimed_by = $1, claimed_at = $2 WHERE id = (SELECT id FROM executions \
                 WHERE status = 'running' AND claimed_by IS NULL ORDER BY created_at LIMIT 1) \
                 AND claimed_by IS NULL RETURNING ",
                columns!()
            ),
            Backend::Postgres => concat!(
                "UPDATE executions SET claimed_by = $1, claimed_at = $2 WHERE id = (SELECT id FROM executions \
                 WHERE status = 'running' AND claimed_by IS NULL ORDER BY created_at LIMIT 1 \
                 FOR UPDATE SKIP LOCKED) AND claimed_by IS NULL RETURNING ",
                columns!()
            ),
        };
        // Idle queue workers poll; a read tells them the queue is empty without taking the database's
        // write lock (on SQLite, one writer at a time: an empty claim would make the execution recorder
        // wait its turn).
        let queued: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM executions WHERE status = 'running' AND claimed_by IS NULL LIMIT 1")
                .fetch_optional(&self.db)
                .await?;
        if queued.is_none() {
            return Ok(None);
        }
        let row = sqlx::query(sql).bind(worker).bind(stamp(now)).fetch_optional(&self.db).await?;
        row.as_ref().map(execution_from_row).transpose()
    }

    /// Records the outcome of a claimed execution and counts it, in one transaction.
    pub async fn finish_execution(&self, execution: &Execution, log: &str) -> Result<(), StoreError> {
        let mut tx = self.db.begin_with(self.backend.begin_write()).await?;
        sqlx::query(
            "UPDATE executions SET status = $1, result_output = $2, result_duration = $3, logs = $4, updated_at = $5 \
             WHERE id = $6",
        )
        .bind(execution.status.as_str())
        .bind(execution.result.as_ref().map(|r| r.output.as_str()))
        .bind(execution.result.as_ref().map(|r| r.duration.as_secs_f64()))
        .bind(log)
        .bind(stamp(execution.updated_at))
        .bind(execution.id.to_string())
        .execute(&mut *tx)
        .await?;
        let mut count = Batch::default();
        push_count(&mut count, execution.function_id.to_string(), execution.function_version, 1);
        for query in count.queries {
            query.into_sqlx().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Marks as `error` the executions claimed before `claimed_before` that never finished: their
    /// server process died. Returns how many there were.
    pub async fn fail_abandoned_executions(
        &self,
        claimed_before: Timestamp,
        reason: &str,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE executions SET status = 'error', result_output = $1, result_duration = 0, updated_at = $2 \
             WHERE status = 'running' AND claimed_by IS NOT NULL AND claimed_at < $3",
        )
        .bind(reason)
        .bind(stamp(now))
        .bind(stamp(claimed_before))
        .execute(&self.db)
        .await?;
        Ok(done.rows_affected())
    }

    pub async fn get_execution(&self, project: &ProjectId, id: ExecutionId) -> Result<Option<Execution>, StoreError> {
        self.recorder.settle().await?;
        let row = sqlx::query(concat!("SELECT ", columns!(), " FROM executions WHERE id = $1 AND project_id = $2"))
            .bind(id.to_string())
            .bind(project.as_str())
            .fetch_optional(&self.db)
            .await?;
        row.as_ref().map(execution_from_row).transpose()
    }

    /// A page of the executions in scope, newest first, narrowed by `filter`.
    pub async fn list_executions(
        &self,
        scope: &ProjectScope,
        filter: &ExecutionFilter,
        page: &Page<ExecutionId>,
    ) -> Result<Vec<Execution>, StoreError> {
        self.recorder.settle().await?;
        let mut query = Query::new(concat!("SELECT ", columns!(), " FROM executions WHERE TRUE"));
        if let Some(project) = scope.filter() {
            query.push(" AND project_id = ");
            query.bind(project.to_owned());
        }
        if let Some(condition) = &filter.function_id {
            query.condition("function_id", condition.map(ToString::to_string));
        }
        if let Some(condition) = &filter.status {
            query.condition("status", condition.map(|status| status.as_str().to_owned()));
        }
        if let Some(condition) = &filter.description {
            query.condition("description", condition.clone());
        }
        if let Some(marker) = page.marker {
            query.push(" AND (created_at, id) < (SELECT created_at, id FROM executions WHERE id = ");
            query.bind(marker.to_string());
            query.push(")");
        }
        query.push(" ORDER BY created_at DESC, id DESC LIMIT ");
        query.bind(page.fetch_limit());
        let rows = query.into_sqlx().fetch_all(&self.db).await?;
        rows.iter().map(execution_from_row).collect()
    }

    /// The log of an execution; `None` when there is no such execution.
    pub async fn execution_log(&self, project: &ProjectId, id: ExecutionId) -> Result<Option<String>, StoreError> {
        self.recorder.settle().await?;
        let log = sqlx::query_scalar("SELECT logs FROM executions WHERE id = $1 AND project_id = $2")
            .bind(id.to_string())
            .bind(project.as_str())
            .fetch_optional(&self.db)
            .await?;
        Ok(log)
    }

    /// Deletes an execution record; `false` when there was none. (Not to come back: no journaled record
    /// is replayed after this.)
    pub async fn delete_execution(&self, project: &ProjectId, id: ExecutionId) -> Result<bool, StoreError> {
        self.recorder.checkpoint().await?;
        let done = sqlx::query("DELETE FROM executions WHERE id = $1 AND project_id = $2")
            .bind(id.to_string())
            .bind(project.as_str())
            .execute(&self.db)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// A query built from pieces, its values bound to `$1`, `$2`... in order (as every database here reads
/// them; sqlx's `QueryBuilder` over `Any` would write `?`). The values are kept until the query goes to
/// sqlx or to the SQLite recorder's own connection (which binds them by position). Text may be borrowed
/// from the records being written: the SQLite recorder binds it as it is, sqlx gets a copy.
struct Query<'a> {
    sql: String,
    values: Vec<Value<'a>>,
}

/// A value bound to one of a [`Query`]'s placeholders.
enum Value<'a> {
    Text(Option<Cow<'a, str>>),
    Integer(i64),
    Real(Option<f64>),
}

impl From<String> for Value<'_> {
    fn from(text: String) -> Self {
        Self::Text(Some(Cow::Owned(text)))
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(text: &'a str) -> Self {
        Self::Text(Some(Cow::Borrowed(text)))
    }
}

impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(text: Option<&'a str>) -> Self {
        Self::Text(text.map(Cow::Borrowed))
    }
}

impl From<i64> for Value<'_> {
    fn from(integer: i64) -> Self {
        Self::Integer(integer)
    }
}

impl From<Option<f64>> for Value<'_> {
    fn from(real: Option<f64>) -> Self {
        Self::Real(real)
    }
}

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Self::Text(Some(text)) => text.as_ref().to_sql(),
            Self::Text(None) => Ok(rusqlite::types::ToSqlOutput::Owned(rusqlite::types::Value::Null)),
            Self::Integer(integer) => integer.to_sql(),
            Self::Real(real) => real.to_sql(),
        }
    }
}

impl Value<'_> {
    /// Appends the value to the journal's `payload`: a tag, then the text's length and bytes, or the number.
    fn encode(&self, payload: &mut Vec<u8>) {
        match self {
            Self::Text(None) => payload.push(0),
            Self::Text(Some(text)) => {
                payload.push(1);
                payload.extend_from_slice(&(text.len() as u32).to_le_bytes());
                payload.extend_from_slice(text.as_bytes());
            }
            Self::Integer(integer) => {
                payload.push(2);
                payload.extend_from_slice(&integer.to_le_bytes());
            }
            Self::Real(None) => payload.push(3),
            Self::Real(Some(real)) => {
                payload.push(4);
                payload.extend_from_slice(&real.to_le_bytes());
            }
        }
    }

    /// The value [`Value::encode`] wrote at the start of `input`, moving past it.
    fn decode(input: &mut &[u8]) -> Option<Value<'static>> {
        Some(match take::<1>(input)?[0] {
            0 => Value::Text(None),
            1 => {
                let len = u32::from_le_bytes(take::<4>(input)?) as usize;
                let (text, rest) = input.split_at_checked(len)?;
                *input = rest;
                Value::Text(Some(Cow::Owned(String::from_utf8(text.to_vec()).ok()?)))
            }
            2 => Value::Integer(i64::from_le_bytes(take::<8>(input)?)),
            3 => Value::Real(None),
            4 => Value::Real(Some(f64::from_le_bytes(take::<8>(input)?))),
            _ => return None,
        })
    }
}

impl<'a> Query<'a> {
    fn new(sql: &str) -> Self {
        Self { sql: sql.to_owned(), values: Vec::new() }
    }

    fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }

    /// Appends the next placeholder and binds `value` to it.
    fn bind(&mut self, value: impl Into<Value<'a>>) {
        self.values.push(value.into());
        let _ = write!(self.sql, "${}", self.values.len());
    }

    fn into_sqlx(self) -> sqlx::query::Query<'static, Any, AnyArguments> {
        let mut arguments = AnyArguments::default();
        for value in self.values {
            let added = match value {
                Value::Text(text) => arguments.add(text.map(Cow::into_owned)),
                Value::Integer(integer) => arguments.add(integer),
                Value::Real(real) => arguments.add(real),
            };
            added.expect("text and numbers always encode");
        }
        sqlx::query_with(sqlx::AssertSqlSafe(self.sql), arguments)
    }

    /// Runs the query on the SQLite recorder's connection (prepared once per distinct text, then cached).
    fn execute_on(&self, connection: &rusqlite::Connection) -> rusqlite::Result<usize> {
        connection.prepare_cached(&self.sql)?.execute(rusqlite::params_from_iter(&self.values))
    }

    /// Appends ` AND <column> <condition>` with bound values.
    fn condition(&mut self, column: &str, condition: Condition<String>) {
        let (operator, values) = match condition {
            Condition::Eq(value) => (" = ", vec![value]),
            Condition::Neq(value) => (" != ", vec![value]),
            // An empty list matches nothing (IN) or everything (NOT IN).
            Condition::In(values) if values.is_empty() => {
                self.push(" AND 1 = 0");
                return;
            }
            Condition::NotIn(values) if values.is_empty() => return,
            Condition::In(values) => (" IN ", values),
            Condition::NotIn(values) => (" NOT IN ", values),
        };
        self.push(&format!(" AND {column}{operator}("));
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(value);
        }
        self.push(")");
    }
}

/// Rows written by one multi-row INSERT: [`COLUMNS`] values each, well under every database's bound on a
/// statement's parameters.
const ROWS_PER_INSERT: usize = 64;

/// Records finished executions with their logs and counts each against its function (or version), in
/// one PostgreSQL transaction on `connection` (the recorder's batch): one INSERT per [`ROWS_PER_INSERT`]
/// records, one UPDATE counting the functions whose latest code ran, and one per version that ran.
pub(crate) async fn write_records_postgres(
    connection: &mut AnyConnection,
    records: &[(&Execution, &str)],
) -> Result<(), StoreError> {
    let mut tx = connection.begin_with(Backend::Postgres.begin_write()).await?;
    let mut batch = Batch::default();
    record_statements(&mut batch, INSERT, records);
    for query in batch.queries {
        query.into_sqlx().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Appends `records` to `payload` as the execution journal keeps them: their number, then the values of
/// each one's INSERT row, in the INSERT's column order.
pub(crate) fn encode_records(records: &[(&Execution, &str)], payload: &mut Vec<u8>) {
    let mut rows = Query::new("");
    push_rows(&mut rows, records);
    payload.extend_from_slice(&(records.len() as u32).to_le_bytes());
    for value in &rows.values {
        value.encode(payload);
    }
}

/// Writes journaled records (payloads of [`encode_records`]) into SQLite in one transaction on
/// `connection`, counting each against its function or version. A record whose id is in the table
/// already is skipped and not counted again: the journal is replayed after a crash that may have come
/// between this transaction and the journal's restart.
pub(crate) fn apply_journaled(connection: &mut rusqlite::Connection, payloads: &[Vec<u8>]) -> Result<(), StoreError> {
    let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut counts: BTreeMap<(String, i64), i64> = BTreeMap::new();
    {
        let mut insert = tx.prepare_cached(INSERT_ONE_OR_IGNORE)?;
        for payload in payloads {
            for row in decode_rows(payload)? {
                if insert.execute(rusqlite::params_from_iter(&row))? == 1 {
                    let (Value::Text(Some(function_id)), Value::Integer(version)) =
                        (&row[FUNCTION_ID_COLUMN], &row[FUNCTION_VERSION_COLUMN])
                    else {
                        return Err(corrupt_journal("a row without its function"));
                    };
                    *counts.entry((function_id.to_string(), *version)).or_default() += 1;
                }
            }
        }
    }
    let mut batch = Batch::default();
    for ((function_id, version), count) in counts {
        push_count(&mut batch, function_id, version, count);
    }
    for query in &batch.queries {
        query.execute_on(&tx)?;
    }
    tx.commit()?;
    Ok(())
}

/// The rows of one journal payload, each as the values of its INSERT.
fn decode_rows(payload: &[u8]) -> Result<Vec<Vec<Value<'static>>>, StoreError> {
    let mut input = payload;
    let rows = take::<4>(&mut input).map(u32::from_le_bytes).ok_or_else(|| corrupt_journal("no row count"))?;
    (0..rows)
        .map(|_| (0..COLUMNS).map(|_| Value::decode(&mut input).ok_or_else(|| corrupt_journal("a cut row"))).collect())
        .collect()
}

fn corrupt_journal(detail: &str) -> StoreError {
    StoreError::Corrupt { table: "execution journal", detail: detail.into() }
}

/// The next `N` bytes of `input`, moving past them.
fn take<const N: usize>(input: &mut &[u8]) -> Option<[u8; N]> {
    let (head, rest) = input.split_first_chunk::<N>()?;
    *input = rest;
    Some(*head)
}

/// The statements of one batch of records, one query each.
#[derive(Default)]
struct Batch<'a> {
    queries: Vec<Query<'a>>,
}

impl<'a> Batch<'a> {
    /// Opens the next statement with `sql`; the caller appends the rest of it.
    fn statement(&mut self, sql: &str) -> &mut Query<'a> {
        self.queries.push(Query::new(sql));
        self.queries.last_mut().expect("a statement was just opened")
    }
}

/// Appends the INSERTs of `records` (each opened with `insert`) and the UPDATEs counting them to `batch`.
fn record_statements<'a>(batch: &mut Batch<'a>, insert: &str, records: &[(&'a Execution, &'a str)]) {
    for chunk in records.chunks(ROWS_PER_INSERT) {
        push_rows(batch.statement(insert), chunk);
    }
    // Ordered, so that concurrent writers (replicas) lock the rows they count in the same order.
    let mut counts: BTreeMap<(String, i64), i64> = BTreeMap::new();
    for (execution, _) in records {
        *counts.entry((execution.function_id.to_string(), execution.function_version)).or_default() += 1;
    }
    let (latest, versions): (Vec<_>, Vec<_>) = counts.into_iter().partition(|((_, version), _)| *version == 0);
    if !latest.is_empty() {
        // One UPDATE for every function whose latest code ran: CASE over their ids.
        let query = batch.statement("UPDATE functions SET count = count + CASE id");
        for ((function_id, _), count) in &latest {
            query.push(" WHEN ");
            query.bind(function_id.clone());
            query.push(" THEN ");
            query.bind(*count);
        }
        query.push(" ELSE 0 END WHERE id IN (");
        for (i, ((function_id, _), _)) in latest.into_iter().enumerate() {
            if i > 0 {
                query.push(", ");
            }
            query.bind(function_id);
        }
        query.push(")");
    }
    for ((function_id, version), count) in versions {
        push_count(batch, function_id, version, count);
    }
}

/// Appends the UPDATE counting `count` executions against what ran: the version they named, or the
/// function's latest code.
fn push_count(batch: &mut Batch<'_>, function_id: String, version: i64, count: i64) {
    let query = if version > 0 {
        let query = batch.statement("UPDATE function_versions SET count = count + ");
        query.bind(count);
        query.push(" WHERE version_number = ");
        query.bind(version);
        query.push(" AND function_id = ");
        query
    } else {
        let query = batch.statement("UPDATE functions SET count = count + ");
        query.bind(count);
        query.push(" WHERE id = ");
        query
    };
    query.bind(function_id);
}

/// `<verb> INTO executions (<columns>) VALUES `, as one literal.
macro_rules! insert_into {
    ($verb:literal) => {
        concat!(
            $verb,
            " INTO executions (id, project_id, function_id, function_version, function_alias, description, input, \
             status, sync, result_output, result_duration, logs, created_at, updated_at) VALUES "
        )
    };
}

const INSERT: &str = insert_into!("INSERT");
/// One journaled row into SQLite, unless its id is there already.
const INSERT_ONE_OR_IGNORE: &str =
    concat!(insert_into!("INSERT OR IGNORE"), "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)");
/// The values of one row, and where the function's id and version are among them.
const COLUMNS: usize = 14;
const FUNCTION_ID_COLUMN: usize = 2;
const FUNCTION_VERSION_COLUMN: usize = 3;

/// One INSERT of executions with their logs.
pub(crate) fn insert(records: &[(&Execution, &str)]) -> sqlx::query::Query<'static, Any, AnyArguments> {
    let mut query = Query::new(INSERT);
    push_rows(&mut query, records);
    query.into_sqlx()
}

/// Appends the rows of an INSERT: `(…), (…)`, one per record.
fn push_rows<'a>(query: &mut Query<'a>, records: &[(&'a Execution, &'a str)]) {
    for (i, (execution, log)) in records.iter().enumerate() {
        query.push(if i == 0 { "(" } else { ", (" });
        query.bind(execution.id.to_string());
        query.push(", ");
        query.bind(execution.project_id.as_str());
        query.push(", ");
        query.bind(execution.function_id.to_string());
        query.push(", ");
        query.bind(execution.function_version);
        query.push(", ");
        query.bind(execution.function_alias.as_deref());
        query.push(", ");
        query.bind(execution.description.as_str());
        query.push(", ");
        query.bind(execution.input.as_str());
        query.push(", ");
        query.bind(execution.status.as_str());
        query.push(", ");
        query.bind(i64::from(execution.sync));
        query.push(", ");
        query.bind(execution.result.as_ref().map(|r| r.output.as_str()));
        query.push(", ");
        query.bind(execution.result.as_ref().map(|r| r.duration.as_secs_f64()));
        query.push(", ");
        query.bind(*log);
        query.push(", ");
        query.bind(stamp(execution.created_at));
        query.push(", ");
        query.bind(stamp(execution.updated_at));
        query.push(")");
    }
}

fn execution_from_row(row: &AnyRow) -> Result<Execution, StoreError> {
    let output: Option<String> = get(row, TABLE, "result_output")?;
    let duration: Option<f64> = get(row, TABLE, "result_duration")?;
    let result = match (output, duration) {
        (Some(output), Some(secs)) => Some(ExecutionResult {
            output,
            duration: Duration::try_from_secs_f64(secs)
                .map_err(|e| StoreError::Corrupt { table: TABLE, detail: format!("result_duration: {e}") })?,
        }),
        _ => None,
    };
    Ok(Execution {
        id: rows::id(row, TABLE, "id")?,
        project_id: ProjectId::new(get::<String>(row, TABLE, "project_id")?),
        function_id: rows::id(row, TABLE, "function_id")?,
        function_version: get(row, TABLE, "function_version")?,
        function_alias: get(row, TABLE, "function_alias")?,
        description: get(row, TABLE, "description")?,
        input: get(row, TABLE, "input")?,
        status: rows::parse(row, TABLE, "status", ExecutionStatus::parse)?,
        sync: rows::flag(row, TABLE, "sync")?,
        result,
        created_at: rows::time(row, TABLE, "created_at")?,
        updated_at: rows::time(row, TABLE, "updated_at")?,
    })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::testing::{execution, function, stores};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_records_are_all_committed_and_a_bad_one_fails_alone() {
        for (store, _dir) in stores().await {
            let function = function(&store).await;
            let first = execution(&function, ExecutionStatus::Success);
            store.record_execution(first.clone(), String::new()).await.unwrap();
            let mut records: Vec<Execution> =
                (0..100).map(|_| execution(&function, ExecutionStatus::Success)).collect();
            records.insert(50, first.clone()); // Recorded already: its id is taken.
            // Each on a task of its own, so that records arrive while others commit and batches form.
            let tasks = records.iter().map(|record| {
                let (store, record) = (store.clone(), record.clone());
                tokio::spawn(async move { store.record_execution(record, "log".into()).await })
            });
            let results = futures::future::join_all(tasks).await;
            let failed: Vec<usize> =
                results.iter().enumerate().filter(|(_, r)| r.as_ref().unwrap().is_err()).map(|(i, _)| i).collect();
            // PostgreSQL refuses the duplicate alone. SQLite acknowledges it once journaled, and the
            // database keeps the record it holds (as when a replay meets a record applied already).
            let expected: &[usize] = if store.backend == Backend::Postgres { &[50] } else { &[] };
            assert_eq!(failed, expected, "only the duplicate fails");
            let kept = store.get_execution(&function.project_id, first.id).await.unwrap();
            assert_eq!(kept.as_ref(), Some(&first), "the first record stays");
            let project = &function.project_id;
            assert_eq!(store.get_function(project, function.id).await.unwrap().unwrap().count, 101);
            for record in records.iter().filter(|record| record.id != first.id) {
                assert_eq!(store.execution_log(project, record.id).await.unwrap().as_deref(), Some("log"));
            }
        }
    }

    #[tokio::test]
    async fn a_batch_of_many_rows_and_functions_is_written_and_counted_per_function() {
        for (store, _dir) in stores().await {
            let (one, two) = (function(&store).await, function(&store).await);
            let mut executions: Vec<Execution> = (0..70).map(|_| execution(&one, ExecutionStatus::Success)).collect();
            executions.insert(3, execution(&two, ExecutionStatus::Failed));
            executions.insert(9, execution(&two, ExecutionStatus::Success));
            let rows: Vec<(&Execution, &str)> = executions.iter().map(|e| (e, "log")).collect();
            match store.backend {
                Backend::Sqlite => {
                    let file = crate::db::sqlite_file(&store.db).await.unwrap();
                    let mut payload = Vec::new();
                    encode_records(&rows, &mut payload);
                    apply_journaled(&mut rusqlite::Connection::open(file).unwrap(), &[payload]).unwrap();
                }
                Backend::Postgres => {
                    write_records_postgres(&mut store.db.acquire().await.unwrap(), &rows).await.unwrap();
                }
            }
            let project = &one.project_id;
            assert_eq!(store.get_function(project, one.id).await.unwrap().unwrap().count, 70);
            assert_eq!(store.get_function(project, two.id).await.unwrap().unwrap().count, 2);
            for execution in &executions {
                assert_eq!(store.get_execution(project, execution.id).await.unwrap().as_ref(), Some(execution));
            }
        }
    }

    #[tokio::test]
    async fn a_recorded_execution_reads_back_with_its_log_and_counts() {
        for (store, _dir) in stores().await {
            let function = function(&store).await;
            let execution = execution(&function, ExecutionStatus::Success);
            let recorded = store.record_execution(execution.clone(), "hello\n".into()).await.unwrap();
            assert_eq!(recorded, execution, "the execution comes back as it went in");
            let project = &function.project_id;
            assert_eq!(store.get_execution(project, execution.id).await.unwrap(), Some(execution.clone()));
            assert_eq!(store.execution_log(project, execution.id).await.unwrap().as_deref(), Some("hello\n"));
            assert_eq!(store.get_function(project, function.id).await.unwrap().unwrap().count, 1);
        }
    }

    #[tokio::test]
    async fn listings_filter_and_page_newest_first() {
        for (store, _dir) in stores().await {
            let function = function(&store).await;
            let ok = execution(&function, ExecutionStatus::Success);
            let mut failed = execution(&function, ExecutionStatus::Failed);
            failed.created_at = ok.created_at + chrono::Duration::milliseconds(1);
            store.record_execution(ok.clone(), String::new()).await.unwrap();
            store.record_execution(failed.clone(), String::new()).await.unwrap();
            let project = &function.project_id;
            let scope = &ProjectScope::One(project.clone());
            let all = store.list_executions(scope, &ExecutionFilter::default(), &Page::all()).await.unwrap();
            assert_eq!(all, vec![failed.clone(), ok.clone()]);
            let first = Page { limit: Some(1), marker: None };
            let listed = store.list_executions(scope, &ExecutionFilter::default(), &first).await.unwrap();
            assert_eq!(listed, vec![failed.clone(), ok.clone()], "one more than the limit tells a next page exists");
            let second = Page { limit: Some(1), marker: Some(failed.id) };
            assert_eq!(
                store.list_executions(scope, &ExecutionFilter::default(), &second).await.unwrap(),
                vec![ok.clone()]
            );
            let only_failed =
                ExecutionFilter { status: Some(Condition::Eq(ExecutionStatus::Failed)), ..Default::default() };
            assert_eq!(store.list_executions(scope, &only_failed, &Page::all()).await.unwrap(), vec![failed.clone()]);
            let not_failed =
                ExecutionFilter { status: Some(Condition::Neq(ExecutionStatus::Failed)), ..Default::default() };
            assert_eq!(store.list_executions(scope, &not_failed, &Page::all()).await.unwrap(), vec![ok.clone()]);
            let either = Condition::In(vec![ExecutionStatus::Failed, ExecutionStatus::Success]);
            let either = ExecutionFilter { status: Some(either), ..Default::default() };
            assert_eq!(store.list_executions(scope, &either, &Page::all()).await.unwrap().len(), 2);
            let in_nothing = ExecutionFilter { status: Some(Condition::In(vec![])), ..Default::default() };
            assert!(store.list_executions(scope, &in_nothing, &Page::all()).await.unwrap().is_empty());
            let not_in_nothing = ExecutionFilter { status: Some(Condition::NotIn(vec![])), ..Default::default() };
            assert_eq!(store.list_executions(scope, &not_in_nothing, &Page::all()).await.unwrap().len(), 2);
            let other_function = ExecutionFilter {
                function_id: Some(Condition::Eq(qinling_core::FunctionId::new())),
                ..Default::default()
            };
            assert!(store.list_executions(scope, &other_function, &Page::all()).await.unwrap().is_empty());
            let elsewhere = &ProjectScope::One(ProjectId::new("other"));
            assert!(
                store.list_executions(elsewhere, &ExecutionFilter::default(), &Page::all()).await.unwrap().is_empty()
            );
            let everywhere = store.list_executions(&ProjectScope::All, &only_failed, &Page::all()).await.unwrap();
            assert_eq!(everywhere, vec![failed.clone()], "all projects, still filtered");
            assert!(store.delete_execution(project, ok.id).await.unwrap());
            assert!(!store.delete_execution(project, ok.id).await.unwrap());
            assert_eq!(store.execution_log(project, ok.id).await.unwrap(), None);
        }
    }

    #[tokio::test]
    async fn queued_executions_are_claimed_once_oldest_first() {
        for (store, _dir) in stores().await {
            let function = function(&store).await;
            let first = execution(&function, ExecutionStatus::Running);
            let mut second = execution(&function, ExecutionStatus::Running);
            second.created_at = first.created_at + chrono::Duration::milliseconds(1);
            store.enqueue_execution(&second).await.unwrap();
            store.enqueue_execution(&first).await.unwrap();
            assert_eq!(store.queued_executions().await.unwrap(), 2);
            let now = Utc::now();
            assert_eq!(store.claim_queued_execution("a", now).await.unwrap().map(|e| e.id), Some(first.id));
            assert_eq!(store.claim_queued_execution("b", now).await.unwrap().map(|e| e.id), Some(second.id));
            assert_eq!(store.claim_queued_execution("a", now).await.unwrap(), None);
            assert_eq!(store.queued_executions().await.unwrap(), 0);

            let mut done = first.clone();
            done.status = ExecutionStatus::Success;
            done.result = Some(ExecutionResult { output: "1".into(), duration: Duration::from_millis(2) });
            store.finish_execution(&done, "log").await.unwrap();
            let project = &function.project_id;
            assert_eq!(store.get_execution(project, first.id).await.unwrap().unwrap().status, ExecutionStatus::Success);
            assert_eq!(store.get_function(project, function.id).await.unwrap().unwrap().count, 1);

            let abandoned =
                store.fail_abandoned_executions(Utc::now(), "the server stopped", Utc::now()).await.unwrap();
            assert_eq!(abandoned, 1, "only the claimed, unfinished one");
            let second = store.get_execution(project, second.id).await.unwrap().unwrap();
            assert_eq!(second.status, ExecutionStatus::Error);
            assert_eq!(second.result.unwrap().output, "the server stopped");
        }
    }

    #[tokio::test]
    async fn concurrent_claimers_never_take_the_same_execution() {
        for (store, _dir) in stores().await {
            let function = function(&store).await;
            let queued: Vec<Execution> = (0..200).map(|_| execution(&function, ExecutionStatus::Running)).collect();
            for execution in &queued {
                store.enqueue_execution(execution).await.unwrap();
            }
            let claimers = (0..8).map(|worker| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut claimed = Vec::new();
                    while let Some(execution) =
                        store.claim_queued_execution(&format!("worker-{worker}"), Utc::now()).await.unwrap()
                    {
                        claimed.push(execution.id);
                    }
                    claimed
                })
            });
            let mut claimed = Vec::new();
            for claimer in claimers.collect::<Vec<_>>() {
                claimed.extend(claimer.await.unwrap());
            }
            claimed.sort();
            let mut expected: Vec<ExecutionId> = queued.iter().map(|e| e.id).collect();
            expected.sort();
            assert_eq!(claimed, expected, "each queued execution claimed exactly once");
        }
    }
}
