//! The Kubernetes manifests in deploy/kubernetes, checked offline (no cluster runs here): every object
//! parses as its Kubernetes type with no field it would drop, every QINLING_* setting is one the server
//! takes, and the pieces fit: the Deployment's ServiceAccount is bound to a Role in the workers' namespace
//! granting what the bridge does, probes hit /health, the Service selects the pods, secrets exist.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, Service, ServiceAccount};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use serde_json::Value;

const MANIFESTS: &str = include_str!("../../deploy/kubernetes/qinling.yaml");

/// Parses `document` as `T` and checks that nothing was lost on the way (a misspelled field would be).
fn typed<T: serde::de::DeserializeOwned + serde::Serialize>(document: &Value) -> T {
    let object: T = serde_json::from_value(document.clone()).unwrap_or_else(|e| panic!("{e}: {document}"));
    let back = serde_json::to_value(&object).unwrap();
    assert_eq!(&back, document, "a field was not understood");
    object
}

struct Manifests {
    deployment: Deployment,
    service: Service,
    config: ConfigMap,
    secret: Secret,
    roles: Vec<Role>,
    bindings: Vec<RoleBinding>,
    accounts: Vec<ServiceAccount>,
    namespaces: Vec<String>,
}

fn manifests() -> Manifests {
    let documents: Vec<Value> = serde_saphyr::from_multiple(MANIFESTS).expect("valid YAML");
    let (mut deployments, mut services, mut configs, mut secrets) = (vec![], vec![], vec![], vec![]);
    let (mut roles, mut bindings, mut accounts, mut namespaces) = (vec![], vec![], vec![], vec![]);
    for document in &documents {
        match document["kind"].as_str().expect("every object has a kind") {
            "Namespace" => namespaces.push(typed::<Namespace>(document).metadata.name.unwrap()),
            "ServiceAccount" => accounts.push(typed(document)),
            "Role" => roles.push(typed(document)),
            "RoleBinding" => bindings.push(typed(document)),
            "Secret" => secrets.push(typed(document)),
            "ConfigMap" => configs.push(typed(document)),
            "Deployment" => deployments.push(typed(document)),
            "Service" => services.push(typed(document)),
            other => panic!("unexpected kind {other}"),
        }
    }
    Manifests {
        deployment: deployments.pop().expect("a Deployment"),
        service: services.pop().expect("a Service"),
        config: configs.pop().expect("a ConfigMap"),
        secret: secrets.pop().expect("a Secret"),
        roles,
        bindings,
        accounts,
        namespaces,
    }
}

#[test]
fn the_manifests_parse_and_every_setting_is_one_the_server_takes() {
    let manifests = manifests();
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_qinling")).args(["server", "--help"]).output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let container = &manifests.deployment.spec.as_ref().unwrap().template.spec.as_ref().unwrap().containers[0];
    let mut settings: BTreeSet<String> = manifests.config.data.clone().unwrap().into_keys().collect();
    settings.extend(container.env.iter().flatten().map(|env| env.name.clone()));
    for setting in settings.iter().filter(|name| name.starts_with("QINLING_")) {
        assert!(help.contains(&format!("env: {setting}")), "{setting} is not a server setting:\n{help}");
    }
    for needed in ["QINLING_DATABASE_URL", "QINLING_PACKAGE_STORE", "QINLING_AUTH_ENABLE", "QINLING_KEYSTONE_PASSWORD"]
    {
        assert!(settings.contains(needed), "the manifests do not set {needed}");
    }
    let secret_keys: BTreeSet<&String> = manifests.secret.string_data.as_ref().unwrap().keys().collect();
    for env in container.env.iter().flatten() {
        if let Some(key) = env.value_from.as_ref().and_then(|from| from.secret_key_ref.as_ref()) {
            assert_eq!(Some(key.name.as_str()), manifests.secret.metadata.name.as_deref());
            assert!(secret_keys.contains(&key.key), "{} names a missing secret key {}", env.name, key.key);
        }
    }
}

#[test]
fn the_server_may_manage_workers_in_their_namespace_only_and_is_probed_and_served() {
    let manifests = manifests();
    let config = manifests.config.data.clone().unwrap();
    let workers = &config["QINLING_KUBERNETES_NAMESPACE"];
    let system = manifests.deployment.metadata.namespace.clone().unwrap();
    assert!(manifests.namespaces.contains(workers) && manifests.namespaces.contains(&system));
    assert_ne!(workers, &system, "the platform does not share a namespace with functions");

    let pod = manifests.deployment.spec.as_ref().unwrap().template.spec.clone().unwrap();
    let account = pod.service_account_name.clone().expect("a ServiceAccount of its own");
    assert!(manifests.accounts.iter().any(|a| a.metadata.name.as_deref() == Some(&account)));
    let binding = manifests
        .bindings
        .iter()
        .find(|b| b.subjects.iter().flatten().any(|s| s.name == account && s.namespace.as_ref() == Some(&system)))
        .expect("the ServiceAccount is bound");
    assert_eq!(binding.metadata.namespace.as_ref(), Some(workers));
    assert_eq!(binding.role_ref.kind, "Role", "a namespaced Role, not a ClusterRole");
    let role = manifests.roles.iter().find(|r| r.metadata.name.as_ref() == Some(&binding.role_ref.name)).unwrap();
    assert_eq!(role.metadata.namespace.as_ref(), Some(workers));
    let mut granted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for rule in role.rules.iter().flatten() {
        for resource in rule.resources.iter().flatten() {
            granted.entry(resource.clone()).or_default().extend(rule.verbs.iter().cloned());
        }
    }
    let set = |verbs: &[&str]| verbs.iter().map(ToString::to_string).collect::<BTreeSet<_>>();
    // What container-bridge/src/kubernetes.rs calls: apply (create + patch), get, list, scale and label
    // patches, deletes; nothing else.
    assert_eq!(granted["deployments"], set(&["get", "list", "create", "patch", "delete"]));
    assert_eq!(granted["pods"], set(&["get", "list", "patch", "delete"]));
    assert_eq!(granted.len(), 2, "{granted:?}");

    let container = &pod.containers[0];
    for probe in [&container.readiness_probe, &container.liveness_probe] {
        let http = probe.as_ref().and_then(|p| p.http_get.as_ref()).expect("an HTTP probe");
        assert_eq!(http.path.as_deref(), Some("/health"));
    }
    let port = &container.ports.as_ref().unwrap()[0];
    assert_eq!(config["QINLING_LISTEN"], format!("0.0.0.0:{}", port.container_port));
    let service = manifests.service.spec.as_ref().unwrap();
    let labels = manifests.deployment.spec.as_ref().unwrap().template.metadata.as_ref().unwrap().labels.clone();
    for (key, value) in service.selector.as_ref().unwrap() {
        assert_eq!(labels.as_ref().and_then(|l| l.get(key)), Some(value), "the Service selects the pods");
    }
    let service_port = &service.ports.as_ref().unwrap()[0];
    let url =
        format!("http://{}.{system}.svc:{}", manifests.service.metadata.name.as_deref().unwrap(), service_port.port);
    assert_eq!(config["QINLING_WORKER_API_URL"], url, "workers reach the API through the Service");
    let security = container.security_context.as_ref().unwrap();
    assert_eq!(security.read_only_root_filesystem, Some(true));
    assert_eq!(security.allow_privilege_escalation, Some(false));
}
