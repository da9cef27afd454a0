//! Planning: what a FHIR document asks for — one job per appointment event (a bare Appointment,
//! a message's focus, each notification event, each searchset match, each history version against
//! its predecessor), or a coded skip, or the references to fetch.

use super::derive::Hint;
use super::index::{read_reference, Index, Origin, RefKind, Reference};
use super::{index, notify, FhirOptions};
use crate::error::Result;
use crate::event::skip_codes;
use crate::inbound::common::parse_iso;
use crate::inbound::json::{arr_at, obj_at, str_at};
use crate::pointer::Ptr;
use serde_json::Value;

// ---- planning -----------------------------------------------------------------------------------

pub(super) enum Prev {
    None,
    Index(usize),
    Options,
}

pub(super) enum Kind<'v> {
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

pub(super) struct Job<'v> {
    pub(super) kind: Kind<'v>,
    pub(super) hint: Option<Hint>,
    pub(super) event_time: Option<(&'v str, String)>,
    pub(super) event_id: Option<String>,
}

impl<'v> Job<'v> {
    pub(super) fn new(kind: Kind<'v>) -> Self {
        Job {
            kind,
            hint: None,
            event_time: None,
            event_id: None,
        }
    }
}

pub(super) struct Plan<'v> {
    pub(super) jobs: Vec<Job<'v>>,
    pub(super) primary: usize,
    /// The warning code when the primary is one of several.
    pub(super) several: &'static str,
}

/// A hint carried by the document itself: `MessageHeader.eventCoding.code`, `eventUri`
/// / `eventCanonical`, or an athena AuditEvent's `type.code`.
pub(super) fn document_hint(ix: &Index<'_>, _opts: &FhirOptions) -> Result<Option<Hint>> {
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

pub(super) fn not_event(reason: String, rule: &str) -> Job<'static> {
    Job::new(Kind::Skip(
        skip_codes::NOT_SCHEDULING_EVENT,
        reason,
        rule.to_owned(),
    ))
}

pub(super) fn single(job: Job<'_>) -> Plan<'_> {
    Plan {
        jobs: vec![job],
        primary: 0,
        several: "FHIR_MULTIPLE_APPOINTMENTS",
    }
}

pub(super) fn plan<'v>(
    ix: &Index<'v>,
    root: usize,
    rtype: &str,
    opts: &FhirOptions,
) -> Result<Plan<'v>> {
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

pub(super) fn message_focus_plan<'v>(ix: &Index<'v>, mh: usize) -> Result<Plan<'v>> {
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
pub(super) fn focus_job<'v>(
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

pub(super) fn notification_plan<'v>(
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

pub(super) fn bundle_plan<'v>(ix: &Index<'v>, root: usize, opts: &FhirOptions) -> Result<Plan<'v>> {
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

pub(super) fn history_plan<'v>(ix: &Index<'v>, appts: &[usize], opts: &FhirOptions) -> Plan<'v> {
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
