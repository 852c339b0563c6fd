//! `qinling function version create|list|show|download|delete`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use reqwest::Method;
use serde_json::json;

use super::http::Api;

#[derive(Subcommand, Debug)]
pub(crate) enum VersionCommand {
    /// Snapshot a function's current package and settings as its next version.
    Create {
        function: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// List a function's versions.
    List { function: String },
    /// Show a version.
    Show { function: String, version: u32 },
    /// Download a version's package.
    Download {
        function: String,
        version: u32,
        /// Where to write it; defaults to `<function>_<version>.wasm`.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Delete a version.
    Delete { function: String, version: u32 },
}

const COLUMNS: &[&str] = &["id", "function_id", "version_number", "description", "count", "created_at"];

pub(crate) async fn run(api: &Api, command: VersionCommand) -> anyhow::Result<()> {
    match command {
        VersionCommand::Create { function, description } => {
            let request = api
                .request(Method::POST, &format!("/v1/functions/{function}/versions"))
                .json(&json!({"description": description}));
            api.print_resource(&api.send_json(request).await?);
        }
        VersionCommand::List { function } => {
            api.print_list(
                &api.get(&format!("/v1/functions/{function}/versions")).await?,
                "function_versions",
                COLUMNS,
            );
        }
        VersionCommand::Show { function, version } => {
            api.print_resource(&api.get(&format!("/v1/functions/{function}/versions/{version}")).await?);
        }
        VersionCommand::Download { function, version, output } => {
            let path = format!("/v1/functions/{function}/versions/{version}?download=true");
            let bytes =
                api.send(api.request(Method::GET, &path)).await?.bytes().await.context("reading the package")?;
            let output = output.unwrap_or_else(|| PathBuf::from(format!("{function}_{version}.wasm")));
            tokio::fs::write(&output, &bytes).await.with_context(|| format!("writing {}", output.display()))?;
            println!("Package of version {version} of function {function} written to {}.", output.display());
        }
        VersionCommand::Delete { function, version } => {
            api.delete(&format!("/v1/functions/{function}/versions/{version}")).await?;
            println!("Request to delete version {version} of function {function} has been accepted.");
        }
    }
    Ok(())
}
