//! The server's authentication settings (Qinling's `auth_enable` and `[keystone_authtoken]`): off by
//! default; when on, where Keystone is, the service user that validates tokens, and how long a validated
//! token is believed. Builds the API's [`Gate`] and checks Keystone accepts the service user at start.

use std::time::Duration;

use anyhow::Context;
use clap::Args;
use qinling_api::Gate;
use qinling_auth::{Authenticator, KeystoneSettings, ServiceCredentials};

#[derive(Args, Debug)]
pub(crate) struct AuthArgs {
    /// Require a Keystone token (`X-Auth-Token`) on every request and scope resources to its project;
    /// off, everyone acts as the `default` project with admin rights.
    #[arg(long, env = "QINLING_AUTH_ENABLE", default_value_t = false, action = clap::ArgAction::Set)]
    auth_enable: bool,
    /// Keystone's URL (`http://keystone:5000/v3`).
    #[arg(long, env = "QINLING_KEYSTONE_URL", required_if_eq("auth_enable", "true"))]
    keystone_url: Option<String>,
    /// The service user that validates tokens (it needs the `service` or `admin` role).
    #[arg(long, env = "QINLING_KEYSTONE_USERNAME", default_value = "qinling")]
    keystone_username: String,
    /// Its password (prefer the environment variable to the flag).
    #[arg(long, env = "QINLING_KEYSTONE_PASSWORD", hide_env_values = true, required_if_eq("auth_enable", "true"))]
    keystone_password: Option<String>,
    #[arg(long, env = "QINLING_KEYSTONE_USER_DOMAIN", default_value = "Default")]
    keystone_user_domain: String,
    /// The project the service user's token is scoped to.
    #[arg(long, env = "QINLING_KEYSTONE_PROJECT", default_value = "service")]
    keystone_project: String,
    #[arg(long, env = "QINLING_KEYSTONE_PROJECT_DOMAIN", default_value = "Default")]
    keystone_project_domain: String,
    /// Seconds a validated token is believed without asking Keystone again (a revoked token keeps
    /// working this long); 0 asks on every request.
    #[arg(long, env = "QINLING_TOKEN_CACHE_TIME", default_value_t = 60)]
    token_cache_time: u64,
}

impl AuthArgs {
    pub(crate) async fn gate(self: Box<Self>) -> anyhow::Result<Gate> {
        if !self.auth_enable {
            return Ok(Gate::open());
        }
        let (Some(url), Some(password)) = (self.keystone_url, self.keystone_password) else {
            anyhow::bail!("--auth-enable needs --keystone-url and --keystone-password");
        };
        let authenticator = Authenticator::new(KeystoneSettings {
            url: url.clone(),
            service: ServiceCredentials {
                username: self.keystone_username,
                password,
                user_domain: self.keystone_user_domain,
                project: self.keystone_project,
                project_domain: self.keystone_project_domain,
            },
            cache_for: Duration::from_secs(self.token_cache_time),
        })?;
        authenticator.check().await.with_context(|| format!("logging in to Keystone at {url}"))?;
        tracing::info!(keystone = %url, cache_secs = self.token_cache_time, "authentication on");
        Ok(Gate::Keystone(Box::new(authenticator)))
    }
}
