//! `qinling function create|list|show|update|download|delete`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use super::http::Api;
use super::source;

#[derive(Subcommand, Debug)]
pub(crate) enum FunctionCommand {
    /// Create a function from a package (for a Wasm runtime: a .wasm component; for a container runtime:
    /// a zip), from source, or from a container image.
    Create {
        /// The runtime to run on (not for --image).
        #[arg(long, required_unless_present = "image", conflicts_with = "image")]
        runtime: Option<String>,
        /// The package file to upload.
        #[arg(long, required_unless_present_any = ["source", "image"], conflicts_with_all = ["source", "image"])]
        package: Option<PathBuf>,
        /// A container image that serves the worker protocol with its code built in (an image function).
        #[arg(long, conflicts_with = "source")]
        image: Option<String>,
        /// Source to build and upload: a Python file (built with qinling-py) or a Rust crate directory.
        #[arg(long)]
        source: Option<PathBuf>,
        /// Pure-Python dependencies to bundle (with --source app.py).
        #[arg(long, requires = "source")]
        requirements: Option<PathBuf>,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        settings: Settings,
    },
    /// List functions.
    List,
    /// Show a function.
    Show { id: String },
    /// Change a function's settings or upload a new package (or one built from source).
    Update {
        id: String,
        #[arg(long, conflicts_with = "source")]
        package: Option<PathBuf>,
        /// Source to build and upload: a Python file (built with qinling-py) or a Rust crate directory.
        #[arg(long)]
        source: Option<PathBuf>,
        /// Pure-Python dependencies to bundle (with --source app.py).
        #[arg(long, requires = "source")]
        requirements: Option<PathBuf>,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        settings: Settings,
    },
    /// List the container workers a function holds.
    Workers { id: String },
    /// Give a container function more workers.
    ScaleUp {
        id: String,
        #[arg(long, default_value_t = 1)]
        count: u32,
    },
    /// Take workers from a container function (it keeps one).
    ScaleDown {
        id: String,
        #[arg(long, default_value_t = 1)]
        count: u32,
    },
    /// Let go of every worker of a container function.
    Detach { id: String },
    /// Download a function's package.
    Download {
        id: String,
        /// Where to write it; defaults to `<id>.wasm`.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Manage a function's versions.
    #[command(subcommand)]
    Version(super::version::VersionCommand),
    /// Delete functions.
    Delete {
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

/// Settings shared by create and update.
#[derive(clap::Args, Debug)]
pub(crate) struct Settings {
    #[arg(long)]
    description: Option<String>,
    #[arg(long)]
    entry: Option<String>,
    /// Timeout of one execution, in seconds.
    #[arg(long)]
    timeout: Option<u64>,
    /// Memory limit of one execution, in bytes.
    #[arg(long)]
    memory_size: Option<u64>,
    /// CPU share, in millicpu.
    #[arg(long)]
    cpu: Option<u64>,
    /// An origin the function may reach over HTTP (repeat for several), e.g. https://api.example.com.
    /// On update, the list replaces the old one.
    #[arg(long = "allowed-host")]
    allowed_hosts: Vec<String>,
    /// Remove every allowed host (update only).
    #[arg(long, conflicts_with = "allowed_hosts")]
    no_allowed_hosts: bool,
}

impl Settings {
    fn add_to(self, mut form: Form) -> Form {
        let text = [("description", self.description), ("entry", self.entry)];
        for (field, value) in text {
            if let Some(value) = value {
                form = form.text(field, value);
            }
        }
        if !self.allowed_hosts.is_empty() || self.no_allowed_hosts {
            form = form.text("allowed_hosts", serde_json::to_string(&self.allowed_hosts).unwrap_or_default());
        }
        let numbers = [("timeout", self.timeout), ("memory_size", self.memory_size), ("cpu", self.cpu)];
        for (field, value) in numbers {
            if let Some(value) = value {
                form = form.text(field, value.to_string());
            }
        }
        form
    }
}

const COLUMNS: &[&str] = &["id", "name", "runtime_id", "count", "timeout", "memory_size", "created_at"];

pub(crate) async fn run(api: &Api, command: FunctionCommand) -> anyhow::Result<()> {
    match command {
        FunctionCommand::Create { runtime, package, image, source, requirements, name, settings } => {
            let built = match &source {
                Some(source) => Some(source::build(source, requirements.as_deref()).await?),
                None => None,
            };
            let mut form = match image {
                Some(image) => Form::new().text("code", json!({"source": "image", "image": image}).to_string()),
                None => {
                    let package = built
                        .as_ref()
                        .map(|built| built.path.clone())
                        .or(package)
                        .context("a package, a source or an image")?;
                    Form::new()
                        .text("runtime_id", runtime.context("a runtime")?)
                        .text("code", json!({"source": "package"}).to_string())
                        .part("package", package_part(&package).await?)
                }
            };
            if let Some(name) = name {
                form = form.text("name", name);
            }
            let request = api.request(Method::POST, "/v1/functions").multipart(settings.add_to(form));
            api.print_resource(&api.send_json(request).await?);
        }
        FunctionCommand::List => {
            api.print_list(&api.get("/v1/functions").await?, "functions", COLUMNS);
        }
        FunctionCommand::Show { id } => {
            api.print_resource(&api.get(&format!("/v1/functions/{id}")).await?);
        }
        FunctionCommand::Update { id, package, source, requirements, name, settings } => {
            let built = match &source {
                Some(source) => Some(source::build(source, requirements.as_deref()).await?),
                None => None,
            };
            let package = built.as_ref().map(|built| built.path.clone()).or(package);
            let mut form = Form::new();
            if let Some(package) = package {
                form = form
                    .text("code", json!({"source": "package"}).to_string())
                    .part("package", package_part(&package).await?);
            }
            if let Some(name) = name {
                form = form.text("name", name);
            }
            let request = api.request(Method::PUT, &format!("/v1/functions/{id}")).multipart(settings.add_to(form));
            api.print_resource(&api.send_json(request).await?);
        }
        FunctionCommand::Workers { id } => {
            let answer = api.get(&format!("/v1/functions/{id}/workers")).await?;
            api.print_list(&answer, "workers", &["worker_name", "function_version"]);
        }
        FunctionCommand::ScaleUp { id, count } => scale(api, &id, "scale_up", Some(count)).await?,
        FunctionCommand::ScaleDown { id, count } => scale(api, &id, "scale_down", Some(count)).await?,
        FunctionCommand::Detach { id } => scale(api, &id, "detach", None).await?,
        FunctionCommand::Download { id, output } => {
            let response = api.send(api.request(Method::GET, &format!("/v1/functions/{id}?download=true"))).await?;
            let bytes = response.bytes().await.context("reading the package")?;
            let output = output.unwrap_or_else(|| PathBuf::from(format!("{id}.wasm")));
            tokio::fs::write(&output, &bytes).await.with_context(|| format!("writing {}", output.display()))?;
            println!("Package of function {id} written to {} ({} bytes).", output.display(), bytes.len());
        }
        FunctionCommand::Version(command) => super::version::run(api, command).await?,
        FunctionCommand::Delete { ids } => {
            for id in ids {
                api.delete(&format!("/v1/functions/{id}")).await?;
                println!("Request to delete function {id} has been accepted.");
            }
        }
    }
    Ok(())
}

/// `scale_up`, `scale_down` or `detach`.
async fn scale(api: &Api, id: &str, action: &str, count: Option<u32>) -> anyhow::Result<()> {
    let body = count.map_or_else(|| json!({}), |count| json!({"count": count}));
    api.send(api.request(Method::POST, &format!("/v1/functions/{id}/{action}")).json(&body)).await?;
    println!("Request to {} function {id} has been accepted.", action.replace('_', " "));
    Ok(())
}

async fn package_part(path: &PathBuf) -> anyhow::Result<Part> {
    let bytes = tokio::fs::read(path).await.with_context(|| format!("reading the package {}", path.display()))?;
    let file_name =
        path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_else(|| "package".into());
    Ok(Part::bytes(bytes).file_name(file_name))
}
