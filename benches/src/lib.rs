//! Shared pieces of the benchmarks: where the guests and the binary are, and how figures are summarised.
//!
//! Benchmarks compare subjects side by side in one run and report medians and ratios, because this
//! machine is shared and noisy: absolute figures drift, ratios much less.

use std::path::PathBuf;
use std::time::Duration;

/// The directory of the built example components (set by `cargo xtask bench`).
pub fn guest(name: &str) -> Vec<u8> {
    let dir = std::env::var("QINLING_GUESTS").expect("run the benchmarks with `cargo xtask bench`");
    let path = PathBuf::from(dir).join(format!("{}.wasm", name.replace('-', "_")));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The release `qinling` binary (set by `cargo xtask bench`).
pub fn qinling_binary() -> PathBuf {
    PathBuf::from(std::env::var("QINLING_BIN").expect("run the benchmarks with `cargo xtask bench`"))
}

/// The `p`-th percentile (0..=100) of `samples`, which it sorts.
pub fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    assert!(!samples.is_empty(), "no samples");
    samples.sort_unstable();
    let rank = ((p / 100.0) * (samples.len() - 1) as f64).round() as usize;
    samples[rank]
}

/// A duration in microseconds, for printing.
pub fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_ranked_sample() {
        let mut samples: Vec<Duration> = (1..=101).rev().map(Duration::from_micros).collect();
        assert_eq!(percentile(&mut samples, 50.0), Duration::from_micros(51));
        assert_eq!(percentile(&mut samples, 99.0), Duration::from_micros(100));
        assert_eq!(percentile(&mut samples, 0.0), Duration::from_micros(1));
    }
}
