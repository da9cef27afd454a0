//! Event derivation (fhir-and-ehr-apis.md §1.8): `Appointment.status`, an optional previous
//! snapshot, an optional trigger/topic hint and R5 `replaces` → an [`EventType`] or a coded skip.
//! The rules are the tables of [`super::table`].

use super::fields::Participant;
use super::table::{self, rules, Cmp, Role};
use crate::event::{skip_codes, EntityId, EventType, FetchItem, Field, Source};
use crate::inbound::common::Cx;
use crate::profile::{EnteredInError, WithoutPrevious};
use serde_json::Value;

/// A trigger or topic hint and where it came from.
pub(crate) struct Hint {
    pub text: String,
    pub src: String,
}

/// What a hint means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HintEv {
    /// An event (true when the profile mapped it).
    Event(EventType, bool),
    /// The profile says skip (the matching key).
    Skip(String),
    /// A known trigger that is not an appointment event.
    NotEvent,
    /// Not recognized.
    Unknown,
}

/// Resolve a hint: profile `fhir.events` (exact or last path segment, case-insensitive), then
/// the built-in table.
pub(crate) fn resolve_hint(cx: &Cx<'_>, text: &str) -> HintEv {
    let t = text.trim();
    let last = t.rsplit(['/', '#']).next().unwrap_or(t);
    for (k, v) in &cx.profile.fhir.events {
        if k.eq_ignore_ascii_case(t) || k.eq_ignore_ascii_case(last) {
            if v.eq_ignore_ascii_case("skip") {
                return HintEv::Skip(k.clone());
            }
            if let Some(e) = EventType::parse(v) {
                return HintEv::Event(e, true);
            }
        }
    }
    match table::builtin_trigger(t) {
        Some((_, Some(e))) => HintEv::Event(e, false),
        Some((_, None)) => HintEv::NotEvent,
        None => HintEv::Unknown,
    }
}

/// One snapshot of the appointment.
pub(crate) struct Snapshot<'a, 'v> {
    pub v: &'v Value,
    pub status: Option<&'v str>,
    pub parts: &'a [Participant<'v>],
}

/// The outcome of the derivation.
pub(crate) enum Derived {
    /// Send this event; provenance source and rule.
    Event(EventType, Source, &'static str),
    /// A coded skip (code, reason, rule).
    Skip(&'static str, String, String),
    /// The previous version must be read first (`fhir.withoutPrevious = fetch`).
    FetchPrevious(FetchItem),
}

fn actor_keys(parts: &[Participant<'_>], role: Role) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = parts
        .iter()
        .filter(|p| p.role == Some(role))
        .map(|p| {
            (
                p.actor
                    .relative()
                    .or_else(|| p.actor.raw.map(str::to_owned))
                    .unwrap_or_default(),
                p.actor.display.unwrap_or("").to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

fn patient_status<'v>(parts: &[Participant<'v>]) -> Option<&'v str> {
    parts
        .iter()
        .find(|p| p.role == Some(Role::Patient))
        .and_then(|p| p.status)
}

fn element<'v>(v: &'v Value, name: &str) -> Option<&'v Value> {
    v.get(name).filter(|x| !x.is_null())
}

/// Apply the change rules; `None` when nothing relevant changed.
fn changed(
    cur: &Snapshot<'_, '_>,
    prev: &Snapshot<'_, '_>,
    ptr: &str,
) -> Option<(EventType, Source, &'static str)> {
    for r in table::CHANGE_RULES {
        let hit = match r.cmp {
            Cmp::Element(name) => element(cur.v, name) != element(prev.v, name),
            Cmp::Actors(role) => actor_keys(cur.parts, role) != actor_keys(prev.parts, role),
            Cmp::PatientAccepted => {
                patient_status(cur.parts) == Some("accepted")
                    && patient_status(prev.parts) != Some("accepted")
            }
        };
        if hit {
            let at = match r.cmp {
                Cmp::Element(name) => format!("{ptr}/{name}"),
                _ => format!("{ptr}/participant"),
            };
            return Some((r.event, Source::from(at), r.rule));
        }
    }
    None
}

/// Everything the derivation reads.
pub(crate) struct Inputs<'a, 'v> {
    pub cur: Snapshot<'a, 'v>,
    /// Pointer of the current Appointment.
    pub ptr: &'a str,
    pub status_ptr: String,
    pub prev: Option<Snapshot<'a, 'v>>,
    pub hint: Option<&'a Hint>,
    /// R5 `replaces` (the first replaced id).
    pub replaces: Option<String>,
    pub id: Option<&'v str>,
    pub version: Option<&'v str>,
}

/// Derive the event (see the module docs and docs/fhir-mapping.md). Warnings go to `cx`.
pub(crate) fn derive(cx: &mut Cx<'_>, inp: &Inputs<'_, '_>) -> Derived {
    let hint_ev = match read_hint(cx, inp) {
        Ok(h) => h,
        Err((code, reason, rule)) => return Derived::Skip(code, reason, rule),
    };
    if let Some(d) = from_status(cx, inp, hint_ev.as_ref()) {
        return d;
    }
    booked(cx, inp, hint_ev.as_ref())
}

/// The event a hint names: the event, whether the profile mapped it, the hint's source.
type HintEvent = (EventType, bool, String);

/// A skip a hint asks for: `(code, reason, rule)`.
type HintSkip = (&'static str, String, String);

/// The hint (trigger / topic): a skip it asks for, or the event it names (an unknown hint is a
/// note and names none).
fn read_hint(cx: &mut Cx<'_>, inp: &Inputs<'_, '_>) -> Result<Option<HintEvent>, HintSkip> {
    let Some(h) = inp.hint else { return Ok(None) };
    match resolve_hint(cx, &h.text) {
        HintEv::Skip(k) => Err((
            skip_codes::EVENT_POLICY,
            "the profile's fhir.events rules skip this trigger / topic".into(),
            format!("fhir.events.{k}"),
        )),
        HintEv::NotEvent => Err((
            skip_codes::NOT_SCHEDULING_EVENT,
            "the trigger concerns scheduling resources, not the patient's appointment (S18–S24)"
                .into(),
            h.src.clone(),
        )),
        HintEv::Unknown => {
            cx.note(
                "FHIR_TRIGGER_UNRECOGNIZED",
                "the trigger / topic is neither built in nor in the profile's fhir.events; the status and the previous snapshot decide",
                Some(h.src.clone()),
            );
            Ok(None)
        }
        HintEv::Event(e, profile) => Ok(Some((e, profile, h.src.clone()))),
    }
}

/// The statuses that decide alone: cancelled, noshow, entered-in-error (an event unless the
/// previous snapshot had the same status), the ones that call for no message, and unknown ones.
/// `None` for `booked`.
fn from_status(
    cx: &mut Cx<'_>,
    inp: &Inputs<'_, '_>,
    hint_ev: Option<&HintEvent>,
) -> Option<Derived> {
    let ef = Field::EventType;
    let status = inp.cur.status.unwrap_or("");
    let terminal = |cx: &mut Cx<'_>, e: EventType, rule: &'static str| {
        if let Some((h, _, src)) = hint_ev {
            if *h != e {
                cx.warn_at(
                    "FHIR_TRIGGER_STATUS_MISMATCH",
                    format!(
                        "the trigger / topic says {} but the appointment status is {status}; the status decides",
                        h.as_str()
                    ),
                    ef,
                    src.clone(),
                );
            }
        }
        let same_status = inp
            .prev
            .as_ref()
            .is_some_and(|p| p.status == inp.cur.status);
        if same_status {
            Derived::Skip(
                skip_codes::NO_RELEVANT_CHANGE,
                format!("the previous snapshot already had status {status}"),
                "status unchanged".into(),
            )
        } else {
            Derived::Event(e, Source::from(inp.status_ptr.clone()), rule)
        }
    };
    Some(match status {
        "cancelled" => terminal(cx, EventType::Canceled, rules::CANCELLED),
        "noshow" => terminal(cx, EventType::Noshowed, rules::NOSHOW),
        "entered-in-error" => {
            if cx.profile.fhir.entered_in_error == EnteredInError::Skip {
                return Some(Derived::Skip(
                    skip_codes::EVENT_POLICY,
                    "the appointment was entered in error and the profile skips such appointments"
                        .into(),
                    "fhir.enteredInError".into(),
                ));
            }
            cx.warn(
                "FHIR_ENTERED_IN_ERROR",
                "the appointment was entered in error (v2 S17 deletion); it is sent as CANCELED (set fhir.enteredInError to skip)",
                ef,
            );
            terminal(cx, EventType::Canceled, rules::ENTERED_IN_ERROR)
        }
        "booked" => return None,
        "proposed" | "pending" | "waitlist" | "arrived" | "checked-in" | "fulfilled" => {
            Derived::Skip(
                skip_codes::STATUS_NOT_NOTIFIABLE,
                format!("the appointment status {status} calls for no message (not finalized, or the visit is underway or done)"),
                "Appointment.status".into(),
            )
        }
        _ => {
            cx.warn_at(
                "FHIR_STATUS_UNRECOGNIZED",
                "Appointment.status is missing or not an R4/R4B/R5 code",
                ef,
                inp.status_ptr.clone(),
            );
            Derived::Skip(
                skip_codes::STATUS_NOT_NOTIFIABLE,
                "the appointment has no recognized status".into(),
                "Appointment.status".into(),
            )
        }
    })
}

/// A booked appointment: R5 `replaces` → RESCHEDULED; else the change since the previous
/// snapshot; else the hint; else the version and `fhir.withoutPrevious`.
fn booked(cx: &mut Cx<'_>, inp: &Inputs<'_, '_>, hint_ev: Option<&HintEvent>) -> Derived {
    let ef = Field::EventType;
    let mut hint_contradicts = false;
    if let Some((h, _, src)) = hint_ev {
        if matches!(h, EventType::Canceled | EventType::Noshowed) {
            cx.warn_at(
                "FHIR_TRIGGER_STATUS_MISMATCH",
                format!(
                    "the trigger / topic says {} but the appointment is booked; the status decides",
                    h.as_str()
                ),
                ef,
                src.clone(),
            );
            hint_contradicts = true;
        }
    }
    if let Some(old) = &inp.replaces {
        cx.warn(
            "FHIR_REPLACES",
            "this appointment replaces another (R5 replaces): the replaced one's cancellation is not sent, and PAM keeps its stored state under the old appointment_id (ids.previousAppointmentId) until the host retires it",
            ef,
        );
        cx.r.ids.previous_appointment_id = Some(old.clone());
        return Derived::Event(
            EventType::Rescheduled,
            Source::from(format!("{}/replaces", inp.ptr)),
            rules::REPLACES,
        );
    }
    if let Some(prev) = &inp.prev {
        return against_previous(cx, inp, prev, hint_ev, hint_contradicts);
    }
    if let Some((h, profile, src)) = hint_ev {
        if !hint_contradicts {
            let rule = if *profile {
                rules::TRIGGER_PROFILE
            } else {
                rules::TRIGGER
            };
            return Derived::Event(*h, Source::from(src.clone()), rule);
        }
    }
    without_previous(cx, inp)
}

/// A booked appointment against its previous snapshot: BOOKED when it was not booked before,
/// else what changed (a hint that says otherwise is a warning), else no relevant change.
fn against_previous(
    cx: &mut Cx<'_>,
    inp: &Inputs<'_, '_>,
    prev: &Snapshot<'_, '_>,
    hint_ev: Option<&HintEvent>,
    hint_contradicts: bool,
) -> Derived {
    if prev.status != Some("booked") {
        return Derived::Event(
            EventType::Booked,
            Source::from(inp.status_ptr.clone()),
            rules::PREVIOUS_NOT_BOOKED,
        );
    }
    let Some((ev, src, rule)) = changed(&inp.cur, prev, inp.ptr) else {
        return Derived::Skip(
            skip_codes::NO_RELEVANT_CHANGE,
            "nothing the SMS or the reminders use changed since the previous snapshot".into(),
            "fhir change rules".into(),
        );
    };
    if let Some((h, _, hsrc)) = hint_ev {
        if *h != ev
            && !hint_contradicts
            && !(ev == EventType::Confirmed && *h == EventType::Modified)
        {
            cx.warn_at(
                "FHIR_TRIGGER_DISAGREES",
                format!("the trigger / topic says {} but the change since the previous snapshot says {}; the change decides", h.as_str(), ev.as_str()),
                Field::EventType,
                hsrc.clone(),
            );
        }
    }
    Derived::Event(ev, src, rule)
}

/// Neither a previous snapshot nor a usable hint: version 1 is BOOKED; else
/// `fhir.withoutPrevious` (fetch the previous version, skip, or BOOKED with a warning).
fn without_previous(cx: &mut Cx<'_>, inp: &Inputs<'_, '_>) -> Derived {
    if inp.version == Some("1") {
        let src = Source::from(format!("{}/meta/versionId", inp.ptr));
        return Derived::Event(EventType::Booked, src, rules::FIRST_VERSION);
    }
    let n = super::index::version_num(inp.version);
    match cx.profile.fhir.without_previous {
        WithoutPrevious::Fetch if n > 1 => {
            if let Some(id) = inp.id {
                let prev = (n - 1).to_string();
                return Derived::FetchPrevious(FetchItem {
                    reference: format!("Appointment/{id}/_history/{prev}"),
                    resource_type: Some("Appointment".into()),
                    id: Some(id.to_owned()),
                    version_id: Some(prev),
                    identifier: None::<EntityId>,
                    required: true,
                    purpose: "the previous version, to tell BOOKED, RESCHEDULED, MODIFIED and CONFIRMED apart (pass it as the previous option)",
                });
            }
        }
        WithoutPrevious::Skip => {
            return Derived::Skip(
                skip_codes::EVENT_POLICY,
                "neither a previous snapshot nor a trigger tells what changed, and the profile skips such appointments".into(),
                "fhir.withoutPrevious".into(),
            );
        }
        _ => {}
    }
    cx.warn(
        "FHIR_EVENT_WITHOUT_PREVIOUS",
        "neither a previous snapshot nor a trigger tells what changed: sent as BOOKED (pass the previous version or a trigger to get RESCHEDULED, MODIFIED or CONFIRMED; see fhir.withoutPrevious)",
        Field::EventType,
    );
    Derived::Event(
        EventType::Booked,
        Source::from(inp.status_ptr.clone()),
        rules::ASSUMED_BOOKED,
    )
}
