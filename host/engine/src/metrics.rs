//! What the engine reports on `/metrics`: finished executions by status and shape with their durations
//! (counted as they finish, on atomics), and, read when scraped, the async queue's depth, the sync
//! executions in flight, the Wasm instance pool's slots and each container runtime's pool of workers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use qinling_core::metrics::{Exposition, Histogram};
use qinling_core::{CodeSource, ExecutionStatus};

use crate::{Engine, EngineError};

/// Every shape a function can have: the Wasm ABIs, a package on a container runtime, an image function.
const SHAPES: [&str; 7] = ["handler", "wasi-http", "wasi-command", "wasip1-command", "worker", "image", "other"];
const OUTCOMES: [ExecutionStatus; 3] = [ExecutionStatus::Success, ExecutionStatus::Failed, ExecutionStatus::Error];

/// Counters of finished executions, shared by every clone of the engine.
#[derive(Debug, Default)]
pub(crate) struct ExecutionMetrics {
    finished: [[AtomicU64; OUTCOMES.len()]; SHAPES.len()],
    durations: [Histogram; SHAPES.len()],
}

impl ExecutionMetrics {
    /// Counts one finished execution; its run time goes into the histogram unless the platform failed
    /// to run it at all.
    pub(crate) fn record(&self, code: &CodeSource, status: ExecutionStatus, duration: Duration) {
        let shape = shape_index(code);
        let Some(outcome) = OUTCOMES.iter().position(|known| *known == status) else { return };
        self.finished[shape][outcome].fetch_add(1, Ordering::Relaxed);
        if status != ExecutionStatus::Error {
            self.durations[shape].observe(duration);
        }
    }
}

fn shape_index(code: &CodeSource) -> usize {
    let shape = match code {
        CodeSource::Package(package) => package.abi.as_str(),
        CodeSource::Image { .. } => "image",
    };
    SHAPES.iter().position(|known| *known == shape).unwrap_or(SHAPES.len() - 1)
}

impl Engine {
    /// Every engine metric, in the Prometheus text format.
    pub async fn metrics(&self) -> Result<Exposition, EngineError> {
        let mut out = Exposition::new();
        let executions = &self.metrics;
        out.family("qinling_executions_total", "counter", "Finished executions by status and function shape.");
        for (shape, name) in SHAPES.iter().enumerate() {
            for (outcome, status) in OUTCOMES.iter().enumerate() {
                let count = executions.finished[shape][outcome].load(Ordering::Relaxed);
                out.sample("qinling_executions_total", &[("status", status.as_str()), ("shape", name)], count as f64);
            }
        }
        out.family(
            "qinling_execution_duration_seconds",
            "histogram",
            "How long functions ran (instantiation and call, or the worker's run), by shape.",
        );
        for (shape, name) in SHAPES.iter().enumerate() {
            out.histogram("qinling_execution_duration_seconds", &[("shape", name)], &executions.durations[shape]);
        }
        let queued = self.store.queued_executions().await?;
        out.family("qinling_async_queue_depth", "gauge", "Async executions waiting in the queue.").sample(
            "qinling_async_queue_depth",
            &[],
            queued as f64,
        );
        let in_flight = self.admitted.load(Ordering::Relaxed);
        out.family("qinling_sync_executions_in_flight", "gauge", "Sync executions running or waiting in this server.")
            .sample("qinling_sync_executions_in_flight", &[], in_flight as f64);
        let slots = self.wasm.capacity();
        out.family("qinling_wasm_instance_slots", "gauge", "Slots of the Wasm instance pool, in total and free.")
            .sample("qinling_wasm_instance_slots", &[("state", "total")], slots.total as f64)
            .sample("qinling_wasm_instance_slots", &[("state", "available")], slots.available as f64);
        if let Some(containers) = &self.containers {
            out.family(
                "qinling_container_pool_workers",
                "gauge",
                "Workers of each container runtime's pool, in total and idle ready.",
            );
            for runtime in self.store.container_runtimes().await? {
                // A pool that cannot be read now (being provisioned, or its backend unreachable) is left out.
                let Ok(pool) = containers.orchestrator.pool_capacity(runtime.id).await else { continue };
                let id = runtime.id.to_string();
                out.sample(
                    "qinling_container_pool_workers",
                    &[("runtime", &id), ("state", "total")],
                    pool.total as f64,
                )
                .sample(
                    "qinling_container_pool_workers",
                    &[("runtime", &id), ("state", "available")],
                    pool.available as f64,
                );
            }
        }
        Ok(out)
    }

    /// Whether this server can serve: its database and its package store answer.
    pub async fn health(&self) -> Result<(), EngineError> {
        self.store.ping().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qinling_core::StoredPackage;

    fn package(abi: &str) -> CodeSource {
        CodeSource::Package(StoredPackage {
            digest: qinling_core::PackageDigest::of(b"x"),
            size: 1,
            md5sum: String::new(),
            abi: abi.into(),
            origin: qinling_core::PackageOrigin::Upload,
        })
    }

    #[test]
    fn executions_are_counted_by_shape_and_status() {
        let metrics = ExecutionMetrics::default();
        metrics.record(&package("wasi-http"), ExecutionStatus::Success, Duration::from_micros(80));
        metrics.record(&package("wasi-http"), ExecutionStatus::Failed, Duration::from_millis(2));
        metrics.record(&CodeSource::Image { image: "i".into() }, ExecutionStatus::Error, Duration::ZERO);
        metrics.record(&package("something-new"), ExecutionStatus::Success, Duration::from_millis(1));
        let http = SHAPES.iter().position(|s| *s == "wasi-http").unwrap();
        let image = SHAPES.iter().position(|s| *s == "image").unwrap();
        assert_eq!(metrics.finished[http][0].load(Ordering::Relaxed), 1);
        assert_eq!(metrics.finished[http][1].load(Ordering::Relaxed), 1);
        assert_eq!(metrics.finished[image][2].load(Ordering::Relaxed), 1);
        assert_eq!(metrics.durations[http].count(), 2);
        assert_eq!(metrics.durations[image].count(), 0, "a platform error has no run time");
        assert_eq!(metrics.finished[SHAPES.len() - 1][0].load(Ordering::Relaxed), 1, "unknown shapes are other");
    }
}
