//! A real S3 server for the package-store tests: `s3s-fs` (installed into `target/tools` by
//! `cargo xtask test`) serving a temporary directory, where each bucket is a folder, and checking every
//! request's SigV4 signature against one key pair.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::workspace_root;

pub const ACCESS_KEY: &str = "qinling-test";
pub const SECRET_KEY: &str = "qinling-test-secret";

/// An `s3s-fs` process, killed when dropped, with its directory.
pub struct S3Server {
    child: Child,
    pub endpoint: String,
    root: tempfile::TempDir,
}

impl S3Server {
    /// Starts the server with the given buckets created.
    pub fn start(buckets: &[&str]) -> Self {
        let root = tempfile::tempdir().unwrap();
        for bucket in buckets {
            std::fs::create_dir(root.path().join(bucket)).unwrap();
        }
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port();
        let binary = workspace_root().join("target/tools/bin/s3s-fs");
        let child = Command::new(&binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {} (`cargo xtask test` installs it): {e}", binary.display()));
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not listen on port {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, endpoint: format!("http://127.0.0.1:{port}"), root }
    }

    /// The server's `--package-store` URL for `bucket/prefix`.
    pub fn url(&self, bucket_and_prefix: &str) -> String {
        format!("s3://{bucket_and_prefix}?endpoint={}&allow_http=true&region=us-east-1", self.endpoint)
    }

    /// Where the objects of `bucket` are on disk.
    pub fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.path().join(bucket)
    }

    /// Every object file under `dir`, as paths relative to it.
    pub fn objects_under(dir: &Path) -> Vec<String> {
        let mut found = Vec::new();
        let mut pending = vec![dir.to_owned()];
        while let Some(next) = pending.pop() {
            for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    found.push(path.strip_prefix(dir).unwrap().display().to_string());
                }
            }
        }
        found.sort();
        found
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The credentials a server needs for this S3 server, as environment variables.
pub fn credentials() -> Vec<(String, String)> {
    vec![("AWS_ACCESS_KEY_ID".into(), ACCESS_KEY.into()), ("AWS_SECRET_ACCESS_KEY".into(), SECRET_KEY.into())]
}
