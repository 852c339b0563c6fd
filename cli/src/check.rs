//! `qinling check`: verifies a data directory offline: the database opens, its schema is current,
//! SQLite's integrity check passes, and every package a function or version refers to is present and
//! intact. For operators after a crash, and for the crash-safety tests.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use qinling_store::{PackageStore, Store};

#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    /// The data directory to check (the server must not be running on it).
    #[arg(long, env = "QINLING_DATA_DIR", default_value = "qinling-data")]
    data_dir: PathBuf,
    /// The package store, if not the data directory's (as the server's `--package-store`).
    #[arg(long, env = "QINLING_PACKAGE_STORE")]
    package_store: Option<String>,
}

pub(crate) async fn run(args: CheckArgs) -> anyhow::Result<()> {
    let url = format!("sqlite://{}", args.data_dir.join("qinling.db").display());
    let packages = match &args.package_store {
        Some(store) => PackageStore::open(store)?,
        None => PackageStore::local(&args.data_dir.join("packages"))?,
    };
    let store = Store::open(&url, packages).await.with_context(|| format!("opening {url}"))?;
    store.integrity_check().await.context("the integrity check failed")?;
    println!("{}: ok", args.data_dir.display());
    Ok(())
}
