//! The Wasm executor: runs functions as WebAssembly components in a pooled wasmtime host.
//!
//! Lifecycle, in three phases:
//! - **startup** ([`WasmExecutor::new`]): one [`wasmtime::Engine`] (pooling allocator when the machine
//!   allows it, see [`engine`]), one linker with WASI, an epoch ticker thread;
//! - **upload** ([`qinling_core::Executor::prepare`]): find the package's shape (a handler component, a
//!   `wasi:http` component, a `wasi:cli/run` component or a preview 1 command module), compile it (or load
//!   the compiled artifact from the disk cache), keep its instance-pre, instantiate it once, then run it
//!   once with no input and nothing granted (the warm-up: its first real execution then finds its memory
//!   resident in the pool slot kept for it, when it runs on the same pool shard, see `Inner::warm_up`);
//! - **execution** ([`qinling_core::Executor::execute`]): a fresh `Store` with the function's limits,
//!   instantiate from the pool, call it the way its shape is called, drop.
//!
//! This is the only crate that knows wasmtime.

mod bindings;
mod cache;
mod config;
mod engine;
mod executor;
mod limiter;
mod link;
mod loaded;
mod log_sink;
mod outbound;
mod package;
mod run;
mod shape;
mod state;
mod ticker;
mod trap;

pub use config::{
    DEFAULT_HTTP_RESPONSE_CAP, DEFAULT_MAX_CONCURRENT, DEFAULT_MAX_LOADED_CODE, DEFAULT_MEMORY_KEEP_RESIDENT,
    WasmConfig,
};
pub use engine::Allocator;
pub use executor::{WasmExecutor, WasmExecutorError};
