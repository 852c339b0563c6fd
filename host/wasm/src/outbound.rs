//! Outbound HTTP from functions (`wasi:http/outgoing-handler`): denied, since no function has been
//! granted a host. The denial fails the request inside the function and is written to its log.

use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::log_sink::LogSink;

/// The outbound-HTTP policy of one execution.
pub(crate) struct Outbound {
    log: LogSink,
}

impl Outbound {
    pub(crate) fn deny_all(log: LogSink) -> Self {
        Self { log }
    }
}

type SendResult = Result<(http::Response<WasiBody>, Box<dyn Future<Output = Result<(), Error>> + Send>), Error>;

impl WasiHttpHooks for Outbound {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _io: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        let uri = request.uri();
        let origin = format!("{}://{}", uri.scheme_str().unwrap_or("http"), uri.authority().map_or("", |a| a.as_str()));
        self.log.append_line(&format!(
            "[qinling: outbound HTTP request to {origin} denied: this function may not reach any host]"
        ));
        Box::new(async { Err(Error::HttpRequestDenied) })
    }
}
