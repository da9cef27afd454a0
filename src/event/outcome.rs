//! The outcome of a mapping: [`MapResult`] (an event or a [`Skip`], with warnings, provenance and
//! ids), [`MapOutcome`], [`Detail`], and what must be fetched first ([`NeedsFetch`]).

use super::{skip_codes, AppointmentEvent, EntityId, ExtraIds, Field, ProvenanceMap};
use crate::error::{Position, Warning};
use serde::Serialize;

/// Why no Studio request should be sent for this input. Not an error: the input was understood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skip {
    /// Stable code (see [`skip_codes`]).
    pub code: &'static str,
    /// Human explanation (never contains input values).
    pub reason: String,
    /// The rule that matched (e.g. `"filters.smsConsent"`, `"hl7.events.S17"`, `"MSH-9"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// What the host must read before an input can be mapped (`MapResult.needsFetch`, with the skip
/// code [`skip_codes::NEEDS_FETCH`]).
///
/// JSON: `{"resources": [{"reference": "Patient/P1", "resourceType": "Patient", "id": "P1",
/// "required": true, "purpose": "patient name and mobile phone"}]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NeedsFetch {
    /// The resources, required ones first. Read each (`GET [base]/{reference}`; for an
    /// identifier-only entry, search with `reference`) and map again with them.
    pub resources: Vec<FetchItem>,
}

/// One resource the host must read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchItem {
    /// The reference as the input wrote it (relative `Patient/P1`, absolute URL, or versioned
    /// `Appointment/A1/_history/3`); for an identifier-only reference, a search
    /// (`Appointment?identifier=system|value`).
    pub reference: String,
    /// The resource type (`null` when the input does not say).
    pub resource_type: Option<String>,
    /// The logical id (`null` for identifier-only references).
    pub id: Option<String>,
    /// The version to read (`vread`), when one is needed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// The business identifier of an identifier-only reference (`id` = value, `namespace` = system).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<EntityId>,
    /// Without it no event can be produced (`false`: it only improves values such as the provider
    /// name or location, which otherwise come from `display` texts or the profile).
    pub required: bool,
    /// What it is needed for (static text).
    pub purpose: &'static str,
}

/// The outcome of mapping one input: an event to send, or a skip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapOutcome {
    /// Send this.
    Event(Box<AppointmentEvent>),
    /// Send nothing, for this reason.
    Skip(Skip),
}

/// How much of a [`MapResult`] a mapping records besides its outcome.
///
/// The outcome — the event or the skip (code, reason, rule), the idempotency key and the
/// warning *codes* — is the same either way (`tests/lean_mapping.rs` proves it on every fixture and
/// on mutations of them). Only the HL7 v2 mapper has a lean mode so far; the others always record
/// everything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Detail {
    /// Everything: provenance, ids, drafts, warning messages and positions (previews, logs,
    /// `map`, `studioRequest`).
    #[default]
    Full,
    /// The outcome and the warning codes only (`Mapper.execution`, which returns nothing else):
    /// no provenance, ids or draft, and warnings without message or position.
    Codes,
}

/// The result of a mapper, serialized for JavaScript as
/// `{ "event": {...}|null, "skip": {...}|null, "warnings": [...], "provenance": {...},
///    "ids": {...}, "idempotencyKey": "ik1-…"|null, "draft": {...}|null, "needsFetch": {...}|null }`.
///
/// `draft` holds the values as mapped when a skip was decided *after* mapping (filters, no mobile
/// phone, missing required values) so a preview can show them; it must never be sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MapResult {
    /// The event to send (`null` when skipped).
    pub event: Option<AppointmentEvent>,
    /// Why nothing should be sent (`null` when there is an event).
    pub skip: Option<Skip>,
    /// Every repair, assumption and doubt, coded.
    pub warnings: Vec<Warning>,
    /// Where each value came from.
    pub provenance: ProvenanceMap,
    /// Identifiers kept beside the values.
    pub ids: ExtraIds,
    /// [`AppointmentEvent::idempotency_key`] of the event (`null` when skipped).
    pub idempotency_key: Option<String>,
    /// The mapped values of a skipped input, for previews only (see the type docs).
    pub draft: Option<AppointmentEvent>,
    /// With the skip code `NEEDS_FETCH`: the resources the host must read (`null` otherwise).
    pub needs_fetch: Option<NeedsFetch>,
}

impl MapResult {
    /// The outcome as an enum.
    pub fn outcome(&self) -> MapOutcome {
        match (&self.event, &self.skip) {
            (Some(e), _) => MapOutcome::Event(Box::new(e.clone())),
            (None, Some(s)) => MapOutcome::Skip(s.clone()),
            (None, None) => MapOutcome::Skip(Skip {
                code: skip_codes::MISSING_REQUIRED,
                reason: "no event was produced".into(),
                rule: None,
            }),
        }
    }

    /// Add a warning about one output field.
    pub fn warn(&mut self, code: &'static str, message: impl Into<String>, field: Field) {
        self.warnings
            .push(Warning::new(code, message).for_field(field.name()));
    }

    /// Add a warning about one output field at an input position.
    pub fn warn_at(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        field: Field,
        pos: Position,
    ) {
        self.warnings
            .push(Warning::new(code, message).for_field(field.name()).at(pos));
    }
}
