//! Every shape of Wasm function the server runs, each built from source in wasm-examples/ and run
//! through the real server: handler components (Rust SDK, Python SDK), a wasi:http component, a
//! wasi:cli/run program and a WASI preview 1 program in C.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Server, c_rot13, failure, guest, output, python, qinling_py};

/// Creates a function from `package` and checks the shape the server found.
async fn deploy(server: &Server, runtime: &str, package: Vec<u8>, abi: &str) -> String {
    let (status, function) = server.create_function(runtime, package, &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{function}");
    assert_eq!(function["code"]["abi"], abi, "{function}");
    function["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_rust_sdk_function_runs_and_its_errors_fail_it() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let hello = deploy(&server, &runtime, guest("hello"), "handler").await;
    let execution = server.execute(&hello, json!({"name": "Rust"})).await;
    assert_eq!(output(&execution), "Hello, Rust!");
    let log = server.execution_log(execution["id"].as_str().unwrap()).await;
    assert!(log.contains(&format!("execution {} greets Rust", execution["id"].as_str().unwrap())), "{log}");
    assert_eq!(output(&server.execute(&hello, json!({})).await), "Hello, World!");

    let words = deploy(&server, &runtime, guest("word-stats"), "handler").await;
    let bad = server.execute(&words, json!({"txt": "typo"})).await;
    assert!(failure(&bad).starts_with("invalid input: missing field `text`"), "{bad}");
}

#[tokio::test]
async fn a_python_function_runs_with_qinling_s_calling_convention() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let hello = deploy(&server, &runtime, python("hello"), "handler").await;
    let execution = server.execute(&hello, json!({"name": "Python"})).await;
    assert_eq!(output(&execution), &json!({"greeting": "Hello, Python!"}));
    assert!(server.execution_log(execution["id"].as_str().unwrap()).await.contains("greeting Python"));

    let sizes = deploy(&server, &runtime, python("file-sizes"), "handler").await;
    let execution = server.execute(&sizes, json!({"sizes": [1000, 3_000_000]})).await;
    assert_eq!(output(&execution), &json!(["1.0 kB", "3.0 MB"]), "the bundled dependency runs");
    let failed = server.execute(&sizes, json!({"sizes": "many"})).await;
    assert_eq!(failure(&failed), "ValueError: sizes must be a list of byte counts");
    let log = server.execution_log(failed["id"].as_str().unwrap()).await;
    assert!(log.contains("Traceback") && log.contains("app.py"), "the traceback is in the log: {log}");
}

#[tokio::test]
async fn python_build_errors_are_reported_before_building() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("def main(:\n    pass\n", "app.py:1: syntax error"),
        ("def handler(event):\n    return event\n", "defines no top-level function `main`"),
    ];
    for (source, needle) in cases {
        let app = dir.path().join("app.py");
        std::fs::write(&app, source).unwrap();
        let output = qinling_py().arg("build").arg(&app).arg("-o").arg(dir.path().join("app.wasm")).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{source}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(needle), "{stderr}");
        assert!(!dir.path().join("app.wasm").exists());
    }
}

#[tokio::test]
async fn an_http_component_answers_an_execution_as_a_request() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = deploy(&server, &runtime, guest("http-hello"), "wasi-http").await;
    assert_eq!(output(&server.execute(&function, json!({"name": "HTTP"})).await), &json!({"greeting": "Hello, HTTP!"}));
    let refused = server.execute(&function, json!({"name": 5})).await;
    assert_eq!(failure(&refused), "the function answered HTTP 400 Bad Request: name must be a string, not 5");
}

#[tokio::test]
async fn a_wasi_command_program_reads_stdin_and_answers_on_stdout() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = deploy(&server, &runtime, guest("shout"), "wasi-command").await;
    let execution = server.execute(&function, json!({"text": "quiet please"})).await;
    assert_eq!(output(&execution), &json!({"shout": "QUIET PLEASE"}));
    let log = server.execution_log(execution["id"].as_str().unwrap()).await;
    assert_eq!(log, "shouting 12 characters\n", "stderr is the log, stdout the output");
    let failed = server.execute(&function, json!({"exit": 4})).await;
    assert!(failure(&failed).starts_with("the program exited with code"), "{failed}");
}

#[tokio::test]
async fn a_c_program_runs_as_a_wasip1_command() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let function = deploy(&server, &runtime, c_rot13(), "wasip1-command").await;
    let execution = server.execute(&function, json!("Hello, Qinling")).await;
    assert_eq!(output(&execution), "Uryyb, Dvayvat", "the quoted input comes back quoted: JSON");
    assert!(server.execution_log(execution["id"].as_str().unwrap()).await.contains("rot13: 12 letters"));
    assert_eq!(failure(&server.execute(&function, json!(12345)).await), "the program exited with code 3");
}
