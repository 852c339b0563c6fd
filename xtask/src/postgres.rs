//! A throwaway PostgreSQL server for the test run: Debian's binaries, a fresh cluster in a temporary
//! directory (as the `postgres` user when running as root, since PostgreSQL refuses root), on a free
//! port of 127.0.0.1, with durability off (fsync) because it lives only as long as the tests. Stopped
//! when dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

pub(crate) struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    /// `postgres://postgres@127.0.0.1:<port>/postgres`
    pub(crate) url: String,
}

impl Postgres {
    pub(crate) fn start() -> anyhow::Result<Self> {
        let bin = bin_dir()?;
        let dir = std::env::temp_dir().join(format!("qinling-postgres-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        if crate::running_as_root() {
            crate::run(Command::new("chown").arg("postgres:postgres").arg(&dir))?;
        }
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let data = dir.join("data");
        crate::run(
            as_postgres(&bin.join("initdb"))
                .args(["--auth=trust", "--username=postgres", "--encoding=UTF8", "--no-sync", "--pgdata"])
                .arg(&data)
                .stdout(std::process::Stdio::null()),
        )?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=400",
            dir.display()
        );
        crate::run(
            as_postgres(&bin.join("pg_ctl"))
                .args(["start", "--wait", "--silent", "--pgdata"])
                .arg(&data)
                .arg("--log")
                .arg(dir.join("server.log"))
                .args(["--options", &options]),
        )?;
        Ok(Self { bin, dir, url: format!("postgres://postgres@127.0.0.1:{port}/postgres") })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin.join("pg_ctl"))
            .args(["stop", "--mode=immediate", "--silent", "--pgdata"])
            .arg(self.dir.join("data"))
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Debian's PostgreSQL binaries (`/usr/lib/postgresql/<version>/bin`), the newest installed.
fn bin_dir() -> anyhow::Result<PathBuf> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<u32> = std::fs::read_dir(root)
        .with_context(|| format!("{} (Debian's postgresql package)", root.display()))?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    versions.sort_unstable();
    match versions.last() {
        Some(version) => Ok(root.join(version.to_string()).join("bin")),
        None => bail!("no PostgreSQL version under {}", root.display()),
    }
}

/// A command run as the `postgres` user when this runs as root.
fn as_postgres(program: &Path) -> Command {
    if crate::running_as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}
