//! Table B passthrough: a document that already is Table B (the 14 keys) is read, repaired
//! (each repair a warning), then sanitized and finished like every other input. See
//! [`super::json_map`]'s module docs for the rules.

use super::common::{parse_iso, Cx, FilterInput, Mark, PhoneCand, ZoneChoice};
use super::generic_map::PASS_RULE;
use super::json::bad_type;
use crate::error::{Error, ErrorCode, Result};
use crate::event::{AppointmentEvent, EventType, Field, MapResult, Provenance, Source};
use crate::pointer::Ptr;
use crate::profile::CompiledProfile;
use crate::time;
use serde_json::Value;

/// Table B passthrough (see the module docs): read the keys, normalize the event type, then the
/// event time, the phone and the start, then the common finish.
pub fn map_table_b(doc: &Value, profile: &CompiledProfile) -> Result<MapResult> {
    let mut cx = Cx::new(profile);
    let mut e = read_keys(&mut cx, doc)?;
    let ev = event_type(&mut cx, &mut e)?;
    if !e.event_datetime_utc.is_empty() {
        let raw = std::mem::take(&mut e.event_datetime_utc);
        cx.event_time(&mut e, &raw, "/event_datetime_utc".into(), PASS_RULE);
    } else {
        cx.no_event_time();
    }
    let phone_ok = patient_phone(&mut cx, &mut e);
    start_and_offset(&mut cx, &mut e)?;
    let filter = FilterInput {
        doc: Some(doc),
        ..Default::default()
    };
    cx.finish(e, ev, phone_ok, &filter)
}

/// The keys (snake_case or camelCase, each once), each a string or null, with their provenance.
fn read_keys(cx: &mut Cx<'_>, doc: &Value) -> Result<AppointmentEvent> {
    let root = Ptr::root("");
    let Some(o) = doc.as_object() else {
        return Err(bad_type(&root, "a Table B object"));
    };
    let mut e = AppointmentEvent::default();
    let mut seen = [false; 14];
    for (k, v) in o {
        let kp = root.key(k);
        let Some(f) = Field::from_name(k) else {
            return Err(
                Error::new(ErrorCode::MapBadEvent, "not a Table B key").at_pointer(kp.render())
            );
        };
        let slot = Field::ALL
            .iter()
            .position(|x| *x == f)
            .and_then(|i| seen.get_mut(i));
        if let Some(s) = slot {
            if *s {
                return Err(Error::new(
                    ErrorCode::MapBadEvent,
                    "the key is given twice (snake_case and camelCase)",
                )
                .at_pointer(kp.render()));
            }
            *s = true;
        }
        match v {
            Value::Null => {}
            Value::String(s) => *e.get_mut(f) = s.trim().to_owned(),
            _ => return Err(bad_type(&kp, "a string (Table B values are strings)")),
        }
        if !e.get(f).is_empty() {
            cx.prov(f, Provenance::path(kp.render(), PASS_RULE));
        }
    }
    for f in Field::ALL {
        if e.get(f).is_empty() {
            cx.prov(f, Provenance::none("not given"));
        }
    }
    Ok(e)
}

/// `event_type` must name an event type; another case is normalized with a warning.
fn event_type(cx: &mut Cx<'_>, e: &mut AppointmentEvent) -> Result<EventType> {
    let Some(ev) = EventType::parse(&e.event_type) else {
        return Err(Error::new(
            ErrorCode::MapBadEvent,
            "event_type must be BOOKED, RESCHEDULED, MODIFIED, CONFIRMED, CANCELED or NOSHOWED",
        )
        .at_pointer("/event_type"));
    };
    if e.event_type != ev.as_str() {
        cx.warn(
            "TABLEB_EVENT_TYPE_NORMALIZED",
            "event_type was not written in upper case; the flow compares exactly",
            Field::EventType,
        );
        e.event_type = ev.as_str().to_owned();
    }
    Ok(ev)
}

/// `patient_phone`, normalized to E.164 like a marked mobile number; whether it can be texted.
fn patient_phone(cx: &mut Cx<'_>, e: &mut AppointmentEvent) -> crate::inbound::common::PhonePick {
    let phone_raw = std::mem::take(&mut e.patient_phone);
    if phone_raw.is_empty() {
        cx.prov(Field::PatientPhone, Provenance::none("not given"));
        return crate::inbound::common::PhonePick::NoneUsable;
    }
    let cands = [PhoneCand {
        text: &phone_raw,
        mark: Mark::Mobile,
        src: "/patient_phone".into(),
        mobile_rule: PASS_RULE,
    }];
    cx.pick_patient_phone(e, &cands)
}

/// `appointment_datetime` and `appointment_timezone`: a local start keeps the offset given (or
/// gets the sender zone's); a start with an offset or `Z` is converted; `±HH:MM` is rewritten.
fn start_and_offset(cx: &mut Cx<'_>, e: &mut AppointmentEvent) -> Result<()> {
    let tz_raw = std::mem::take(&mut e.appointment_timezone);
    let tz_given: Option<i32> = parse_offset(&tz_raw);
    if !tz_raw.is_empty() && tz_given.is_none() {
        return Err(Error::new(
            ErrorCode::MapBadEvent,
            "appointment_timezone must be an offset like -0500",
        )
        .at_pointer("/appointment_timezone"));
    }
    if tz_given.is_some() && !crate::studio::params::pam_timezone_ok(&tz_raw) {
        cx.warn(
            "TABLEB_TIMEZONE_COMPUTED",
            "appointment_timezone was written ±HH:MM; rewritten ±HHMM",
            Field::AppointmentTimezone,
        );
    }
    let start_raw = std::mem::take(&mut e.appointment_datetime);
    match parse_iso(&start_raw) {
        None if start_raw.is_empty() => {}
        None => {
            return Err(Error::new(
                ErrorCode::MapBadEvent,
                "appointment_datetime must be a local date-time YYYY-MM-DDTHH:mm:ss",
            )
            .at_pointer("/appointment_datetime"));
        }
        Some(iso) if iso.offset.is_none() => local_start(cx, e, iso.local, tz_given),
        Some(iso) => {
            cx.warn("TABLEB_DATETIME_LOCALIZED", "appointment_datetime carried an offset or Z; the flow needs local wall time without one, so it was converted", Field::AppointmentDatetime);
            localize_zoned_start(cx, e, iso, tz_given);
        }
    }
    if e.appointment_timezone.is_empty() {
        if let Some(m) = tz_given {
            e.appointment_timezone = time::format_offset(m);
        }
    }
    Ok(())
}

/// The contract form, local wall time: the offset as given, else the sender zone's at that time.
fn local_start(
    cx: &mut Cx<'_>,
    e: &mut AppointmentEvent,
    local: chrono::NaiveDateTime,
    tz_given: Option<i32>,
) {
    e.appointment_datetime = time::format_local(local);
    match (tz_given, cx.sender_zone()) {
        (Some(m), _) => e.appointment_timezone = time::format_offset(m),
        (None, Some(z)) => {
            if let Some(r) = time::resolve_local(z, local, cx.profile.sender.ambiguous_time) {
                e.appointment_datetime = time::format_local(r.local);
                e.appointment_timezone = time::format_offset(r.offset_minutes);
                cx.r.ids.time_zone = Some(z.name().to_owned());
                cx.warn("TABLEB_TIMEZONE_COMPUTED", "appointment_timezone was missing; computed from profile.sender.timeZone at the appointment time", Field::AppointmentTimezone);
                cx.prov(
                    Field::AppointmentTimezone,
                    Provenance::profile(
                        "profile.sender.timeZone",
                        "zone offset at the appointment time (DST-aware)",
                    ),
                );
            }
        }
        (None, None) => {}
    }
}

/// A start written with an offset or `Z`: converted to the sender's zone, else to the
/// `appointment_timezone` given, else localized without a zone (the common rules).
fn localize_zoned_start(
    cx: &mut Cx<'_>,
    e: &mut AppointmentEvent,
    iso: super::common::Iso,
    tz_given: Option<i32>,
) {
    let zc = cx.sender_zone().map(|tz| ZoneChoice {
        tz,
        src: Source::Profile("profile.sender.timeZone"),
        start_rule: "converted to profile.sender.timeZone",
    });
    match (zc, tz_given, iso.utc()) {
        (Some(z), _, _) => cx.localize_start(e, iso, "/appointment_datetime".into(), Some(z), true),
        (None, Some(m), Some(utc)) => {
            let local = utc
                .checked_add_signed(chrono::Duration::minutes(i64::from(m)))
                .unwrap_or(utc);
            e.appointment_datetime = time::format_local(local);
            e.appointment_timezone = time::format_offset(m);
            cx.prov(
                Field::AppointmentDatetime,
                Provenance::path(
                    "/appointment_datetime",
                    "converted to the given appointment_timezone",
                ),
            );
        }
        _ => cx.localize_start(e, iso, "/appointment_datetime".into(), None, true),
    }
}

/// `±HHMM` or `±HH:MM` → minutes.
fn parse_offset(s: &str) -> Option<i32> {
    let b = s.trim().as_bytes();
    let (sign, rest) = match b.split_first() {
        Some((b'+', r)) => (1, r),
        Some((b'-', r)) => (-1, r),
        _ => return None,
    };
    let digits: Vec<u8> = rest.iter().copied().filter(|c| *c != b':').collect();
    if digits.len() != 4
        || !digits.iter().all(u8::is_ascii_digit)
        || (rest.len() == 5 && rest.get(2) != Some(&b':'))
        || (rest.len() != 4 && rest.len() != 5)
    {
        return None;
    }
    let n = |i: usize| digits.get(i).map_or(0, |d| i32::from(d - b'0'));
    let h = n(0) * 10 + n(1);
    let m = n(2) * 10 + n(3);
    (h <= 23 && m <= 59).then_some(sign * (h * 60 + m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("-0500"), Some(-300));
        assert_eq!(parse_offset("+05:30"), Some(330));
        assert_eq!(parse_offset("0500"), None);
        assert_eq!(parse_offset("+5:00"), None);
        assert_eq!(parse_offset("+2500"), None);
    }
}
