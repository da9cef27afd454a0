//! The `hl7` section: HL7 v2 SIU source paths per Table B key, trigger → event rules, status and
//! id choices.

use super::schema::{bad, check_path, event_rule, PathList, Ty};
use super::Profile;
use crate::error::{Error, ErrorCode, Result};
use crate::event::Field;
use crate::pointer::escape;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which SCH identifier is `appointment_id`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AppointmentIdChoice {
    /// SCH-2 (filler appointment id), else SCH-1.
    #[default]
    Filler,
    /// SCH-1 (placer appointment id), else SCH-2.
    Placer,
}

/// `hl7` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Hl7Rules {
    /// Per-key source overrides (Table B key → paths).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, PathList>,
    /// Trigger → event type (`BOOKED`…) or `skip`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub events: BTreeMap<String, String>,
    /// Where the filler status is read (default `SCH-25`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_field: Option<String>,
    /// Status values that turn an S14 into `CONFIRMED` (default `["Confirmed"]`; case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_statuses: Option<Vec<String>>,
    /// When an S14 carries a cancelled / no-show status, send `CANCELED` / `NOSHOWED` instead of
    /// `MODIFIED` (default false: warn only).
    #[serde(default)]
    pub status_overrides_event: bool,
    /// Which SCH id is `appointment_id`.
    #[serde(default)]
    pub appointment_id: AppointmentIdChoice,
    /// CX-5 identifier type codes for `patient_id`, in preference order (default `["MR", "MRN"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_id_types: Option<Vec<String>>,
    /// Only accept patient ids whose assigning authority (CX-4.1) is this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_id_authority: Option<String>,
}

/// The SIU triggers a profile may configure in `hl7.events`.
pub const SIU_TRIGGERS: &[&str] = &[
    "S12", "S13", "S14", "S15", "S16", "S17", "S18", "S19", "S20", "S21", "S22", "S23", "S24",
    "S26",
];

pub(super) const SCHEMA: &[(&str, Ty)] = &[
    ("fields", Ty::MapOf(&Ty::StrOrList)),
    ("events", Ty::MapOf(&Ty::Str)),
    ("statusField", Ty::NullableStr),
    ("confirmedStatuses", Ty::StrList),
    ("statusOverridesEvent", Ty::Bool),
    ("appointmentId", Ty::Enum(&["filler", "placer"])),
    ("patientIdTypes", Ty::StrList),
    ("patientIdAuthority", Ty::NullableStr),
];

/// Source paths must parse and name a Table B key that has a source; triggers must be SIU
/// triggers with a known event type.
pub(super) fn validate(h: &Hl7Rules) -> Result<()> {
    for (k, list) in &h.fields {
        let ptr = format!("/hl7/fields/{}", escape(k));
        let f = Field::from_name(k).ok_or_else(|| {
            Error::new(ErrorCode::ProfileUnknownKey, "not a Table B key").at_pointer(ptr.clone())
        })?;
        if matches!(f, Field::EventType | Field::AppointmentTimezone) {
            return Err(bad(
                &ptr,
                "this key is computed (event_type from hl7.events, appointment_timezone from the time rules) and has no source path",
            ));
        }
        for (i, p) in list.paths().iter().enumerate() {
            check_path(p, &format!("{ptr}/{i}"))?;
        }
    }
    for (k, ev) in &h.events {
        let ptr = format!("/hl7/events/{}", escape(k));
        if !SIU_TRIGGERS.contains(&k.as_str()) {
            return Err(
                Error::new(ErrorCode::ProfileUnknownKey, "not an SIU trigger (S12…S26)")
                    .at_pointer(ptr),
            );
        }
        event_rule(k, ev, ptr)?;
    }
    if let Some(p) = &h.status_field {
        check_path(p, "/hl7/statusField")?;
    }
    Ok(())
}

impl Profile {
    /// The effective patient id type codes (default `MR`, `MRN`).
    pub fn patient_id_types(&self) -> impl Iterator<Item = &str> {
        const DEFAULT: [&str; 2] = ["MR", "MRN"];
        let custom = self.hl7.patient_id_types.as_deref();
        let n = custom.map_or(DEFAULT.len(), <[String]>::len);
        (0..n).filter_map(move |i| match custom {
            Some(v) => v.get(i).map(String::as_str),
            None => DEFAULT.get(i).copied(),
        })
    }

    /// The effective confirmed status values (default `Confirmed`).
    pub fn confirmed_statuses(&self) -> impl Iterator<Item = &str> {
        let custom = self.hl7.confirmed_statuses.as_deref();
        let n = custom.map_or(1, <[String]>::len);
        (0..n).filter_map(move |i| match custom {
            Some(v) => v.get(i).map(String::as_str),
            None => (i == 0).then_some("Confirmed"),
        })
    }

    /// The source override for a key, if configured.
    pub fn field_override(&self, f: Field) -> Option<&PathList> {
        self.hl7
            .fields
            .get(f.name())
            .or_else(|| self.hl7.fields.get(f.camel()))
    }
}
