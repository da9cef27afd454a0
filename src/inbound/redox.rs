//! Redox Scheduling (Data Model API) → Studio `Parameters`: New, Reschedule, Modification,
//! Cancel and NoShow map to the same [`MapResult`] as the SIU path, with the sources of
//! [`super::redox_map`] (rendered in `docs/redox-mapping.md`).
//!
//! Outcomes: an event, or `SKIP_NOT_SCHEDULING_EVENT` (another data model or a slot/query event
//! type), `SKIP_EVENT_POLICY` (`redox.events` … `skip`), `SKIP_NO_PATIENT`,
//! `SKIP_MISSING_REQUIRED`, `SKIP_FILTERED`, `SKIP_NO_MOBILE_PHONE`.
//!
//! Errors: the JSON errors of [`crate::inbound::json`]; `REDOX_UNSUPPORTED` when the document has
//! no `Meta.DataModel` (not a Redox document); `JSON_BAD_TYPE` with a pointer for a value of the
//! wrong type (`VisitNumber` may be a string or a number); profile errors; `MAP_STRICT_REJECTED`.
//!
//! Warning codes: `REDOX_TEST_MESSAGE` (`Meta.Test` is true), `REDOX_VISIT_NUMBER_CHANGED` (a
//! Reschedule with a new `VisitNumber`), `MAP_EVENT_STATUS_MISMATCH`,
//! `MAP_PATIENT_ID_NO_TYPE_MATCH`, and the common ones (`MAP_PHONE_*`, `PHONE_*`, `MAP_ZONE_*`,
//! `MAP_DST_*`, `MAP_EVENT_TIME_ASSUMED_UTC`, `MAP_NO_EVENT_TIME`, `MAP_BAD_DATETIME`,
//! `MAP_SMS_VALUE_EMPTY`, `SANITIZE_*`).
//!
//! ```
//! use ehr_studio_bridge::{inbound::redox::map_redox, CompiledProfile};
//! let raw = std::fs::read("tests/fixtures/redox/scheduling-modification.json").unwrap();
//! let p = CompiledProfile::from_json(r#"{"sender":{"timeZone":"America/Chicago","defaultCountry":"US"}}"#).unwrap();
//! let e = map_redox(&raw, &p).unwrap().event.unwrap();
//! assert_eq!((e.event_type.as_str(), e.appointment_id.as_str()), ("MODIFIED", "1234"));
//! assert_eq!((e.appointment_datetime.as_str(), e.appointment_timezone.as_str()), ("2021-05-28T09:53:04", "-0500"));
//! ```

use super::common::{parse_iso, Cx, FilterInput, Mark, PhoneCand, ZoneChoice};
use super::json::{self, arr_at, bad_type, id_at, obj_at, str_at};
use super::redox_map::{self, EVENT_TYPES, PROVIDERS, PROVIDER_RULE, REDOX_MAP};
use crate::error::{Error, ErrorCode, Result};
use crate::event::{
    skip_codes, AppointmentEvent, EntityId, EventType, Field, MapResult, Provenance, Source,
};
use crate::pointer::Ptr;
use crate::profile::CompiledProfile;
use serde_json::Value;

fn src(f: Field, i: usize) -> (&'static str, &'static str) {
    REDOX_MAP
        .iter()
        .find(|m| m.field == f)
        .and_then(|m| m.sources.get(i))
        .map_or(("", ""), |s| (s.pointer, s.rule))
}

/// A string at a pointer of the table (absent/null/empty → `None`).
fn text_at<'v>(doc: &'v Value, pointer: &str) -> Result<Option<&'v str>> {
    match doc.pointer(pointer) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim()).filter(|s| !s.is_empty())),
        Some(_) => Err(Error::new(ErrorCode::JsonBadType, "expected a string here")
            .at_pointer(pointer.to_owned())),
    }
}

/// Whether a JSON value has any non-null, non-empty leaf.
fn has_leaf(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => a.iter().any(has_leaf),
        Value::Object(o) => o.values().any(has_leaf),
        _ => true,
    }
}

/// Map one Redox Scheduling document (see the module docs).
pub fn map_redox(input: &[u8], profile: &CompiledProfile) -> Result<MapResult> {
    let doc = json::parse(input)?;
    map_redox_value(&doc, profile)
}

/// [`map_redox`] for an already-parsed document: `Meta` (model, event type, delivery id), the
/// event type and the visit status, then the values step by step (event time, patient,
/// provider, location, visit), then the common finish (filters, phone, sanitization).
pub fn map_redox_value(doc: &Value, profile: &CompiledProfile) -> Result<MapResult> {
    let mut cx = Cx::new(profile);
    let root = Ptr::root("");
    if !doc.is_object() {
        return Err(bad_type(&root, "a Redox document (object)"));
    }
    let meta = read_meta(&mut cx, doc)?;
    if meta.model != "Scheduling" {
        return Ok(cx.skip(
            skip_codes::NOT_SCHEDULING_EVENT,
            "the Redox data model is not Scheduling",
            "Meta.DataModel",
        ));
    }
    if meta.v.get("Test").and_then(Value::as_bool) == Some(true) {
        cx.note(
            "REDOX_TEST_MESSAGE",
            "Meta.Test is true: a sandbox / test message",
            Some("/Meta/Test".into()),
        );
    }
    let (event, configured) = match event_type(&mut cx, meta.event_type.unwrap_or(""))? {
        Ok(found) => found,
        Err((code, reason, rule)) => return Ok(cx.skip(code, reason, &rule)),
    };
    let visit = obj_at(doc, "Visit", &root)?;
    let event = visit_status(&mut cx, visit, event, configured)?;
    let mut e = AppointmentEvent {
        event_type: event.as_str().to_owned(),
        ..Default::default()
    };
    match str_at(meta.v, "EventDateTime", &root.key("Meta"))? {
        Some(t) => {
            let (p, rule) = src(Field::EventDatetimeUtc, 0);
            cx.event_time(&mut e, t, p.into(), rule);
        }
        None => cx.no_event_time(),
    }
    let patient = obj_at(doc, "Patient", &root)?.filter(|p| has_leaf(p));
    let phone_ok = match patient {
        Some(pat) => map_patient(&mut cx, &mut e, doc, pat)?,
        None => {
            cx.prov(Field::PatientId, Provenance::none("no Patient"));
            crate::inbound::common::PhonePick::NoneUsable
        }
    };
    map_provider(&mut cx, &mut e, doc)?;
    map_location(&mut cx, &mut e, doc)?;
    match visit {
        Some(v) => map_visit(&mut cx, &mut e, v, event)?,
        None => cx.prov(Field::AppointmentId, Provenance::none("no Visit")),
    }
    if patient.is_none() {
        return Ok(cx.skip_with_draft(
            e,
            skip_codes::NO_PATIENT,
            "the message has no Patient (holds and blocks carry none): there is nobody to text",
            Some("Patient".into()),
            None,
        ));
    }
    cx.finish(e, event, phone_ok, &filter_input(doc))
}

/// `Meta` of a Redox document.
struct Meta<'v> {
    v: &'v Value,
    model: &'v str,
    event_type: Option<&'v str>,
}

/// `Meta.DataModel` (`REDOX_UNSUPPORTED` without it) and `Meta.EventType`; the event type and
/// the delivery id (`Meta.Logs[0].ID`, or the deprecated `Meta.Message.ID`) go to `ids`.
fn read_meta<'v>(cx: &mut Cx<'_>, doc: &'v Value) -> Result<Meta<'v>> {
    let root = Ptr::root("");
    let not_redox = || {
        Error::new(
            ErrorCode::RedoxUnsupported,
            "not a Redox Data Model document (no Meta.DataModel)",
        )
        .at_pointer("/Meta/DataModel")
    };
    let meta = obj_at(doc, "Meta", &root)?.ok_or_else(not_redox)?;
    let mp = root.key("Meta");
    let model = str_at(meta, "DataModel", &mp)?.ok_or_else(not_redox)?;
    let etype = str_at(meta, "EventType", &mp)?;
    cx.r.ids.trigger = etype.map(str::to_owned);
    let logs = arr_at(meta, "Logs", &mp)?;
    cx.r.ids.event_id = match logs.first() {
        Some(l) => id_at(l, "ID", &mp.key("Logs").idx(0))?,
        None => match obj_at(meta, "Message", &mp)? {
            Some(m) => id_at(m, "ID", &mp.key("Message"))?,
            None => None,
        },
    };
    Ok(Meta {
        v: meta,
        model,
        event_type: etype,
    })
}

/// A skip decided by the event type: `(code, reason, rule)`.
type EventSkip = (&'static str, &'static str, String);

/// The event type of `Meta.EventType`: the profile's `redox.events` rule, else the table's;
/// whether the profile configured it.
fn event_type(
    cx: &mut Cx<'_>,
    et: &str,
) -> Result<std::result::Result<(EventType, bool), EventSkip>> {
    if let Some(v) = cx.profile.redox.events.get(et) {
        if v.eq_ignore_ascii_case("skip") {
            return Ok(Err((
                skip_codes::EVENT_POLICY,
                "the profile's redox.events rules skip this event type",
                format!("redox.events.{et}"),
            )));
        }
        let Some(e) = EventType::parse(v) else {
            return Err(Error::new(ErrorCode::ProfileBadValue, "bad event rule")
                .at_pointer(format!("/redox/events/{et}")));
        };
        cx.prov(
            Field::EventType,
            Provenance::profile("profile.redox.events", "event type mapped by the profile"),
        );
        return Ok(Ok((e, true)));
    }
    match EVENT_TYPES
        .iter()
        .find(|(k, _, _)| *k == et)
        .and_then(|(_, e, _)| *e)
    {
        Some(e) => {
            cx.prov(
                Field::EventType,
                Provenance::path("/Meta/EventType", redox_map::event_rule(et)),
            );
            Ok(Ok((e, false)))
        }
        None => Ok(Err((
            skip_codes::NOT_SCHEDULING_EVENT,
            "the Scheduling event type is not an appointment event the flow texts about (New, Reschedule, Modification, Cancel, NoShow)",
            "Meta.EventType".into(),
        ))),
    }
}

/// `Visit.Status`: a confirmed status turns a (table-mapped) Modification into `CONFIRMED`; a
/// cancelled or no-show status that the event type contradicts is a warning.
fn visit_status(
    cx: &mut Cx<'_>,
    visit: Option<&Value>,
    event: EventType,
    configured: bool,
) -> Result<EventType> {
    let status = match visit {
        Some(v) => str_at(v, "Status", &Ptr::root("").key("Visit"))?,
        None => None,
    };
    let Some(st) = status else {
        return Ok(event);
    };
    let confirmed = match &cx.profile.redox.confirmed_statuses {
        Some(v) => v.iter().any(|c| c.eq_ignore_ascii_case(st)),
        None => st.eq_ignore_ascii_case("confirmed"),
    };
    let l = st.to_ascii_lowercase();
    let cancelled = matches!(l.as_str(), "canceled" | "cancelled");
    let noshow = matches!(l.as_str(), "noshow" | "no show" | "no-show");
    if event == EventType::Modified && !configured && confirmed {
        let (p, rule) = src(Field::EventType, 1);
        cx.prov(Field::EventType, Provenance::path(p, rule));
        return Ok(EventType::Confirmed);
    }
    if (cancelled && event != EventType::Canceled) || (noshow && event != EventType::Noshowed) {
        cx.warn_at(
            "MAP_EVENT_STATUS_MISMATCH",
            format!("Visit.Status says cancelled or no-show but the event type says {}; the event type decides", event.as_str()),
            Field::EventType,
            "/Visit/Status".into(),
        );
    }
    Ok(event)
}

/// The patient: `patient_id` (by `IDType`), names and phones; whether a phone the flow can text
/// was found.
fn map_patient(
    cx: &mut Cx<'_>,
    e: &mut AppointmentEvent,
    doc: &Value,
    pat: &Value,
) -> Result<crate::inbound::common::PhonePick> {
    patient_id(cx, e, pat)?;
    for f in [Field::PatientFirstName, Field::PatientLastName] {
        let (p, rule) = src(f, 0);
        match text_at(doc, p)? {
            Some(v) => cx.set(e, f, v, p, rule),
            None => cx.prov(f, Provenance::none("no name")),
        }
    }
    let mut cands: Vec<PhoneCand<'_>> = Vec::new();
    for (i, mark) in [(0, Mark::Mobile), (1, Mark::Home), (2, Mark::Work)] {
        let (p, rule) = src(Field::PatientPhone, i);
        if let Some(v) = text_at(doc, p)? {
            cands.push(PhoneCand {
                text: v,
                mark,
                src: p.to_owned(),
                mobile_rule: rule,
            });
        }
    }
    Ok(cx.pick_patient_phone(e, &cands))
}

/// `patient_id`: the first `Patient.Identifiers` entry whose `IDType` is in
/// `redox.patientIdTypes` order (default MR, MRN), else the first entry with a warning.
fn patient_id(cx: &mut Cx<'_>, e: &mut AppointmentEvent, pat: &Value) -> Result<()> {
    let root = Ptr::root("");
    let pp = root.key("Patient");
    let ids = arr_at(pat, "Identifiers", &pp)?;
    let ipp = pp.key("Identifiers");
    let mut cands: Vec<(usize, String, Option<&str>)> = Vec::new();
    for (i, x) in ids.iter().enumerate() {
        let ip = ipp.idx(i);
        if !x.is_object() {
            return Err(bad_type(&ip, "an identifier (object)"));
        }
        if let Some(id) = id_at(x, "ID", &ip)? {
            cands.push((i, id, str_at(x, "IDType", &ip)?));
        }
    }
    let types: Vec<&str> = match &cx.profile.redox.patient_id_types {
        Some(t) => t.iter().map(String::as_str).collect(),
        None => vec!["MR", "MRN"],
    };
    let chosen = types
        .iter()
        .find_map(|t| cands.iter().find(|c| c.2.is_some_and(|x| x.eq_ignore_ascii_case(t))))
        .or_else(|| {
            let first = cands.first();
            if first.is_some() {
                cx.warn("MAP_PATIENT_ID_NO_TYPE_MATCH", "no Patient.Identifiers entry has an IDType from redox.patientIdTypes; the first was used", Field::PatientId);
            }
            first
        });
    match chosen {
        Some((i, id, ty)) => {
            cx.r.ids.patient_id_type = ty.map(str::to_owned);
            cx.r.ids.patient_identifier = Some(EntityId {
                id: id.clone(),
                namespace: ty.map(str::to_owned),
            });
            let (_, rule) = src(Field::PatientId, 0);
            cx.set(
                e,
                Field::PatientId,
                id.clone(),
                format!("/Patient/Identifiers/{i}/ID"),
                rule,
            );
        }
        None => cx.prov(Field::PatientId, Provenance::none("no patient identifier")),
    }
    Ok(())
}

/// The provider: the first of [`PROVIDERS`] with an id or a name gives `provider_id` and the
/// names, and its office phone `provider_callback_phone`; else the defaults.
fn map_provider(cx: &mut Cx<'_>, e: &mut AppointmentEvent, doc: &Value) -> Result<()> {
    let provider = PROVIDERS.iter().find_map(|p| {
        doc.pointer(p)
            .filter(|v| {
                v.is_object()
                    && ["ID", "FirstName", "LastName"]
                        .iter()
                        .any(|k| v.get(*k).is_some_and(has_leaf))
            })
            .map(|v| (*p, v))
    });
    for (f, key) in [
        (Field::ProviderId, "ID"),
        (Field::ProviderFirstName, "FirstName"),
        (Field::ProviderLastName, "LastName"),
    ] {
        let val = match provider {
            Some((p, v)) => {
                let pt = Ptr::root(p);
                let x = if f == Field::ProviderId {
                    id_at(v, key, &pt)?
                } else {
                    str_at(v, key, &pt)?.map(str::to_owned)
                };
                x.map(|x| (x, format!("{p}/{key}")))
            }
            None => None,
        };
        match val {
            Some((x, p)) => cx.set(e, f, x, p, PROVIDER_RULE),
            None => cx.default_or_none(e, f, "no provider"),
        }
    }
    let office = match provider {
        Some((p, v)) => match obj_at(v, "PhoneNumber", &Ptr::root(p))? {
            Some(ph) => str_at(ph, "Office", &Ptr::root(p).key("PhoneNumber"))?
                .map(|o| (o, format!("{p}/PhoneNumber/Office"))),
            None => None,
        },
        None => None,
    };
    let cb = office.and_then(|(o, p)| cx.callback_number(o, &p).map(|n| (n, p)));
    match cb {
        Some((n, p)) => {
            let (_, rule) = src(Field::ProviderCallbackPhone, 0);
            cx.set(e, Field::ProviderCallbackPhone, n, p, rule);
        }
        None => cx.default_or_none(e, Field::ProviderCallbackPhone, "no provider office phone"),
    }
    Ok(())
}

/// `appointment_location`: the table's sources in order, else the default.
fn map_location(cx: &mut Cx<'_>, e: &mut AppointmentEvent, doc: &Value) -> Result<()> {
    for i in 0..3 {
        let (p, rule) = src(Field::AppointmentLocation, i);
        if let Some(v) = text_at(doc, p)? {
            cx.set(e, Field::AppointmentLocation, v, p, rule);
            return Ok(());
        }
    }
    cx.default_or_none(e, Field::AppointmentLocation, "no Visit.Location");
    Ok(())
}

/// The visit: `appointment_id` (`VisitNumber`; a reschedule's old number is kept in `ids`) and
/// the start (`VisitDateTime` in the sender's zone).
fn map_visit(cx: &mut Cx<'_>, e: &mut AppointmentEvent, v: &Value, event: EventType) -> Result<()> {
    let root = Ptr::root("");
    let vp = root.key("Visit");
    match id_at(v, "VisitNumber", &vp)? {
        Some(id) => {
            let (p, rule) = src(Field::AppointmentId, 0);
            cx.set(e, Field::AppointmentId, id, p, rule);
        }
        None => cx.prov(
            Field::AppointmentId,
            Provenance::none("no Visit.VisitNumber"),
        ),
    }
    if event == EventType::Rescheduled {
        let old = id_at(v, "OldVisitNumber", &vp)?;
        if old.is_some() && old.as_deref() != Some(e.appointment_id.as_str()) {
            cx.warn_at(
                "REDOX_VISIT_NUMBER_CHANGED",
                "the reschedule gave the visit a new number: PAM keeps the old number's stored state (ids.previousAppointmentId) until the host retires it",
                Field::AppointmentId,
                "/Visit/OldVisitNumber".into(),
            );
        }
        cx.r.ids.previous_appointment_id = old;
    }
    match str_at(v, "VisitDateTime", &vp)? {
        Some(t) => match parse_iso(t) {
            Some(iso) => {
                let zone = cx.sender_zone().map(|tz| ZoneChoice {
                    tz,
                    src: Source::Profile("profile.sender.timeZone"),
                    start_rule: src(Field::AppointmentDatetime, 0).1,
                });
                cx.localize_start(e, iso, "/Visit/VisitDateTime".into(), zone, true);
            }
            None => {
                cx.warn_at(
                    "MAP_BAD_DATETIME",
                    "Visit.VisitDateTime is not an ISO 8601 date-time",
                    Field::AppointmentDatetime,
                    "/Visit/VisitDateTime".into(),
                );
                cx.prov(
                    Field::AppointmentDatetime,
                    Provenance::none("unparseable VisitDateTime"),
                );
            }
        },
        None => cx.prov(
            Field::AppointmentDatetime,
            Provenance::none("no Visit.VisitDateTime"),
        ),
    }
    Ok(())
}

/// What the filters read: the document, `Meta.FacilityCode`, `Visit.Type` (else `Visit.Reason`).
fn filter_input(doc: &Value) -> FilterInput<'_> {
    FilterInput {
        doc: Some(doc),
        facility: text_at(doc, "/Meta/FacilityCode")
            .ok()
            .flatten()
            .map(str::to_owned),
        appointment_type: text_at(doc, "/Visit/Type")
            .ok()
            .flatten()
            .or(text_at(doc, "/Visit/Reason").ok().flatten())
            .map(str::to_owned),
    }
}
