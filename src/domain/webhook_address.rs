//! Where a webhook may be sent: the rules an endpoint's address is checked
//! against when an admin saves it, and the addresses a delivery may connect
//! to once its host name is resolved.
//!
//! whygo posts to the address from its own servers, so an address inside the
//! installation's network would let an admin reach what only the server can
//! (a database port, a cloud's metadata service). Hence: `https://` to a
//! public address; `http://` only to this machine (localhost, 127.0.0.1,
//! [::1]), for a receiver under test or a relay beside whygo.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// The longest address accepted.
pub const MAX_LEN: usize = 2000;

/// Says which addresses are accepted, for the form's hint.
pub const RULE: &str =
    "https:// to a public address; http:// only to localhost, 127.0.0.1 or [::1] (for testing)";

/// Reads an endpoint's address: the address as it will be stored, or the
/// sentence to show next to the field.
pub fn check(text: &str) -> Result<Url, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(
            "Enter the address to send events to, e.g. https://example.com/hooks/whygo.".to_owned(),
        );
    }
    if text.chars().count() > MAX_LEN {
        return Err(format!("Keep the address to {MAX_LEN} characters."));
    }
    let url = Url::parse(text).map_err(|_| {
        "Enter a full address starting with https://, e.g. https://example.com/hooks/whygo."
            .to_owned()
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        // The address is shown on the admin pages and in the audit log.
        return Err("Leave the user name and password out of the address: whygo signs every event instead, and the receiver checks the signature.".to_owned());
    }
    let host = url.host().ok_or_else(|| {
        "The address needs a host name, e.g. https://example.com/hooks.".to_owned()
    })?;
    match url.scheme() {
        "https" => {
            if is_local_name(&host) {
                return Err("Use http:// for an address on this machine (localhost): https:// addresses must be public.".to_owned());
            }
            if let Some(ip) = ip_of(&host) {
                if !is_public(ip) {
                    return Err(format!(
                        "{ip} is a private, loopback or reserved address: whygo sends events only to public addresses."
                    ));
                }
            }
            Ok(url)
        }
        "http" if is_this_machine(&host) => Ok(url),
        "http" => Err("Use https:// for this address: http:// is accepted only to this machine (localhost, 127.0.0.1 or [::1]).".to_owned()),
        other => Err(format!("“{other}:” addresses are not accepted: use https://.")),
    }
}

fn ip_of(host: &Host<&str>) -> Option<IpAddr> {
    match host {
        Host::Ipv4(ip) => Some(IpAddr::V4(*ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(*ip)),
        Host::Domain(_) => None,
    }
}

fn is_local_name(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        _ => false,
    }
}

/// localhost, 127.0.0.1 or [::1]: where `http://` may go.
fn is_this_machine(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => *ip == Ipv4Addr::LOCALHOST,
        Host::Ipv6(ip) => *ip == Ipv6Addr::LOCALHOST,
    }
}

/// Whether a delivery may connect to `ip`, an address the host name `host`
/// resolved to: a public address, or loopback for the name `localhost` (the
/// one name an `http://` address to this machine may use; `https://` to it is
/// refused by [`check`]). A public name pointed at the inside is refused.
pub fn may_resolve_to(host: &str, ip: IpAddr) -> bool {
    if host.trim_end_matches('.').eq_ignore_ascii_case("localhost") {
        ip.is_loopback()
    } else {
        is_public(ip)
    }
}

/// An address on the public internet: not private, loopback, link-local,
/// shared (carrier NAT), documentation, benchmarking, multicast, reserved or
/// unspecified; an IPv4-mapped IPv6 address as its IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (RFC 6598)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || first == 0x0064 // NAT64, which maps IPv4 addresses (private ones too)
        || ip.to_ipv4().is_some()) // IPv4-compatible (deprecated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        check(s).map_or_else(|e| panic!("{s}: {e}"), |u| u.to_string())
    }

    #[test]
    fn https_to_a_public_host_is_accepted_as_typed() {
        assert_eq!(
            ok(" https://example.com/hooks/whygo "),
            "https://example.com/hooks/whygo"
        );
        assert_eq!(
            ok("https://8.8.8.8:8443/x?y=1"),
            "https://8.8.8.8:8443/x?y=1"
        );
    }

    #[test]
    fn http_is_accepted_only_to_this_machine() {
        for s in [
            "http://localhost:9000/hook",
            "http://127.0.0.1:41234/",
            "http://[::1]:8080/x",
        ] {
            ok(s);
        }
        for s in [
            "http://example.com/hook",
            "http://10.0.0.5/hook",
            "http://127.0.0.2/",
        ] {
            assert!(check(s).is_err_and(|e| e.contains("https://")), "{s}");
        }
    }

    #[test]
    fn other_schemes_are_refused() {
        for s in [
            "ftp://example.com/x",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "gopher://x",
        ] {
            assert!(check(s).is_err(), "{s}");
        }
    }

    #[test]
    fn https_to_private_loopback_or_metadata_addresses_is_refused() {
        for s in [
            "https://10.1.2.3/",
            "https://192.168.0.1/",
            "https://172.16.5.5/",
            "https://127.0.0.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://localhost/",
            "https://api.localhost/",
        ] {
            assert!(check(s).is_err(), "{s}");
        }
    }

    #[test]
    fn credentials_in_the_address_are_refused() {
        assert!(check("https://user:pw@example.com/").is_err_and(|e| e.contains("password")));
    }

    #[test]
    fn blank_garbage_and_overlong_addresses_are_refused() {
        assert!(check("  ").is_err());
        assert!(check("example.com/hook").is_err());
        assert!(check(&format!("https://example.com/{}", "a".repeat(MAX_LEN))).is_err());
    }

    #[test]
    fn a_name_may_resolve_to_loopback_only_if_it_is_localhost() {
        let lo: IpAddr = "127.0.0.1".parse().expect("ip");
        let lo6: IpAddr = "::1".parse().expect("ip");
        let private: IpAddr = "10.0.0.7".parse().expect("ip");
        let outside: IpAddr = "93.184.216.34".parse().expect("ip");
        assert!(may_resolve_to("localhost", lo));
        assert!(may_resolve_to("LOCALHOST.", lo6));
        assert!(
            !may_resolve_to("localhost", outside),
            "localhost is this machine"
        );
        assert!(
            !may_resolve_to("hooks.example.com", lo),
            "a public name pointed at loopback"
        );
        assert!(
            !may_resolve_to("hooks.example.com", private),
            "or at a private address"
        );
        assert!(may_resolve_to("hooks.example.com", outside));
    }
}
