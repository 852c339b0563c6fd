//! Tidy checks, run by `cargo test`: every Rust file opens with a `//!` module doc, and
//! docs/ARCHITECTURE.md names every crate of the workspace.

use std::path::{Path, PathBuf};

/// Folders holding the project's own Rust code.
const SOURCE_ROOTS: &[&str] = &["host", "container-bridge", "cli", "tests", "xtask", "benches", "wasm-examples", "sdk"];

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.map(Result::unwrap) {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn every_rust_file_has_a_module_doc() {
    let root = crate::root();
    let mut files = Vec::new();
    for dir in SOURCE_ROOTS {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 20, "found only {} Rust files; is the walk broken?", files.len());
    let missing: Vec<String> = files
        .iter()
        .filter(|path| !std::fs::read_to_string(path).unwrap().starts_with("//!"))
        .map(|path| path.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    assert!(missing.is_empty(), "files without a `//!` module doc at the top: {missing:#?}");
}

#[test]
fn the_architecture_map_names_every_crate() {
    let root = crate::root();
    let map = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).unwrap();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let members = manifest.split("members = [").nth(1).unwrap().split(']').next().unwrap();
    for member in members.split(',').map(|m| m.trim().trim_matches('"')).filter(|m| !m.is_empty()) {
        let package = std::fs::read_to_string(root.join(member).join("Cargo.toml")).unwrap();
        let name = package.lines().find_map(|line| line.strip_prefix("name = ")).unwrap().trim_matches('"');
        assert!(map.contains(&format!("`{member}/`")), "docs/ARCHITECTURE.md does not mention `{member}/`");
        assert!(map.contains(name), "docs/ARCHITECTURE.md does not mention the crate {name}");
    }
}
