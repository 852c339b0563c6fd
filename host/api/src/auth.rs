//! The gate in front of every resource: with authentication off, every request acts as Qinling's
//! `default` project with admin rights; with it on, the `X-Auth-Token` header must hold a token Keystone
//! vouches for (401 otherwise). Either way the [`Caller`] is left in the request for the extractors of
//! `project.rs`. Version discovery, health, metrics, package downloads (token-signed) and webhook
//! invocations do not pass through here.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use qinling_auth::{AuthError, Authenticator, Caller};

use crate::ApiError;

const TOKEN_HEADER: &str = "x-auth-token";

/// Who may come in.
pub enum Gate {
    /// Authentication is off: everyone is this caller.
    Open(Arc<Caller>),
    /// Keystone tokens are required.
    Keystone(Box<Authenticator>),
}

impl Gate {
    pub fn open() -> Self {
        Self::Open(Arc::new(Caller::unauthenticated()))
    }
}

pub(crate) async fn authenticate(
    State(gate): State<Arc<Gate>>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let caller = match gate.as_ref() {
        Gate::Open(everyone) => everyone.clone(),
        Gate::Keystone(keystone) => {
            let Some(token) = request.headers().get(TOKEN_HEADER) else {
                return Err(unauthenticated("this request needs a Keystone token in the X-Auth-Token header"));
            };
            let token = token.to_str().map_err(|_| unauthenticated("the X-Auth-Token header is not text"))?;
            keystone.authenticate(token).await.map_err(|error| match error {
                AuthError::Unauthenticated(why) => unauthenticated(&why),
                AuthError::Unavailable(why) => {
                    tracing::warn!(error = %why, "cannot authenticate a request");
                    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, format!("cannot check the token now: {why}"))
                }
            })?
        }
    };
    request.extensions_mut().insert(caller);
    Ok(next.run(request).await)
}

fn unauthenticated(why: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, format!("authentication required: {why}"))
}
