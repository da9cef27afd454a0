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

mod ids;
mod text;

use super::params::{check_value, hazard};
use crate::error::{Error, ErrorCode, Result, Warning};
use crate::event::{AppointmentEvent, Detail, Field};
pub use ids::{decode_id, encode_id};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use text::repair_text;

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
