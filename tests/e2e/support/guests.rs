//! Guest components for the tests, built once per test run from wasm-examples/ (wasm32-wasip2, release),
//! and hand-written invalid ones.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("cli/ sits in the workspace root")
}

/// Builds every example once (in its own target directory, so it never waits on the outer build).
fn examples_dir() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let root = workspace_root();
        let target_dir = root.join("target").join("wasm-examples");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--release", "--target", "wasm32-wasip2", "--manifest-path"])
            .arg(root.join("wasm-examples").join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&target_dir)
            .status()
            .expect("running cargo to build wasm-examples");
        assert!(status.success(), "building wasm-examples failed (is the wasm32-wasip2 target installed?)");
        target_dir.join("wasm32-wasip2").join("release")
    })
}

/// The bytes of an example component, by crate name (`word-stats`, `misbehave`).
pub fn guest(name: &str) -> Vec<u8> {
    let path = examples_dir().join(format!("{}.wasm", name.replace('-', "_")));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Packages that are WebAssembly but not a handler component, with what the server must say about each.
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
