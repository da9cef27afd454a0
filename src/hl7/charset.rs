//! Turning raw message bytes into text.
//!
//! The policy (documented in the README, tested on the corpus):
//!
//! 1. A UTF-8 byte-order mark is dropped.
//! 2. Bytes that are valid UTF-8 are read as UTF-8 — even when MSH-18 declares `8859/1`. Real feeds
//!    declare Latin-1 and send UTF-8 (corpus: `xplore_orbis_siu_s14_fr`, `nodehl7client_dutch_adt_a08`),
//!    while Latin-1 text with accented letters is almost never valid UTF-8, so this order is safe. A
//!    warning (`CHARSET_DECLARED_MISMATCH`) records the disagreement.
//! 3. Bytes that are not valid UTF-8 are decoded with the charset MSH-18 declares: `8859/15` as
//!    Latin-9, every other declaration (or none) as Latin-1, which cannot fail. When MSH-18 said UTF-8
//!    (or nothing), the fallback is recorded as `CHARSET_LATIN1_FALLBACK`.
//!
//! MSH-18 is read from the raw bytes before decoding: the MSH segment up to MSH-18 is ASCII in every
//! charset HL7 allows.

use crate::error::Warning;
use std::borrow::Cow;

/// The character set actually used to decode the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Charset {
    /// UTF-8 (also used for pure ASCII).
    #[serde(rename = "UTF-8")]
    Utf8,
    /// ISO-8859-1.
    #[serde(rename = "ISO-8859-1")]
    Latin1,
    /// ISO-8859-15.
    #[serde(rename = "ISO-8859-15")]
    Latin9,
}

impl Charset {
    /// Name as shown to users.
    pub fn name(self) -> &'static str {
        match self {
            Charset::Utf8 => "UTF-8",
            Charset::Latin1 => "ISO-8859-1",
            Charset::Latin9 => "ISO-8859-15",
        }
    }
}

/// What MSH-18 declared, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Declared {
    None,
    Utf8,
    Ascii,
    Latin1,
    Latin9,
    Other,
}

/// Result of [`decode`].
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The text.
    pub text: Cow<'a, str>,
    /// The charset used.
    pub charset: Charset,
    /// MSH-18 as written (first repetition), if present.
    pub declared: Option<String>,
    /// Findings.
    pub warnings: Vec<Warning>,
}

/// Decode raw message bytes to text following the module's policy. Never fails.
pub fn decode(bytes: &[u8]) -> Decoded<'_> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let declared_raw = read_msh18(bytes);
    let declared = declared_raw
        .as_deref()
        .map(classify)
        .unwrap_or(Declared::None);
    let mut warnings = Vec::new();
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            // (The ASCII scan only when the declaration makes it matter.)
            if matches!(
                declared,
                Declared::Latin1 | Declared::Latin9 | Declared::Ascii
            ) && !text.is_ascii()
            {
                warnings.push(Warning::new(
                    "CHARSET_DECLARED_MISMATCH",
                    "MSH-18 declares a single-byte character set but the bytes are valid UTF-8; decoded as UTF-8",
                ));
            }
            Decoded {
                text: Cow::Borrowed(text),
                charset: Charset::Utf8,
                declared: declared_raw,
                warnings,
            }
        }
        Err(_) => {
            let charset = if declared == Declared::Latin9 {
                Charset::Latin9
            } else {
                Charset::Latin1
            };
            if matches!(
                declared,
                Declared::None | Declared::Utf8 | Declared::Ascii | Declared::Other
            ) {
                warnings.push(Warning::new(
                    "CHARSET_LATIN1_FALLBACK",
                    "the bytes are not valid UTF-8; decoded as ISO-8859-1",
                ));
            }
            let text = match charset {
                Charset::Latin9 => bytes.iter().map(|&b| latin9_char(b)).collect(),
                _ => bytes.iter().map(|&b| char::from(b)).collect(),
            };
            Decoded {
                text: Cow::Owned(text),
                charset,
                declared: declared_raw,
                warnings,
            }
        }
    }
}

fn latin9_char(b: u8) -> char {
    match b {
        0xA4 => '€',
        0xA6 => 'Š',
        0xA8 => 'š',
        0xB4 => 'Ž',
        0xB8 => 'ž',
        0xBC => 'Œ',
        0xBD => 'œ',
        0xBE => 'Ÿ',
        _ => char::from(b),
    }
}

fn classify(raw: &str) -> Declared {
    // Upper-cased without white space, '-' and '_' ([`read_msh18`] gives ASCII only; longer text
    // than the buffer is no known name).
    let mut buf = [0u8; 24];
    let mut n = 0usize;
    for c in raw.chars() {
        if c.is_whitespace() || c == '-' || c == '_' {
            continue;
        }
        if !c.is_ascii() {
            return classify_unicode(raw);
        }
        match buf.get_mut(n) {
            Some(slot) => *slot = c.to_ascii_uppercase() as u8,
            None => return Declared::Other,
        }
        n += 1;
    }
    match buf.get(..n).unwrap_or(&[]) {
        b"" => Declared::None,
        b"UNICODEUTF8" | b"UTF8" | b"UNICODE" => Declared::Utf8,
        b"ASCII" => Declared::Ascii,
        b"8859/1" | b"ISO8859/1" | b"ISO88591" | b"88591" | b"LATIN1" => Declared::Latin1,
        b"8859/15" | b"ISO8859/15" | b"ISO885915" | b"885915" => Declared::Latin9,
        _ => Declared::Other,
    }
}

/// [`classify`] of text with non-ASCII characters (never a known name once upper-cased, unless
/// white space hides: the general rule).
fn classify_unicode(raw: &str) -> Declared {
    let norm: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
        .flat_map(char::to_uppercase)
        .collect();
    match norm.as_str() {
        "" => Declared::None,
        "UNICODEUTF8" | "UTF8" | "UNICODE" => Declared::Utf8,
        "ASCII" => Declared::Ascii,
        "8859/1" | "ISO8859/1" | "ISO88591" | "88591" | "LATIN1" => Declared::Latin1,
        "8859/15" | "ISO8859/15" | "ISO885915" | "885915" => Declared::Latin9,
        _ => Declared::Other,
    }
}

/// Read the first repetition/component of MSH-18 from raw bytes without decoding them.
fn read_msh18(bytes: &[u8]) -> Option<String> {
    let start = find_header(bytes)?;
    let seg = bytes.get(start..)?;
    let sep = *seg.get(3)?;
    // Segment ends at the first CR or LF.
    let end = memchr::memchr2(b'\r', b'\n', seg).unwrap_or(seg.len());
    let seg = seg.get(..end)?;
    // Separator-delimited pieces: "MSH", MSH-2, MSH-3, … (MSH-1 is the separator itself), so
    // MSH-2 follows the 1st separator and MSH-18 the 17th.
    let mut seps = memchr::memchr_iter(sep, seg);
    let first = seps.next()?;
    let enc = seg.get(first + 1..)?;
    let comp = enc.first().copied().filter(|&c| c != sep);
    let rep = enc
        .get(1)
        .copied()
        .filter(|_| comp.is_some() && enc.get(1) != Some(&sep));
    let at = seps.nth(15)?;
    let value = seg.get(at + 1..)?;
    let value = value.get(..memchr::memchr(sep, value).unwrap_or(value.len()))?;
    first_component(value, comp, rep)
}

/// MSH-18's first repetition/component (cut at the component or repetition separator), when it
/// is non-empty ASCII.
fn first_component(value: &[u8], comp: Option<u8>, rep: Option<u8>) -> Option<String> {
    let mut end = value.len();
    for (i, &b) in value.iter().enumerate() {
        if Some(b) == comp || Some(b) == rep {
            end = i;
            break;
        }
    }
    let v = value.get(..end)?;
    if v.is_empty() || !v.is_ascii() {
        return None;
    }
    std::str::from_utf8(v).ok().map(str::to_owned)
}

/// Offset of the first `MSH` in the leading part of the bytes (after framing/whitespace).
fn find_header(bytes: &[u8]) -> Option<usize> {
    let skip = bytes
        .iter()
        .position(|&b| !(b == 0x0B || b.is_ascii_whitespace()))?;
    let rest = bytes.get(skip..)?;
    if rest.starts_with(b"MSH") {
        return Some(skip);
    }
    // Batch files: FHS/BHS come first; look for the first MSH at a segment start.
    let mut i = 0;
    while i + 3 <= rest.len() {
        if (i == 0 || matches!(rest.get(i - 1), Some(b'\r' | b'\n')))
            && rest.get(i..i + 3) == Some(b"MSH")
        {
            return Some(skip + i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An MSH with MSH-18 set.
    fn msh18(v: &str) -> String {
        format!("MSH|^~\\&{}{v}\r", "|".repeat(16))
    }

    #[test]
    fn utf8_is_borrowed() {
        let t = msh18("UNICODE UTF-8") + "PID|||1||Zoë";
        let d = decode(t.as_bytes());
        assert!(matches!(d.text, Cow::Borrowed(_)));
        assert_eq!(d.charset, Charset::Utf8);
        assert_eq!(d.declared.as_deref(), Some("UNICODE UTF-8"));
        assert!(d.warnings.is_empty());
    }

    #[test]
    fn latin1_bytes_are_decoded_as_declared() {
        let mut b = (msh18("8859/1") + "PID|||1||M").into_bytes();
        b.push(0xDC); // Ü
        b.extend_from_slice(b"LLER");
        let d = decode(&b);
        assert_eq!(d.charset, Charset::Latin1);
        assert!(d.text.ends_with("MÜLLER"));
        assert!(d.warnings.is_empty());
    }

    #[test]
    fn latin9_euro() {
        let mut b = (msh18("8859/15") + "NTE|||").into_bytes();
        b.push(0xA4);
        let d = decode(&b);
        assert_eq!(d.charset, Charset::Latin9);
        assert!(d.text.ends_with('€'));
    }

    #[test]
    fn declared_latin1_but_utf8_warns() {
        let t = msh18("8859/1") + "PID|||1||Testpatiënt";
        let d = decode(t.as_bytes());
        assert_eq!(d.charset, Charset::Utf8);
        assert_eq!(
            d.warnings.first().map(|w| w.code),
            Some("CHARSET_DECLARED_MISMATCH")
        );
    }

    #[test]
    fn invalid_utf8_without_declaration_falls_back() {
        let d = decode(b"MSH|^~\\&|A\rPID|||1||Jos\xE9");
        assert_eq!(d.charset, Charset::Latin1);
        assert!(d.text.ends_with("José"));
        assert_eq!(
            d.warnings.first().map(|w| w.code),
            Some("CHARSET_LATIN1_FALLBACK")
        );
    }

    #[test]
    fn nondefault_delimiters_msh18() {
        let t = format!("MSH^~|\\&{}8859/1~UTF-8\rPID", "^".repeat(16));
        let d = decode(t.as_bytes());
        assert_eq!(d.declared.as_deref(), Some("8859/1"));
    }

    /// `read_msh18` and `classify` as first written (a byte loop and `split`, a `String` per
    /// name): the faster ones must agree on every input. (The value's cut is shared.)
    fn reference_msh18(bytes: &[u8]) -> Option<String> {
        let start = find_header(bytes)?;
        let seg = bytes.get(start..)?;
        let sep = *seg.get(3)?;
        let end = seg
            .iter()
            .position(|&b| b == b'\r' || b == b'\n')
            .unwrap_or(seg.len());
        let seg = seg.get(..end)?;
        let mut pieces = seg.split(|&b| b == sep);
        let enc = pieces.nth(1)?;
        let comp = enc.first().copied();
        let rep = enc.get(1).copied();
        let value = pieces.nth(15)?;
        first_component(value, comp, rep)
    }

    fn reference_classify(raw: &str) -> Declared {
        classify_unicode(raw)
    }

    #[test]
    fn msh18_reading_equals_the_reference() {
        let bases = [
            msh18("UNICODE UTF-8") + "PID|1",
            msh18("8859/1~UTF-8^x") + "PID|1",
            format!("MSH^~|\\&{}8859/15~UTF-8\rPID", "^".repeat(16)),
            "MSH||||||||||||||||| utf_8 |\r".to_owned(),
            "MSH|^|||||||||||||||iso-8859-1\n".to_owned(),
            "\x0b \r\nFHS|^~\\&\rMSH|^~\\&|||||||||||||||Latin1|x\r".to_owned(),
            "MSH|^~\\&|||||||||||||||".to_owned(),
        ];
        let alphabet = b"|^~\\&\r\n -_ulatin8859/15UTF\x0b\xc3\xa9";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut checked = 0;
        for base in &bases {
            for round in 0..400 {
                let mut b = base.clone().into_bytes();
                for _ in 0..(round % 4) {
                    let i = (next() as usize) % (b.len() + 1);
                    let c = alphabet[(next() as usize) % alphabet.len()];
                    match next() % 3 {
                        0 if i < b.len() => b[i] = c,
                        1 if i < b.len() => {
                            b.remove(i);
                        }
                        _ => b.insert(i, c),
                    }
                }
                let want = reference_msh18(&b);
                assert_eq!(read_msh18(&b), want, "{:?}", String::from_utf8_lossy(&b));
                if let Some(v) = &want {
                    assert_eq!(classify(v), reference_classify(v), "{v:?}");
                }
                checked += 1;
            }
        }
        assert!(checked >= 2800);
        for name in [
            "",
            " ",
            "u-t-f 8",
            "UniCode",
            "iso_8859/15",
            "ÄSCII",
            "ascii\u{b}",
            "x".repeat(40).as_str(),
        ] {
            assert_eq!(classify(name), reference_classify(name), "{name:?}");
        }
    }

    #[test]
    fn bom_is_dropped() {
        let d = decode(b"\xEF\xBB\xBFMSH|^~\\&|A");
        assert!(d.text.starts_with("MSH"));
    }
}
