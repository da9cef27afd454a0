//! The URL rewrites twilio-node's `validateRequest` tries, re-implemented without a URL crate (the
//! `url` crate with its IDNA tables would roughly double the wasm module).
//!
//! * [`split_url`], [`add_port`], [`remove_port`]: twilio-node's regex-based `splitUrl` helpers,
//!   which work on the URL as received, without normalising it (this file).
//! * [`normalize`]: the WHATWG URL serialisation `new URL(url).toString()` for `http`/`https`
//!   URLs (tabs/newlines removed, scheme and host lower-cased, `%XX` in the host decoded, IPv4
//!   numbers canonicalised, default port dropped, dot segments resolved, path/query/fragment/userinfo
//!   percent-encoded with the WHATWG sets). Hosts that need IDNA (non-ASCII, `xn--` labels) or are
//!   IPv6 literals are reported with `href: None` and the normalised variants are skipped for
//!   them (`whatwg.rs`, hosts in `host.rs`).
//! * [`legacy_querystring`]: Node's `querystring.stringify(querystring.parse(q))`, the "legacy"
//!   re-encoding twilio-node tries last (`querystring.rs`).
//! * [`search_param`]: `URL.searchParams.get(name)` (the `application/x-www-form-urlencoded` parser,
//!   `querystring.rs`).
//!
//! Everything works on `&str` and never panics; positions are found at ASCII delimiters, so byte
//! offsets and JavaScript's UTF-16 offsets select the same substrings.

mod host;
mod querystring;
mod whatwg;

pub(crate) use querystring::{legacy_querystring, search_param};
pub(crate) use whatwg::{normalize, NormError, Normalized};

/// twilio-node's `splitUrl`: `^([a-z][a-z0-9+.-]*://)([^/?#]*)` (case-insensitive).
pub(crate) struct UrlParts<'a> {
    pub scheme: &'a str,
    pub user_info: &'a str,
    pub host: &'a str,
    pub port: &'a str,
    pub rest: &'a str,
}

pub(crate) fn split_url(url: &str) -> Option<UrlParts<'_>> {
    let b = url.as_bytes();
    if !b.first()?.is_ascii_alphabetic() {
        return None;
    }
    let mut i = 1;
    while b
        .get(i)
        .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-'))
    {
        i += 1;
    }
    if b.get(i..i.checked_add(3)?)? != b"://" {
        return None;
    }
    let scheme_end = i + 3;
    let auth_len = b
        .get(scheme_end..)?
        .iter()
        .position(|c| matches!(c, b'/' | b'?' | b'#'))
        .unwrap_or(b.len() - scheme_end);
    let auth_end = scheme_end + auth_len;
    let scheme = url.get(..scheme_end)?;
    let authority = url.get(scheme_end..auth_end)?;
    let rest = url.get(auth_end..)?;
    let ui_end = authority.rfind('@').map_or(0, |p| p + 1);
    let user_info = authority.get(..ui_end)?;
    let host_port = authority.get(ui_end..)?;
    let search_from = host_port.rfind(']').map_or(0, |p| p + 1);
    let port_start = host_port
        .get(search_from..)?
        .find(':')
        .map(|p| p + search_from);
    let (host, port) = match port_start {
        Some(p) => (host_port.get(..p)?, host_port.get(p..)?),
        None => (host_port, ""),
    };
    Some(UrlParts {
        scheme,
        user_info,
        host,
        port,
        rest,
    })
}

/// twilio-node's `addPort`: insert `:443` (https) or `:80` (anything else) when no port is written.
pub(crate) fn add_port(url: &str) -> String {
    match split_url(url) {
        Some(p) if p.port.is_empty() => {
            let port = if p.scheme.eq_ignore_ascii_case("https://") {
                ":443"
            } else {
                ":80"
            };
            [p.scheme, p.user_info, p.host, port, p.rest].concat()
        }
        _ => url.to_owned(),
    }
}

/// twilio-node's `removePort`.
pub(crate) fn remove_port(url: &str) -> String {
    match split_url(url) {
        Some(p) => [p.scheme, p.user_info, p.host, p.rest].concat(),
        None => url.to_owned(),
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Append `%XX` (upper-case hex) for one byte.
fn pct(out: &mut String, byte: u8) {
    out.push('%');
    for nibble in [byte >> 4, byte & 15] {
        out.push(char::from(
            HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
        ));
    }
}

/// Append `c` percent-encoded as UTF-8 bytes.
fn pct_char(out: &mut String, c: char) {
    let mut buf = [0u8; 4];
    for b in c.encode_utf8(&mut buf).bytes() {
        pct(out, b);
    }
}

/// Decode every valid `%XX`; anything else is kept as it is.
fn percent_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if b == b'%' {
            if let (Some(h), Some(l)) = (
                input.get(i + 1).and_then(|c| hex_val(*c)),
                input.get(i + 2).and_then(|c| hex_val(*c)),
            ) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_helpers() {
        assert_eq!(add_port("https://a.com/x"), "https://a.com:443/x");
        assert_eq!(add_port("http://u:p@a.com?x"), "http://u:p@a.com:80?x");
        assert_eq!(add_port("https://a.com:8443/x"), "https://a.com:8443/x");
        assert_eq!(remove_port("https://a.com:8443/x"), "https://a.com/x");
        assert_eq!(remove_port("https://[::1]:8443/x"), "https://[::1]/x");
        assert_eq!(remove_port("nonsense"), "nonsense");
    }
}

#[cfg(test)]
mod node_agreement {
    //! `normalize` and `legacy_querystring` against Node's `new URL()` / `querystring`, recorded in
    //! the generated differential fixture.
    use super::*;

    #[test]
    fn matches_node_on_generated_urls() {
        let text = std::fs::read_to_string("tests/fixtures/twilio/generated-signature-cases.json")
            .expect("generated cases");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
        let mut checked = 0;
        for c in doc["cases"].as_array().expect("cases") {
            let url = c["url"].as_str().expect("url");
            let node = c["normalized"].as_str();
            match (normalize(url), node) {
                (Ok(n), Some(expected)) => {
                    if let Some(href) = n.href {
                        assert_eq!(href, expected, "case {}", c["id"]);
                        checked += 1;
                    }
                }
                (Err(_), None) => {}
                (got, _) => panic!(
                    "case {}: normalize {:?} vs node {node:?}",
                    c["id"],
                    got.map(|n| n.href)
                ),
            }
            if let (Some(n), Some(lq)) = (node, c["legacyQuery"].as_str()) {
                let q = n.split_once('?').map(|x| x.1).unwrap_or("");
                assert_eq!(legacy_querystring(q), lq, "case {}", c["id"]);
            }
        }
        assert!(checked > 300, "{checked}");
    }
}
