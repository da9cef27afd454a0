//! The `fhir` section: how FHIR R4/R4B/R5 inputs are read (docs/fhir-mapping.md).

use super::schema::{event_rule, Ty};
use crate::error::{Error, ErrorCode, Result};
use crate::pointer::escape;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which name gives `patient_first_name` (FHIR).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FirstNameUse {
    /// The current `official` name (then `usual`, then a name without `use`).
    #[default]
    Official,
    /// The current `usual` name's first given name when there is one ("Jim" rather than
    /// "James"); the family name still comes from the official name.
    Usual,
}

/// What a FHIR `entered-in-error` appointment becomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EnteredInError {
    /// `CANCELED`, with the warning `FHIR_ENTERED_IN_ERROR` (v2 S17 "deletion" maps here).
    #[default]
    Cancel,
    /// `SKIP_EVENT_POLICY` (rule `fhir.enteredInError`).
    Skip,
}

/// Where a FHIR id comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IdSource {
    /// The logical id (`Patient.id`, `Appointment.id`): what write-backs need.
    #[default]
    Id,
    /// A business identifier (system and type codes configurable); the logical id is kept in
    /// `ids`.
    Identifier,
}

/// A source of `provider_callback_phone` (FHIR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CallbackSource {
    /// `PractitionerRole.telecom` of the provider participant.
    PractitionerRole,
    /// `Location.telecom` of the location participant.
    Location,
    /// `Practitioner.telecom`.
    Practitioner,
    /// `Organization.telecom` (the role's organization or the location's managing organization).
    Organization,
}

/// The default callback order: PractitionerRole → Location → Practitioner → Organization.
pub const DEFAULT_CALLBACK_FROM: [CallbackSource; 4] = [
    CallbackSource::PractitionerRole,
    CallbackSource::Location,
    CallbackSource::Practitioner,
    CallbackSource::Organization,
];

/// What a booked FHIR appointment is when there is neither a previous snapshot nor a trigger.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WithoutPrevious {
    /// `BOOKED` (warning `FHIR_EVENT_WITHOUT_PREVIOUS` unless `meta.versionId` is `1`).
    #[default]
    Booked,
    /// `NEEDS_FETCH` of the previous version (`Appointment/{id}/_history/{n-1}`) when
    /// `meta.versionId` is a number above 1; else as `booked`.
    Fetch,
    /// `SKIP_EVENT_POLICY` unless `meta.versionId` is `1`.
    Skip,
}

/// `fhir` section: how FHIR R4/R4B/R5 inputs are read (docs/fhir-mapping.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FhirRules {
    /// IANA zone when the Location has no time-zone extension (before `sender.timeZone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Which name gives the first name.
    #[serde(default)]
    pub first_name: FirstNameUse,
    /// What an `entered-in-error` appointment becomes.
    #[serde(default)]
    pub entered_in_error: EnteredInError,
    /// Where `patient_id` comes from.
    #[serde(default)]
    pub patient_id: IdSource,
    /// With `patientId: identifier`: only identifiers of this system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_id_system: Option<String>,
    /// With `patientId: identifier`: identifier type codes in preference order (default `["MR"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_id_types: Option<Vec<String>>,
    /// Where `appointment_id` comes from.
    #[serde(default)]
    pub appointment_id: IdSource,
    /// With `appointmentId: identifier`: only identifiers of this system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointment_id_system: Option<String>,
    /// With `appointmentId: identifier`: type codes in preference order (default `["FILL", "PLAC"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointment_id_types: Option<Vec<String>>,
    /// When set, `provider_id` is the Practitioner identifier of this system (e.g. the NPI system
    /// `http://hl7.org/fhir/sid/us-npi`) instead of the logical id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id_system: Option<String>,
    /// Trigger or topic → event type or `skip`: v2 triggers (`S12`…`S26`, from
    /// `MessageHeader.eventCoding`), subscription topics (full URL or last segment, e.g.
    /// `Appointment.schedule`), message event URIs, or the host's `trigger` option.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub events: BTreeMap<String, String>,
    /// Use a non-UTC offset written on `start` when no IANA zone is known (default true). Set
    /// false for sources that rewrite offsets (FHIR-Converter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_offset: Option<bool>,
    /// Sources of `provider_callback_phone`, in order (default
    /// `["practitionerRole", "location", "practitioner", "organization"]`; then `defaults`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_from: Option<Vec<CallbackSource>>,
    /// A booked appointment with neither previous snapshot nor trigger.
    #[serde(default)]
    pub without_previous: WithoutPrevious,
}

impl FhirRules {
    /// Whether nothing is configured.
    pub fn is_default(&self) -> bool {
        *self == FhirRules::default()
    }
    /// `trustOffset` with its default.
    pub fn trust_offset(&self) -> bool {
        self.trust_offset.unwrap_or(true)
    }
    /// `callbackFrom` with its default.
    pub fn callback_from(&self) -> &[CallbackSource] {
        self.callback_from
            .as_deref()
            .unwrap_or(&DEFAULT_CALLBACK_FROM)
    }
}

pub(super) const SCHEMA: &[(&str, Ty)] = &[
    ("timeZone", Ty::NullableStr),
    ("firstName", Ty::Enum(&["official", "usual"])),
    ("enteredInError", Ty::Enum(&["cancel", "skip"])),
    ("patientId", Ty::Enum(&["id", "identifier"])),
    ("patientIdSystem", Ty::NullableStr),
    ("patientIdTypes", Ty::StrList),
    ("appointmentId", Ty::Enum(&["id", "identifier"])),
    ("appointmentIdSystem", Ty::NullableStr),
    ("appointmentIdTypes", Ty::StrList),
    ("providerIdSystem", Ty::NullableStr),
    ("events", Ty::MapOf(&Ty::Str)),
    ("trustOffset", Ty::Bool),
    (
        "callbackFrom",
        Ty::EnumList(&[
            "practitionerRole",
            "location",
            "practitioner",
            "organization",
        ]),
    ),
    ("withoutPrevious", Ty::Enum(&["booked", "fetch", "skip"])),
];

/// The fallback zone must be known; event rules must name event types.
pub(super) fn validate(f: &FhirRules) -> Result<()> {
    if let Some(tz) = &f.time_zone {
        if crate::time::parse_zone(tz).is_none() {
            return Err(Error::new(
                ErrorCode::ProfileBadTimezone,
                "not an IANA time zone name (e.g. America/Chicago)",
            )
            .at_pointer("/fhir/timeZone"));
        }
    }
    for (k, v) in &f.events {
        event_rule(k, v, format!("/fhir/events/{}", escape(k)))?;
    }
    Ok(())
}
