//! How cost grows, through the full REST path (`POST /v1/executions` against the release server, each
//! execution recorded before the answer), measured with `wrk`: executions/s and latency against the
//! number of concurrent clients (one function), and against the number of distinct functions invoked
//! round-robin (32 clients); and the server's memory with 1,000 distinct small functions uploaded and
//! each executed once. Writes `benches/results/scaling.csv` and draws `concurrency.png` and
//! `functions.png` beside it with gnuplot.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use qinling_benches::server::Server;
use qinling_benches::wrk::{self, Run, median_run, round_robin_script};
use qinling_benches::{guest, micros, with_custom_section};
use serde_json::{Value, json};

const REPS: usize = 3;
const RUN_TIME: Duration = Duration::from_secs(5);
const CONCURRENCIES: [usize; 5] = [1, 8, 32, 128, 512];
const FUNCTION_COUNTS: [usize; 3] = [1, 100, 1000];
const FUNCTIONS_CONCURRENCY: usize = 32;

/// Measures `bodies` round-robin at `connections`, the median of [`REPS`] runs.
fn measure(url: &str, scripts: &Path, bodies: &[Value], connections: usize) -> Run {
    let script = round_robin_script(scripts, &format!("f{}", bodies.len()), bodies);
    let runs: Vec<Run> = (0..REPS).map(|_| wrk::run(url, &script, connections, RUN_TIME)).collect();
    median_run(&runs)
}

fn plot(scripts: &Path, results: &Path, csv: &Path, curve: &str, x_label: &str) {
    let png = results.join(format!("{curve}.png"));
    let script = format!(
        "set terminal pngcairo size 900,500 font ',11'\nset output '{png}'\nset datafile separator ','\n\
         set title 'Qinling sync executions through POST /v1/executions: {x_label}'\n\
         set xlabel '{x_label}'\nset logscale x\nset ylabel 'executions/s'\nset y2label 'latency (ms)'\n\
         set ytics nomirror\nset y2tics\nset yrange [0:*]\nset y2range [0:*]\nset key top left\nset grid\n\
         plot '{csv}' using (strcol(1) eq '{curve}' ? $2 : 1/0):3 with linespoints lw 2 title 'executions/s', \
         '' using (strcol(1) eq '{curve}' ? $2 : 1/0):($5/1000) axes x1y2 with linespoints lw 2 title 'p99 (ms)', \
         '' using (strcol(1) eq '{curve}' ? $2 : 1/0):($4/1000) axes x1y2 with linespoints lw 2 title 'p50 (ms)'\n",
        png = png.display(),
        csv = csv.display(),
    );
    let file = scripts.join(format!("{curve}.gp"));
    std::fs::write(&file, script).unwrap();
    let status = Command::new("gnuplot").arg(&file).status().expect("running gnuplot");
    assert!(status.success(), "gnuplot failed drawing {curve}");
}

#[tokio::main]
async fn main() {
    let data = tempfile::tempdir().unwrap();
    let scripts = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);
    let api = server.api();
    let runtime = api.wasm_runtime().await;
    let url = format!("{}/v1/executions", server.url);
    let hello = guest("hello");
    let rss_before = server.rss_kib();

    // 1,000 distinct functions (each package differs, so each is compiled and kept on its own), each
    // executed once.
    let max = *FUNCTION_COUNTS.iter().max().unwrap();
    let mut bodies = Vec::with_capacity(max);
    for i in 0..max {
        let function = api.upload(&runtime, with_custom_section(&hello, &format!("f{i}"))).await;
        let body = json!({"function_id": function, "input": {"name": "curve"}});
        api.execute(&body).await;
        bodies.push(body);
    }
    let rss_after = server.rss_kib();
    let per_function = (rss_after.saturating_sub(rss_before)) as f64 / max as f64;
    println!(
        "memory: {max} distinct functions uploaded and executed once: RSS {:.1} MiB (from {:.1} MiB), {per_function:.1} KiB \
         per function (target <= 300 MiB)",
        rss_after as f64 / 1024.0,
        rss_before as f64 / 1024.0,
    );

    let mut rows = vec!["curve,x,executions_per_s,p50_us,p99_us".to_owned()];
    println!("executions/s against concurrency (one function; median of {REPS} runs of {} s)", RUN_TIME.as_secs());
    for connections in CONCURRENCIES {
        let run = measure(&url, scripts.path(), &bodies[..1], connections);
        println!(
            "  c={connections:<4} {:8.0}/s   p50 {:9.1} µs   p99 {:9.1} µs",
            run.rate,
            micros(run.p50),
            micros(run.p99)
        );
        rows.push(format!("concurrency,{connections},{:.0},{:.1},{:.1}", run.rate, micros(run.p50), micros(run.p99)));
    }
    println!("executions/s against distinct functions round-robin (c={FUNCTIONS_CONCURRENCY})");
    for count in FUNCTION_COUNTS {
        let run = measure(&url, scripts.path(), &bodies[..count], FUNCTIONS_CONCURRENCY);
        println!("  n={count:<4} {:8.0}/s   p50 {:9.1} µs   p99 {:9.1} µs", run.rate, micros(run.p50), micros(run.p99));
        rows.push(format!("functions,{count},{:.0},{:.1},{:.1}", run.rate, micros(run.p50), micros(run.p99)));
    }

    let results = Path::new(env!("CARGO_MANIFEST_DIR")).join("results");
    std::fs::create_dir_all(&results).unwrap();
    let csv = results.join("scaling.csv");
    std::fs::write(&csv, rows.join("\n") + "\n").unwrap();
    plot(scripts.path(), &results, &csv, "concurrency", "concurrent clients");
    plot(scripts.path(), &results, &csv, "functions", "distinct functions, round-robin");
    println!("wrote {} and the plots beside it", csv.display());
}
