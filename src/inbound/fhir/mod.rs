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
//! Layout, in reading order: this file (options, entry points, `run`); `index.rs` (resources and
//! references); `notify.rs` (subscription notifications); `plan.rs` (the jobs a document asks
//! for); `job.rs` (one job; an Appointment mapped as a sequence of steps); `appointment.rs` (ids,
//! event time, zone and start, location), `patient.rs`, `provider.rs` (the people and the
//! callback phone); `derive.rs` (the event type); `fields.rs` (names, telecoms, identifiers,
//! participants); [`table`] (the sources per key).
//!
//! ```
//! use ehr_studio_bridge::{inbound::fhir::{map_fhir, FhirOptions}, CompiledProfile};
//! let raw = std::fs::read("tests/fixtures/fhir/synthetic/r4-searchset-appointment-include.json").unwrap();
//! let r = map_fhir(&raw, &CompiledProfile::default(), &FhirOptions::default()).unwrap();
//! let e = r.event.unwrap();
//! assert_eq!((e.event_type.as_str(), e.patient_id.as_str()), ("BOOKED", "P1"));
//! assert_eq!(e.patient_phone, "+16085550199");
//! assert_eq!((e.appointment_datetime.as_str(), e.appointment_timezone.as_str()), ("2024-03-12T09:30:00", "-0500"));
//! ```

mod appointment;
mod derive;
mod fields;
mod index;
mod job;
mod notify;
mod patient;
mod plan;
mod provider;
pub mod table;

use self::derive::Hint;
use self::index::{Index, Origin};
use self::job::Shared;
use self::plan::{document_hint, plan};
use crate::error::{Error, ErrorCode, Result};
use crate::event::MapResult;
use crate::inbound::json::{self, bad_type, str_at};
use crate::pointer::Ptr;
use crate::profile::CompiledProfile;
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
            crate::pointer::escape_token(k, &mut p);
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
pub fn map_fhir(input: &[u8], profile: &CompiledProfile, opts: &FhirOptions) -> Result<MapResult> {
    let doc = json::parse(input)?;
    map_fhir_value(&doc, profile, opts)
}

/// [`map_fhir`] for an already-parsed document.
pub fn map_fhir_value(
    doc: &Value,
    profile: &CompiledProfile,
    opts: &FhirOptions,
) -> Result<MapResult> {
    let mut v = run(doc, profile, opts, false)?;
    v.pop()
        .ok_or_else(|| Error::new(ErrorCode::Internal, "no result was produced"))
}

/// Map every appointment event of a FHIR document: each Appointment of a searchset, each
/// notification event, and each version of a history Bundle (oldest first, each against its
/// predecessor).
pub fn map_fhir_all(
    input: &[u8],
    profile: &CompiledProfile,
    opts: &FhirOptions,
) -> Result<Vec<MapResult>> {
    let doc = json::parse(input)?;
    run(&doc, profile, opts, true)
}

fn run(
    doc: &Value,
    profile: &CompiledProfile,
    opts: &FhirOptions,
    all: bool,
) -> Result<Vec<MapResult>> {
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
