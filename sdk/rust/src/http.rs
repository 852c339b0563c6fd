//! A small blocking HTTP client over `wasi:http/outgoing-handler`, for functions that call APIs.
//!
//! The platform lets a function reach only the origins its `allowed_hosts` setting names; a request to
//! anything else fails with [`Error`] saying so. Requests are bounded by the execution's remaining time.
//!
//! ```no_run
//! # fn example() -> Result<(), qinling_sdk::http::Error> {
//! let events: Vec<serde_json::Value> = qinling_sdk::http::get("https://api.github.com/events")?.json()?;
//! let created = qinling_sdk::http::Request::post("https://api.example.com/orders")
//!     .header("authorization", "Bearer token")
//!     .json(&serde_json::json!({"item": 42}))?
//!     .send()?;
//! assert!(created.status() < 300);
//! # Ok(())
//! # }
//! ```

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::__private::wasi::http::outgoing_handler;
use crate::__private::wasi::http::types::{ErrorCode, Fields, Method, OutgoingBody, OutgoingRequest, Scheme};

/// Why a request failed.
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// An HTTP request, built then [`Request::send`]-ed.
pub struct Request {
    method: Method,
    url: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

/// A complete response.
#[derive(Debug)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// `GET url`.
pub fn get(url: &str) -> Result<Response, Error> {
    Request::get(url).send()
}

/// `POST url` with a JSON body.
pub fn post_json<T: Serialize>(url: &str, body: &T) -> Result<Response, Error> {
    Request::post(url).json(body)?.send()
}

impl Request {
    fn new(method: Method, url: &str) -> Self {
        Self { method, url: url.to_owned(), headers: Vec::new(), body: Vec::new() }
    }

    pub fn get(url: &str) -> Self {
        Self::new(Method::Get, url)
    }

    pub fn post(url: &str) -> Self {
        Self::new(Method::Post, url)
    }

    pub fn put(url: &str) -> Self {
        Self::new(Method::Put, url)
    }

    pub fn delete(url: &str) -> Self {
        Self::new(Method::Delete, url)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.as_bytes().to_vec()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// A JSON body, with its content type.
    pub fn json<T: Serialize>(self, body: &T) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(|e| Error(format!("the body cannot be serialized: {e}")))?;
        Ok(self.header("content-type", "application/json").body(bytes))
    }

    /// Sends the request and reads the whole response.
    pub fn send(self) -> Result<Response, Error> {
        let url = Url::parse(&self.url)?;
        let headers = Fields::from_list(&self.headers).map_err(|e| Error(format!("invalid header: {e:?}")))?;
        let request = OutgoingRequest::new(headers);
        let invalid = |what: &str| Error(format!("invalid {what} in {}", self.url));
        request.set_method(&self.method).map_err(|()| invalid("method"))?;
        request.set_scheme(Some(&url.scheme)).map_err(|()| invalid("scheme"))?;
        request.set_authority(Some(url.authority)).map_err(|()| invalid("host"))?;
        request.set_path_with_query(Some(url.path_and_query)).map_err(|()| invalid("path"))?;
        let body = request.body().map_err(|()| Error("the request body is unavailable".into()))?;
        let pending = outgoing_handler::handle(request, None).map_err(|code| failed(&self.url, code))?;
        write_body(body, &self.body)?;
        pending.subscribe().block();
        let response = match pending.get() {
            Some(Ok(Ok(response))) => response,
            Some(Ok(Err(code))) => return Err(failed(&self.url, code)),
            Some(Err(())) | None => return Err(Error(format!("no response from {}", self.url))),
        };
        let status = response.status();
        let headers = response
            .headers()
            .entries()
            .into_iter()
            .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
            .collect();
        let incoming = response.consume().map_err(|()| Error("the response body is unavailable".into()))?;
        let stream = incoming.stream().map_err(|()| Error("the response body is unavailable".into()))?;
        let mut body = Vec::new();
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => body.extend_from_slice(&chunk),
                Err(crate::__private::wasi::io::streams::StreamError::Closed) => break,
                Err(crate::__private::wasi::io::streams::StreamError::LastOperationFailed(error)) => {
                    // The host's description of the failure; its first line is the part meant for people.
                    let detail = error.to_debug_string();
                    let detail = detail.lines().next().unwrap_or_default();
                    let hint =
                        if detail.contains("size exceeds limit") { " (larger than the platform allows)" } else { "" };
                    return Err(Error(format!("reading the response from {} failed{hint}: {detail}", self.url)));
                }
            }
        }
        Ok(Response { status, headers, body })
    }
}

fn write_body(body: OutgoingBody, bytes: &[u8]) -> Result<(), Error> {
    let stream = body.write().map_err(|()| Error("the request body is unavailable".into()))?;
    for chunk in bytes.chunks(4096) {
        stream.blocking_write_and_flush(chunk).map_err(|e| Error(format!("sending the request body failed: {e:?}")))?;
    }
    drop(stream);
    OutgoingBody::finish(body, None).map_err(|code| Error(format!("finishing the request body failed: {code:?}")))
}

/// A request that failed, in words: a denial names the setting that allows hosts.
fn failed(url: &str, code: ErrorCode) -> Error {
    match code {
        ErrorCode::HttpRequestDenied => {
            Error(format!("the request to {url} was denied: its origin is not in the function's allowed_hosts setting"))
        }
        ErrorCode::HttpResponseBodySize(limit) => {
            Error(format!("the response from {url} is larger than the platform allows ({limit:?} bytes)"))
        }
        ErrorCode::ConnectionTimeout | ErrorCode::HttpResponseTimeout | ErrorCode::ConnectionReadTimeout => {
            Error(format!("the request to {url} timed out (the function's time is running out)"))
        }
        other => Error(format!("the request to {url} failed: {other:?}")),
    }
}

impl Response {
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn bytes(&self) -> &[u8] {
        &self.body
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error(format!("the response is not the JSON expected: {e}")))
    }
}

/// The parts of an http(s) URL a request needs.
struct Url<'a> {
    scheme: Scheme,
    authority: &'a str,
    path_and_query: &'a str,
}

impl<'a> Url<'a> {
    fn parse(url: &'a str) -> Result<Self, Error> {
        let bad = || Error(format!("{url:?} is not an http:// or https:// URL"));
        let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return Err(bad()),
        };
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path_and_query) = rest.split_at(split);
        if authority.is_empty() {
            return Err(bad());
        }
        Ok(Self { scheme, authority, path_and_query: if path_and_query.is_empty() { "/" } else { path_and_query } })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_scheme_authority_and_path() {
        let url = Url::parse("https://api.example.com:8443/v1/items?limit=2").unwrap();
        assert!(matches!(url.scheme, Scheme::Https));
        assert_eq!((url.authority, url.path_and_query), ("api.example.com:8443", "/v1/items?limit=2"));
        let bare = Url::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!((bare.authority, bare.path_and_query), ("127.0.0.1:8080", "/"));
        assert!(Url::parse("ftp://x").is_err() && Url::parse("https://").is_err() && Url::parse("x").is_err());
    }
}
