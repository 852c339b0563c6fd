//! Qinling's own clients, unmodified: the `openstack` CLI with python-qinlingclient (installed into
//! target/python by `cargo xtask test`) runs the classic quickstart against our server, and every command
//! must succeed and print what Qinling would have printed (`-f json`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use zip::write::SimpleFileOptions;

use crate::support::{Server, guest};

pub(crate) fn openstack_binary() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/python/bin/openstack");
    assert!(
        path.exists(),
        "the openstack CLI is not installed at {}: run `cargo xtask test`, which installs python-openstackclient \
         and python-qinlingclient there",
        path.display()
    );
    path
}

/// Runs `openstack <args>` against `server` without authentication, as the quickstart does.
fn openstack(server: &Server, args: &[&str]) -> String {
    let output = Command::new(openstack_binary())
        .args(["--os-auth-type", "none", "--os-endpoint", &server.url, "--qinling-url", &server.url])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "openstack {args:?} failed:\n{stderr}");
    String::from_utf8(output.stdout).unwrap()
}

fn json(server: &Server, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.extend(["-f", "json"]);
    let out = openstack(server, &args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("openstack {args:?} printed no JSON ({e}): {out}"))
}

fn zip_of(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer.start_file(name, SimpleFileOptions::default()).unwrap();
    writer.write_all(bytes).unwrap();
    writer.finish().unwrap().into_inner()
}

#[tokio::test]
async fn the_qinling_quickstart_runs_with_the_openstack_cli() {
    let server = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("word_stats.wasm");
    std::fs::write(&wasm, guest("word-stats")).unwrap();
    let package = dir.path().join("misbehave.zip");
    std::fs::write(&package, zip_of("misbehave.wasm", &guest("misbehave"))).unwrap();
    let (wasm, package) = (wasm.to_str().unwrap(), package.to_str().unwrap());

    // Runtimes: the image alone says "Wasm".
    let runtime = json(&server, &["runtime", "create", "--name", "wasm", "wasm"]);
    assert_eq!(runtime["status"], "available");
    assert_eq!(runtime["image"], "wasm");
    let runtime_id = runtime["id"].as_str().unwrap();
    assert_eq!(json(&server, &["runtime", "show", "wasm"])["id"], runtime_id);
    assert_eq!(json(&server, &["runtime", "list"])[0]["Id"], runtime_id);
    assert_eq!(json(&server, &["runtime", "pool", "show", "wasm"])["capacity"]["total"], 256);

    // Functions: --file zips the single .wasm file; --package uploads a zip.
    let words = json(&server, &["function", "create", "--runtime", "wasm", "--file", wasm, "--name", "words"]);
    assert_eq!(words["code"]["source"], "package");
    assert_eq!(words["runtime_id"], runtime_id);
    let echo = json(
        &server,
        &["function", "create", "--runtime", runtime_id, "--package", package, "--name", "echo", "--timeout", "10"],
    );
    assert_eq!(echo["timeout"], 10);
    let echo_id = echo["id"].as_str().unwrap();
    // --container/--object: Qinling's swift source, read from the project's objects.
    let object = server.data_dir.join("packages/objects/default/functions/words.wasm");
    std::fs::create_dir_all(object.parent().unwrap()).unwrap();
    std::fs::write(&object, guest("word-stats")).unwrap();
    let stored = json(
        &server,
        &["function", "create", "--runtime", "wasm", "--container", "functions", "--object", "words.wasm"],
    );
    assert_eq!(stored["code"]["swift"]["object"], "words.wasm", "{stored}");
    openstack(&server, &["function", "delete", stored["id"].as_str().unwrap()]);
    let listed = json(&server, &["function", "list"]);
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(json(&server, &["function", "show", "words"])["name"], "words");

    // Executions: sync, async, show, list, log.
    let sync =
        json(&server, &["function", "execution", "create", "--function", "words", "--input", r#"{"text": "a b a"}"#]);
    assert_eq!(sync["status"], "success", "{sync}");
    assert_eq!(sync["result"]["output"]["words"], 3);
    let execution = sync["id"].as_str().unwrap();
    let queued = json(
        &server,
        &[
            "function",
            "execution",
            "create",
            "--function",
            echo_id,
            "--input",
            r#"{"do": "echo", "value": "later"}"#,
            "--async",
        ],
    );
    assert_eq!(queued["status"], "running");
    let done = server.wait_for_execution(queued["id"].as_str().unwrap(), Duration::from_secs(10)).await;
    assert_eq!(done["result"]["output"], "later");
    assert_eq!(json(&server, &["function", "execution", "show", execution])["status"], "success");
    let executions = json(&server, &["function", "execution", "list"]);
    assert_eq!(executions.as_array().unwrap().len(), 2);
    let failed = json(&server, &["function", "execution", "list", "--filter", "status=neq:success"]);
    assert_eq!(failed, Value::Array(vec![]));
    let log = openstack(&server, &["function", "execution", "log", "show", execution]);
    assert!(log.contains("found 3 words, 2 unique"), "{log}");

    // Download gives back the zip that was uploaded.
    let download = dir.path().join("download.zip");
    openstack(&server, &["function", "download", "echo", "--output", download.to_str().unwrap()]);
    assert_eq!(std::fs::read(&download).unwrap(), std::fs::read(package).unwrap());

    // Versions and aliases.
    let version = json(&server, &["function", "version", "create", "echo", "--description", "v1"]);
    assert_eq!(version["version_number"], 1);
    assert_eq!(json(&server, &["function", "version", "list", "echo"])[0]["Version_number"], 1);
    let alias =
        json(&server, &["function", "alias", "create", "stable", "--function", "echo", "--function-version", "1"]);
    assert_eq!(alias["function_version"], 1);
    let updated = json(&server, &["function", "alias", "update", "stable", "--function-version", "0"]);
    assert_eq!(updated["function_version"], 0);
    let via_alias = json(
        &server,
        &["function", "execution", "create", "--function-alias", "stable", "--input", r#"{"do": "echo", "value": 1}"#],
    );
    assert_eq!(via_alias["result"]["output"], 1);

    // Webhooks and jobs.
    let webhook = json(&server, &["webhook", "create", "--function", "echo"]);
    let url = webhook["webhook_url"].as_str().unwrap();
    let invoked: Value = reqwest::Client::new()
        .post(url)
        .body(r#"{"do": "echo", "value": "hook"}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hooked = server.wait_for_execution(invoked["execution_id"].as_str().unwrap(), Duration::from_secs(10)).await;
    assert_eq!(hooked["result"]["output"], "hook");
    let job = json(
        &server,
        &["job", "create", "--function", "echo", "--pattern", "0 5 * * *", "--function-input", r#"{"do": "echo"}"#],
    );
    assert_eq!(job["status"], "running");
    let job_id = job["id"].as_str().unwrap();
    assert_eq!(json(&server, &["job", "update", job_id, "--status", "paused"])["status"], "paused");
    assert_eq!(json(&server, &["job", "list"])[0]["Id"], job_id);

    // Clean up in dependency order, as Qinling required.
    openstack(&server, &["job", "delete", job_id]);
    openstack(&server, &["webhook", "delete", webhook["id"].as_str().unwrap()]);
    openstack(&server, &["function", "alias", "delete", "stable"]);
    openstack(&server, &["function", "version", "delete", "echo", "1"]);
    openstack(&server, &["function", "execution", "delete", "--execution", execution]);
    openstack(&server, &["function", "execution", "delete", "--function", "echo"]);
    assert_eq!(json(&server, &["function", "execution", "list"]).as_array().unwrap().len(), 0);
    openstack(&server, &["function", "delete", "words", "echo"]);
    openstack(&server, &["runtime", "delete", runtime_id]);
    assert_eq!(json(&server, &["function", "list"]), Value::Array(vec![]));
    assert_eq!(json(&server, &["runtime", "list"]), Value::Array(vec![]));
}
