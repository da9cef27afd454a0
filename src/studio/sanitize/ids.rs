//! Ids the flow cannot carry as they are: percent-encoded on the way out ([`encode_id`]) and
//! decoded when the patient's reply comes back ([`decode_id`]).

use std::borrow::Cow;

/// Characters an id may keep as they are: the PAM id class minus the flow-data delimiters, the
/// S3-key and JSON hazards, and `%` (the escape, kept only as the start of a `%XX` sequence).
fn id_keep(c: char) -> bool {
    u8::try_from(c).is_ok_and(id_keep_byte)
}

/// [`id_keep`] of an ASCII character (false for any byte ≥ 0x80).
fn id_keep_byte(b: u8) -> bool {
    crate::studio::params::ascii_class(b) & crate::studio::params::C_ID != 0
        && !matches!(b, b',' | b'=' | b'{' | b'}' | b'/' | b'\\' | b'"' | b'%')
}

/// A `%XX` escape (upper-case hex, as [`encode_id`] writes it) at byte `i`.
fn is_escape_at(b: &[u8], i: usize) -> bool {
    b.get(i) == Some(&b'%')
        && b.get(i + 1)
            .is_some_and(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c))
        && b.get(i + 2)
            .is_some_and(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c))
}

/// Percent-encode what an id cannot carry (reversible; see the module docs). A `%XX` sequence
/// already present is kept, so encoding is idempotent.
///
/// ```
/// use ehr_studio_bridge::studio::sanitize::encode_id;
/// assert_eq!(encode_id("A/1"), "A%2F1");
/// assert_eq!(encode_id("PL123"), "PL123");
/// assert_eq!(encode_id("x,é"), "x%2C%C3%A9");
/// assert_eq!(encode_id("A%2F1"), "A%2F1");
/// assert_eq!(encode_id("50%"), "50%25");
/// ```
pub fn encode_id(v: &str) -> Cow<'_, str> {
    let b = v.as_bytes();
    // Bytewise: every character kept is ASCII.
    let ok = b
        .iter()
        .enumerate()
        .all(|(i, &c)| id_keep_byte(c) || (c == b'%' && is_escape_at(b, i)));
    if ok {
        return Cow::Borrowed(v);
    }
    let mut out = String::with_capacity(v.len() + 8);
    let mut buf = [0u8; 4];
    for (i, c) in v.char_indices() {
        if id_keep(c) || (c == '%' && is_escape_at(b, i)) {
            out.push(c);
        } else {
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push('%');
                out.push(hex(b >> 4));
                out.push(hex(b & 0xf));
            }
        }
    }
    Cow::Owned(out)
}

/// Reverse [`encode_id`]: every `%XX` (upper-case hex, as `encode_id` writes) becomes its byte.
/// Applied to the ids of a patient reply, so the EHR request carries the id the EHR sent. (A
/// literal `%XX` in an EHR id is therefore not round-tripped; `encode_id` keeps such sequences,
/// which makes encoding idempotent — the documented trade-off.)
///
/// ```
/// use ehr_studio_bridge::studio::sanitize::{decode_id, encode_id};
/// for id in ["A/1", "x,é", "50%", "PL123", "a=b{c}\\\"d"] {
///     assert_eq!(decode_id(&encode_id(id)), id);
/// }
/// assert_eq!(decode_id("%E9"), "%E9"); // not UTF-8 once decoded: kept as written
/// ```
pub fn decode_id(v: &str) -> Cow<'_, str> {
    let b = v.as_bytes();
    if !(0..b.len()).any(|i| is_escape_at(b, i)) {
        return Cow::Borrowed(v);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if is_escape_at(b, i) {
            let n = |k: usize| {
                b.get(k).map_or(0, |&d| {
                    if d.is_ascii_digit() {
                        d - b'0'
                    } else {
                        d - b'A' + 10
                    }
                })
            };
            out.push(n(i + 1) << 4 | n(i + 2));
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(_) => Cow::Borrowed(v),
    }
}

/// The upper-case hex digit of a nibble.
fn hex(n: u8) -> char {
    char::from(if n < 10 { b'0' + n } else { b'A' + n - 10 })
}
