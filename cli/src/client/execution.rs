//! `qinling execution create|list|show|log|delete`.

use clap::Subcommand;
use reqwest::Method;
use serde_json::json;

use super::Connection;
use super::http::Api;

#[derive(Subcommand, Debug)]
pub(crate) enum ExecutionCommand {
    /// Run a function and show the execution when it is done.
    Create {
        /// The function to run.
        function: String,
        /// The input: JSON text, or any text (passed to the function as a JSON string).
        #[arg(long)]
        input: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        connection: Connection,
    },
    /// List executions.
    List {
        /// Only executions of this function.
        #[arg(long)]
        function: Option<String>,
        /// Only executions with this status (running, success, failed, error).
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        connection: Connection,
    },
    /// Show an execution.
    Show {
        id: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Print what an execution wrote to stdout and stderr.
    Log {
        id: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Delete executions.
    Delete {
        #[arg(required = true)]
        ids: Vec<String>,
        #[command(flatten)]
        connection: Connection,
    },
}

const COLUMNS: &[&str] = &["id", "function_id", "status", "sync", "created_at"];

pub(crate) async fn run(command: ExecutionCommand) -> anyhow::Result<()> {
    match command {
        ExecutionCommand::Create { function, input, description, connection } => {
            let api = Api::new(&connection);
            let body = json!({"function_id": function, "input": input, "description": description, "sync": true});
            api.print_resource(&api.send_json(api.request(Method::POST, "/v1/executions").json(&body)).await?);
        }
        ExecutionCommand::List { function, status, connection } => {
            let api = Api::new(&connection);
            let query: Vec<(&str, String)> = [("function_id", function), ("status", status)]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect();
            let answer = api.send_json(api.request(Method::GET, "/v1/executions").query(&query)).await?;
            api.print_list(&answer, "executions", COLUMNS);
        }
        ExecutionCommand::Show { id, connection } => {
            let api = Api::new(&connection);
            api.print_resource(&api.get(&format!("/v1/executions/{id}")).await?);
        }
        ExecutionCommand::Log { id, connection } => {
            let api = Api::new(&connection);
            let log = api.send(api.request(Method::GET, &format!("/v1/executions/{id}/log"))).await?.text().await?;
            print!("{log}");
        }
        ExecutionCommand::Delete { ids, connection } => {
            let api = Api::new(&connection);
            for id in ids {
                api.delete(&format!("/v1/executions/{id}")).await?;
                println!("Request to delete execution {id} has been accepted.");
            }
        }
    }
    Ok(())
}
