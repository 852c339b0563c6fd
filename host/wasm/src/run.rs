//! Calling each shape once in a prepared store: what the function returned, or the trap that ended it.
//! A returned `Err(message)` is the function failing on its own terms (a guest `err`, a non-zero exit,
//! an HTTP error status); a trap is returned as the outer `Err`.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use wasmtime::{InstancePre, Store};
use wasmtime_wasi::I32Exit;
use wasmtime_wasi::p2::bindings::CommandPre;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, Scheme};

use crate::bindings::HandlerPre;
use crate::state::{ExecutionState, P1State};

/// What a function produced before it ended normally.
pub(crate) type Returned = Result<String, String>;

/// `handle(input)`: the output is what the function returned.
pub(crate) async fn handler(
    pre: &HandlerPre<ExecutionState>,
    store: &mut Store<ExecutionState>,
    input: &str,
) -> wasmtime::Result<Returned> {
    let handler = pre.instantiate_async(&mut *store).await?;
    handler.call_handle(&mut *store, input).await
}

/// An HTTP request with the input as its body: the output is the response body; a status that is not
/// 2xx fails the execution. The body is read while the function writes it (it may stream), up to `cap`.
pub(crate) async fn http(
    pre: &ProxyPre<ExecutionState>,
    store: &mut Store<ExecutionState>,
    input: &str,
    cap: usize,
) -> wasmtime::Result<Returned> {
    let request = hyper::Request::builder()
        .method(hyper::Method::POST)
        .uri("http://localhost/")
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Bytes::from(input.to_owned()))?;
    Ok(exchange(pre, store, request, cap).await?.and_then(|response| {
        let (parts, body) = response.into_parts();
        if parts.status.is_success() {
            Ok(json_or_text(&body))
        } else {
            Err(format!("the function answered HTTP {}: {}", parts.status, String::from_utf8_lossy(&body)))
        }
    }))
}

/// Serves one request with the component: its response as it answered, or why it did not answer. The
/// body is read while the function writes it (it may stream), up to `cap`.
pub(crate) async fn exchange(
    pre: &ProxyPre<ExecutionState>,
    store: &mut Store<ExecutionState>,
    request: hyper::Request<Bytes>,
    cap: usize,
) -> wasmtime::Result<Result<hyper::Response<Bytes>, String>> {
    let request = request.map(|body| Full::new(body).map_err(|never: Infallible| -> ErrorCode { match never {} }));
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let request = store.data_mut().http().new_incoming_request(Scheme::Http, request)?;
    let response_out = store.data_mut().http().new_response_outparam(sender)?;
    let proxy = pre.instantiate_async(&mut *store).await?;
    let call = proxy.wasi_http_incoming_handler().call_handle(&mut *store, request, response_out);
    let read = async {
        let response = match receiver.await {
            Ok(Ok(response)) => response,
            Ok(Err(code)) => return Err(format!("the function answered with an error: {code:?}")),
            Err(_) => return Err("the function did not send a response".to_owned()),
        };
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, cap)
            .collect()
            .await
            .map_err(|e| format!("cannot read the response body: {e}"))?
            .to_bytes();
        Ok(hyper::Response::from_parts(parts, body))
    };
    // A trap ends the call while the response may never come (the store still holds its sender), and a
    // response that cannot be read (too large) leaves the function failing to write it: whichever ends
    // first decides. A response read whole still waits for the call, which may trap afterwards.
    tokio::pin!(call, read);
    tokio::select! {
        called = &mut call => {
            called?;
            Ok(read.await)
        }
        answered = &mut read => match answered {
            Ok(response) => call.await.map(|()| Ok(response)),
            Err(unreadable) => Ok(Err(unreadable)),
        }
    }
}

/// `wasi:cli/run`: the output is what the program wrote to stdout, read by the caller.
pub(crate) async fn command(
    pre: &CommandPre<ExecutionState>,
    store: &mut Store<ExecutionState>,
) -> wasmtime::Result<Result<(), String>> {
    let command = pre.instantiate_async(&mut *store).await?;
    match command.wasi_cli_run().call_run(&mut *store).await {
        Ok(Ok(())) => Ok(Ok(())),
        Ok(Err(())) => Ok(Err("the program exited with an error".to_owned())),
        Err(error) => exit_status(error),
    }
}

/// A preview 1 `_start`: as [`command`].
pub(crate) async fn command_p1(
    pre: &InstancePre<P1State>,
    store: &mut Store<P1State>,
) -> wasmtime::Result<Result<(), String>> {
    let instance = pre.instantiate_async(&mut *store).await?;
    let start = instance.get_typed_func::<(), ()>(&mut *store, "_start")?;
    match start.call_async(&mut *store, ()).await {
        Ok(()) => Ok(Ok(())),
        Err(error) => exit_status(error),
    }
}

/// `exit(0)` ends a program successfully; another code fails it; anything else is a trap.
fn exit_status(error: wasmtime::Error) -> wasmtime::Result<Result<(), String>> {
    match error.downcast_ref::<I32Exit>() {
        Some(I32Exit(0)) => Ok(Ok(())),
        Some(I32Exit(code)) => Ok(Err(format!("the program exited with code {code}"))),
        None => Err(error),
    }
}

/// Text a program or HTTP function produced, as the JSON output: itself if it is JSON, else a JSON
/// string of it (without the trailing newline programs print).
pub(crate) fn json_or_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok() {
        return text.trim().to_owned();
    }
    serde_json::Value::String(text.strip_suffix('\n').unwrap_or(&text).to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_output_is_json_when_it_can_be() {
        assert_eq!(json_or_text(b"{\"a\": 1}\n"), "{\"a\": 1}");
        assert_eq!(json_or_text(b"42"), "42");
        assert_eq!(json_or_text(b"hello world\n"), "\"hello world\"");
        assert_eq!(json_or_text(b""), "\"\"");
    }
}
