//! A real OpenStack Keystone for the authentication tests: Keystone 30 from PyPI (installed into
//! `target/keystone` by `cargo xtask test`) on SQLite with fernet tokens, bootstrapped with an `admin`
//! user and served by gunicorn on a loopback port, plus the admin calls the tests need (projects, users
//! with roles, tokens, revocation, the service catalog).

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::workspace_root;

pub const ADMIN_PASSWORD: &str = "admin-secret";
/// The service user Qinling validates tokens as.
const SERVICE_USER: (&str, &str) = ("qinling", "qinling-secret");
/// `qinling server` flags and environment that turn authentication on against a Keystone.
#[derive(Clone, Debug)]
pub struct ServerSettings {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// How long Keystone may take to answer after gunicorn starts.
const STARTUP: Duration = Duration::from_secs(60);

/// A Keystone process (killed when dropped) with its configuration, database and keys.
pub struct Keystone {
    child: Child,
    /// `http://127.0.0.1:<port>/v3`.
    pub url: String,
    dir: tempfile::TempDir,
    http: reqwest::Client,
    admin_token: String,
}

impl Keystone {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port();
        let url = format!("http://127.0.0.1:{port}/v3");
        let config = write_config(dir.path());
        let manage = |args: &[&str]| {
            let output = Command::new(venv_bin("keystone-manage"))
                .arg("--config-file")
                .arg(&config)
                .args(args)
                .output()
                .unwrap_or_else(|e| panic!("keystone-manage (`cargo xtask test` installs it): {e}"));
            assert!(output.status.success(), "keystone-manage {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        };
        let (uid, gid) = (id("-u"), id("-g"));
        manage(&["db_sync"]);
        manage(&["fernet_setup", "--keystone-user", &uid, "--keystone-group", &gid]);
        manage(&["credential_setup", "--keystone-user", &uid, "--keystone-group", &gid]);
        manage(&[
            "bootstrap",
            "--bootstrap-password",
            ADMIN_PASSWORD,
            "--bootstrap-public-url",
            &url,
            "--bootstrap-internal-url",
            &url,
            "--bootstrap-admin-url",
            &url,
            "--bootstrap-region-id",
            "RegionOne",
        ]);
        let log = std::fs::File::create(dir.path().join("gunicorn.log")).unwrap();
        let child = Command::new(venv_bin("gunicorn"))
            .args(["--bind", &format!("127.0.0.1:{port}"), "--workers", "2", "keystone_wsgi:application"])
            .current_dir(dir.path())
            .env("PYTHONPATH", dir.path())
            .env("OS_KEYSTONE_CONFIG_FILES", &config)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut keystone = Self { child, url, dir, http: reqwest::Client::new(), admin_token: String::new() };
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Ok(response) = keystone.http.get(&keystone.url).send().await
                && response.status() == StatusCode::OK
            {
                break;
            }
            assert!(Instant::now() < deadline, "Keystone did not answer; its log:\n{}", keystone.log());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        keystone.admin_token = keystone.token("admin", ADMIN_PASSWORD, "admin").await;
        keystone
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("gunicorn.log")).unwrap_or_default()
    }

    /// A token for `user` scoped to `project` (both by name, in the Default domain).
    pub async fn token(&self, user: &str, password: &str, project: &str) -> String {
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"name": "Default"}, "password": password,
            }}},
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}},
        }});
        let response = self.http.post(format!("{}/auth/tokens", self.url)).json(&body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "logging in as {user}: {}", response.text().await.unwrap());
        response.headers()["x-subject-token"].to_str().unwrap().to_owned()
    }

    /// Revokes a token, as `openstack token revoke` does.
    pub async fn revoke(&self, token: &str) {
        let response =
            self.as_admin(Method::DELETE, "/auth/tokens").header("X-Subject-Token", token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }

    /// Creates a project and returns its id.
    pub async fn create_project(&self, name: &str) -> String {
        let body = json!({"project": {"name": name, "domain_id": "default"}});
        self.admin_post("/projects", body).await["project"]["id"].as_str().unwrap().to_owned()
    }

    /// Creates a user holding `role` on `project_id` and returns the user's id.
    pub async fn create_user(&self, name: &str, password: &str, project_id: &str, role: &str) -> String {
        let body = json!({"user": {"name": name, "password": password, "domain_id": "default"}});
        let user = self.admin_post("/users", body).await["user"]["id"].as_str().unwrap().to_owned();
        let roles = self.admin_get(&format!("/roles?name={role}")).await;
        let role_id = roles["roles"][0]["id"].as_str().unwrap_or_else(|| panic!("no role {role}: {roles}"));
        let grant = format!("/projects/{project_id}/users/{user}/roles/{role_id}");
        let response = self.as_admin(Method::PUT, &grant).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        user
    }

    /// Puts a service of `service_type` at `url` in the catalog (public endpoint), as an operator
    /// registering Qinling would.
    pub async fn register_service(&self, service_type: &str, url: &str) {
        let service = self.admin_post("/services", json!({"service": {"name": "qinling", "type": service_type}})).await;
        let endpoint = json!({"endpoint": {
            "service_id": service["service"]["id"], "interface": "public", "url": url, "region_id": "RegionOne",
        }});
        self.admin_post("/endpoints", endpoint).await;
    }

    /// Creates the `service` project and Qinling's service user in it, and returns the server settings
    /// that turn authentication on against this Keystone.
    pub async fn server_settings(&self, token_cache_secs: u64) -> ServerSettings {
        let service = self.create_project("service").await;
        self.create_user(SERVICE_USER.0, SERVICE_USER.1, &service, "service").await;
        ServerSettings {
            args: vec![
                "--auth-enable".into(),
                "true".into(),
                "--keystone-url".into(),
                self.url.clone(),
                "--keystone-username".into(),
                SERVICE_USER.0.into(),
                "--token-cache-time".into(),
                token_cache_secs.to_string(),
            ],
            env: vec![("QINLING_KEYSTONE_PASSWORD".into(), SERVICE_USER.1.into())],
        }
    }

    /// A request to `path` (under `/v3`) with the admin's token.
    fn as_admin(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.url)).header("X-Auth-Token", &self.admin_token)
    }

    async fn admin_get(&self, path: &str) -> Value {
        let response = self.as_admin(Method::GET, path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.unwrap()
    }

    async fn admin_post(&self, path: &str, body: Value) -> Value {
        let response = self.as_admin(Method::POST, path).json(&body).send().await.unwrap();
        let status = response.status();
        let answer: Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "POST {path}: {answer}");
        answer
    }
}

impl Drop for Keystone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn venv_bin(name: &str) -> PathBuf {
    workspace_root().join("target/keystone/bin").join(name)
}

fn id(flag: &str) -> String {
    let output = Command::new("id").arg(flag).output().unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Keystone's configuration (SQLite, fernet keys in `dir`, cheap password hashing for fast test logins)
/// and the WSGI module gunicorn serves: it empties `sys.argv` first, or Keystone's option parser reads
/// gunicorn's arguments and the workers exit.
fn write_config(dir: &Path) -> PathBuf {
    let path = |name: &str| dir.join(name).display().to_string();
    let config = format!(
        "[database]\nconnection = sqlite:///{db}\n\
         [token]\nprovider = fernet\n\
         [fernet_tokens]\nkey_repository = {fernet}\n\
         [fernet_receipts]\nkey_repository = {receipts}\n\
         [credential]\nkey_repository = {credential}\n\
         [identity]\npassword_hash_rounds = 4\n",
        db = path("keystone.db"),
        fernet = path("fernet-keys"),
        receipts = path("fernet-receipts"),
        credential = path("credential-keys"),
    );
    std::fs::write(dir.join("keystone.conf"), config).unwrap();
    std::fs::write(
        dir.join("keystone_wsgi.py"),
        "import sys\nsys.argv = sys.argv[:1]\nfrom keystone.wsgi.api import application  # noqa: E402,F401\n",
    )
    .unwrap();
    dir.join("keystone.conf")
}
