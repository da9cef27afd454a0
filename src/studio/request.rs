//! Wire formats of the Executions request: `application/x-www-form-urlencoded`, HTTP Basic, and a
//! shell-safe curl rendering.

/// Append `s` form-urlencoded (WHATWG `application/x-www-form-urlencoded`: alphanumerics and
/// `*-._` kept, space → `+`, every other byte of the UTF-8 encoding → `%XX`).
///
/// ```
/// let mut s = String::new();
/// ehr_studio_bridge::studio::request::form_encode_into(&mut s, "+1 617 {\"a\":\"é\"}");
/// assert_eq!(s, "%2B1+617+%7B%22a%22%3A%22%C3%A9%22%7D");
/// ```
pub fn form_encode_into(out: &mut String, s: &str) {
    out.reserve(s.len() + s.len() / 2);
    let b = s.as_bytes();
    let mut start = 0usize;
    for (i, &c) in b.iter().enumerate() {
        let keep = c.is_ascii_alphanumeric() || matches!(c, b'*' | b'-' | b'.' | b'_');
        if keep {
            continue;
        }
        out.push_str(s.get(start..i).unwrap_or(""));
        if c == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(hex(c >> 4));
            out.push(hex(c & 0xf));
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or(""));
}

fn hex(n: u8) -> char {
    char::from(if n < 10 { b'0' + n } else { b'A' + n - 10 })
}

/// Standard base64 with padding.
///
/// ```
/// assert_eq!(ehr_studio_bridge::studio::request::base64("user:pass"), "dXNlcjpwYXNz");
/// ```
pub fn base64(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for chunk in b.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |a, (i, &x)| a | (u32::from(x) << (16 - 8 * i)));
        let idx =
            |shift: u32| char::from(T.get(((n >> shift) & 63) as usize).copied().unwrap_or(b'='));
        out.push(idx(18));
        out.push(idx(12));
        out.push(if chunk.len() > 1 { idx(6) } else { '=' });
        out.push(if chunk.len() > 2 { idx(0) } else { '=' });
    }
    out
}

/// Quote for a POSIX shell: `'…'` with `'` written as `'\''`.
pub fn shell_quote(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('\'');
    let mut first = true;
    for part in s.split('\'') {
        if !first {
            out.push_str("'\\''");
        }
        first = false;
        out.push_str(part);
    }
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b64() {
        assert_eq!(base64(""), "");
        assert_eq!(base64("f"), "Zg==");
        assert_eq!(base64("fo"), "Zm8=");
        assert_eq!(base64("foo"), "Zm9v");
        assert_eq!(base64("foob"), "Zm9vYg==");
    }

    #[test]
    fn quoting() {
        let mut s = String::new();
        shell_quote(&mut s, "O'Brien");
        assert_eq!(s, "'O'\\''Brien'");
    }
}
