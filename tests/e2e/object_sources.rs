//! Functions whose code is an object the project put in the package store (Qinling's `code.source`
//! `object` and `swift`): read once at create or update, checked like an upload, shown with its origin;
//! a missing, oversized, invalid or badly named object is refused and leaves nothing behind.

use std::path::PathBuf;

use md5::{Digest, Md5};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Server, ServerOptions, assert_fault, guest};

/// Puts `bytes` at `key` among the `default` project's objects in a server's local package store.
fn put_object(server: &Server, key: &str, bytes: &[u8]) -> PathBuf {
    let path = server.data_dir.join("packages").join("objects").join("default").join(key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

fn md5(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

async fn create(server: &Server, runtime: &str, code: Value) -> (StatusCode, Value) {
    server.post("/v1/functions", json!({"name": "stored", "runtime_id": runtime, "code": code})).await
}

#[tokio::test]
async fn object_and_swift_sources_run_and_an_update_reads_the_object_again() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let hello = guest("hello");
    let object = put_object(&server, "code/hello.wasm", &hello);

    let (status, function) = create(&server, &runtime, json!({"source": "object", "key": "code/hello.wasm"})).await;
    assert_eq!(status, StatusCode::CREATED, "{function}");
    assert_eq!(
        function["code"],
        json!({"source": "object", "key": "code/hello.wasm", "md5sum": md5(&hello), "abi": "handler"})
    );
    let id = function["id"].as_str().unwrap().to_owned();
    let execution = server.execute(&id, json!({"name": "object"})).await;
    assert_eq!(execution["status"], "success", "{execution}");
    assert_eq!(server.get(&format!("/v1/functions/{id}")).await.1["code"], function["code"]);

    // The object is read once: replacing it changes nothing until the function is updated.
    let misbehave = guest("misbehave");
    std::fs::write(&object, &misbehave).unwrap();
    assert_eq!(server.execute(&id, json!({"name": "still hello"})).await["status"], "success");
    let (status, updated) = server
        .put(&format!("/v1/functions/{id}"), json!({"code": {"source": "object", "key": "code/hello.wasm"}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["code"]["md5sum"], md5(&misbehave));
    let execution = server.execute(&id, json!({"do": "echo", "value": 3})).await;
    assert_eq!(execution["result"]["output"], 3, "the re-read object runs: {execution}");
    assert_eq!(server.stored_packages().len(), 1, "the package read first is freed");

    put_object(&server, "functions/word-stats.wasm", &guest("word-stats"));
    let swift = json!({"source": "swift", "swift": {"container": "functions", "object": "word-stats.wasm"}});
    let (status, function) = create(&server, &runtime, swift.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{function}");
    assert_eq!(function["code"]["source"], "swift");
    assert_eq!(function["code"]["swift"], swift["swift"]);
    let id = function["id"].as_str().unwrap();
    let execution = server.execute(id, json!({"text": "one two two", "top": 1})).await;
    assert_eq!(execution["result"]["output"], json!({"words": 3, "unique": 2, "top": [["two", 2]]}), "{execution}");
}

#[tokio::test]
async fn bad_objects_are_refused_and_leave_nothing_behind() {
    let server = Server::start_with(ServerOptions {
        args: vec!["--max-package-size".into(), "100000".into()],
        ..Default::default()
    })
    .await;
    let runtime = server.wasm_runtime().await;
    put_object(&server, "big.wasm", &vec![0u8; 100_001]);
    put_object(&server, "text.wasm", b"not wasm");
    // Another project's object is not this project's.
    let other = server.data_dir.join("packages/objects/other/hello.wasm");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    std::fs::write(&other, guest("hello")).unwrap();
    put_object(&server, "hello.wasm", &guest("hello"));

    let refused = [
        (json!({"source": "object", "key": "absent.wasm"}), StatusCode::BAD_REQUEST, "has no object \"absent.wasm\""),
        (json!({"source": "object", "key": "../other/hello.wasm"}), StatusCode::BAD_REQUEST, "segment \"..\""),
        (json!({"source": "object", "key": "a//b"}), StatusCode::BAD_REQUEST, "segment \"\""),
        (json!({"source": "object", "key": "big.wasm"}), StatusCode::PAYLOAD_TOO_LARGE, "100001 bytes"),
        (json!({"source": "object", "key": "text.wasm"}), StatusCode::BAD_REQUEST, "not a WebAssembly binary"),
        (json!({"source": "object"}), StatusCode::BAD_REQUEST, "code.key is required"),
        (
            json!({"source": "swift", "swift": {"container": "a/b", "object": "hello.wasm"}}),
            StatusCode::BAD_REQUEST,
            "must not contain '/'",
        ),
        (json!({"source": "swift", "swift": {"object": "hello.wasm"}}), StatusCode::BAD_REQUEST, "needs both"),
    ];
    for (code, status, needle) in refused {
        assert_fault(&create(&server, &runtime, code).await, status, needle);
    }
    let form = Form::new()
        .text("runtime_id", runtime.clone())
        .text("code", json!({"source": "object", "key": "hello.wasm"}).to_string())
        .part("package", Part::bytes(guest("hello")).file_name("hello.wasm"));
    let answer = server.send(server.request(Method::POST, "/v1/functions").multipart(form)).await;
    assert_fault(&answer, StatusCode::BAD_REQUEST, "send no package");

    assert_eq!(server.get("/v1/functions").await.1, json!({"functions": []}));
    assert!(server.stored_packages().is_empty(), "{:?}", server.stored_packages());
}
