//! The `json` section: a home-grown JSON feed mapped with JSON pointers per Table B key.

use super::schema::{bad, check_pointer, event_rule, PathList, Ty};
use crate::error::{Error, ErrorCode, Result};
use crate::event::Field;
use crate::pointer::escape;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `json` section: a home-grown JSON feed mapped with JSON pointers (RFC 6901), no code needed.
///
/// ```json
/// {"json": {"fields": {"event_type": "/kind", "patient_id": "/patient/mrn",
///                      "patient_phone": ["/patient/mobile", "/patient/phone"],
///                      "appointment_id": "/id", "appointment_datetime": "/start"},
///           "events": {"new": "BOOKED", "moved": "RESCHEDULED", "deleted": "CANCELED", "draft": "skip"},
///           "eventTime": "/sentAt", "timeZone": "/clinic/tz"}}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JsonRules {
    /// Table B key → ordered JSON pointers (the first non-empty string or number wins).
    /// `event_datetime_utc` comes from `eventTime` and `appointment_timezone` is computed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, PathList>,
    /// The value at `fields.event_type` → event type or `skip` (case-insensitive; a value that is
    /// already `BOOKED`… needs no entry).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub events: BTreeMap<String, String>,
    /// Where the event timestamp is (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_time: Option<PathList>,
    /// Where an IANA zone name is in the document (else `sender.timeZone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<PathList>,
}

impl JsonRules {
    /// Whether nothing is configured.
    pub fn is_default(&self) -> bool {
        *self == JsonRules::default()
    }
    /// Whether a generic mapping is configured.
    pub fn configured(&self) -> bool {
        !self.fields.is_empty()
    }
    /// The pointers configured for a key.
    pub fn field(&self, f: Field) -> Option<&PathList> {
        self.fields
            .get(f.name())
            .or_else(|| self.fields.get(f.camel()))
    }
}

pub(super) const SCHEMA: &[(&str, Ty)] = &[
    ("fields", Ty::MapOf(&Ty::StrOrList)),
    ("events", Ty::MapOf(&Ty::Str)),
    ("eventTime", Ty::StrOrList),
    ("timeZone", Ty::StrOrList),
];

/// Event rules must name event types; fields must be Table B keys with a source, read from JSON
/// pointers; a configured mapping needs an `event_type` source.
pub(super) fn validate(j: &JsonRules) -> Result<()> {
    for (k, v) in &j.events {
        event_rule(k, v, format!("/json/events/{}", escape(k)))?;
    }
    for (k, list) in &j.fields {
        let ptr = format!("/json/fields/{}", escape(k));
        let f = Field::from_name(k).ok_or_else(|| {
            Error::new(ErrorCode::ProfileUnknownKey, "not a Table B key").at_pointer(ptr.clone())
        })?;
        match f {
            Field::EventDatetimeUtc => {
                return Err(bad(&ptr, "the event time is json.eventTime"));
            }
            Field::AppointmentTimezone => {
                return Err(bad(
                    &ptr,
                    "appointment_timezone is computed from the start and the zone (json.timeZone or sender.timeZone)",
                ));
            }
            _ => {}
        }
        for (i, p) in list.paths().iter().enumerate() {
            check_pointer(p, &format!("{ptr}/{i}"))?;
        }
    }
    for (name, list) in [("eventTime", &j.event_time), ("timeZone", &j.time_zone)] {
        if let Some(list) = list {
            for (i, p) in list.paths().iter().enumerate() {
                let ptr = match list {
                    PathList::One(_) => format!("/json/{name}"),
                    PathList::Many(_) => format!("/json/{name}/{i}"),
                };
                check_pointer(p, &ptr)?;
            }
        }
    }
    if j.configured() && j.field(Field::EventType).is_none() {
        return Err(bad(
            "/json/fields",
            "a generic JSON mapping needs a source for event_type (json.fields.event_type)",
        ));
    }
    Ok(())
}
