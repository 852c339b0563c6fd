//! Building the example components in wasm-examples/ (their own workspace) for wasm32-wasip2.

use std::path::PathBuf;
use std::process::Command;

/// Builds every example and returns the paths of the components.
pub(crate) fn build() -> anyhow::Result<Vec<PathBuf>> {
    crate::prerequisites::ensure()?;
    let root = crate::root();
    let target_dir = root.join("target").join("wasm-examples");
    crate::run(
        Command::new(crate::cargo())
            .args(["build", "--release", "--target", "wasm32-wasip2", "--manifest-path"])
            .arg(root.join("wasm-examples").join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&target_dir),
    )?;
    let dir = target_dir.join("wasm32-wasip2").join("release");
    let mut components: Vec<PathBuf> =
        std::fs::read_dir(&dir)?.map(|entry| entry.map(|e| e.path())).collect::<Result<_, _>>()?;
    components.retain(|path| path.extension().is_some_and(|ext| ext == "wasm"));
    components.sort();
    Ok(components)
}
