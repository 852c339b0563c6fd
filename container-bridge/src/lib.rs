//! Qinling's container bridge: container runtimes and image functions behind the same API as Wasm ones.
//!
//! [`Bridge`] implements qinling-core's `Orchestrator` on a [`Backend`]: a container runtime is a pool of
//! idle workers running the runtime's image; a function's first execution takes a worker from the pool
//! and has it load the function's package over the worker protocol ([`protocol`], written down in
//! runtimes/README.md); an image function runs workers of its own image. Backends: [`docker`] (the Docker
//! Engine API, for Docker or Podman on one machine) and [`kubernetes`] (Deployments and Pods). Nothing
//! here knows the database or the REST layer.

mod backend;
mod bridge;
pub mod docker;
pub mod kubernetes;
pub mod package;
pub mod protocol;

pub use backend::{Backend, BackendError, HeldWorker, Origin, PoolState, Worker};
pub use bridge::{Bridge, BridgeConfig, DEFAULT_IDLE_TIMEOUT, DEFAULT_POOL_SIZE, DEFAULT_TAKE_TIMEOUT};
