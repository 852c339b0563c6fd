//! What one execution's `Store` holds: its WASI context (environment, log streams, no preopens, no
//! sockets), its resource table and its memory cap.

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
    /// No ambient authority: the environment holds only `env` (the `QINLING_*` context), there are no
    /// preopened directories, and every socket and name lookup is denied.
    pub(crate) fn new(env: &[(&str, String)], memory_limit: u64, log: &LogSink) -> Self {
        let wasi = WasiCtx::builder()
            .envs(env)
            .stdout(log.clone())
            .stderr(log.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self { wasi, table: ResourceTable::new(), memory: MemoryCap::new(memory_limit) }
    }
}

impl WasiView for ExecutionState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}
