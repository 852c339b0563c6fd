//! The command-line client: each subcommand is one REST call, printed as a table (or the JSON itself with
//! `--json`). The server is found through `--url` or `QINLING_URL`.

mod alias;
mod execution;
mod function;
mod http;
mod job;
mod runtime;
mod table;
mod target;
mod version;
mod webhook;

pub(crate) use alias::{AliasCommand, run as alias};
pub(crate) use execution::{ExecutionCommand, run as execution};
pub(crate) use function::{FunctionCommand, run as function};
pub(crate) use job::{JobCommand, run as job};
pub(crate) use runtime::{RuntimeCommand, run as runtime};
pub(crate) use webhook::{WebhookCommand, run as webhook};

use clap::Args;

/// Options every client command takes.
#[derive(Args, Debug, Clone)]
pub(crate) struct Connection {
    /// The Qinling server's URL.
    #[arg(long, env = "QINLING_URL", default_value = "http://127.0.0.1:7070", global = true)]
    url: String,
    /// Print the server's JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
}
