//! Who is calling. With authentication on, every request carries an OpenStack Keystone token
//! (`X-Auth-Token`); [`Authenticator`] validates it against Keystone with the service's own token and
//! keeps the answer for a short time, so a busy client costs Keystone one request per token per cache
//! period. The answer is a [`Caller`]: the project the token is scoped to and the roles it carries.

mod cache;
mod caller;
mod keystone;

pub use caller::Caller;
pub use keystone::{KeystoneSettings, ServiceCredentials};

use std::sync::Arc;
use std::time::Duration;

use cache::TokenCache;
use keystone::Keystone;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The request cannot be let in: no token, or one Keystone does not vouch for (invalid, expired,
    /// revoked, or not scoped to a project).
    #[error("{0}")]
    Unauthenticated(String),
    /// Keystone cannot answer (unreachable, failing, or refusing the service's own credentials).
    #[error("cannot validate the token: {0}")]
    Unavailable(String),
}

/// Validates tokens against Keystone, with a cache of recent answers.
pub struct Authenticator {
    keystone: Keystone,
    cache: TokenCache,
}

impl Authenticator {
    pub fn new(settings: KeystoneSettings) -> Result<Self, AuthError> {
        let cache = TokenCache::new(settings.cache_for);
        Ok(Self { keystone: Keystone::new(settings)?, cache })
    }

    /// Checks that Keystone answers and accepts the service's credentials (at start, so that a
    /// misconfigured server stops with a clear message instead of refusing every request).
    pub async fn check(&self) -> Result<(), AuthError> {
        self.keystone.service_token().await.map(drop)
    }

    /// The caller a token stands for.
    pub async fn authenticate(&self, token: &str) -> Result<Arc<Caller>, AuthError> {
        if token.is_empty() {
            return Err(AuthError::Unauthenticated("the X-Auth-Token header is empty".into()));
        }
        if let Some(caller) = self.cache.get(token) {
            return Ok(caller);
        }
        let validated = self.keystone.validate(token).await?;
        let caller = Arc::new(validated.caller);
        self.cache.insert(token, caller.clone(), validated.expires_in);
        Ok(caller)
    }

    /// How long a validated token is believed without asking Keystone again.
    pub fn cache_for(&self) -> Duration {
        self.cache.ttl()
    }
}
