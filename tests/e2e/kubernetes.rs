//! The server with `--orchestrator kubernetes`, reading a kubeconfig, against the fake API server
//! (tests/fake-kube) over HTTP: its kubelet runs the real python3 worker as processes, which download
//! packages from the server. What the fake does not cover is listed in docs/kubernetes.md; the bridge's
//! own tests hold the test that runs against a real cluster.

use std::path::Path;
use std::time::{Duration, Instant};

use qinling_fake_kube::{FakeCluster, FakeImage};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Server, ServerOptions, zip_package};

const IMAGE: &str = "localhost/qinling/python3:latest";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

#[tokio::test]
async fn a_python_function_runs_on_kubernetes_pods() {
    let worker = FakeImage {
        command: vec!["python3".into(), root().join("runtimes/python3/worker.py").display().to_string()],
        env: vec![("PYTHONPATH".into(), root().join("sdk/python").display().to_string())],
    };
    let cluster = FakeCluster::start([(IMAGE.to_owned(), worker)]);
    let api = cluster.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    FakeCluster::write_kubeconfig(&kubeconfig, api, "qinling").unwrap();
    // Workers download packages from the server, so its address must be known before it starts.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let options = ServerOptions {
        args: ["--orchestrator", "kubernetes", "--worker-api-url", &format!("http://127.0.0.1:{port}")]
            .map(String::from)
            .to_vec(),
        listen: Some(format!("127.0.0.1:{port}")),
        env: vec![("KUBECONFIG".into(), kubeconfig.display().to_string())],
    };
    let server = Server::start_with(options).await;

    let (status, runtime) = server.post("/v1/runtimes", json!({"name": "python3", "image": IMAGE})).await;
    assert_eq!(status, StatusCode::CREATED, "{runtime}");
    let runtime = runtime["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, body) = server.get(&format!("/v1/runtimes/{runtime}")).await;
        if body["status"] == "available" {
            break;
        }
        assert!(body["status"] == "creating" && Instant::now() < deadline, "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, pool) = server.get(&format!("/v1/runtimes/{runtime}/pool")).await;
    assert_eq!(pool["capacity"], json!({"total": 2, "available": 2}));

    let code = "def main(name='World'):\n    return {'greeting': 'Hello, ' + name}\n";
    let (status, function) = server.create_function(&runtime, zip_package(&[("main.py", code)]), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{function}");
    let function = function["id"].as_str().unwrap().to_owned();
    let execution = server.execute(&function, json!({"name": "pod"})).await;
    assert_eq!(execution["result"]["output"], json!({"greeting": "Hello, pod"}), "{execution}");

    let (_, workers) = server.get(&format!("/v1/functions/{function}/workers")).await;
    let name = workers["workers"][0]["worker_name"].as_str().unwrap().to_owned();
    let pods = cluster.pods().await;
    let pod = pods.iter().find(|pod| pod.metadata.name.as_deref() == Some(name.as_str())).expect("the worker is a pod");
    let labels = pod.metadata.labels.clone().unwrap();
    assert_eq!(labels["qinling.io/function"], function);
    assert_eq!(labels["qinling.io/role"], "worker");

    assert_eq!(server.delete(&format!("/v1/functions/{function}")).await.0, StatusCode::NO_CONTENT);
    assert_eq!(server.delete(&format!("/v1/runtimes/{runtime}")).await.0, StatusCode::NO_CONTENT);
    assert!(cluster.pods().await.is_empty(), "the pool and the function's pod are deleted");
}
