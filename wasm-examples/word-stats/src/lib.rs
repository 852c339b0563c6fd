//! Example function: word statistics over a text, with the Rust SDK.
//!
//! Input: `{"text": "...", "top": 3}` (`top` is optional, default 3). Output:
//! `{"words": N, "unique": N, "top": [["word", count], ...]}`. Words are compared case-insensitively
//! and split on anything that is not alphanumeric. A missing `text` fails the execution.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Input {
    text: String,
    #[serde(default = "default_top")]
    top: usize,
}

fn default_top() -> usize {
    3
}

#[derive(Serialize)]
struct Output {
    words: usize,
    unique: usize,
    top: Vec<(String, usize)>,
}

#[qinling_sdk::function]
fn word_stats(input: Input) -> Output {
    let execution = qinling_sdk::context().execution_id;
    println!("execution {execution}: counting words in {} bytes", input.text.len());
    let output = count(&input.text, input.top);
    eprintln!("found {} words, {} unique", output.words, output.unique);
    output
}

fn count(text: &str, top: usize) -> Output {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut words = 0;
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        words += 1;
        *counts.entry(word.to_lowercase()).or_default() += 1;
    }
    let unique = counts.len();
    let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
    // Most frequent first; ties alphabetically, so the output is deterministic.
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(top);
    Output { words, unique, top: ranked }
}
