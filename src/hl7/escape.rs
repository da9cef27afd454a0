//! HL7 v2 escape sequences.
//!
//! Decoding happens **after** splitting on delimiters, per value. With `\` as the escape character:
//!
//! | sequence | decoded to |
//! |---|---|
//! | `\F\` `\S\` `\T\` `\R\` `\E\` | the message's field / component / subcomponent / repetition / escape character |
//! | `\P\` | the truncation character (only when MSH-2 declares one, v2.7+) |
//! | `\Xhh…\` | the bytes `hh…` (any even number of hex digits), read as UTF-8, or as Latin-1 when not valid UTF-8 — so `\X0D0A\` is CR LF |
//! | `\.br\` | a line break (`\n`) |
//! | `\.sp\`, `\.spN\` | N (default 1) line breaks |
//! | `\.skN\` | N (default 1) spaces |
//! | `\.fi\` `\.nf\` `\.ce\` `\.inN\` `\.tiN\` | removed (layout only) |
//! | `\H\` `\N\` | removed (highlight on/off) |
//! | `\Zxx\`, `\Cxxyy\`, `\Mxxyyzz\`, anything unknown or malformed | **kept as written** |
//!
//! A sequence without its closing escape character is kept as data too: nothing is ever dropped.

use super::Delimiters;
use std::borrow::Cow;

/// Decode the escape sequences in one value (a field, repetition, component or subcomponent).
///
/// Borrows when there is nothing to decode.
///
/// ```
/// use ehr_studio_bridge::hl7::{escape::decode, Delimiters};
/// let d = Delimiters::default();
/// assert_eq!(decode(r"Cardiology \T\ Vascular Clinic", &d), "Cardiology & Vascular Clinic");
/// assert_eq!(decode(r"line1\.br\line2\X0D0A\end", &d), "line1\nline2\r\nend");
/// assert_eq!(decode(r"C:\Temp", &d), r"C:\Temp"); // malformed: kept
/// ```
pub fn decode<'a>(raw: &'a str, d: &Delimiters) -> Cow<'a, str> {
    let Some(esc) = d.escape else {
        return Cow::Borrowed(raw);
    };
    let bytes = raw.as_bytes();
    let Some(first) = bytes.iter().position(|&b| b == esc) else {
        return Cow::Borrowed(raw);
    };
    let mut out = String::with_capacity(raw.len());
    out.push_str(raw.get(..first).unwrap_or(""));
    let mut i = first;
    while i < bytes.len() {
        if bytes.get(i) != Some(&esc) {
            // Copy up to the next escape character in one go.
            let next = bytes
                .get(i..)
                .and_then(|r| r.iter().position(|&b| b == esc))
                .map_or(bytes.len(), |p| i + p);
            out.push_str(raw.get(i..next).unwrap_or(""));
            i = next;
            continue;
        }
        // bytes[i] is the escape character: find its closing partner.
        let close = bytes
            .get(i + 1..)
            .and_then(|r| r.iter().position(|&b| b == esc))
            .map(|p| i + 1 + p);
        let Some(close) = close else {
            out.push_str(raw.get(i..).unwrap_or(""));
            break;
        };
        let body = raw.get(i + 1..close).unwrap_or("");
        if decode_sequence(body, d, &mut out) {
            i = close + 1;
        } else {
            // Unknown or malformed: keep the escape character as data and rescan after it, so that a
            // later well-formed sequence still decodes.
            out.push(char::from(esc));
            i += 1;
        }
    }
    Cow::Owned(out)
}

/// Append the decoding of one sequence body (text between the escape characters). Returns false
/// when the body is not a sequence we decode (the caller then keeps it as written).
fn decode_sequence(body: &str, d: &Delimiters, out: &mut String) -> bool {
    let b = body.as_bytes();
    match b {
        b"F" => out.push(char::from(d.field)),
        b"S" => match d.component {
            Some(c) => out.push(char::from(c)),
            None => return false,
        },
        b"T" => match d.subcomponent {
            Some(c) => out.push(char::from(c)),
            None => return false,
        },
        b"R" => match d.repetition {
            Some(c) => out.push(char::from(c)),
            None => return false,
        },
        b"E" => match d.escape {
            Some(c) => out.push(char::from(c)),
            None => return false,
        },
        b"P" => match d.truncation {
            Some(c) => out.push(char::from(c)),
            None => return false,
        },
        b"H" | b"N" => {}
        [b'X', hex @ ..] => return decode_hex(hex, out),
        [b'.', rest @ ..] => return decode_format(rest, out),
        _ => return false,
    }
    true
}

fn decode_hex(hex: &[u8], out: &mut String) -> bool {
    if hex.is_empty() || hex.len() % 2 != 0 {
        return false;
    }
    let mut bytes = Vec::with_capacity(hex.len() / 2);
    for pair in hex.chunks(2) {
        let (Some(&h), Some(&l)) = (pair.first(), pair.get(1)) else {
            return false;
        };
        let (Some(h), Some(l)) = (hex_val(h), hex_val(l)) else {
            return false;
        };
        bytes.push(h << 4 | l);
    }
    match std::str::from_utf8(&bytes) {
        Ok(s) => out.push_str(s),
        Err(_) => out.extend(bytes.iter().map(|&b| char::from(b))),
    }
    true
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Formatting commands (`\.br\` etc.). `rest` is the text after the dot.
fn decode_format(rest: &[u8], out: &mut String) -> bool {
    let (cmd, arg) = rest.split_at(rest.len().min(2));
    let count = || -> Option<usize> {
        let digits = arg.strip_prefix(b"+").unwrap_or(arg);
        if digits.is_empty() {
            return Some(1);
        }
        if digits.len() > 3 || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    };
    match cmd {
        b"br" if arg.is_empty() => out.push('\n'),
        b"sp" => match count() {
            Some(n) => out.extend(std::iter::repeat_n('\n', n)),
            None => return false,
        },
        b"sk" => match count() {
            Some(n) => out.extend(std::iter::repeat_n(' ', n)),
            None => return false,
        },
        b"fi" | b"nf" | b"ce" if arg.is_empty() => {}
        b"in" | b"ti" => {
            let digits = arg
                .strip_prefix(b"+")
                .or_else(|| arg.strip_prefix(b"-"))
                .unwrap_or(arg);
            if digits.is_empty() || digits.len() > 3 || !digits.iter().all(u8::is_ascii_digit) {
                return false;
            }
        }
        _ => return false,
    }
    true
}

/// Escape a value for writing into a message with these delimiters.
///
/// Delimiters and the escape character become `\F\ \S\ \T\ \R\ \E\ \P\`; CR and LF become `\X0D\`
/// and `\X0A\` so that they cannot split a segment. Returns `None` when the value needs escaping but
/// the message has no usable escape character (MSH-2 shorter than 3 characters, or a letter/digit).
///
/// ```
/// use ehr_studio_bridge::hl7::{escape::{decode, encode}, Delimiters};
/// let d = Delimiters::default();
/// let v = "A|B^C&D~E\\F\r\n";
/// let e = encode(v, &d).unwrap();
/// assert_eq!(e, r"A\F\B\S\C\T\D\R\E\E\F\X0D\\X0A\");
/// assert_eq!(decode(&e, &d), v);
/// ```
pub fn encode<'a>(value: &'a str, d: &Delimiters) -> Option<Cow<'a, str>> {
    let special = |b: u8| {
        b == d.field
            || Some(b) == d.component
            || Some(b) == d.repetition
            || Some(b) == d.escape
            || Some(b) == d.subcomponent
            || Some(b) == d.truncation
            || b == b'\r'
            || b == b'\n'
    };
    if value == "\"\"" {
        // Written as is, `""` would mean "present but null"; hex-escape the text instead.
        let esc = char::from(d.escape.filter(|e| !e.is_ascii_alphanumeric())?);
        return Some(Cow::Owned(format!("{esc}X2222{esc}")));
    }
    if !value.bytes().any(special) {
        return Some(Cow::Borrowed(value));
    }
    // An alphanumeric escape character cannot be written unambiguously (`S` would be both the
    // escape character and the code letter of `\S\`).
    let esc = char::from(d.escape.filter(|e| !e.is_ascii_alphanumeric())?);
    let mut out = String::with_capacity(value.len() + 8);
    for ch in value.chars() {
        let code = match ch {
            c if c.is_ascii() && special(c as u8) => {
                let b = c as u8;
                if b == d.field {
                    "F"
                } else if Some(b) == d.escape {
                    "E"
                } else if Some(b) == d.component {
                    "S"
                } else if Some(b) == d.subcomponent {
                    "T"
                } else if Some(b) == d.repetition {
                    "R"
                } else if Some(b) == d.truncation {
                    "P"
                } else if b == b'\r' {
                    "X0D"
                } else {
                    "X0A"
                }
            }
            c => {
                out.push(c);
                continue;
            }
        };
        out.push(esc);
        out.push_str(code);
        out.push(esc);
    }
    Some(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d() -> Delimiters {
        Delimiters::default()
    }

    #[test]
    fn basic_sequences() {
        assert_eq!(decode(r"\F\\S\\T\\R\\E\", &d()), "|^&~\\");
        assert_eq!(decode("plain", &d()), "plain");
        assert!(matches!(decode("plain", &d()), Cow::Borrowed(_)));
    }

    #[test]
    fn hex_multi_byte_and_utf8() {
        assert_eq!(decode(r"a\X0D0A\b", &d()), "a\r\nb");
        assert_eq!(decode(r"\XC3A9\", &d()), "é");
        assert_eq!(decode(r"\XE9\", &d()), "é"); // not UTF-8: Latin-1
        assert_eq!(decode(r"\X0D\\X0A\", &d()), "\r\n"); // back to back (ruby-hl7#80)
        assert_eq!(decode(r"\X0\", &d()), r"\X0\"); // odd digit count: kept
        assert_eq!(decode(r"\XZZ\", &d()), r"\XZZ\");
    }

    #[test]
    fn formatting() {
        assert_eq!(decode(r"a\.br\b", &d()), "a\nb");
        assert_eq!(decode(r"a\.sp2\b", &d()), "a\n\nb");
        assert_eq!(decode(r"a\.sk3\b", &d()), "a   b");
        assert_eq!(decode(r"\.fi\a\.nf\\.in+4\\.ti-2\\.ce\b", &d()), "ab");
        assert_eq!(decode(r"\H\bold\N\", &d()), "bold");
        assert_eq!(decode(r"\.zz\", &d()), r"\.zz\");
    }

    #[test]
    fn unknown_and_malformed_are_kept() {
        assert_eq!(decode(r"\Zlocal\", &d()), r"\Zlocal\");
        assert_eq!(decode(r"\C2842\x\M2442\", &d()), r"\C2842\x\M2442\");
        // python-hl7#84: the trailing backslash must not be lost
        assert_eq!(decode(r"\E\R\", &d()), r"\R\");
        // Efferent-Health/HL7-dotnetcore#113: escape at the very end
        assert_eq!(decode(r"abc\", &d()), r"abc\");
        assert_eq!(decode(r"abc\E\", &d()), r"abc\");
        // #117: \E\T\E\ is the text \T\, not &
        assert_eq!(decode(r"\E\T\E\", &d()), r"\T\");
        // unknown sequence followed by a valid one
        assert_eq!(decode(r"a\b\E\", &d()), r"a\b\");
        assert_eq!(decode(r"\\", &d()), r"\\");
    }

    #[test]
    fn truncation_only_when_declared() {
        assert_eq!(decode(r"\P\", &d()), r"\P\");
        let t = Delimiters {
            truncation: Some(b'#'),
            ..Delimiters::default()
        };
        assert_eq!(decode(r"a\P\b", &t), "a#b");
    }

    #[test]
    fn custom_escape_char() {
        let x = Delimiters {
            field: b'|',
            component: Some(b'$'),
            repetition: Some(b'!'),
            escape: Some(b'%'),
            subcomponent: Some(b'*'),
            truncation: None,
        };
        assert_eq!(decode("%F% and %T%", &x), "| and *");
        assert_eq!(decode(r"back\slash", &x), r"back\slash");
    }

    #[test]
    fn encode_round_trip() {
        let t = Delimiters {
            truncation: Some(b'#'),
            ..Delimiters::default()
        };
        for v in [
            "",
            "x",
            "|^~\\&#",
            "a\rb\nc",
            "naïve — 中文 🚀",
            "\\E\\",
            "#",
            "\"\"",
            "\"",
        ] {
            let e = encode(v, &t).unwrap();
            assert_eq!(decode(&e, &t), v, "{v:?} -> {e:?}");
        }
        // A literal `""` must not be written as the null marker.
        assert_eq!(encode("\"\"", &t).unwrap(), "\\X2222\\");
    }

    #[test]
    fn encode_without_escape_char() {
        let x = Delimiters {
            escape: None,
            ..Delimiters::default()
        };
        assert_eq!(encode("plain", &x).as_deref(), Some("plain"));
        assert_eq!(encode("a|b", &x), None);
    }
}
