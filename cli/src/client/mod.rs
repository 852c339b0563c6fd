//! The command-line client: each subcommand is one REST call, printed as a table (or the JSON itself with
//! `--json`). The server is found through `--url` or `QINLING_URL`.

mod alias;
mod execution;
mod function;
mod http;
mod job;
mod runtime;
mod source;
mod table;
mod target;
mod version;
mod webhook;

use alias::AliasCommand;
use execution::ExecutionCommand;
use function::FunctionCommand;
use http::Api;
use job::JobCommand;
use runtime::RuntimeCommand;
use webhook::WebhookCommand;

/// The client commands, one per resource.
#[derive(clap::Subcommand, Debug)]
pub(crate) enum ClientCommand {
    /// Manage runtimes.
    #[command(subcommand)]
    Runtime(RuntimeCommand),
    /// Manage functions.
    #[command(subcommand)]
    Function(FunctionCommand),
    /// Run functions and read executions.
    #[command(subcommand)]
    Execution(ExecutionCommand),
    /// Name functions at a version.
    #[command(subcommand)]
    Alias(AliasCommand),
    /// Run functions on a schedule.
    #[command(subcommand)]
    Job(JobCommand),
    /// Run functions from a URL.
    #[command(subcommand)]
    Webhook(WebhookCommand),
}

pub(crate) async fn run(connection: &Connection, command: ClientCommand) -> anyhow::Result<()> {
    let api = Api::new(connection)?;
    match command {
        ClientCommand::Runtime(command) => runtime::run(&api, command).await,
        ClientCommand::Function(command) => function::run(&api, command).await,
        ClientCommand::Execution(command) => execution::run(&api, command).await,
        ClientCommand::Alias(command) => alias::run(&api, command).await,
        ClientCommand::Job(command) => job::run(&api, command).await,
        ClientCommand::Webhook(command) => webhook::run(&api, command).await,
    }
}

use clap::Args;

/// Options every client command takes (given anywhere on the command line).
#[derive(Args, Debug, Clone)]
pub(crate) struct Connection {
    /// The Qinling server's URL.
    #[arg(long, env = "QINLING_URL", default_value = "http://127.0.0.1:7070", global = true)]
    url: String,
    /// A Keystone token, for a server with authentication on (`openstack token issue -c id -f value`).
    #[arg(long, env = "OS_AUTH_TOKEN", hide_env_values = true, global = true)]
    token: Option<String>,
    /// Print the server's JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
}
