//! The Kubernetes backend under the bridge, against the in-process fake API server (tests/fake-kube)
//! whose kubelet runs the real python3 worker (runtimes/python3/worker.py) as processes, so that pool
//! Deployments, relabelling, refills, image Deployments and bridge → worker HTTP are all exercised. The
//! last test runs the same against a real cluster when `KUBECONFIG` is set (`--ignored`; see
//! docs/kubernetes.md).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use qinling_container_bridge::kubernetes::{KubernetesBackend, KubernetesConfig};
use qinling_container_bridge::{Backend, Bridge, BridgeConfig};
use qinling_core::{
    Capacity, ContainerExecution, ExecutionId, FunctionId, Limits, Orchestrator, PackageDigest, PackageDownload,
    Placement, RuntimeId, WorkerKey,
};
use qinling_fake_kube::{FakeCluster, FakeImage};

const RUNTIME_IMAGE: &str = "localhost/qinling/python3:latest";
const GREETER_IMAGE: &str = "localhost/qinling-test/greeter:latest";
const TOKEN: &str = "test-token";
const HELLO: &str = "def main(name='World'):\n    print('hello', name)\n    return {'greeting': 'Hello, ' + name}\n";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// The python3 image as a process: the worker, with the SDK's calling convention on its path.
fn python_worker(extra_env: Vec<(String, String)>) -> FakeImage {
    let mut env = vec![("PYTHONPATH".to_owned(), root().join("sdk/python").display().to_string())];
    env.extend(extra_env);
    FakeImage { command: vec!["python3".into(), root().join("runtimes/python3/worker.py").display().to_string()], env }
}

/// A fake cluster knowing the python3 image and an image function's image (the worker with baked code).
fn cluster(code: &Path) -> FakeCluster {
    std::fs::write(code.join("handler.py"), "def greet(who='you'):\n    return 'hi ' + who\n").unwrap();
    let baked = vec![
        ("QINLING_CODE_DIR".to_owned(), code.display().to_string()),
        ("QINLING_ENTRY".to_owned(), "handler.greet".to_owned()),
    ];
    FakeCluster::start([
        (RUNTIME_IMAGE.to_owned(), python_worker(Vec::new())),
        (GREETER_IMAGE.to_owned(), python_worker(baked)),
    ])
}

fn backend(cluster: &FakeCluster) -> KubernetesBackend {
    let client = kube::Client::new(cluster.router(), "qinling");
    KubernetesBackend::new(client, KubernetesConfig::new("qinling"))
}

fn bridge(backend: KubernetesBackend) -> Bridge {
    Bridge::new(Arc::new(backend), BridgeConfig { take_timeout: Duration::from_secs(30), ..Default::default() })
}

/// Serves a zip of `main.py` at `/package` on `bind`, to requests that carry the token.
async fn package_server(bind: &str, code: &'static str) -> (SocketAddr, PackageDigest) {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer.start_file("main.py", zip::write::SimpleFileOptions::default()).unwrap();
    writer.write_all(code.as_bytes()).unwrap();
    let package = writer.finish().unwrap().into_inner();
    let digest = PackageDigest::of(&package);
    let app = axum::Router::new().route(
        "/package",
        get(move |headers: HeaderMap| {
            let package = package.clone();
            async move {
                if headers.get("x-auth-token").is_some_and(|token| token == TOKEN) {
                    Ok(package)
                } else {
                    Err(StatusCode::FORBIDDEN)
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(bind).await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (address, digest)
}

fn pool_placement(runtime: RuntimeId, address: SocketAddr, digest: PackageDigest) -> Placement {
    Placement::Pool {
        runtime_id: runtime,
        package: digest,
        entry: Some("main.main".into()),
        download: PackageDownload { url: format!("http://{address}/package"), token: TOKEN.into() },
    }
}

fn limits() -> Limits {
    Limits { timeout: Duration::from_secs(5), memory_size: 64 << 20, cpu: 100 }
}

fn execution(key: WorkerKey, placement: &Placement, input: &str) -> ContainerExecution {
    ContainerExecution {
        execution_id: ExecutionId::new(),
        key,
        placement: placement.clone(),
        input: input.into(),
        limits: limits(),
    }
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn labelled(pods: &[k8s_openapi::api::core::v1::Pod], key: &str, value: &str) -> usize {
    pods.iter().filter(|pod| pod.metadata.labels.as_ref().and_then(|l| l.get(key)) == Some(&value.to_owned())).count()
}

#[tokio::test]
async fn a_pool_deployment_serves_functions_and_refills_behind_them() {
    let code = tempfile::tempdir().unwrap();
    let cluster = cluster(code.path());
    let bridge = bridge(backend(&cluster));
    let runtime = RuntimeId::new();
    bridge.ensure_pool(runtime, RUNTIME_IMAGE).await.unwrap();
    assert_eq!(bridge.pool_capacity(runtime).await.unwrap(), Capacity { total: 2, available: 2 });

    let (address, digest) = package_server("127.0.0.1:0", HELLO).await;
    let placement = pool_placement(runtime, address, digest);
    let key = WorkerKey { function_id: FunctionId::new(), version: 0 };
    let outcome = bridge.execute(execution(key, &placement, r#"{"name": "Kubernetes"}"#)).await.unwrap();
    assert_eq!(outcome.output, Ok(r#"{"greeting":"Hello, Kubernetes"}"#.to_owned()));
    assert_eq!(outcome.log, "hello Kubernetes\n");

    let pods = cluster.pods().await;
    assert_eq!(labelled(&pods, "qinling.io/role", "worker"), 1, "the function's pod was relabelled");
    assert_eq!(labelled(&pods, "qinling.io/function", &key.function_id.to_string()), 1);
    eventually("the Deployment refills the pool", async || {
        bridge.pool_capacity(runtime).await.unwrap() == Capacity { total: 2, available: 2 }
    })
    .await;

    bridge.scale_up(key, &placement, limits(), 2).await.unwrap();
    assert_eq!(bridge.workers(key.function_id).await.unwrap().len(), 3);
    for n in 0..6 {
        let outcome = bridge.execute(execution(key, &placement, &format!(r#"{{"name": "n{n}"}}"#))).await.unwrap();
        assert!(outcome.output.is_ok(), "{outcome:?}");
    }
    bridge.scale_down(key, 5).await.unwrap();
    assert_eq!(bridge.workers(key.function_id).await.unwrap().len(), 1, "scaling down keeps one");
    bridge.detach(key.function_id, None).await.unwrap();
    assert!(bridge.workers(key.function_id).await.unwrap().is_empty());
    assert_eq!(labelled(&cluster.pods().await, "qinling.io/role", "worker"), 0, "detached pods are deleted");

    bridge.delete_pool(runtime).await.unwrap();
    eventually("the pool's pods are gone", async || cluster.pods().await.is_empty()).await;
}

#[tokio::test]
async fn a_pod_is_taken_once_even_by_two_servers() {
    let code = tempfile::tempdir().unwrap();
    let cluster = cluster(code.path());
    let (first, second) = (backend(&cluster), backend(&cluster));
    let runtime = RuntimeId::new();
    first.ensure_pool(runtime, RUNTIME_IMAGE, 2).await.unwrap();
    let idle = first.pool(runtime).await.unwrap().idle;
    let worker = idle[0].clone();
    let (a, b) = (
        WorkerKey { function_id: FunctionId::new(), version: 0 },
        WorkerKey { function_id: FunctionId::new(), version: 0 },
    );
    assert!(first.take(runtime, &worker, a).await.unwrap());
    assert!(!second.take(runtime, &worker, b).await.unwrap(), "the second take sees a stale resourceVersion");
    let held = second.held().await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].key, a, "the pod belongs to whoever took it first");
}

#[tokio::test]
async fn an_image_function_is_its_own_deployment_and_workers_survive_a_restart() {
    let code = tempfile::tempdir().unwrap();
    let cluster = cluster(code.path());
    let bridge = bridge(backend(&cluster));
    let key = WorkerKey { function_id: FunctionId::new(), version: 2 };
    let placement = Placement::Image { image: GREETER_IMAGE.into() };
    let outcome = bridge.execute(execution(key, &placement, r#"{"who": "k8s"}"#)).await.unwrap();
    assert_eq!(outcome.output, Ok(r#""hi k8s""#.to_owned()));
    bridge.scale_up(key, &placement, limits(), 2).await.unwrap();
    let workers = bridge.workers(key.function_id).await.unwrap();
    assert_eq!(workers.len(), 3);
    assert!(workers.iter().all(|worker| worker.version == 2));

    // A new bridge (a restarted server) adopts the pods functions hold.
    let restarted = bridge;
    drop(restarted);
    let bridge = self::bridge(backend(&cluster));
    assert_eq!(bridge.recover().await.unwrap(), 3);
    assert_eq!(bridge.workers(key.function_id).await.unwrap(), workers);

    bridge.scale_down(key, 1).await.unwrap();
    let kept = bridge.workers(key.function_id).await.unwrap();
    assert_eq!(kept.len(), 2);
    eventually("the pod marked cheapest is the one deleted", async || {
        let names: Vec<String> = cluster.pods().await.iter().filter_map(|pod| pod.metadata.name.clone()).collect();
        names.len() == 2 && kept.iter().all(|worker| names.contains(&worker.name))
    })
    .await;
    let outcome = bridge.execute(execution(key, &placement, r#"{"who": "again"}"#)).await.unwrap();
    assert_eq!(outcome.output, Ok(r#""hi again""#.to_owned()));

    bridge.detach(key.function_id, Some(2)).await.unwrap();
    eventually("the image Deployment and its pods are gone", async || cluster.pods().await.is_empty()).await;
}

#[tokio::test]
async fn an_image_that_cannot_be_pulled_fails_the_pool_with_the_reason() {
    let code = tempfile::tempdir().unwrap();
    let cluster = cluster(code.path());
    let bridge = bridge(backend(&cluster));
    let error = bridge.ensure_pool(RuntimeId::new(), "registry.example.com/nope:1").await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains("ErrImagePull") && message.contains("nope"), "{message}");
}

/// The same life against a real cluster: `KUBECONFIG` must point at it, `QINLING_TEST_IMAGE` name the
/// python3 runtime image as the cluster can pull it, and `QINLING_TEST_PACKAGE_HOST` be an address of
/// this machine that pods reach (see docs/kubernetes.md).
#[tokio::test]
#[ignore = "needs a Kubernetes cluster"]
async fn a_pool_serves_a_function_on_a_real_cluster() {
    assert!(std::env::var_os("KUBECONFIG").is_some(), "set KUBECONFIG to run this test");
    let image = std::env::var("QINLING_TEST_IMAGE").unwrap_or_else(|_| RUNTIME_IMAGE.to_owned());
    let host = std::env::var("QINLING_TEST_PACKAGE_HOST").expect("set QINLING_TEST_PACKAGE_HOST");
    let namespace = std::env::var("QINLING_TEST_NAMESPACE").unwrap_or_else(|_| "qinling".to_owned());
    let backend = KubernetesBackend::connect(KubernetesConfig::new(namespace)).await.unwrap();
    backend.ping().await.unwrap();
    let bridge = bridge(backend);
    let runtime = RuntimeId::new();
    bridge.ensure_pool(runtime, &image).await.unwrap();
    let (address, digest) = package_server("0.0.0.0:0", HELLO).await;
    let reachable: SocketAddr = format!("{host}:{}", address.port()).parse().unwrap();
    let placement = pool_placement(runtime, reachable, digest);
    let key = WorkerKey { function_id: FunctionId::new(), version: 0 };
    let outcome = bridge.execute(execution(key, &placement, r#"{"name": "cluster"}"#)).await;
    bridge.delete_pool(runtime).await.unwrap();
    assert_eq!(outcome.unwrap().output, Ok(r#"{"greeting":"Hello, cluster"}"#.to_owned()));
}
