//! Installing what a fresh machine lacks: the wasm32-wasip2 Rust target, which every guest builds for,
//! and a Python virtualenv (`target/python`) with OpenStack Qinling's own clients, which the
//! compatibility tests drive unmodified.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

const WASM_TARGET: &str = "wasm32-wasip2";
/// Python packages the tests use, pinned so that a test run means the same thing on every machine.
const PYTHON_PACKAGES: &[&str] = &["python-openstackclient==10.5.0", "python-qinlingclient==5.1.1"];

pub(crate) fn ensure() -> anyhow::Result<()> {
    ensure_wasm_target()?;
    ensure_python_tools(&crate::root().join("target").join("python"))
}

fn ensure_wasm_target() -> anyhow::Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("running rustup (the wasm32-wasip2 target is installed with it)")?;
    if !String::from_utf8_lossy(&installed.stdout).lines().any(|line| line.trim() == WASM_TARGET) {
        println!("==> installing the {WASM_TARGET} Rust target");
        crate::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    }
    Ok(())
}

/// Creates the virtualenv and installs [`PYTHON_PACKAGES`] unless it already holds exactly them.
fn ensure_python_tools(venv: &Path) -> anyhow::Result<()> {
    let stamp = venv.join("qinling-requirements.txt");
    let wanted = PYTHON_PACKAGES.join("\n");
    if std::fs::read_to_string(&stamp).is_ok_and(|installed| installed == wanted) {
        return Ok(());
    }
    println!("==> installing {} into {}", PYTHON_PACKAGES.join(", "), venv.display());
    crate::run(Command::new(python()).args(["-m", "venv"]).arg(venv))?;
    let pip: PathBuf = venv.join("bin").join("pip");
    crate::run(Command::new(&pip).args(["install", "--quiet", "--disable-pip-version-check"]).args(PYTHON_PACKAGES))?;
    std::fs::write(&stamp, wanted)?;
    Ok(())
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}
