//! `--source`: build a function from source before uploading it. A `.py` file is built with the Python
//! SDK's `qinling-py` (componentize-py); a directory holding a Cargo.toml is built with cargo for
//! wasm32-wasip2. A progress line shows the build's elapsed time.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::Command;

/// A built package; a temporary directory holding it lives as long as this value.
pub(crate) struct Built {
    _dir: Option<tempfile::TempDir>,
    pub(crate) path: PathBuf,
}

pub(crate) async fn build(source: &Path, requirements: Option<&Path>) -> anyhow::Result<Built> {
    if source.extension().is_some_and(|ext| ext == "py") {
        let dir = tempfile::tempdir().context("creating a build directory")?;
        let path = dir.path().join("function.wasm");
        let mut command = Command::new(std::env::var("QINLING_PY").unwrap_or_else(|_| "qinling-py".into()));
        command.args(["build", "--quiet"]).arg(source).arg("-o").arg(&path);
        if let Some(requirements) = requirements {
            command.arg("-r").arg(requirements);
        }
        run(command, &format!("building {} with qinling-py", source.display())).await?;
        return Ok(Built { _dir: Some(dir), path });
    }
    if requirements.is_some() {
        bail!("--requirements applies to Python sources only");
    }
    if source.join("Cargo.toml").is_file() {
        // The crate's own target directory (or CARGO_TARGET_DIR), so that rebuilds are incremental.
        let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        command
            .args(["build", "--release", "--target", "wasm32-wasip2", "--message-format=json-render-diagnostics"])
            .arg("--manifest-path")
            .arg(source.join("Cargo.toml"));
        let messages = run(command, &format!("building {} with cargo", source.display())).await?;
        let wasm = built_components(&messages);
        return match wasm.as_slice() {
            [path] => Ok(Built { path: path.clone(), _dir: None }),
            [] => bail!("the crate built no .wasm file: give it a cdylib library or a binary"),
            _ => bail!("the crate built several .wasm files; build one yourself and use --package"),
        };
    }
    bail!("{} is neither a Python file nor a directory holding a Cargo.toml", source.display())
}

/// The `.wasm` files a cargo build made for its top crate (a cdylib or a binary), from its JSON messages.
fn built_components(messages: &str) -> Vec<PathBuf> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| {
            let kinds = message["target"]["kind"].as_array().cloned().unwrap_or_default();
            kinds.iter().any(|kind| kind == "cdylib" || kind == "bin")
        })
        .flat_map(|message| message["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|name| name.as_str().filter(|name| name.ends_with(".wasm")).map(PathBuf::from))
        .collect()
}

/// Runs a build, showing how long it has taken so far, and returns its stdout; its stderr is shown if
/// it fails.
async fn run(mut command: Command, what: &str) -> anyhow::Result<String> {
    let started = Instant::now();
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("{what}: cannot start"))?;
    let terminal = std::io::stderr().is_terminal();
    eprint!("{what}...");
    let output = child.wait_with_output();
    tokio::pin!(output);
    let output = loop {
        tokio::select! {
            output = &mut output => break output?,
            () = tokio::time::sleep(Duration::from_millis(500)), if terminal => {
                eprint!("\r{what}... {:.0} s", started.elapsed().as_secs_f64());
                let _ = std::io::stderr().flush();
            }
        }
    };
    eprintln!("{} done in {:.1} s", if terminal { "\r" } else { " " }, started.elapsed().as_secs_f64());
    if !output.status.success() {
        bail!("{what} failed:\n{}", String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_top_crate_s_component_is_found_in_cargo_s_messages() {
        let messages = [
            r#"{"reason":"compiler-artifact","target":{"kind":["lib"]},"filenames":["/t/libserde.rlib"]}"#,
            r#"{"reason":"compiler-artifact","target":{"kind":["cdylib"]},"filenames":["/t/hello.wasm"]}"#,
            r#"{"reason":"build-finished","success":true}"#,
        ]
        .join("\n");
        assert_eq!(built_components(&messages), [PathBuf::from("/t/hello.wasm")]);
    }
}
