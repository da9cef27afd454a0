//! The common ending of the JSON mappers ([`Cx::finish`]: required values, filters, phone, PAM
//! sanitization) and the profile's filters on a JSON input ([`FilterInput`]).

use super::{Cx, PhonePick};
use crate::error::Result;
use crate::event::{skip_codes, AppointmentEvent, EventType, Field, MapResult};
use crate::profile::FilterRule;
use crate::studio::sanitize::sanitize_event;
use serde_json::Value;

impl Cx<'_> {
    fn sms_empty_warnings(&mut self, e: &AppointmentEvent, ev: EventType) {
        for (f, msg) in e.empty_sms_values(ev) {
            self.warn("MAP_SMS_VALUE_EMPTY", msg, f);
        }
    }

    /// The common ending: required values → `SKIP_MISSING_REQUIRED`, filters → `SKIP_FILTERED`,
    /// no phone → `SKIP_NO_MOBILE_PHONE` / `SKIP_INVALID_PHONE`, else sanitize (strict mode may fail) and return the event.
    pub fn finish(
        mut self,
        mut e: AppointmentEvent,
        ev: EventType,
        phone_ok: PhonePick,
        filter: &FilterInput<'_>,
    ) -> Result<MapResult> {
        let missing: Vec<&str> = [
            Field::PatientId,
            Field::AppointmentId,
            Field::AppointmentDatetime,
            Field::AppointmentTimezone,
        ]
        .iter()
        .filter(|f| e.get(**f).is_empty())
        .map(|f| f.name())
        .collect();
        let skip: Option<(&'static str, String, Option<String>)> = if !missing.is_empty() {
            Some((
                skip_codes::MISSING_REQUIRED,
                format!(
                    "the flow needs values the input does not give: {}",
                    missing.join(", ")
                ),
                None,
            ))
        } else if let Some((rule, reason)) = self.apply_filters(&e, filter) {
            Some((skip_codes::FILTERED, reason, Some(rule)))
        } else {
            phone_ok.skip()
        };
        if let Some((code, reason, rule)) = skip {
            return Ok(self.skip_with_draft(e, code, reason, rule, None));
        }
        sanitize_event(&mut e, self.profile.sanitize, &mut self.r.warnings)?;
        self.sms_empty_warnings(&e, ev);
        self.r.idempotency_key = Some(e.idempotency_key());
        self.r.event = Some(e);
        Ok(self.r)
    }

    /// The filters of the profile, evaluated on a JSON input. A `path` that is a JSON pointer
    /// (`/…`) is read in `filter.doc`; an HL7 path cannot be (`MAP_FILTER_NOT_APPLICABLE`, value
    /// missing). Without a path, facility and appointment type come from the format's own
    /// sources (`filter.facility`, `filter.appointment_type`), provider and location from the
    /// mapped values.
    fn apply_filters(
        &mut self,
        e: &AppointmentEvent,
        filter: &FilterInput<'_>,
    ) -> Option<(String, String)> {
        let profile = self.profile;
        let fl = &profile.filters;
        if let Some(c) = &fl.sms_consent {
            let v = self.filter_value(Some(&c.path), filter, None, "smsConsent");
            if let Some(skip) = c.verdict(v.as_deref()) {
                return Some(skip);
            }
        }
        let rules: [(&str, &Option<FilterRule>, Option<String>); 4] = [
            ("facility", &fl.facility, filter.facility.clone()),
            (
                "appointmentType",
                &fl.appointment_type,
                filter.appointment_type.clone(),
            ),
            (
                "provider",
                &fl.provider,
                Some(e.provider_id.clone()).filter(|s| !s.is_empty()),
            ),
            (
                "location",
                &fl.location,
                Some(e.appointment_location.clone()).filter(|s| !s.is_empty()),
            ),
        ];
        for (name, rule, fallback) in rules {
            let Some(rule) = rule else { continue };
            let value = self.filter_value(rule.path.as_deref(), filter, fallback, name);
            if let Some(stop) = rule.verdict(name, value.as_deref().unwrap_or("")) {
                return Some(stop);
            }
        }
        None
    }

    fn filter_value(
        &mut self,
        path: Option<&str>,
        filter: &FilterInput<'_>,
        fallback: Option<String>,
        name: &str,
    ) -> Option<String> {
        match path {
            None => fallback,
            Some(p) if p.starts_with('/') => {
                filter.doc.and_then(|d| d.pointer(p)).and_then(scalar_text)
            }
            Some(_) => {
                self.note(
                    "MAP_FILTER_NOT_APPLICABLE",
                    format!("filters.{name}.path is an HL7 path and the input is JSON: the value counts as missing (use a JSON pointer such as /Patient/Consent)"),
                    None,
                );
                None
            }
        }
    }
}

/// A JSON scalar as filter/mapping text (strings trimmed, numbers and booleans as written).
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The JSON document and the format's default filter values.
#[derive(Default)]
pub(crate) struct FilterInput<'v> {
    /// Where JSON-pointer filter paths are read.
    pub doc: Option<&'v Value>,
    /// Default facility (Redox `Meta.FacilityCode`).
    pub facility: Option<String>,
    /// Default appointment type (FHIR `appointmentType`/`serviceType`, Redox `Visit.Reason`).
    pub appointment_type: Option<String>,
}
