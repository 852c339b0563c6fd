//! Installing what a fresh machine lacks: the wasm32-wasip2 Rust target (every Rust guest builds for it);
//! clang with wasi-libc from Debian (the C example); Podman with runc and debootstrap from Debian (the
//! container tests run real containers of the python3 runtime image, which is built from Debian packages);
//! PostgreSQL from Debian (the store and replica tests run on it as well as on SQLite);
//! `s3s-fs` from crates.io into `target/tools` (an S3 server over a directory that checks SigV4
//! signatures: the S3 package-store tests use it); and a Python virtualenv (`target/python`) with OpenStack
//! Qinling's own clients (the compatibility tests drive them unmodified) and the Python SDK (which builds
//! Python functions with componentize-py); and another (`target/keystone`) with OpenStack Keystone under
//! gunicorn (the authentication tests run a real Keystone).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

const WASM_TARGET: &str = "wasm32-wasip2";
/// Debian packages that compile C to WASI preview 1: clang, its linker, wasi-libc and the wasm32 builtins.
const C_PACKAGES: &[&str] = &["clang", "lld", "wasi-libc", "libclang-rt-14-dev-wasm32"];
/// Where wasi-libc puts its C runtime; its presence means the C toolchain is complete.
const WASI_LIBC_MARKER: &str = "/usr/lib/wasm32-wasi/crt1-command.o";
/// Debian packages that run containers (Podman's Docker-compatible API, with runc: crun fails on hybrid
/// cgroup hierarchies) and build the runtime images (debootstrap).
const CONTAINER_PACKAGES: &[&str] = &["podman", "runc", "debootstrap"];
/// The S3 server the tests use: pinned (later versions need a newer rustc), with its lock file.
const S3_SERVER: (&str, &str) = ("s3s-fs", "0.14.1");
/// Debian packages the benchmarks use: the HTTP load generator and the plotter.
const BENCH_PACKAGES: &[&str] = &["wrk", "gnuplot-nox"];
/// The peer of the benchmarks: the crate, its binary and the version (the wasmtime the host embeds).
const PEER: (&str, &str, &str) = ("wasmtime-cli", "wasmtime", "48.0.8");
/// Python packages the tests use, pinned so that a test run means the same thing on every machine.
const PYTHON_PACKAGES: &[&str] = &["python-openstackclient==10.5.0", "python-qinlingclient==5.1.1"];
/// Keystone and the WSGI server it runs under, in a virtualenv of their own (their pins are not the
/// clients').
const KEYSTONE_PACKAGES: &[&str] = &["keystone==30.0.0", "gunicorn==27.0.1"];

pub(crate) fn ensure() -> anyhow::Result<()> {
    ensure_wasm_target()?;
    ensure_c_toolchain()?;
    ensure_container_tools()?;
    ensure_postgres()?;
    ensure_s3_server()?;
    let target = crate::root().join("target");
    let sdk = crate::root().join("sdk").join("python");
    ensure_virtualenv(&target.join("python"), PYTHON_PACKAGES, Some(&sdk))?;
    ensure_virtualenv(&target.join("keystone"), KEYSTONE_PACKAGES, None)
}

fn ensure_wasm_target() -> anyhow::Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("running rustup (the wasm32-wasip2 target is installed with it)")?;
    if !String::from_utf8_lossy(&installed.stdout).lines().any(|line| line.trim() == WASM_TARGET) {
        println!("==> installing the {WASM_TARGET} Rust target");
        crate::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    }
    Ok(())
}

fn ensure_c_toolchain() -> anyhow::Result<()> {
    let has_clang = Command::new("clang").arg("--version").output().is_ok_and(|out| out.status.success());
    if has_clang && Path::new(WASI_LIBC_MARKER).exists() {
        return Ok(());
    }
    println!("==> installing {} from Debian (for the C example)", C_PACKAGES.join(", "));
    crate::run(apt_get().args(["update", "-qq"]))?;
    crate::run(apt_get().args(["install", "-y", "-qq"]).args(C_PACKAGES).env("DEBIAN_FRONTEND", "noninteractive"))?;
    if !Path::new(WASI_LIBC_MARKER).exists() {
        bail!("wasi-libc is installed but {WASI_LIBC_MARKER} is missing");
    }
    Ok(())
}

fn ensure_container_tools() -> anyhow::Result<()> {
    let installed = |tool: &str| Command::new(tool).arg("--version").output().is_ok_and(|out| out.status.success());
    if installed("podman") && installed("runc") && Path::new("/usr/sbin/debootstrap").exists() {
        return Ok(());
    }
    println!("==> installing {} from Debian (for the container runtimes)", CONTAINER_PACKAGES.join(", "));
    crate::run(apt_get().args(["update", "-qq"]))?;
    crate::run(
        apt_get().args(["install", "-y", "-qq"]).args(CONTAINER_PACKAGES).env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

fn ensure_postgres() -> anyhow::Result<()> {
    let installed = std::fs::read_dir("/usr/lib/postgresql")
        .is_ok_and(|mut versions| versions.any(|v| v.is_ok_and(|v| v.path().join("bin/initdb").exists())));
    if installed {
        return Ok(());
    }
    println!("==> installing postgresql from Debian (the tests run on PostgreSQL as well as SQLite)");
    crate::run(apt_get().args(["update", "-qq"]))?;
    crate::run(apt_get().args(["install", "-y", "-qq", "postgresql"]).env("DEBIAN_FRONTEND", "noninteractive"))
}

fn ensure_s3_server() -> anyhow::Result<()> {
    let (name, version) = S3_SERVER;
    ensure_cargo_tool(name, name, version, &["--features", "binary"], "the S3 server of the tests")
}

/// What only the benchmarks need: `wrk` (the HTTP load generator) and gnuplot (the curves) from Debian,
/// and the peer they compare against, `wasmtime serve` from wasmtime-cli (a release build of ~10
/// minutes, once).
pub(crate) fn ensure_bench_tools() -> anyhow::Result<()> {
    let installed = |tool: &str| Command::new("which").arg(tool).output().is_ok_and(|out| out.status.success());
    if !installed("wrk") || !installed("gnuplot") {
        println!("==> installing {} from Debian (load and plots for the benchmarks)", BENCH_PACKAGES.join(", "));
        crate::run(apt_get().args(["update", "-qq"]))?;
        crate::run(
            apt_get().args(["install", "-y", "-qq"]).args(BENCH_PACKAGES).env("DEBIAN_FRONTEND", "noninteractive"),
        )?;
    }
    let (name, binary, version) = PEER;
    ensure_cargo_tool(name, binary, version, &[], "the peer the benchmarks compare against")
}

/// Installs crate `name` at `version` into `target/tools` unless its `binary` already reports that version.
fn ensure_cargo_tool(name: &str, binary: &str, version: &str, extra: &[&str], why: &str) -> anyhow::Result<()> {
    let tools = crate::root().join("target").join("tools");
    let installed = Command::new(tools.join("bin").join(binary)).arg("--version").output();
    if installed.is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains(version)) {
        return Ok(());
    }
    println!("==> installing {name} {version} into {} ({why})", tools.display());
    crate::run(
        Command::new(crate::cargo())
            .args(["install", "--locked", "--quiet", "--version", version, name])
            .args(extra)
            .arg("--root")
            .arg(&tools),
    )
}

/// `apt-get`, through sudo unless this already runs as root.
fn apt_get() -> Command {
    if crate::running_as_root() {
        return Command::new("apt-get");
    }
    let mut command = Command::new("sudo");
    command.arg("apt-get");
    command
}

/// Creates a virtualenv and installs `packages` and, editable (so that it follows the source), a local
/// package, unless it already holds exactly them.
fn ensure_virtualenv(venv: &Path, packages: &[&str], editable: Option<&Path>) -> anyhow::Result<()> {
    let stamp = venv.join("qinling-requirements.txt");
    let mut wanted = packages.join("\n");
    if let Some(local) = editable {
        wanted.push_str(&format!("\n-e {}", local.display()));
    }
    if std::fs::read_to_string(&stamp).is_ok_and(|installed| installed == wanted) {
        return Ok(());
    }
    println!("==> installing {} into {}", wanted.replace('\n', ", "), venv.display());
    crate::run(Command::new(python()).args(["-m", "venv"]).arg(venv))?;
    let pip = venv.join("bin").join("pip");
    crate::run(Command::new(&pip).args(["install", "--quiet", "--disable-pip-version-check"]).args(packages))?;
    if let Some(local) = editable {
        crate::run(Command::new(&pip).args(["install", "--quiet", "--disable-pip-version-check", "-e"]).arg(local))?;
    }
    std::fs::write(&stamp, wanted)?;
    Ok(())
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}
