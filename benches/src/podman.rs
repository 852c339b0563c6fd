//! Podman for the container benchmark: the python3 runtime image (built by `runtimes/python3/build.sh`,
//! cached) and a private `podman system service` whose Docker-compatible socket the server drives.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The image the benchmark's container runtime uses.
pub const PYTHON_IMAGE: &str = "localhost/qinling/python3:latest";

/// A Podman API service for one benchmark run; stopping it removes the run's containers.
pub struct Podman {
    service: Child,
    socket: PathBuf,
    scope: String,
    _dir: tempfile::TempDir,
}

impl Podman {
    /// Builds the python3 image if needed and starts the service. Containers the server creates are
    /// labelled with `scope` (its `--container-scope`).
    pub fn start(scope: &str) -> Self {
        run(Command::new(workspace_root().join("runtimes/python3/build.sh")).arg(PYTHON_IMAGE));
        let dir = tempfile::tempdir().expect("a directory for podman's socket");
        let socket = dir.path().join("podman.sock");
        let service = podman()
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting `podman system service` (`cargo xtask prerequisites` installs podman)");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "podman's API socket did not appear at {}", socket.display());
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { service, socket, scope: scope.to_owned(), _dir: dir }
    }

    /// The socket as `--docker-host` takes it.
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let filter = format!("label=qinling.scope={}", self.scope);
        if let Ok(output) = podman().args(["ps", "--all", "--quiet", "--filter", &filter]).output() {
            let ids: Vec<String> = String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned).collect();
            if !ids.is_empty() {
                let _ = podman().args(["rm", "--force", "--time", "0"]).args(&ids).stdout(Stdio::null()).status();
            }
        }
        let _ = self.service.kill();
        let _ = self.service.wait();
    }
}

fn podman() -> Command {
    let mut command = Command::new("podman");
    command.env("CONTAINERS_CONF", workspace_root().join("runtimes/podman/containers.conf"));
    command
}

fn run(command: &mut Command) {
    let status = command.env("CONTAINERS_CONF", workspace_root().join("runtimes/podman/containers.conf")).status();
    assert!(status.is_ok_and(|status| status.success()), "{command:?} failed");
}

fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("benches/ is in the workspace root")
}
