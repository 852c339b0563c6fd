//! Qinling's REST API, v1: the resources and JSON shapes of OpenStack Qinling, so that its clients work
//! unmodified, served with axum.
//!
//! One module per resource, each with its request and response types (the only serde types for HTTP in
//! the code base), and one [`ApiError`] that turns every failure into `{"faultstring": ...}`.

mod aliases;
mod auth;
mod error;
mod executions;
mod extract;
mod form;
mod functions;
mod health;
mod http_functions;
mod jobs;
mod json;
mod lenient;
mod metrics;
mod packages;
mod page;
mod project;
mod root;
mod runtimes;
mod target;
mod time;
mod versions;
mod webhooks;

pub use auth::Gate;
pub use error::ApiError;
pub use metrics::HttpMetrics;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use qinling_engine::Engine;

/// Largest body of any request but a package upload.
const MAX_BODY: usize = 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    /// Request latencies, for `/metrics`.
    pub http: Arc<HttpMetrics>,
    /// Who may use the resources.
    pub gate: Arc<Gate>,
}

impl AppState {
    pub fn new(engine: Engine, gate: Gate) -> Self {
        Self { engine, http: Arc::default(), gate: Arc::new(gate) }
    }
}

/// The whole API: `/`, `/v1` and every resource under it behind the auth gate; beside them `/health`,
/// `/metrics`, package downloads for workers (signed links) and webhook invocations (they act as the
/// webhook's owner), which need no token.
pub fn router(state: AppState) -> Router {
    // Uploads may carry a package of up to the operator's limit, plus the other form fields.
    let upload_limit = state.engine.settings().max_package_size + MAX_BODY;
    let resources = Router::new()
        .merge(runtimes::routes())
        .merge(functions::routes().layer(DefaultBodyLimit::max(upload_limit)))
        .merge(versions::routes())
        .merge(aliases::routes())
        .merge(executions::routes())
        .merge(jobs::routes())
        .merge(webhooks::routes())
        .merge(http_functions::routes())
        .route_layer(axum::middleware::from_fn_with_state(state.gate.clone(), auth::authenticate));
    Router::new()
        .merge(root::routes())
        .merge(health::routes())
        .merge(metrics::routes())
        .merge(packages::routes())
        .merge(webhooks::invoke_routes())
        .merge(resources)
        .fallback(error::no_route)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(state.http.clone(), metrics::track))
        .with_state(state)
}
