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
//! use ehr_studio_bridge::{inbound::json_map::map_json, CompiledProfile};
//! let p = CompiledProfile::from_json(r#"{"sender":{"timeZone":"America/New_York","defaultCountry":"US"},
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
use super::generic_map::{rule, GenericHow, GENERIC_MAP};
use super::json::{self, bad_type};
pub use super::table_b::map_table_b;
use crate::error::{Error, ErrorCode, Result};
use crate::event::{skip_codes, AppointmentEvent, EventType, Field, MapResult, Provenance, Source};
use crate::pointer::Ptr;
use crate::profile::{CompiledProfile, PathList};
use crate::time;
use serde_json::Value;

/// Map a generic JSON document: the profile's `json` mapping when configured, else Table B
/// passthrough (see the module docs).
pub fn map_json(input: &[u8], profile: &CompiledProfile) -> Result<MapResult> {
    let doc = json::parse(input)?;
    map_json_value(&doc, profile)
}

/// [`map_json`] for an already-parsed document.
pub fn map_json_value(doc: &Value, profile: &CompiledProfile) -> Result<MapResult> {
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

/// A profile-mapped document (see the module docs and [`GENERIC_MAP`]): the event type, then the
/// values step by step, then the common finish (filters, phone, sanitization).
fn map_generic(doc: &Value, profile: &CompiledProfile) -> Result<MapResult> {
    let mut cx = Cx::new(profile);
    if !doc.is_object() && !doc.is_array() {
        return Err(bad_type(&Ptr::root(""), "a JSON object"));
    }
    let ev = match event_type(&mut cx, doc)? {
        Ok(ev) => ev,
        Err((code, reason, rule)) => return Ok(cx.skip(code, reason, &rule)),
    };
    let mut e = AppointmentEvent {
        event_type: ev.as_str().to_owned(),
        ..Default::default()
    };
    match first_value(doc, profile.json.event_time.as_ref())? {
        Some((t, p)) => cx.event_time(&mut e, &t, p, rule(Field::EventDatetimeUtc, 0)),
        None => cx.no_event_time(),
    }
    plain_values(&mut cx, &mut e, doc)?;
    let phone_ok = patient_phone(&mut cx, &mut e, doc)?;
    callback(&mut cx, &mut e, doc)?;
    let zone = zone(&mut cx, doc)?;
    start(&mut cx, &mut e, doc, zone)?;
    let filter = FilterInput {
        doc: Some(doc),
        ..Default::default()
    };
    cx.finish(e, ev, phone_ok, &filter)
}

/// A skip decided by the event value: `(code, reason, rule)`.
type EventSkip = (&'static str, &'static str, String);

/// The event type: the value at `json.fields.event_type`, mapped by `json.events` or read as an
/// event type; the value is kept in `ids.trigger`.
fn event_type(cx: &mut Cx<'_>, doc: &Value) -> Result<std::result::Result<EventType, EventSkip>> {
    let profile = cx.profile;
    let j = &profile.json;
    let Some((raw, ptr)) = first_value(doc, j.field(Field::EventType))? else {
        return Ok(Err((
            skip_codes::NOT_SCHEDULING_EVENT,
            "the document has no value at json.fields.event_type",
            "json.fields.event_type".into(),
        )));
    };
    let mapped = j
        .events
        .iter()
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(&raw));
    let ev = match mapped {
        Some((k, v)) if v.eq_ignore_ascii_case("skip") => {
            let rule = format!("json.events.{k}");
            cx.r.ids.trigger = Some(raw);
            return Ok(Err((
                skip_codes::EVENT_POLICY,
                "the profile's json.events rules skip this event value",
                rule,
            )));
        }
        Some((_, v)) => EventType::parse(v),
        None => EventType::parse(&raw),
    };
    let is_mapped = mapped.is_some();
    cx.r.ids.trigger = Some(raw);
    let Some(ev) = ev else {
        return Ok(Err((
            skip_codes::NOT_SCHEDULING_EVENT,
            "the event value is neither in json.events nor an event type",
            "json.fields.event_type".into(),
        )));
    };
    cx.prov(
        Field::EventType,
        Provenance::path(ptr, rule(Field::EventType, usize::from(!is_mapped))),
    );
    Ok(Ok(ev))
}

/// The keys the table reads as plain values ([`GenericHow::Value`]), in table order: the first
/// non-empty value at the key's pointers, else the profile default.
fn plain_values(cx: &mut Cx<'_>, e: &mut AppointmentEvent, doc: &Value) -> Result<()> {
    for m in GENERIC_MAP.iter().filter(|m| m.how == GenericHow::Value) {
        match first_value(doc, cx.profile.json.field(m.field))? {
            Some((v, p)) => cx.set(e, m.field, v, p, rule(m.field, 0)),
            None => cx.default_or_none(e, m.field, "no value at the json.fields pointers"),
        }
    }
    Ok(())
}

/// `patient_phone`: every pointer of `json.fields.patient_phone` with a value, the first marked
/// mobile; whether a phone the flow can text was found.
fn patient_phone(
    cx: &mut Cx<'_>,
    e: &mut AppointmentEvent,
    doc: &Value,
) -> Result<crate::inbound::common::PhonePick> {
    let mut texts: Vec<(usize, String, String)> = Vec::new();
    if let Some(list) = cx.profile.json.field(Field::PatientPhone) {
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
            mobile_rule: rule(Field::PatientPhone, 0),
        })
        .collect();
    Ok(cx.pick_patient_phone(e, &cands))
}

/// `provider_callback_phone`: the first pointer whose value normalizes, else the default.
fn callback(cx: &mut Cx<'_>, e: &mut AppointmentEvent, doc: &Value) -> Result<()> {
    let f = Field::ProviderCallbackPhone;
    if let Some(list) = cx.profile.json.field(f) {
        for p in list.paths() {
            if let Some((t, p)) = first_value(doc, Some(&PathList::One(p.clone())))? {
                if let Some(n) = cx.callback_number(&t, &p) {
                    cx.set(e, f, n, p, rule(f, 0));
                    return Ok(());
                }
            }
        }
    }
    cx.default_or_none(e, f, "no value at the json.fields pointers");
    Ok(())
}

/// The zone of the start: the IANA name at `json.timeZone`, else `sender.timeZone`.
fn zone(cx: &mut Cx<'_>, doc: &Value) -> Result<Option<ZoneChoice>> {
    let f = Field::AppointmentDatetime;
    if let Some((z, p)) = first_value(doc, cx.profile.json.time_zone.as_ref())? {
        match time::parse_zone(&z) {
            Some(tz) => {
                return Ok(Some(ZoneChoice {
                    tz,
                    src: Source::from(p),
                    start_rule: rule(f, 0),
                }))
            }
            None => cx.warn_at(
                "MAP_BAD_TIMEZONE_VALUE",
                "the value at json.timeZone is not an IANA zone name; sender.timeZone is used",
                Field::AppointmentTimezone,
                p,
            ),
        }
    }
    Ok(cx.sender_zone().map(|tz| ZoneChoice {
        tz,
        src: Source::Profile("profile.sender.timeZone"),
        start_rule: rule(f, 1),
    }))
}

/// `appointment_datetime` and `appointment_timezone` from the start in the zone.
fn start(
    cx: &mut Cx<'_>,
    e: &mut AppointmentEvent,
    doc: &Value,
    zone: Option<ZoneChoice>,
) -> Result<()> {
    let f = Field::AppointmentDatetime;
    match first_value(doc, cx.profile.json.field(f))? {
        Some((t, p)) => match parse_iso(&t) {
            Some(iso) => cx.localize_start(e, iso, p, zone, true),
            None => {
                cx.warn_at(
                    "MAP_BAD_DATETIME",
                    "the appointment start is not an ISO 8601 date-time",
                    f,
                    p,
                );
                cx.prov(f, Provenance::none("unparseable start"));
            }
        },
        None => cx.prov(f, Provenance::none("no value at the json.fields pointers")),
    }
    Ok(())
}
