//! `qinling webhook create|list|show|update|delete|invoke`.

use clap::Subcommand;
use reqwest::Method;
use serde_json::{Map, Value};

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
    },
    /// List webhooks.
    List,
    /// Show a webhook.
    Show { id: String },
    /// Retarget a webhook or change its description.
    Update {
        id: String,
        #[command(flatten)]
        target: TargetArgs,
        #[arg(long)]
        description: Option<String>,
    },
    /// Call a webhook (as anyone would, without credentials).
    Invoke {
        id: String,
        /// The request body.
        #[arg(long)]
        data: Option<String>,
    },
    /// Delete webhooks.
    Delete {
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

const COLUMNS: &[&str] = &["id", "function_id", "function_alias", "function_version", "description", "webhook_url"];

pub(crate) async fn run(api: &Api, command: WebhookCommand) -> anyhow::Result<()> {
    match command {
        WebhookCommand::Create { target, description } => {
            let mut body = Map::new();
            target.add_to(&mut body);
            if let Some(description) = description {
                body.insert("description".into(), Value::from(description));
            }
            api.print_resource(&api.send_json(api.request(Method::POST, "/v1/webhooks").json(&body)).await?);
        }
        WebhookCommand::List => {
            api.print_list(&api.get("/v1/webhooks").await?, "webhooks", COLUMNS);
        }
        WebhookCommand::Show { id } => {
            api.print_resource(&api.get(&format!("/v1/webhooks/{id}")).await?);
        }
        WebhookCommand::Update { id, target, description } => {
            let mut body = Map::new();
            target.add_to(&mut body);
            if let Some(description) = description {
                body.insert("description".into(), Value::from(description));
            }
            api.print_resource(
                &api.send_json(api.request(Method::PUT, &format!("/v1/webhooks/{id}")).json(&body)).await?,
            );
        }
        WebhookCommand::Invoke { id, data } => {
            let request =
                api.request(Method::POST, &format!("/v1/webhooks/{id}/invoke")).body(data.unwrap_or_default());
            api.print_resource(&api.send_json(request).await?);
        }
        WebhookCommand::Delete { ids } => {
            for id in ids {
                api.delete(&format!("/v1/webhooks/{id}")).await?;
                println!("Request to delete webhook {id} has been accepted.");
            }
        }
    }
    Ok(())
}
