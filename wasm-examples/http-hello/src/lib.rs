//! Example HTTP-shaped function: a `wasi:http/proxy` component. It reads the request body (for a Qinling
//! execution, the input JSON), and answers `{"greeting": "Hello, <name>!"}`; a body that is not JSON, or
//! a `name` that is not a string, gets a 400 answer, which fails the execution.

use wasip2::exports::http::incoming_handler::Guest;
use wasip2::http::types::{Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam};

struct HttpHello;

impl Guest for HttpHello {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let body = read_body(&request);
        let (status, answer) = match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(input) => match input.get("name") {
                None => (200, greeting("World")),
                Some(serde_json::Value::String(name)) => (200, greeting(name)),
                Some(other) => (400, format!("name must be a string, not {other}")),
            },
            Err(e) => (400, format!("the body is not JSON: {e}")),
        };
        let headers =
            Fields::from_list(&[("content-type".to_owned(), b"application/json".to_vec())]).expect("a valid header");
        let response = OutgoingResponse::new(headers);
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
