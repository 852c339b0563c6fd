//! Real containers for the end-to-end tests: Podman's Docker-compatible API service (started once per test
//! run on a socket under target/, with runtimes/podman/containers.conf), the python3 runtime image built
//! by runtimes/python3/build.sh, image-function images committed from it, and servers wired to them.
//! Each server gets its own container scope, whose containers are removed when it is dropped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::guests::{run, workspace_root};
use super::{Server, ServerOptions};

/// The python3 runtime image the tests use.
pub const PYTHON_IMAGE: &str = "localhost/qinling/python3:latest";

fn containers_conf() -> PathBuf {
    workspace_root().join("runtimes").join("podman").join("containers.conf")
}

fn podman() -> Command {
    let mut command = Command::new("podman");
    command.env("CONTAINERS_CONF", containers_conf());
    command
}

/// The socket of a Podman API service for this test run (it exits on its own once unused for a while).
pub fn podman_socket() -> &'static Path {
    static SOCKET: OnceLock<PathBuf> = OnceLock::new();
    SOCKET.get_or_init(|| {
        let dir = workspace_root().join("target").join("podman");
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join(format!("podman-{}.sock", std::process::id()));
        let mut service = podman()
            .args(["system", "service", "--time=120"])
            .arg(format!("unix://{}", socket.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting `podman system service` (run `cargo xtask test`, which installs podman)");
        // It exits on its own once idle; reap it then.
        std::thread::spawn(move || service.wait());
        let deadline = Instant::now() + Duration::from_secs(30);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "podman's API socket did not appear at {}", socket.display());
            std::thread::sleep(Duration::from_millis(50));
        }
        socket
    })
}

/// Builds the python3 runtime image (once per test run; cached across runs by build.sh).
pub fn python_image() -> &'static str {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        run(Command::new(workspace_root().join("runtimes").join("python3").join("build.sh"))
            .arg(PYTHON_IMAGE)
            .env("CONTAINERS_CONF", containers_conf()));
    });
    PYTHON_IMAGE
}

/// An image function's image: the python3 runtime image with `files` baked in as its code and `entry`
/// set, committed under `tag`.
pub fn function_image(tag: &str, files: &[(&str, &str)], entry: &str) -> String {
    let base = python_image();
    let code = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(code.path().join(name), text).unwrap();
    }
    let container = format!("qinling-test-build-{}", std::process::id());
    run(podman().args(["rm", "-f", &container]).stdout(Stdio::null()));
    run(podman().args(["create", "--name", &container, base]).stdout(Stdio::null()));
    run(podman().args(["cp"]).arg(format!("{}/.", code.path().display())).arg(format!("{container}:/opt/function")));
    let image = format!("localhost/qinling-test/{tag}:latest");
    run(podman()
        .args(["commit", "--quiet"])
        .args(["--change", "ENV QINLING_CODE_DIR=/opt/function"])
        .args(["--change", &format!("ENV QINLING_ENTRY={entry}")])
        .args([&container, &image])
        .stdout(Stdio::null()));
    run(podman().args(["rm", "-f", &container]).stdout(Stdio::null()));
    image
}

/// A zip package of `files`, as Qinling's clients upload one.
pub fn zip_package(files: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in files {
        writer.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// A container scope of its own for a test; its containers are removed when it is dropped.
pub struct Scope(pub String);

impl Scope {
    pub fn new() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        Self(format!("qinling-test-{:08x}", hasher.finish() as u32))
    }

    /// The names of this scope's containers that exist now.
    pub fn containers(&self) -> Vec<String> {
        let filter = format!("label=qinling.scope={}", self.0);
        let output = podman().args(["ps", "--all", "--format", "{{.Names}}", "--filter", &filter]).output().unwrap();
        let mut names: Vec<String> = String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned).collect();
        names.sort();
        names
    }

    /// A server whose orchestrator is the test run's Podman, in this scope, in `data_dir` if given (for
    /// restarts), with extra flags.
    pub async fn server(&self, data_dir: Option<&Path>, extra: &[&str]) -> Server {
        python_image();
        let socket = format!("unix://{}", podman_socket().display());
        let mut args: Vec<String> =
            ["--orchestrator", "docker", "--docker-host", &socket, "--container-scope", &self.0]
                .iter()
                .map(ToString::to_string)
                .collect();
        args.extend(extra.iter().map(ToString::to_string));
        // Workers download packages from the server, so it must listen where containers reach it.
        let options = ServerOptions { args, listen: Some("0.0.0.0:0".into()), ..Default::default() };
        match data_dir {
            Some(dir) => Server::start_in(dir, options).await,
            None => Server::start_with(options).await,
        }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        let names = self.containers();
        if !names.is_empty() {
            let _ = podman().args(["rm", "--force", "--time", "0"]).args(&names).stdout(Stdio::null()).status();
        }
    }
}

/// A server on Podman with a scope of its own (dropped after the server, so its containers go last).
pub struct ContainerServer {
    pub server: Server,
    pub scope: Scope,
}

impl ContainerServer {
    pub async fn start(extra: &[&str]) -> Self {
        let scope = Scope::new();
        Self { server: scope.server(None, extra).await, scope }
    }

    pub fn containers(&self) -> Vec<String> {
        self.scope.containers()
    }
}
