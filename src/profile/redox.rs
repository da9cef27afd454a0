//! The `redox` section: Redox Scheduling inputs (docs/redox-mapping.md).

use super::schema::{event_rule, Ty};
use crate::error::{Error, ErrorCode, Result};
use crate::pointer::escape;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The Redox Scheduling event types a profile may configure in `redox.events`.
pub const REDOX_EVENT_TYPES: &[&str] = &["New", "Reschedule", "Modification", "Cancel", "NoShow"];

/// `redox` section: Redox Scheduling inputs (docs/redox-mapping.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedoxRules {
    /// `Meta.EventType` → event type or `skip`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub events: BTreeMap<String, String>,
    /// `Visit.Status` values that turn a Modification into `CONFIRMED` (default `["Confirmed"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_statuses: Option<Vec<String>>,
    /// `Patient.Identifiers[].IDType` for `patient_id`, in preference order (default `["MR", "MRN"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_id_types: Option<Vec<String>>,
}

impl RedoxRules {
    /// Whether nothing is configured.
    pub fn is_default(&self) -> bool {
        *self == RedoxRules::default()
    }
}

pub(super) const SCHEMA: &[(&str, Ty)] = &[
    ("events", Ty::MapOf(&Ty::Str)),
    ("confirmedStatuses", Ty::StrList),
    ("patientIdTypes", Ty::StrList),
];

/// Event rules must name Redox event types and event types.
pub(super) fn validate(r: &RedoxRules) -> Result<()> {
    for (k, v) in &r.events {
        let ptr = format!("/redox/events/{}", escape(k));
        if !REDOX_EVENT_TYPES.contains(&k.as_str()) {
            return Err(Error::new(
                ErrorCode::ProfileUnknownKey,
                "not a Redox Scheduling event type (New, Reschedule, Modification, Cancel, NoShow)",
            )
            .at_pointer(ptr));
        }
        event_rule(k, v, ptr)?;
    }
    Ok(())
}
