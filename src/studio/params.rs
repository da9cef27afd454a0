//! The PAM flow's checks on `Parameters`, re-implemented by hand (no regex engine) with exactly the
//! semantics of `validateAppointment` in `functions/helpers.private.js` (contract §2.2), plus the
//! hazards of the `{k=v, …}` rendering that `save-*` functions parse (contract §2.1).
//!
//! | key | PAM rule (checked only when the value is truthy, i.e. non-empty, unless required) |
//! |---|---|
//! | `event_type` | required; one of `BOOKED MODIFIED RESCHEDULED NOSHOWED CANCEL CANCELED CONFIRM CONFIRMED REMIND OPTED-IN OPTED-OUT` (case-sensitive) |
//! | `event_datetime_utc`, `appointment_datetime` | `validator.isISO8601` |
//! | `patient_id` | required; `/^[a-zA-Z0-9 !@#$%^&*()_+\-=\[\]{};:\\|,.<>\/?]+$/i` |
//! | names, `appointment_location` | `/^[a-zA-Z0-9<Latin accents> ,\.'-]+$/u` |
//! | `patient_phone`, `provider_callback_phone` | `/^[0-9+\-() ]+$/` |
//! | `provider_id`, `appointment_id` | the `patient_id` class, **unanchored** (one matching character suffices) |
//! | `appointment_timezone` | `/^[+\-][0-9]{4}$/` |
//!
//! Hazards that the validator does not catch but that lose the SMS all the same ([`hazard`]):
//! `,` `=` `{` `}` in any value (the `{k=v}` split), control characters, `/` in ids (PAM's S3 key),
//! `"` and `\` in the ids that the HTTP widgets splice raw into a JSON body.
//!
//! `isISO8601`: this module accepts the calendar-date forms of validator.js's non-strict pattern —
//! `YYYY-MM-DD` optionally followed by `T`/space, `HH[:MM[:SS]]` (or basic `HHMM[SS]`), a `.`/`,`
//! fraction, and `Z`/`±HH[:MM]`. Ordinal (`2021-123`) and week (`2021-W05`) dates, which validator.js
//! also accepts, are reported invalid: conservative, and never produced by this library.

mod iso8601;

use crate::event::{AppointmentEvent, Field};
pub use iso8601::is_iso8601;

/// The accented letters the PAM name pattern allows besides ASCII letters and digits.
pub const NAME_EXTRA: &str =
    "àáâäãåąčćęèéêëėįìíîïłńòóôöõøùúûüųūÿýżźñçčšžÀÁÂÄÃÅĄĆČĖĘÈÉÊËÌÍÎÏĮŁŃÒÓÔÖÕØÙÚÛÜŲŪŸÝŻŹÑßÇŒÆČŠŽ∂ð";

/// The event types the PAM validator accepts.
pub const PAM_EVENT_TYPES: &[&str] = &[
    "BOOKED",
    "MODIFIED",
    "RESCHEDULED",
    "NOSHOWED",
    "CANCEL",
    "CANCELED",
    "CONFIRM",
    "CONFIRMED",
    "REMIND",
    "OPTED-IN",
    "OPTED-OUT",
];

/// Whether `c` is in the PAM name class `[a-zA-Z0-9<accents> ,\.'-]`.
pub fn name_char_ok(c: char) -> bool {
    match u8::try_from(c) {
        Ok(b) if b.is_ascii() => ascii_class(b) & C_NAME != 0,
        _ => NAME_EXTRA.contains(c),
    }
}

/// Whether `c` is in the PAM id class `[a-zA-Z0-9 !@#$%^&*()_+\-=\[\]{};:\\|,.<>\/?]` (with `/i`,
/// which adds nothing outside ASCII in a non-Unicode JavaScript regex).
pub fn id_char_ok(c: char) -> bool {
    u8::try_from(c).is_ok_and(|b| ascii_class(b) & C_ID != 0)
}

/// `/^[0-9+\-() ]+$/`
pub fn pam_phone_ok(s: &str) -> bool {
    !s.is_empty() && all_ascii_in(s, C_PHONE)
}

/// Bits of [`ASCII_CLASS`]: the PAM name class, the id class, the phone class (ASCII only).
pub(crate) const C_NAME: u8 = 1;
pub(crate) const C_ID: u8 = 2;
pub(crate) const C_PHONE: u8 = 4;

/// The PAM classes of each ASCII byte (0 for bytes ≥ 0x80): one table lookup per byte instead of
/// a search in the class's character list.
const ASCII_CLASS: [u8; 128] = {
    let mut t = [0u8; 128];
    let id = b" !@#$%^&*()_+-=[]{};:\\|,.<>/?";
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        let mut bits = 0u8;
        if c.is_ascii_alphanumeric() {
            bits |= C_NAME | C_ID;
        }
        if matches!(c, b' ' | b',' | b'.' | b'\'' | b'-') {
            bits |= C_NAME;
        }
        let mut k = 0;
        while k < id.len() {
            if id[k] == c {
                bits |= C_ID;
            }
            k += 1;
        }
        if c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'(' | b')' | b' ') {
            bits |= C_PHONE;
        }
        t[i] = bits;
        i += 1;
    }
    t
};

/// The class bits of an ASCII byte (0 for any other byte).
pub(crate) fn ascii_class(b: u8) -> u8 {
    ASCII_CLASS.get(usize::from(b)).copied().unwrap_or(0)
}

/// Whether every byte of `s` is ASCII and in the class `bit` (true for "").
pub(crate) fn all_ascii_in(s: &str, bit: u8) -> bool {
    s.bytes().all(|b| ascii_class(b) & bit != 0)
}

/// `/^[+\-][0-9]{4}$/`
pub fn pam_timezone_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5
        && matches!(b.first(), Some(b'+' | b'-'))
        && b.iter().skip(1).all(u8::is_ascii_digit)
}

/// The PAM validator's verdict on one value: `None` when accepted, else a violation code
/// (`PAM_EVENT_TYPE`, `PAM_ISO8601`, `PAM_PATIENT_ID`, `PAM_NAME`, `PAM_PHONE`, `PAM_ID`,
/// `PAM_TIMEZONE`, `PAM_REQUIRED`). Mirrors `validateAppointment` on the value *as the save
/// function sees it* (trimmed).
pub fn check_value(f: Field, raw: &str) -> Option<&'static str> {
    let v = crate::text::trim(raw);
    let present = !v.is_empty();
    match f {
        Field::EventType => (!PAM_EVENT_TYPES.contains(&v)).then_some("PAM_EVENT_TYPE"),
        Field::PatientId => {
            if !present {
                Some("PAM_REQUIRED")
            } else if !all_ascii_in(v, C_ID) {
                Some("PAM_PATIENT_ID")
            } else {
                None
            }
        }
        Field::EventDatetimeUtc | Field::AppointmentDatetime => {
            (present && !is_iso8601(v)).then_some("PAM_ISO8601")
        }
        Field::PatientFirstName
        | Field::PatientLastName
        | Field::ProviderFirstName
        | Field::ProviderLastName
        | Field::AppointmentLocation => {
            let ok = if v.is_ascii() {
                all_ascii_in(v, C_NAME)
            } else {
                v.chars().all(name_char_ok)
            };
            (present && !ok).then_some("PAM_NAME")
        }
        Field::PatientPhone | Field::ProviderCallbackPhone => {
            (present && !pam_phone_ok(v)).then_some("PAM_PHONE")
        }
        Field::ProviderId | Field::AppointmentId => {
            (present && !v.bytes().any(|b| ascii_class(b) & C_ID != 0)).then_some("PAM_ID")
        }
        Field::AppointmentTimezone => (present && !pam_timezone_ok(v)).then_some("PAM_TIMEZONE"),
    }
}

/// What breaks the flow although the validator would pass it: `None`, or `FLOWDATA_DELIMITER`
/// (`,` `=` `{` `}`), `CONTROL_CHAR`, `ID_SLASH` (`/` in `patient_id`/`appointment_id`, PAM's S3
/// key), `ID_JSON_UNSAFE` (`"` or `\` in an id spliced into the reply JSON).
pub fn hazard(f: Field, v: &str) -> Option<&'static str> {
    // One byte scan for all four checks (they are reported in this order of precedence). Every
    // character checked is ASCII except the C1 controls U+0080–U+009F, which `char::is_control`
    // includes: in UTF-8 they are 0xC2 followed by 0x80–0x9F.
    let mut seen = 0u8;
    let b = v.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        seen |= HAZARD_CLASS.get(usize::from(c)).copied().unwrap_or(0);
        if c == 0xC2 && b.get(i + 1).is_some_and(|n| (0x80..=0x9F).contains(n)) {
            seen |= H_CONTROL;
        }
    }
    if seen & H_DELIMITER != 0 {
        return Some("FLOWDATA_DELIMITER");
    }
    if seen & H_CONTROL != 0 {
        return Some("CONTROL_CHAR");
    }
    if matches!(f, Field::PatientId | Field::AppointmentId) && seen & H_SLASH != 0 {
        return Some("ID_SLASH");
    }
    if matches!(
        f,
        Field::PatientId | Field::AppointmentId | Field::ProviderId
    ) && seen & H_QUOTE != 0
    {
        return Some("ID_JSON_UNSAFE");
    }
    None
}

const H_DELIMITER: u8 = 1;
const H_CONTROL: u8 = 2;
const H_SLASH: u8 = 4;
const H_QUOTE: u8 = 8;

/// The [`hazard`] class of each byte (C1 controls, two bytes in UTF-8, are checked apart).
const HAZARD_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = match c {
            b',' | b'=' | b'{' | b'}' => H_DELIMITER,
            0..=0x1f | 0x7f => H_CONTROL,
            b'/' => H_SLASH,
            b'"' | b'\\' => H_QUOTE,
            _ => 0,
        };
        i += 1;
    }
    t
};

/// One value the flow would reject or mangle.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// The Table B key.
    pub field: &'static str,
    /// The rule ([`check_value`] or [`hazard`] code).
    pub rule: &'static str,
}

/// Every violation in an event: the PAM validator's rules, the required keys (including the two
/// required in practice, `appointment_timezone` and `patient_phone`) and the hazards.
pub fn validate(e: &AppointmentEvent) -> Vec<Violation> {
    Field::ALL.iter().filter_map(|f| violation(e, *f)).collect()
}

/// The first of [`validate`]'s violations (without collecting the others).
pub fn first_violation(e: &AppointmentEvent) -> Option<Violation> {
    Field::ALL.iter().find_map(|f| violation(e, *f))
}

fn violation(e: &AppointmentEvent, f: Field) -> Option<Violation> {
    let v = e.get(f);
    if f.required() && crate::text::trim(v).is_empty() {
        return Some(Violation {
            field: f.name(),
            rule: "PAM_REQUIRED",
        });
    }
    check_value(f, v)
        .or_else(|| hazard(f, v))
        .map(|rule| Violation {
            field: f.name(),
            rule,
        })
}

/// Render the event the way Studio renders `{{flow.data}}` for a Run Function
/// (`{k1=v1, k2=v2}`, values unquoted — the format the `save-*` header comment documents).
pub fn render_flow_data(e: &AppointmentEvent) -> String {
    let mut s = String::with_capacity(512);
    s.push('{');
    for (i, f) in Field::ALL.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(f.name());
        s.push('=');
        s.push_str(e.get(*f));
    }
    s.push('}');
    s
}

/// The `save-*` functions' parser, reproduced: remove the first `{` and the first `}`, split on
/// `,`, split each piece on `=`, keep `kv[1]`, trim both. `Err(())` where JavaScript would throw
/// (a piece without `=`: `kv[1].trim()` on `undefined`).
#[allow(clippy::result_unit_err)]
pub fn parse_like_save_function(s: &str) -> Result<Vec<(String, String)>, ()> {
    let s = s.replacen('{', "", 1).replacen('}', "", 1);
    let mut out = Vec::new();
    for piece in s.split(',') {
        let mut kv = piece.split('=');
        let k = kv.next().unwrap_or("");
        let v = kv.next().ok_or(())?;
        out.push((js_trim(k).to_owned(), js_trim(v).to_owned()));
    }
    Ok(out)
}

fn js_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_class() {
        for ok in [
            "Jane", "O'Brien", "Jean-Luc", "Müller", "José", "Łukasz", "St. John", "Room 101",
        ] {
            assert!(ok.chars().all(name_char_ok), "{ok}");
        }
        for bad in [
            "Nguyễn",
            "O’Brien",
            "A&B",
            "Suite #5",
            "a/b",
            "x(y)",
            "山田",
            "æ",
            "œ",
        ] {
            assert!(!bad.chars().all(name_char_ok), "{bad}");
        }
    }

    #[test]
    fn id_rules_anchored_vs_unanchored() {
        assert_eq!(check_value(Field::PatientId, "MRN-1/2"), None);
        assert_eq!(
            check_value(Field::PatientId, "MRN'1"),
            Some("PAM_PATIENT_ID")
        );
        assert_eq!(check_value(Field::PatientId, ""), Some("PAM_REQUIRED"));
        // Unanchored: one good character is enough.
        assert_eq!(check_value(Field::AppointmentId, "é1"), None);
        assert_eq!(check_value(Field::AppointmentId, "ééé"), Some("PAM_ID"));
        assert_eq!(hazard(Field::AppointmentId, "A/1"), Some("ID_SLASH"));
        assert_eq!(hazard(Field::ProviderId, "a\"b"), Some("ID_JSON_UNSAFE"));
        assert_eq!(
            hazard(Field::PatientLastName, "Smith, Jr"),
            Some("FLOWDATA_DELIMITER")
        );
    }

    /// The one-pass byte scan equals the char-based definition it replaced.
    /// The class table gives the classes as first written (character tests and lists).
    #[test]
    fn class_table_matches_char_definitions() {
        let name_ref = |c: char| {
            c.is_ascii_alphanumeric()
                || matches!(c, ' ' | ',' | '.' | '\'' | '-')
                || (!c.is_ascii() && NAME_EXTRA.contains(c))
        };
        let id_ref =
            |c: char| c.is_ascii_alphanumeric() || " !@#$%^&*()_+-=[]{};:\\|,.<>/?".contains(c);
        let phone_ref = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | ' '))
        };
        let chars = (0u32..0x800)
            .chain(NAME_EXTRA.chars().map(u32::from))
            .filter_map(char::from_u32);
        for c in chars {
            assert_eq!(name_char_ok(c), name_ref(c), "{c:?}");
            assert_eq!(id_char_ok(c), id_ref(c), "{c:?}");
            let s = format!("1{c}2");
            assert_eq!(pam_phone_ok(&s), phone_ref(&s), "{c:?}");
            for f in Field::ALL {
                let v = format!("Ab{c}");
                // check_value reads the value trimmed, as the save function does.
                let t = crate::text::trim(&v);
                let want = match f {
                    Field::PatientId => (!t.chars().all(id_ref)).then_some("PAM_PATIENT_ID"),
                    Field::PatientFirstName
                    | Field::PatientLastName
                    | Field::ProviderFirstName
                    | Field::ProviderLastName
                    | Field::AppointmentLocation => {
                        (!t.chars().all(name_ref)).then_some("PAM_NAME")
                    }
                    _ => check_value(f, &v),
                };
                assert_eq!(check_value(f, &v), want, "{f:?} {c:?}");
                let only = c.to_string();
                let t = crate::text::trim(&only);
                if matches!(f, Field::ProviderId | Field::AppointmentId) && !t.is_empty() {
                    let want = (!t.chars().any(id_ref)).then_some("PAM_ID");
                    assert_eq!(check_value(f, &only), want, "{f:?} {c:?}");
                }
            }
        }
        assert_eq!(pam_phone_ok(""), phone_ref(""));
    }

    #[test]
    fn hazard_matches_char_definition() {
        fn reference(f: Field, v: &str) -> Option<&'static str> {
            if v.chars().any(|c| matches!(c, ',' | '=' | '{' | '}')) {
                return Some("FLOWDATA_DELIMITER");
            }
            if v.chars().any(char::is_control) {
                return Some("CONTROL_CHAR");
            }
            if matches!(f, Field::PatientId | Field::AppointmentId) && v.contains('/') {
                return Some("ID_SLASH");
            }
            if matches!(
                f,
                Field::PatientId | Field::AppointmentId | Field::ProviderId
            ) && v.chars().any(|c| c == '"' || c == '\\')
            {
                return Some("ID_JSON_UNSAFE");
            }
            None
        }
        let mut samples: Vec<String> = [
            "", "plain", "a,b", "a/b\"", "x\u{7f}", "\u{80}", "\u{9f}", "\u{a0}", "Â\u{85}", "é/",
            "\\", "{}", "=", "\u{1}/", "\"/,", "ÂÂ", "\u{2028}", "\u{85}\"",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        samples.push((0u32..0x800).filter_map(char::from_u32).collect());
        for c in (0u32..0x800).filter_map(char::from_u32) {
            samples.push(format!("a{c}b"));
        }
        for v in &samples {
            for f in Field::ALL {
                assert_eq!(hazard(f, v), reference(f, v), "{f:?} {v:?}");
            }
        }
    }

    #[test]
    fn save_parser_mirrors_js() {
        let mut e = AppointmentEvent {
            event_type: "BOOKED".into(),
            appointment_location: "Owl Clinic, Suite 5".into(),
            ..Default::default()
        };
        assert!(parse_like_save_function(&render_flow_data(&e)).is_err());
        e.appointment_location = "a=b=c".into();
        let kv = parse_like_save_function(&render_flow_data(&e)).unwrap();
        // JavaScript keeps kv[1]: the value is cut at its first "=".
        assert!(kv.contains(&("appointment_location".into(), "a".into())));
        e.appointment_location = "Owl Clinic".into();
        let kv = parse_like_save_function(&render_flow_data(&e)).unwrap();
        assert_eq!(kv.len(), 14);
        assert!(kv.contains(&("patient_last_name".into(), String::new())));
    }
}
