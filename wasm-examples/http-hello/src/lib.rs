//! Example HTTP-shaped function: a `wasi:http/proxy` component that answers `{"greeting": "Hello, <name>!"}`.
//! The name comes from a JSON body (`{"name": "..."}`; for a Qinling execution the body is the input), or,
//! for a request without a body, from the query (`?name=...`); "World" when neither gives one. A body that
//! is not JSON, or a `name` that is not a string, gets a 400 answer (which fails an execution). The answer
//! carries the request's `x-request-id` back, as services that propagate request ids do.

use wasip2::exports::http::incoming_handler::Guest;
use wasip2::http::types::{Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam};

struct HttpHello;

impl Guest for HttpHello {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let request_id = request.headers().get("x-request-id");
        let body = read_body(&request);
        let (status, answer) = if body.is_empty() {
            let name = request.path_with_query().and_then(|path| query_name(&path));
            (200, greeting(name.as_deref().unwrap_or("World")))
        } else {
            match serde_json::from_slice::<serde_json::Value>(&body) {
                Ok(input) => match input.get("name") {
                    None => (200, greeting("World")),
                    Some(serde_json::Value::String(name)) => (200, greeting(name)),
                    Some(other) => (400, format!("name must be a string, not {other}")),
                },
                Err(e) => (400, format!("the body is not JSON: {e}")),
            }
        };
        let mut headers = vec![("content-type".to_owned(), b"application/json".to_vec())];
        headers.extend(request_id.into_iter().map(|id| ("x-request-id".to_owned(), id)));
        let response = OutgoingResponse::new(Fields::from_list(&headers).expect("valid headers"));
        response.set_status_code(status).expect("a valid status");
        let outgoing = response.body().expect("the body is taken once");
        ResponseOutparam::set(response_out, Ok(response));
        let stream = outgoing.write().expect("the stream is taken once");
        stream.blocking_write_and_flush(answer.as_bytes()).expect("writing the body");
        drop(stream);
        OutgoingBody::finish(outgoing, None).expect("finishing the body");
    }
}

fn greeting(name: &str) -> String {
    serde_json::json!({"greeting": format!("Hello, {name}!")}).to_string()
}

/// The `name` parameter of a path's query, with `+` and `%XX` decoded.
fn query_name(path: &str) -> Option<String> {
    let (_, query) = path.split_once('?')?;
    let value = query.split('&').find_map(|pair| pair.strip_prefix("name="))?;
    Some(percent_decoded(&value.replace('+', " ")))
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = (bytes[at] == b'%')
            .then(|| text.get(at + 1..at + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                at += 3;
            }
            None => {
                decoded.push(bytes[at]);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

fn read_body(request: &IncomingRequest) -> Vec<u8> {
    let Ok(body) = request.consume() else { return Vec::new() };
    let Ok(stream) = body.stream() else { return Vec::new() };
    let mut bytes = Vec::new();
    while let Ok(chunk) = stream.blocking_read(64 * 1024) {
        bytes.extend_from_slice(&chunk);
    }
    bytes
}

wasip2::http::proxy::export!(HttpHello);
