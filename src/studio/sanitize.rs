//! PAM sanitization: make every `Parameters` value pass the PAM validator and survive the
//! `{k=v, …}` parsing ([`super::params`]).
//!
//! * **repair** (default): names and the location are transliterated to the PAM Latin set
//!   (`Nguyễn` → `Nguyen`, `æ` → `ae`, `’` → `'`), punctuation the flow cannot carry is replaced
//!   (`&` → `and`, `/` → `-`, `,` → ` - ` in a location and a space in names) and anything else is
//!   removed; ids are percent-encoded (reversibly: `A/1` → `A%2F1`) because a changed id could not
//!   be matched when the patient's reply comes back; callback phones keep `[0-9+\-() ]` only. Each
//!   change is a coded warning (`SANITIZE_TRANSLITERATED`, `SANITIZE_REPLACED`, `SANITIZE_REMOVED`,
//!   `SANITIZE_EMPTIED`, `SANITIZE_ID_ENCODED`) naming the field, never the value.
//! * **strict**: any value that would need a change is an error (`MAP_STRICT_REJECTED`, with a JSON
//!   pointer to the key).
//!
//! Values the mapper computes (event type, times, offset, E.164 phone) are checked, never changed.

use super::params::{check_value, hazard, name_char_ok};
use crate::error::{Error, ErrorCode, Result, Warning};
use crate::event::{AppointmentEvent, Detail, Field};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// PAM sanitization mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SanitizeMode {
    /// Transliterate / replace, with a warning per change.
    #[default]
    Repair,
    /// Reject any value the PAM flow would not accept (`MAP_STRICT_REJECTED`).
    Strict,
}

#[derive(Default)]
struct Changes {
    transliterated: usize,
    replaced: usize,
    removed: usize,
}

enum Repl {
    Letters(&'static str),
    Punct(&'static str),
    Drop,
}

/// Transliteration of one character that is not in the PAM name class.
fn repl(c: char, location: bool) -> Repl {
    use Repl::*;
    // Vietnamese and other precomposed letters of Latin Extended Additional (U+1EA0–U+1EF9):
    // pairs upper/lower by base letter.
    let u = c as u32;
    if (0x1EA0..=0x1EF9).contains(&u) {
        let upper = u % 2 == 0;
        let base = match u {
            0x1EA0..=0x1EB7 => "a",
            0x1EB8..=0x1EC7 => "e",
            0x1EC8..=0x1ECB => "i",
            0x1ECC..=0x1EE3 => "o",
            0x1EE4..=0x1EF1 => "u",
            _ => "y",
        };
        return Letters(match (base, upper) {
            ("a", true) => "A",
            ("e", true) => "E",
            ("i", true) => "I",
            ("o", true) => "O",
            ("u", true) => "U",
            ("y", true) => "Y",
            (b, _) => b,
        });
    }
    if (0x0300..=0x036F).contains(&u) {
        // Combining diacritical marks (decomposed input): drop the mark, keep the base letter.
        return Letters("");
    }
    match c {
        'æ' => Letters("ae"),
        'œ' => Letters("oe"),
        'Ð' | 'Đ' | 'Ď' => Letters("D"),
        'đ' | 'ď' => Letters("d"),
        'Þ' => Letters("Th"),
        'þ' => Letters("th"),
        'ª' | 'ā' | 'ă' | 'ǎ' | 'ȁ' | 'ȃ' => Letters("a"),
        'Ā' | 'Ă' | 'Ǎ' => Letters("A"),
        'ĉ' | 'ċ' => Letters("c"),
        'Ĉ' | 'Ċ' => Letters("C"),
        'ē' | 'ĕ' | 'ě' => Letters("e"),
        'Ē' | 'Ĕ' | 'Ě' => Letters("E"),
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => Letters("g"),
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => Letters("G"),
        'ĥ' | 'ħ' => Letters("h"),
        'Ĥ' | 'Ħ' => Letters("H"),
        'ĩ' | 'ĭ' | 'ı' | 'ǐ' => Letters("i"),
        'Ĩ' | 'Ĭ' | 'İ' | 'Ǐ' | 'Ī' => Letters("I"),
        'ī' => Letters("i"),
        'ĳ' => Letters("ij"),
        'Ĳ' => Letters("IJ"),
        'ĵ' => Letters("j"),
        'Ĵ' => Letters("J"),
        'ķ' | 'ĸ' => Letters("k"),
        'Ķ' => Letters("K"),
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' => Letters("l"),
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' => Letters("L"),
        'ņ' | 'ň' | 'ŉ' | 'ŋ' => Letters("n"),
        'Ņ' | 'Ň' | 'Ŋ' => Letters("N"),
        'º' | 'ō' | 'ŏ' | 'ǒ' | 'ơ' => Letters("o"),
        'Ō' | 'Ŏ' | 'Ǒ' | 'Ơ' => Letters("O"),
        'ő' => Letters("ö"),
        'Ő' => Letters("Ö"),
        'ŕ' | 'ŗ' | 'ř' => Letters("r"),
        'Ŕ' | 'Ŗ' | 'Ř' => Letters("R"),
        'ś' | 'ŝ' | 'ş' | 'ș' | 'ſ' => Letters("s"),
        'Ś' | 'Ŝ' | 'Ş' | 'Ș' => Letters("S"),
        'ţ' | 'ť' | 'ŧ' | 'ț' => Letters("t"),
        'Ţ' | 'Ť' | 'Ŧ' | 'Ț' => Letters("T"),
        'ũ' | 'ŭ' | 'ů' | 'ǔ' | 'ư' => Letters("u"),
        'Ũ' | 'Ŭ' | 'Ů' | 'Ǔ' | 'Ư' => Letters("U"),
        'ű' => Letters("ü"),
        'Ű' => Letters("Ü"),
        'ŵ' => Letters("w"),
        'Ŵ' => Letters("W"),
        'ŷ' => Letters("y"),
        'Ŷ' => Letters("Y"),
        'ẞ' => Letters("SS"),
        // Punctuation.
        '’' | '‘' | '‛' | '`' | '´' | 'ʼ' | '′' | 'ʻ' => Punct("'"),
        '–' | '—' | '‐' | '‑' | '‒' | '−' | '_' | '/' | '\\' | '|' => Punct("-"),
        '&' | '+' if location => Punct(" and "),
        '@' if location => Punct(" at "),
        '&' | '+' | '@' => Punct(" "),
        ',' | ';' => Punct(if location { " - " } else { " " }),
        '"' | '“' | '”' | '„' | '«' | '»' => Punct(""),
        c if c.is_whitespace() || c.is_control() => Punct(" "),
        '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | '#' | ':' | '!' | '?' | '*' | '%' | '$'
        | '^' | '~' | '=' | '·' | '•' => Punct(" "),
        _ => Drop,
    }
}

/// Repair a name or location. Returns the value (borrowed when already fine) and what changed.
fn repair_text(v: &str, location: bool) -> (Cow<'_, str>, Changes) {
    let mut ch = Changes::default();
    let t = crate::text::trim(v);
    if is_clean_text(t) {
        return (Cow::Borrowed(t), ch);
    }
    let mut out = String::with_capacity(t.len() + 8);
    for c in t.chars() {
        if name_char_ok(c) && c != ',' {
            out.push(c);
            continue;
        }
        match repl(c, location) {
            Repl::Letters(s) => {
                ch.transliterated += 1;
                out.push_str(s);
            }
            Repl::Punct(s) => {
                if c != ' ' {
                    ch.replaced += 1;
                }
                out.push_str(s);
            }
            Repl::Drop => ch.removed += 1,
        }
    }
    // Collapse whitespace runs, trim.
    let mut collapsed = String::with_capacity(out.len());
    for w in out.split(' ').filter(|w| !w.is_empty()) {
        if !collapsed.is_empty() {
            collapsed.push(' ');
        }
        collapsed.push_str(w);
    }
    (Cow::Owned(collapsed), ch)
}

/// Whether [`repair_text`] leaves `t` as it is: every character in the name class except `,`,
/// and no double space. One byte loop for ASCII text; the character test otherwise.
fn is_clean_text(t: &str) -> bool {
    if !t.is_ascii() {
        return t.chars().all(|c| name_char_ok(c) && c != ',') && !t.contains("  ");
    }
    let mut prev_space = false;
    for &b in t.as_bytes() {
        let space = b == b' ';
        if (space && prev_space)
            || !(b.is_ascii_alphanumeric() || matches!(b, b' ' | b'.' | b'\'' | b'-'))
        {
            return false;
        }
        prev_space = space;
    }
    true
}

/// Characters an id may keep as they are: the PAM id class minus the flow-data delimiters, the
/// S3-key and JSON hazards, and `%` (the escape, kept only as the start of a `%XX` sequence).
fn id_keep(c: char) -> bool {
    u8::try_from(c).is_ok_and(id_keep_byte)
}

/// [`id_keep`] of an ASCII character (false for any byte ≥ 0x80).
fn id_keep_byte(b: u8) -> bool {
    super::params::ascii_class(b) & super::params::C_ID != 0
        && !matches!(b, b',' | b'=' | b'{' | b'}' | b'/' | b'\\' | b'"' | b'%')
}

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

fn hex(n: u8) -> char {
    char::from(if n < 10 { b'0' + n } else { b'A' + n - 10 })
}

/// Where sanitization warnings go, and whether they carry their message.
struct Sink<'w> {
    out: &'w mut Vec<Warning>,
    detail: Detail,
}

/// Record a warning about `f` (its message is built only when it is kept).
fn warn(w: &mut Sink<'_>, code: &'static str, f: Field, msg: impl FnOnce() -> String) {
    let message = (w.detail == Detail::Full).then(msg);
    w.push(code, f, message);
}

impl Sink<'_> {
    #[inline(never)]
    fn push(&mut self, code: &'static str, f: Field, message: Option<String>) {
        self.out.push(Warning {
            message: message.unwrap_or_default(),
            ..Warning::code_only(code).for_field(f.name())
        });
    }
}

fn strict_error(f: Field, rule: &str) -> Error {
    Error::new(
        ErrorCode::MapStrictRejected,
        format!(
            "{} would be rejected or mangled by the PAM flow ({rule}); strict sanitization does not repair values",
            f.name()
        ),
    )
    .at_pointer(format!("/{}", f.name()))
}

/// Sanitize every value of `e` in place (see the module docs). Warnings are appended to
/// `warnings`. Errors: `MAP_STRICT_REJECTED` (strict mode), `MAP_BAD_EVENT` (a computed value —
/// event type, time, offset, patient phone — is invalid and cannot be repaired).
pub fn sanitize_event(
    e: &mut AppointmentEvent,
    mode: SanitizeMode,
    warnings: &mut Vec<Warning>,
) -> Result<()> {
    sanitize_event_with(e, mode, warnings, Detail::Full)
}

/// [`sanitize_event`] recording the warnings' codes only with [`Detail::Codes`] (same values,
/// errors and warning codes).
pub fn sanitize_event_with(
    e: &mut AppointmentEvent,
    mode: SanitizeMode,
    warnings: &mut Vec<Warning>,
    detail: Detail,
) -> Result<()> {
    let warnings = &mut Sink {
        out: warnings,
        detail,
    };
    for f in Field::ALL {
        let v = e.get(f);
        let trimmed = crate::text::trim(v);
        let trim_changed = trimmed.len() != v.len();
        let repaired = match f {
            Field::EventType
            | Field::EventDatetimeUtc
            | Field::AppointmentDatetime
            | Field::AppointmentTimezone
            | Field::PatientPhone => check_computed(f, trimmed).map(|()| None)?,
            Field::PatientId | Field::AppointmentId | Field::ProviderId => {
                sanitize_id(f, trimmed, mode, warnings)?
            }
            Field::ProviderCallbackPhone => sanitize_callback(f, trimmed, mode, warnings)?,
            Field::PatientFirstName
            | Field::PatientLastName
            | Field::ProviderFirstName
            | Field::ProviderLastName
            | Field::AppointmentLocation => sanitize_text(f, trimmed, mode, warnings)?,
        };
        match repaired {
            Some(fixed) => *e.get_mut(f) = fixed,
            None if trim_changed => {
                let t = trimmed.to_owned();
                *e.get_mut(f) = t;
            }
            None => {}
        }
    }
    Ok(())
}

/// A value the mapper computed (event type, times, offset, E.164 patient phone) is checked,
/// never changed: `MAP_BAD_EVENT` when the PAM flow would not accept it.
fn check_computed(f: Field, v: &str) -> Result<()> {
    if let Some(rule) = check_value(f, v).or_else(|| hazard(f, v)) {
        if !v.is_empty() || f.required() {
            return Err(Error::new(
                ErrorCode::MapBadEvent,
                format!("{} is not a value the PAM flow accepts ({rule})", f.name()),
            )
            .at_pointer(format!("/{}", f.name())));
        }
    }
    if f == Field::PatientPhone
        && !v.is_empty()
        && !(v.starts_with('+') && v.len() > 1 && v.bytes().skip(1).all(|b| b.is_ascii_digit()))
    {
        return Err(Error::new(
            ErrorCode::MapBadEvent,
            "patient_phone must be E.164 (+ and digits): it is the execution's To",
        )
        .at_pointer("/patient_phone"));
    }
    Ok(())
}

/// An id: percent-encoded when the flow cannot carry it (reversible, `SANITIZE_ID_ENCODED`);
/// `Some` with the new value, `None` when it is fine as is.
fn sanitize_id(
    f: Field,
    v: &str,
    mode: SanitizeMode,
    warnings: &mut Sink<'_>,
) -> Result<Option<String>> {
    let Cow::Owned(encoded) = encode_id(v) else {
        return Ok(None);
    };
    if mode == SanitizeMode::Strict {
        let rule = check_value(f, v)
            .or_else(|| hazard(f, v))
            .unwrap_or("ID_CHARS");
        return Err(strict_error(f, rule));
    }
    warn(warnings, "SANITIZE_ID_ENCODED", f, || {
        format!(
            "{}: characters the PAM flow cannot carry in an id were percent-encoded (reversible)",
            f.name()
        )
    });
    Ok(Some(encoded))
}

/// The callback phone keeps `[0-9+\-() ]` (a `.` becomes a space); `None` when it is fine as is.
fn sanitize_callback(
    f: Field,
    v: &str,
    mode: SanitizeMode,
    warnings: &mut Sink<'_>,
) -> Result<Option<String>> {
    if crate::studio::params::pam_phone_ok(v) || v.is_empty() {
        return Ok(None);
    }
    if mode == SanitizeMode::Strict {
        return Err(strict_error(f, "PAM_PHONE"));
    }
    let mut removed = 0usize;
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | ' ') {
            out.push(c);
        } else if c == '.' {
            out.push(' ');
        } else {
            removed += 1;
        }
    }
    let out = out.trim().to_owned();
    if out.is_empty() {
        warn(warnings, "SANITIZE_EMPTIED", f, || {
            format!("{}: nothing usable was left after sanitization", f.name())
        });
    } else if removed > 0 {
        warn(warnings, "SANITIZE_REMOVED", f, || {
            format!(
                "{}: {removed} character(s) the PAM flow rejects in a phone number were removed",
                f.name()
            )
        });
    }
    Ok(Some(out))
}

/// A name or the location: transliterated to the PAM Latin set, punctuation replaced, the rest
/// removed, a warning per kind of change; `None` when it is fine as is.
fn sanitize_text(
    f: Field,
    v: &str,
    mode: SanitizeMode,
    warnings: &mut Sink<'_>,
) -> Result<Option<String>> {
    let (fixed, ch) = repair_text(v, f == Field::AppointmentLocation);
    let Cow::Owned(fixed) = fixed else {
        return Ok(None);
    };
    let semantic = ch.transliterated + ch.replaced + ch.removed > 0;
    if semantic && mode == SanitizeMode::Strict {
        let rule = check_value(f, v)
            .or_else(|| hazard(f, v))
            .unwrap_or("PAM_NAME");
        return Err(strict_error(f, rule));
    }
    let name = f.name();
    let changes = [
        (
            ch.transliterated,
            "SANITIZE_TRANSLITERATED",
            "letter(s) outside the PAM Latin set were transliterated",
        ),
        (
            ch.replaced,
            "SANITIZE_REPLACED",
            "punctuation character(s) the PAM flow rejects were replaced",
        ),
        (
            ch.removed,
            "SANITIZE_REMOVED",
            "character(s) with no Latin equivalent were removed",
        ),
    ];
    for (n, code, what) in changes {
        if n > 0 {
            warn(warnings, code, f, || format!("{name}: {n} {what}"));
        }
    }
    if fixed.is_empty() && !v.is_empty() {
        warn(warnings, "SANITIZE_EMPTIED", f, || {
            format!("{name}: nothing usable was left after sanitization")
        });
    }
    Ok(Some(fixed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_matches_the_char_test() {
        let mut samples: Vec<String> = [
            "",
            "a",
            "a  b",
            "a b",
            " ",
            "  ",
            "O'Brien-Smith Jr.",
            "a,b",
            "é  é",
            "é",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for c in (0u32..0x180).filter_map(char::from_u32) {
            samples.push(format!("x{c}y"));
            samples.push(format!("{c} {c}"));
        }
        for t in &samples {
            let want = t.chars().all(|c| name_char_ok(c) && c != ',') && !t.contains("  ");
            assert_eq!(is_clean_text(t), want, "{t:?}");
        }
    }
    use crate::studio::params::validate;

    fn base() -> AppointmentEvent {
        AppointmentEvent::minimal_for_tests()
    }

    #[test]
    fn repairs_names_and_locations() {
        let mut e = base();
        e.patient_last_name = "Nguyễn".into();
        e.patient_first_name = "O’Brien, Jr".into();
        e.appointment_location = "Owl Clinic, Suite #5 & Annex/B".into();
        e.provider_last_name = "佐藤".into();
        e.appointment_id = "A/1".into();
        let mut w = Vec::new();
        sanitize_event(&mut e, SanitizeMode::Repair, &mut w).unwrap();
        assert_eq!(e.patient_last_name, "Nguyen");
        assert_eq!(e.patient_first_name, "O'Brien Jr");
        assert_eq!(e.appointment_location, "Owl Clinic - Suite 5 and Annex-B");
        assert_eq!(e.provider_last_name, "");
        assert_eq!(e.appointment_id, "A%2F1");
        assert!(validate(&e).is_empty(), "{:?}", validate(&e));
        let codes: Vec<_> = w.iter().map(|w| w.code).collect();
        for c in [
            "SANITIZE_TRANSLITERATED",
            "SANITIZE_REPLACED",
            "SANITIZE_REMOVED",
            "SANITIZE_EMPTIED",
            "SANITIZE_ID_ENCODED",
        ] {
            assert!(codes.contains(&c), "{c} in {codes:?}");
        }
        for w in &w {
            assert!(!w.message.contains("Nguy") && !w.message.contains("Owl"));
        }
    }

    #[test]
    fn strict_rejects() {
        let mut e = base();
        e.appointment_location = "Owl Clinic, Suite 5".into();
        let err = sanitize_event(&mut e, SanitizeMode::Strict, &mut Vec::new()).unwrap_err();
        assert_eq!(err.code, ErrorCode::MapStrictRejected);
        assert_eq!(
            err.position.unwrap().pointer.as_deref(),
            Some("/appointment_location")
        );
        let mut ok = base();
        ok.appointment_location = "Owl Clinic".into();
        sanitize_event(&mut ok, SanitizeMode::Strict, &mut Vec::new()).unwrap();
    }

    #[test]
    fn computed_values_are_checked() {
        let mut e = base();
        e.event_type = "booked".into();
        assert_eq!(
            sanitize_event(&mut e, SanitizeMode::Repair, &mut Vec::new())
                .unwrap_err()
                .code,
            ErrorCode::MapBadEvent
        );
        let mut e = base();
        e.patient_phone = "(617) 555-0142".into();
        assert!(sanitize_event(&mut e, SanitizeMode::Repair, &mut Vec::new()).is_err());
    }
}
