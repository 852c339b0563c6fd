//! The `qinling` client subcommands against a real server: the Qinling quickstart from the command line.

use std::process::Output;

use crate::support::{Server, guest};

/// Runs `qinling <args>` against `server` and returns stdout, failing the test if the command fails.
fn qinling(server: &Server, args: &[&str]) -> String {
    let output = run(server, args);
    assert!(output.status.success(), "qinling {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn run(server: &Server, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_qinling"))
        .args(args)
        .env("QINLING_URL", &server.url)
        .output()
        .unwrap()
}

/// The value of `field` in a `--json` answer.
fn field(json: &str, field: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    value[field].as_str().unwrap_or_else(|| panic!("no {field} in {json}")).to_owned()
}

#[tokio::test]
async fn the_quickstart_runs_from_the_command_line() {
    let server = Server::start().await;
    let package = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(package.path(), guest("word-stats")).unwrap();
    let package_path = package.path().to_str().unwrap();

    let runtime = field(&qinling(&server, &["runtime", "create", "wasm", "--name", "wasm", "--json"]), "id");
    let table = qinling(&server, &["runtime", "list"]);
    assert!(table.contains(&runtime) && table.contains("available"), "{table}");

    let function = qinling(
        &server,
        &["function", "create", "--runtime", &runtime, "--package", package_path, "--name", "words", "--json"],
    );
    let function = field(&function, "id");
    let table = qinling(&server, &["function", "show", &function]);
    assert!(table.contains("| name ") && table.contains("words"), "{table}");

    let execution = qinling(&server, &["execution", "create", &function, "--input", r#"{"text": "a b a"}"#, "--json"]);
    let value: serde_json::Value = serde_json::from_str(&execution).unwrap();
    assert_eq!(value["status"], "success");
    assert_eq!(value["result"]["output"]["words"], 3);
    let execution = field(&execution, "id");
    let log = qinling(&server, &["execution", "log", &execution]);
    assert!(log.contains("found 3 words, 2 unique"), "{log}");
    let table = qinling(&server, &["execution", "list", "--function", &function]);
    assert!(table.contains(&execution) && table.contains("success"), "{table}");

    let download = tempfile::tempdir().unwrap();
    let out = download.path().join("copy.wasm");
    qinling(&server, &["function", "download", &function, "--output", out.to_str().unwrap()]);
    assert_eq!(std::fs::read(&out).unwrap(), guest("word-stats"));

    qinling(&server, &["execution", "delete", &execution]);
    qinling(&server, &["function", "delete", &function]);
    qinling(&server, &["runtime", "delete", &runtime]);
    assert!(!qinling(&server, &["runtime", "list"]).contains(&runtime));
}

#[tokio::test]
async fn a_refused_request_prints_the_faultstring_and_fails() {
    let server = Server::start().await;
    let output = run(&server, &["runtime", "create", "python:3.12"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no container orchestrator configured") && stderr.contains("HTTP 400"), "{stderr}");
}

#[tokio::test]
async fn versions_aliases_async_jobs_and_webhooks_from_the_command_line() {
    let server = Server::start().await;
    let package = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(package.path(), guest("misbehave")).unwrap();
    let runtime = field(&qinling(&server, &["runtime", "create", "wasm", "--json"]), "id");
    let function = field(
        &qinling(
            &server,
            &["function", "create", "--runtime", &runtime, "--package", package.path().to_str().unwrap(), "--json"],
        ),
        "id",
    );

    let version = qinling(&server, &["function", "version", "create", &function, "--description", "first", "--json"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&version).unwrap()["version_number"], 1);
    assert!(qinling(&server, &["function", "version", "list", &function]).contains("first"));
    qinling(&server, &["alias", "create", "stable", "--function", &function, "--version", "1"]);
    let via_alias = qinling(
        &server,
        &["execution", "create", "--alias", "stable", "--input", r#"{"do": "echo", "value": 5}"#, "--json"],
    );
    let via_alias: serde_json::Value = serde_json::from_str(&via_alias).unwrap();
    assert_eq!(via_alias["result"]["output"], 5);
    assert_eq!(via_alias["function_version"], 1);

    let queued =
        qinling(&server, &["execution", "create", &function, "--async", "--input", r#"{"do": "echo"}"#, "--json"]);
    let queued: serde_json::Value = serde_json::from_str(&queued).unwrap();
    assert_eq!(queued["status"], "running");
    let done = server.wait_for_execution(queued["id"].as_str().unwrap(), std::time::Duration::from_secs(10)).await;
    assert_eq!(done["status"], "success");

    let job = field(
        &qinling(
            &server,
            &["job", "create", "--function", &function, "--pattern", "0 4 * * *", "--name", "nightly", "--json"],
        ),
        "id",
    );
    assert!(qinling(&server, &["job", "list"]).contains("nightly"));
    let paused = qinling(&server, &["job", "update", &job, "--status", "paused", "--json"]);
    assert_eq!(field(&paused, "status"), "paused");
    qinling(&server, &["job", "delete", &job]);

    let webhook = qinling(&server, &["webhook", "create", "--alias", "stable", "--json"]);
    let webhook_id = field(&webhook, "id");
    assert!(field(&webhook, "webhook_url").ends_with("/invoke"));
    let invoked =
        qinling(&server, &["webhook", "invoke", &webhook_id, "--data", r#"{"do": "echo", "value": "hook"}"#, "--json"]);
    let execution = field(&invoked, "execution_id");
    let done = server.wait_for_execution(&execution, std::time::Duration::from_secs(10)).await;
    assert_eq!(done["result"]["output"], "hook");
    qinling(&server, &["webhook", "delete", &webhook_id]);
    qinling(&server, &["alias", "delete", "stable"]);
    qinling(&server, &["function", "version", "delete", &function, "1"]);
    assert!(!qinling(&server, &["function", "version", "list", &function]).contains("first"));
}

#[tokio::test]
async fn a_function_is_built_and_uploaded_from_source_in_one_command() {
    let server = Server::start().await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let runtime = field(&qinling(&server, &["runtime", "create", "wasm", "--json"]), "id");
    crate::support::python("hello"); // the SDK's tools are set up (and the Python build cached) first

    let python_app = root.join("wasm-examples/python/hello/app.py");
    let qinling_py = root.join("target/python/bin/qinling-py");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_qinling"))
        .args(["function", "create", "--runtime", &runtime, "--name", "py", "--json", "--source"])
        .arg(&python_app)
        .env("QINLING_URL", &server.url)
        .env("QINLING_PY", &qinling_py)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("building")
            && String::from_utf8_lossy(&output.stderr).contains("done in")
    );
    let function = field(&String::from_utf8(output.stdout).unwrap(), "id");
    let execution = qinling(&server, &["execution", "create", &function, "--input", r#"{"name": "source"}"#, "--json"]);
    let execution: serde_json::Value = serde_json::from_str(&execution).unwrap();
    assert_eq!(execution["result"]["output"]["greeting"], "Hello, source!");

    crate::support::guest("hello"); // reuse the examples' build directory, so the crate builds incrementally
    let crate_dir = root.join("wasm-examples/hello");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_qinling"))
        .args(["function", "create", "--runtime", &runtime, "--name", "rs", "--json", "--source"])
        .arg(&crate_dir)
        .env("QINLING_URL", &server.url)
        .env("CARGO_TARGET_DIR", root.join("target/wasm-examples"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let function = field(&String::from_utf8(output.stdout).unwrap(), "id");
    let execution = qinling(&server, &["execution", "create", &function, "--input", r#"{"name": "crate"}"#, "--json"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&execution).unwrap()["result"]["output"], "Hello, crate!");

    let wrong = run(
        &server,
        &["function", "create", "--runtime", &runtime, "--source", root.join("README.md").to_str().unwrap()],
    );
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("neither a Python file nor a directory holding a Cargo.toml")
    );
}
