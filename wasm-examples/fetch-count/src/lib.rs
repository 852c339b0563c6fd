//! Example function: Qinling's quickstart in Rust. Fetches a JSON list (GitHub's public events by
//! default) with the SDK's HTTP client and returns how many items it holds. The function's
//! `allowed_hosts` must name the origin of `url`.

use serde::Deserialize;

#[derive(Deserialize)]
struct Input {
    #[serde(default = "github_events")]
    url: String,
}

fn github_events() -> String {
    "https://api.github.com/events".to_owned()
}

#[qinling_sdk::function]
fn fetch_count(input: Input) -> Result<usize, qinling_sdk::http::Error> {
    let response = qinling_sdk::http::get(&input.url)?;
    println!("GET {} -> {}", input.url, response.status());
    let items: Vec<serde_json::Value> = response.json()?;
    Ok(items.len())
}
