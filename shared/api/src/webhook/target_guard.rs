//! Refuses webhook targets on private, loopback, link-local and other internal addresses, so a
//! merchant-supplied URL cannot make us call into our own network (SSRF). Checked on the URL and
//! again on every address the HTTP client connects to, which also defeats DNS rebinding.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Whether `ip` is an ordinary public unicast address. An IPv6 address that carries an IPv4
/// one (mapped, compatible, 6to4) is judged by the address it carries; translation and tunnel
/// prefixes (NAT64, Teredo) and every other special-purpose block are refused outright.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

/// The IPv4 address an IPv6 one stands for: `::ffff:a.b.c.d` (mapped), `::a.b.c.d`
/// (compatible, deprecated but still routed by some stacks) and `2002:aabb:ccdd::/48` (6to4).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    if s[0] == 0x2002 {
        let [a, b] = s[1].to_be_bytes();
        let [c, d] = s[2].to_be_bytes();
        return Some(Ipv4Addr::new(a, b, c, d));
    }
    // `::` and `::1` are not IPv4 addresses; `is_public_v6` refuses them.
    if ip.is_unspecified() || ip.is_loopback() {
        return None;
    }
    ip.to_ipv4()
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

/// IPv6 blocks that are not ordinary global unicast (the IANA special-purpose registry):
/// `(prefix, length)`.
const SPECIAL_V6: [(u128, u32); 12] = [
    (0, 96),                      // ::/96, including :: and ::1
    (0x0064_ff9b << 96, 96),      // NAT64 well-known prefix
    (0x0064_ff9b_0001 << 80, 48), // NAT64 local-use
    (0x0100 << 112, 64),          // discard-only
    (0x2001 << 112, 23),          // IETF protocols: Teredo, benchmarking, ORCHID
    (0x2001_0db8 << 96, 32),      // documentation
    (0x3fff << 112, 20),          // documentation
    (0x5f00 << 112, 16),          // segment routing
    (0xfc00 << 112, 7),           // unique local
    (0xfe80 << 112, 10),          // link-local
    (0xfec0 << 112, 10),          // site-local (deprecated)
    (0xff00 << 112, 8),           // multicast
];

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let bits = u128::from(ip);
    !SPECIAL_V6
        .iter()
        .any(|&(prefix, length)| bits >> (128 - length) == prefix >> (128 - length))
}

/// How long saving an endpoint waits for its host to resolve.
const SAVE_LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// The SSRF policy of one deployment.
#[derive(Debug, Clone, Copy)]
pub struct TargetGuard {
    allow_private: bool,
}

impl TargetGuard {
    /// A guard; `allow_private` turns it off (local development only).
    pub fn new(allow_private: bool) -> Self {
        Self { allow_private }
    }

    /// Checks `url` as it is saved: refused if its host is, or now resolves to, an address the
    /// guard refuses. A name that does not resolve yet (or not within a second) is taken: DNS may
    /// not be set up when the endpoint is, and every call checks again before connecting.
    pub async fn check_on_save(&self, url: &str) -> Result<(), String> {
        if self.allow_private {
            // Nothing is refused, and a lookup would only slow the save down.
            return Ok(());
        }
        let resolvable = match Url::parse(url).ok().as_ref().and_then(Url::host) {
            Some(Host::Domain(domain)) => {
                let lookup = tokio::net::lookup_host((domain, 443));
                matches!(
                    tokio::time::timeout(SAVE_LOOKUP_TIMEOUT, lookup).await,
                    Ok(Ok(_))
                )
            }
            _ => true,
        };
        if resolvable {
            self.check(url).await
        } else {
            Ok(())
        }
    }

    /// Checks `url` before any connection: scheme, and every address its host stands for.
    pub async fn check(&self, url: &str) -> Result<(), String> {
        let parsed = Url::parse(url).map_err(|e| format!("invalid webhook URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!(
                "webhook URLs must be http or https, not {}",
                parsed.scheme()
            ));
        }
        let port = parsed.port_or_known_default().unwrap_or(443);
        let addresses: Vec<IpAddr> = match parsed.host() {
            Some(Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
            Some(Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
            Some(Host::Domain(domain)) => tokio::net::lookup_host((domain, port))
                .await
                .map_err(|e| format!("cannot resolve {domain}: {e}"))?
                .map(|a| a.ip())
                .collect(),
            None => return Err("the webhook URL has no host".into()),
        };
        self.allowed(&addresses)
    }

    fn allowed(&self, addresses: &[IpAddr]) -> Result<(), String> {
        if addresses.is_empty() {
            return Err("the webhook host has no address".into());
        }
        match addresses
            .iter()
            .find(|ip| !self.allow_private && !is_public(**ip))
        {
            // Which internal address a name resolves to is for us to know, not the caller.
            Some(_) => Err("refused: the webhook host is not a public address".to_owned()),
            None => Ok(()),
        }
    }

    /// A DNS resolver for the HTTP client that only returns addresses this guard allows.
    pub fn resolver(self) -> Arc<dyn Resolve> {
        Arc::new(self)
    }
}

impl Resolve for TargetGuard {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = *self;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let ips: Vec<IpAddr> = found.iter().map(SocketAddr::ip).collect();
            guard
                .allowed(&ips)
                .map_err(|why| -> Box<dyn std::error::Error + Send + Sync> { why.into() })?;
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an IP")
    }

    #[test]
    fn internal_addresses_are_not_public() {
        for internal in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::10.0.0.1",
            "::169.254.169.254",
            "fec0::1",
            "64:ff9b::a00:1",
            "64:ff9b:1::a00:1",
            "2002:a00:1::1",
            "2002:7f00:1::",
            "2001:0:4136:e378:8000:63bf:f5ff:fffe",
            "2001:db8::1",
            "3fff::1",
            "100::1",
            "ff02::1",
        ] {
            assert!(!is_public(ip(internal)), "{internal}");
        }
    }

    #[test]
    fn ordinary_addresses_are_public() {
        for public in [
            "93.184.215.14",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "2002:5db8:d70e::1",
            "::ffff:1.1.1.1",
            "2a00:1450:4001::1",
        ] {
            assert!(is_public(ip(public)), "{public}");
        }
    }
}
