//! `/v1/functions`: upload, show, download, update, delete, and every bad package refused whole.

use md5::{Digest, Md5};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{Server, ServerOptions, assert_fault, guest, invalid_components};

#[tokio::test]
async fn a_component_uploads_like_the_qinling_quickstart() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let package = guest("word-stats");
    let md5 = hex::encode(Md5::digest(&package));
    let (status, function) = server
        .create_function(
            &runtime,
            package.clone(),
            &[("name", "word-stats"), ("timeout", "10"), ("description", "counts")],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{function}");
    assert_eq!(function["name"], "word-stats");
    assert_eq!(function["runtime_id"], runtime.as_str());
    assert_eq!(function["code"], json!({"source": "package", "md5sum": md5, "abi": "handler"}));
    assert_eq!(function["timeout"], 10);
    assert_eq!(function["memory_size"], 32 * 1024 * 1024);
    assert_eq!(function["cpu"], 100);
    assert_eq!(function["count"], 0);
    assert_eq!(function["latest_version"], 0);
    let id = function["id"].as_str().unwrap();

    assert_eq!(server.get(&format!("/v1/functions/{id}")).await.1, function);
    assert_eq!(server.get("/v1/functions").await.1, json!({"functions": [function]}));
    let download = server.request(Method::GET, &format!("/v1/functions/{id}?download=true")).send().await.unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await.unwrap().as_ref(), package.as_slice());
}

#[tokio::test]
async fn an_update_changes_settings_and_package_and_frees_the_old_package() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let id = server.function(&runtime, "word-stats", &[("name", "before")]).await;
    let old_packages = server.stored_packages();

    let (status, renamed) = server.put(&format!("/v1/functions/{id}"), json!({"name": "after", "timeout": 20})).await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["name"], "after");
    assert_eq!(renamed["timeout"], 20);

    let new_package = guest("misbehave");
    let form = Form::new()
        .text("code", json!({"source": "package"}).to_string())
        .part("package", Part::bytes(new_package.clone()).file_name("misbehave.wasm"));
    let (status, updated) =
        server.send(server.request(Method::PUT, &format!("/v1/functions/{id}")).multipart(form)).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["code"]["md5sum"], hex::encode(Md5::digest(&new_package)));
    assert_eq!(updated["timeout"], 20, "an update keeps the settings it does not touch");
    let execution = server.execute(&id, json!({"do": "echo", "value": 7})).await;
    assert_eq!(execution["result"]["output"], 7, "the new package runs: {execution}");
    let packages = server.stored_packages();
    assert_eq!(packages.len(), 1);
    assert_ne!(packages, old_packages, "the replaced package is deleted");
}

#[tokio::test]
async fn a_failed_update_leaves_the_function_as_it_was() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let id = server.function(&runtime, "word-stats", &[]).await;
    let before = server.get(&format!("/v1/functions/{id}")).await.1;
    let form =
        Form::new().text("name", "renamed").part("package", Part::bytes(b"not wasm".to_vec()).file_name("x.wasm"));
    let answer = server.send(server.request(Method::PUT, &format!("/v1/functions/{id}")).multipart(form)).await;
    assert_fault(&answer, StatusCode::BAD_REQUEST, "not a WebAssembly binary");
    assert_eq!(server.get(&format!("/v1/functions/{id}")).await.1, before);
    let answer = server.put(&format!("/v1/functions/{id}"), json!({"timeout": 0})).await;
    assert_fault(&answer, StatusCode::BAD_REQUEST, "timeout must be between 1 and 300 seconds, got 0");
    assert_eq!(server.get(&format!("/v1/functions/{id}")).await.1, before);
    let execution = server.execute(&id, json!({"text": "still here"})).await;
    assert_eq!(execution["status"], "success");
}

#[tokio::test]
async fn deleting_a_function_deletes_its_package() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let id = server.function(&runtime, "word-stats", &[]).await;
    assert_eq!(server.stored_packages().len(), 1);
    assert_eq!(server.compiled_artifacts().len(), 1);
    assert_eq!(server.delete(&format!("/v1/functions/{id}")).await.0, StatusCode::NO_CONTENT);
    assert!(server.stored_packages().is_empty());
    assert!(server.compiled_artifacts().is_empty());
    assert_fault(&server.get(&format!("/v1/functions/{id}")).await, StatusCode::NOT_FOUND, &id);
    assert_fault(&server.delete(&format!("/v1/functions/{id}")).await, StatusCode::NOT_FOUND, &id);
}

#[tokio::test]
async fn bad_packages_are_refused_and_leave_nothing_behind() {
    let server = Server::start_with(ServerOptions {
        args: vec!["--max-package-size".into(), "200000".into()],
        ..Default::default()
    })
    .await;
    let runtime = server.wasm_runtime().await;
    let mut cases = vec![
        ("text", b"print('hello')".to_vec(), StatusCode::BAD_REQUEST, "not a WebAssembly binary"),
        ("zip", b"PK\x03\x04 a zip".to_vec(), StatusCode::BAD_REQUEST, "zip archive"),
        ("empty", Vec::new(), StatusCode::BAD_REQUEST, "the package is empty"),
        ("too large", vec![0u8; 200_001], StatusCode::PAYLOAD_TOO_LARGE, "the limit is 200000 bytes"),
    ];
    for (what, bytes, needle) in invalid_components() {
        cases.push((what, bytes, StatusCode::BAD_REQUEST, needle));
    }
    for (what, bytes, status, needle) in cases {
        let answer = server.create_function(&runtime, bytes, &[]).await;
        assert_eq!(answer.0, status, "{what}: {}", answer.1);
        assert_fault(&answer, status, needle);
    }
    assert_eq!(server.get("/v1/functions").await.1, json!({"functions": []}));
    assert!(server.stored_packages().is_empty(), "no orphan package: {:?}", server.stored_packages());
    assert!(server.compiled_artifacts().is_empty());
}

#[tokio::test]
async fn bad_function_fields_are_refused_and_store_nothing() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let package = guest("word-stats");
    let missing_runtime = "3b5c1a44-2f0a-4c38-9d8a-1b2c3d4e5f60";
    let answer = server.create_function(missing_runtime, package.clone(), &[]).await;
    assert_fault(&answer, StatusCode::NOT_FOUND, &format!("runtime {missing_runtime} not found"));
    let cases: Vec<(&[(&str, &str)], &str)> = vec![
        (&[("timeout", "abc")], "timeout must be an integer"),
        (&[("timeout", "301")], "timeout must be between 1 and 300 seconds"),
        (&[("memory_size", "1024")], "memory_size must be between"),
        (&[("cpu", "-5")], "cpu must be between"),
        (&[("code", "{not json")], "code must be a JSON object"),
        (&[("code", r#"{"source": "ftp"}"#)], "code.source must be"),
        (&[("code", r#"{"source": "image", "image": "busybox"}"#)], "no container orchestrator configured"),
        (&[("code", r#"{"source": "package", "md5sum": "0123456789abcdef0123456789abcdef"}"#)], "md5sum mismatch"),
    ];
    for (fields, needle) in cases {
        let answer = server.create_function(&runtime, package.clone(), fields).await;
        assert_fault(&answer, StatusCode::BAD_REQUEST, needle);
    }
    let no_package = Form::new().text("runtime_id", runtime.clone()).text("code", r#"{"source": "package"}"#);
    let answer = server.send(server.request(Method::POST, "/v1/functions").multipart(no_package)).await;
    assert_fault(&answer, StatusCode::BAD_REQUEST, "a package is required");
    let answer = server.send(server.request(Method::POST, "/v1/functions").body("x")).await;
    assert_fault(&answer, StatusCode::UNSUPPORTED_MEDIA_TYPE, "multipart/form-data");
    assert_eq!(server.get("/v1/functions").await.1, json!({"functions": []}));
    assert!(server.stored_packages().is_empty());
}

#[tokio::test]
async fn a_matching_md5sum_is_accepted() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let package = guest("word-stats");
    let md5 = hex::encode(Md5::digest(&package));
    let code = json!({"source": "package", "md5sum": md5}).to_string();
    let (status, body) = server.create_function(&runtime, package, &[("code", &code)]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["code"]["md5sum"], md5);
}

fn zip_of(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in files {
        writer.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[tokio::test]
async fn a_zip_package_runs_the_component_its_entry_names() {
    let server = Server::start().await;
    let runtime = server.wasm_runtime().await;
    let both = zip_of(&[("words.wasm", guest("word-stats")), ("echo.wasm", guest("misbehave"))]);
    let answer = server.create_function(&runtime, both.clone(), &[]).await;
    assert_fault(&answer, StatusCode::BAD_REQUEST, "several .wasm files (words.wasm, echo.wasm)");
    let (status, function) = server.create_function(&runtime, both, &[("entry", "echo.wasm"), ("name", "echo")]).await;
    assert_eq!(status, StatusCode::CREATED, "{function}");
    let id = function["id"].as_str().unwrap();
    let execution = server.execute(id, json!({"do": "echo", "value": "zipped"})).await;
    assert_eq!(execution["result"]["output"], "zipped");

    // Another entry of the same package is checked before it is kept.
    assert_fault(
        &server.put(&format!("/v1/functions/{id}"), json!({"entry": "nope.wasm"})).await,
        StatusCode::BAD_REQUEST,
        "several .wasm files",
    );
    let (status, words) = server.put(&format!("/v1/functions/{id}"), json!({"entry": "words"})).await;
    assert_eq!(status, StatusCode::OK, "{words}");
    assert_eq!(server.execute(id, json!({"text": "one two"})).await["result"]["output"]["words"], 2);

    let answer = server.create_function(&runtime, zip_of(&[("notes.txt", b"hi".to_vec())]), &[]).await;
    assert_fault(&answer, StatusCode::BAD_REQUEST, "holds no .wasm file");
}

#[tokio::test]
async fn functions_and_runtimes_are_found_by_name_too() {
    let server = Server::start().await;
    server.post("/v1/runtimes", json!({"name": "edge", "image": "wasm"})).await;
    let (status, function) = server.create_function("edge", guest("word-stats"), &[("name", "counter")]).await;
    assert_eq!(status, StatusCode::CREATED, "runtime_id may be a name: {function}");
    assert_eq!(server.get("/v1/functions/counter").await.1, function);
    assert_eq!(server.get("/v1/runtimes/edge").await.1["id"], function["runtime_id"]);
    let (_, pool) = server.get("/v1/runtimes/edge/pool").await;
    assert_eq!(pool["capacity"]["total"], 256);
    assert_eq!(pool["capacity"]["available"], 256);
    assert_eq!(server.get("/v1/functions/counter/workers").await.1, json!({"workers": []}));
    assert_fault(
        &server.post("/v1/functions/counter/scale_up", json!({"count": 1})).await,
        StatusCode::BAD_REQUEST,
        "no workers to scale",
    );
    server.create_function("edge", guest("word-stats"), &[("name", "counter")]).await;
    assert_fault(
        &server.get("/v1/functions/counter").await,
        StatusCode::CONFLICT,
        "several functions are named \"counter\"",
    );
    assert_fault(&server.get("/v1/functions/nobody").await, StatusCode::NOT_FOUND, "function nobody not found");
}
