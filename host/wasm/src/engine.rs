//! Building the wasmtime [`Engine`]: the pooling allocator, sized to the configured concurrency, with
//! memory kept resident between instances; on-demand allocation when the pool cannot be reserved
//! (for instance under a low `ulimit -v`).

use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::WasmConfig;

/// Which instance allocator the engine ended up with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allocator {
    Pooling,
    OnDemand,
}

// What one component instance needs from the pool, at most. A Rust wasip2 component has about three core
// instances, one memory and two tables; Python components (componentize-py) have more.
const CORE_INSTANCES_PER_COMPONENT: u32 = 16;
const MEMORIES_PER_COMPONENT: u32 = 4;
const TABLES_PER_COMPONENT: u32 = 8;
// Each slot's instance metadata (VMContext); componentize-py components need more than the 1 MiB default.
const MAX_CORE_INSTANCE_SIZE: usize = 4 * 1024 * 1024;
const MAX_COMPONENT_INSTANCE_SIZE: usize = 4 * 1024 * 1024;

pub(crate) fn build(config: &WasmConfig) -> wasmtime::Result<(Engine, Allocator)> {
    if config.pooling {
        let mut pooled = base_config();
        pooled.allocation_strategy(InstanceAllocationStrategy::Pooling(pool(config)));
        match Engine::new(&pooled) {
            Ok(engine) => return Ok((engine, Allocator::Pooling)),
            Err(e) => tracing::warn!(error = %e, "pooling allocator unavailable, falling back to on-demand"),
        }
    }
    Ok((Engine::new(&base_config())?, Allocator::OnDemand))
}

fn base_config() -> Config {
    let mut config = Config::new();
    // Timeouts: the ticker thread advances the epoch; each store traps or yields at its deadline.
    config.epoch_interruption(true);
    config.wasm_component_model(true);
    config
}

fn pool(config: &WasmConfig) -> PoolingAllocationConfig {
    let instances = config.max_concurrent.max(1);
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(instances)
        .total_core_instances(instances * CORE_INSTANCES_PER_COMPONENT)
        .total_memories(instances * MEMORIES_PER_COMPONENT)
        .total_tables(instances * TABLES_PER_COMPONENT)
        .total_stacks(instances)
        .max_core_instance_size(MAX_CORE_INSTANCE_SIZE)
        .max_component_instance_size(MAX_COMPONENT_INSTANCE_SIZE)
        .max_memory_size(usize::try_from(config.max_memory).unwrap_or(usize::MAX))
        .linear_memory_keep_resident(config.memory_keep_resident)
        .table_keep_resident(config.table_keep_resident)
        // Resetting a slot with PAGEMAP_SCAN avoids madvise's cross-core TLB shootdowns (Linux 6.7+).
        .pagemap_scan(Enabled::Auto);
    pool
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_is_used_when_the_machine_allows_it() {
        let config = WasmConfig { max_concurrent: 4, ..WasmConfig::new("unused") };
        let (_, allocator) = build(&config).unwrap();
        assert_eq!(allocator, Allocator::Pooling);
    }

    #[test]
    fn on_demand_is_used_when_pooling_is_off() {
        let config = WasmConfig { pooling: false, ..WasmConfig::new("unused") };
        let (_, allocator) = build(&config).unwrap();
        assert_eq!(allocator, Allocator::OnDemand);
    }
}
