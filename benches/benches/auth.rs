//! What authentication costs a request once its token is in the cache: two release servers, one with
//! authentication off and one validating Keystone tokens (a real Keystone from qinling-test-services,
//! cache period 300 s, warmed before measuring), alternated rep by rep. A cheap request (showing a
//! function) shows the gate's cost most plainly; sync executions show it against real work.

use std::time::{Duration, Instant};

use qinling_benches::server::{Api, Server, load};
use qinling_benches::{guest, median, micros, percentile};
use qinling_test_services::{KEYSTONE_ADMIN_PASSWORD, Keystone};
use serde_json::{Value, json};

const REPS: usize = 3;
const SHOWS: usize = 2000;
const EXECUTIONS: usize = 500;
const CONCURRENCY: usize = 32;
const LOAD_TIME: Duration = Duration::from_secs(3);

struct Subject {
    name: &'static str,
    api: Api,
    show: String,
    body: Value,
}

async fn prepare(name: &'static str, admin: Api, user: Api) -> Subject {
    let runtime = admin.wasm_runtime().await;
    let function = user.upload(&runtime, guest("word_stats")).await;
    let body = json!({"function_id": function, "input": {"text": "the quick brown fox jumps over the lazy dog"}});
    let show = format!("/v1/functions/{function}");
    for _ in 0..100 {
        user.execute(&body).await;
        user.get(&show).await;
    }
    Subject { name, api: user, show, body }
}

async fn sequential_p50(count: usize, mut request: impl AsyncFnMut()) -> Duration {
    let mut latencies = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        request().await;
        latencies.push(started.elapsed());
    }
    percentile(&mut latencies, 50.0)
}

#[tokio::main]
async fn main() {
    let keystone = Keystone::start().await;
    let project = keystone.create_project("bench").await;
    keystone.create_user("bench", "bench-pw", &project, "member").await;
    let settings = keystone.server_settings(300).await;
    let (open_dir, guarded_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let open = Server::start(open_dir.path(), &[]);
    let args: Vec<&str> = settings.args.iter().map(String::as_str).collect();
    let env: Vec<(&str, &str)> = settings.env.iter().map(|(key, value)| (key.as_str(), value.as_str())).collect();
    let guarded = Server::start_with_env(guarded_dir.path(), &args, &env);
    let admin = keystone.token("admin", KEYSTONE_ADMIN_PASSWORD, "admin").await;
    let user = keystone.token("bench", "bench-pw", "bench").await;
    let subjects = [
        prepare("auth off", open.api(), open.api()).await,
        prepare("keystone", guarded.api_as(&admin), guarded.api_as(&user)).await,
    ];

    let (mut shows, mut executions, mut rates) = ([vec![], vec![]], [vec![], vec![]], [vec![], vec![]]);
    for _ in 0..REPS {
        for (i, subject) in subjects.iter().enumerate() {
            shows[i].push(sequential_p50(SHOWS, async || drop(subject.api.get(&subject.show).await)).await);
            executions[i].push(sequential_p50(EXECUTIONS, async || subject.api.execute(&subject.body).await).await);
            let done = load(&subject.api, &subject.body, CONCURRENCY, LOAD_TIME).await.len();
            rates[i].push(done as f64 / LOAD_TIME.as_secs_f64());
        }
    }
    let p50 = |runs: &mut Vec<Duration>| percentile(runs, 50.0);
    let [mut open_shows, mut guarded_shows] = shows;
    let [mut open_executions, mut guarded_executions] = executions;
    let [mut open_rates, mut guarded_rates] = rates;
    let (open_show, guarded_show) = (p50(&mut open_shows), p50(&mut guarded_shows));
    let (open_execution, guarded_execution) = (p50(&mut open_executions), p50(&mut guarded_executions));
    let (open_rate, guarded_rate) = (median(&mut open_rates), median(&mut guarded_rates));
    println!("authentication with a warm token cache ({}; medians of {REPS} alternated reps)", subjects[1].name);
    let latency = |what: &str, open: Duration, guarded: Duration| {
        println!(
            "  {what:<14} c=1  p50  {} {:7.1} µs   keystone {:7.1} µs   +{:.1} µs ({:.2}x)",
            subjects[0].name,
            micros(open),
            micros(guarded),
            micros(guarded.saturating_sub(open)),
            guarded.as_secs_f64() / open.as_secs_f64()
        );
    };
    latency("GET function", open_show, guarded_show);
    latency("sync execution", open_execution, guarded_execution);
    println!(
        "  sync execution c={CONCURRENCY} /s   {} {open_rate:7.0}      keystone {guarded_rate:7.0}      {:.2}x",
        subjects[0].name,
        guarded_rate / open_rate
    );
}
