//! Packages in S3 (a real `s3s-fs` server checking SigV4): uploads land in the bucket under the prefix,
//! a second server with an empty compiled cache runs them from the bucket, deletion removes them, and
//! a store that is unreachable or refuses the credentials stops the server at start with a clear message.

use std::time::Duration;

use serde_json::json;

use crate::support::{S3_ACCESS_KEY, S3Server, Server, ServerOptions, s3_credentials};

fn s3_options(url: &str, extra: &[&str]) -> ServerOptions {
    let mut args = vec!["--package-store".to_owned(), url.to_owned()];
    args.extend(extra.iter().map(ToString::to_string));
    ServerOptions { args, env: s3_credentials(), ..Default::default() }
}

fn packages_in(s3: &S3Server) -> Vec<String> {
    let mut objects = S3Server::objects_under(&s3.bucket_dir("qinling"));
    objects.retain(|name| name.ends_with(".pkg"));
    objects
}

#[tokio::test]
async fn packages_live_in_the_bucket_and_a_second_server_runs_them_from_there() {
    let s3 = S3Server::start(&["qinling"]);
    let url = s3.url("qinling/packages");
    let first_dir = tempfile::tempdir().unwrap();
    let first = Server::start_in(first_dir.path(), s3_options(&url, &[])).await;
    let runtime = first.wasm_runtime().await;
    let function = first.function(&runtime, "hello", &[]).await;
    let execution = first.execute(&function, json!({"name": "S3"})).await;
    assert_eq!(execution["status"], "success", "{execution}");
    let stored = packages_in(&s3);
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(stored[0].starts_with("packages/"), "under the prefix: {stored:?}");
    assert!(first.stored_packages().is_empty(), "nothing in the local directory");

    // A function from an object the project put in the bucket (Qinling's `object` source).
    let object = s3.bucket_dir("qinling").join("packages/objects/default/code/hello.wasm");
    std::fs::create_dir_all(object.parent().unwrap()).unwrap();
    std::fs::write(&object, crate::support::guest("hello")).unwrap();
    let code = json!({"source": "object", "key": "code/hello.wasm"});
    let (status, from_object) =
        first.post("/v1/functions", json!({"name": "o", "runtime_id": runtime, "code": code})).await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{from_object}");
    let execution = first.execute(from_object["id"].as_str().unwrap(), json!({"name": "object"})).await;
    assert_eq!(execution["status"], "success", "{execution}");
    let (status, _) = first.delete(&format!("/v1/functions/{}", from_object["id"].as_str().unwrap())).await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    assert!(object.exists(), "the project's object is the project's: deleting the function keeps it");
    first.stop().await;

    // Another server (a replica with its own data directory) on the same database and bucket.
    let database = format!("sqlite://{}", first_dir.path().join("qinling.db").display());
    let second = Server::start_with(s3_options(&url, &["--database-url", &database])).await;
    assert!(second.compiled_artifacts().is_empty());
    let execution = second.execute(&function, json!({"name": "replica"})).await;
    assert_eq!(execution["status"], "success", "{execution}");
    assert!(!second.compiled_artifacts().is_empty(), "compiled here from the bucket's package");
    let (status, health) = second.get("/health").await;
    assert_eq!(status, reqwest::StatusCode::OK, "{health}");

    let (status, _) = second.delete(&format!("/v1/functions/{function}")).await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    assert!(packages_in(&s3).is_empty(), "the package left the bucket: {:?}", packages_in(&s3));
    second.stop().await;

    let check = std::process::Command::new(env!("CARGO_BIN_EXE_qinling"))
        .args(["check", "--data-dir"])
        .arg(first_dir.path())
        .args(["--package-store", &url])
        .envs(s3_credentials())
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
}

#[tokio::test]
async fn an_unreachable_store_or_refused_credentials_stop_the_server_at_start() {
    let s3 = S3Server::start(&["qinling"]);
    let data = tempfile::tempdir().unwrap();
    let wrong_secret = vec![
        ("AWS_ACCESS_KEY_ID".to_owned(), S3_ACCESS_KEY.to_owned()),
        ("AWS_SECRET_ACCESS_KEY".to_owned(), "not-the-secret".to_owned()),
    ];
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let unreachable = format!("s3://qinling?endpoint=http://127.0.0.1:{closed_port}&allow_http=true&region=us-east-1");
    for (url, env, expected) in [
        (s3.url("qinling"), wrong_secret, "SignatureDoesNotMatch".to_owned()),
        (unreachable, s3_credentials(), format!("127.0.0.1:{closed_port}")),
    ] {
        let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_qinling"))
            .args(["server", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data.path())
            .args(["--package-store", &url])
            .envs(env)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            // A server that wrongly starts must not outlive the failed test.
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let status = tokio::time::timeout(Duration::from_secs(60), server.wait()).await.expect("it gave up").unwrap();
        assert!(!status.success());
        let mut stderr = String::new();
        tokio::io::AsyncReadExt::read_to_string(server.stderr.as_mut().unwrap(), &mut stderr).await.unwrap();
        assert!(stderr.contains("writing to the package store s3://"), "{stderr}");
        assert!(stderr.contains(&expected), "{expected} in {stderr}");
    }
}
