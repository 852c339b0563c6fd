//! The seam between the engine and the places code runs (the Wasm host, container workers).
//!
//! The engine owns records and decides *what* runs; an [`Executor`] only turns a package into something
//! runnable ([`Executor::prepare`], at upload) and runs it ([`Executor::execute`]). A function that fails is
//! a normal [`ExecutionOutcome`] with an `Err` output; an [`ExecuteError`] means the platform failed.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::{AllowedHost, ExecutionId, FunctionId, Limits};

/// The SHA-256 of a package, lowercase hex: the package's identity in the object store and in caches.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PackageDigest(String);

impl PackageDigest {
    pub fn of(bytes: &[u8]) -> Self {
        Self(hex::encode(Sha256::digest(bytes)))
    }

    /// Accepts only what [`PackageDigest::of`] produces, so a digest is always safe in a path or key.
    pub fn parse(text: &str) -> Option<Self> {
        let well_formed = text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        well_formed.then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PackageDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The code an executor runs: a stored package and, when the package is an archive, the entry that
/// names what in it to run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CodeRef {
    pub package: PackageDigest,
    pub entry: Option<String>,
}

impl CodeRef {
    /// What executors key prepared code by: the package digest, refined by the entry when there is one
    /// (one archive can hold several programs). Safe in a file name.
    pub fn key(&self) -> String {
        match &self.entry {
            None => self.package.to_string(),
            Some(entry) => format!("{}-{}", self.package, &hex::encode(Sha256::digest(entry.as_bytes()))[..16]),
        }
    }
}

/// One execution as an executor sees it.
#[derive(Clone, Debug)]
pub struct ExecutionRequest {
    pub execution_id: ExecutionId,
    pub function_id: FunctionId,
    pub function_version: i64,
    pub code: CodeRef,
    /// The input as JSON text (for [`Executor::execute_http`], what is recorded of the request).
    pub input: String,
    pub limits: Limits,
    /// The origins the function may reach over HTTP; empty: none.
    pub allowed_hosts: Arc<[AllowedHost]>,
}

/// What came of running a function.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecutionOutcome {
    /// `Ok` with the output as JSON text, or `Err` with why the function failed.
    pub output: Result<String, String>,
    /// Time spent instantiating and running the function.
    pub duration: Duration,
    /// What the function wrote to stdout and stderr, capped by the executor.
    pub log: String,
}

/// What came of serving one HTTP request with an HTTP-shaped function.
#[derive(Debug)]
pub struct HttpOutcome {
    /// `Ok` with the function's response as it answered (status, headers, body), or `Err` with why the
    /// function failed to answer.
    pub response: Result<http::Response<Bytes>, String>,
    /// Time spent instantiating and running the function.
    pub duration: Duration,
    /// What the function wrote to stdout and stderr, capped by the executor.
    pub log: String,
}

/// What preparing found out about code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prepared {
    /// How the executor calls the code (for Wasm: `handler`, `wasi-http`, `wasi-command` or
    /// `wasip1-command`), shown to users as `code.abi`.
    pub abi: String,
}

/// An executor's room for executions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capacity {
    pub total: u64,
    pub available: u64,
}

/// Why a package cannot be prepared.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The package is not something this executor can run; the message says what was found instead.
    #[error("{0}")]
    Rejected(String),
    /// The host failed while preparing a package that may well be fine.
    #[error("{0}")]
    Internal(String),
}

/// Why the platform could not run an execution (as opposed to the function failing).
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    /// The executor holds nothing for this code (first use after a restart with an empty cache):
    /// prepare it, then execute again.
    #[error("package {} is not prepared", .0.package)]
    NotPrepared(CodeRef),
    /// Every slot is busy and the wait for one is full: retry later.
    #[error("{0}")]
    Overloaded(String),
    #[error("{0}")]
    Internal(String),
}

/// A place where functions run. Implementations keep whatever they prepared, keyed by package digest.
#[async_trait::async_trait]
pub trait Executor: Send + Sync + 'static {
    /// Validates code and makes it ready to run, so that the first execution pays no compilation.
    /// `bytes` is the package `code` names. Preparing code that is already prepared is cheap.
    async fn prepare(&self, code: &CodeRef, bytes: Bytes) -> Result<Prepared, PrepareError>;

    /// Runs one execution to completion (or to its timeout).
    async fn execute(&self, request: ExecutionRequest) -> Result<ExecutionOutcome, ExecuteError>;

    /// Serves one HTTP request with an HTTP-shaped function (`abi` `wasi-http`): `call` goes in as it
    /// is, and the function's response comes back as it is, with its body read up to the output cap.
    async fn execute_http(
        &self,
        request: ExecutionRequest,
        call: http::Request<Bytes>,
    ) -> Result<HttpOutcome, ExecuteError>;

    /// Forgets a package nothing refers to any more, with whatever was cached for it (for any entry).
    async fn release(&self, package: &PackageDigest);

    /// How many executions this executor can run at once, and how many more it could start now.
    fn capacity(&self) -> Capacity;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_sha256_hex_and_parse_back() {
        let digest = PackageDigest::of(b"abc");
        assert_eq!(digest.as_str(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(PackageDigest::parse(digest.as_str()), Some(digest));
    }

    #[test]
    fn an_entry_refines_the_key_of_a_package() {
        let package = PackageDigest::of(b"zip");
        let plain = CodeRef { package: package.clone(), entry: None };
        let entry = CodeRef { package: package.clone(), entry: Some("main.wasm".into()) };
        assert_eq!(plain.key(), package.as_str());
        assert!(entry.key().starts_with(package.as_str()) && entry.key().len() == 64 + 17);
        assert_ne!(entry.key(), CodeRef { package, entry: Some("other.wasm".into()) }.key());
    }

    #[test]
    fn anything_but_a_digest_is_refused() {
        assert_eq!(PackageDigest::parse("../../etc/passwd"), None);
        assert_eq!(PackageDigest::parse(&"A".repeat(64)), None);
    }
}
