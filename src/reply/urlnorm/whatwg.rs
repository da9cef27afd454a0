//! `new URL(input).toString()` for http/https URLs, as a sequence of the WHATWG parser's steps:
//! clean the input, read the scheme, cut the authority (userinfo, host, port) from the path, query
//! and fragment, then serialise each part with its percent-encode set.

use super::host::parse_host;
use super::pct_char;

/// Result of [`normalize`].
pub(crate) struct Normalized {
    /// The serialised URL, when the host could be normalised here.
    pub href: Option<String>,
    /// The serialised query (without `?`), if the URL has one.
    pub query: Option<String>,
}

/// Why a URL could not be normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NormError {
    /// Not an absolute http(s) URL, or invalid per the WHATWG URL standard.
    Invalid,
    /// An absolute URL of another scheme.
    UnsupportedScheme,
}

/// The WHATWG percent-encode sets used here.
#[derive(Clone, Copy)]
enum Set {
    Fragment,
    SpecialQuery,
    Path,
    Userinfo,
}

fn in_set(c: char, set: Set) -> bool {
    let u = u32::from(c);
    if !(0x20..=0x7E).contains(&u) {
        return true;
    }
    let fragment = matches!(c, ' ' | '"' | '<' | '>' | '`');
    let query = matches!(c, ' ' | '"' | '#' | '<' | '>');
    let path = query || matches!(c, '?' | '`' | '{' | '}');
    match set {
        Set::Fragment => fragment,
        Set::SpecialQuery => query || c == '\'',
        Set::Path => path,
        Set::Userinfo => {
            path || matches!(
                c,
                '/' | ':' | ';' | '=' | '@' | '[' | '\\' | ']' | '^' | '|'
            )
        }
    }
}

fn encode_into(out: &mut String, s: &str, set: Set) {
    for c in s.chars() {
        if in_set(c, set) {
            pct_char(out, c);
        } else {
            out.push(c);
        }
    }
}

/// `s.get(..at)` and `s.get(at + skip..)`, or `Invalid`.
fn cut(s: &str, at: usize, skip: usize) -> Result<(&str, &str), NormError> {
    Ok((
        s.get(..at).ok_or(NormError::Invalid)?,
        s.get(at + skip..).ok_or(NormError::Invalid)?,
    ))
}

/// `new URL(input).toString()` for http/https (see the module docs).
pub(crate) fn normalize(input: &str) -> Result<Normalized, NormError> {
    let cleaned = clean(input);
    let (scheme, default_port, after) = scheme(&cleaned)?;
    let (authority, tail) = authority(after)?;
    let (userinfo, host_port) = userinfo(authority)?;
    let (host_raw, port_raw) = host_and_port(host_port)?;
    if host_raw.is_empty() {
        return Err(NormError::Invalid);
    }
    let port = port(port_raw, default_port)?;
    let host = parse_host(host_raw)?;
    let (path_raw, query_raw, fragment) = path_query_fragment(tail)?;
    let path = normalize_path(path_raw);
    let query = query_raw.map(|q| {
        let mut o = String::with_capacity(q.len());
        encode_into(&mut o, q, Set::SpecialQuery);
        o
    });
    let Some(host) = host else {
        return Ok(Normalized { href: None, query });
    };
    let href = Href {
        scheme: &scheme,
        userinfo,
        host: &host,
        port,
        path: &path,
        query: query.as_deref(),
        fragment,
    }
    .serialize(cleaned.len() + 8);
    Ok(Normalized {
        href: Some(href),
        query,
    })
}

/// Leading and trailing C0 controls and spaces removed, tabs and newlines removed everywhere.
fn clean(input: &str) -> String {
    input
        .trim_matches(|c: char| u32::from(c) <= 0x20)
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

/// The lower-cased scheme (http or https), its default port and what follows the `:`.
fn scheme(s: &str) -> Result<(String, u32, &str), NormError> {
    let colon = s.find(':').ok_or(NormError::Invalid)?;
    let (scheme_raw, after) = cut(s, colon, 1)?;
    let sb = scheme_raw.as_bytes();
    let scheme_ok = sb.first().is_some_and(u8::is_ascii_alphabetic)
        && sb
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return Err(NormError::Invalid);
    }
    let scheme = scheme_raw.to_ascii_lowercase();
    let default_port: u32 = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return Err(NormError::UnsupportedScheme),
    };
    Ok((scheme, default_port, after))
}

/// The authority (any number of `/` or `\` before it skipped) and the path, query and fragment.
fn authority(after: &str) -> Result<(&str, &str), NormError> {
    let after = after.trim_start_matches(['/', '\\']);
    let auth_end = after.find(['/', '\\', '?', '#']).unwrap_or(after.len());
    cut(after, auth_end, 0)
}

/// The userinfo (before the last `@`) and the host and port; a userinfo needs a host.
fn userinfo(authority: &str) -> Result<(Option<&str>, &str), NormError> {
    let Some(p) = authority.rfind('@') else {
        return Ok((None, authority));
    };
    let (ui, host_port) = cut(authority, p, 1)?;
    if host_port.is_empty() {
        return Err(NormError::Invalid);
    }
    Ok((Some(ui), host_port))
}

/// The host and the port text: a `:` outside brackets starts the port.
fn host_and_port(host_port: &str) -> Result<(&str, &str), NormError> {
    let mut in_brackets = false;
    for (i, c) in host_port.char_indices() {
        match c {
            '[' => in_brackets = true,
            ']' => in_brackets = false,
            ':' if !in_brackets => return cut(host_port, i, 1),
            _ => {}
        }
    }
    Ok((host_port, ""))
}

/// The port to serialise: none when it is empty or the scheme's default; at most 65535.
fn port(port_raw: &str, default_port: u32) -> Result<Option<u32>, NormError> {
    if port_raw.is_empty() {
        return Ok(None);
    }
    if !port_raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NormError::Invalid);
    }
    let mut v: u32 = 0;
    for b in port_raw.bytes() {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u32::from(b - b'0')))
            .filter(|v| *v <= 65535)
            .ok_or(NormError::Invalid)?;
    }
    Ok((v != default_port).then_some(v))
}

/// The raw path, query (after `?`) and fragment (after `#`).
fn path_query_fragment(tail: &str) -> Result<(&str, Option<&str>, Option<&str>), NormError> {
    let (before_frag, fragment) = match tail.find('#') {
        Some(p) => cut(tail, p, 1).map(|(b, f)| (b, Some(f)))?,
        None => (tail, None),
    };
    let (path, query) = match before_frag.find('?') {
        Some(p) => cut(before_frag, p, 1).map(|(b, q)| (b, Some(q)))?,
        None => (before_frag, None),
    };
    Ok((path, query, fragment))
}

/// The path's segments percent-encoded, `.` and `..` (also `%2e` forms) resolved.
fn normalize_path(raw: &str) -> String {
    // the first '/' or '\' is consumed by the "path start" state; an empty path becomes "/"
    let body = raw
        .strip_prefix('/')
        .or_else(|| raw.strip_prefix('\\'))
        .unwrap_or(raw);
    let mut segs: Vec<String> = Vec::new();
    let parts: Vec<&str> = body.split(['/', '\\']).collect();
    let n = parts.len();
    for (i, part) in parts.into_iter().enumerate() {
        let last = i + 1 == n;
        let mut buf = String::with_capacity(part.len());
        encode_into(&mut buf, part, Set::Path);
        let lower = buf.to_ascii_lowercase();
        let double = matches!(lower.as_str(), ".." | ".%2e" | "%2e." | "%2e%2e");
        let single = matches!(lower.as_str(), "." | "%2e");
        if double {
            segs.pop();
            if last {
                segs.push(String::new());
            }
        } else if single {
            if last {
                segs.push(String::new());
            }
        } else {
            segs.push(buf);
        }
    }
    let mut out = String::with_capacity(raw.len() + 1);
    for s in &segs {
        out.push('/');
        out.push_str(s);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// The parts of a normalised URL, ready to serialise.
struct Href<'a> {
    scheme: &'a str,
    userinfo: Option<&'a str>,
    host: &'a str,
    port: Option<u32>,
    path: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

impl Href<'_> {
    /// The URL serialiser: `scheme://[user[:password]@]host[:port]path[?query][#fragment]`.
    fn serialize(&self, capacity: usize) -> String {
        let mut href = String::with_capacity(capacity);
        href.push_str(self.scheme);
        href.push_str("://");
        self.push_userinfo(&mut href);
        href.push_str(self.host);
        if let Some(p) = self.port {
            href.push(':');
            href.push_str(&p.to_string());
        }
        href.push_str(self.path);
        if let Some(q) = self.query {
            href.push('?');
            href.push_str(q);
        }
        if let Some(f) = self.fragment {
            href.push('#');
            encode_into(&mut href, f, Set::Fragment);
        }
        href
    }

    /// `user[:password]@`, encoded with the userinfo set; nothing when both are empty.
    fn push_userinfo(&self, href: &mut String) {
        let Some(ui) = self.userinfo else {
            return;
        };
        let (u, p) = ui.split_once(':').unwrap_or((ui, ""));
        let mut username = String::new();
        let mut password = String::new();
        encode_into(&mut username, u, Set::Userinfo);
        encode_into(&mut password, p, Set::Userinfo);
        if username.is_empty() && password.is_empty() {
            return;
        }
        href.push_str(&username);
        if !password.is_empty() {
            href.push(':');
            href.push_str(&password);
        }
        href.push('@');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(u: &str) -> Option<String> {
        normalize(u).ok().and_then(|x| x.href)
    }

    #[test]
    fn whatwg_cases() {
        assert_eq!(
            n("https://mycompany.com/myapp.php?foo=1&bar=2&Body=It's+amazing").as_deref(),
            Some("https://mycompany.com/myapp.php?foo=1&bar=2&Body=It%27s+amazing")
        );
        assert_eq!(
            n("HTTPS://Ex%41mple.COM:443").as_deref(),
            Some("https://example.com/")
        );
        assert_eq!(
            n("http://a.com:80/x/../y/./z").as_deref(),
            Some("http://a.com/y/z")
        );
        assert_eq!(
            n("http://a.com:8080/a b?c d#e f").as_deref(),
            Some("http://a.com:8080/a%20b?c%20d#e%20f")
        );
        assert_eq!(
            n("https:\\\\a.com\\p\\q").as_deref(),
            Some("https://a.com/p/q")
        );
        assert_eq!(
            n("http://u:p@w@h.com/").as_deref(),
            Some("http://u:p%40w@h.com/")
        );
        assert_eq!(n("http://0x7f.1/").as_deref(), Some("http://127.0.0.1/"));
        assert_eq!(
            n("http://a.com/é?é#é").as_deref(),
            Some("http://a.com/%C3%A9?%C3%A9#%C3%A9")
        );
        assert!(normalize("http://a.com:99999/").is_err());
        assert!(normalize("http://exa mple.com/").is_err());
        assert!(normalize("http://1.2.3.256/").is_err());
        assert!(normalize("not a url").is_err());
        assert_eq!(
            normalize("ftp://a/").err(),
            Some(NormError::UnsupportedScheme)
        );
        assert!(normalize("http://bücher.de/").unwrap().href.is_none());
        assert!(normalize("http://[::1]:8080/").unwrap().href.is_none());
    }
}
