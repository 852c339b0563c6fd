//! The project a request acts for. Authentication is off, so every request acts for Qinling's
//! `default` project; this extractor is where a validated token will name the project instead.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use qinling_core::ProjectId;

pub(crate) struct Project(pub ProjectId);

impl<S: Send + Sync> FromRequestParts<S> for Project {
    type Rejection = Infallible;

    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(ProjectId::default()))
    }
}
