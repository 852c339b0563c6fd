//! Jobs: run a function on a cron pattern and/or at a first time, `count` times or forever, each run an
//! async execution. Rules follow Qinling's: a first time must be in the future, `count` above 1 needs a
//! pattern, a finished job cannot change, resuming a paused job recomputes its next time from now.

use chrono::Utc;
use qinling_core::{
    Execution, ExecutionId, ExecutionStatus, Job, JobId, JobStatus, Page, ProjectId, ProjectScope, Target, Timestamp,
};
use tokio::sync::watch;

use crate::schedule::Schedule;
use crate::{Engine, EngineError, Listed, input, validate};

/// Longest `function_input` a job may carry.
const MAX_JOB_INPUT: usize = 64 * 1024;
/// Most due jobs fired in one pass of the scheduler.
const FIRE_BATCH: i64 = 100;
/// Longest the scheduler sleeps, so that jobs created by other server processes are not missed for long.
const SCHEDULER_NAP: std::time::Duration = std::time::Duration::from_secs(1);

#[derive(Clone, Debug)]
pub struct NewJob {
    pub name: String,
    pub target: Target,
    pub function_input: Option<String>,
    pub pattern: Option<String>,
    pub first_execution_time: Option<Timestamp>,
    pub count: Option<i64>,
}

/// A partial update; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct JobUpdate {
    pub name: Option<String>,
    pub status: Option<JobStatus>,
    pub pattern: Option<String>,
    pub function_input: Option<String>,
    pub next_execution_time: Option<Timestamp>,
}

impl Engine {
    pub async fn create_job(&self, project: &ProjectId, new: NewJob) -> Result<Job, EngineError> {
        validate::text("name", &new.name)?;
        check_input(new.function_input.as_deref())?;
        let now = Utc::now();
        if new.pattern.is_none() && new.first_execution_time.is_none() {
            return Err(EngineError::Invalid("a job needs a pattern, a first_execution_time, or both".into()));
        }
        if let Some(count) = new.count {
            if count < 1 {
                return Err(EngineError::Invalid(format!("count must be at least 1, not {count}")));
            }
            if count > 1 && new.pattern.is_none() {
                return Err(EngineError::Invalid("count above 1 needs a pattern: a one-shot job runs once".into()));
            }
        }
        if let Some(first) = new.first_execution_time
            && first <= now
        {
            return Err(EngineError::Invalid(format!(
                "first_execution_time must be in the future; {first} is past (times are UTC)"
            )));
        }
        let schedule = new.pattern.as_deref().map(|p| self.schedule(p)).transpose()?;
        self.check_target(project, &new.target).await?;
        let (next, count) = match (&schedule, new.first_execution_time) {
            (Some(schedule), Some(first)) => (schedule.next_from(first).map_err(EngineError::Invalid)?, new.count),
            (Some(schedule), None) => (schedule.next_after(now).map_err(EngineError::Invalid)?, new.count),
            (None, Some(first)) => (first, Some(1)),
            (None, None) => unreachable!("checked above"),
        };
        let job = Job {
            id: JobId::new(),
            project_id: project.clone(),
            name: new.name,
            target: new.target,
            function_input: new.function_input,
            pattern: new.pattern,
            status: JobStatus::Running,
            first_execution_time: new.first_execution_time.or(Some(next)),
            next_execution_time: next,
            count,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_job(&job).await?;
        self.signals.jobs_changed.notify_one();
        tracing::info!(job = %job.id, next = %job.next_execution_time, "job created");
        Ok(job)
    }

    pub async fn get_job(&self, project: &ProjectId, id: JobId) -> Result<Job, EngineError> {
        self.store.get_job(project, id).await?.ok_or_else(|| EngineError::not_found("job", id))
    }

    pub async fn list_jobs(&self, scope: &ProjectScope, page: Page<JobId>) -> Result<Listed<Job>, EngineError> {
        // Across all projects a marker is any id; an unknown one gives an empty page.
        if let (Some(marker), Some(project)) = (page.marker, scope.project()) {
            self.get_job(project, marker)
                .await
                .map_err(|_| EngineError::Invalid(format!("marker {marker} is not a job")))?;
        }
        let items = self.store.list_jobs(scope, &page).await?;
        Ok(Listed::page(&page, items, |job| job.id.to_string()))
    }

    pub async fn update_job(&self, project: &ProjectId, id: JobId, update: JobUpdate) -> Result<Job, EngineError> {
        let mut job = self.get_job(project, id).await?;
        if job.status.is_finished() {
            return Err(EngineError::Invalid(format!("job {id} is {} and cannot be changed", job.status.as_str())));
        }
        let now = Utc::now();
        if let Some(name) = update.name {
            validate::text("name", &name)?;
            job.name = name;
        }
        if let Some(function_input) = update.function_input {
            check_input(Some(&function_input))?;
            job.function_input = Some(function_input);
        }
        let mut reschedule = false;
        if let Some(pattern) = update.pattern {
            if job.pattern.is_none() {
                return Err(EngineError::Invalid("a one-shot job cannot be given a pattern; create a new job".into()));
            }
            self.schedule(&pattern)?;
            job.pattern = Some(pattern);
            reschedule = true;
        }
        if let Some(status) = update.status {
            if status == JobStatus::Done {
                return Err(EngineError::Invalid("status can be set to running, paused or cancelled".into()));
            }
            reschedule |= job.status == JobStatus::Paused && status == JobStatus::Running;
            job.status = status;
        }
        if let Some(next) = update.next_execution_time {
            if next <= now {
                return Err(EngineError::Invalid("next_execution_time must be in the future".into()));
            }
            job.next_execution_time = next;
        } else if reschedule {
            match &job.pattern {
                Some(pattern) => {
                    job.next_execution_time = self.schedule(pattern)?.next_after(now).map_err(EngineError::Invalid)?
                }
                None if job.next_execution_time <= now => {
                    return Err(EngineError::Invalid(
                        "this one-shot job's time has passed while it was paused; give a new next_execution_time"
                            .into(),
                    ));
                }
                None => {}
            }
        }
        job.updated_at = now;
        if !self.store.update_job(&job).await? {
            return Err(EngineError::not_found("job", id));
        }
        self.signals.jobs_changed.notify_one();
        Ok(job)
    }

    pub async fn delete_job(&self, project: &ProjectId, id: JobId) -> Result<(), EngineError> {
        if self.store.delete_job(project, id).await? { Ok(()) } else { Err(EngineError::not_found("job", id)) }
    }

    fn schedule(&self, pattern: &str) -> Result<Schedule, EngineError> {
        Schedule::parse(pattern, self.settings.job_seconds).map_err(EngineError::Invalid)
    }

    /// The scheduler: fires due jobs, then sleeps until the next one is due (or a job changes).
    pub(crate) async fn schedule_jobs(self, mut stopped: watch::Receiver<bool>) {
        while !*stopped.borrow() {
            let now = Utc::now();
            match self.store.due_jobs(now, FIRE_BATCH).await {
                Ok(due) => {
                    for job in due {
                        self.fire(job, now).await;
                    }
                }
                Err(e) => tracing::error!(error = %e, "cannot read due jobs"),
            }
            let next = self.store.next_job_time().await.ok().flatten();
            let nap = next
                .and_then(|next| (next - Utc::now()).to_std().ok())
                .map_or(SCHEDULER_NAP, |until| until.min(SCHEDULER_NAP))
                .max(std::time::Duration::from_millis(1));
            tokio::select! {
                () = tokio::time::sleep(nap) => {}
                () = self.signals.jobs_changed.notified() => {}
                _ = stopped.changed() => {}
            }
        }
    }

    /// Fires one due job: its next run is scheduled and its execution queued in one transaction, once.
    async fn fire(&self, due: Job, now: Timestamp) {
        let mut advanced = due.clone();
        advanced.updated_at = now;
        advanced.count = due.count.map(|count| count - 1);
        let next = match due.pattern.as_deref().map(|p| self.schedule(p)) {
            Some(Ok(schedule)) => schedule.next_after(now.max(due.next_execution_time)).ok(),
            Some(Err(e)) => {
                tracing::error!(job = %due.id, error = %e, "job has an invalid pattern; finishing it");
                None
            }
            None => None,
        };
        match next {
            Some(next) if advanced.count != Some(0) => advanced.next_execution_time = next,
            _ => advanced.status = JobStatus::Done,
        }
        let execution = match self.resolve(&due.project_id, &due.target).await {
            Ok(runnable) => Some(Execution {
                id: ExecutionId::new(),
                project_id: due.project_id.clone(),
                function_id: runnable.function_id,
                function_version: runnable.version,
                function_alias: runnable.alias,
                description: format!("created by job {}", due.id),
                input: input::normalize(due.function_input.as_deref()),
                status: ExecutionStatus::Running,
                sync: false,
                result: None,
                created_at: now,
                updated_at: now,
            }),
            Err(e) => {
                tracing::warn!(job = %due.id, error = %e, "job target cannot be resolved; skipping this run");
                None
            }
        };
        match self.store.fire_job(&due, &advanced, execution.as_ref()).await {
            Ok(true) => {
                tracing::info!(job = %due.id, due = %due.next_execution_time, "job fired");
                self.signals.queued.notify_one();
            }
            Ok(false) => {}
            Err(e) => tracing::error!(job = %due.id, error = %e, "cannot fire job"),
        }
    }
}

fn check_input(input: Option<&str>) -> Result<(), EngineError> {
    match input {
        Some(text) if text.len() > MAX_JOB_INPUT => {
            Err(EngineError::Invalid(format!("function_input is {} bytes; the limit is {MAX_JOB_INPUT}", text.len())))
        }
        _ => Ok(()),
    }
}
