//! What one execution's `Store` holds: a WASI context (environment, stdio, no preopens, no sockets), the
//! resource table and HTTP context for components, and the memory cap. Core modules get the preview 1
//! flavour of the same context ([`P1State`]).

use bytes::Bytes;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::limiter::MemoryCap;
use crate::log_sink::LogSink;
use crate::outbound::Outbound;

/// Where one execution's standard streams go.
pub(crate) struct Stdio {
    pub(crate) stdin: Option<Bytes>,
    pub(crate) stdout: LogSink,
    pub(crate) stderr: LogSink,
}

/// No ambient authority: the environment holds only `env` (the `QINLING_*` context), there are no
/// preopened directories, and every socket and name lookup is denied.
fn builder(env: &[(&str, String)], stdio: Stdio) -> WasiCtxBuilder {
    let mut builder = WasiCtx::builder();
    builder
        .envs(env)
        .stdout(stdio.stdout)
        .stderr(stdio.stderr)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false);
    if let Some(stdin) = stdio.stdin {
        builder.stdin(MemoryInputPipe::new(stdin));
    }
    builder
}

/// The store data of a component execution.
pub(crate) struct ExecutionState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    outbound: Outbound,
    table: ResourceTable,
    pub(crate) memory: MemoryCap,
}

impl ExecutionState {
    pub(crate) fn new(env: &[(&str, String)], stdio: Stdio, memory_limit: u64, outbound: Outbound) -> Self {
        Self {
            wasi: builder(env, stdio).build(),
            http: WasiHttpCtx::new(),
            outbound,
            table: ResourceTable::new(),
            memory: MemoryCap::new(memory_limit),
        }
    }
}

impl WasiView for ExecutionState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for ExecutionState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.outbound }
    }
}

/// The store data of a core module (WASI preview 1) execution.
pub(crate) struct P1State {
    pub(crate) wasi: WasiP1Ctx,
    pub(crate) memory: MemoryCap,
}

impl P1State {
    pub(crate) fn new(env: &[(&str, String)], stdio: Stdio, memory_limit: u64) -> Self {
        Self { wasi: builder(env, stdio).build_p1(), memory: MemoryCap::new(memory_limit) }
    }
}

/// Store data with a memory cap, whatever the shape.
pub(crate) trait Capped: Send + 'static {
    fn memory(&mut self) -> &mut MemoryCap;
}

impl Capped for ExecutionState {
    fn memory(&mut self) -> &mut MemoryCap {
        &mut self.memory
    }
}

impl Capped for P1State {
    fn memory(&mut self) -> &mut MemoryCap {
        &mut self.memory
    }
}
