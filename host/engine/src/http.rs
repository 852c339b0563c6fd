//! HTTP-shaped functions reached over HTTP: a request goes to a `wasi-http` function as it came (method,
//! path and query, headers, body) and the function's response goes back as it answered. Each request is
//! an execution like any other: admitted, run in its function's slot, and recorded durably before the
//! response leaves.

use bytes::Bytes;
use chrono::Utc;
use qinling_core::{
    CodeSource, ExecuteError, Execution, ExecutionId, ExecutionRequest, ExecutionResult, ExecutionStatus, Executor,
    HttpOutcome, ProjectId, Target,
};

use crate::containers::Place;
use crate::executions::{Admission, platform_failure};
use crate::resolve::Runnable;
use crate::{Engine, EngineError};

/// The `abi` of the functions this path serves.
const HTTP_ABI: &str = "wasi-http";

/// A request served: its execution as recorded, and the function's response when it answered.
#[derive(Debug)]
pub struct HttpServed {
    pub execution: Execution,
    /// `None` when the execution failed (its result says why).
    pub response: Option<http::Response<Bytes>>,
}

impl Engine {
    /// Serves `call` with the HTTP-shaped function `target` names. The function sees the request's path
    /// and query as `call`'s URI gives them (the caller strips its own route prefix first).
    pub async fn serve_http(
        &self,
        project: &ProjectId,
        target: &Target,
        call: http::Request<Bytes>,
    ) -> Result<HttpServed, EngineError> {
        let runnable = self.resolve(project, target).await?;
        check_http_shaped(&runnable)?;
        let Place::Wasm(executor, code) = self.place(project, &runnable).await? else {
            return Err(EngineError::Invalid(format!(
                "function {} does not run on a Wasm runtime; only wasi:http functions take HTTP requests",
                runnable.function_id
            )));
        };
        let execution = http_execution(project, &runnable, &call);
        let request = ExecutionRequest {
            execution_id: execution.id,
            function_id: runnable.function_id,
            function_version: runnable.version,
            code,
            input: execution.input.clone(),
            limits: runnable.limits,
            allowed_hosts: runnable.allowed_hosts.clone(),
        };
        let outcome = self
            .admitted(&runnable, Admission::Refuse, || self.execute_http_prepared(executor, &request, &call))
            .await?;
        let (status, result, log, response) = match outcome {
            Ok(HttpOutcome { response: Ok(response), duration, log }) => {
                let output = serde_json::json!({"status": response.status().as_u16()}).to_string();
                (ExecutionStatus::Success, ExecutionResult { output, duration }, log, Some(response))
            }
            Ok(HttpOutcome { response: Err(message), duration, log }) => {
                (ExecutionStatus::Failed, ExecutionResult { output: message, duration }, log, None)
            }
            Err(e) => (ExecutionStatus::Error, platform_failure(&execution, &e), String::new(), None),
        };
        let execution = self.finish(&runnable, execution, status, result);
        let execution = self.store.record_execution(execution, log).await?;
        Ok(HttpServed { execution, response })
    }

    /// Serves the call, preparing the package first if the executor no longer holds it.
    async fn execute_http_prepared(
        &self,
        executor: &dyn Executor,
        request: &ExecutionRequest,
        call: &http::Request<Bytes>,
    ) -> Result<HttpOutcome, ExecuteError> {
        match executor.execute_http(request.clone(), copy(call)).await {
            Err(ExecuteError::NotPrepared(code)) => {
                self.prepare_again(executor, &code).await?;
                executor.execute_http(request.clone(), copy(call)).await
            }
            other => other,
        }
    }
}

/// Refuses functions of any other shape, naming the shape they have.
fn check_http_shaped(runnable: &Runnable) -> Result<(), EngineError> {
    let abi = match &runnable.code {
        CodeSource::Package(package) => package.abi.as_str(),
        CodeSource::Image { .. } => "container image",
    };
    if abi == HTTP_ABI {
        return Ok(());
    }
    Err(EngineError::Invalid(format!(
        "function {} is a {abi} function; only wasi:http functions take HTTP requests (run it with POST \
         /v1/executions)",
        runnable.function_id
    )))
}

/// The execution recorded for one request: sync, with the method and the path (with its query) as input.
fn http_execution(project: &ProjectId, runnable: &Runnable, call: &http::Request<Bytes>) -> Execution {
    let path = call.uri().path_and_query().map_or("/", |path| path.as_str());
    let now = Utc::now();
    Execution {
        id: ExecutionId::new(),
        project_id: project.clone(),
        function_id: runnable.function_id,
        function_version: runnable.version,
        function_alias: runnable.alias.clone(),
        description: String::new(),
        input: serde_json::json!({"method": call.method().as_str(), "path": path}).to_string(),
        status: ExecutionStatus::Running,
        sync: true,
        result: None,
        created_at: now,
        updated_at: now,
    }
}

/// Another request with the same method, URI, version, headers and body (an attempt consumes its
/// request; the body is shared, not copied).
fn copy(call: &http::Request<Bytes>) -> http::Request<Bytes> {
    let mut copy = http::Request::new(call.body().clone());
    *copy.method_mut() = call.method().clone();
    *copy.uri_mut() = call.uri().clone();
    *copy.version_mut() = call.version();
    *copy.headers_mut() = call.headers().clone();
    copy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_keeps_everything_the_function_sees() {
        let call = http::Request::builder()
            .method("PUT")
            .uri("http://example.org/a/b?c=d")
            .header("x-one", "1")
            .body(Bytes::from_static(b"body"))
            .unwrap();
        let copy = copy(&call);
        assert_eq!(copy.method(), "PUT");
        assert_eq!(copy.uri(), "http://example.org/a/b?c=d");
        assert_eq!(copy.headers()["x-one"], "1");
        assert_eq!(copy.body(), &Bytes::from_static(b"body"));
    }
}
