//! Callback URLs: http(s) only, and by default never an address of the
//! server's own networks (loopback, private, link-local, unique-local), so
//! a key holder cannot make the server call into its network.

use std::net::IpAddr;

use url::{Host, Url};

/// Is this an address a webhook must not reach unless allowed?
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 0
                || (v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback() || v6.is_unspecified() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

/// Checks a callback URL; `Err` says why it is refused.
pub fn check_callback_url(raw: &str, allow_private: bool) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|_| "`url` must be an absolute http or https URL".to_owned())?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err("`url` must be an http or https URL".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("`url` must not carry credentials".into());
    }
    if allow_private {
        return Ok(url);
    }
    let private = match url.host() {
        None => true,
        Some(Host::Ipv4(ip)) => is_private(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => is_private(IpAddr::V6(ip)),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost") || name.ends_with(".internal")
        }
    };
    if private {
        return Err("`url` names a loopback, private or link-local address; these are refused".into());
    }
    Ok(url)
}

/// Whether `url`'s host resolves to no private address (checked before each
/// attempt, so a name that later points inside is refused too).
pub async fn resolves_publicly(url: &Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    let port = url.port_or_known_default().unwrap_or(443);
    match tokio::net::lookup_host((host.trim_matches(|c| c == '[' || c == ']'), port)).await {
        Ok(addrs) => {
            let addrs: Vec<_> = addrs.collect();
            !addrs.is_empty() && addrs.iter().all(|a| !is_private(a.ip()))
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_odd_urls_are_refused_unless_allowed() {
        for bad in [
            "ftp://example.org/hook",
            "not a url",
            "http://127.0.0.1:9000/hook",
            "http://localhost/hook",
            "http://10.1.2.3/hook",
            "http://192.168.0.10/hook",
            "http://172.16.0.1/hook",
            "http://169.254.169.254/latest",
            "http://[::1]/hook",
            "http://[fd00::1]/hook",
            "http://0.0.0.0/hook",
        ] {
            assert!(check_callback_url(bad, false).is_err(), "{bad}");
        }
        assert!(check_callback_url("https://hooks.example.org/in", false).is_ok());
        assert!(check_callback_url("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(check_callback_url("ftp://127.0.0.1/hook", true).is_err());
    }
}
