//! The Wasm executor: runs functions as WebAssembly components in a pooled wasmtime host.
//!
//! Lifecycle, in three phases:
//! - **startup** ([`WasmExecutor::new`]): one [`wasmtime::Engine`] (pooling allocator when the machine
//!   allows it, see [`engine`]), one linker with WASI, an epoch ticker thread;
//! - **upload** ([`qinling_core::Executor::prepare`]): validate the component's shape, compile it (or load
//!   the compiled artifact from the disk cache), keep an `InstancePre` for it;
//! - **execution** ([`qinling_core::Executor::execute`]): a fresh `Store` with the function's limits,
//!   instantiate from the pool, call `handle`, drop.
//!
//! This is the only crate that knows wasmtime.

mod bindings;
mod cache;
mod config;
mod engine;
mod executor;
mod limiter;
mod log_sink;
mod package;
mod shape;
mod state;
mod ticker;

pub use config::{DEFAULT_MAX_CONCURRENT, WasmConfig};
pub use engine::Allocator;
pub use executor::{WasmExecutor, WasmExecutorError};
