//! `qinling webhook create|list|show|update|delete|invoke`.

use clap::Subcommand;
use reqwest::Method;
use serde_json::{Map, Value};

use super::Connection;
use super::http::Api;
use super::target::TargetArgs;

#[derive(Subcommand, Debug)]
pub(crate) enum WebhookCommand {
    /// Create a URL that runs a function with the request body as input.
    Create {
        #[command(flatten)]
        target: TargetArgs,
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        connection: Connection,
    },
    /// List webhooks.
    List {
        #[command(flatten)]
        connection: Connection,
    },
    /// Show a webhook.
    Show {
        id: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Retarget a webhook or change its description.
    Update {
        id: String,
        #[command(flatten)]
        target: TargetArgs,
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        connection: Connection,
    },
    /// Call a webhook (as anyone would, without credentials).
    Invoke {
        id: String,
        /// The request body.
        #[arg(long)]
        data: Option<String>,
        #[command(flatten)]
        connection: Connection,
    },
    /// Delete webhooks.
    Delete {
        #[arg(required = true)]
        ids: Vec<String>,
        #[command(flatten)]
        connection: Connection,
    },
}

const COLUMNS: &[&str] = &["id", "function_id", "function_alias", "function_version", "description", "webhook_url"];

pub(crate) async fn run(command: WebhookCommand) -> anyhow::Result<()> {
    match command {
        WebhookCommand::Create { target, description, connection } => {
            let api = Api::new(&connection);
            let mut body = Map::new();
            target.add_to(&mut body);
            if let Some(description) = description {
                body.insert("description".into(), Value::from(description));
            }
            api.print_resource(&api.send_json(api.request(Method::POST, "/v1/webhooks").json(&body)).await?);
        }
        WebhookCommand::List { connection } => {
            let api = Api::new(&connection);
            api.print_list(&api.get("/v1/webhooks").await?, "webhooks", COLUMNS);
        }
        WebhookCommand::Show { id, connection } => {
            let api = Api::new(&connection);
            api.print_resource(&api.get(&format!("/v1/webhooks/{id}")).await?);
        }
        WebhookCommand::Update { id, target, description, connection } => {
            let api = Api::new(&connection);
            let mut body = Map::new();
            target.add_to(&mut body);
            if let Some(description) = description {
                body.insert("description".into(), Value::from(description));
            }
            api.print_resource(
                &api.send_json(api.request(Method::PUT, &format!("/v1/webhooks/{id}")).json(&body)).await?,
            );
        }
        WebhookCommand::Invoke { id, data, connection } => {
            let api = Api::new(&connection);
            let request =
                api.request(Method::POST, &format!("/v1/webhooks/{id}/invoke")).body(data.unwrap_or_default());
            api.print_resource(&api.send_json(request).await?);
        }
        WebhookCommand::Delete { ids, connection } => {
            let api = Api::new(&connection);
            for id in ids {
                api.delete(&format!("/v1/webhooks/{id}")).await?;
                println!("Request to delete webhook {id} has been accepted.");
            }
        }
    }
    Ok(())
}
