//! `cargo xtask up`: the platform on its embedded defaults (SQLite and packages in ./qinling-data, the
//! pooled Wasm host) on 127.0.0.1:7070, with the word-stats example deployed and run through the CLI.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};
use serde_json::Value;

const LISTEN: &str = "127.0.0.1:7070";
const DATA_DIR: &str = "qinling-data";

pub(crate) fn run() -> anyhow::Result<()> {
    let root = crate::root();
    let components = crate::guests::build()?;
    let word_stats = components
        .iter()
        .find(|path| path.file_name().is_some_and(|name| name == "word_stats.wasm"))
        .context("the word-stats example was not built")?;
    println!("==> building the qinling binary");
    crate::run(Command::new(crate::cargo()).current_dir(&root).args([
        "build",
        "-p",
        "qinling-cli",
        "--bin",
        "qinling",
    ]))?;
    let qinling = root.join("target").join("debug").join("qinling");

    println!("==> starting the server on http://{LISTEN} (data in ./{DATA_DIR})");
    let mut server = Command::new(&qinling)
        .args(["server", "--listen", LISTEN, "--data-dir", DATA_DIR])
        .current_dir(&root)
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the server")?;
    let url = wait_until_listening(&mut server)?;

    let demo = Demo { qinling: &qinling, url: &url };
    let runtime = demo.wasm_runtime()?;
    let function = demo.word_stats(&runtime, word_stats)?;
    println!("==> qinling execution create {function} --input '{{\"text\": ...}}'");
    let input = r#"{"text": "the quick brown fox jumps over the lazy dog; the dog sleeps", "top": 2}"#;
    demo.show(&["execution", "create", &function, "--input", input])?;
    let execution = demo.json(&["execution", "list", "--function", &function])?;
    let last = execution["executions"].as_array().and_then(|list| list.last()).context("no execution recorded")?;
    let id = last["id"].as_str().context("execution without id")?;
    println!("==> qinling execution log {id}");
    demo.show(&["execution", "log", id])?;

    println!("\nQinling is serving on {url}; try `curl {url}/v1/functions`. Ctrl-C stops it.");
    let status = server.wait()?;
    if !status.success() {
        bail!("the server exited with {status}");
    }
    Ok(())
}

/// Reads the server's stdout until it says where it listens, then keeps forwarding it.
fn wait_until_listening(server: &mut Child) -> anyhow::Result<String> {
    let mut lines = BufReader::new(server.stdout.take().context("server stdout")?).lines();
    for line in lines.by_ref() {
        let line = line?;
        println!("{line}");
        if let Some(url) = line.strip_prefix("qinling listening on ") {
            let url = url.to_owned();
            std::thread::spawn(move || lines.map_while(Result::ok).for_each(|line| println!("{line}")));
            return Ok(url);
        }
    }
    bail!("the server exited before listening (is port 7070 taken?)")
}

/// Runs the CLI against the demo server.
struct Demo<'a> {
    qinling: &'a Path,
    url: &'a str,
}

impl Demo<'_> {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(self.qinling);
        command.args(args).env("QINLING_URL", self.url);
        command
    }

    /// Runs a CLI command, printing its table.
    fn show(&self, args: &[&str]) -> anyhow::Result<()> {
        crate::run(&mut self.command(args))
    }

    /// Runs a CLI command with `--json` and returns the answer.
    fn json(&self, args: &[&str]) -> anyhow::Result<Value> {
        let output = self.command(args).arg("--json").output()?;
        if !output.status.success() {
            bail!("qinling {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(serde_json::from_slice(&output.stdout)?)
    }

    /// The first Wasm runtime, created if there is none yet.
    fn wasm_runtime(&self) -> anyhow::Result<String> {
        let list = self.json(&["runtime", "list"])?;
        let existing = list["runtimes"].as_array().into_iter().flatten().find(|runtime| runtime["kind"] == "wasm");
        if let Some(id) = existing.and_then(|runtime| runtime["id"].as_str()) {
            return Ok(id.to_owned());
        }
        println!("==> qinling runtime create wasm --name wasm");
        let runtime = self.json(&["runtime", "create", "wasm", "--name", "wasm"])?;
        Ok(runtime["id"].as_str().context("runtime without id")?.to_owned())
    }

    /// The word-stats function, created (or updated to the freshly built package).
    fn word_stats(&self, runtime: &str, package: &Path) -> anyhow::Result<String> {
        let package = package.to_str().context("package path is not UTF-8")?;
        let list = self.json(&["function", "list"])?;
        let existing =
            list["functions"].as_array().into_iter().flatten().find(|function| function["name"] == "word-stats");
        let function = match existing.and_then(|function| function["id"].as_str()) {
            Some(id) => {
                println!("==> qinling function update {id} --package word_stats.wasm");
                self.json(&["function", "update", id, "--package", package])?
            }
            None => {
                println!("==> qinling function create --runtime {runtime} --package word_stats.wasm --name word-stats");
                self.json(&["function", "create", "--runtime", runtime, "--package", package, "--name", "word-stats"])?
            }
        };
        Ok(function["id"].as_str().context("function without id")?.to_owned())
    }
}
