//! Package downloads for container workers: a URL on the platform's API and a token that grants that one
//! package for a short while. Tokens are HMAC-SHA256 of the package digest and an expiry time, so any
//! replica that shares the secret can check them and nothing is stored.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{PackageDigest, PackageDownload};

/// How long a download token stays valid: a worker loads its package right after being given it.
pub const DOWNLOAD_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Makes and checks package download links.
#[derive(Clone)]
pub struct PackageLinks {
    /// The API's address as workers reach it, without a trailing slash.
    base_url: String,
    secret: Vec<u8>,
}

impl std::fmt::Debug for PackageLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackageLinks").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

impl PackageLinks {
    pub fn new(base_url: &str, secret: Vec<u8>) -> Self {
        Self { base_url: base_url.trim_end_matches('/').to_owned(), secret }
    }

    /// The path of a package on the API (the route the API serves downloads on).
    pub fn path(digest: &PackageDigest) -> String {
        format!("/v1/packages/{digest}")
    }

    /// A link to `digest` that works for [`DOWNLOAD_TOKEN_LIFETIME`].
    pub fn link(&self, digest: &PackageDigest) -> PackageDownload {
        let expires = unix_now() + DOWNLOAD_TOKEN_LIFETIME.as_secs();
        let signature = hex::encode(self.sign(digest, expires));
        PackageDownload {
            url: format!("{}{}", self.base_url, Self::path(digest)),
            token: format!("{expires}.{signature}"),
        }
    }

    /// Whether `token` grants `digest` now.
    pub fn verify(&self, digest: &PackageDigest, token: &str) -> bool {
        let Some((expires, signature)) = token.split_once('.') else { return false };
        let (Ok(expires), Ok(signature)) = (expires.parse::<u64>(), hex::decode(signature)) else { return false };
        if expires < unix_now() {
            return false;
        }
        self.mac(digest, expires).verify_slice(&signature).is_ok()
    }

    fn sign(&self, digest: &PackageDigest, expires: u64) -> Vec<u8> {
        self.mac(digest, expires).finalize().into_bytes().to_vec()
    }

    fn mac(&self, digest: &PackageDigest, expires: u64) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        mac.update(digest.as_str().as_bytes());
        mac.update(b"|");
        mac.update(expires.to_string().as_bytes());
        mac
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_grants_its_package_only() {
        let links = PackageLinks::new("http://10.0.0.1:7070/", b"secret".to_vec());
        let digest = PackageDigest::of(b"package");
        let link = links.link(&digest);
        assert_eq!(link.url, format!("http://10.0.0.1:7070/v1/packages/{digest}"));
        assert!(links.verify(&digest, &link.token));
        assert!(!links.verify(&PackageDigest::of(b"other"), &link.token));
        assert!(!PackageLinks::new("http://x", b"another secret".to_vec()).verify(&digest, &link.token));
        assert!(!links.verify(&digest, "garbage"));
    }

    #[test]
    fn expired_or_altered_tokens_are_refused() {
        let links = PackageLinks::new("http://x", b"secret".to_vec());
        let digest = PackageDigest::of(b"package");
        let past = unix_now() - 1;
        let expired = format!("{past}.{}", hex::encode(links.sign(&digest, past)));
        assert!(!links.verify(&digest, &expired));
        let token = links.link(&digest).token;
        let (expires, signature) = token.split_once('.').unwrap();
        let extended = format!("{}.{signature}", expires.parse::<u64>().unwrap() + 3600);
        assert!(!links.verify(&digest, &extended));
    }
}
