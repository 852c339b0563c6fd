//! Per-function resource limits and the operator's bounds on them (Qinling's `[resource_limits]`).

use std::time::Duration;

/// The limits one function runs under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time one execution may take.
    pub timeout: Duration,
    /// Memory one execution may use, in bytes (for Wasm: linear memories and tables together).
    pub memory_size: u64,
    /// CPU share in millicpu (container runtimes; the Wasm host runs one execution per thread).
    pub cpu: u32,
}

/// What a client may ask for; `None` takes the operator's default.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestedLimits {
    pub timeout_secs: Option<i64>,
    pub memory_size: Option<i64>,
    pub cpu: Option<i64>,
}

/// The operator's bounds and defaults. Qinling's defaults: timeout 5 s (1..=300), memory 32 MiB, cpu 100m.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperatorLimits {
    pub default_timeout_secs: u64,
    pub max_timeout_secs: u64,
    pub default_memory_size: u64,
    pub min_memory_size: u64,
    pub max_memory_size: u64,
    pub default_cpu: u32,
    pub min_cpu: u32,
    pub max_cpu: u32,
}

const MIB: u64 = 1024 * 1024;

impl Default for OperatorLimits {
    fn default() -> Self {
        Self {
            default_timeout_secs: 5,
            max_timeout_secs: 300,
            default_memory_size: 32 * MIB,
            min_memory_size: 32 * MIB,
            max_memory_size: 512 * MIB,
            default_cpu: 100,
            min_cpu: 100,
            max_cpu: 1000,
        }
    }
}

/// A requested limit outside the operator's bounds.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} must be between {min} and {max}{unit}, got {got}")]
pub struct LimitsError {
    pub field: &'static str,
    pub min: u64,
    pub max: u64,
    pub unit: &'static str,
    pub got: i64,
}

impl OperatorLimits {
    /// Applies defaults and checks bounds, field by field, starting from `base` for fields not requested.
    pub fn resolve(&self, base: Option<Limits>, requested: RequestedLimits) -> Result<Limits, LimitsError> {
        let base = base.unwrap_or(Limits {
            timeout: Duration::from_secs(self.default_timeout_secs),
            memory_size: self.default_memory_size,
            cpu: self.default_cpu,
        });
        let timeout = match requested.timeout_secs {
            None => base.timeout,
            Some(secs) => Duration::from_secs(check("timeout", secs, 1, self.max_timeout_secs, " seconds")?),
        };
        let memory_size = match requested.memory_size {
            None => base.memory_size,
            Some(bytes) => check("memory_size", bytes, self.min_memory_size, self.max_memory_size, " bytes")?,
        };
        let cpu = match requested.cpu {
            None => base.cpu,
            Some(cpu) => check("cpu", cpu, self.min_cpu.into(), self.max_cpu.into(), " millicpu")? as u32,
        };
        Ok(Limits { timeout, memory_size, cpu })
    }
}

fn check(field: &'static str, got: i64, min: u64, max: u64, unit: &'static str) -> Result<u64, LimitsError> {
    match u64::try_from(got) {
        Ok(value) if (min..=max).contains(&value) => Ok(value),
        _ => Err(LimitsError { field, min, max, unit, got }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_what_was_not_asked() {
        let limits = OperatorLimits::default().resolve(None, RequestedLimits::default()).unwrap();
        assert_eq!(limits.timeout, Duration::from_secs(5));
        assert_eq!(limits.memory_size, 32 * MIB);
        assert_eq!(limits.cpu, 100);
    }

    #[test]
    fn out_of_bounds_values_name_the_field_and_the_bounds() {
        let err = OperatorLimits::default()
            .resolve(None, RequestedLimits { timeout_secs: Some(301), ..Default::default() })
            .unwrap_err();
        assert_eq!(err.to_string(), "timeout must be between 1 and 300 seconds, got 301");
        let err = OperatorLimits::default()
            .resolve(None, RequestedLimits { memory_size: Some(-1), ..Default::default() })
            .unwrap_err();
        assert_eq!(err.field, "memory_size");
    }

    #[test]
    fn an_update_keeps_the_fields_it_does_not_touch() {
        let ops = OperatorLimits::default();
        let first = ops.resolve(None, RequestedLimits { timeout_secs: Some(30), ..Default::default() }).unwrap();
        let second = ops.resolve(Some(first), RequestedLimits { cpu: Some(200), ..Default::default() }).unwrap();
        assert_eq!(second.timeout, Duration::from_secs(30));
        assert_eq!(second.cpu, 200);
    }
}
