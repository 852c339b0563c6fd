//! `qinling`: the Qinling server (`qinling server`) and a command-line client of its REST API.

mod check;
mod client;
mod server;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "qinling", version, about = "Functions as a Service: WebAssembly components and containers")]
struct Cli {
    #[command(flatten)]
    connection: client::Connection,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Server(server::ServerArgs),
    /// Check a data directory's database (offline).
    Check(check::CheckArgs),
    #[command(flatten)]
    Client(client::ClientCommand),
}

#[tokio::main]
async fn main() -> ExitCode {
    // Two TLS crypto providers are compiled in (kube's and the S3 client's); rustls needs one chosen.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Server(args) => server::run(args).await,
        Command::Check(args) => check::run(args).await,
        Command::Client(command) => client::run(&cli.connection, command).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The chain of causes, without a backtrace: these are messages for the user.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
