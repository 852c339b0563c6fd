//! A function survives a restart and runs without being compiled again: its compiled artifact is loaded
//! from the disk cache (same file, same modification time, and the server says so). Code dropped from
//! memory to keep within the loaded-code budget comes back from the same cache.

use serde_json::json;

use crate::support::{Server, ServerOptions};

#[tokio::test]
async fn a_function_runs_after_a_restart_without_recompiling() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start_in(data.path(), ServerOptions::default()).await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "word-stats", &[]).await;
    let first = server.execute(&function, json!({"text": "one two"})).await;
    let artifacts = server.compiled_artifacts();
    assert_eq!(artifacts.len(), 1);
    let modified = std::fs::metadata(&artifacts[0]).unwrap().modified().unwrap();
    let log = server.stop().await;
    assert!(log.contains("compiled a package"), "the upload compiled: {log}");

    let server = Server::start_in(data.path(), ServerOptions::default()).await;
    let second = server.execute(&function, json!({"text": "one two"})).await;
    assert_eq!(second["status"], "success", "{second}");
    assert_eq!(second["result"]["output"], first["result"]["output"]);
    assert_eq!(server.compiled_artifacts(), artifacts);
    assert_eq!(
        std::fs::metadata(&artifacts[0]).unwrap().modified().unwrap(),
        modified,
        "the artifact was not rewritten"
    );
    let log = server.log();
    assert!(log.contains("loaded a compiled package from the cache"), "{log}");
    assert!(!log.contains("compiled a package"), "recompiled after restart: {log}");
    let (_, listed) = server.get("/v1/executions").await;
    assert_eq!(listed["executions"].as_array().unwrap().len(), 2, "the first execution survived too");
}

#[tokio::test]
async fn a_lost_cache_is_rebuilt_from_the_stored_package() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start_in(data.path(), ServerOptions::default()).await;
    let runtime = server.wasm_runtime().await;
    let function = server.function(&runtime, "word-stats", &[]).await;
    server.stop().await;
    std::fs::remove_dir_all(data.path().join("compiled")).unwrap();

    let server = Server::start_in(data.path(), ServerOptions::default()).await;
    let execution = server.execute(&function, json!({"text": "still works"})).await;
    assert_eq!(execution["status"], "success", "{execution}");
    assert_eq!(server.compiled_artifacts().len(), 1, "the cache is filled again");
}

#[tokio::test]
async fn code_dropped_from_memory_is_loaded_again_from_the_disk_cache() {
    // A budget of one byte keeps only the code run last.
    let options = ServerOptions { args: vec!["--wasm-max-loaded-code".into(), "1".into()], ..Default::default() };
    let server = Server::start_with(options).await;
    let runtime = server.wasm_runtime().await;
    let words = server.function(&runtime, "word-stats", &[]).await;
    let hello = server.function(&runtime, "hello", &[]).await;
    for _ in 0..2 {
        let counted = server.execute(&words, json!({"text": "one two"})).await;
        assert_eq!(counted["result"]["output"]["words"], 2, "{counted}");
        let greeted = server.execute(&hello, json!({"name": "again"})).await;
        assert_eq!(greeted["result"]["output"], "Hello, again!", "{greeted}");
    }
    let log = server.stop().await;
    assert_eq!(log.matches("compiled a package").count(), 2, "each package compiled once, at upload: {log}");
    assert!(log.matches("loaded a compiled package from the cache").count() >= 3, "{log}");
}
