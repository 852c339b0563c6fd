//! Jobs (periodic or one-shot executions) and webhooks (URLs that run a function).

use crate::{JobId, ProjectId, Target, Timestamp, WebhookId};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStatus {
    Running,
    Paused,
    Cancelled,
    Done,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Cancelled => "cancelled",
            Self::Done => "done",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "running" => Some(Self::Running),
            "paused" => Some(Self::Paused),
            "cancelled" => Some(Self::Cancelled),
            "done" => Some(Self::Done),
            _ => None,
        }
    }

    /// A finished job never runs again and cannot be changed.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Cancelled | Self::Done)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub project_id: ProjectId,
    pub name: String,
    pub target: Target,
    /// The input each execution receives, as the client sent it.
    pub function_input: Option<String>,
    /// A cron pattern; `None` for a one-shot job.
    pub pattern: Option<String>,
    pub status: JobStatus,
    pub first_execution_time: Option<Timestamp>,
    pub next_execution_time: Timestamp,
    /// Runs left; `None` runs forever.
    pub count: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Webhook {
    pub id: WebhookId,
    pub project_id: ProjectId,
    pub target: Target,
    pub description: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
