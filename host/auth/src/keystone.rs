//! Keystone's identity API v3, as a service uses it: the service logs in with its own credentials
//! (`POST /v3/auth/tokens`, password method, scoped to its project) and then validates callers' tokens
//! (`GET /v3/auth/tokens` with `X-Subject-Token`), logging in again when its own token expires or is
//! refused.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use qinling_core::ProjectId;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::RwLock;

use crate::{AuthError, Caller};

/// How long a request to Keystone may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The service logs in again this long before its token expires.
const RENEW_BEFORE: Duration = Duration::from_secs(60);

/// Where Keystone is, how the service logs in, and how long validated tokens are believed.
#[derive(Clone, Debug)]
pub struct KeystoneSettings {
    /// Keystone's public URL, with or without the `/v3` suffix (`http://keystone:5000/v3`).
    pub url: String,
    pub service: ServiceCredentials,
    pub cache_for: Duration,
}

/// The service's own Keystone user (it needs the `service` or `admin` role to validate tokens).
#[derive(Clone)]
pub struct ServiceCredentials {
    pub username: String,
    pub password: String,
    pub user_domain: String,
    pub project: String,
    pub project_domain: String,
}

impl std::fmt::Debug for ServiceCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceCredentials")
            .field("username", &self.username)
            .field("user_domain", &self.user_domain)
            .field("project", &self.project)
            .field("project_domain", &self.project_domain)
            .finish_non_exhaustive()
    }
}

/// A token Keystone vouched for: who it stands for, and for how much longer.
pub(crate) struct Validated {
    pub(crate) caller: Caller,
    pub(crate) expires_in: Duration,
}

pub(crate) struct Keystone {
    /// `.../v3/auth/tokens`.
    tokens_url: String,
    service: ServiceCredentials,
    http: reqwest::Client,
    service_token: RwLock<Option<ServiceToken>>,
}

#[derive(Clone)]
struct ServiceToken {
    token: String,
    renew_at: Instant,
}

#[derive(Deserialize)]
struct TokenBody {
    token: TokenDetails,
}

#[derive(Deserialize)]
struct TokenDetails {
    expires_at: String,
    project: Option<Named>,
    #[serde(default)]
    roles: Vec<Named>,
}

#[derive(Deserialize)]
struct Named {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
}

impl Keystone {
    pub(crate) fn new(settings: KeystoneSettings) -> Result<Self, AuthError> {
        let base = settings.url.trim_end_matches('/');
        let base = base.strip_suffix("/v3").unwrap_or(base);
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(AuthError::Unavailable(format!("the Keystone URL {:?} is not http(s)", settings.url)));
        }
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| AuthError::Unavailable(format!("cannot build an HTTP client: {e}")))?;
        Ok(Self {
            tokens_url: format!("{base}/v3/auth/tokens"),
            service: settings.service,
            http,
            service_token: RwLock::new(None),
        })
    }

    /// The service's own token, logging in when there is none or it is about to expire.
    pub(crate) async fn service_token(&self) -> Result<String, AuthError> {
        if let Some(current) = self.service_token.read().await.as_ref()
            && current.renew_at > Instant::now()
        {
            return Ok(current.token.clone());
        }
        let mut slot = self.service_token.write().await;
        if let Some(current) = slot.as_ref()
            && current.renew_at > Instant::now()
        {
            return Ok(current.token.clone());
        }
        let fresh = self.log_in().await?;
        let token = fresh.token.clone();
        *slot = Some(fresh);
        Ok(token)
    }

    async fn log_in(&self) -> Result<ServiceToken, AuthError> {
        let service = &self.service;
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": service.username,
                "domain": {"name": service.user_domain},
                "password": service.password,
            }}},
            "scope": {"project": {"name": service.project, "domain": {"name": service.project_domain}}},
        }});
        let response = self.http.post(&self.tokens_url).json(&body).send().await.map_err(unreachable)?;
        let status = response.status();
        if status != StatusCode::CREATED {
            let detail = response.text().await.unwrap_or_default();
            return Err(AuthError::Unavailable(format!(
                "Keystone refused the service user {:?} ({status}): {}",
                service.username,
                detail.trim()
            )));
        }
        let token = response
            .headers()
            .get("x-subject-token")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| AuthError::Unavailable("Keystone's login answer has no X-Subject-Token".into()))?;
        let body: TokenBody = response.json().await.map_err(|e| malformed(&e))?;
        let expires_in = expires_in(&body.token.expires_at)?;
        let renew_at = Instant::now() + expires_in.saturating_sub(RENEW_BEFORE);
        tracing::info!(user = %service.username, "logged in to Keystone as the service user");
        Ok(ServiceToken { token, renew_at })
    }

    /// Asks Keystone who `token` stands for; a refused service token is renewed once.
    pub(crate) async fn validate(&self, token: &str) -> Result<Validated, AuthError> {
        let mut renewed = false;
        loop {
            let service = self.service_token().await?;
            let response = self
                .http
                .get(&self.tokens_url)
                .query(&[("nocatalog", "1")])
                .header("X-Auth-Token", &service)
                .header("X-Subject-Token", token)
                .send()
                .await
                .map_err(unreachable)?;
            match response.status() {
                StatusCode::OK => {
                    let body: TokenBody = response.json().await.map_err(|e| malformed(&e))?;
                    return validated(body.token);
                }
                StatusCode::NOT_FOUND => {
                    return Err(AuthError::Unauthenticated(
                        "the token is invalid, expired or revoked: get a new one from Keystone".into(),
                    ));
                }
                StatusCode::UNAUTHORIZED if !renewed => {
                    renewed = true;
                    *self.service_token.write().await = None;
                }
                StatusCode::FORBIDDEN => {
                    return Err(AuthError::Unavailable(format!(
                        "Keystone does not let the service user {:?} validate tokens: give it the service role",
                        self.service.username
                    )));
                }
                status => {
                    let detail = response.text().await.unwrap_or_default();
                    return Err(AuthError::Unavailable(format!("Keystone answered {status}: {}", detail.trim())));
                }
            }
        }
    }
}

/// The caller of a validated token, which must be scoped to a project.
fn validated(token: TokenDetails) -> Result<Validated, AuthError> {
    let project = token.project.filter(|project| !project.id.is_empty()).ok_or_else(|| {
        AuthError::Unauthenticated("the token is not scoped to a project: ask Keystone for a project-scoped one".into())
    })?;
    Ok(Validated {
        expires_in: expires_in(&token.expires_at)?,
        caller: Caller {
            project: ProjectId::new(project.id),
            roles: token.roles.into_iter().map(|role| role.name).collect(),
        },
    })
}

/// How long until Keystone's `expires_at` (zero if already past).
fn expires_in(expires_at: &str) -> Result<Duration, AuthError> {
    let at = DateTime::parse_from_rfc3339(expires_at)
        .map_err(|e| AuthError::Unavailable(format!("Keystone's expires_at {expires_at:?}: {e}")))?;
    Ok((at.with_timezone(&Utc) - Utc::now()).to_std().unwrap_or(Duration::ZERO))
}

fn unreachable(error: reqwest::Error) -> AuthError {
    AuthError::Unavailable(format!("Keystone is unreachable: {error}"))
}

fn malformed(error: &reqwest::Error) -> AuthError {
    AuthError::Unavailable(format!("Keystone's answer is not a token: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(body: serde_json::Value) -> TokenDetails {
        serde_json::from_value::<TokenBody>(body).unwrap().token
    }

    #[test]
    fn a_project_scoped_token_gives_its_project_and_roles() {
        let expires = (Utc::now() + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        let token = details(json!({"token": {
            "expires_at": expires,
            "user": {"id": "u1", "name": "alice", "domain": {"id": "default"}},
            "project": {"id": "p1", "name": "demo", "domain": {"id": "default"}},
            "roles": [{"id": "r1", "name": "member"}, {"id": "r2", "name": "reader"}],
            "methods": ["password"],
        }}));
        let validated = validated(token).unwrap();
        assert_eq!(validated.caller.project, ProjectId::new("p1"));
        assert_eq!(validated.caller.roles, ["member", "reader"]);
        assert!(validated.expires_in > Duration::from_secs(3500) && validated.expires_in <= Duration::from_secs(3600));
    }

    #[test]
    fn unscoped_tokens_are_refused_and_past_expiry_is_zero() {
        let token = details(json!({"token": {"expires_at": "2020-01-01T00:00:00.000000Z", "user": {"id": "u"}}}));
        assert!(matches!(validated(token), Err(AuthError::Unauthenticated(why)) if why.contains("not scoped")));
        assert_eq!(expires_in("2020-01-01T00:00:00.000000Z").unwrap(), Duration::ZERO);
        assert!(matches!(expires_in("tomorrow"), Err(AuthError::Unavailable(_))));
    }

    #[test]
    fn the_url_may_name_v3_and_must_be_http() {
        let settings = |url: &str| KeystoneSettings {
            url: url.into(),
            service: ServiceCredentials {
                username: "qinling".into(),
                password: "secret".into(),
                user_domain: "Default".into(),
                project: "service".into(),
                project_domain: "Default".into(),
            },
            cache_for: Duration::from_secs(60),
        };
        for url in ["http://keystone:5000/v3", "http://keystone:5000/v3/", "http://keystone:5000"] {
            assert_eq!(Keystone::new(settings(url)).unwrap().tokens_url, "http://keystone:5000/v3/auth/tokens");
        }
        assert!(Keystone::new(settings("keystone:5000")).is_err());
        assert!(!format!("{:?}", settings("http://k").service).contains("secret"), "the password is not logged");
    }
}
