//! `qinling job create|list|show|update|delete`.

use clap::Subcommand;
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::http::Api;
use super::target::TargetArgs;

#[derive(Subcommand, Debug)]
pub(crate) enum JobCommand {
    /// Run a function on a cron pattern and/or at a first time.
    Create {
        #[command(flatten)]
        target: TargetArgs,
        #[arg(long)]
        name: Option<String>,
        /// A 5-field cron pattern, e.g. "*/5 * * * *".
        #[arg(long)]
        pattern: Option<String>,
        /// The first run, UTC "YYYY-MM-DD HH:MM[:SS]".
        #[arg(long)]
        first_execution_time: Option<String>,
        /// How many runs (default: forever with a pattern, once without).
        #[arg(long)]
        count: Option<i64>,
        /// The input each run receives.
        #[arg(long)]
        input: Option<String>,
    },
    /// List jobs.
    List,
    /// Show a job.
    Show { id: String },
    /// Pause, resume or cancel a job, or change its pattern, input or name.
    Update {
        id: String,
        /// running, paused or cancelled.
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        pattern: Option<String>,
        #[arg(long)]
        input: Option<String>,
        #[arg(long)]
        name: Option<String>,
    },
    /// Delete jobs.
    Delete {
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

const COLUMNS: &[&str] =
    &["id", "name", "function_id", "function_alias", "pattern", "status", "count", "next_execution_time"];

pub(crate) async fn run(api: &Api, command: JobCommand) -> anyhow::Result<()> {
    match command {
        JobCommand::Create { target, name, pattern, first_execution_time, count, input } => {
            let mut body = Map::new();
            target.add_to(&mut body);
            let fields = [
                ("name", name.map(Value::from)),
                ("pattern", pattern.map(Value::from)),
                ("first_execution_time", first_execution_time.map(Value::from)),
                ("count", count.map(Value::from)),
                ("function_input", input.map(Value::from)),
            ];
            body.extend(fields.into_iter().filter_map(|(key, value)| value.map(|value| (key.to_owned(), value))));
            api.print_resource(&api.send_json(api.request(Method::POST, "/v1/jobs").json(&body)).await?);
        }
        JobCommand::List => {
            api.print_list(&api.get("/v1/jobs").await?, "jobs", COLUMNS);
        }
        JobCommand::Show { id } => {
            api.print_resource(&api.get(&format!("/v1/jobs/{id}")).await?);
        }
        JobCommand::Update { id, status, pattern, input, name } => {
            let body = json!({"status": status, "pattern": pattern, "function_input": input, "name": name});
            api.print_resource(&api.send_json(api.request(Method::PUT, &format!("/v1/jobs/{id}")).json(&body)).await?);
        }
        JobCommand::Delete { ids } => {
            for id in ids {
                api.delete(&format!("/v1/jobs/{id}")).await?;
                println!("Request to delete job {id} has been accepted.");
            }
        }
    }
    Ok(())
}
