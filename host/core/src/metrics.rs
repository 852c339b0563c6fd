//! Prometheus metrics primitives: a lock-free latency histogram and a writer for the text exposition
//! format (version 0.0.4), so that every layer can publish its own figures on `/metrics` without a
//! registry or a metrics crate on the execution path.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the latency buckets: from 50 µs (a warm Wasm execution) to 60 s.
pub const LATENCY_BUCKETS: [f64; 16] =
    [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 60.0];

/// A histogram of durations over [`LATENCY_BUCKETS`], updated with relaxed atomics.
#[derive(Debug, Default)]
pub struct Histogram {
    /// Observations per bucket (not cumulative); the last slot counts those above every bound.
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, duration: Duration) {
        let seconds = duration.as_secs_f64();
        let slot = LATENCY_BUCKETS.iter().position(|bound| seconds <= *bound).unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[slot].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|bucket| bucket.load(Ordering::Relaxed)).sum()
    }
}

/// Text in the Prometheus exposition format, family by family.
#[derive(Debug, Default)]
pub struct Exposition {
    text: String,
}

impl Exposition {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a metric family: its `# HELP` and `# TYPE` lines (`counter`, `gauge` or `histogram`).
    pub fn family(&mut self, name: &str, kind: &str, help: &str) -> &mut Self {
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
        self
    }

    /// One sample of a counter or gauge.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) -> &mut Self {
        self.text.push_str(name);
        write_labels(&mut self.text, labels, None);
        let _ = writeln!(self.text, " {value}");
        self
    }

    /// The cumulative buckets, sum and count of one histogram.
    pub fn histogram(&mut self, name: &str, labels: &[(&str, &str)], histogram: &Histogram) -> &mut Self {
        let mut cumulative = 0;
        for (i, bucket) in histogram.buckets.iter().enumerate() {
            cumulative += bucket.load(Ordering::Relaxed);
            let bound = LATENCY_BUCKETS.get(i).map_or_else(|| "+Inf".to_owned(), f64::to_string);
            let _ = write!(self.text, "{name}_bucket");
            write_labels(&mut self.text, labels, Some(&bound));
            let _ = writeln!(self.text, " {cumulative}");
        }
        let sum = histogram.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = write!(self.text, "{name}_sum");
        write_labels(&mut self.text, labels, None);
        let _ = writeln!(self.text, " {sum}");
        let _ = write!(self.text, "{name}_count");
        write_labels(&mut self.text, labels, None);
        let _ = writeln!(self.text, " {cumulative}");
        self
    }

    /// Appends another exposition (another layer's families).
    pub fn extend(&mut self, other: Exposition) -> &mut Self {
        self.text.push_str(&other.text);
        self
    }

    pub fn into_text(self) -> String {
        self.text
    }
}

fn write_labels(text: &mut String, labels: &[(&str, &str)], le: Option<&str>) {
    if labels.is_empty() && le.is_none() {
        return;
    }
    text.push('{');
    let all = labels.iter().copied().chain(le.map(|bound| ("le", bound)));
    for (i, (name, value)) in all.enumerate() {
        if i > 0 {
            text.push(',');
        }
        let _ = write!(text, "{name}=\"");
        for c in value.chars() {
            match c {
                '\\' => text.push_str("\\\\"),
                '"' => text.push_str("\\\""),
                '\n' => text.push_str("\\n"),
                c => text.push(c),
            }
        }
        text.push('"');
    }
    text.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_with_sum_and_count() {
        let histogram = Histogram::default();
        histogram.observe(Duration::from_micros(40));
        histogram.observe(Duration::from_millis(3));
        histogram.observe(Duration::from_secs(100));
        let mut out = Exposition::new();
        out.family("t_seconds", "histogram", "test").histogram("t_seconds", &[("shape", "handler")], &histogram);
        let text = out.into_text();
        assert!(text.contains("# TYPE t_seconds histogram\n"), "{text}");
        assert!(text.contains("t_seconds_bucket{shape=\"handler\",le=\"0.00005\"} 1\n"), "{text}");
        assert!(text.contains("t_seconds_bucket{shape=\"handler\",le=\"0.0025\"} 1\n"), "{text}");
        assert!(text.contains("t_seconds_bucket{shape=\"handler\",le=\"0.005\"} 2\n"), "{text}");
        assert!(text.contains("t_seconds_bucket{shape=\"handler\",le=\"60\"} 2\n"), "{text}");
        assert!(text.contains("t_seconds_bucket{shape=\"handler\",le=\"+Inf\"} 3\n"), "{text}");
        assert!(text.contains("t_seconds_count{shape=\"handler\"} 3\n"), "{text}");
        assert!(text.contains("t_seconds_sum{shape=\"handler\"} 100.00304\n"), "{text}");
        assert_eq!(histogram.count(), 3);
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = Exposition::new();
        out.sample("m", &[("route", "a\"b\\c\nd")], 1.0).sample("plain", &[], 2.5);
        assert_eq!(out.into_text(), "m{route=\"a\\\"b\\\\c\\nd\"} 1\nplain 2.5\n");
    }
}
