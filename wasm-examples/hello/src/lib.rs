//! Example function: Qinling's hello world with the Rust SDK. Input `{"name": "..."}` (optional);
//! output `"Hello, <name>!"`.

use serde::Deserialize;

#[derive(Deserialize)]
struct Input {
    #[serde(default = "world")]
    name: String,
}

fn world() -> String {
    "World".to_owned()
}

#[qinling_sdk::function]
fn hello(input: Input) -> String {
    let context = qinling_sdk::context();
    println!("execution {} greets {}", context.execution_id, input.name);
    format!("Hello, {}!", input.name)
}
