//! Guest packages for the tests, built from source once per test run: the Rust examples with cargo
//! (wasm32-wasip2), the C example with clang and wasi-libc, the Python examples with the Python SDK's
//! `qinling-py` (cached by content, since each takes seconds); and hand-written invalid ones.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

pub(super) fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("cli/ sits in the workspace root")
}

fn target_dir() -> PathBuf {
    workspace_root().join("target").join("wasm-examples")
}

pub(super) fn run(command: &mut Command) {
    let output = command.output().unwrap_or_else(|e| panic!("running {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed (run `cargo xtask test`, which installs what the guests need):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Builds every Rust example once (in its own target directory, so it never waits on the outer build).
fn rust_examples() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        run(Command::new(cargo)
            .args(["build", "--release", "--target", "wasm32-wasip2", "--manifest-path"])
            .arg(workspace_root().join("wasm-examples").join("Cargo.toml"))
            .arg("--target-dir")
            .arg(target_dir()));
        target_dir().join("wasm32-wasip2").join("release")
    })
}

/// The bytes of a Rust example, by crate name (`word-stats`, `misbehave`, `hello`, `fetch-count`,
/// `http-hello`, `http-misbehave`, `shout`).
pub fn guest(name: &str) -> Vec<u8> {
    read(&rust_examples().join(format!("{}.wasm", name.replace('-', "_"))))
}

/// The C example, a WASI preview 1 command module.
pub fn c_rot13() -> Vec<u8> {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let path = BUILT.get_or_init(|| {
        let out = target_dir().join("c-rot13.wasm");
        std::fs::create_dir_all(target_dir()).unwrap();
        let source = workspace_root().join("wasm-examples").join("c-rot13").join("rot13.c");
        run(Command::new("clang").args(["--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-o"]).arg(&out).arg(source));
        out
    });
    read(path)
}

/// A Python example (`hello`, `file-sizes`, `github-events`) built with `qinling-py`, reusing an earlier build of the
/// same sources.
pub fn python(name: &str) -> Vec<u8> {
    static LOCK: Mutex<()> = Mutex::new(());
    let _one_build_at_a_time = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = workspace_root().join("wasm-examples").join("python").join(name);
    let requirements = dir.join("requirements.txt");
    let sdk = workspace_root().join("sdk").join("python").join("qinling_sdk");
    let mut hasher = DefaultHasher::new();
    for file in
        [dir.join("app.py"), requirements.clone(), sdk.join("_handler.py"), sdk.join("build.py"), sdk.join("http.py")]
    {
        std::fs::read(&file).ok().hash(&mut hasher);
    }
    let out = target_dir().join("python").join(format!("{name}-{:016x}.wasm", hasher.finish()));
    if !out.exists() {
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        let mut build = qinling_py();
        build.args(["build", "--quiet"]).arg(dir.join("app.py")).arg("-o").arg(&out);
        if requirements.exists() {
            build.arg("-r").arg(&requirements);
        }
        run(&mut build);
    }
    read(&out)
}

/// The Python SDK's build tool, from the virtualenv `cargo xtask test` sets up.
pub fn qinling_py() -> Command {
    Command::new(workspace_root().join("target").join("python").join("bin").join("qinling-py"))
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Packages that are WebAssembly but not something Qinling runs, with what the server must say about each.
pub fn invalid_components() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let wat = |text: &str| wat::parse_str(text).expect("valid WAT");
    vec![
        ("core module without _start", wat("(module (func (export \"handle\")))"), "without a `_start` function"),
        ("component exporting nothing", wat("(component)"), "the component exports nothing"),
        (
            "component with a handle of the wrong type",
            wat(r#"(component
                (core module $m (func (export "f") (param i32) (result i32) local.get 0))
                (core instance $i (instantiate $m))
                (func $f (param "x" u32) (result u32) (canon lift (core func $i "f")))
                (export "handle" (func $f)))"#),
            "does not implement the handler shape as expected",
        ),
    ]
}
