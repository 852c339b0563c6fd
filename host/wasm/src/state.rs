//! What one execution's `Store` holds: its WASI context (environment, log streams, no preopens, no
//! sockets), its resource table and its memory cap.

use qinling_core::ExecutionRequest;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::limiter::MemoryCap;
use crate::log_sink::LogSink;

pub(crate) struct ExecutionState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) memory: MemoryCap,
}

impl ExecutionState {
    /// No ambient authority: the environment holds only `QINLING_*` context, there are no preopened
    /// directories, and every socket and name lookup is denied.
    pub(crate) fn new(request: &ExecutionRequest, deadline_unix_ms: u128, log: &LogSink) -> Self {
        let wasi = WasiCtx::builder()
            .env("QINLING_EXECUTION_ID", request.execution_id.to_string())
            .env("QINLING_FUNCTION_ID", request.function_id.to_string())
            .env("QINLING_FUNCTION_VERSION", request.function_version.to_string())
            .env("QINLING_DEADLINE_MS", deadline_unix_ms.to_string())
            .stdout(log.clone())
            .stderr(log.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self { wasi, table: ResourceTable::new(), memory: MemoryCap::new(request.limits.memory_size) }
    }
}

impl WasiView for ExecutionState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}
