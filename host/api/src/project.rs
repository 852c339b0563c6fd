//! Who a request acts for, from the [`Caller`] the auth gate left in it: [`Project`] (the caller's
//! project, which scopes every resource), [`Admin`] (refused with 403 unless the caller has the admin
//! role: runtime management, pools, workers and scaling, as in Qinling's policy) and [`Listing`] (whose
//! resources a list shows: the caller's project, or for an admin `all_projects=true` or `project_id=`).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use qinling_auth::Caller;
use qinling_core::{ProjectId, ProjectScope};
use serde::Deserialize;

use crate::ApiError;
use crate::extract::ApiQuery;

pub(crate) struct Project(pub ProjectId);

pub(crate) struct Admin(pub ProjectId);

pub(crate) struct Listing(pub ProjectScope);

fn caller(parts: &Parts) -> Result<Arc<Caller>, ApiError> {
    parts.extensions.get::<Arc<Caller>>().cloned().ok_or_else(|| {
        tracing::error!(path = %parts.uri.path(), "a resource route is outside the auth gate");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error; the server log has details")
    })
}

impl<S: Send + Sync> FromRequestParts<S> for Project {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(caller(parts)?.project.clone()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let caller = caller(parts)?;
        if !caller.is_admin() {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "this action needs the admin role"));
        }
        Ok(Self(caller.project.clone()))
    }
}

#[derive(Deserialize)]
struct ScopeQuery {
    all_projects: Option<String>,
    project_id: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Listing {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = caller(parts)?;
        let ApiQuery(query) = ApiQuery::<ScopeQuery>::from_request_parts(parts, state).await?;
        let all = match query.all_projects.as_deref() {
            None | Some("") => false,
            Some(text) if text.eq_ignore_ascii_case("true") || text == "1" => true,
            Some(text) if text.eq_ignore_ascii_case("false") || text == "0" => false,
            Some(text) => {
                return Err(ApiError::bad_request(format!("all_projects must be true or false, not {text:?}")));
            }
        };
        let scope = match (all, query.project_id.filter(|id| !id.is_empty())) {
            (true, Some(_)) => return Err(ApiError::bad_request("give all_projects or project_id, not both")),
            (true, None) => ProjectScope::All,
            (false, Some(project)) if project != caller.project.as_str() => ProjectScope::One(ProjectId::new(project)),
            (false, _) => return Ok(Self(ProjectScope::One(caller.project.clone()))),
        };
        if !caller.is_admin() {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "listing other projects' resources needs the admin role"));
        }
        Ok(Self(scope))
    }
}
