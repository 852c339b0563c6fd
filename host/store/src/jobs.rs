//! Jobs, and firing a due one: advancing its schedule and queueing its execution happen in one
//! transaction that only succeeds if nobody fired it first, so each due time fires exactly once across
//! restarts and server processes.

use qinling_core::{Execution, Job, JobId, JobStatus, Page, ProjectId, ProjectScope, Timestamp};
use sqlx::any::AnyRow;

use crate::rows::{self, get, stamp};
use crate::{Store, StoreError};

const TABLE: &str = "jobs";

/// `SELECT <every column> FROM jobs <rest>`, as one literal.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT id, project_id, name, function_id, function_version, function_alias, function_input, pattern, \
             status, first_execution_time, next_execution_time, count, created_at, updated_at FROM jobs ",
            $rest
        )
    };
}

impl Store {
    pub async fn insert_job(&self, job: &Job) -> Result<(), StoreError> {
        let (function_id, version, alias) = rows::target_columns(&job.target);
        sqlx::query(
            "INSERT INTO jobs (id, project_id, name, function_id, function_version, function_alias, function_input, \
             pattern, status, first_execution_time, next_execution_time, count, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(job.id.to_string())
        .bind(job.project_id.as_str())
        .bind(&job.name)
        .bind(function_id)
        .bind(version.unwrap_or(0))
        .bind(alias)
        .bind(&job.function_input)
        .bind(&job.pattern)
        .bind(job.status.as_str())
        .bind(job.first_execution_time.map(stamp))
        .bind(stamp(job.next_execution_time))
        .bind(job.count)
        .bind(stamp(job.created_at))
        .bind(stamp(job.updated_at))
        .execute(&self.db)
        .await?;
        Ok(())
    }

    pub async fn get_job(&self, project: &ProjectId, id: JobId) -> Result<Option<Job>, StoreError> {
        let row = sqlx::query(select!("WHERE id = $1 AND project_id = $2"))
            .bind(id.to_string())
            .bind(project.as_str())
            .fetch_optional(&self.db)
            .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// A page of a project's jobs, newest first.
    pub async fn list_jobs(&self, scope: &ProjectScope, page: &Page<JobId>) -> Result<Vec<Job>, StoreError> {
        let rows = sqlx::query(select!(
            "WHERE ($1 IS NULL OR project_id = $1) \
             AND ($2 IS NULL OR (created_at, id) < (SELECT created_at, id FROM jobs WHERE id = $2)) \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        ))
        .bind(scope.filter())
        .bind(page.marker.map(|id| id.to_string()))
        .bind(page.fetch_limit())
        .fetch_all(&self.db)
        .await?;
        rows.iter().map(job_from_row).collect()
    }

    /// Writes back a job's mutable fields; `false` when it no longer exists.
    pub async fn update_job(&self, job: &Job) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET name = $1, function_input = $2, pattern = $3, status = $4, next_execution_time = $5, \
             count = $6, updated_at = $7 WHERE id = $8 AND project_id = $9",
        )
        .bind(&job.name)
        .bind(&job.function_input)
        .bind(&job.pattern)
        .bind(job.status.as_str())
        .bind(stamp(job.next_execution_time))
        .bind(job.count)
        .bind(stamp(job.updated_at))
        .bind(job.id.to_string())
        .bind(job.project_id.as_str())
        .execute(&self.db)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn delete_job(&self, project: &ProjectId, id: JobId) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM jobs WHERE id = $1 AND project_id = $2")
            .bind(id.to_string())
            .bind(project.as_str())
            .execute(&self.db)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Running jobs whose next execution time has come, earliest first (any project).
    pub async fn due_jobs(&self, now: Timestamp, limit: i64) -> Result<Vec<Job>, StoreError> {
        let rows = sqlx::query(select!(
            "WHERE status = 'running' AND next_execution_time <= $1 ORDER BY next_execution_time LIMIT $2"
        ))
        .bind(stamp(now))
        .bind(limit)
        .fetch_all(&self.db)
        .await?;
        rows.iter().map(job_from_row).collect()
    }

    /// When the earliest running job is due, if any.
    pub async fn next_job_time(&self) -> Result<Option<Timestamp>, StoreError> {
        let row = sqlx::query("SELECT MIN(next_execution_time) AS next FROM jobs WHERE status = 'running'")
            .fetch_one(&self.db)
            .await?;
        rows::optional_time(&row, TABLE, "next")
    }

    /// Fires a due job: moves it from `due` to `advanced` (next time, count, status) and queues
    /// `execution` (if any), in one transaction, only if the job is still as `due` describes it. `false`:
    /// someone else fired it (or it was changed) first, and nothing was written.
    pub async fn fire_job(&self, due: &Job, advanced: &Job, execution: Option<&Execution>) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_with(self.backend.begin_write()).await?;
        let done = sqlx::query(
            "UPDATE jobs SET next_execution_time = $1, count = $2, status = $3, updated_at = $4 \
             WHERE id = $5 AND status = 'running' AND next_execution_time = $6",
        )
        .bind(stamp(advanced.next_execution_time))
        .bind(advanced.count)
        .bind(advanced.status.as_str())
        .bind(stamp(advanced.updated_at))
        .bind(due.id.to_string())
        .bind(stamp(due.next_execution_time))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        if let Some(execution) = execution {
            crate::executions::insert(&[(execution, "")]).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}

fn job_from_row(row: &AnyRow) -> Result<Job, StoreError> {
    Ok(Job {
        id: rows::id(row, TABLE, "id")?,
        project_id: ProjectId::new(get::<String>(row, TABLE, "project_id")?),
        name: get(row, TABLE, "name")?,
        target: rows::target(row, TABLE)?,
        function_input: get(row, TABLE, "function_input")?,
        pattern: get(row, TABLE, "pattern")?,
        status: rows::parse(row, TABLE, "status", JobStatus::parse)?,
        first_execution_time: rows::optional_time(row, TABLE, "first_execution_time")?,
        next_execution_time: rows::time(row, TABLE, "next_execution_time")?,
        count: get(row, TABLE, "count")?,
        created_at: rows::time(row, TABLE, "created_at")?,
        updated_at: rows::time(row, TABLE, "updated_at")?,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};
    use qinling_core::{ExecutionId, ExecutionStatus, Target};

    use super::*;
    use crate::testing::{function, stores};

    /// A running job of `function` due at `now`, once.
    fn job_of(function: &qinling_core::Function, now: qinling_core::Timestamp) -> Job {
        Job {
            id: JobId::new(),
            project_id: function.project_id.clone(),
            name: "job".into(),
            target: Target::Function { id: function.id, version: 0 },
            function_input: None,
            pattern: None,
            status: JobStatus::Running,
            first_execution_time: None,
            next_execution_time: now,
            count: Some(1),
            created_at: now,
            updated_at: now,
        }
    }

    #[tokio::test]
    async fn a_job_for_a_function_deleted_meanwhile_is_refused_as_a_reference_race() {
        for (store, _dir) in stores().await {
            let function = function(&store).await;
            store.delete_function(&function.project_id, function.id).await.unwrap().unwrap();
            let orphan = job_of(&function, Utc::now());
            let refused = store.insert_job(&orphan).await.unwrap_err();
            assert!(refused.is_reference_race(), "{refused}");
            assert_eq!(store.get_job(&function.project_id, orphan.id).await.unwrap(), None);
        }
    }

    #[tokio::test]
    async fn a_due_job_fires_once() {
        for (store, _dir) in stores().await {
            let function = function(&store).await;
            let now = Utc::now();
            let due = Job {
                function_input: Some(r#"{"a": 1}"#.into()),
                pattern: Some("* * * * *".into()),
                next_execution_time: now - Duration::seconds(1),
                count: Some(2),
                ..job_of(&function, now)
            };
            store.insert_job(&due).await.unwrap();
            assert_eq!(store.get_job(&due.project_id, due.id).await.unwrap(), Some(due.clone()));
            assert_eq!(store.due_jobs(now, 10).await.unwrap(), vec![due.clone()]);
            assert_eq!(store.next_job_time().await.unwrap(), Some(due.next_execution_time));

            let advanced = Job { next_execution_time: now + Duration::seconds(59), count: Some(1), ..due.clone() };
            let execution = Execution {
                id: ExecutionId::new(),
                project_id: due.project_id.clone(),
                function_id: function.id,
                function_version: 0,
                function_alias: None,
                description: format!("created by job {}", due.id),
                input: r#"{"a":1}"#.into(),
                status: ExecutionStatus::Running,
                sync: false,
                result: None,
                created_at: now,
                updated_at: now,
            };
            assert!(store.fire_job(&due, &advanced, Some(&execution)).await.unwrap());
            let again = Execution { id: ExecutionId::new(), ..execution.clone() };
            assert!(!store.fire_job(&due, &advanced, Some(&again)).await.unwrap(), "a due time fires once");
            assert_eq!(store.queued_executions().await.unwrap(), 1);
            assert!(store.due_jobs(now, 10).await.unwrap().is_empty());
            assert_eq!(store.get_job(&due.project_id, due.id).await.unwrap(), Some(advanced));
        }
    }
}
