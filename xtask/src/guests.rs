//! Building every example in wasm-examples/: the Rust crates with cargo (wasm32-wasip2), the C program
//! with clang and wasi-libc, the Python functions with the Python SDK's `qinling-py`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds every example and returns the packages, each named after its example.
pub(crate) fn build() -> anyhow::Result<Vec<PathBuf>> {
    crate::prerequisites::ensure()?;
    let root = crate::root();
    let examples = root.join("wasm-examples");
    let target_dir = root.join("target").join("wasm-examples");
    crate::run(
        Command::new(crate::cargo())
            .args(["build", "--release", "--target", "wasm32-wasip2", "--manifest-path"])
            .arg(examples.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&target_dir),
    )?;
    let mut packages = wasm_files(&target_dir.join("wasm32-wasip2").join("release"))?;

    let rot13 = target_dir.join("c-rot13.wasm");
    crate::run(
        Command::new("clang")
            .args(["--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-o"])
            .arg(&rot13)
            .arg(examples.join("c-rot13").join("rot13.c")),
    )?;
    packages.push(rot13);

    let python_dir = target_dir.join("python");
    std::fs::create_dir_all(&python_dir)?;
    let qinling_py = root.join("target").join("python").join("bin").join("qinling-py");
    for app in ["hello", "file-sizes"] {
        let source = examples.join("python").join(app);
        let out = python_dir.join(format!("python-{app}.wasm"));
        let mut build = Command::new(&qinling_py);
        build.args(["build", "--quiet"]).arg(source.join("app.py")).arg("-o").arg(&out);
        if source.join("requirements.txt").exists() {
            build.arg("-r").arg(source.join("requirements.txt"));
        }
        crate::run(&mut build)?;
        packages.push(out);
    }
    Ok(packages)
}

fn wasm_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir)?.map(|entry| entry.map(|e| e.path())).collect::<Result<_, _>>()?;
    files.retain(|path| path.extension().is_some_and(|ext| ext == "wasm"));
    files.sort();
    Ok(files)
}
