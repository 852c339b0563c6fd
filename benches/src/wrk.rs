//! Load with `wrk` (Debian's; `cargo xtask bench` installs it): one run against a URL with a Lua
//! script that shapes the requests, read back as throughput and latency percentiles. A run in which the
//! server answered any error or dropped a connection fails the benchmark.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// What one wrk run measured.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub rate: f64,
    pub p50: Duration,
    pub p99: Duration,
}

/// A script posting `body` as JSON on every request.
pub fn post_script(dir: &Path, name: &str, body: &serde_json::Value) -> PathBuf {
    round_robin_script(dir, name, std::slice::from_ref(body))
}

/// A script posting each of `bodies` as JSON in turn.
pub fn round_robin_script(dir: &Path, name: &str, bodies: &[serde_json::Value]) -> PathBuf {
    let path = dir.join(format!("{name}.lua"));
    let listed: Vec<String> = bodies.iter().map(|body| format!("  [[{body}]],")).collect();
    let script = format!(
        "local bodies = {{\n{}\n}}\nlocal next = 0\nlocal headers = {{[\"Content-Type\"] = \"application/json\"}}\n\
         request = function()\n  next = next % #bodies + 1\n  return wrk.format(\"POST\", nil, headers, bodies[next])\nend\n",
        listed.join("\n")
    );
    std::fs::write(&path, script).unwrap();
    path
}

/// Runs wrk with `connections` connections for `duration` against `url`.
pub fn run(url: &str, script: &Path, connections: usize, duration: Duration) -> Run {
    let output = Command::new("wrk")
        .args(["-t", &connections.min(2).to_string(), "-c", &connections.to_string()])
        .args(["-d", &format!("{}s", duration.as_secs()), "--timeout", "10s", "--latency", "-s"])
        .arg(script)
        .arg(url)
        .output()
        .expect("running wrk (cargo xtask bench installs it)");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "wrk failed: {text}{}", String::from_utf8_lossy(&output.stderr));
    assert!(!text.contains("Non-2xx") && !text.contains("Socket errors"), "{url} answered errors under load:\n{text}");
    let field = |label: &str| -> &str {
        text.lines()
            .find_map(|line| line.trim().strip_prefix(label))
            .unwrap_or_else(|| panic!("no {label:?} in wrk's output:\n{text}"))
            .trim()
    };
    Run {
        rate: field("Requests/sec:").parse().expect("a rate"),
        p50: duration_of(field("50%")),
        p99: duration_of(field("99%")),
    }
}

/// wrk's durations: `123.45us`, `1.20ms`, `2.00s`.
fn duration_of(text: &str) -> Duration {
    let split = text.find(|c: char| c.is_ascii_alphabetic()).expect("a unit");
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().expect("a number");
    let seconds = match unit {
        "us" => value / 1e6,
        "ms" => value / 1e3,
        "s" => value,
        other => panic!("unknown unit {other}"),
    };
    Duration::from_secs_f64(seconds)
}

/// The median run of several: each figure is the median of its own.
pub fn median_run(runs: &[Run]) -> Run {
    let mut rates: Vec<f64> = runs.iter().map(|run| run.rate).collect();
    let mut p50s: Vec<f64> = runs.iter().map(|run| run.p50.as_secs_f64()).collect();
    let mut p99s: Vec<f64> = runs.iter().map(|run| run.p99.as_secs_f64()).collect();
    Run {
        rate: crate::median(&mut rates),
        p50: Duration::from_secs_f64(crate::median(&mut p50s)),
        p99: Duration::from_secs_f64(crate::median(&mut p99s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_durations_read_in_every_unit() {
        assert_eq!(duration_of("123.00us"), Duration::from_micros(123));
        assert_eq!(duration_of("1.50ms"), Duration::from_micros(1500));
        assert_eq!(duration_of("2.00s"), Duration::from_secs(2));
    }

    #[test]
    fn scripts_post_each_body_in_turn() {
        let dir = tempfile::tempdir().unwrap();
        let bodies = [serde_json::json!({"a": 1}), serde_json::json!({"b": 2})];
        let script = std::fs::read_to_string(round_robin_script(dir.path(), "s", &bodies)).unwrap();
        assert!(script.contains(r#"[[{"a":1}]],"#) && script.contains(r#"[[{"b":2}]],"#), "{script}");
        assert!(script.contains("wrk.format(\"POST\""));
    }
}
