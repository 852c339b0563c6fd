//! End-to-end tests: the real `qinling` binary on 127.0.0.1, a temporary data directory, real components
//! built from wasm-examples/, real HTTP. One module per resource or concern.

mod cli;
mod executions;
mod functions;
mod limits;
mod restart;
mod root;
mod runtimes;
mod support;
