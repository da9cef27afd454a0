//! FHIR R4 (R4B, R5) → Studio `Parameters`: the same [`MapResult`] as the SIU path.
//!
//! Inputs ([`map_fhir`]): a bare Appointment (with `contained` resources); a Bundle (searchset
//! with `_include`d Patient / Practitioner / PractitionerRole / Location, collection, batch or
//! transaction such as FHIR-Converter output with its MessageHeader, history); a subscription
//! notification (R4 backport `Parameters` status, R4B backport or R5 `SubscriptionStatus`), full
//! resource or id-only. References resolve `#contained`, relative, absolute, `urn:uuid:` and
//! versioned `/_history/n` forms against `entry.fullUrl`, ids and identifiers. The sources of each
//! key are the data in [`table`] (rendered in `docs/fhir-mapping.md`).
//!
//! The event comes from `status`, the optional previous snapshot ([`FhirOptions::previous`], or
//! the preceding version in a history Bundle), an optional trigger/topic hint (the `trigger`
//! option, `MessageHeader.eventCoding`/`eventUri`, the subscription topic, athena's AuditEvent
//! type) and R5 `replaces` — see [`table::CHANGE_RULES`].
//!
//! Outcomes beyond an event: `SKIP_NOT_SCHEDULING_EVENT` (another resource type, a handshake or
//! heartbeat, a focus that is not an Appointment, S18–S24), `SKIP_STATUS_NOT_NOTIFIABLE`,
//! `SKIP_NO_RELEVANT_CHANGE`, `SKIP_REPLACED`, `SKIP_EVENT_POLICY` (`fhir.events` … `skip`,
//! `fhir.enteredInError`, `fhir.withoutPrevious`), `SKIP_NO_PATIENT`, `SKIP_MISSING_REQUIRED`,
//! `SKIP_FILTERED`, `SKIP_NO_MOBILE_PHONE`, and `NEEDS_FETCH` with `needsFetch.resources` (what
//! the host must read before mapping again with the `resources` option).
//!
//! Errors: the JSON errors of [`crate::inbound::json`]; `JSON_BAD_TYPE` (with a pointer) for an
//! element of the wrong type; `FHIR_MISSING_ELEMENT` for a document or resource without
//! `resourceType`; `FHIR_UNSUPPORTED_RESOURCE` for a `resourceType` that is not a FHIR type name;
//! `BAD_ARGUMENT` for a `previous` option that is not the same Appointment; profile errors;
//! `MAP_STRICT_REJECTED` in strict mode.
//!
//! Warning codes (besides those of the common machinery, see `inbound::common`):
//! `FHIR_TRIGGER_UNRECOGNIZED`, `FHIR_TRIGGER_STATUS_MISMATCH`, `FHIR_TRIGGER_DISAGREES`,
//! `FHIR_STATUS_UNRECOGNIZED`, `FHIR_ENTERED_IN_ERROR`, `FHIR_REPLACES`,
//! `FHIR_EVENT_WITHOUT_PREVIOUS`, `FHIR_MULTIPLE_APPOINTMENTS`, `FHIR_MULTIPLE_EVENTS`,
//! `FHIR_REFERENCE_UNRESOLVED` (an optional resource is not in the input: display text or profile
//! defaults used), `FHIR_NAME_FROM_TEXT`, `FHIR_NAME_FROM_DISPLAY`, `FHIR_NAME_EXPIRED`,
//! `FHIR_BAD_TIMEZONE`, `FHIR_IDENTIFIER_NOT_FOUND`, `FHIR_CONTAINED_ID` (a contained Patient or
//! Practitioner: its local id is not a server id, so an identifier is used),
//! `MAP_MULTIPLE_PATIENTS`.
//!
//! ```
//! use ehr_studio_bridge::{inbound::fhir::{map_fhir, FhirOptions}, Profile};
//! let raw = std::fs::read("tests/fixtures/fhir/synthetic/r4-searchset-appointment-include.json").unwrap();
//! let r = map_fhir(&raw, &Profile::default(), &FhirOptions::default()).unwrap();
//! let e = r.event.unwrap();
//! assert_eq!((e.event_type.as_str(), e.patient_id.as_str()), ("BOOKED", "P1"));
//! assert_eq!(e.patient_phone, "+16085550199");
//! assert_eq!((e.appointment_datetime.as_str(), e.appointment_timezone.as_str()), ("2024-03-12T09:30:00", "-0500"));
//! ```

mod derive;
mod fields;
mod index;
mod notify;
pub mod table;

use self::derive::{Derived, Hint, Inputs, Snapshot};
use self::fields::{Participant, Tel};
use self::index::{read_reference, Index, Origin, RefKind, Reference};
use self::table::Role;
use crate::error::{Error, ErrorCode, Result};
use crate::event::{
    skip_codes, AppointmentEvent, EntityId, FetchItem, Field, MapResult, NeedsFetch, Provenance,
    Source,
};
use crate::inbound::common::{parse_iso, Cx, FilterInput, PhoneCand, ZoneChoice};
use crate::inbound::json::{self, arr_at, bad_type, obj_at, str_at, Ptr};
use crate::profile::{CallbackSource, FirstNameUse, IdSource, Profile};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Options of [`map_fhir`] (JSON: `{"previous": {...}, "trigger": "S13", "nowMs": 1710000000000,
/// "resources": [...]}`, every key optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FhirOptions {
    /// The previous snapshot of the same Appointment (the host's cache, or a `_history` read), or
    /// a Bundle holding it: tells BOOKED / RESCHEDULED / MODIFIED / CONFIRMED apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Value>,
    /// A trigger or topic hint from outside the document: a v2 trigger (`S13`), a topic name
    /// (`Appointment.reschedule`) or URL. Wins over the hints inside the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    /// The host's clock (ms since the epoch): the event time of last resort, and the date that
    /// expires `period`s of names and phones when the input has no event time. The library never
    /// reads a clock itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now_ms: Option<i64>,
    /// Resources (or Bundles) the host read after a `NEEDS_FETCH` result: they resolve the
    /// references of the input as if they were included.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Value>,
}

impl FhirOptions {
    /// Parse options from JSON (`BAD_ARGUMENT` with a pointer for unknown keys or wrong types).
    pub fn from_json(s: &str) -> Result<FhirOptions> {
        let v = json::parse(s.as_bytes())?;
        Self::from_value(v)
    }

    /// [`FhirOptions::from_json`] for a parsed value (`null` = defaults).
    pub fn from_value(v: Value) -> Result<FhirOptions> {
        if v.is_null() {
            return Ok(FhirOptions::default());
        }
        check_options(&v, &[])?;
        serde_json::from_value(v).map_err(|_| {
            Error::new(
                ErrorCode::BadArgument,
                "FHIR options do not match the schema",
            )
        })
    }
}

/// Check an options object: the FHIR keys plus `extra` (key, check) pairs. `BAD_ARGUMENT` with a
/// pointer for an unknown key or a wrong type.
#[allow(clippy::type_complexity)]
pub(crate) fn check_options(v: &Value, extra: &[(&str, fn(&Value) -> bool, &str)]) -> Result<()> {
    let Some(o) = v.as_object() else {
        return Err(Error::new(
            ErrorCode::BadArgument,
            "options must be an object",
        ));
    };
    let base: [(&str, fn(&Value) -> bool, &str); 4] = [
        (
            "previous",
            |x| x.is_null() || x.is_object(),
            "an Appointment (object)",
        ),
        ("trigger", |x| x.is_null() || x.is_string(), "a string"),
        (
            "nowMs",
            |x| x.is_null() || x.as_i64().is_some(),
            "an integer (ms since the epoch)",
        ),
        (
            "resources",
            |x| x.as_array().is_some_and(|a| a.iter().all(Value::is_object)),
            "an array of resources (objects)",
        ),
    ];
    for (k, x) in o {
        let ptr = {
            let mut p = String::from("/");
            json::escape_token(k, &mut p);
            p
        };
        match base.iter().chain(extra.iter()).find(|(n, _, _)| n == k) {
            Some((_, ok, what)) => {
                if !ok(x) {
                    return Err(
                        Error::new(ErrorCode::BadArgument, format!("expected {what}"))
                            .at_pointer(ptr),
                    );
                }
            }
            None => {
                let mut known: Vec<&str> = base.iter().map(|b| b.0).collect();
                known.extend(extra.iter().map(|b| b.0));
                return Err(Error::new(
                    ErrorCode::BadArgument,
                    format!("unknown option; expected one of: {}", known.join(", ")),
                )
                .at_pointer(ptr));
            }
        }
    }
    Ok(())
}

/// Map a FHIR document to one result (for a history Bundle: the newest version against the one
/// before it; for several appointments: the first, with `FHIR_MULTIPLE_APPOINTMENTS`; use
/// [`map_fhir_all`] for all of them). See the module docs.
pub fn map_fhir(input: &[u8], profile: &Profile, opts: &FhirOptions) -> Result<MapResult> {
    let doc = json::parse(input)?;
    map_fhir_value(&doc, profile, opts)
}

/// [`map_fhir`] for an already-parsed document.
pub fn map_fhir_value(doc: &Value, profile: &Profile, opts: &FhirOptions) -> Result<MapResult> {
    let mut v = run(doc, profile, opts, false)?;
    v.pop()
        .ok_or_else(|| Error::new(ErrorCode::Internal, "no result was produced"))
}

/// Map every appointment event of a FHIR document: each Appointment of a searchset, each
/// notification event, and each version of a history Bundle (oldest first, each against its
/// predecessor).
pub fn map_fhir_all(input: &[u8], profile: &Profile, opts: &FhirOptions) -> Result<Vec<MapResult>> {
    let doc = json::parse(input)?;
    run(&doc, profile, opts, true)
}

// ---- planning -----------------------------------------------------------------------------------

enum Prev {
    None,
    Index(usize),
    Options,
}

enum Kind<'v> {
    Appt {
        idx: usize,
        prev: Prev,
        replaced_by: Option<usize>,
    },
    Missing {
        focus: Option<(Reference<'v>, String)>,
        rtype: Option<String>,
        context: Vec<(Reference<'v>, String)>,
    },
    Skip(&'static str, String, String),
}

struct Job<'v> {
    kind: Kind<'v>,
    hint: Option<Hint>,
    event_time: Option<(&'v str, String)>,
    event_id: Option<String>,
}

impl<'v> Job<'v> {
    fn new(kind: Kind<'v>) -> Self {
        Job {
            kind,
            hint: None,
            event_time: None,
            event_id: None,
        }
    }
}

struct Plan<'v> {
    jobs: Vec<Job<'v>>,
    primary: usize,
    /// The warning code when the primary is one of several.
    several: &'static str,
}

fn run(doc: &Value, profile: &Profile, opts: &FhirOptions, all: bool) -> Result<Vec<MapResult>> {
    profile.validate()?;
    let root_p = Ptr::root("");
    if !doc.is_object() {
        return Err(bad_type(&root_p, "a FHIR resource (object)"));
    }
    let Some(rtype) = str_at(doc, "resourceType", &root_p)? else {
        return Err(Error::new(
            ErrorCode::FhirMissingElement,
            "the document has no resourceType: it is not a FHIR resource",
        )
        .at_pointer("/resourceType"));
    };
    if !index::type_name_ok(rtype) {
        return Err(Error::new(
            ErrorCode::FhirUnsupportedResource,
            "resourceType is not a FHIR resource type name",
        )
        .at_pointer("/resourceType"));
    }
    let mut ix = Index::default();
    let root = ix.add(doc, String::new(), Origin::Root, None, None)?;
    if rtype == "Bundle" {
        ix.add_bundle(doc, "", false)?;
    }
    for (i, r) in opts.resources.iter().enumerate() {
        let p = format!("options.resources/{i}");
        if r.get("resourceType").and_then(Value::as_str) == Some("Bundle") {
            ix.add_bundle(r, &p, true)?;
        } else {
            ix.add(r, p, Origin::Fetched, None, None)?;
        }
    }
    let bundle_ts = if rtype == "Bundle" {
        str_at(doc, "timestamp", &root_p)?.map(|t| (t, "/timestamp".to_owned()))
    } else {
        None
    };
    let doc_hint = document_hint(&ix, opts)?;
    let mut plan = plan(&ix, root, rtype, opts)?;
    for j in &mut plan.jobs {
        // Hint precedence: the host's option, then the job's own (topic), then the document's.
        if let Some(t) = &opts.trigger {
            j.hint = Some(Hint {
                text: t.clone(),
                src: "options.trigger".into(),
            });
        } else if j.hint.is_none() {
            j.hint = doc_hint.as_ref().map(|h| Hint {
                text: h.text.clone(),
                src: h.src.clone(),
            });
        }
    }
    let ctx = Shared {
        ix: &ix,
        profile,
        opts,
        bundle_ts,
    };
    let n = plan.jobs.len();
    if all {
        let mut out = Vec::with_capacity(n);
        for j in &plan.jobs {
            out.push(ctx.map_job(j)?);
        }
        return Ok(out);
    }
    let Some(j) = plan.jobs.get(plan.primary) else {
        return Err(Error::new(ErrorCode::Internal, "no mapping job"));
    };
    let mut r = ctx.map_job(j)?;
    if n > 1 {
        r.warnings.push(crate::error::Warning::new(
            plan.several,
            format!("the input holds {n} appointment events; this result is one of them (map_fhir_all returns every one)"),
        ));
    }
    Ok(vec![r])
}

/// A hint carried by the document itself: `MessageHeader.eventCoding.code`, `eventUri`
/// / `eventCanonical`, or an athena AuditEvent's `type.code`.
fn document_hint(ix: &Index<'_>, _opts: &FhirOptions) -> Result<Option<Hint>> {
    for r in ix
        .res
        .iter()
        .filter(|r| !matches!(r.origin, Origin::Fetched | Origin::Contained(_)))
    {
        let p = Ptr::root(&r.ptr);
        match r.rtype {
            "MessageHeader" => {
                if let Some(c) = obj_at(r.v, "eventCoding", &p)? {
                    let cp = p.key("eventCoding");
                    if let Some(code) = str_at(c, "code", &cp)? {
                        return Ok(Some(Hint {
                            text: code.to_owned(),
                            src: cp.key("code").render(),
                        }));
                    }
                }
                for k in ["eventUri", "eventCanonical"] {
                    if let Some(u) = str_at(r.v, k, &p)? {
                        return Ok(Some(Hint {
                            text: u.to_owned(),
                            src: p.key(k).render(),
                        }));
                    }
                }
            }
            "AuditEvent" => {
                if let Some(t) = obj_at(r.v, "type", &p)? {
                    let tp = p.key("type");
                    if let Some(code) = str_at(t, "code", &tp)? {
                        return Ok(Some(Hint {
                            text: code.to_owned(),
                            src: tp.key("code").render(),
                        }));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(None)
}

fn not_event(reason: String, rule: &str) -> Job<'static> {
    Job::new(Kind::Skip(
        skip_codes::NOT_SCHEDULING_EVENT,
        reason,
        rule.to_owned(),
    ))
}

fn single(job: Job<'_>) -> Plan<'_> {
    Plan {
        jobs: vec![job],
        primary: 0,
        several: "FHIR_MULTIPLE_APPOINTMENTS",
    }
}

fn plan<'v>(ix: &Index<'v>, root: usize, rtype: &str, opts: &FhirOptions) -> Result<Plan<'v>> {
    let prev_opt = || {
        if opts.previous.is_some() {
            Prev::Options
        } else {
            Prev::None
        }
    };
    match rtype {
        "Appointment" => Ok(single(Job::new(Kind::Appt {
            idx: root,
            prev: prev_opt(),
            replaced_by: None,
        }))),
        "Parameters" | "SubscriptionStatus" => match ix.get(root).map(notify::read).transpose()?.flatten() {
            Some(n) => notification_plan(ix, n, opts),
            None => Ok(single(not_event(
                "a Parameters resource that is not a subscription status".into(),
                "resourceType",
            ))),
        },
        "Bundle" => bundle_plan(ix, root, opts),
        "MessageHeader" => message_focus_plan(ix, root),
        "AppointmentResponse" => Ok(single(not_event(
            "an AppointmentResponse is a participant's answer; the scheduler copies it into Appointment.participant.status, so map the Appointment".into(),
            "resourceType",
        ))),
        other => Ok(single(not_event(
            format!("a {other} resource is not an appointment event"),
            "resourceType",
        ))),
    }
}

fn message_focus_plan<'v>(ix: &Index<'v>, mh: usize) -> Result<Plan<'v>> {
    let Some(r) = ix.get(mh) else {
        return Ok(single(not_event("no MessageHeader".into(), "resourceType")));
    };
    let p = Ptr::root(&r.ptr);
    let fp = p.key("focus");
    let mut jobs = Vec::new();
    for (i, f) in arr_at(r.v, "focus", &p)?.iter().enumerate() {
        let ip = fp.idx(i);
        let rf = read_reference(f, &ip)?;
        jobs.push(focus_job(ix, rf, ip.render(), None, Vec::new()));
    }
    if jobs.is_empty() {
        return Ok(single(not_event(
            "a MessageHeader without a focus carries no appointment (map the whole message Bundle)"
                .into(),
            "MessageHeader.focus",
        )));
    }
    Ok(Plan {
        jobs,
        primary: 0,
        several: "FHIR_MULTIPLE_EVENTS",
    })
}

/// A job for a focus reference: the resolved Appointment, a skip for another type, or a fetch.
fn focus_job<'v>(
    ix: &Index<'v>,
    focus: Reference<'v>,
    ptr: String,
    type_hint: Option<String>,
    context: Vec<(Reference<'v>, String)>,
) -> Job<'v> {
    if let Some(i) = ix.resolve(&focus, None) {
        let t = ix.get(i).map_or("", |r| r.rtype);
        if t == "Appointment" {
            return Job::new(Kind::Appt {
                idx: i,
                prev: Prev::None,
                replaced_by: None,
            });
        }
        return not_event(
            format!("the event's focus is a {t}, not an Appointment"),
            "focus",
        );
    }
    let rtype = focus
        .rtype()
        .map(str::to_owned)
        .or(type_hint)
        .or_else(|| match &focus.kind {
            RefKind::Identifier { system, .. }
                if system.is_some_and(|s| s.to_ascii_lowercase().contains("appointment")) =>
            {
                Some("Appointment".to_owned())
            }
            _ => None,
        });
    match rtype.as_deref() {
        Some("Appointment") => Job::new(Kind::Missing {
            focus: Some((focus, ptr)),
            rtype,
            context,
        }),
        Some(t) if index::type_name_ok(t) => not_event(
            format!("the event's focus is a {t}, not an Appointment"),
            "focus",
        ),
        _ => not_event(
            "the event's focus does not say what it is and the topic does not name Appointment"
                .into(),
            "focus",
        ),
    }
}

fn notification_plan<'v>(
    ix: &Index<'v>,
    n: notify::Notification<'v>,
    opts: &FhirOptions,
) -> Result<Plan<'v>> {
    let ntype = n.ntype.unwrap_or("");
    if !matches!(ntype, "event-notification" | "query-event") {
        let what = match ntype {
            "handshake" | "heartbeat" | "query-status" => ntype,
            "" => "notification without a type",
            _ => "notification of an unknown type",
        };
        return Ok(single(not_event(
            format!("a subscription {what} carries no appointment event"),
            "notification.type",
        )));
    }
    // athena: an AuditEvent per event carries the patient; its type names the topic.
    let mut audit_patients: Vec<(Reference<'v>, String)> = Vec::new();
    for r in ix
        .res
        .iter()
        .filter(|r| r.rtype == "AuditEvent" && r.origin != Origin::Fetched)
    {
        let p = Ptr::root(&r.ptr);
        let xp = p.key("extension");
        for (i, x) in arr_at(r.v, "extension", &p)?.iter().enumerate() {
            let ip = xp.idx(i);
            let url = str_at(x, "url", &ip)?.unwrap_or("");
            if url.ends_with("AuditEvent.patient") {
                if let Some(v) = obj_at(x, "valueReference", &ip)? {
                    let vp = ip.key("valueReference");
                    audit_patients.push((read_reference(v, &vp)?, vp.render()));
                }
            }
        }
    }
    let topic_type = n.topic.as_ref().and_then(|(t, _)| {
        let last = t.rsplit('/').next().unwrap_or(t);
        let head = last.split('.').next().unwrap_or(last);
        (last.contains('.') && index::type_name_ok(head)).then(|| head.to_owned())
    });
    let mut jobs = Vec::new();
    for ev in n.events {
        let mut context = ev.context;
        context.extend(audit_patients.iter().cloned());
        let mut job = match ev.focus {
            Some((f, fp)) => focus_job(ix, f, fp, topic_type.clone(), context),
            None => Job::new(Kind::Missing {
                focus: None,
                rtype: None,
                context,
            }),
        };
        if let Kind::Appt { prev, .. } = &mut job.kind {
            if opts.previous.is_some() {
                *prev = Prev::Options;
            }
        }
        job.hint = n.topic.as_ref().map(|(t, p)| Hint {
            text: (*t).to_owned(),
            src: p.clone(),
        });
        job.event_time = ev.timestamp;
        job.event_id = ev.id.map(str::to_owned).or(ev.number);
        jobs.push(job);
    }
    if jobs.is_empty() {
        jobs.push(Job::new(Kind::Missing {
            focus: None,
            rtype: None,
            context: Vec::new(),
        }));
    }
    Ok(Plan {
        jobs,
        primary: 0,
        several: "FHIR_MULTIPLE_EVENTS",
    })
}

fn bundle_plan<'v>(ix: &Index<'v>, root: usize, opts: &FhirOptions) -> Result<Plan<'v>> {
    let first_entry = ix.res.iter().find(|r| r.origin == Origin::Entry(0));
    if let Some(fe) = first_entry {
        if let Some(n) = notify::read(fe)? {
            return notification_plan(ix, n, opts);
        }
    }
    let btype = ix
        .get(root)
        .and_then(|r| r.v.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let appts: Vec<usize> = ix
        .res
        .iter()
        .enumerate()
        .filter(|(_, r)| r.rtype == "Appointment" && matches!(r.origin, Origin::Entry(_)))
        .map(|(i, _)| i)
        .collect();
    if appts.is_empty() {
        if let Some(mh) = ix
            .res
            .iter()
            .position(|r| r.rtype == "MessageHeader" && matches!(r.origin, Origin::Entry(_)))
        {
            return message_focus_plan(ix, mh);
        }
        return Ok(single(not_event(
            "the Bundle holds no Appointment".into(),
            "Bundle.entry",
        )));
    }
    if btype == "history" {
        return Ok(history_plan(ix, &appts, opts));
    }
    let matches: Vec<usize> = appts
        .iter()
        .copied()
        .filter(|&i| ix.get(i).and_then(|r| r.search_mode) != Some("include"))
        .collect();
    let list = if matches.is_empty() { appts } else { matches };
    // R5 replaces between the appointments of the input.
    let mut replaced_by: Vec<Option<usize>> = vec![None; list.len()];
    for (k, &i) in list.iter().enumerate() {
        let Some(r) = ix.get(i) else { continue };
        let p = Ptr::root(&r.ptr);
        let rp = p.key("replaces");
        for (j, x) in arr_at(r.v, "replaces", &p)?.iter().enumerate() {
            let rf = read_reference(x, &rp.idx(j))?;
            if let Some(t) = ix.resolve(&rf, Some(i)) {
                if let Some(pos) = list.iter().position(|&y| y == t) {
                    if let Some(slot) = replaced_by.get_mut(pos) {
                        if pos != k {
                            *slot = Some(i);
                        }
                    }
                }
            }
        }
    }
    let single_prev = list.len() == 1 && opts.previous.is_some();
    let jobs: Vec<Job<'v>> = list
        .iter()
        .zip(replaced_by.iter())
        .map(|(&i, rb)| {
            Job::new(Kind::Appt {
                idx: i,
                prev: if single_prev {
                    Prev::Options
                } else {
                    Prev::None
                },
                replaced_by: *rb,
            })
        })
        .collect();
    let primary = replaced_by.iter().position(Option::is_none).unwrap_or(0);
    Ok(Plan {
        jobs,
        primary,
        several: "FHIR_MULTIPLE_APPOINTMENTS",
    })
}

fn history_plan<'v>(ix: &Index<'v>, appts: &[usize], opts: &FhirOptions) -> Plan<'v> {
    // Group by id (first-seen order), each group oldest first.
    let mut groups: Vec<(Option<&str>, Vec<usize>)> = Vec::new();
    for &i in appts {
        let id = ix.get(i).and_then(|r| r.id);
        match groups.iter_mut().find(|(g, _)| *g == id) {
            Some((_, v)) => v.push(i),
            None => groups.push((id, vec![i])),
        }
    }
    let mut jobs = Vec::new();
    let mut primary = 0;
    for (gi, (_, mut v)) in groups.into_iter().enumerate() {
        let key = |i: &usize| {
            let r = ix.get(*i);
            let ver = index::version_num(r.and_then(|r| r.version));
            let lu = r
                .and_then(|r| r.v.get("meta"))
                .and_then(|m| m.get("lastUpdated"))
                .and_then(Value::as_str)
                .and_then(parse_iso)
                .and_then(|t| t.utc());
            // History Bundles list the newest first: document order reversed breaks ties.
            (ver, lu, std::cmp::Reverse(*i))
        };
        v.sort_by_key(key);
        for (k, &i) in v.iter().enumerate() {
            let prev = match k.checked_sub(1).and_then(|p| v.get(p)) {
                Some(&p) => Prev::Index(p),
                None if opts.previous.is_some() => Prev::Options,
                None => Prev::None,
            };
            jobs.push(Job::new(Kind::Appt {
                idx: i,
                prev,
                replaced_by: None,
            }));
        }
        if gi == 0 {
            primary = jobs.len().saturating_sub(1);
        }
    }
    Plan {
        jobs,
        primary,
        several: "FHIR_MULTIPLE_EVENTS",
    }
}

// ---- mapping one job ----------------------------------------------------------------------------

struct Shared<'a, 'v> {
    ix: &'a Index<'v>,
    profile: &'a Profile,
    opts: &'a FhirOptions,
    bundle_ts: Option<(&'v str, String)>,
}

fn fetch_item(r: &Reference<'_>, required: bool, purpose: &'static str) -> Option<FetchItem> {
    let (reference, id, version, identifier) = match &r.kind {
        RefKind::Literal { id, version, .. } => (
            r.raw.unwrap_or_default().to_owned(),
            Some((*id).to_owned()),
            version.map(str::to_owned),
            None,
        ),
        RefKind::Identifier { system, value } => {
            let mut q = format!("{}?identifier=", r.rtype().unwrap_or("Appointment"));
            if let Some(s) = system {
                q.push_str(s);
                q.push('|');
            }
            q.push_str(value);
            (
                q,
                None,
                None,
                Some(EntityId {
                    id: (*value).to_owned(),
                    namespace: system.map(str::to_owned),
                }),
            )
        }
        _ => return None,
    };
    Some(FetchItem {
        reference,
        resource_type: r.rtype().map(str::to_owned),
        id,
        version_id: version,
        identifier,
        required,
        purpose,
    })
}

impl<'v> Shared<'_, 'v> {
    fn map_job(&self, job: &Job<'v>) -> Result<MapResult> {
        let mut cx = Cx::prevalidated(self.profile);
        cx.r.ids.trigger = job.hint.as_ref().map(|h| h.text.clone());
        cx.r.ids.event_id = job.event_id.clone();
        match &job.kind {
            Kind::Skip(code, reason, rule) => Ok(cx.skip(code, reason.clone(), rule)),
            Kind::Missing {
                focus,
                rtype,
                context,
            } => {
                let mut items = Vec::new();
                if let Some((f, _)) = focus {
                    let mut f = f.clone();
                    if f.declared_type.is_none() {
                        f.declared_type = rtype.as_deref().and_then(|t| match t {
                            "Appointment" => Some("Appointment"),
                            _ => None,
                        });
                    }
                    items.extend(fetch_item(
                        &f,
                        true,
                        "the appointment (the notification's focus)",
                    ));
                }
                for (c, _) in context {
                    let patient = c.rtype() == Some("Patient");
                    items.extend(fetch_item(
                        c,
                        patient,
                        if patient {
                            "the patient: name and mobile phone"
                        } else {
                            "additional context of the event"
                        },
                    ));
                }
                items.sort_by_key(|i| !i.required);
                let reason = if focus.is_some() {
                    "the notification carries only references (id-only content): read the listed resources and map again with them (resources option)"
                } else {
                    "the notification names no focus (empty content): query the subscription's events ($events) or search by its topic"
                };
                cx.r.needs_fetch = Some(NeedsFetch { resources: items });
                Ok(cx.skip(skip_codes::NEEDS_FETCH, reason, "notification-event.focus"))
            }
            Kind::Appt {
                idx,
                prev,
                replaced_by,
            } => self.map_appointment(cx, job, *idx, prev, *replaced_by),
        }
    }

    fn res_ptr(&self, i: usize) -> String {
        self.ix.get(i).map(|r| r.ptr.clone()).unwrap_or_default()
    }

    #[allow(clippy::too_many_lines)]
    fn map_appointment(
        &self,
        mut cx: Cx<'_>,
        job: &Job<'v>,
        ai: usize,
        prev: &Prev,
        replaced_by: Option<usize>,
    ) -> Result<MapResult> {
        let ix = self.ix;
        let fhir = &self.profile.fhir;
        let Some(a) = ix.get(ai) else {
            return Err(Error::new(ErrorCode::Internal, "appointment index"));
        };
        let ap = Ptr::root(&a.ptr);
        let v = a.v;
        // ---- ids ------------------------------------------------------------------------------
        if let Some(id) = a.id {
            cx.r.ids.appointment_ref = Some(format!("Appointment/{id}"));
        }
        cx.r.ids.appointment_version = a.version.map(str::to_owned);
        let appt_ids = fields::identifiers(v, &ap)?;
        for i in &appt_ids {
            let ent = EntityId {
                id: i.value.clone(),
                namespace: i.system.map(str::to_owned),
            };
            if i.types.iter().any(|t| t.eq_ignore_ascii_case("FILL")) {
                cx.r.ids.filler_appointment_id.get_or_insert(ent);
            } else if i.types.iter().any(|t| t.eq_ignore_ascii_case("PLAC")) {
                cx.r.ids.placer_appointment_id.get_or_insert(ent);
            } else {
                cx.r.ids.appointment_identifier.get_or_insert(ent);
            }
        }
        if let Some(by) = replaced_by {
            return Ok(cx.skip(
                skip_codes::REPLACED,
                "this appointment is replaced by another one in the input (R5 replaces): the replacement is sent as RESCHEDULED and this cancellation is not sent",
                &format!("{}/replaces", self.res_ptr(by)),
            ));
        }
        // ---- event time --------------------------------------------------------------------------
        let mut e = AppointmentEvent::default();
        let last_updated = match obj_at(v, "meta", &ap)? {
            Some(m) => str_at(m, "lastUpdated", &ap.key("meta"))?
                .map(|t| (t, ap.key("meta").key("lastUpdated").render())),
            None => None,
        };
        if let Some((t, p)) = &job.event_time {
            cx.event_time(&mut e, t, p.clone(), table::EVENT_TIME_NOTIFICATION.rule);
        } else if let Some((t, p)) = &last_updated {
            cx.event_time(&mut e, t, p.clone(), table::EVENT_TIME_LAST_UPDATED.rule);
        } else if let Some((t, p)) = &self.bundle_ts {
            cx.event_time(&mut e, t, p.clone(), table::EVENT_TIME_BUNDLE.rule);
        } else if !self
            .opts
            .now_ms
            .is_some_and(|n| cx.event_time_now(&mut e, n))
        {
            cx.no_event_time();
        }
        let start_raw = str_at(v, "start", &ap)?;
        let start = start_raw.and_then(parse_iso);
        // The date that expires names and phones: the host's clock, else the event, else the start.
        let at: Option<NaiveDateTime> = self
            .opts
            .now_ms
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|t| t.naive_utc())
            .or_else(|| parse_iso(&e.event_datetime_utc).map(|t| t.local))
            .or_else(|| start.map(|s| s.utc().unwrap_or(s.local)));

        // ---- participants and event ------------------------------------------------------------
        let parts = fields::participants(v, &ap, ix, Some(ai))?;
        let (prev_v, prev_parts): (Option<&Value>, Vec<Participant<'_>>) = match prev {
            Prev::None => (None, Vec::new()),
            Prev::Index(pi) => match ix.get(*pi) {
                Some(pr) => {
                    let pp = Ptr::root(&pr.ptr);
                    (Some(pr.v), fields::participants(pr.v, &pp, ix, Some(*pi))?)
                }
                None => (None, Vec::new()),
            },
            Prev::Options => {
                let pv = self
                    .opts
                    .previous
                    .as_ref()
                    .map(|p| previous_appointment(p, a.id))
                    .transpose()?;
                match pv {
                    Some((pv, ptr)) => {
                        let mut pix = Index::default();
                        let pi = pix.add(pv, ptr.clone(), Origin::Fetched, None, None)?;
                        let pp = Ptr::root(&ptr);
                        let parts = fields::participants(pv, &pp, &pix, Some(pi))?;
                        (Some(pv), parts)
                    }
                    None => (None, Vec::new()),
                }
            }
        };
        let status_ptr = ap.key("status").render();
        let replaces = match arr_at(v, "replaces", &ap)?.first() {
            Some(r) => {
                let rf = read_reference(r, &ap.key("replaces").idx(0))?;
                Some(rf.id().or(rf.raw).unwrap_or("").to_owned())
            }
            None => None,
        };
        let inputs = Inputs {
            cur: Snapshot {
                v,
                status: str_at(v, "status", &ap)?,
                parts: &parts,
            },
            ptr: &a.ptr,
            status_ptr,
            prev: prev_v.map(|pv| Snapshot {
                v: pv,
                status: pv.get("status").and_then(Value::as_str),
                parts: &prev_parts,
            }),
            hint: job.hint.as_ref(),
            replaces,
            id: a.id,
            version: a.version,
        };
        let mut needs: Vec<FetchItem> = Vec::new();
        let event = match derive::derive(&mut cx, &inputs) {
            Derived::Skip(code, reason, rule) => return Ok(cx.skip(code, reason, &rule)),
            Derived::FetchPrevious(item) => {
                needs.push(item);
                None
            }
            Derived::Event(ev, src, rule) => {
                e.event_type = ev.as_str().to_owned();
                cx.prov(Field::EventType, Provenance { source: src, rule });
                Some(ev)
            }
        };

        // ---- appointment id ------------------------------------------------------------------
        match fhir.appointment_id {
            IdSource::Id => match a.id {
                Some(id) => cx.set(
                    &mut e,
                    Field::AppointmentId,
                    id,
                    ap.key("id").render(),
                    table::APPOINTMENT_ID_LOGICAL.rule,
                ),
                None => cx.prov(
                    Field::AppointmentId,
                    Provenance::none("the Appointment has no id"),
                ),
            },
            IdSource::Identifier => {
                let types: Vec<&str> = match &fhir.appointment_id_types {
                    Some(t) => t.iter().map(String::as_str).collect(),
                    None => vec!["FILL", "PLAC"],
                };
                match fields::choose_identifier(
                    &appt_ids,
                    &types,
                    fhir.appointment_id_system.as_deref(),
                ) {
                    Some(i) => cx.set(
                        &mut e,
                        Field::AppointmentId,
                        i.value.clone(),
                        i.ptr.clone(),
                        table::APPOINTMENT_ID_IDENTIFIER.rule,
                    ),
                    None => {
                        cx.warn("FHIR_IDENTIFIER_NOT_FOUND", "no Appointment identifier matches fhir.appointmentIdTypes / appointmentIdSystem", Field::AppointmentId);
                        cx.prov(
                            Field::AppointmentId,
                            Provenance::none("no matching appointment identifier"),
                        );
                    }
                }
            }
        }

        // ---- location and zone ----------------------------------------------------------------
        let loc_part = parts.iter().find(|p| p.role == Some(Role::Location));
        let loc_res = loc_part
            .and_then(|p| p.resolved)
            .and_then(|i| ix.get(i).map(|r| (i, r)));
        let mut zone: Option<ZoneChoice> = None;
        if let Some((_, lr)) = loc_res {
            let lp = Ptr::root(&lr.ptr);
            if let Some((z, zp)) = fields::location_zone(lr.v, &lp)? {
                match crate::time::parse_zone(z) {
                    Some(tz) => {
                        zone = Some(ZoneChoice {
                            tz,
                            src: Source::from(zp),
                            start_rule: table::START_ZONED.rule,
                        })
                    }
                    None => cx.warn_at("FHIR_BAD_TIMEZONE", "the Location's time-zone extension is not an IANA zone name; the profile's zone is used", Field::AppointmentTimezone, zp),
                }
            }
        }
        if zone.is_none() {
            let from_profile = [
                (fhir.time_zone.as_deref(), "profile.fhir.timeZone"),
                (
                    self.profile.sender.time_zone.as_deref(),
                    "profile.sender.timeZone",
                ),
            ];
            for (z, name) in from_profile {
                if let Some(tz) = z.and_then(crate::time::parse_zone) {
                    zone = Some(ZoneChoice {
                        tz,
                        src: Source::Profile(name),
                        start_rule: table::START_ZONED.rule,
                    });
                    break;
                }
            }
        }
        let zone_known = zone.is_some();
        let offset_trusted =
            fhir.trust_offset() && start.is_some_and(|s| s.offset.is_some_and(|o| o != 0));
        match (start_raw, start) {
            (Some(_), Some(iso)) => cx.localize_start(
                &mut e,
                iso,
                ap.key("start").render(),
                zone,
                fhir.trust_offset(),
            ),
            (Some(_), None) => {
                cx.warn_at(
                    "MAP_BAD_DATETIME",
                    "Appointment.start is not an ISO 8601 instant",
                    Field::AppointmentDatetime,
                    ap.key("start").render(),
                );
                cx.prov(
                    Field::AppointmentDatetime,
                    Provenance::none("unparseable start"),
                );
            }
            (None, _) => cx.prov(
                Field::AppointmentDatetime,
                Provenance::none("the Appointment has no start"),
            ),
        }
        let loc_name_done = match loc_res {
            Some((_, lr)) => match str_at(lr.v, "name", &Ptr::root(&lr.ptr))? {
                Some(n) => {
                    cx.set(
                        &mut e,
                        Field::AppointmentLocation,
                        n,
                        format!("{}/name", lr.ptr),
                        table::LOCATION_NAME.rule,
                    );
                    true
                }
                None => false,
            },
            None => false,
        };
        if !loc_name_done {
            let display = loc_part.and_then(|p| p.actor.display.map(|d| (d, p.actor_ptr.clone())));
            let service = parts
                .iter()
                .find(|p| p.role == Some(Role::Service))
                .and_then(|p| {
                    p.resolved
                        .and_then(|i| ix.get(i))
                        .and_then(|r| {
                            r.v.get("name")
                                .and_then(Value::as_str)
                                .map(|n| (n, format!("{}/name", r.ptr)))
                        })
                        .or_else(|| {
                            p.actor
                                .display
                                .map(|d| (d, format!("{}/display", p.actor_ptr)))
                        })
                });
            if let Some((d, p)) = display {
                cx.set(
                    &mut e,
                    Field::AppointmentLocation,
                    d,
                    format!("{p}/display"),
                    table::LOCATION_DISPLAY.rule,
                );
            } else if let Some((n, p)) = service {
                cx.set(
                    &mut e,
                    Field::AppointmentLocation,
                    n,
                    p,
                    table::LOCATION_SERVICE.rule,
                );
            } else {
                cx.default_or_none(
                    &mut e,
                    Field::AppointmentLocation,
                    "no location participant",
                );
            }
        }
        if let Some(lp) = loc_part {
            if lp.resolved.is_none() && lp.actor.fetchable() {
                let required = !zone_known && !offset_trusted && start.is_some();
                if !required {
                    cx.warn_at("FHIR_REFERENCE_UNRESOLVED", "the Location is not in the input: its display text (or the profile default) is used", Field::AppointmentLocation, lp.actor_ptr.clone());
                }
                needs.extend(fetch_item(
                    &lp.actor,
                    required,
                    if required {
                        "the Location: its time zone (none in the profile and the start is in UTC) and its name"
                    } else {
                        "the Location: its name, time zone and phone"
                    },
                ));
            }
        }

        // ---- patient ------------------------------------------------------------------------------
        let pats: Vec<&Participant<'_>> = parts
            .iter()
            .filter(|p| p.role == Some(Role::Patient))
            .collect();
        if pats.len() > 1 {
            cx.warn(
                "MAP_MULTIPLE_PATIENTS",
                "the appointment has several patient participants; the first is used",
                Field::PatientId,
            );
        }
        let pat = pats.first().copied();
        let pat_res = pat.and_then(|p| p.resolved).and_then(|i| ix.get(i));
        let mut phone_ok = crate::inbound::common::PhonePick::NoneUsable;
        match pat_res {
            Some(pr) => {
                let pp = Ptr::root(&pr.ptr);
                if let Some(id) = pr.id.filter(|_| !matches!(pr.origin, Origin::Contained(_))) {
                    cx.r.ids.patient_ref = Some(format!("Patient/{id}"));
                }
                let ids = fields::identifiers(pr.v, &pp)?;
                let types: Vec<&str> = match &fhir.patient_id_types {
                    Some(t) => t.iter().map(String::as_str).collect(),
                    None => vec!["MR"],
                };
                let chosen =
                    fields::choose_identifier(&ids, &types, fhir.patient_id_system.as_deref());
                cx.r.ids.patient_identifier = chosen.map(|i| EntityId {
                    id: i.value.clone(),
                    namespace: i.system.map(str::to_owned),
                });
                cx.r.ids.patient_id_type =
                    chosen.and_then(|i| i.types.first().map(|t| (*t).to_owned()));
                match fhir.patient_id {
                    IdSource::Id if matches!(pr.origin, Origin::Contained(_)) => {
                        match chosen.or(ids.first()) {
                            Some(i) => {
                                cx.warn_at("FHIR_CONTAINED_ID", "the Patient is contained: its id is local to the Appointment, so an identifier was used", Field::PatientId, i.ptr.clone());
                                cx.set(
                                    &mut e,
                                    Field::PatientId,
                                    i.value.clone(),
                                    i.ptr.clone(),
                                    table::PATIENT_ID_CONTAINED.rule,
                                );
                            }
                            None => {
                                cx.warn("FHIR_CONTAINED_ID", "the Patient is contained and has no identifier: patient_id is empty (a contained id is not a server id)", Field::PatientId);
                                cx.prov(
                                    Field::PatientId,
                                    Provenance::none("contained patient without identifier"),
                                );
                            }
                        }
                    }
                    IdSource::Id => {
                        let id = pr.id.or(pat.and_then(|p| p.actor.id()));
                        match id {
                            Some(id) => cx.set(
                                &mut e,
                                Field::PatientId,
                                id,
                                format!("{}/id", pr.ptr),
                                table::PATIENT_ID_LOGICAL.rule,
                            ),
                            None => {
                                cx.prov(Field::PatientId, Provenance::none("the Patient has no id"))
                            }
                        }
                    }
                    IdSource::Identifier => match chosen {
                        Some(i) => cx.set(
                            &mut e,
                            Field::PatientId,
                            i.value.clone(),
                            i.ptr.clone(),
                            table::PATIENT_ID_IDENTIFIER.rule,
                        ),
                        None => {
                            cx.warn("FHIR_IDENTIFIER_NOT_FOUND", "no Patient identifier matches fhir.patientIdTypes / patientIdSystem", Field::PatientId);
                            cx.prov(
                                Field::PatientId,
                                Provenance::none("no matching patient identifier"),
                            );
                        }
                    },
                }
                self.names(&mut cx, &mut e, pr.v, &pp, at, true, None)?;
                let tels = fields::phones(pr.v, &pp, at)?;
                let cands: Vec<PhoneCand<'_>> = fields::patient_phone_order(&tels)
                    .into_iter()
                    .map(|(t, mark)| PhoneCand {
                        text: t.value,
                        mark,
                        src: t.ptr.clone(),
                        mobile_rule: table::PATIENT_PHONE.rule,
                    })
                    .collect();
                phone_ok = cx.pick_patient_phone(&mut e, &cands);
            }
            None => {
                if let Some(p) = pat {
                    if fhir.patient_id == IdSource::Id {
                        if let Some(id) = p.actor.id() {
                            cx.set(
                                &mut e,
                                Field::PatientId,
                                id,
                                format!("{}/reference", p.actor_ptr),
                                table::PATIENT_ID_LOGICAL.rule,
                            );
                            cx.r.ids.patient_ref = p.actor.relative();
                        }
                    }
                    if let Some(d) = p.actor.display {
                        let (fam, giv) = fields::split_name_text(d);
                        let src = format!("{}/display", p.actor_ptr);
                        if let Some(f) = fam {
                            cx.set(
                                &mut e,
                                Field::PatientLastName,
                                f,
                                src.clone(),
                                table::NAME_DISPLAY.rule,
                            );
                        }
                        if let Some(g) = giv {
                            cx.set(
                                &mut e,
                                Field::PatientFirstName,
                                g,
                                src,
                                table::NAME_DISPLAY.rule,
                            );
                        }
                    }
                    needs.extend(fetch_item(
                        &p.actor,
                        true,
                        "the patient: name and mobile phone",
                    ));
                }
                cx.prov(
                    Field::PatientPhone,
                    Provenance::none("the Patient is not in the input"),
                );
            }
        }

        // ---- provider -------------------------------------------------------------------------
        let provs: Vec<&Participant<'_>> = parts
            .iter()
            .filter(|p| p.role == Some(Role::Provider))
            .collect();
        let prov = provs
            .iter()
            .find(|p| {
                p.types
                    .iter()
                    .any(|t| matches!(*t, "PPRF" | "ATND" | "SPRF"))
            })
            .or(provs.first())
            .copied();
        let mut role_res = None;
        let mut prac_res = None;
        if let Some(p) = prov {
            match p.resolved.and_then(|i| ix.get(i).map(|r| (i, r))) {
                Some((ri, r)) if r.rtype == "PractitionerRole" => {
                    role_res = Some((ri, r));
                    let rp = Ptr::root(&r.ptr);
                    if let Some(pref) = obj_at(r.v, "practitioner", &rp)? {
                        let rf = read_reference(pref, &rp.key("practitioner"))?;
                        prac_res = ix
                            .resolve(&rf, Some(ri))
                            .and_then(|i| ix.get(i).map(|x| (i, x)));
                        if prac_res.is_none() {
                            if let Some(id) = rf.id() {
                                cx.r.ids.provider_ref = Some(format!("Practitioner/{id}"));
                            }
                        }
                    }
                }
                Some((ri, r)) => prac_res = Some((ri, r)),
                None => {}
            }
        }
        // provider_id
        let mut pid_done = false;
        if let (Some(sys), Some((_, pr))) = (fhir.provider_id_system.as_deref(), prac_res) {
            let ids = fields::identifiers(pr.v, &Ptr::root(&pr.ptr))?;
            if let Some(i) = ids.iter().find(|i| i.system == Some(sys)) {
                cx.set(
                    &mut e,
                    Field::ProviderId,
                    i.value.clone(),
                    i.ptr.clone(),
                    table::PROVIDER_ID_IDENTIFIER.rule,
                );
                pid_done = true;
            }
        }
        if let Some((_, pr)) = prac_res.filter(|(_, r)| matches!(r.origin, Origin::Contained(_))) {
            if !pid_done {
                let ids = fields::identifiers(pr.v, &Ptr::root(&pr.ptr))?;
                let npi = ids
                    .iter()
                    .find(|i| i.system == Some("http://hl7.org/fhir/sid/us-npi"));
                if let Some(i) = npi.or(ids.first()) {
                    cx.warn_at("FHIR_CONTAINED_ID", "the Practitioner is contained: its id is local to the Appointment, so an identifier was used", Field::ProviderId, i.ptr.clone());
                    cx.set(
                        &mut e,
                        Field::ProviderId,
                        i.value.clone(),
                        i.ptr.clone(),
                        table::PROVIDER_ID_CONTAINED.rule,
                    );
                    pid_done = true;
                }
            }
        }
        if let Some((_, pr)) = prac_res.filter(|(_, r)| !matches!(r.origin, Origin::Contained(_))) {
            if let Some(id) = pr.id {
                cx.r.ids.provider_ref = Some(format!("Practitioner/{id}"));
                if !pid_done {
                    cx.set(
                        &mut e,
                        Field::ProviderId,
                        id,
                        format!("{}/id", pr.ptr),
                        table::PROVIDER_ID_LOGICAL.rule,
                    );
                    pid_done = true;
                }
            }
        }
        if !pid_done {
            if let Some(p) = prov {
                let role_id =
                    role_res.and_then(|(_, r)| r.id.map(|id| (id, format!("{}/id", r.ptr))));
                if let Some((id, src)) = role_id {
                    cx.r.ids
                        .provider_ref
                        .get_or_insert_with(|| format!("PractitionerRole/{id}"));
                    cx.set(
                        &mut e,
                        Field::ProviderId,
                        id,
                        src,
                        table::PROVIDER_ID_ROLE.rule,
                    );
                    pid_done = true;
                } else if let Some(id) = p.actor.id() {
                    cx.r.ids.provider_ref = p.actor.relative();
                    let rule = if p.actor.rtype() == Some("PractitionerRole") {
                        table::PROVIDER_ID_ROLE.rule
                    } else {
                        table::PROVIDER_ID_LOGICAL.rule
                    };
                    cx.set(
                        &mut e,
                        Field::ProviderId,
                        id,
                        format!("{}/reference", p.actor_ptr),
                        rule,
                    );
                    pid_done = true;
                }
            }
        }
        if !pid_done {
            cx.default_or_none(&mut e, Field::ProviderId, "no provider participant");
        }
        // provider names
        let display = prov.and_then(|p| {
            p.actor
                .display
                .map(|d| (d, format!("{}/display", p.actor_ptr)))
        });
        match prac_res {
            Some((_, pr)) => {
                self.names(
                    &mut cx,
                    &mut e,
                    pr.v,
                    &Ptr::root(&pr.ptr),
                    at,
                    false,
                    display,
                )?;
            }
            None => match display {
                Some((d, src)) => {
                    let (fam, giv) = fields::split_name_text(d);
                    cx.warn_at("FHIR_NAME_FROM_DISPLAY", "the provider's Practitioner is not in the input: the name was parsed from the reference display", Field::ProviderLastName, src.clone());
                    match fam {
                        Some(f) => cx.set(
                            &mut e,
                            Field::ProviderLastName,
                            f,
                            src.clone(),
                            table::NAME_DISPLAY.rule,
                        ),
                        None => {
                            cx.default_or_none(&mut e, Field::ProviderLastName, "no provider name")
                        }
                    }
                    match giv {
                        Some(g) => cx.set(
                            &mut e,
                            Field::ProviderFirstName,
                            g,
                            src,
                            table::NAME_DISPLAY.rule,
                        ),
                        None => {
                            cx.default_or_none(&mut e, Field::ProviderFirstName, "no provider name")
                        }
                    }
                }
                None => {
                    cx.default_or_none(&mut e, Field::ProviderLastName, "no provider name");
                    cx.default_or_none(&mut e, Field::ProviderFirstName, "no provider name");
                }
            },
        }
        if let Some(p) = prov {
            if p.resolved.is_none() && p.actor.fetchable() {
                needs.extend(fetch_item(
                    &p.actor,
                    false,
                    "the provider: name and callback phone",
                ));
            }
        }

        // ---- callback phone --------------------------------------------------------------------------
        let org = role_res
            .and_then(|(ri, r)| {
                r.v.get("organization")
                    .map(|o| (ri, o, format!("{}/organization", r.ptr)))
            })
            .or_else(|| {
                loc_res.and_then(|(li, l)| {
                    l.v.get("managingOrganization")
                        .map(|o| (li, o, format!("{}/managingOrganization", l.ptr)))
                })
            })
            .and_then(|(from, o, p)| {
                let rf = read_reference(o, &Ptr::root(&p)).ok()?;
                ix.resolve(&rf, Some(from)).and_then(|i| ix.get(i))
            });
        let mut cb_done = false;
        for src in fhir.callback_from() {
            let (res, s) = match src {
                CallbackSource::PractitionerRole => {
                    (role_res.map(|(_, r)| r), table::CALLBACK_ROLE)
                }
                CallbackSource::Location => (loc_res.map(|(_, r)| r), table::CALLBACK_LOCATION),
                CallbackSource::Practitioner => {
                    (prac_res.map(|(_, r)| r), table::CALLBACK_PRACTITIONER)
                }
                CallbackSource::Organization => (org, table::CALLBACK_ORGANIZATION),
            };
            let Some(r) = res else { continue };
            let tels: Vec<Tel<'_>> = fields::phones(r.v, &Ptr::root(&r.ptr), at)?;
            for t in fields::callback_order(&tels) {
                if let Some(num) = cx.callback_number(t.value, &t.ptr) {
                    cx.set(
                        &mut e,
                        Field::ProviderCallbackPhone,
                        num,
                        t.ptr.clone(),
                        s.rule,
                    );
                    cb_done = true;
                    break;
                }
            }
            if cb_done {
                break;
            }
        }
        if !cb_done {
            cx.default_or_none(
                &mut e,
                Field::ProviderCallbackPhone,
                "no phone on the provider, location or organization",
            );
        }

        // ---- decisions ----------------------------------------------------------------------------
        let Some(ev) =
            event.or_else(|| (!needs.is_empty()).then_some(crate::event::EventType::Booked))
        else {
            return Err(Error::new(ErrorCode::Internal, "no event"));
        };
        let early_missing: Vec<&str> = [Field::AppointmentId, Field::AppointmentDatetime]
            .iter()
            .filter(|f| e.get(**f).is_empty())
            .map(|f| f.name())
            .collect();
        if !early_missing.is_empty() {
            return Ok(cx.skip_with_draft(
                e,
                skip_codes::MISSING_REQUIRED,
                format!(
                    "the flow needs values the appointment does not give: {}",
                    early_missing.join(", ")
                ),
                None,
                None,
            ));
        }
        if needs.iter().any(|n| n.required) {
            needs.sort_by_key(|n| !n.required);
            return Ok(cx.skip_with_draft(
                e,
                skip_codes::NEEDS_FETCH,
                "the input references resources it does not carry: read the listed resources and map again with them (resources option)",
                Some("references".into()),
                Some(NeedsFetch { resources: needs }),
            ));
        }
        if pat.is_none() || pat_res.is_none() {
            return Ok(cx.skip_with_draft(
                e,
                skip_codes::NO_PATIENT,
                "the appointment has no patient participant that can be read: there is nobody to text",
                Some("participant".into()),
                None,
            ));
        }
        let filter = FilterInput {
            doc: Some(v),
            facility: None,
            appointment_type: appointment_type(v),
        };
        cx.finish(e, ev, phone_ok, &filter)
    }

    /// Names of a Patient (`patient`) or Practitioner.
    #[allow(clippy::too_many_arguments)]
    fn names(
        &self,
        cx: &mut Cx<'_>,
        e: &mut AppointmentEvent,
        res: &Value,
        base: &Ptr<'_>,
        at: Option<NaiveDateTime>,
        patient: bool,
        display: Option<(&str, String)>,
    ) -> Result<()> {
        let (ff, lf, src) = if patient {
            (
                Field::PatientFirstName,
                Field::PatientLastName,
                table::PATIENT_NAME,
            )
        } else {
            (
                Field::ProviderFirstName,
                Field::ProviderLastName,
                table::PROVIDER_NAME,
            )
        };
        let pick = fields::pick_name(res, base, at)?;
        if pick.only_expired {
            cx.warn(
                "FHIR_NAME_EXPIRED",
                "every name is old or has an ended period; the best of them was used",
                lf,
            );
        }
        type NamePart = Option<(String, String, &'static str)>;
        let (mut family, mut given): (NamePart, NamePart) = (
            pick.family.map(|(f, p)| (f.to_owned(), p, src.rule)),
            pick.given.map(|(g, p)| (g.to_owned(), p, src.rule)),
        );
        if let Some((f, g, p)) = pick.text_split {
            cx.warn_at(
                "FHIR_NAME_FROM_TEXT",
                "the name has no family/given parts: it was split from its text",
                lf,
                p.clone(),
            );
            family = f.map(|f| (f, p.clone(), table::NAME_TEXT.rule));
            given = g.map(|g| (g, p, table::NAME_TEXT.rule));
        }
        if family.is_none() && given.is_none() {
            if let Some((d, p)) = display {
                let (f, g) = fields::split_name_text(d);
                cx.warn_at(
                    "FHIR_NAME_FROM_DISPLAY",
                    "the resource has no name: it was parsed from the reference display",
                    lf,
                    p.clone(),
                );
                family = f.map(|f| (f, p.clone(), table::NAME_DISPLAY.rule));
                given = g.map(|g| (g, p, table::NAME_DISPLAY.rule));
            }
        }
        if patient && self.profile.fhir.first_name == FirstNameUse::Usual {
            if let Some((g, p)) = pick.usual_given {
                given = Some((g.to_owned(), p, table::PATIENT_FIRST_USUAL.rule));
            }
        }
        let none = if patient {
            "no patient name"
        } else {
            "no provider name"
        };
        match family {
            Some((v, p, rule)) => cx.set(e, lf, v, p, rule),
            None if patient => cx.prov(lf, Provenance::none(none)),
            None => cx.default_or_none(e, lf, none),
        }
        match given {
            Some((v, p, rule)) => cx.set(e, ff, v, p, rule),
            None if patient => cx.prov(ff, Provenance::none(none)),
            None => cx.default_or_none(e, ff, none),
        }
        Ok(())
    }
}

/// The appointment type text for filters: `appointmentType` code/text, else the first
/// `serviceType` code/text.
fn appointment_type(v: &Value) -> Option<String> {
    let cc = |c: &Value| -> Option<String> {
        c.get("coding")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(|x| x.get("code"))
            .and_then(Value::as_str)
            .or_else(|| c.get("text").and_then(Value::as_str))
            .map(str::to_owned)
    };
    v.get("appointmentType").and_then(cc).or_else(|| {
        v.get("serviceType")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(cc)
    })
}

/// The previous snapshot: an Appointment, or a Bundle holding the same Appointment.
fn previous_appointment<'v>(p: &'v Value, id: Option<&str>) -> Result<(&'v Value, String)> {
    let bad = || {
        Error::new(
            ErrorCode::BadArgument,
            "the previous option must be the same Appointment (same id), or a Bundle holding it",
        )
        .at_pointer("/previous")
    };
    let same = |v: &Value| {
        v.get("resourceType").and_then(Value::as_str) == Some("Appointment")
            && (id.is_none() || v.get("id").and_then(Value::as_str) == id)
    };
    if same(p) {
        return Ok((p, "options.previous".into()));
    }
    if p.get("resourceType").and_then(Value::as_str) == Some("Bundle") {
        if let Some(entries) = p.get("entry").and_then(Value::as_array) {
            for (i, en) in entries.iter().enumerate() {
                if let Some(r) = en.get("resource").filter(|r| same(r)) {
                    return Ok((r, format!("options.previous/entry/{i}/resource")));
                }
            }
        }
    }
    Err(bad())
}
