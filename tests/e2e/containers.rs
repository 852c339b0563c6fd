//! Container runtimes on real containers: Podman's Docker-compatible API, the python3 runtime image built
//! from runtimes/python3, packages loaded by workers over the worker protocol, image functions, scaling,
//! idle expiry and restarts. Nothing here is a stand-in.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{ContainerServer, Scope, Server, assert_fault, function_image, metric, python_image, zip_package};

const HELLO: &str = "\
import os

def main(name='World', **kwargs):
    print('greeting', name)
    return {'greeting': f'Hello, {name}!', 'function': os.environ['QINLING_FUNCTION_ID']}
";

const MISBEHAVE: &str = "\
import time

def main(do='echo', value=None):
    if do == 'loop':
        while True:
            pass
    if do == 'raise':
        raise ValueError('on purpose')
    if do == 'sleep':
        time.sleep(value)
    if do == 'alloc':
        return len(bytearray(value * 1024 * 1024))
    return value
";

/// Creates a container runtime of the python3 image and waits until its pool is available.
async fn python_runtime(server: &Server) -> String {
    let (status, body) = server.post("/v1/runtimes", json!({"name": "python3", "image": python_image()})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["kind"], "container");
    let id = body["id"].as_str().unwrap().to_owned();
    wait_for_runtime(server, &id, "available").await;
    id
}

async fn wait_for_runtime(server: &Server, id: &str, wanted: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (_, runtime) = server.get(&format!("/v1/runtimes/{id}")).await;
        if runtime["status"] == wanted {
            return runtime;
        }
        assert!(runtime["status"] == "creating", "runtime is {runtime}, not {wanted}");
        assert!(Instant::now() < deadline, "runtime still creating: {runtime}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn python_function(server: &Server, runtime: &str, code: &str, fields: &[(&str, &str)]) -> String {
    let (status, body) = server.create_function(runtime, zip_package(&[("main.py", code)]), fields).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["code"]["abi"], "worker");
    body["id"].as_str().unwrap().to_owned()
}

async fn workers(server: &Server, function: &str) -> Vec<String> {
    let (status, body) = server.get(&format!("/v1/functions/{function}/workers")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|worker| worker["worker_name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_python_package_runs_sync_and_async_on_a_pool_worker_and_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let scope = Scope::new();
    let server = scope.server(Some(data.path()), &[]).await;
    let runtime = python_runtime(&server).await;
    let (_, pool) = server.get(&format!("/v1/runtimes/{runtime}/pool")).await;
    assert_eq!(pool["capacity"], json!({"total": 2, "available": 2}), "a full pool of idle workers");

    let function = python_function(&server, &runtime, HELLO, &[("entry", "main.main")]).await;
    let execution = server.execute(&function, json!({"name": "Qinling"})).await;
    assert_eq!(execution["status"], "success", "{execution}");
    assert_eq!(execution["result"]["output"], json!({"greeting": "Hello, Qinling!", "function": function}));
    assert_eq!(server.execution_log(execution["id"].as_str().unwrap()).await, "greeting Qinling\n");
    let held = workers(&server, &function).await;
    assert_eq!(held.len(), 1, "the first execution took one worker from the pool");
    let metrics = server.metrics().await;
    assert_eq!(metric(&metrics, r#"qinling_executions_total{status="success",shape="worker"}"#), 1.0);
    let pool = format!(r#"qinling_container_pool_workers{{runtime="{runtime}",state="total"}}"#);
    assert!(metric(&metrics, &pool) >= 1.0, "{metrics}");

    let (status, queued) = server.post("/v1/executions", json!({"function_id": function, "sync": false})).await;
    assert_eq!(status, StatusCode::CREATED, "{queued}");
    let finished = server.wait_for_execution(queued["id"].as_str().unwrap(), Duration::from_secs(30)).await;
    assert_eq!(finished["result"]["output"]["greeting"], "Hello, World!", "{finished}");
    assert_eq!(workers(&server, &function).await, held, "the same warm worker ran it");

    // The pool refills behind the worker the function took.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, pool) = server.get(&format!("/v1/runtimes/{runtime}/pool")).await;
        if pool["capacity"]["available"] == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "the pool did not refill: {pool}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    server.stop().await;
    let before = scope.containers();
    let server = scope.server(Some(data.path()), &[]).await;
    assert_eq!(workers(&server, &function).await, held, "the function keeps its worker across the restart");
    let again = server.execute(&function, json!({"name": "again"})).await;
    assert_eq!(again["result"]["output"]["greeting"], "Hello, again!", "{again}");
    wait_for_runtime(&server, &runtime, "available").await;
    assert_eq!(scope.containers(), before, "no worker was replaced");

    let (status, _) = server.delete(&format!("/v1/functions/{function}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.delete(&format!("/v1/runtimes/{runtime}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(scope.containers(), Vec::<String>::new(), "deleting the runtime removed its pool");
}

#[tokio::test]
async fn failures_timeouts_and_memory_stay_the_functions() {
    let server = ContainerServer::start(&[]).await;
    let runtime = python_runtime(&server.server).await;
    let function = python_function(&server.server, &runtime, MISBEHAVE, &[("timeout", "1")]).await;

    let started = Instant::now();
    let timed_out = server.server.execute(&function, json!({"do": "loop"})).await;
    let elapsed = started.elapsed();
    assert_eq!(timed_out["status"], "failed", "{timed_out}");
    assert_eq!(timed_out["result"]["output"], "timed out after 1 s");
    assert!(elapsed < Duration::from_secs(5), "the loop was stopped at its timeout, not later: {elapsed:?}");

    let raised = server.server.execute(&function, json!({"do": "raise"})).await;
    assert_eq!(
        (raised["status"].as_str(), raised["result"]["output"].as_str()),
        (Some("failed"), Some("ValueError: on purpose"))
    );
    assert!(server.server.execution_log(raised["id"].as_str().unwrap()).await.contains("Traceback"));

    let bomb = server.server.execute(&function, json!({"do": "alloc", "value": 512})).await;
    assert_eq!(bomb["status"], "failed", "{bomb}");
    assert!(bomb["result"]["output"].as_str().unwrap().contains("memory limit exceeded"), "{bomb}");

    let fine = server.server.execute(&function, json!({"do": "echo", "value": [1, 2]})).await;
    assert_eq!(fine["result"]["output"], json!([1, 2]), "the worker carries on: {fine}");
    assert_eq!(workers(&server.server, &function).await.len(), 1);
}

#[tokio::test]
async fn scaling_detaching_and_idle_expiry_change_real_containers() {
    let server = ContainerServer::start(&["--pool-size", "1", "--worker-idle-timeout", "2"]).await;
    let runtime = python_runtime(&server.server).await;
    let function = python_function(&server.server, &runtime, HELLO, &[]).await;
    server.server.execute(&function, json!({})).await;
    assert_eq!(workers(&server.server, &function).await.len(), 1);

    let (status, body) = server.server.post(&format!("/v1/functions/{function}/scale_up"), json!({"count": 2})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let scaled = workers(&server.server, &function).await;
    assert_eq!(scaled.len(), 3);
    for name in &scaled {
        assert!(server.containers().contains(name), "{name} is a running container");
    }
    let outputs: Vec<Value> =
        futures::future::join_all((0..6).map(|n| server.server.execute(&function, json!({"name": n.to_string()}))))
            .await;
    assert!(outputs.iter().all(|execution| execution["status"] == "success"), "{outputs:?}");

    let (status, _) = server.server.post(&format!("/v1/functions/{function}/scale_down"), json!({"count": 5})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(workers(&server.server, &function).await.len(), 1, "scaling down keeps one worker");
    let (status, _) = server.server.post(&format!("/v1/functions/{function}/detach"), json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(workers(&server.server, &function).await.is_empty());
    let gone: Vec<String> = scaled.iter().filter(|name| server.containers().contains(name)).cloned().collect();
    assert!(gone.is_empty(), "detached workers are removed: {gone:?}");

    server.server.execute(&function, json!({})).await;
    let worker = workers(&server.server, &function).await;
    assert_eq!(worker.len(), 1);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !workers(&server.server, &function).await.is_empty() {
        assert!(Instant::now() < deadline, "the idle worker did not expire");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    while server.containers().contains(&worker[0]) {
        assert!(Instant::now() < deadline, "the expired worker's container was not removed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let (status, body) = server.server.post(&format!("/v1/functions/{function}/scale_up"), json!({"count": 0})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn an_image_function_runs_its_own_image() {
    let image = function_image(
        "greeter",
        &[("handler.py", "def greet(who='you'):\n    return 'hi ' + who\n")],
        "handler.greet",
    );
    let server = ContainerServer::start(&[]).await;
    let (status, created) = server
        .server
        .post(
            "/v1/functions",
            json!({"name": "greeter", "code": {"source": "image", "image": image}, "memory_size": 67108864}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["runtime_id"], Value::Null);
    assert_eq!(created["code"], json!({"source": "image", "image": image}));
    let function = created["id"].as_str().unwrap().to_owned();

    let execution = server.server.execute(&function, json!({"who": "Qinling"})).await;
    assert_eq!(execution["result"]["output"], "hi Qinling", "{execution}");
    assert_eq!(workers(&server.server, &function).await.len(), 1);
    let (status, _) = server.server.post(&format!("/v1/functions/{function}/scale_up"), json!({"count": 1})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(workers(&server.server, &function).await.len(), 2);
    assert_eq!(server.containers().len(), 2, "an image function has no pool, only its own containers");

    let (status, _) = server.server.get(&format!("/v1/functions/{function}?download=true")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an image function has no package");
    let (status, _) = server.server.delete(&format!("/v1/functions/{function}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(server.containers().is_empty(), "deleting the function removed its containers");
}

#[tokio::test]
async fn bad_packages_images_and_downloads_are_refused() {
    let server = ContainerServer::start(&[]).await;
    let server = &server.server;
    let runtime = python_runtime(server).await;
    for (package, needle) in
        [(zip_package(&[("../evil.py", "x")]), "unsafe path"), (b"def main(): pass".to_vec(), "must be a zip archive")]
    {
        let answer = server.create_function(&runtime, package, &[]).await;
        assert_fault(&answer, StatusCode::BAD_REQUEST, needle);
    }
    let broken = python_function(server, &runtime, "import nothing_here\n", &[]).await;
    let execution = server.execute(&broken, json!({})).await;
    assert_eq!(execution["status"], "failed", "{execution}");
    assert!(execution["result"]["output"].as_str().unwrap().contains("the package does not load"), "{execution}");

    let (status, missing) =
        server.post("/v1/runtimes", json!({"name": "nope", "image": "localhost/qinling-test/nope:1"})).await;
    assert_eq!(status, StatusCode::CREATED, "{missing}");
    let failed = wait_for_runtime(server, missing["id"].as_str().unwrap(), "error").await;
    assert!(failed["status_reason"].as_str().unwrap().contains("nope"), "{failed}");
    let answer = server.create_function(missing["id"].as_str().unwrap(), zip_package(&[("main.py", HELLO)]), &[]).await;
    assert_fault(&answer, StatusCode::BAD_REQUEST, "is not available (status error");

    for (body, needle) in [
        (json!({"name": "x", "image": "Not An Image"}), "must not contain"),
        (json!({"name": "x", "image": "-rm"}), "not a container image reference"),
    ] {
        assert_fault(&server.post("/v1/runtimes", body).await, StatusCode::BAD_REQUEST, needle);
    }
    let with_runtime =
        json!({"name": "x", "runtime_id": runtime, "code": {"source": "image", "image": "localhost/x:1"}});
    assert_fault(&server.post("/v1/functions", with_runtime).await, StatusCode::BAD_REQUEST, "give no runtime_id");

    let digest = "0".repeat(64);
    let (status, body) = server.get(&format!("/v1/packages/{digest}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a package download needs a token: {body}");
}
