//! Example function: word statistics over a text.
//!
//! Input: `{"text": "...", "top": 3}` (`top` is optional, default 3). Output:
//! `{"words": N, "unique": N, "top": [["word", count], ...]}`. Words are compared case-insensitively
//! and split on anything that is not alphanumeric. A missing `text` fails the execution.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

wit_bindgen::generate!({ path: "../../sdk/wit", world: "handler" });

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

struct WordStats;

impl Guest for WordStats {
    fn handle(input: String) -> Result<String, String> {
        let input: Input = serde_json::from_str(&input).map_err(|e| format!("bad input: {e}"))?;
        let execution = std::env::var("QINLING_EXECUTION_ID").unwrap_or_default();
        println!("execution {execution}: counting words in {} bytes", input.text.len());
        let output = word_stats(&input.text, input.top);
        eprintln!("found {} words, {} unique", output.words, output.unique);
        serde_json::to_string(&output).map_err(|e| e.to_string())
    }
}

fn word_stats(text: &str, top: usize) -> Output {
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

export!(WordStats);
