//! Test function that misbehaves on request, so tests can prove that a function's failure stays its own.
//!
//! Input `{"do": "<what>", ...}`: `echo` returns `value`; `error` returns `err(message)`; `panic` panics;
//! `loop` spins forever without host calls; `sleep` sleeps `ms` milliseconds; `alloc` grows memory by `mb`
//! MiB; `recurse` recurses without bound; `log` writes `bytes` bytes to stdout; `output` returns a string of
//! `bytes` bytes; `env` returns the environment it sees; `invalid-json` returns text that is not JSON;
//! `read-file` reads `path`; `socket` opens a TCP connection to `address`. The last two fail with the
//! error the host gives, since a function has no files and no sockets.

use serde::Deserialize;
use serde_json::{Value, json};

wit_bindgen::generate!({ path: "../../sdk/wit", world: "handler", generate_all });

#[derive(Deserialize)]
struct Input {
    #[serde(rename = "do")]
    action: String,
    #[serde(default)]
    value: Value,
    #[serde(default)]
    message: String,
    #[serde(default)]
    ms: u64,
    #[serde(default)]
    mb: usize,
    #[serde(default)]
    bytes: usize,
    #[serde(default)]
    path: String,
    #[serde(default)]
    address: String,
}

struct Misbehave;

impl Guest for Misbehave {
    fn handle(input: String) -> Result<String, String> {
        let input: Input = serde_json::from_str(&input).map_err(|e| format!("bad input: {e}"))?;
        match input.action.as_str() {
            "echo" => Ok(input.value.to_string()),
            "error" => Err(input.message),
            "panic" => panic!("asked to panic: {}", input.message),
            "loop" => spin(),
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_millis(input.ms));
                Ok(json!({"slept_ms": input.ms}).to_string())
            }
            "alloc" => {
                let mut blocks = Vec::new();
                for _ in 0..input.mb {
                    blocks.push(vec![1u8; 1 << 20]);
                }
                Ok(json!({"allocated_mb": blocks.len()}).to_string())
            }
            "recurse" => Ok(json!({"depth": recurse(0)}).to_string()),
            "log" => {
                let line = "x".repeat(99);
                for _ in 0..input.bytes / 100 {
                    println!("{line}");
                }
                Ok(json!({"logged": input.bytes}).to_string())
            }
            "output" => Ok(Value::String("y".repeat(input.bytes)).to_string()),
            "env" => Ok(json!(std::env::vars().collect::<Vec<_>>()).to_string()),
            "invalid-json" => Ok("this is not json".to_string()),
            "read-file" => std::fs::read_to_string(&input.path)
                .map(|text| Value::String(text).to_string())
                .map_err(|e| format!("cannot read {}: {e}", input.path)),
            "socket" => std::net::TcpStream::connect(&input.address)
                .map(|_| json!({"connected": input.address}).to_string())
                .map_err(|e| format!("cannot connect to {}: {e}", input.address)),
            other => Err(format!("unknown action {other:?}")),
        }
    }
}

fn spin() -> ! {
    let mut x: u64 = 0;
    loop {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
}

#[allow(unconditional_recursion, reason = "unbounded recursion is the point: it must overflow the stack")]
fn recurse(depth: u64) -> u64 {
    let frame = std::hint::black_box([depth; 64]);
    1 + recurse(frame[depth as usize % 64] + 1)
}

export!(Misbehave);
