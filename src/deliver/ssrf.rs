//! The SSRF guard: webhook targets are chosen by users, so a target that resolves to this
//! machine or the private network (loopback, RFC 1918, link-local, unique-local, CGNAT, …) is
//! refused unless `deliver.allow_private` names it. The check runs inside the HTTP client's DNS
//! resolver, at every connection, so a name cannot pass the check and then resolve elsewhere.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Whether an address is on this machine or a private or special network.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                // 100.64.0.0/10, carrier-grade NAT.
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                // 198.18.0.0/15, benchmarking.
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // fc00::/7 unique local, fe80::/10 link-local.
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// The addresses (or host names) allowed although private.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    allowed: Arc<Vec<String>>,
}

impl Guard {
    /// A guard allowing these addresses or host names (`"127.0.0.1"`, `"::1"`, `"crm.lan"`).
    pub fn new(allowed: &[String]) -> Guard {
        Guard {
            allowed: Arc::new(
                allowed
                    .iter()
                    .map(|a| a.trim().to_ascii_lowercase())
                    .collect(),
            ),
        }
    }

    fn allows(&self, host: &str, ip: IpAddr) -> bool {
        !is_private(ip)
            || self
                .allowed
                .iter()
                .any(|a| a == host || a.parse::<IpAddr>().is_ok_and(|x| x == ip))
    }

    /// Checks a target URL: http or https, and an address literal that is allowed. Host names
    /// are checked when they resolve.
    pub fn check_url(&self, url: &str) -> Result<(), String> {
        let u = reqwest::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(format!("`{url}`: webhooks go to http or https URLs"));
        }
        let host = u
            .host_str()
            .ok_or_else(|| format!("`{url}` has no host"))?
            .trim_matches(['[', ']']);
        if let Ok(ip) = host.parse::<IpAddr>()
            && !self.allows(host, ip)
        {
            return Err(refusal(host));
        }
        Ok(())
    }

    /// Resolves a host and keeps the allowed addresses.
    pub async fn resolve(&self, host: &str) -> Result<Vec<SocketAddr>, String> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .collect();
        let ok: Vec<SocketAddr> = addrs
            .iter()
            .copied()
            .filter(|a| self.allows(&host.to_ascii_lowercase(), a.ip()))
            .collect();
        if ok.is_empty() {
            return Err(refusal(host));
        }
        Ok(ok)
    }
}

fn refusal(host: &str) -> String {
    format!(
        "{host} is a loopback, private or link-local address: webhooks are not sent there unless deliver.allow_private lists it"
    )
}

impl reqwest::dns::Resolve for Guard {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = Guard::resolve(&guard, &host).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_targets_are_refused_unless_allowed() {
        let g = Guard::default();
        for u in [
            "http://127.0.0.1:8080/hook",
            "http://10.1.2.3/x",
            "http://192.168.0.10/x",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/x",
            "http://[fd00::1]/x",
            "http://[::ffff:127.0.0.1]/x",
            "http://0.0.0.0/x",
            "http://100.64.1.1/x",
        ] {
            assert!(g.check_url(u).is_err(), "{u}");
        }
        assert!(g.check_url("https://93.184.215.14/hook").is_ok());
        assert!(g.check_url("ftp://93.184.215.14/hook").is_err());
        let allow = Guard::new(&["127.0.0.1".into()]);
        assert!(allow.check_url("http://127.0.0.1:9/x").is_ok());
        assert!(allow.check_url("http://127.0.0.2:9/x").is_err());
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_refused() {
        let g = Guard::default();
        let e = g.resolve("localhost").await.unwrap_err();
        assert!(e.contains("deliver.allow_private"), "{e}");
        let allow = Guard::new(&["localhost".into()]);
        assert!(!allow.resolve("localhost").await.unwrap().is_empty());
    }
}
