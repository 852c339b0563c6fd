//! `qinling alias create|list|show|update|delete`.

use clap::Subcommand;
use reqwest::Method;
use serde_json::json;

use super::http::Api;

#[derive(Subcommand, Debug)]
pub(crate) enum AliasCommand {
    /// Name a function at a version.
    Create {
        name: String,
        #[arg(long)]
        function: String,
        /// The version (0: the function's latest code).
        #[arg(long, default_value_t = 0)]
        version: i64,
        #[arg(long)]
        description: Option<String>,
    },
    /// List aliases.
    List,
    /// Show an alias.
    Show { name: String },
    /// Point an alias elsewhere or change its description.
    Update {
        name: String,
        #[arg(long)]
        function: Option<String>,
        #[arg(long)]
        version: Option<i64>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete aliases.
    Delete {
        #[arg(required = true)]
        names: Vec<String>,
    },
}

const COLUMNS: &[&str] = &["name", "function_id", "function_version", "description", "created_at"];

pub(crate) async fn run(api: &Api, command: AliasCommand) -> anyhow::Result<()> {
    match command {
        AliasCommand::Create { name, function, version, description } => {
            let body =
                json!({"name": name, "function_id": function, "function_version": version, "description": description});
            api.print_resource(&api.send_json(api.request(Method::POST, "/v1/aliases").json(&body)).await?);
        }
        AliasCommand::List => {
            api.print_list(&api.get("/v1/aliases").await?, "function_aliases", COLUMNS);
        }
        AliasCommand::Show { name } => {
            api.print_resource(&api.get(&format!("/v1/aliases/{name}")).await?);
        }
        AliasCommand::Update { name, function, version, description } => {
            let body = json!({"function_id": function, "function_version": version, "description": description});
            api.print_resource(
                &api.send_json(api.request(Method::PUT, &format!("/v1/aliases/{name}")).json(&body)).await?,
            );
        }
        AliasCommand::Delete { names } => {
            for name in names {
                api.delete(&format!("/v1/aliases/{name}")).await?;
                println!("Request to delete alias {name} has been accepted.");
            }
        }
    }
    Ok(())
}
