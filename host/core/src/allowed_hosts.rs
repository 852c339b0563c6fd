//! Which hosts a function may reach over HTTP: none unless its `allowed_hosts` names them, as origins —
//! `https://api.example.com`, `http://127.0.0.1:8080`, `https://*.example.com`. Scheme and port matter;
//! a missing port is the scheme's default.

use std::fmt;

/// One allowed origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedHost {
    scheme: Scheme,
    host: HostPattern,
    port: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    Http,
    Https,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum HostPattern {
    /// Exactly this host.
    Exact(String),
    /// Any host ending in `.<domain>` (`*.<domain>`), not the domain itself.
    Subdomains(String),
}

impl Scheme {
    fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "http" => Some(Self::Http),
            "https" => Some(Self::Https),
            _ => None,
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

impl AllowedHost {
    /// Parses `scheme://host[:port]`, where host may start with `*.`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            format!(
                "allowed host {text:?} {why}; write it as https://api.example.com, http://127.0.0.1:8080 or https://*.example.com"
            )
        };
        let (scheme, rest) = text.trim().split_once("://").ok_or_else(|| bad("has no scheme"))?;
        let scheme = Scheme::parse(scheme).ok_or_else(|| bad("must use http or https"))?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#', '@']) {
            return Err(bad("must be an origin, without a path, query or user"));
        }
        // An IPv6 address is bracketed, so the port is what follows the `]`.
        let (host, port) = match rest.strip_prefix('[').and_then(|inner| inner.split_once(']')) {
            Some((address, after)) => (format!("[{address}]"), after.strip_prefix(':')),
            None => match rest.rsplit_once(':') {
                Some((host, port)) => (host.to_owned(), Some(port)),
                None => (rest.to_owned(), None),
            },
        };
        let port = match port {
            Some(port) => port.parse::<u16>().map_err(|_| bad("has an invalid port"))?,
            None => scheme.default_port(),
        };
        let host = host.to_ascii_lowercase();
        let pattern = match host.strip_prefix("*.") {
            Some(domain) if valid_host(domain) => HostPattern::Subdomains(domain.to_owned()),
            None if valid_host(&host) => HostPattern::Exact(host),
            _ => return Err(bad("has an invalid host")),
        };
        Ok(Self { scheme, host: pattern, port })
    }

    /// Whether a request to `scheme://host:port` is allowed by this origin.
    pub fn permits(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let Some(scheme) = Scheme::parse(scheme) else { return false };
        let host = host.to_ascii_lowercase();
        let host_matches = match &self.host {
            HostPattern::Exact(exact) => *exact == host,
            HostPattern::Subdomains(domain) => {
                host.strip_suffix(domain.as_str()).is_some_and(|head| head.ends_with('.') && head.len() > 1)
            }
        };
        scheme == self.scheme && host_matches && port.unwrap_or(scheme.default_port()) == self.port
    }
}

fn valid_host(host: &str) -> bool {
    !host.is_empty() && !host.contains('*') && host.chars().all(|c| c.is_ascii_alphanumeric() || ".-[]:".contains(c))
}

impl fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = match &self.host {
            HostPattern::Exact(host) => host.clone(),
            HostPattern::Subdomains(domain) => format!("*.{domain}"),
        };
        if self.port == self.scheme.default_port() {
            write!(f, "{}://{host}", self.scheme.as_str())
        } else {
            write!(f, "{}://{host}:{}", self.scheme.as_str(), self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse_and_print_canonically() {
        for (text, canonical) in [
            ("https://api.example.com", "https://api.example.com"),
            ("HTTPS://API.Example.com/", "https://api.example.com"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("https://api.example.com:443", "https://api.example.com"),
            ("https://*.example.com", "https://*.example.com"),
            ("http://[::1]:8080", "http://[::1]:8080"),
            ("http://[::1]", "http://[::1]"),
        ] {
            assert_eq!(AllowedHost::parse(text).unwrap().to_string(), canonical, "{text}");
        }
    }

    #[test]
    fn anything_but_an_origin_is_refused() {
        for text in [
            "api.example.com",
            "ftp://x.org",
            "https://x.org/path",
            "https://x.org:99999",
            "https://*",
            "https://a.*.org",
            "https://",
        ] {
            assert!(AllowedHost::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn scheme_host_and_port_must_all_match() {
        let api = AllowedHost::parse("https://api.example.com").unwrap();
        assert!(api.permits("https", "api.example.com", None));
        assert!(api.permits("https", "API.example.com", Some(443)));
        assert!(!api.permits("http", "api.example.com", None));
        assert!(!api.permits("https", "api.example.com", Some(8443)));
        assert!(!api.permits("https", "evil.example.com", None));
        let local = AllowedHost::parse("http://127.0.0.1:8080").unwrap();
        assert!(local.permits("http", "127.0.0.1", Some(8080)));
        assert!(!local.permits("http", "127.0.0.1", None));
    }

    #[test]
    fn a_wildcard_covers_subdomains_only() {
        let any = AllowedHost::parse("https://*.example.com").unwrap();
        assert!(any.permits("https", "api.example.com", None));
        assert!(any.permits("https", "a.b.example.com", None));
        assert!(!any.permits("https", "example.com", None));
        assert!(!any.permits("https", "evilexample.com", None));
    }
}
