//! A minimal JSON text writer for the hot outputs (the Studio `Parameters`, the lean `Execution`
//! result), byte-identical to `serde_json`'s compact output for the same values, and an
//! ASCII-only variant for text that crosses the JavaScript boundary.
//!
//! Why: `serde_json` escapes through a generic `io::Write` one fragment at a time, which costs
//! more than the values themselves for the short, mostly clean strings written here (and much more
//! in wasm). Strings are written in runs between the bytes that need an escape.
//!
//! The ASCII variant ([`Ascii::Yes`]) also writes every non-ASCII character as `\uXXXX` (a
//! surrogate pair above U+FFFF). `JSON.parse` reads the same string either way, but the UTF-8 →
//! UTF-16 decoding of the text by `TextDecoder` at the boundary is several times faster when the
//! text is pure ASCII (Node 20: 5 KB with one `→`: 3.4 µs; escaped: 0.3 µs).

/// Whether non-ASCII characters are escaped (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ascii {
    /// UTF-8 as is (`serde_json`'s output).
    No,
    /// `\uXXXX` for every non-ASCII character.
    Yes,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `serde_json`'s escape of one byte below 0x20 or `"` / `\` (`None`: written as is).
fn short_escape(b: u8) -> Option<&'static str> {
    Some(match b {
        b'"' => "\\\"",
        b'\\' => "\\\\",
        0x08 => "\\b",
        0x0c => "\\f",
        b'\n' => "\\n",
        b'\r' => "\\r",
        b'\t' => "\\t",
        _ => return None,
    })
}

fn push_u_escape(out: &mut String, unit: u32) {
    out.push_str("\\u");
    for shift in [12u32, 8, 4, 0] {
        let d = HEX
            .get(((unit >> shift) & 0xf) as usize)
            .copied()
            .unwrap_or(b'0');
        out.push(char::from(d));
    }
}

/// Append `s` as a JSON string (quotes included).
pub fn push_str(out: &mut String, s: &str, ascii: Ascii) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0usize;
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        let plain = b >= 0x20 && b != b'"' && b != b'\\' && (b < 0x80 || ascii == Ascii::No);
        if plain {
            i += 1;
            continue;
        }
        out.push_str(s.get(start..i).unwrap_or(""));
        if b < 0x80 {
            match short_escape(b) {
                Some(e) => out.push_str(e),
                None => push_u_escape(out, u32::from(b)),
            }
            i += 1;
        } else {
            // A character start (runs end only at ASCII bytes or character starts).
            let c = s
                .get(i..)
                .and_then(|r| r.chars().next())
                .unwrap_or('\u{fffd}');
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                push_u_escape(out, u32::from(*u));
            }
            i += c.len_utf8().max(1);
        }
        start = i;
    }
    out.push_str(s.get(start..).unwrap_or(""));
    out.push('"');
}

/// Append `s` as a JSON string when it is known to need no escape at all (checked in debug
/// builds): form-encoded text, hex digests, fixed ASCII.
pub fn push_clean(out: &mut String, s: &str) {
    debug_assert!(s
        .bytes()
        .all(|b| (0x20..0x80).contains(&b) && b != b'"' && b != b'\\'));
    out.reserve(s.len() + 2);
    out.push('"');
    out.push_str(s);
    out.push('"');
}

/// Append `"key":` (the key is a Rust literal that needs no escape).
pub fn push_key(out: &mut String, key: &str) {
    out.push('"');
    out.push_str(key);
    out.push_str("\":");
}

/// `serde_json::ser::Formatter` that writes every non-ASCII character as `\uXXXX` (see
/// [`Ascii::Yes`]); everything else is `serde_json`'s compact format.
pub struct AsciiFormatter;

impl serde_json::ser::Formatter for AsciiFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        if fragment.is_ascii() {
            return writer.write_all(fragment.as_bytes());
        }
        let mut buf = String::with_capacity(fragment.len() + 16);
        let mut start = 0usize;
        for (i, c) in fragment.char_indices() {
            if c.is_ascii() {
                continue;
            }
            buf.push_str(fragment.get(start..i).unwrap_or(""));
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                push_u_escape(&mut buf, u32::from(*u));
            }
            start = i + c.len_utf8();
        }
        buf.push_str(fragment.get(start..).unwrap_or(""));
        writer.write_all(buf.as_bytes())
    }
}

/// `value` as compact JSON text with every non-ASCII character escaped (see [`Ascii::Yes`]).
pub fn to_ascii_string<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, AsciiFormatter);
    value.serialize(&mut ser)?;
    // The formatter writes ASCII only, and serde_json's own output is valid UTF-8.
    String::from_utf8(out).map_err(|e| serde::ser::Error::custom(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: &[&str] = &[
        "",
        "plain",
        "quote \" backslash \\ slash /",
        "\u{0}\u{1}\u{8}\u{9}\u{a}\u{b}\u{c}\u{d}\u{1f}\u{7f}",
        "é → 山田 😀 \u{2028}\u{feff}",
        "a\"é\\\n😀z",
        "\"",
        "😀",
    ];

    #[test]
    fn strings_match_serde_json() {
        for s in SAMPLES {
            let mut out = String::new();
            push_str(&mut out, s, Ascii::No);
            assert_eq!(out, serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn ascii_strings_parse_to_the_same_value() {
        for s in SAMPLES {
            let mut out = String::new();
            push_str(&mut out, s, Ascii::Yes);
            assert!(out.is_ascii(), "{out}");
            assert_eq!(serde_json::from_str::<String>(&out).unwrap(), *s);
            // The same bytes as the serde formatter.
            assert_eq!(out, to_ascii_string(s).unwrap());
        }
    }

    #[test]
    fn ascii_formatter_keeps_structure() {
        let v = serde_json::json!({"a→": ["é", 1, null, {"k": "😀\n"}], "b": true});
        let t = to_ascii_string(&v).unwrap();
        assert!(t.is_ascii());
        assert_eq!(serde_json::from_str::<serde_json::Value>(&t).unwrap(), v);
    }
}
