//! `cargo xtask`: the project's automation, in Rust rather than shell.
//!
//! - `cargo xtask up`: install what is missing, build, start the server on its embedded defaults and run
//!   the example function through the CLI, then keep serving until Ctrl-C.
//! - `cargo xtask test [args]`: install what is missing and run every test (`cargo test --workspace`).
//! - `cargo xtask bench`: build the guests and the release binary, run the benchmarks in benches/.
//! - `cargo xtask guests`: build the example components and print where they are.

mod guests;
mod postgres;
mod prerequisites;
#[cfg(test)]
mod tidy;
mod up;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    match task.as_str() {
        "up" => up::run(),
        "test" => test(&rest),
        "bench" => bench(&rest),
        "guests" => {
            for path in guests::build()? {
                println!("{}", path.display());
            }
            Ok(())
        }
        _ => bail!("usage: cargo xtask <up|test|bench|guests>"),
    }
}

/// Every test: the workspace's (unit and end-to-end, with a throwaway PostgreSQL for the tests that run
/// on it), then the SDKs' own and the python3 worker's.
fn test(args: &[String]) -> anyhow::Result<()> {
    prerequisites::ensure()?;
    let root = root();
    let postgres = postgres::Postgres::start()?;
    run(Command::new(cargo())
        .current_dir(&root)
        .args(["test", "--workspace"])
        .args(args)
        .env("QINLING_TEST_POSTGRES", &postgres.url))?;
    drop(postgres);
    run(Command::new(cargo()).current_dir(root.join("sdk").join("rust")).arg("test"))?;
    let python = root.join("target").join("python").join("bin").join("python");
    run(Command::new(&python)
        .current_dir(root.join("sdk").join("python"))
        .args(["-m", "unittest", "discover", "-s", "tests", "-t", "."]))?;
    run(Command::new(&python)
        .current_dir(root.join("runtimes").join("python3"))
        .args(["-m", "unittest", "discover", "-s", "tests"]))
}

fn bench(args: &[String]) -> anyhow::Result<()> {
    prerequisites::ensure()?;
    prerequisites::ensure_bench_tools()?;
    let root = root();
    // Every example in one directory, named after its example, for the benchmarks to pick from.
    let guest_dir = root.join("target").join("bench-guests");
    std::fs::create_dir_all(&guest_dir)?;
    for package in guests::build()? {
        let name = package.file_name().context("a package file name")?;
        std::fs::copy(&package, guest_dir.join(name))?;
    }
    run(Command::new(cargo()).current_dir(&root).args([
        "build",
        "--release",
        "-p",
        "qinling-cli",
        "--bin",
        "qinling",
    ]))?;
    let postgres = postgres::Postgres::start()?;
    run(Command::new(cargo())
        .current_dir(&root)
        .args(["bench", "-p", "qinling-benches"])
        .args(args)
        .env("QINLING_BENCH_POSTGRES", &postgres.url)
        .env("QINLING_GUESTS", guest_dir)
        .env("QINLING_BIN", root.join("target").join("release").join("qinling")))
}

/// Whether this process runs as root (then `apt-get` needs no sudo, and PostgreSQL must run as `postgres`).
pub(crate) fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// The workspace root (xtask/ sits in it).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask/ is in the workspace root").to_owned()
}

pub(crate) fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Runs a command to completion, failing if it fails.
pub(crate) fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command.status().with_context(|| format!("running {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}
