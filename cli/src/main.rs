//! `qinling`: the Qinling server (`qinling server`) and a command-line client of its REST API.

mod client;
mod server;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "qinling", version, about = "Functions as a Service: WebAssembly components and containers")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Server(server::ServerArgs),
    /// Manage runtimes.
    #[command(subcommand)]
    Runtime(client::RuntimeCommand),
    /// Manage functions.
    #[command(subcommand)]
    Function(client::FunctionCommand),
    /// Run functions and read executions.
    #[command(subcommand)]
    Execution(client::ExecutionCommand),
    /// Name functions at a version.
    #[command(subcommand)]
    Alias(client::AliasCommand),
    /// Run functions on a schedule.
    #[command(subcommand)]
    Job(client::JobCommand),
    /// Run functions from a URL.
    #[command(subcommand)]
    Webhook(client::WebhookCommand),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Server(args) => server::run(args).await,
        Command::Runtime(command) => client::runtime(command).await,
        Command::Function(command) => client::function(command).await,
        Command::Execution(command) => client::execution(command).await,
        Command::Alias(command) => client::alias(command).await,
        Command::Job(command) => client::job(command).await,
        Command::Webhook(command) => client::webhook(command).await,
    }
}
