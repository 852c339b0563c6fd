//! Real services for the end-to-end tests and the benchmarks, started on loopback ports and stopped when
//! dropped: [`S3Server`] (`s3s-fs`, which checks SigV4) and [`Keystone`] (OpenStack Keystone under
//! gunicorn). `cargo xtask test` and `cargo xtask bench` install them under `target/`.

mod keystone;
mod s3;

pub use keystone::{ADMIN_PASSWORD as KEYSTONE_ADMIN_PASSWORD, Keystone, ServerSettings};
pub use s3::{ACCESS_KEY as S3_ACCESS_KEY, S3Server, credentials as s3_credentials};

use std::path::PathBuf;

/// The repository's root, where `target/` holds the installed services.
fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
