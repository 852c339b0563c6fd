//! Write [Qinling](https://github.com/) functions in Rust.
//!
//! A function is an ordinary Rust function over serde types, marked `#[qinling_sdk::function]`. Built for
//! `wasm32-wasip2` as a `cdylib`, the crate becomes a WebAssembly component of the
//! `qinling:function/handler` world, ready to upload to a Wasm runtime:
//!
//! ```
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize)]
//! struct Order {
//!     items: Vec<f64>,
//!     #[serde(default)]
//!     discount: f64,
//! }
//!
//! #[derive(Serialize)]
//! struct Receipt {
//!     total: f64,
//! }
//!
//! #[qinling_sdk::function]
//! fn checkout(order: Order) -> Result<Receipt, qinling_sdk::Error> {
//!     if order.items.is_empty() {
//!         return Err(qinling_sdk::Error::msg("an order needs items"));
//!     }
//!     println!("{} items", order.items.len()); // stdout and stderr become the execution log
//!     Ok(Receipt { total: order.items.iter().sum::<f64>() - order.discount })
//! }
//!
//! // The same function, called the way the platform calls it (handy in unit tests):
//! assert_eq!(qinling_sdk::invoke(checkout, r#"{"items": [2.5, 7.5], "discount": 1}"#), Ok(r#"{"total":9.0}"#.to_owned()));
//! assert_eq!(qinling_sdk::invoke(checkout, r#"{"items": []}"#), Err("an order needs items".to_owned()));
//! ```
//!
//! - The input is the execution's input (JSON) deserialized into the argument's type; input that does not
//!   fit fails the execution with serde's message.
//! - The output is the return value serialized to JSON. Returning `Err(e)` (any `Display`) fails the
//!   execution with `e`'s message; a panic fails it too, with the panic message in the log.
//! - [`context()`] tells the execution id, function id, version and deadline.
//! - A function may not touch files or the network: it has no directories and no sockets.

mod context;
mod error;
pub mod http;

pub use context::{Context, context};
pub use error::Error;
pub use qinling_sdk_macros::function;

/// Calls `function` the way the platform does: `input` is JSON text; the result is the output as JSON
/// text, or the message the execution would fail with.
pub fn invoke<I, R>(function: impl FnOnce(I) -> R, input: &str) -> Result<String, String>
where
    I: serde::de::DeserializeOwned,
    R: __private::Outcome,
{
    __private::call(input, function)
}

/// What `#[function]` expands to; not a stable API.
#[doc(hidden)]
pub mod __private {
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    wit_bindgen::generate!({
        path: "../wit",
        world: "handler",
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "qinling_sdk::__private",
        generate_all,
    });

    /// A function's return value as the platform sees it.
    pub trait Outcome {
        fn into_output(self) -> Result<String, String>;
    }

    /// The value of an infallible function.
    pub struct Value<T>(pub T);

    impl<T: Serialize> Outcome for Value<T> {
        fn into_output(self) -> Result<String, String> {
            serde_json::to_string(&self.0).map_err(|e| format!("the output cannot be serialized as JSON: {e}"))
        }
    }

    impl<T: Serialize, E: std::fmt::Display> Outcome for Result<T, E> {
        fn into_output(self) -> Result<String, String> {
            match self {
                Ok(value) => Value(value).into_output(),
                Err(error) => Err(error.to_string()),
            }
        }
    }

    pub fn call<I: DeserializeOwned, R: Outcome>(input: &str, function: impl FnOnce(I) -> R) -> Result<String, String> {
        let input: I = serde_json::from_str(input).map_err(|e| format!("invalid input: {e}"))?;
        function(input).into_output()
    }

    /// The export of a function returning a plain value.
    pub fn run<I: DeserializeOwned, O: Serialize>(
        input: &str,
        function: impl FnOnce(I) -> O,
    ) -> Result<String, String> {
        call(input, |input| Value(function(input)))
    }

    /// The export of a function returning a `Result`.
    pub fn run_fallible<I: DeserializeOwned, R: Outcome>(
        input: &str,
        function: impl FnOnce(I) -> R,
    ) -> Result<String, String> {
        call(input, function)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize)]
    struct Greeting {
        name: String,
    }

    fn hello(greeting: Greeting) -> String {
        format!("Hello, {}!", greeting.name)
    }

    #[test]
    fn a_plain_value_is_the_output() {
        assert_eq!(__private::run(r#"{"name": "Qinling"}"#, hello), Ok(r#""Hello, Qinling!""#.to_owned()));
    }

    #[test]
    fn input_that_does_not_fit_is_refused_with_serde_s_message() {
        let err = __private::run(r#"{"nom": "x"}"#, hello).unwrap_err();
        assert!(err.starts_with("invalid input: missing field `name`"), "{err}");
    }

    #[test]
    fn an_err_fails_with_its_message() {
        let failing = |_: serde_json::Value| -> Result<u32, Error> { Err(Error::msg("out of stock")) };
        assert_eq!(invoke(failing, "{}"), Err("out of stock".to_owned()));
    }
}
