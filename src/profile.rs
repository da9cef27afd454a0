//! The mapping profile: one JSON object that adapts the mapping to a sending site.
//!
//! ```json
//! {
//!   "preset": "athenahealth",
//!   "sender":   { "timeZone": "America/New_York", "defaultCountry": "US", "ambiguousTime": "earlier" },
//!   "hl7": {
//!     "fields": { "appointment_location": ["AIL-3.2", "PV1-3.2"], "provider_callback_phone": [] },
//!     "events": { "S16": "CANCELED", "S17": "skip" },
//!     "statusField": "SCH-25",
//!     "confirmedStatuses": ["Confirmed"],
//!     "statusOverridesEvent": false,
//!     "appointmentId": "filler",
//!     "patientIdTypes": ["MR", "MRN"],
//!     "patientIdAuthority": null
//!   },
//!   "phones":   { "allowWork": false, "allowLandline": false, "requireMobile": false, "callbackFormat": "national" },
//!   "defaults": { "providerCallbackPhone": "(800) 555-2222", "appointmentLocation": "Owl Health Clinic" },
//!   "filters":  { "smsConsent": { "path": "PD1-12", "values": ["N"], "whenMissing": "send" },
//!                 "facility": { "path": "MSH-4.1", "allow": ["MAINHOSP"] },
//!                 "appointmentType": { "deny": ["TELEHEALTH"] }, "provider": {}, "location": {} },
//!   "sanitize": "repair",
//!   "studio":   { "flowSid": "FW0123456789abcdef0123456789abcdef", "from": "+15017122661" },
//!   "reply":    { "hl7": { "version": "2.5.1", "placerContact": { "id": "SMS" }, "enteredBy": { "id": "SMS" } },
//!                 "fhir": { "baseUrl": "https://fhir.example.org/r4", "style": "json-patch" } }
//! }
//! ```
//!
//! Every key is optional. Unknown keys are rejected (`PROFILE_UNKNOWN_KEY`), wrong types and values
//! give `PROFILE_BAD_VALUE`, bad zones `PROFILE_BAD_TIMEZONE`, bad paths `PROFILE_BAD_PATH`, unknown
//! presets `PROFILE_UNKNOWN_PRESET` — each with a JSON pointer to the offending value.
//!
//! * `hl7.fields.<table_b_key>`: the ordered source paths (`SEG[occ]-F[rep].C.S`) for that key,
//!   replacing the built-in candidates (see `docs/siu-mapping.md`). An empty list means "no source"
//!   (so the `defaults` value applies). `event_type` and `appointment_timezone` are computed and
//!   cannot be overridden.
//! * `hl7.events.<trigger>`: the event type for an SIU trigger (`S12`…`S26`), or `"skip"`.
//! * `defaults`: fallbacks used when a key has no source value.
//! * `filters`: a matching filter turns the event into a `SKIP_FILTERED` skip naming the rule.
//! * `sanitize`: `"repair"` (default: transliterate/replace with a warning per change) or
//!   `"strict"` (reject: `MAP_STRICT_REJECTED`).
//!
//! Presets ([`Profile::preset`], or `"preset": "name"` in the JSON) are profiles shipped for the
//! senders in the corpus whose messages differ from the defaults; the JSON given alongside a preset
//! is deep-merged over it (objects merge, everything else replaces). See [`PRESETS`].
//!
//! * `reply`: patient replies → EHR requests ([`crate::reply::ReplyConfig`]; errors point into
//!   `/reply/...`).
//! * `fhir` ([`FhirRules`]), `redox` ([`RedoxRules`]), `json` ([`JsonRules`]): how FHIR, Redox and
//!   home-grown JSON feeds are read (zone fallback, name and id choices, trigger/topic → event
//!   hints, JSON pointers per Table B key). Filter `path`s may be JSON pointers (`/Patient/Consent`)
//!   for JSON inputs.
//!
//! The sections are open for extension: a new section is one more field here and one more entry in
//! the schema table.

mod compiled;
mod defaults;
mod fhir;
mod filters;
mod hl7;
mod json;
mod phones;
mod presets;
mod redox;
pub mod reminders;
mod reply;
mod schema;
mod sender;
mod studio;

pub use crate::studio::sanitize::SanitizeMode;
pub use compiled::CompiledProfile;
pub use defaults::Defaults;
pub use fhir::{
    CallbackSource, EnteredInError, FhirRules, FirstNameUse, IdSource, WithoutPrevious,
    DEFAULT_CALLBACK_FROM,
};
pub use filters::{ConsentFilter, FilterRule, Filters, WhenMissing};
pub use hl7::{AppointmentIdChoice, Hl7Rules, SIU_TRIGGERS};
pub use json::JsonRules;
pub use phones::{CallbackFormat, Phones};
pub use presets::{render_presets_markdown, Preset, PRESETS};
pub use redox::{RedoxRules, REDOX_EVENT_TYPES};
pub use schema::{render_schema_markdown, typescript_declaration, PathList};
pub use sender::Sender;

use crate::error::{Error, ErrorCode, Result};
use crate::studio::StudioConfig;
use schema::{bad, check, Ty};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A validated mapping profile. Build it with [`Profile::from_json`] or [`Profile::preset`];
/// `Profile::default()` is the generic profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Profile {
    /// The preset this profile starts from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// The sending site.
    #[serde(default)]
    pub sender: Sender,
    /// HL7 v2 mapping rules.
    #[serde(default)]
    pub hl7: Hl7Rules,
    /// Phone selection policy.
    #[serde(default)]
    pub phones: Phones,
    /// Fallback values.
    #[serde(default)]
    pub defaults: Defaults,
    /// Filters that skip events.
    #[serde(default)]
    pub filters: Filters,
    /// PAM sanitization mode.
    #[serde(default)]
    pub sanitize: SanitizeMode,
    /// Studio flow and sender number (used by hosts to build the request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub studio: Option<StudioConfig>,
    /// Patient replies (Twilio → EHR): body limits, the HL7 SRM and FHIR write settings. See
    /// [`crate::reply::ReplyConfig`].
    #[serde(default)]
    pub reply: crate::reply::ReplyConfig,
    /// FHIR mapping rules (zone fallback, name and id choices, event hints). See [`FhirRules`].
    #[serde(default, skip_serializing_if = "FhirRules::is_default")]
    pub fhir: FhirRules,
    /// Redox Scheduling rules. See [`RedoxRules`].
    #[serde(default, skip_serializing_if = "RedoxRules::is_default")]
    pub redox: RedoxRules,
    /// Generic JSON mapping: JSON pointers per Table B key. See [`JsonRules`].
    #[serde(default, skip_serializing_if = "JsonRules::is_default")]
    pub json: JsonRules,
    /// The REMIND schedule (offsets, outreach window, late rule). See [`reminders::Reminders`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminders: Option<reminders::Reminders>,
}

/// The sections: key and schema, in the order of the JSON. A new section is one line here, one
/// field in [`Profile`] and, when it has rules, one line in [`Profile::validate`].
const ROOT: &[(&str, Ty)] = &[
    ("preset", Ty::NullableStr),
    ("sender", Ty::Obj(sender::SCHEMA)),
    ("hl7", Ty::Obj(hl7::SCHEMA)),
    ("phones", Ty::Obj(phones::SCHEMA)),
    ("defaults", Ty::Obj(defaults::SCHEMA)),
    ("filters", Ty::Obj(filters::SCHEMA)),
    ("sanitize", studio::SANITIZE),
    ("studio", Ty::Obj(studio::SCHEMA)),
    ("reply", Ty::Section("ReplyConfig")),
    ("fhir", Ty::Obj(fhir::SCHEMA)),
    ("redox", Ty::Obj(redox::SCHEMA)),
    ("json", Ty::Obj(json::SCHEMA)),
    ("reminders", Ty::Obj(reminders::SCHEMA)),
];

impl Profile {
    /// Parse and validate a profile from JSON (see the module docs for the schema).
    ///
    /// ```
    /// use ehr_studio_bridge::profile::Profile;
    /// let p = Profile::from_json(r#"{"preset":"renalware","defaults":{"appointmentLocation":"Royal London"}}"#).unwrap();
    /// assert_eq!(p.sender.default_country.as_deref(), Some("GB"));
    /// let e = Profile::from_json(r#"{"sender":{"timezone":"UTC"}}"#).unwrap_err();
    /// assert_eq!(e.code.as_str(), "PROFILE_UNKNOWN_KEY");
    /// assert_eq!(e.position.unwrap().pointer.as_deref(), Some("/sender/timezone"));
    /// ```
    pub fn from_json(json: &str) -> Result<Profile> {
        CompiledProfile::from_json(json).map(CompiledProfile::into_profile)
    }

    /// [`Profile::from_json`] for an already-parsed JSON value.
    pub fn from_value(v: Value) -> Result<Profile> {
        CompiledProfile::from_value(v).map(CompiledProfile::into_profile)
    }

    /// A preset by name (see [`PRESETS`]).
    pub fn preset(name: &str) -> Result<Profile> {
        CompiledProfile::preset(name).map(CompiledProfile::into_profile)
    }

    /// Validate and compile: what the mappers take (see [`CompiledProfile`]).
    pub fn compile(self) -> Result<CompiledProfile> {
        CompiledProfile::new(self)
    }

    /// Keys and types against the schema, the preset merged, the reply section typed: everything
    /// but [`Profile::validate`].
    fn from_value_unvalidated(v: Value) -> Result<Profile> {
        check(&v, Ty::Obj(ROOT), "")?;
        let merged = match v.get("preset").and_then(Value::as_str) {
            Some(name) => {
                let mut base = presets::preset_value(name)?;
                presets::merge(&mut base, v);
                base
            }
            None => v,
        };
        reply::check_typed(&merged)?;
        let reply_id_given = merged.pointer("/reply/hl7/appointmentId").is_some();
        let mut p: Profile = serde_json::from_value(merged)
            .map_err(|e| bad("", &format!("the profile does not match the schema: {e}")))?;
        reply::follow_appointment_id(&mut p, reply_id_given);
        Ok(p)
    }

    /// Check the semantic rules (zones, countries, paths, keys, SIDs), section by section (the
    /// first error wins). [`Profile::from_json`] calls this; call it yourself after editing a
    /// profile in code.
    pub fn validate(&self) -> Result<()> {
        sender::validate(&self.sender)?;
        hl7::validate(&self.hl7)?;
        filters::validate(&self.filters)?;
        fhir::validate(&self.fhir)?;
        redox::validate(&self.redox)?;
        json::validate(&self.json)?;
        defaults::validate(&self.defaults)?;
        reply::validate(&self.reply)?;
        studio::validate(&self.studio)?;
        self.reminders
            .as_ref()
            .map(reminders::Reminders::schedule)
            .transpose()?;
        Ok(())
    }
}

/// The profile's JSON text, parsed (`JSON_INVALID` with line and column, never an excerpt).
fn parse_json(json: &str) -> Result<Value> {
    serde_json::from_str(json).map_err(|e| {
        Error::new(
            ErrorCode::JsonInvalid,
            format!(
                "the profile is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })
}

#[cfg(test)]
mod tests;
