//! Qinling's engine: the rules of each resource and the life of an execution, over the store and the
//! executors.
//!
//! The engine decides *what* happens: which runtime a function may use, whether a package is acceptable
//! (by asking its executor to prepare it), what an execution's input and outcome are, what may be deleted.
//! It reaches the Wasm host only through `Arc<dyn qinling_core::Executor>`, and knows no HTTP.

mod error;
mod executions;
mod functions;
mod input;
mod runtimes;
mod validate;

pub use error::EngineError;
pub use executions::NewExecution;
pub use functions::{CodeRequest, FunctionRequest, FunctionUpdate};

use std::sync::Arc;

use qinling_core::{Executor, OperatorLimits};
use qinling_store::Store;

/// Default largest package accepted at upload.
pub const DEFAULT_MAX_PACKAGE_SIZE: usize = 50 * 1024 * 1024;

/// The operator's settings the engine enforces.
#[derive(Clone, Debug)]
pub struct EngineSettings {
    pub limits: OperatorLimits,
    pub max_package_size: usize,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self { limits: OperatorLimits::default(), max_package_size: DEFAULT_MAX_PACKAGE_SIZE }
    }
}

#[derive(Clone)]
pub struct Engine {
    store: Store,
    wasm: Arc<dyn Executor>,
    settings: EngineSettings,
}

impl Engine {
    pub fn new(store: Store, wasm: Arc<dyn Executor>, settings: EngineSettings) -> Self {
        Self { store, wasm, settings }
    }

    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }
}
