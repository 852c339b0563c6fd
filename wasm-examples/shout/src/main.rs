//! Example command-shaped function: an ordinary Rust program (`fn main`, built for wasm32-wasip2 into a
//! `wasi:cli/run` component). The input arrives on stdin; what it prints is the output. Input
//! `{"text": "...", "exit": N}` prints the text upper-cased; a non-zero `exit` ends the program with that
//! code after printing a complaint on stderr, which fails the execution.

use std::io::Read;

fn main() {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).expect("reading stdin");
    let input: serde_json::Value = serde_json::from_str(&input).unwrap_or_default();
    let code = input.get("exit").and_then(serde_json::Value::as_i64).unwrap_or(0);
    if code != 0 {
        eprintln!("asked to exit with {code}");
        std::process::exit(code as i32);
    }
    let text = input.get("text").and_then(serde_json::Value::as_str).unwrap_or_default();
    eprintln!("shouting {} characters", text.chars().count());
    println!("{}", serde_json::json!({"shout": text.to_uppercase()}));
}
