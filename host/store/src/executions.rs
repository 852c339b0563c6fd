//! Execution records and their logs.

use std::time::Duration;

use qinling_core::{Execution, ExecutionFilter, ExecutionId, ExecutionResult, ExecutionStatus, ProjectId};
use sqlx::sqlite::SqliteRow;

use crate::rows::{self, get};
use crate::{Store, StoreError};

const TABLE: &str = "executions";

/// `SELECT <every column but logs> FROM executions <rest>`, as one literal.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT id, project_id, function_id, function_version, function_alias, description, input, status, \
             sync, result_output, result_duration, created_at, updated_at FROM executions ",
            $rest
        )
    };
}

impl Store {
    /// Records an execution with its log and counts it against its function, in one transaction.
    pub async fn record_execution(&self, execution: &Execution, log: &str) -> Result<(), StoreError> {
        let mut tx = self.db.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "INSERT INTO executions (id, project_id, function_id, function_version, function_alias, description, \
             input, status, sync, result_output, result_duration, logs, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(execution.id.to_string())
        .bind(execution.project_id.as_str())
        .bind(execution.function_id.to_string())
        .bind(execution.function_version)
        .bind(&execution.function_alias)
        .bind(&execution.description)
        .bind(&execution.input)
        .bind(execution.status.as_str())
        .bind(execution.sync)
        .bind(execution.result.as_ref().map(|r| r.output.as_str()))
        .bind(execution.result.as_ref().map(|r| r.duration.as_secs_f64()))
        .bind(log)
        .bind(execution.created_at)
        .bind(execution.updated_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE functions SET count = count + 1 WHERE id = $1")
            .bind(execution.function_id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn get_execution(&self, project: &ProjectId, id: ExecutionId) -> Result<Option<Execution>, StoreError> {
        let row = sqlx::query(select!("WHERE id = $1 AND project_id = $2"))
            .bind(id.to_string())
            .bind(project.as_str())
            .fetch_optional(&self.db)
            .await?;
        row.as_ref().map(execution_from_row).transpose()
    }

    /// Executions of a project, oldest first, narrowed by `filter`.
    pub async fn list_executions(
        &self,
        project: &ProjectId,
        filter: &ExecutionFilter,
    ) -> Result<Vec<Execution>, StoreError> {
        let rows = sqlx::query(select!(
            "WHERE project_id = $1 AND ($2 IS NULL OR function_id = $2) AND ($3 IS NULL OR status = $3) \
             ORDER BY created_at, id"
        ))
        .bind(project.as_str())
        .bind(filter.function_id.map(|id| id.to_string()))
        .bind(filter.status.map(ExecutionStatus::as_str))
        .fetch_all(&self.db)
        .await?;
        rows.iter().map(execution_from_row).collect()
    }

    /// The log of an execution; `None` when there is no such execution.
    pub async fn execution_log(&self, project: &ProjectId, id: ExecutionId) -> Result<Option<String>, StoreError> {
        let log = sqlx::query_scalar("SELECT logs FROM executions WHERE id = $1 AND project_id = $2")
            .bind(id.to_string())
            .bind(project.as_str())
            .fetch_optional(&self.db)
            .await?;
        Ok(log)
    }

    /// Deletes an execution record; `false` when there was none.
    pub async fn delete_execution(&self, project: &ProjectId, id: ExecutionId) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM executions WHERE id = $1 AND project_id = $2")
            .bind(id.to_string())
            .bind(project.as_str())
            .execute(&self.db)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

fn execution_from_row(row: &SqliteRow) -> Result<Execution, StoreError> {
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
        sync: get(row, TABLE, "sync")?,
        result,
        created_at: get(row, TABLE, "created_at")?,
        updated_at: get(row, TABLE, "updated_at")?,
    })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use qinling_core::Function;

    use super::*;
    use crate::testing::{function, store};

    fn finished(function: &Function, status: ExecutionStatus) -> Execution {
        let now = Utc::now();
        Execution {
            id: ExecutionId::new(),
            project_id: function.project_id.clone(),
            function_id: function.id,
            function_version: 0,
            function_alias: None,
            description: String::new(),
            input: r#"{"text":"a b"}"#.into(),
            status,
            sync: true,
            result: Some(ExecutionResult { output: r#"{"words":2}"#.into(), duration: Duration::from_micros(1500) }),
            created_at: now,
            updated_at: now,
        }
    }

    #[tokio::test]
    async fn a_recorded_execution_reads_back_with_its_log_and_counts() {
        let (store, _dir) = store().await;
        let function = function(&store).await;
        let execution = finished(&function, ExecutionStatus::Success);
        store.record_execution(&execution, "hello\n").await.unwrap();
        let project = &function.project_id;
        assert_eq!(store.get_execution(project, execution.id).await.unwrap(), Some(execution.clone()));
        assert_eq!(store.execution_log(project, execution.id).await.unwrap().as_deref(), Some("hello\n"));
        assert_eq!(store.get_function(project, function.id).await.unwrap().unwrap().count, 1);
    }

    #[tokio::test]
    async fn listings_filter_by_function_and_status() {
        let (store, _dir) = store().await;
        let function = function(&store).await;
        let ok = finished(&function, ExecutionStatus::Success);
        let failed = finished(&function, ExecutionStatus::Failed);
        store.record_execution(&ok, "").await.unwrap();
        store.record_execution(&failed, "").await.unwrap();
        let project = &function.project_id;
        let all = store.list_executions(project, &ExecutionFilter::default()).await.unwrap();
        assert_eq!(all.len(), 2);
        let only_failed = ExecutionFilter { status: Some(ExecutionStatus::Failed), ..Default::default() };
        assert_eq!(store.list_executions(project, &only_failed).await.unwrap(), vec![failed.clone()]);
        let other_function =
            ExecutionFilter { function_id: Some(qinling_core::FunctionId::new()), ..Default::default() };
        assert!(store.list_executions(project, &other_function).await.unwrap().is_empty());
        assert!(store.delete_execution(project, ok.id).await.unwrap());
        assert!(!store.delete_execution(project, ok.id).await.unwrap());
        assert_eq!(store.execution_log(project, ok.id).await.unwrap(), None);
    }
}
