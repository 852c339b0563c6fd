//! Outbound HTTP from functions (`wasi:http/outgoing-handler`), the Spin way: denied unless the function's
//! `allowed_hosts` names the origin. A denial fails the request inside the function and is written to its
//! log; an allowed request is bounded by the execution's remaining time and its response by a size cap.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use qinling_core::AllowedHost;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::log_sink::LogSink;

/// The outbound-HTTP policy of one execution.
pub(crate) struct Outbound {
    allowed: Arc<[AllowedHost]>,
    deadline: Instant,
    response_cap: usize,
    log: LogSink,
}

impl Outbound {
    pub(crate) fn new(allowed: Arc<[AllowedHost]>, deadline: Instant, response_cap: usize, log: LogSink) -> Self {
        Self { allowed, deadline, response_cap, log }
    }

    fn permits(&self, uri: &http::Uri) -> bool {
        let (Some(scheme), Some(host)) = (uri.scheme_str(), uri.host()) else { return false };
        self.allowed.iter().any(|allowed| allowed.permits(scheme, host, uri.port_u16()))
    }

    fn origin(uri: &http::Uri) -> String {
        format!("{}://{}", uri.scheme_str().unwrap_or("http"), uri.authority().map_or("", |a| a.as_str()))
    }

    /// Timeouts no later than the execution's deadline.
    fn bounded(&self, options: Option<RequestOptions>) -> RequestOptions {
        let remaining = self.deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
        let bound = |asked: Option<Duration>| Some(asked.map_or(remaining, |asked| asked.min(remaining)));
        let options = options.unwrap_or_default();
        RequestOptions {
            connect_timeout: bound(options.connect_timeout),
            first_byte_timeout: bound(options.first_byte_timeout),
            between_bytes_timeout: bound(options.between_bytes_timeout),
        }
    }
}

type SendResult = Result<(http::Response<WasiBody>, Box<dyn Future<Output = Result<(), Error>> + Send>), Error>;

impl WasiHttpHooks for Outbound {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _io: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        let origin = Self::origin(request.uri());
        if !self.permits(request.uri()) {
            let allowed = if self.allowed.is_empty() {
                "it allows none".to_owned()
            } else {
                self.allowed.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            };
            self.log.append_line(&format!(
                "[qinling: outbound HTTP request to {origin} denied: not in the function's allowed_hosts ({allowed})]"
            ));
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        let options = self.bounded(options);
        let (cap, log) = (self.response_cap, self.log.clone());
        Box::new(async move {
            let (response, io) = wasmtime_wasi_http::default_send_request(request, Some(options)).await?;
            let response = response.map(|body| capped(body, cap, origin, log));
            Ok((response, Box::new(io) as Box<dyn Future<Output = Result<(), Error>> + Send>))
        })
    }
}

/// A response body that fails once it passes `cap` bytes, saying so in the log.
fn capped(
    body: impl http_body::Body<Data = Bytes, Error = Error> + Send + 'static,
    cap: usize,
    origin: String,
    log: LogSink,
) -> WasiBody {
    Limited::new(body, cap)
        .map_err(move |error| match error.downcast::<Error>() {
            Ok(error) => *error,
            Err(_) => {
                log.append_line(&format!(
                    "[qinling: the response from {origin} passed the {cap}-byte cap and was cut]"
                ));
                Error::HttpResponseBodySize(Some(cap as u64))
            }
        })
        .boxed_unsync()
}
