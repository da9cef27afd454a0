//! Mapping one job: a skip, a fetch request for an id-only notification, or an Appointment
//! mapped step by step into the 14 values ([`Shared::map_appointment`]; the steps are in
//! `appointment.rs` — ids, times, location — and `people.rs` — patient, provider, callback).

use super::derive::{self, Derived, Inputs, Snapshot};
use super::fields::{self, Participant};
use super::index::{Index, Origin, RefKind, Reference, Res};
use super::plan::{Job, Kind, Prev};
use super::FhirOptions;
use crate::error::{Error, ErrorCode, Result};
use crate::event::{
    skip_codes, AppointmentEvent, EntityId, EventType, FetchItem, Field, MapResult, NeedsFetch,
    Provenance,
};
use crate::inbound::common::{parse_iso, Cx, FilterInput, Iso};
use crate::inbound::json::{arr_at, str_at};
use crate::pointer::Ptr;
use crate::profile::CompiledProfile;
use chrono::NaiveDateTime;
use serde_json::Value;

/// What every job of one document shares: the resource index, the profile and options, and the
/// Bundle's timestamp.
pub(super) struct Shared<'a, 'v> {
    pub(super) ix: &'a Index<'v>,
    pub(super) profile: &'a CompiledProfile,
    pub(super) opts: &'a FhirOptions,
    pub(super) bundle_ts: Option<(&'v str, String)>,
}

/// A resource of the index with its position.
pub(super) type Found<'a, 'v> = Option<(usize, &'a Res<'v>)>;

/// The Appointment being mapped: what every step reads.
pub(super) struct Appt<'a, 'v> {
    pub(super) res: &'a Res<'v>,
    pub(super) parts: Vec<Participant<'v>>,
    pub(super) start_raw: Option<&'v str>,
    pub(super) start: Option<Iso>,
    /// The date that expires names and phones: the host's clock, else the event, else the start.
    pub(super) at: Option<NaiveDateTime>,
}

impl<'v> Appt<'_, 'v> {
    /// The pointer of the Appointment.
    pub(super) fn ptr(&self) -> Ptr<'_> {
        Ptr::root(&self.res.ptr)
    }
}

/// A reference the input does not carry, as an item of `needsFetch`.
pub(super) fn fetch_item(
    r: &Reference<'_>,
    required: bool,
    purpose: &'static str,
) -> Option<FetchItem> {
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

impl<'a, 'v> Shared<'a, 'v> {
    pub(super) fn map_job(&self, job: &Job<'v>) -> Result<MapResult> {
        let mut cx = Cx::new(self.profile);
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

    pub(super) fn res_ptr(&self, i: usize) -> String {
        self.ix.get(i).map(|r| r.ptr.clone()).unwrap_or_default()
    }

    /// Map one Appointment, step by step: ids, event time, event type (from status, the previous
    /// snapshot and the hint), `appointment_id`, zone and start, location, patient, provider,
    /// callback phone; then the decisions (missing values, references to fetch, no patient) and
    /// the common finish (filters, phone, sanitization).
    pub(super) fn map_appointment(
        &self,
        mut cx: Cx<'_>,
        job: &Job<'v>,
        ai: usize,
        prev: &Prev,
        replaced_by: Option<usize>,
    ) -> Result<MapResult> {
        let ix: &'a Index<'v> = self.ix;
        let Some(a) = ix.get(ai) else {
            return Err(Error::new(ErrorCode::Internal, "appointment index"));
        };
        let ap = Ptr::root(&a.ptr);
        let appt_ids = self.record_ids(&mut cx, a, &ap)?;
        if let Some(by) = replaced_by {
            return Ok(cx.skip(
                skip_codes::REPLACED,
                "this appointment is replaced by another one in the input (R5 replaces): the replacement is sent as RESCHEDULED and this cancellation is not sent",
                &format!("{}/replaces", self.res_ptr(by)),
            ));
        }
        let mut e = AppointmentEvent::default();
        self.event_time(&mut cx, &mut e, job, a, &ap)?;
        let start_raw = str_at(a.v, "start", &ap)?;
        let start = start_raw.and_then(parse_iso);
        let appt = Appt {
            res: a,
            at: self.as_of(&e, start),
            parts: fields::participants(a.v, &ap, ix, Some(ai))?,
            start_raw,
            start,
        };
        let mut needs: Vec<FetchItem> = Vec::new();
        let event = match self.derive_event(&mut cx, &appt, job, prev)? {
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
        self.appointment_id(&mut cx, &mut e, &appt, &appt_ids);
        let loc_res = self.location_resource(&appt);
        let zone = self.zone(&mut cx, loc_res)?;
        let offset_trusted = self.profile.fhir.trust_offset()
            && start.is_some_and(|s| s.offset.is_some_and(|o| o != 0));
        // Without a zone the Location must be read to place a UTC start in the patient's time.
        let zone_needed = zone.is_none() && !offset_trusted && start.is_some();
        self.start(&mut cx, &mut e, &appt, zone);
        self.location(&mut cx, &mut e, &appt, loc_res, zone_needed, &mut needs)?;
        let (patient_read, phone_ok) = self.patient(&mut cx, &mut e, &appt, &mut needs)?;
        let (role_res, prac_res) = self.provider(&mut cx, &mut e, &appt, &mut needs)?;
        self.callback(&mut cx, &mut e, &appt, [role_res, loc_res, prac_res])?;
        let ok = Decided {
            event,
            needs,
            patient_read,
            phone_ok,
        };
        decide(cx, e, ok, a.v)
    }

    /// The event type: [`derive::derive`] over the current snapshot, the previous one (in the
    /// input, or the host's `previous` option) and the job's hint.
    fn derive_event(
        &self,
        cx: &mut Cx<'_>,
        appt: &Appt<'_, 'v>,
        job: &Job<'v>,
        prev: &Prev,
    ) -> Result<Derived> {
        let ix = self.ix;
        let (a, ap) = (appt.res, appt.ptr());
        let v = a.v;
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
                let rf = super::index::read_reference(r, &ap.key("replaces").idx(0))?;
                Some(rf.id().or(rf.raw).unwrap_or("").to_owned())
            }
            None => None,
        };
        let inputs = Inputs {
            cur: Snapshot {
                v,
                status: str_at(v, "status", &ap)?,
                parts: &appt.parts,
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
        Ok(derive::derive(cx, &inputs))
    }
}

/// What the steps found that the decisions need.
struct Decided {
    event: Option<EventType>,
    needs: Vec<FetchItem>,
    /// A patient participant whose resource is in the input.
    patient_read: bool,
    phone_ok: crate::inbound::common::PhonePick,
}

/// The decisions after mapping, in order: required values missing, references to fetch, no
/// patient; else the common finish (filters, phone, sanitization).
fn decide(cx: Cx<'_>, e: AppointmentEvent, d: Decided, v: &Value) -> Result<MapResult> {
    let Decided {
        event,
        mut needs,
        patient_read,
        phone_ok,
    } = d;
    let Some(ev) = event.or_else(|| (!needs.is_empty()).then_some(EventType::Booked)) else {
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
    if !patient_read {
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

/// The appointment type text for filters: `appointmentType` code/text, else the first
/// `serviceType` code/text.
pub(super) fn appointment_type(v: &Value) -> Option<String> {
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
pub(super) fn previous_appointment<'v>(
    p: &'v Value,
    id: Option<&str>,
) -> Result<(&'v Value, String)> {
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
