//! `qinling check`: verifies a data directory offline: the database opens, its schema is current,
//! SQLite's integrity check passes, and every package a function or version refers to is present and
//! intact. For operators after a crash, and for the crash-safety tests.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use qinling_store::Store;

#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    /// The data directory to check (the server must not be running on it).
    #[arg(long, env = "QINLING_DATA_DIR", default_value = "qinling-data")]
    data_dir: PathBuf,
}

pub(crate) async fn run(args: CheckArgs) -> anyhow::Result<()> {
    let url = format!("sqlite://{}", args.data_dir.join("qinling.db").display());
    let store = Store::open(&url, &args.data_dir.join("packages")).await.with_context(|| format!("opening {url}"))?;
    store.integrity_check().await.context("the integrity check failed")?;
    println!("{}: ok", args.data_dir.display());
    Ok(())
}
