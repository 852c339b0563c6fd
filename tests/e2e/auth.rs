//! Authentication against a real Keystone: every resource needs a token and belongs to the token's
//! project (another project's ids are 404, not 403), runtimes and worker management are for admins,
//! admins list across projects, webhooks run without a token as their owner, a bad or revoked token
//! gets 401; and Qinling's own `openstack` client logs in to the same Keystone and works unmodified.

use std::process::Command;
use std::time::Duration;

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Keystone, Server, ServerOptions, assert_fault, guest};

/// A server with authentication on against `keystone`, believing tokens for `cache_secs`.
async fn server_with_auth(keystone: &Keystone, cache_secs: u64) -> Server {
    let settings = keystone.server_settings(cache_secs).await;
    Server::start_with(ServerOptions { args: settings.args, env: settings.env, ..Default::default() }).await
}

/// A request as the holder of `token`.
async fn call(server: &Server, token: &str, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut request = server.request(method, path).header("X-Auth-Token", token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    server.send(request).await
}

async fn get(server: &Server, token: &str, path: &str) -> (StatusCode, Value) {
    call(server, token, Method::GET, path, None).await
}

async fn post(server: &Server, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    call(server, token, Method::POST, path, Some(body)).await
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list[key].as_array().unwrap().iter().map(|item| item["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn projects_see_only_their_own_and_admins_manage_runtimes() {
    let keystone = Keystone::start().await;
    let alpha = keystone.create_project("alpha").await;
    let beta = keystone.create_project("beta").await;
    keystone.create_user("alice", "alice-pw", &alpha, "member").await;
    keystone.create_user("bob", "bob-pw", &beta, "member").await;
    let server = server_with_auth(&keystone, 1).await;
    let admin = keystone.token("admin", crate::support::KEYSTONE_ADMIN_PASSWORD, "admin").await;
    let alice = keystone.token("alice", "alice-pw", "alpha").await;
    let bob = keystone.token("bob", "bob-pw", "beta").await;

    // No token, a bad token: 401 with a reason. Discovery, health and metrics need none.
    assert_fault(&server.get("/v1/functions").await, StatusCode::UNAUTHORIZED, "X-Auth-Token");
    assert_fault(&get(&server, "not-a-token", "/v1/functions").await, StatusCode::UNAUTHORIZED, "invalid");
    for open in ["/", "/v1", "/health"] {
        assert_eq!(server.get(open).await.0, StatusCode::OK, "{open}");
    }

    // Runtimes: admins create them (public), members use them but may not manage them.
    let (status, runtime) = post(&server, &admin, "/v1/runtimes", json!({"name": "wasm", "image": "wasm"})).await;
    assert_eq!(status, StatusCode::CREATED, "{runtime}");
    let runtime = runtime["id"].as_str().unwrap().to_owned();
    let refused = post(&server, &alice, "/v1/runtimes", json!({"name": "mine", "image": "wasm"})).await;
    assert_fault(&refused, StatusCode::FORBIDDEN, "admin role");
    assert_fault(&get(&server, &alice, &format!("/v1/runtimes/{runtime}/pool")).await, StatusCode::FORBIDDEN, "admin");
    assert_eq!(ids(&get(&server, &alice, "/v1/runtimes").await.1, "runtimes"), [runtime.as_str()]);

    // Alice's function and execution are alpha's.
    let form = Form::new()
        .text("runtime_id", runtime.clone())
        .text("code", json!({"source": "package"}).to_string())
        .part("package", Part::bytes(guest("hello")).file_name("hello.wasm"));
    let request = server.request(Method::POST, "/v1/functions").header("X-Auth-Token", &alice).multipart(form);
    let (status, function) = server.send(request).await;
    assert_eq!(status, StatusCode::CREATED, "{function}");
    assert_eq!(function["project_id"], alpha.as_str());
    let function = function["id"].as_str().unwrap().to_owned();
    let (status, execution) =
        post(&server, &alice, "/v1/executions", json!({"function_id": function, "input": {"name": "alpha"}})).await;
    assert_eq!(status, StatusCode::CREATED, "{execution}");
    assert_eq!(execution["status"], "success");
    assert_eq!(execution["project_id"], alpha.as_str());
    let execution = execution["id"].as_str().unwrap().to_owned();

    // Bob, in beta, cannot see or touch any of it: 404, as if it did not exist.
    for path in [format!("/v1/functions/{function}"), format!("/v1/executions/{execution}")] {
        assert_fault(&get(&server, &bob, &path).await, StatusCode::NOT_FOUND, "");
    }
    let (status, _) = post(&server, &bob, "/v1/executions", json!({"function_id": function})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&server, &bob, Method::DELETE, &format!("/v1/functions/{function}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(ids(&get(&server, &bob, "/v1/functions").await.1, "functions").is_empty());
    assert!(ids(&get(&server, &bob, "/v1/executions").await.1, "executions").is_empty());
    let others = get(&server, &bob, "/v1/functions?all_projects=true").await;
    assert_fault(&others, StatusCode::FORBIDDEN, "admin role");
    assert_fault(&get(&server, &bob, &format!("/v1/executions?project_id={alpha}")).await, StatusCode::FORBIDDEN, "");
    let detach = call(&server, &alice, Method::POST, &format!("/v1/functions/{function}/detach"), None).await;
    assert_fault(&detach, StatusCode::FORBIDDEN, "admin role");

    // The admin lists across projects when asking for it, and only its own project otherwise.
    assert_eq!(ids(&get(&server, &admin, "/v1/functions?all_projects=true").await.1, "functions"), [function.as_str()]);
    assert!(ids(&get(&server, &admin, "/v1/functions").await.1, "functions").is_empty());
    let alphas = get(&server, &admin, &format!("/v1/executions?project_id={alpha}")).await.1;
    assert_eq!(ids(&alphas, "executions"), [execution.as_str()]);

    // A webhook runs without a token, as its owner.
    let (status, webhook) = post(&server, &alice, "/v1/webhooks", json!({"function_id": function})).await;
    assert_eq!(status, StatusCode::CREATED, "{webhook}");
    let invoke = format!("/v1/webhooks/{}/invoke", webhook["id"].as_str().unwrap());
    let (status, invoked) = server.post(&invoke, json!({"name": "hook"})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{invoked}");
    let hooked = get(&server, &alice, &format!("/v1/executions/{}", invoked["execution_id"].as_str().unwrap())).await;
    assert_eq!(hooked.0, StatusCode::OK, "the webhook's execution is alice's: {}", hooked.1);

    // The `qinling` CLI sends a token given with --token (or OS_AUTH_TOKEN).
    let cli = |token: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_qinling"));
        command.args(["function", "list", "--json", "--url", &server.url]).env_remove("OS_AUTH_TOKEN");
        if let Some(token) = token {
            command.env("OS_AUTH_TOKEN", token);
        }
        command.output().unwrap()
    };
    let listed = cli(Some(&alice));
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    assert!(String::from_utf8_lossy(&listed.stdout).contains(&function), "alice's CLI lists her function");
    let refused = cli(None);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("X-Auth-Token"));

    // A revoked token stops working once the server's cache period (1 s here) is over.
    keystone.revoke(&alice).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_fault(&get(&server, &alice, "/v1/functions").await, StatusCode::UNAUTHORIZED, "revoked");
    let alice = keystone.token("alice", "alice-pw", "alpha").await;
    assert_eq!(ids(&get(&server, &alice, "/v1/functions").await.1, "functions"), [function]);
}

#[tokio::test]
async fn the_openstack_client_logs_in_to_keystone_and_works_unmodified() {
    let keystone = Keystone::start().await;
    let alpha = keystone.create_project("alpha").await;
    keystone.create_user("alice", "alice-pw", &alpha, "member").await;
    let server = server_with_auth(&keystone, 60).await;
    keystone.register_service("function-engine", &server.url).await;
    let openstack = |user: &str, password: &str, project: &str, args: &[&str]| {
        let output = Command::new(crate::openstack::openstack_binary())
            .args(["--os-auth-url", &keystone.url, "--os-identity-api-version", "3"])
            .args(["--os-username", user, "--os-password", password, "--os-project-name", project])
            .args(["--os-user-domain-name", "Default", "--os-project-domain-name", "Default"])
            .args(args)
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let json = |output: (bool, String, String)| -> Value {
        assert!(output.0, "openstack failed: {}", output.2);
        serde_json::from_str(&output.1).unwrap_or_else(|e| panic!("not JSON ({e}): {}", output.1))
    };
    let admin = crate::support::KEYSTONE_ADMIN_PASSWORD;

    let runtime =
        json(openstack("admin", admin, "admin", &["runtime", "create", "--name", "wasm", "wasm", "-f", "json"]));
    assert_eq!(runtime["status"], "available");
    let (ok, _, stderr) = openstack("alice", "alice-pw", "alpha", &["runtime", "create", "--name", "x", "wasm"]);
    assert!(!ok && stderr.contains("admin role"), "a member may not create runtimes: {stderr}");

    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("hello.wasm");
    std::fs::write(&wasm, guest("hello")).unwrap();
    let create =
        ["function", "create", "--runtime", "wasm", "--file", wasm.to_str().unwrap(), "--name", "hi", "-f", "json"];
    let function = json(openstack("alice", "alice-pw", "alpha", &create));
    assert_eq!(function["project_id"], alpha.as_str());
    let id = function["id"].as_str().unwrap();
    let execution = json(openstack(
        "alice",
        "alice-pw",
        "alpha",
        &["function", "execution", "create", "--function", id, "--input", r#"{"name": "keystone"}"#, "-f", "json"],
    ));
    assert_eq!(execution["status"], "success", "{execution}");
    let listed = json(openstack("alice", "alice-pw", "alpha", &["function", "list", "-f", "json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let theirs = json(openstack("admin", admin, "admin", &["function", "list", "-f", "json"]));
    assert!(theirs.as_array().unwrap().is_empty(), "the admin's own project has none: {theirs}");
    let all =
        json(openstack("admin", admin, "admin", &["function", "list", "--filter", "all_projects=true", "-f", "json"]));
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
}
