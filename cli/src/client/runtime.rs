//! `qinling runtime create|list|show|delete`.

use clap::Subcommand;
use reqwest::Method;
use serde_json::json;

use super::http::Api;

#[derive(Subcommand, Debug)]
pub(crate) enum RuntimeCommand {
    /// Create a runtime: the image "wasm" is the built-in Wasm host.
    Create {
        /// "wasm", or a container image.
        image: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// List runtimes.
    List,
    /// Show a runtime.
    Show { id: String },
    /// Delete runtimes.
    Delete {
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

const COLUMNS: &[&str] = &["id", "name", "kind", "image", "status", "created_at"];

pub(crate) async fn run(api: &Api, command: RuntimeCommand) -> anyhow::Result<()> {
    match command {
        RuntimeCommand::Create { image, name, description } => {
            let body = json!({"image": image, "name": name, "description": description});
            api.print_resource(&api.send_json(api.request(Method::POST, "/v1/runtimes").json(&body)).await?);
        }
        RuntimeCommand::List => {
            api.print_list(&api.get("/v1/runtimes").await?, "runtimes", COLUMNS);
        }
        RuntimeCommand::Show { id } => {
            api.print_resource(&api.get(&format!("/v1/runtimes/{id}")).await?);
        }
        RuntimeCommand::Delete { ids } => {
            for id in ids {
                api.delete(&format!("/v1/runtimes/{id}")).await?;
                println!("Request to delete runtime {id} has been accepted.");
            }
        }
    }
    Ok(())
}
