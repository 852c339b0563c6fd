//! The async queue and the background tasks that serve it: workers that claim queued executions from the
//! database (so several server processes never run one twice), run them and record the outcome; and a
//! reaper that turns executions abandoned by a dead process into `error` ones. Starting them also
//! reconciles the container runtimes' pools.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use qinling_core::{Execution, ExecutionResult, ExecutionStatus};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::executions::Admission;
use crate::{Engine, EngineError};

/// How often idle workers look for work queued by other server processes.
const POLL: Duration = Duration::from_millis(500);
/// How often the reaper looks for abandoned executions.
const REAP_EVERY: Duration = Duration::from_secs(60);
/// How long past its timeout a claimed execution may stay unfinished before it counts as abandoned.
const REAP_GRACE: Duration = Duration::from_secs(60);

/// Shared by the request path (which queues executions and changes jobs) and the background tasks.
pub(crate) struct Signals {
    /// Wakes idle workers when this process queues an execution.
    pub(crate) queued: Notify,
    /// Wakes the job scheduler when this process creates or changes a job.
    pub(crate) jobs_changed: Notify,
    /// Names this process in the executions it claims.
    pub(crate) worker_id: String,
}

impl Signals {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            queued: Notify::new(),
            jobs_changed: Notify::new(),
            worker_id: format!("qinling-{}", uuid::Uuid::new_v4()),
        })
    }
}

/// The running background tasks; [`Background::shutdown`] stops them.
pub struct Background {
    tasks: JoinSet<()>,
    stop: watch::Sender<bool>,
    engine: Engine,
}

impl Engine {
    pub(crate) async fn enqueue(&self, execution: &Execution) -> Result<(), EngineError> {
        let queued = self.store.queued_executions().await?;
        if queued >= self.settings.queue_capacity {
            return Err(EngineError::Overloaded(format!(
                "the async queue is full ({queued} executions waiting); retry later"
            )));
        }
        self.store.enqueue_execution(execution).await?;
        self.signals.queued.notify_one();
        Ok(())
    }

    /// Starts the queue workers, the job scheduler and the reaper. Executions left claimed by a previous
    /// run of this server (it died while running them) are marked `error` first.
    pub async fn start_background(&self) -> Result<Background, EngineError> {
        let now = Utc::now();
        let abandoned = self.store.fail_abandoned_executions(now, ABANDONED, now).await?;
        if abandoned > 0 {
            tracing::warn!(abandoned, "marked executions interrupted by the last shutdown as error");
        }
        self.reconcile_pools().await;
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        for _ in 0..self.settings.async_workers {
            tasks.spawn(self.clone().work(stopped.clone()));
        }
        tasks.spawn(self.clone().reap(stopped.clone()));
        tasks.spawn(self.clone().schedule_jobs(stopped));
        Ok(Background { tasks, stop, engine: self.clone() })
    }

    async fn work(self, mut stopped: watch::Receiver<bool>) {
        while !*stopped.borrow() {
            match self.store.claim_queued_execution(&self.signals.worker_id, Utc::now()).await {
                Ok(Some(execution)) => self.run_queued(execution).await,
                Ok(None) => {
                    tokio::select! {
                        () = self.signals.queued.notified() => {}
                        () = tokio::time::sleep(POLL) => {}
                        _ = stopped.changed() => {}
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot claim queued executions");
                    tokio::time::sleep(POLL).await;
                }
            }
        }
    }

    async fn run_queued(&self, execution: Execution) {
        let project = execution.project_id.clone();
        let alias = execution.function_alias.clone();
        let resolved = self.resolve_version(&project, execution.function_id, execution.function_version, alias).await;
        let ran = match resolved {
            Ok(runnable) => self.run(&runnable, execution.clone(), Admission::Wait).await,
            Err(e) => Err(e),
        };
        let (finished, log) = match ran {
            Ok(ran) => ran,
            Err(e) => {
                let mut failed = execution;
                failed.status = ExecutionStatus::Error;
                failed.result = Some(ExecutionResult { output: format!("cannot run: {e}"), duration: Duration::ZERO });
                failed.updated_at = Utc::now();
                (failed, String::new())
            }
        };
        if let Err(e) = self.store.finish_execution(&finished, &log).await {
            tracing::error!(execution = %finished.id, error = %e, "cannot record an async execution's outcome");
        }
    }

    /// Marks executions claimed long enough ago that their process must have died (another replica, or
    /// this one before a crash) as `error`.
    async fn reap(self, mut stopped: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                () = tokio::time::sleep(REAP_EVERY) => {}
                _ = stopped.changed() => return,
            }
            let longest = Duration::from_secs(self.settings.limits.max_timeout_secs) + REAP_GRACE;
            let now = Utc::now();
            let cutoff = now - chrono::Duration::from_std(longest).unwrap_or(chrono::Duration::MAX);
            match self.store.fail_abandoned_executions(cutoff, ABANDONED, now).await {
                Ok(0) => {}
                Ok(reaped) => tracing::warn!(reaped, "marked abandoned executions as error"),
                Err(e) => tracing::error!(error = %e, "cannot reap abandoned executions"),
            }
        }
    }
}

/// The outcome recorded for an execution whose server process stopped while running it.
const ABANDONED: &str = "the server stopped while this execution was running; it did not finish";

impl Background {
    /// Stops claiming work, lets running executions finish for up to `grace`, then stops everything.
    pub async fn shutdown(mut self, grace: Duration) {
        let _ = self.stop.send(true);
        self.engine.signals.queued.notify_waiters();
        let drained = tokio::time::timeout(grace, async { while self.tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::warn!("background tasks still busy after the grace period; stopping them");
            self.tasks.shutdown().await;
        }
    }
}
