//! Qinling against its peer, `wasmtime serve` 48.0.8 (the wasmtime the host embeds), in one run with
//! `wrk`: the same greeting logic as a wasi:http component served by the peer (with its default settings,
//! and with the pooling allocator keeping linear memory resident, its fastest here) and by Qinling at the
//! function's HTTP URL (`/v1/functions/{id}/http/`), and as a handler function run through Qinling's full
//! REST path (`POST /v1/executions`). Every Qinling request is an execution recorded in SQLite before the
//! answer (made durable in the execution journal, then applied to the database in the background).
//! Subjects alternate rep by rep at concurrency 1 and 32; the figures are medians of the reps, and the
//! ratios are Qinling's against the peer's best. Beside them, the floor a durable record puts under
//! Qinling's latency at concurrency 1: one 4 KiB block written straight to the disk (`O_DIRECT`,
//! `O_DSYNC`) over an allocated one in the data directory's file system, as the journal writes (group
//! commit shares it between concurrent executions, but one client waits for it each time).

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use qinling_benches::server::Server;
use qinling_benches::wrk::{self, Run, median_run, post_script};
use qinling_benches::{guest, guest_path, micros, percentile};
use serde_json::json;

const REPS: usize = 3;
const CONCURRENCIES: [usize; 2] = [1, 32];
const DURATION_SECS: u64 = 5;
const SYNCS: usize = 200;

/// A server under test: where to send what.
struct Subject {
    name: &'static str,
    url: String,
    script: PathBuf,
}

/// `wasmtime serve` on a free port, killed when dropped.
struct Peer {
    child: Child,
    url: String,
}

impl Peer {
    fn start(component: &Path, options: &[&str]) -> Self {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port();
        let binary = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/tools/bin/wasmtime");
        let child = Command::new(binary)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "-Scli"])
            .args(options)
            .arg(component)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting wasmtime serve (cargo xtask bench installs it into target/tools)");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            assert!(Instant::now() < deadline, "wasmtime serve did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, url: format!("http://127.0.0.1:{port}/") }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::main]
async fn main() {
    let scripts = tempfile::tempdir().unwrap();
    let greeting = json!({"name": "bench"});
    let http_hello = guest_path("http_hello");
    let peer_default = Peer::start(&http_hello, &[]);
    let peer_best =
        Peer::start(&http_hello, &["-O", "pooling-allocator=y", "-O", "pooling-memory-keep-resident=1048576"]);
    let data = tempfile::tempdir().unwrap();
    let qinling = Server::start(data.path(), &[]);
    let api = qinling.api();
    let runtime = api.wasm_runtime().await;
    let function = api.upload(&runtime, guest("hello")).await;
    let execution = json!({"function_id": function, "input": greeting});
    api.execute(&execution).await;
    let http_function = api.upload(&runtime, guest("http_hello")).await;
    let http_url = format!("{}/v1/functions/{http_function}/http/", qinling.url);
    let client = reqwest::Client::new();
    for url in [&peer_default.url, &peer_best.url, &http_url] {
        let answer: serde_json::Value = client.post(url).json(&greeting).send().await.unwrap().json().await.unwrap();
        assert_eq!(answer, json!({"greeting": "Hello, bench!"}), "{url} runs the same logic");
    }
    let peer_script = post_script(scripts.path(), "peer", &greeting);
    let subjects = [
        Subject { name: "wasmtime serve (default)", url: peer_default.url.clone(), script: peer_script.clone() },
        Subject { name: "wasmtime serve (pooling, resident)", url: peer_best.url.clone(), script: peer_script.clone() },
        Subject { name: "qinling /v1/functions/{id}/http/", url: http_url, script: peer_script },
        Subject {
            name: "qinling POST /v1/executions",
            url: format!("{}/v1/executions", qinling.url),
            script: post_script(scripts.path(), "qinling", &execution),
        },
    ];

    // runs[subject][concurrency] over the reps.
    let mut runs: Vec<Vec<Vec<Run>>> =
        subjects.iter().map(|_| CONCURRENCIES.iter().map(|_| vec![]).collect()).collect();
    for _ in 0..REPS {
        for (c, &connections) in CONCURRENCIES.iter().enumerate() {
            for (s, subject) in subjects.iter().enumerate() {
                let duration = Duration::from_secs(DURATION_SECS);
                runs[s][c].push(wrk::run(&subject.url, &subject.script, connections, duration));
            }
        }
    }
    let medians: Vec<Vec<Run>> =
        runs.iter().map(|by_concurrency| by_concurrency.iter().map(|reps| median_run(reps)).collect()).collect();
    println!("peer comparison (wrk, {DURATION_SECS} s per run, medians of {REPS} alternated reps)");
    for (c, connections) in CONCURRENCIES.iter().enumerate() {
        for (s, subject) in subjects.iter().enumerate() {
            let run = medians[s][c];
            println!(
                "  c={connections:<3} {:<36} {:9.0} req/s   p50 {:8.1} µs   p99 {:8.1} µs",
                subject.name,
                run.rate,
                micros(run.p50),
                micros(run.p99)
            );
        }
    }
    println!(
        "  durable write floor here (4 KiB direct synchronous overwrite, median of {SYNCS}): {:.1} µs",
        micros(sync_floor(data.path()))
    );
    let best_peer = |c: usize| if medians[0][c].rate >= medians[1][c].rate { 0 } else { 1 };
    let (one, many) = (0, 1);
    let (http, executions) = (2, 3);
    println!(
        "  qinling HTTP URL / best peer: c=32 throughput {:.2}x (target >= 1.0), c=1 p50 {:.2}x",
        medians[http][many].rate / medians[best_peer(many)][many].rate,
        medians[http][one].p50.as_secs_f64() / medians[best_peer(one)][one].p50.as_secs_f64()
    );
    println!(
        "  qinling executions / best peer: c=32 throughput {:.2}x (target >= 1.0), c=1 p50 {:.2}x (target <= 1.5)",
        medians[executions][many].rate / medians[best_peer(many)][many].rate,
        medians[executions][one].p50.as_secs_f64() / medians[best_peer(one)][one].p50.as_secs_f64()
    );
}

/// The median time of a 4 KiB direct synchronous write to a file in `dir`, over blocks written and
/// flushed before, as the execution journal writes (where the file system refuses direct writes, as the
/// journal then does: through the page cache, then `fdatasync`).
fn sync_floor(dir: &Path) -> Duration {
    use std::os::unix::fs::{FileExt, OpenOptionsExt};
    const BLOCK: usize = 4096;
    let path = dir.join("sync-floor");
    let file = std::fs::File::create(&path).unwrap();
    file.write_all_at(&vec![1u8; BLOCK * SYNCS], 0).unwrap();
    file.sync_all().unwrap();
    let direct = std::fs::OpenOptions::new().write(true).custom_flags(libc::O_DIRECT | libc::O_DSYNC).open(&path).ok();
    // Direct writes take a block-aligned buffer.
    let buffer = vec![0u8; 2 * BLOCK];
    let start = buffer.as_ptr().align_offset(BLOCK);
    let block = &buffer[start..start + BLOCK];
    let mut samples: Vec<Duration> = (0..SYNCS)
        .map(|i| {
            let offset = (i * BLOCK) as u64;
            let started = Instant::now();
            match &direct {
                Some(direct) => direct.write_all_at(block, offset).unwrap(),
                None => {
                    file.write_all_at(block, offset).unwrap();
                    file.sync_data().unwrap();
                }
            }
            started.elapsed()
        })
        .collect();
    percentile(&mut samples, 50.0)
}
