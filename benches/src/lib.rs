//! Shared pieces of the benchmarks: where the guests and the binary are, and how figures are summarised.
//!
//! Benchmarks compare subjects side by side in one run and report medians and ratios, because this
//! machine is shared and noisy: absolute figures drift, ratios much less.

pub mod podman;
pub mod server;
pub mod wrk;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use qinling_core::{CodeRef, ExecutionId, ExecutionRequest, FunctionId, Limits};

/// An example package by file name (`word_stats`, `http_hello`, `c-rot13`, `python-hello`...), from the
/// directory `cargo xtask bench` fills.
pub fn guest(name: &str) -> Vec<u8> {
    let path = guest_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Where the example `name` was built to (for tools that read the file themselves).
pub fn guest_path(name: &str) -> PathBuf {
    let dir = std::env::var("QINLING_GUESTS").expect("run the benchmarks with `cargo xtask bench`");
    PathBuf::from(dir).join(format!("{name}.wasm"))
}

/// The release `qinling` binary (set by `cargo xtask bench`).
pub fn qinling_binary() -> PathBuf {
    PathBuf::from(std::env::var("QINLING_BIN").expect("run the benchmarks with `cargo xtask bench`"))
}

/// A sync execution of `code` with `input`, as the engine would ask the Wasm executor for it: a fresh
/// execution id, `memory_size` bytes of linear memory at most, no outbound hosts.
pub fn execution_request(code: &CodeRef, input: &str, timeout: Duration, memory_size: u64) -> ExecutionRequest {
    ExecutionRequest {
        execution_id: ExecutionId::new(),
        function_id: FunctionId::new(),
        function_version: 0,
        code: code.clone(),
        input: input.to_owned(),
        limits: Limits { timeout, memory_size, cpu: 100 },
        allowed_hosts: Arc::from([]),
    }
}

/// The `p`-th percentile (0..=100) of `samples`, which it sorts.
pub fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    assert!(!samples.is_empty(), "no samples");
    samples.sort_unstable();
    let rank = ((p / 100.0) * (samples.len() - 1) as f64).round() as usize;
    samples[rank]
}

/// The median of `values` (rates and the like), which it sorts.
pub fn median(values: &mut [f64]) -> f64 {
    assert!(!values.is_empty(), "no values");
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// A duration in microseconds, for printing.
pub fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// `bytes` with a custom section appended (valid at the end of a component or module): a package with
/// another digest, which must be compiled like a fresh upload.
pub fn with_custom_section(bytes: &[u8], name: &str) -> Vec<u8> {
    let mut payload = leb128(name.len());
    payload.extend_from_slice(name.as_bytes());
    let mut out = bytes.to_vec();
    out.push(0);
    out.extend(leb128(payload.len()));
    out.extend(payload);
    out
}

fn leb128(mut value: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_encodes_seven_bits_at_a_time() {
        assert_eq!(leb128(5), [5]);
        assert_eq!(leb128(300), [0xac, 0x02]);
        let section = with_custom_section(b"", "ab");
        assert_eq!(section, [0, 3, 2, b'a', b'b']);
    }

    #[test]
    fn percentiles_pick_the_ranked_sample() {
        let mut samples: Vec<Duration> = (1..=101).rev().map(Duration::from_micros).collect();
        assert_eq!(percentile(&mut samples, 50.0), Duration::from_micros(51));
        assert_eq!(percentile(&mut samples, 99.0), Duration::from_micros(100));
        assert_eq!(percentile(&mut samples, 0.0), Duration::from_micros(1));
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
    }
}
