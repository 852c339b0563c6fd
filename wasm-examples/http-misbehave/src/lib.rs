//! Test HTTP-shaped function: shows what reached it and misbehaves on request, by path (see README.md):
//! `/echo...`, `/status/<code>`, `/big/<bytes>`, `/panic`, `/loop`, `/silent`.

use wasip2::exports::http::incoming_handler::Guest;
use wasip2::http::types::{Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam};

struct HttpMisbehave;

impl Guest for HttpMisbehave {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let path = request.path_with_query().unwrap_or_default();
        let route = path.split('?').next().unwrap_or_default().to_owned();
        if route.starts_with("/echo") {
            let headers: Vec<(String, String)> = request
                .headers()
                .entries()
                .into_iter()
                .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
                .collect();
            let method = method_name(&request.method());
            let body = read_body(&request);
            let echo = serde_json::json!({
                "method": method,
                "path": path,
                "headers": headers,
                "body": String::from_utf8_lossy(&body),
            });
            answer(response_out, 200, &[("x-echo", "yes")], echo.to_string().as_bytes());
        } else if let Some(code) = route.strip_prefix("/status/") {
            let code: u16 = code.parse().unwrap_or(400);
            answer(response_out, code, &[], format!("status {code}").as_bytes());
        } else if let Some(bytes) = route.strip_prefix("/big/") {
            answer(response_out, 200, &[], &vec![b'x'; bytes.parse().unwrap_or(0)]);
        } else if route == "/panic" {
            panic!("asked to panic");
        } else if route == "/loop" {
            spin();
        } else if route == "/silent" {
            drop(response_out);
        } else {
            answer(response_out, 404, &[], format!("no route {route}").as_bytes());
        }
    }
}

fn answer(response_out: ResponseOutparam, status: u16, headers: &[(&str, &str)], body: &[u8]) {
    let fields: Vec<(String, Vec<u8>)> =
        headers.iter().map(|(name, value)| (name.to_string(), value.as_bytes().to_vec())).collect();
    let response = OutgoingResponse::new(Fields::from_list(&fields).expect("valid headers"));
    response.set_status_code(status).expect("a valid status");
    let outgoing = response.body().expect("the body is taken once");
    ResponseOutparam::set(response_out, Ok(response));
    let stream = outgoing.write().expect("the stream is taken once");
    for chunk in body.chunks(4096) {
        stream.blocking_write_and_flush(chunk).expect("writing the body");
    }
    drop(stream);
    OutgoingBody::finish(outgoing, None).expect("finishing the body");
}

fn method_name(method: &Method) -> String {
    match method {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(other) => other.clone(),
    }
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

/// Spins without host calls, so only the epoch deadline can stop it.
fn spin() -> ! {
    let mut counter = 0u64;
    loop {
        counter = std::hint::black_box(counter.wrapping_add(1));
    }
}

wasip2::http::proxy::export!(HttpMisbehave);
