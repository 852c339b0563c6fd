//! Helpers shared by the end-to-end tests: a running server, an HTTP client speaking its API, the guest
//! components built from source, real containers on Podman, fresh PostgreSQL databases, and (from
//! `qinling-test-services`) an S3 server and Keystone.

mod containers;
mod guests;
mod postgres;
mod server;

pub use containers::{ContainerServer, Scope, function_image, python_image, zip_package};
pub use guests::{c_rot13, guest, invalid_components, python, qinling_py};
pub use postgres::fresh_postgres_database;
pub use qinling_test_services::{KEYSTONE_ADMIN_PASSWORD, Keystone, S3_ACCESS_KEY, S3Server, s3_credentials};
pub use server::{Server, ServerOptions};

use reqwest::StatusCode;
use serde_json::Value;

/// The output of an execution that succeeded (asserted).
#[track_caller]
pub fn output(execution: &Value) -> &Value {
    assert_eq!(execution["status"], "success", "{execution}");
    &execution["result"]["output"]
}

/// The message of an execution that failed (asserted).
#[track_caller]
pub fn failure(execution: &Value) -> &str {
    assert_eq!(execution["status"], "failed", "{execution}");
    execution["result"]["output"].as_str().unwrap()
}

/// The value of the sample `series` (`name{labels}`) in a Prometheus text exposition.
#[track_caller]
pub fn metric(text: &str, series: &str) -> f64 {
    let line = text
        .lines()
        .find(|line| line.rsplit_once(' ').is_some_and(|(name, _)| name == series))
        .unwrap_or_else(|| panic!("no sample {series} in:\n{text}"));
    line.rsplit_once(' ').unwrap().1.parse().unwrap()
}

/// Asserts that a response is an error with `status` whose faultstring contains `needle`.
#[track_caller]
pub fn assert_fault(answer: &(StatusCode, Value), status: StatusCode, needle: &str) {
    let (actual, body) = answer;
    assert_eq!(*actual, status, "unexpected status; body: {body}");
    let fault = body["faultstring"].as_str().unwrap_or_else(|| panic!("no faultstring in {body}"));
    assert!(fault.contains(needle), "faultstring {fault:?} does not mention {needle:?}");
}
