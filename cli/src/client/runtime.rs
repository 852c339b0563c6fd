//! `qinling runtime create|list|show|delete`.

use clap::Subcommand;
use reqwest::Method;
use serde_json::json;

use super::Connection;
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
        #[command(flatten)]
        connection: Connection,
    },
    /// List runtimes.
    List {
        #[command(flatten)]
        connection: Connection,
    },
    /// Show a runtime.
    Show {
        id: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Delete runtimes.
    Delete {
        #[arg(required = true)]
        ids: Vec<String>,
        #[command(flatten)]
        connection: Connection,
    },
}

const COLUMNS: &[&str] = &["id", "name", "kind", "image", "status", "created_at"];

pub(crate) async fn run(command: RuntimeCommand) -> anyhow::Result<()> {
    match command {
        RuntimeCommand::Create { image, name, description, connection } => {
            let api = Api::new(&connection);
            let body = json!({"image": image, "name": name, "description": description});
            api.print_resource(&api.send_json(api.request(Method::POST, "/v1/runtimes").json(&body)).await?);
        }
        RuntimeCommand::List { connection } => {
            let api = Api::new(&connection);
            api.print_list(&api.get("/v1/runtimes").await?, "runtimes", COLUMNS);
        }
        RuntimeCommand::Show { id, connection } => {
            let api = Api::new(&connection);
            api.print_resource(&api.get(&format!("/v1/runtimes/{id}")).await?);
        }
        RuntimeCommand::Delete { ids, connection } => {
            let api = Api::new(&connection);
            for id in ids {
                api.delete(&format!("/v1/runtimes/{id}")).await?;
                println!("Request to delete runtime {id} has been accepted.");
            }
        }
    }
    Ok(())
}
