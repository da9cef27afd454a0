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
    form_encode_with(out, s, push_form_byte);
}

/// The scan both encoders share: runs of kept bytes are copied, every other byte goes to `escape`.
fn form_encode_with(out: &mut String, s: &str, escape: impl Fn(&mut String, u8)) {
    out.reserve(s.len() + s.len() / 2);
    let mut start = 0usize;
    for (i, &c) in s.as_bytes().iter().enumerate() {
        if FORM_KEEP.get(usize::from(c)).copied().unwrap_or(false) {
            continue;
        }
        if start < i {
            out.push_str(s.get(start..i).unwrap_or(""));
        }
        escape(out, c);
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or(""));
}

/// One byte that [`FORM_KEEP`] does not keep: space → `+`, anything else → `%XX`.
fn push_form_byte(out: &mut String, c: u8) {
    if c == b' ' {
        out.push('+');
    } else {
        let at = 3 * usize::from(c);
        out.push_str(PERCENT.get(at..at + 3).unwrap_or(""));
    }
}

/// Append the contents of `s` as a JSON string (without the quotes, escaped exactly as
/// `serde_json` does), form-urlencoded: `form_encode_into(out, json_contents(s))` in one pass.
///
/// ```
/// let mut s = String::new();
/// ehr_studio_bridge::studio::request::form_encode_json_contents_into(&mut s, "O\"B é\n");
/// assert_eq!(s, "O%5C%22B+%C3%A9%5Cn");
/// ```
pub fn form_encode_json_contents_into(out: &mut String, s: &str) {
    form_encode_with(out, s, |out, c| match c {
        b'"' => out.push_str("%5C%22"),
        b'\\' => out.push_str("%5C%5C"),
        0x08 => out.push_str("%5Cb"),
        0x0c => out.push_str("%5Cf"),
        b'\n' => out.push_str("%5Cn"),
        b'\r' => out.push_str("%5Cr"),
        b'\t' => out.push_str("%5Ct"),
        0..=0x1f => {
            // `\u00XX`, lower-case hex like serde_json (letters and digits are kept).
            const LOWER: &[u8; 16] = b"0123456789abcdef";
            out.push_str("%5Cu00");
            for d in [c >> 4, c & 0xf] {
                out.push(char::from(
                    LOWER.get(usize::from(d)).copied().unwrap_or(b'0'),
                ));
            }
        }
        _ => push_form_byte(out, c),
    });
}

/// The bytes [`form_encode_into`] keeps as they are: alphanumerics and `*-._`.
const FORM_KEEP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric() || matches!(c, b'*' | b'-' | b'.' | b'_');
        i += 1;
    }
    t
};

/// `%00%01…%FF`: the percent-escape of byte `b` is `PERCENT[3b..3b + 3]`.
const PERCENT: &str = match std::str::from_utf8(&PERCENT_BYTES) {
    Ok(s) => s,
    Err(_) => panic!("ASCII"),
};

const PERCENT_BYTES: [u8; 768] = {
    let mut t = [0u8; 768];
    let mut i = 0;
    while i < 256 {
        t[3 * i] = b'%';
        t[3 * i + 1] = hex_digit((i >> 4) as u8);
        t[3 * i + 2] = hex_digit((i & 0xf) as u8);
        i += 1;
    }
    t
};

const fn hex_digit(n: u8) -> u8 {
    if n < 10 {
        b'0' + n
    } else {
        b'A' + n - 10
    }
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
    shell_quote_pair(out, "", s);
}

/// [`shell_quote`] of `prefix` followed by `s`, without building the concatenation.
pub fn shell_quote_pair(out: &mut String, prefix: &str, s: &str) {
    out.reserve(prefix.len() + s.len() + 2);
    out.push('\'');
    for (i, part) in prefix.split('\'').enumerate() {
        if i > 0 {
            out.push_str("'\\''");
        }
        out.push_str(part);
    }
    for (i, part) in s.split('\'').enumerate() {
        if i > 0 {
            out.push_str("'\\''");
        }
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

    /// The byte-at-a-time definition the table-driven encoder must equal.
    fn form_encode_reference(s: &str) -> String {
        let mut out = String::new();
        for c in s.bytes() {
            if c.is_ascii_alphanumeric() || matches!(c, b'*' | b'-' | b'.' | b'_') {
                out.push(char::from(c));
            } else if c == b' ' {
                out.push('+');
            } else {
                out.push_str(&format!("%{c:02X}"));
            }
        }
        out
    }

    #[test]
    fn form_encoding_matches_the_definition() {
        let all: String = (0u32..0x250).filter_map(char::from_u32).collect();
        for s in [
            "",
            "a",
            " ",
            "+1 617 {\"a\":\"é\"}",
            "~!@#$%^&*()_+`-=[]\\;',./",
            &all,
            "😀x",
        ] {
            let mut out = String::from("pre");
            form_encode_into(&mut out, s);
            assert_eq!(out, format!("pre{}", form_encode_reference(s)), "{s:?}");
        }
    }

    #[test]
    fn json_contents_encoding_is_form_encoding_of_serde_json() {
        let all: String = (0u32..0x250).filter_map(char::from_u32).collect();
        for s in [
            "",
            "a",
            "\"\\/\u{8}\u{c}\n\r\t\u{0}\u{1f}\u{7f}",
            &all,
            "😀 x",
        ] {
            let json = serde_json::to_string(s).unwrap();
            let mut want = String::new();
            form_encode_into(&mut want, json.get(1..json.len() - 1).unwrap());
            let mut have = String::new();
            form_encode_json_contents_into(&mut have, s);
            assert_eq!(have, want, "{s:?}");
        }
    }

    #[test]
    fn quoting_a_pair_is_quoting_the_concatenation() {
        for (p, s) in [
            ("", ""),
            ("To=", "+1"),
            ("P=", "O'Brien's"),
            ("a'b", "'"),
            ("", "''"),
        ] {
            let mut a = String::new();
            shell_quote_pair(&mut a, p, s);
            let mut b = String::new();
            shell_quote(&mut b, &format!("{p}{s}"));
            assert_eq!(a, b);
        }
    }

    #[test]
    fn quoting() {
        let mut s = String::new();
        shell_quote(&mut s, "O'Brien");
        assert_eq!(s, "'O'\\''Brien'");
    }
}
