//! Generic JSON inputs: a home-grown feed mapped by the profile's `json` section (JSON pointers
//! per Table B key, an event-value map, where the event time and the zone are), or — without such
//! a section — a document that already *is* Table B (the 14 keys), passed through validation,
//! repair and PAM sanitization.
//!
//! Generic mapping (`json.fields.<key>`: ordered JSON pointers, the first non-empty string or
//! number wins):
//! * `event_type`: the value, looked up in `json.events` (case-insensitive; `skip` →
//!   `SKIP_EVENT_POLICY`), else read as an event type itself, else `SKIP_NOT_SCHEDULING_EVENT`;
//! * `event_datetime_utc`: `json.eventTime`; `appointment_timezone`: the zone at `json.timeZone`
//!   in the document, else `sender.timeZone` (DST-aware), else a non-UTC offset written on the
//!   start; `appointment_datetime` is converted to that zone;
//! * `patient_phone`: the first pointer is the mobile number; later pointers are fallbacks
//!   treated as unmarked numbers (the SIU phone tiers and warnings apply);
//! * `provider_callback_phone`: normalized, rendered per `phones.callbackFormat`;
//! * keys without a value use `defaults` like every other format;
//! * a value at `json.timeZone` that is not an IANA zone gives `MAP_BAD_TIMEZONE_VALUE`.
//!
//! Table B passthrough: the object may only hold Table B keys (snake_case or camelCase;
//! `MAP_BAD_EVENT` with a pointer otherwise), each a string or null (`JSON_BAD_TYPE`).
//! Repairs, each with a warning: `event_type` case (`TABLEB_EVENT_TYPE_NORMALIZED`), a patient
//! phone not in E.164 (the `PHONE_*` notes), an `appointment_datetime` written with an offset or
//! `Z` (converted to the zone, `TABLEB_DATETIME_LOCALIZED`), an `appointment_timezone` written
//! `±HH:MM` or missing while `sender.timeZone` is known (`TABLEB_TIMEZONE_COMPUTED`), an
//! `event_datetime_utc` with a non-`Z` offset (converted). Values the PAM flow would reject are
//! then sanitized (`SANITIZE_*`, or `MAP_STRICT_REJECTED` in strict mode), and the usual skips
//! apply (`SKIP_MISSING_REQUIRED`, `SKIP_FILTERED`, `SKIP_NO_MOBILE_PHONE`).
//!
//! ```
//! use ehr_studio_bridge::{inbound::json_map::map_json, Profile};
//! let p = Profile::from_json(r#"{"sender":{"timeZone":"America/New_York","defaultCountry":"US"},
//!   "json":{"fields":{"event_type":"/kind","patient_id":"/patient/mrn","patient_phone":"/patient/cell",
//!   "patient_first_name":"/patient/first","appointment_id":"/id","appointment_datetime":"/start"},
//!   "events":{"new":"BOOKED"},"eventTime":"/sentAt"}}"#).unwrap();
//! let doc = br#"{"kind":"new","id":77,"start":"2024-07-01T15:00:00Z","sentAt":"2024-06-20T10:00:00Z",
//!   "patient":{"mrn":"M1","first":"Ana","cell":"617-555-0142"}}"#;
//! let e = map_json(doc, &p).unwrap().event.unwrap();
//! assert_eq!((e.event_type.as_str(), e.appointment_id.as_str()), ("BOOKED", "77"));
//! assert_eq!((e.appointment_datetime.as_str(), e.appointment_timezone.as_str()), ("2024-07-01T11:00:00", "-0400"));
//! assert_eq!(e.patient_phone, "+16175550142");
//! ```

use super::common::{parse_iso, Cx, FilterInput, Mark, PhoneCand, ZoneChoice};
use super::json::{self, bad_type, Ptr};
use crate::error::{Error, ErrorCode, Result};
use crate::event::{skip_codes, AppointmentEvent, EventType, Field, MapResult, Provenance, Source};
use crate::profile::{PathList, Profile};
use crate::time;
use serde_json::Value;

/// Map a generic JSON document: the profile's `json` mapping when configured, else Table B
/// passthrough (see the module docs).
pub fn map_json(input: &[u8], profile: &Profile) -> Result<MapResult> {
    let doc = json::parse(input)?;
    map_json_value(&doc, profile)
}

/// [`map_json`] for an already-parsed document.
pub fn map_json_value(doc: &Value, profile: &Profile) -> Result<MapResult> {
    if profile.json.configured() {
        map_generic(doc, profile)
    } else {
        map_table_b(doc, profile)
    }
}

/// Whether a JSON value looks like Table B: an object whose keys are all Table B keys, with
/// `event_type` and at least one id.
pub fn is_table_b(v: &Value) -> bool {
    let Some(o) = v.as_object() else { return false };
    let has = |f: Field| o.contains_key(f.name()) || o.contains_key(f.camel());
    !o.is_empty()
        && o.keys().all(|k| Field::from_name(k).is_some())
        && has(Field::EventType)
        && (has(Field::AppointmentId) || has(Field::PatientId))
}

const PASS: &str = "Table B passthrough";
const GENERIC: &str = "profile json.fields (first non-empty pointer)";

/// The first non-empty string/number at the pointers (with the pointer that gave it).
fn first_value(doc: &Value, list: Option<&PathList>) -> Result<Option<(String, String)>> {
    let Some(list) = list else { return Ok(None) };
    for p in list.paths() {
        match doc.pointer(p) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                if !s.trim().is_empty() {
                    return Ok(Some((s.trim().to_owned(), p.clone())));
                }
            }
            Some(Value::Number(n)) => return Ok(Some((n.to_string(), p.clone()))),
            Some(_) => {
                return Err(Error::new(
                    ErrorCode::JsonBadType,
                    "expected a string or a number here",
                )
                .at_pointer(p.clone()));
            }
        }
    }
    Ok(None)
}

fn map_generic(doc: &Value, profile: &Profile) -> Result<MapResult> {
    let mut cx = Cx::new(profile)?;
    let j = &profile.json;
    if !doc.is_object() && !doc.is_array() {
        return Err(bad_type(&Ptr::root(""), "a JSON object"));
    }
    // ---- event type --------------------------------------------------------------------------
    let Some((raw, ptr)) = first_value(doc, j.field(Field::EventType))? else {
        return Ok(cx.skip(
            skip_codes::NOT_SCHEDULING_EVENT,
            "the document has no value at json.fields.event_type",
            "json.fields.event_type",
        ));
    };
    cx.r.ids.trigger = Some(raw.clone());
    let mapped = j
        .events
        .iter()
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(&raw));
    let ev = match mapped {
        Some((k, v)) if v.eq_ignore_ascii_case("skip") => {
            return Ok(cx.skip(
                skip_codes::EVENT_POLICY,
                "the profile's json.events rules skip this event value",
                &format!("json.events.{k}"),
            ));
        }
        Some((_, v)) => EventType::parse(v),
        None => EventType::parse(&raw),
    };
    let Some(ev) = ev else {
        return Ok(cx.skip(
            skip_codes::NOT_SCHEDULING_EVENT,
            "the event value is neither in json.events nor an event type",
            "json.fields.event_type",
        ));
    };
    let mut e = AppointmentEvent {
        event_type: ev.as_str().to_owned(),
        ..Default::default()
    };
    cx.prov(
        Field::EventType,
        Provenance::path(
            ptr,
            if mapped.is_some() {
                "event value mapped by json.events"
            } else {
                "event value read as an event type"
            },
        ),
    );
    // ---- event time --------------------------------------------------------------------------
    match first_value(doc, j.event_time.as_ref())? {
        Some((t, p)) => cx.event_time(&mut e, &t, p, "json.eventTime"),
        None => cx.no_event_time(),
    }
    // ---- plain values ------------------------------------------------------------------------
    for f in [
        Field::PatientId,
        Field::PatientFirstName,
        Field::PatientLastName,
        Field::ProviderId,
        Field::ProviderFirstName,
        Field::ProviderLastName,
        Field::AppointmentLocation,
        Field::AppointmentId,
    ] {
        match first_value(doc, j.field(f))? {
            Some((v, p)) => cx.set(&mut e, f, v, p, GENERIC),
            None => cx.default_or_none(&mut e, f, "no value at the json.fields pointers"),
        }
    }
    // ---- phones --------------------------------------------------------------------------------
    let mut texts: Vec<(usize, String, String)> = Vec::new();
    if let Some(list) = j.field(Field::PatientPhone) {
        for (i, p) in list.paths().iter().enumerate() {
            if let Some((v, p)) = first_value(doc, Some(&PathList::One(p.clone())))? {
                texts.push((i, v, p));
            }
        }
    }
    let cands: Vec<PhoneCand<'_>> = texts
        .iter()
        .map(|(i, t, p)| PhoneCand {
            text: t,
            mark: if *i == 0 { Mark::Mobile } else { Mark::Unknown },
            src: p.clone(),
            mobile_rule: "json.fields.patient_phone (the first pointer is the mobile number)",
        })
        .collect();
    let phone_ok = cx.pick_patient_phone(&mut e, &cands);
    let mut cb_done = false;
    if let Some(list) = j.field(Field::ProviderCallbackPhone) {
        for p in list.paths() {
            if let Some((t, p)) = first_value(doc, Some(&PathList::One(p.clone())))? {
                if let Some(n) = cx.callback_number(&t, &p) {
                    cx.set(&mut e, Field::ProviderCallbackPhone, n, p, GENERIC);
                    cb_done = true;
                    break;
                }
            }
        }
    }
    if !cb_done {
        cx.default_or_none(
            &mut e,
            Field::ProviderCallbackPhone,
            "no value at the json.fields pointers",
        );
    }
    // ---- zone and start ------------------------------------------------------------------------
    let mut zone = None;
    if let Some((z, p)) = first_value(doc, j.time_zone.as_ref())? {
        match time::parse_zone(&z) {
            Some(tz) => {
                zone = Some(ZoneChoice {
                    tz,
                    src: Source::from(p),
                    start_rule: "start converted to the zone at json.timeZone",
                })
            }
            None => cx.warn_at(
                "MAP_BAD_TIMEZONE_VALUE",
                "the value at json.timeZone is not an IANA zone name; sender.timeZone is used",
                Field::AppointmentTimezone,
                p,
            ),
        }
    }
    if zone.is_none() {
        zone = cx.sender_zone().map(|tz| ZoneChoice {
            tz,
            src: Source::Profile("profile.sender.timeZone"),
            start_rule: "start converted to profile.sender.timeZone",
        });
    }
    match first_value(doc, j.field(Field::AppointmentDatetime))? {
        Some((t, p)) => match parse_iso(&t) {
            Some(iso) => cx.localize_start(&mut e, iso, p, zone, true),
            None => {
                cx.warn_at(
                    "MAP_BAD_DATETIME",
                    "the appointment start is not an ISO 8601 date-time",
                    Field::AppointmentDatetime,
                    p,
                );
                cx.prov(
                    Field::AppointmentDatetime,
                    Provenance::none("unparseable start"),
                );
            }
        },
        None => cx.prov(
            Field::AppointmentDatetime,
            Provenance::none("no value at the json.fields pointers"),
        ),
    }
    let filter = FilterInput {
        doc: Some(doc),
        ..Default::default()
    };
    cx.finish(e, ev, phone_ok, &filter)
}

/// Table B passthrough (see the module docs).
pub fn map_table_b(doc: &Value, profile: &Profile) -> Result<MapResult> {
    let mut cx = Cx::new(profile)?;
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
            cx.prov(f, Provenance::path(kp.render(), PASS));
        }
    }
    for f in Field::ALL {
        if e.get(f).is_empty() {
            cx.prov(f, Provenance::none("not given"));
        }
    }
    // ---- event type --------------------------------------------------------------------------
    let ev = match EventType::parse(&e.event_type) {
        Some(ev) => ev,
        None => {
            return Err(Error::new(
                ErrorCode::MapBadEvent,
                "event_type must be BOOKED, RESCHEDULED, MODIFIED, CONFIRMED, CANCELED or NOSHOWED",
            )
            .at_pointer("/event_type"));
        }
    };
    if e.event_type != ev.as_str() {
        cx.warn(
            "TABLEB_EVENT_TYPE_NORMALIZED",
            "event_type was not written in upper case; the flow compares exactly",
            Field::EventType,
        );
        e.event_type = ev.as_str().to_owned();
    }
    // ---- event time --------------------------------------------------------------------------
    if !e.event_datetime_utc.is_empty() {
        let raw = std::mem::take(&mut e.event_datetime_utc);
        cx.event_time(&mut e, &raw, "/event_datetime_utc".into(), PASS);
    } else {
        cx.no_event_time();
    }
    // ---- phone -------------------------------------------------------------------------------
    let phone_raw = std::mem::take(&mut e.patient_phone);
    let phone_ok = if phone_raw.is_empty() {
        cx.prov(Field::PatientPhone, Provenance::none("not given"));
        false
    } else {
        let cands = [PhoneCand {
            text: &phone_raw,
            mark: Mark::Mobile,
            src: "/patient_phone".into(),
            mobile_rule: PASS,
        }];
        cx.pick_patient_phone(&mut e, &cands)
    };
    // ---- start and offset ----------------------------------------------------------------------
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
    let zone = cx.sender_zone();
    match parse_iso(&start_raw) {
        None if start_raw.is_empty() => {}
        None => {
            return Err(Error::new(
                ErrorCode::MapBadEvent,
                "appointment_datetime must be a local date-time YYYY-MM-DDTHH:mm:ss",
            )
            .at_pointer("/appointment_datetime"));
        }
        Some(iso) if iso.offset.is_none() => {
            // The contract form: local wall time. Offset as given, else from the zone.
            e.appointment_datetime = time::format_local(iso.local);
            match (tz_given, zone) {
                (Some(m), _) => e.appointment_timezone = time::format_offset(m),
                (None, Some(z)) => {
                    if let Some(r) =
                        time::resolve_local(z, iso.local, profile.sender.ambiguous_time)
                    {
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
        Some(iso) => {
            cx.warn("TABLEB_DATETIME_LOCALIZED", "appointment_datetime carried an offset or Z; the flow needs local wall time without one, so it was converted", Field::AppointmentDatetime);
            let zc = match (zone, tz_given) {
                (Some(tz), _) => Some(ZoneChoice {
                    tz,
                    src: Source::Profile("profile.sender.timeZone"),
                    start_rule: "converted to profile.sender.timeZone",
                }),
                _ => None,
            };
            match (zc, tz_given, iso.utc()) {
                (Some(z), _, _) => {
                    cx.localize_start(&mut e, iso, "/appointment_datetime".into(), Some(z), true)
                }
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
                _ => cx.localize_start(&mut e, iso, "/appointment_datetime".into(), None, true),
            }
        }
    }
    if e.appointment_timezone.is_empty() {
        if let Some(m) = tz_given {
            e.appointment_timezone = time::format_offset(m);
        }
    }
    let filter = FilterInput {
        doc: Some(doc),
        ..Default::default()
    };
    cx.finish(e, ev, phone_ok, &filter)
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
