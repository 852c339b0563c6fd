//! Installing what a fresh machine lacks: the wasm32-wasip2 Rust target, which every guest builds for.

use std::process::Command;

use anyhow::Context;

const WASM_TARGET: &str = "wasm32-wasip2";

pub(crate) fn ensure() -> anyhow::Result<()> {
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
