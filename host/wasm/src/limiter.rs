//! The memory cap of one execution. Like wasmtime's `StoreLimits`, but it remembers that it refused a
//! growth, so that the trap which usually follows can be reported as "memory limit exceeded".

use wasmtime::ResourceLimiter;

/// Most table elements a function may have; tables hold function references, not data.
const MAX_TABLE_ELEMENTS: usize = 100_000;

pub(crate) struct MemoryCap {
    limit: usize,
    pub(crate) refused: Option<usize>,
}

impl MemoryCap {
    pub(crate) fn new(limit: u64) -> Self {
        Self { limit: usize::try_from(limit).unwrap_or(usize::MAX), refused: None }
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.refused = Some(desired);
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_past_the_limit_is_refused_and_remembered() {
        let mut cap = MemoryCap::new(1 << 20);
        assert!(cap.memory_growing(0, 1 << 19, None).unwrap());
        assert_eq!(cap.refused, None);
        assert!(!cap.memory_growing(1 << 19, 2 << 20, None).unwrap());
        assert_eq!(cap.refused, Some(2 << 20));
    }
}
