//! Per-sink request limits, and who the client is when the sink sits behind a proxy.

use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;
use warp::http::HeaderMap;

pub const DEFAULT_MAX_BODY: usize = 64 * 1024;
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
pub const DEFAULT_MAX_CONCURRENT: usize = 64;

/// What one sink's intake allows: body size, time, concurrency and who may call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest body in bytes; a larger one is answered 413.
    pub max_body: usize,
    /// How long reading the body and handling it may take; then 408.
    pub request_timeout: Duration,
    /// Requests handled at once; more are answered 503.
    pub max_concurrent: usize,
    /// Client addresses allowed in; empty allows every address.
    pub allow_from: Vec<IpNet>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: DEFAULT_MAX_BODY,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_concurrent: DEFAULT_MAX_CONCURRENT,
            allow_from: Vec::new(),
            trusted_proxies: Vec::new(),
        }
    }
}

impl Limits {
    /// The client's address: the socket's peer, unless the peer is a trusted proxy; then the
    /// right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let mut client = peer?;
        if !self.is_trusted_proxy(client) {
            return Some(client);
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in forwarded.iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>() else {
                break;
            };
            client = ip;
            if !self.is_trusted_proxy(ip) {
                break;
            }
        }
        Some(client)
    }

    fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }

    /// Whether the allow list lets `client` in (an empty list lets everyone in).
    pub fn allows(&self, client: Option<IpAddr>) -> bool {
        if self.allow_from.is_empty() {
            return true;
        }
        client.is_some_and(|ip| self.allow_from.iter().any(|net| net.contains(&ip)))
    }
}

/// Text that is neither an IP address nor a network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected an IP address or network such as 10.0.0.0/8, found `{0}`")]
pub struct NotANetwork(pub String);

/// Parses `10.0.0.0/8` or a bare address (`127.0.0.1`, `::1`) as a network.
pub fn parse_net(text: &str) -> Result<IpNet, NotANetwork> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| NotANetwork(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(allow: &[&str], proxies: &[&str]) -> Limits {
        Limits {
            allow_from: allow.iter().map(|a| parse_net(a).unwrap()).collect(),
            trusted_proxies: proxies.iter().map(|a| parse_net(a).unwrap()).collect(),
            ..Limits::default()
        }
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let l = limits(&["192.0.2.0/24"], &["127.0.0.1"]);
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let stranger: IpAddr = "198.51.100.7".parse().unwrap();
        let headers = forwarded("203.0.113.9, 192.0.2.5");
        assert_eq!(
            l.client_ip(Some(proxy), &headers),
            Some("192.0.2.5".parse().unwrap())
        );
        assert_eq!(l.client_ip(Some(stranger), &headers), Some(stranger));
        assert!(l.allows(l.client_ip(Some(proxy), &headers)));
        assert!(!l.allows(l.client_ip(Some(stranger), &headers)));
        assert!(!l.allows(None));
    }

    #[test]
    fn an_empty_allow_list_allows_everyone_and_bad_networks_are_named() {
        assert!(Limits::default().allows(None));
        assert_eq!(
            parse_net("10.0.0.0/33").unwrap_err().to_string(),
            "expected an IP address or network such as 10.0.0.0/8, found `10.0.0.0/33`"
        );
        assert!(parse_net("::1").is_ok());
    }
}
