//! `qinling execution create|list|show|log|delete`.

use clap::Subcommand;
use reqwest::Method;
use serde_json::json;

use super::http::Api;

#[derive(Subcommand, Debug)]
pub(crate) enum ExecutionCommand {
    /// Run a function: wait for the outcome, or with --async queue it and return at once.
    Create {
        /// The function to run (or give --alias).
        #[arg(required_unless_present = "alias")]
        function: Option<String>,
        /// The function version to run (0: the latest code).
        #[arg(long, requires = "function")]
        version: Option<i64>,
        /// An alias naming the function and version to run.
        #[arg(long, conflicts_with = "function")]
        alias: Option<String>,
        /// Queue the execution and return at once (status running).
        #[arg(long = "async")]
        asynchronous: bool,
        /// The input: JSON text, or any text (passed to the function as a JSON string).
        #[arg(long)]
        input: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// List executions.
    List {
        /// Only executions of this function.
        #[arg(long)]
        function: Option<String>,
        /// Only executions with this status (running, success, failed, error).
        #[arg(long)]
        status: Option<String>,
    },
    /// Show an execution.
    Show { id: String },
    /// Print what an execution wrote to stdout and stderr.
    Log { id: String },
    /// Delete executions.
    Delete {
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

const COLUMNS: &[&str] = &["id", "function_id", "status", "sync", "created_at"];

pub(crate) async fn run(api: &Api, command: ExecutionCommand) -> anyhow::Result<()> {
    match command {
        ExecutionCommand::Create { function, version, alias, asynchronous, input, description } => {
            let body = json!({
                "function_id": function, "function_version": version, "function_alias": alias,
                "input": input, "description": description, "sync": !asynchronous,
            });
            api.print_resource(&api.send_json(api.request(Method::POST, "/v1/executions").json(&body)).await?);
        }
        ExecutionCommand::List { function, status } => {
            let query: Vec<(&str, String)> = [("function_id", function), ("status", status)]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect();
            let answer = api.send_json(api.request(Method::GET, "/v1/executions").query(&query)).await?;
            api.print_list(&answer, "executions", COLUMNS);
        }
        ExecutionCommand::Show { id } => {
            api.print_resource(&api.get(&format!("/v1/executions/{id}")).await?);
        }
        ExecutionCommand::Log { id } => {
            let log = api.send(api.request(Method::GET, &format!("/v1/executions/{id}/log"))).await?.text().await?;
            print!("{log}");
        }
        ExecutionCommand::Delete { ids } => {
            for id in ids {
                api.delete(&format!("/v1/executions/{id}")).await?;
                println!("Request to delete execution {id} has been accepted.");
            }
        }
    }
    Ok(())
}
