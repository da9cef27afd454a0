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

use crate::error::{Error, ErrorCode, Result};
use crate::event::{AppointmentEvent, Field, Provenance};
use crate::hl7::Path;
use crate::studio::StudioConfig;
use crate::time::AmbiguousPolicy;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub mod reminders;

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

/// `sender` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Sender {
    /// IANA zone of the sender's unzoned timestamps (`America/Chicago`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// ISO 3166 alpha-2 used to read national phone numbers. When absent, `US` is used and a
    /// `PHONE_DEFAULT_COUNTRY_ASSUMED` warning says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_country: Option<String>,
    /// Which instant a local time that occurs twice (DST fall-back) means.
    #[serde(default)]
    pub ambiguous_time: AmbiguousPolicy,
}

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

/// One path or a list of paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathList {
    /// A single path.
    One(String),
    /// Ordered candidates.
    Many(Vec<String>),
}

impl PathList {
    /// The paths in order.
    pub fn paths(&self) -> &[String] {
        match self {
            PathList::One(s) => std::slice::from_ref(s),
            PathList::Many(v) => v,
        }
    }
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

/// How `provider_callback_phone` is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CallbackFormat {
    /// `(608) 271-9000` for numbers of a NANP default country, E.164 otherwise.
    #[default]
    National,
    /// Always E.164.
    E164,
}

/// `phones` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Phones {
    /// Accept a work number (PID-14, use code WPN) when there is no other.
    #[serde(default)]
    pub allow_work: bool,
    /// Accept a number whose range is a landline.
    #[serde(default)]
    pub allow_landline: bool,
    /// Only accept numbers marked mobile (equipment CP, use text MOBILE/CELL) or in a mobile range.
    #[serde(default)]
    pub require_mobile: bool,
    /// Format of `provider_callback_phone`.
    #[serde(default)]
    pub callback_format: CallbackFormat,
}

/// `defaults` section: fallbacks when a key has no source value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Defaults {
    /// Fallback `provider_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// Fallback `provider_first_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_first_name: Option<String>,
    /// Fallback `provider_last_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_last_name: Option<String>,
    /// Fallback `provider_callback_phone` (written as given; `[0-9+\-() ]` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_callback_phone: Option<String>,
    /// Fallback `appointment_location`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointment_location: Option<String>,
}

impl Defaults {
    /// The default for a key, with its profile setting name.
    pub fn for_field(&self, f: Field) -> Option<(&str, &'static str)> {
        let (v, name) = match f {
            Field::ProviderId => (&self.provider_id, "profile.defaults.providerId"),
            Field::ProviderFirstName => (
                &self.provider_first_name,
                "profile.defaults.providerFirstName",
            ),
            Field::ProviderLastName => (
                &self.provider_last_name,
                "profile.defaults.providerLastName",
            ),
            Field::ProviderCallbackPhone => (
                &self.provider_callback_phone,
                "profile.defaults.providerCallbackPhone",
            ),
            Field::AppointmentLocation => (
                &self.appointment_location,
                "profile.defaults.appointmentLocation",
            ),
            _ => return None,
        };
        v.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| (s, name))
    }

    /// Set `f` of `e` to its profile default, or clear it when there is none; the provenance to
    /// record (`none_rule` names why there was no source value).
    pub fn fill(&self, e: &mut AppointmentEvent, f: Field, none_rule: &'static str) -> Provenance {
        match self.for_field(f) {
            Some((v, setting)) => {
                *e.get_mut(f) = v.to_owned();
                Provenance::profile(setting, "profile default (no source value)")
            }
            None => {
                e.get_mut(f).clear();
                Provenance::none(none_rule)
            }
        }
    }
}

/// An allow/deny filter on one value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FilterRule {
    /// Where the value is read (default depends on the filter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// When non-empty, only these values pass (case-insensitive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    /// These values are skipped (case-insensitive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<String>,
}

impl FilterRule {
    /// Whether the filter `filters.<name>` stops an event whose value is `value` (empty when
    /// absent): `Some((rule, reason))` — e.g. `("filters.facility.deny", …)` — or `None` to send.
    /// Values are compared trimmed and case-insensitively; an absent value never matches `deny`
    /// and fails a non-empty `allow`.
    pub fn verdict(&self, name: &str, value: &str) -> Option<(String, String)> {
        let v = value.trim();
        let matches = |list: &[String]| list.iter().any(|x| x.trim().eq_ignore_ascii_case(v));
        if !v.is_empty() && matches(&self.deny) {
            return Some((
                format!("filters.{name}.deny"),
                format!("the {name} is in the profile's deny list"),
            ));
        }
        if !self.allow.is_empty() && !matches(&self.allow) {
            return Some((
                format!("filters.{name}.allow"),
                format!("the {name} is not in the profile's allow list"),
            ));
        }
        None
    }
}

/// What to do when the consent field is absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WhenMissing {
    /// Skip (no evidence of consent).
    #[default]
    Skip,
    /// Send.
    Send,
}

/// The SMS consent filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsentFilter {
    /// Where consent is read (e.g. `PD1-12`, `ZPI-3`).
    pub path: String,
    /// Values that mean "consented" (case-insensitive; default `["Y"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    /// What an absent value means.
    #[serde(default)]
    pub when_missing: WhenMissing,
}

impl ConsentFilter {
    /// Decide on the consent value read at [`ConsentFilter::path`] (`None` when absent):
    /// `Some((rule, reason))` to skip, or `None` to send. Values compare case-insensitively.
    pub fn verdict(&self, value: Option<&str>) -> Option<(String, String)> {
        match value {
            Some(v) => {
                let consented = match &self.values {
                    Some(list) => list.iter().any(|x| x.eq_ignore_ascii_case(v)),
                    None => v.eq_ignore_ascii_case("Y"),
                };
                (!consented).then(|| {
                    (
                        "filters.smsConsent".into(),
                        "the SMS consent field does not hold a consent value".into(),
                    )
                })
            }
            None => (self.when_missing == WhenMissing::Skip).then(|| {
                (
                    "filters.smsConsent.whenMissing".into(),
                    "the SMS consent field is empty and the profile skips when consent is missing"
                        .into(),
                )
            }),
        }
    }
}

/// `filters` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Filters {
    /// SMS consent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_consent: Option<ConsentFilter>,
    /// Facility (default path `MSH-4.1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<FilterRule>,
    /// Appointment type (default path `SCH-8.1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointment_type: Option<FilterRule>,
    /// Provider (default: the mapped `provider_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<FilterRule>,
    /// Location (default: the mapped `appointment_location`, before sanitization).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<FilterRule>,
}

/// PAM sanitization mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SanitizeMode {
    /// Transliterate / replace, with a warning per change.
    #[default]
    Repair,
    /// Reject any value the PAM flow would not accept (`MAP_STRICT_REJECTED`).
    Strict,
}

/// A named preset: `(name, description, profile JSON)`.
pub type Preset = (&'static str, &'static str, &'static str);

/// Presets for the senders in the corpus whose messages differ from the defaults.
pub const PRESETS: &[Preset] = &[
    (
        "generic",
        "The defaults: HL7 v2.2–2.8 as in docs/siu-mapping.md, US phone numbers.",
        "{}",
    ),
    (
        "athenahealth",
        "athenaNet SIU (v2.2): department name in AIL-3.2, provider only as a username (AIG-3) and a numeric id in PV1-7, patient id also in PID-2, unmarked home/work phones.",
        r#"{"sender":{"defaultCountry":"US"},
            "hl7":{"fields":{"appointment_location":["AIL-3.2","PV1-3.4","AIL-3.1"]}}}"#,
    ),
    (
        "renalware",
        "Barts Health TIE → Renalware (v2.4, UK): GB numbers, Europe/London, MRN type code, only a placer id (SCH-1), provider name as free text in AIG-3, SCH-25 'Confirmed' on every message (not a confirmation).",
        r#"{"sender":{"timeZone":"Europe/London","defaultCountry":"GB"},
            "hl7":{"confirmedStatuses":[],"patientIdTypes":["MRN","MR"],"appointmentId":"placer"}}"#,
    ),
    (
        "clicrdv",
        "ClicRDV (v2.5.1, France): FR numbers, Europe/Paris, PI patient ids, filler id in SCH-2 with namespace, the practitioner booked in SCH-16 (filler contact) as there is no AIP.",
        r#"{"sender":{"timeZone":"Europe/Paris","defaultCountry":"FR"},
            "hl7":{"patientIdTypes":["PI","MR"],
                   "fields":{"provider_id":["AIP-3.1","SCH-16.1"],
                             "provider_last_name":["AIP-3.2.1","SCH-16.2.1"],
                             "provider_first_name":["AIP-3.3","SCH-16.3"]}}}"#,
    ),
    (
        "xplore",
        "XPLORE → ORBIS (v2.3.1, France): FR numbers, Europe/Paris, PI patient ids, filler id in SCH-2; SCH-11.4 carries the message time, the appointment start is AIS-4.",
        r#"{"sender":{"timeZone":"Europe/Paris","defaultCountry":"FR"},
            "hl7":{"patientIdTypes":["PI","MR"],
                   "fields":{"appointment_datetime":["AIS-4","SCH-11.4"]}}}"#,
    ),
];

// ---- schema (for unknown keys and types, with JSON pointers) --------------------------------

#[derive(Clone, Copy)]
enum Ty {
    Str,
    NullableStr,
    Bool,
    StrList,
    StrOrList,
    Enum(&'static [&'static str]),
    EnumList(&'static [&'static str]),
    Obj(&'static [(&'static str, Ty)]),
    MapOf(&'static Ty),
    /// A section with its own typed validation (e.g. `reply`, see [`crate::reply::ReplyConfig`]),
    /// named by its TypeScript type.
    Section(&'static str),
}

const SENDER: &[(&str, Ty)] = &[
    ("timeZone", Ty::NullableStr),
    ("defaultCountry", Ty::NullableStr),
    ("ambiguousTime", Ty::Enum(&["earlier", "later"])),
];
const HL7: &[(&str, Ty)] = &[
    ("fields", Ty::MapOf(&Ty::StrOrList)),
    ("events", Ty::MapOf(&Ty::Str)),
    ("statusField", Ty::NullableStr),
    ("confirmedStatuses", Ty::StrList),
    ("statusOverridesEvent", Ty::Bool),
    ("appointmentId", Ty::Enum(&["filler", "placer"])),
    ("patientIdTypes", Ty::StrList),
    ("patientIdAuthority", Ty::NullableStr),
];
const PHONES: &[(&str, Ty)] = &[
    ("allowWork", Ty::Bool),
    ("allowLandline", Ty::Bool),
    ("requireMobile", Ty::Bool),
    ("callbackFormat", Ty::Enum(&["national", "e164"])),
];
const DEFAULTS: &[(&str, Ty)] = &[
    ("providerId", Ty::NullableStr),
    ("providerFirstName", Ty::NullableStr),
    ("providerLastName", Ty::NullableStr),
    ("providerCallbackPhone", Ty::NullableStr),
    ("appointmentLocation", Ty::NullableStr),
];
const RULE: &[(&str, Ty)] = &[
    ("path", Ty::NullableStr),
    ("allow", Ty::StrList),
    ("deny", Ty::StrList),
];
const CONSENT: &[(&str, Ty)] = &[
    ("path", Ty::Str),
    ("values", Ty::StrList),
    ("whenMissing", Ty::Enum(&["skip", "send"])),
];
const FILTERS: &[(&str, Ty)] = &[
    ("smsConsent", Ty::Obj(CONSENT)),
    ("facility", Ty::Obj(RULE)),
    ("appointmentType", Ty::Obj(RULE)),
    ("provider", Ty::Obj(RULE)),
    ("location", Ty::Obj(RULE)),
];
const STUDIO: &[(&str, Ty)] = &[
    ("flowSid", Ty::Str),
    ("from", Ty::Str),
    ("baseUrl", Ty::NullableStr),
];
const FHIR: &[(&str, Ty)] = &[
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
const REDOX: &[(&str, Ty)] = &[
    ("events", Ty::MapOf(&Ty::Str)),
    ("confirmedStatuses", Ty::StrList),
    ("patientIdTypes", Ty::StrList),
];
const JSON: &[(&str, Ty)] = &[
    ("fields", Ty::MapOf(&Ty::StrOrList)),
    ("events", Ty::MapOf(&Ty::Str)),
    ("eventTime", Ty::StrOrList),
    ("timeZone", Ty::StrOrList),
];
const ROOT: &[(&str, Ty)] = &[
    ("preset", Ty::NullableStr),
    ("sender", Ty::Obj(SENDER)),
    ("hl7", Ty::Obj(HL7)),
    ("phones", Ty::Obj(PHONES)),
    ("defaults", Ty::Obj(DEFAULTS)),
    ("filters", Ty::Obj(FILTERS)),
    ("sanitize", Ty::Enum(&["repair", "strict"])),
    ("studio", Ty::Obj(STUDIO)),
    ("reply", Ty::Section("ReplyConfig")),
    ("fhir", Ty::Obj(FHIR)),
    ("redox", Ty::Obj(REDOX)),
    ("json", Ty::Obj(JSON)),
    ("reminders", Ty::Obj(reminders::SCHEMA)),
];

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn bad(ptr: &str, msg: &str) -> Error {
    Error::new(ErrorCode::ProfileBadValue, msg.to_owned()).at_pointer(ptr.to_owned())
}

fn check(v: &Value, ty: Ty, ptr: &str) -> Result<()> {
    match ty {
        Ty::Str => v
            .as_str()
            .map(|_| ())
            .ok_or_else(|| bad(ptr, "expected a string")),
        Ty::NullableStr => {
            if v.is_null() || v.is_string() {
                Ok(())
            } else {
                Err(bad(ptr, "expected a string or null"))
            }
        }
        Ty::Bool => v
            .as_bool()
            .map(|_| ())
            .ok_or_else(|| bad(ptr, "expected true or false")),
        Ty::StrList => {
            let a = v
                .as_array()
                .ok_or_else(|| bad(ptr, "expected an array of strings"))?;
            for (i, x) in a.iter().enumerate() {
                check(x, Ty::Str, &format!("{ptr}/{i}"))?;
            }
            Ok(())
        }
        Ty::StrOrList => {
            if v.is_string() {
                Ok(())
            } else {
                check(v, Ty::StrList, ptr)
            }
        }
        Ty::Enum(opts) => {
            let s = v.as_str().ok_or_else(|| bad(ptr, "expected a string"))?;
            if opts.contains(&s) {
                Ok(())
            } else {
                Err(bad(ptr, &format!("expected one of: {}", opts.join(", "))))
            }
        }
        Ty::EnumList(opts) => {
            let a = v
                .as_array()
                .ok_or_else(|| bad(ptr, "expected an array of strings"))?;
            for (i, x) in a.iter().enumerate() {
                check(x, Ty::Enum(opts), &format!("{ptr}/{i}"))?;
            }
            Ok(())
        }
        Ty::Obj(keys) => {
            let o = v
                .as_object()
                .ok_or_else(|| bad(ptr, "expected an object"))?;
            for (k, x) in o {
                let p = format!("{ptr}/{}", escape_pointer(k));
                match keys.iter().find(|(n, _)| n == k) {
                    Some((_, t)) => check(x, *t, &p)?,
                    None => {
                        let known: Vec<&str> = keys.iter().map(|(n, _)| *n).collect();
                        return Err(Error::new(
                            ErrorCode::ProfileUnknownKey,
                            format!("unknown key; expected one of: {}", known.join(", ")),
                        )
                        .at_pointer(p));
                    }
                }
            }
            Ok(())
        }
        Ty::MapOf(t) => {
            let o = v
                .as_object()
                .ok_or_else(|| bad(ptr, "expected an object"))?;
            for (k, x) in o {
                check(x, *t, &format!("{ptr}/{}", escape_pointer(k)))?;
            }
            Ok(())
        }
        Ty::Section(_) => v
            .is_object()
            .then_some(())
            .ok_or_else(|| bad(ptr, "expected an object")),
    }
}

/// The TypeScript declaration of the profile JSON (`export interface Profile`), generated from the
/// schema table above, so the `.d.ts` cannot drift from what [`Profile::from_json`] accepts.
/// Sections with their own types (`reply`) are referenced by name.
pub fn typescript_declaration() -> String {
    let mut out = String::from(
        "/** A mapping profile (see docs/profiles.md). Every key is optional; unknown keys are rejected. */\nexport interface Profile ",
    );
    ts_object(&mut out, ROOT, 0);
    out.push('\n');
    out
}

fn ts_object(out: &mut String, fields: &[(&str, Ty)], depth: usize) {
    out.push_str("{\n");
    for (k, ty) in fields {
        out.push_str(&"  ".repeat(depth + 1));
        out.push_str(k);
        out.push_str("?: ");
        ts_type(out, *ty, depth + 1);
        out.push_str(";\n");
    }
    out.push_str(&"  ".repeat(depth));
    out.push('}');
}

fn ts_type(out: &mut String, ty: Ty, depth: usize) {
    match ty {
        Ty::Str => out.push_str("string"),
        Ty::NullableStr => out.push_str("string | null"),
        Ty::Bool => out.push_str("boolean"),
        Ty::StrList => out.push_str("string[]"),
        Ty::StrOrList => out.push_str("string | string[]"),
        Ty::Enum(values) => {
            let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
            out.push_str(&quoted.join(" | "));
        }
        Ty::EnumList(values) => {
            let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
            out.push('(');
            out.push_str(&quoted.join(" | "));
            out.push_str(")[]");
        }
        Ty::Obj(fields) => ts_object(out, fields, depth),
        Ty::MapOf(t) => {
            out.push_str("{ [key: string]: ");
            ts_type(out, *t, depth);
            out.push_str(" }");
        }
        Ty::Section(name) => out.push_str(name),
    }
}

fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// The SIU triggers a profile may configure in `hl7.events`.
pub const SIU_TRIGGERS: &[&str] = &[
    "S12", "S13", "S14", "S15", "S16", "S17", "S18", "S19", "S20", "S21", "S22", "S23", "S24",
    "S26",
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
        let v: Value = serde_json::from_str(json).map_err(|e| {
            Error::new(
                ErrorCode::JsonInvalid,
                format!(
                    "the profile is not valid JSON (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        Self::from_value(v)
    }

    /// [`Profile::from_json`] for an already-parsed JSON value.
    pub fn from_value(v: Value) -> Result<Profile> {
        check(&v, Ty::Obj(ROOT), "")?;
        let merged = match v.get("preset").and_then(Value::as_str) {
            Some(name) => {
                let mut base = preset_value(name)?;
                merge(&mut base, v);
                base
            }
            None => v,
        };
        if let Some(r) = merged.get("reply") {
            // Typed errors with a pointer into the section, before the whole-profile pass.
            serde_json::from_value::<crate::reply::ReplyConfig>(r.clone())
                .map_err(|e| crate::reply::config::config_error(&e).at_pointer("/reply"))?;
        }
        // The reply's ARQ id field follows the outbound choice of appointment_id unless the
        // profile sets reply.hl7.appointmentId itself: the id that comes back is the one we sent.
        let reply_id_given = merged.pointer("/reply/hl7/appointmentId").is_some();
        let mut p: Profile = serde_json::from_value(merged)
            .map_err(|e| bad("", &format!("the profile does not match the schema: {e}")))?;
        if !reply_id_given {
            if let Some(h) = p.reply.hl7.as_mut() {
                h.appointment_id = match p.hl7.appointment_id {
                    AppointmentIdChoice::Filler => crate::reply::config::AppointmentIdField::Filler,
                    AppointmentIdChoice::Placer => crate::reply::config::AppointmentIdField::Placer,
                };
            }
        }
        p.validate()?;
        Ok(p)
    }

    /// A preset by name (see [`PRESETS`]).
    pub fn preset(name: &str) -> Result<Profile> {
        let mut v = preset_value(name)?;
        if let Value::Object(o) = &mut v {
            o.insert("preset".into(), Value::String(name.to_owned()));
        }
        Self::from_value(v)
    }

    /// Check the semantic rules (zones, countries, paths, keys, SIDs). [`Profile::from_json`]
    /// calls this; call it yourself after editing a profile in code.
    pub fn validate(&self) -> Result<()> {
        if let Some(tz) = &self.sender.time_zone {
            if crate::time::parse_zone(tz).is_none() {
                return Err(Error::new(
                    ErrorCode::ProfileBadTimezone,
                    "not an IANA time zone name (e.g. America/New_York)",
                )
                .at_pointer("/sender/timeZone"));
            }
        }
        if let Some(c) = &self.sender.default_country {
            if crate::phone::country(c).is_none() {
                return Err(bad(
                    "/sender/defaultCountry",
                    "unsupported country (ISO 3166 alpha-2 of a known numbering plan, e.g. US, GB, FR)",
                ));
            }
        }
        for (k, list) in &self.hl7.fields {
            let ptr = format!("/hl7/fields/{}", escape_pointer(k));
            let f = Field::from_name(k).ok_or_else(|| {
                Error::new(ErrorCode::ProfileUnknownKey, "not a Table B key")
                    .at_pointer(ptr.clone())
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
        for (k, ev) in &self.hl7.events {
            let ptr = format!("/hl7/events/{}", escape_pointer(k));
            if !SIU_TRIGGERS.contains(&k.as_str()) {
                return Err(Error::new(
                    ErrorCode::ProfileUnknownKey,
                    "not an SIU trigger (S12…S26)",
                )
                .at_pointer(ptr));
            }
            if !ev.eq_ignore_ascii_case("skip") && crate::event::EventType::parse(ev).is_none() {
                return Err(bad(
                    &ptr,
                    "expected BOOKED, RESCHEDULED, MODIFIED, CONFIRMED, CANCELED, NOSHOWED or skip",
                ));
            }
        }
        if let Some(p) = &self.hl7.status_field {
            check_path(p, "/hl7/statusField")?;
        }
        let f = &self.filters;
        if let Some(c) = &f.sms_consent {
            check_filter_path(&c.path, "/filters/smsConsent/path")?;
        }
        for (name, r) in [
            ("facility", &f.facility),
            ("appointmentType", &f.appointment_type),
            ("provider", &f.provider),
            ("location", &f.location),
        ] {
            if let Some(p) = r.as_ref().and_then(|r| r.path.as_ref()) {
                check_filter_path(p, &format!("/filters/{name}/path"))?;
            }
        }
        self.validate_json_sections()?;
        self.reminders
            .as_ref()
            .map(reminders::Reminders::schedule)
            .transpose()?;
        if let Some(cb) = &self.defaults.provider_callback_phone {
            if !crate::studio::params::pam_phone_ok(cb) {
                return Err(bad(
                    "/defaults/providerCallbackPhone",
                    "the PAM flow accepts only digits, '+', '-', '(', ')' and spaces here",
                ));
            }
        }
        for (f, name) in [
            (Field::ProviderFirstName, "providerFirstName"),
            (Field::ProviderLastName, "providerLastName"),
            (Field::AppointmentLocation, "appointmentLocation"),
            (Field::ProviderId, "providerId"),
        ] {
            if let Some((v, _)) = self.defaults.for_field(f) {
                if crate::studio::params::check_value(f, v)
                    .or_else(|| crate::studio::params::hazard(f, v))
                    .is_some()
                {
                    return Err(bad(
                        &format!("/defaults/{name}"),
                        "the PAM flow would reject this value (see the contract's validator rules)",
                    ));
                }
            }
        }
        self.reply.validate().map_err(|mut e| {
            if let Some(p) = e.position.as_mut().and_then(|p| p.pointer.as_mut()) {
                p.insert_str(0, "/reply");
            }
            e
        })?;
        if let Some(s) = &self.studio {
            s.validate().map_err(|e| {
                let ptr = e
                    .position
                    .as_ref()
                    .and_then(|p| p.pointer.clone())
                    .unwrap_or_default();
                Error::new(ErrorCode::ProfileBadValue, e.message)
                    .at_pointer(format!("/studio{ptr}"))
            })?;
        }
        Ok(())
    }

    /// The effective default country (`US` when not configured) and whether it was configured.
    pub fn default_country(&self) -> (&str, bool) {
        match &self.sender.default_country {
            Some(c) => (c.as_str(), true),
            None => ("US", false),
        }
    }

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

/// Render the presets as Markdown (the "Presets" part of `docs/profiles.md`).
pub fn render_presets_markdown() -> String {
    let mut s = String::from("| preset | for | profile JSON |\n|---|---|---|\n");
    for (name, what, json) in PRESETS {
        let compact = serde_json::from_str::<Value>(json)
            .map(|v| v.to_string())
            .unwrap_or_default();
        s.push_str(&format!("| `{name}` | {what} | `{compact}` |\n"));
    }
    s
}

impl Profile {
    fn validate_json_sections(&self) -> Result<()> {
        let event_rule = |k: &str, v: &str, ptr: String| -> Result<()> {
            if k.trim().is_empty() {
                return Err(bad(&ptr, "an empty key matches nothing"));
            }
            if !v.eq_ignore_ascii_case("skip") && crate::event::EventType::parse(v).is_none() {
                return Err(bad(
                    &ptr,
                    "expected BOOKED, RESCHEDULED, MODIFIED, CONFIRMED, CANCELED, NOSHOWED or skip",
                ));
            }
            Ok(())
        };
        if let Some(tz) = &self.fhir.time_zone {
            if crate::time::parse_zone(tz).is_none() {
                return Err(Error::new(
                    ErrorCode::ProfileBadTimezone,
                    "not an IANA time zone name (e.g. America/Chicago)",
                )
                .at_pointer("/fhir/timeZone"));
            }
        }
        for (k, v) in &self.fhir.events {
            event_rule(k, v, format!("/fhir/events/{}", escape_pointer(k)))?;
        }
        for (k, v) in &self.redox.events {
            let ptr = format!("/redox/events/{}", escape_pointer(k));
            if !REDOX_EVENT_TYPES.contains(&k.as_str()) {
                return Err(Error::new(
                    ErrorCode::ProfileUnknownKey,
                    "not a Redox Scheduling event type (New, Reschedule, Modification, Cancel, NoShow)",
                )
                .at_pointer(ptr));
            }
            event_rule(k, v, ptr)?;
        }
        let j = &self.json;
        for (k, v) in &j.events {
            event_rule(k, v, format!("/json/events/{}", escape_pointer(k)))?;
        }
        for (k, list) in &j.fields {
            let ptr = format!("/json/fields/{}", escape_pointer(k));
            let f = Field::from_name(k).ok_or_else(|| {
                Error::new(ErrorCode::ProfileUnknownKey, "not a Table B key")
                    .at_pointer(ptr.clone())
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
}

fn check_pointer(p: &str, ptr: &str) -> Result<()> {
    if p.starts_with('/') && crate::inbound::json::pointer_ok(p) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::ProfileBadPath,
            "not a JSON pointer like /appointment/start (RFC 6901: starts with /, ~0 and ~1 escapes)",
        )
        .at_pointer(ptr.to_owned()))
    }
}

/// A filter path: an HL7 path (`PD1-12`) for HL7 inputs, or a JSON pointer (`/Patient/Consent`)
/// for JSON inputs.
fn check_filter_path(p: &str, ptr: &str) -> Result<()> {
    if p.starts_with('/') {
        check_pointer(p, ptr)
    } else {
        check_path(p, ptr)
    }
}

/// Render the profile schema (every key, its JSON pointer and type) as Markdown: the generated
/// "Schema" part of `docs/profiles.md`.
pub fn render_schema_markdown() -> String {
    fn ty_text(t: Ty) -> String {
        match t {
            Ty::Str => "string".into(),
            Ty::NullableStr => "string or null".into(),
            Ty::Bool => "boolean".into(),
            Ty::StrList => "array of strings".into(),
            Ty::StrOrList => "string or array of strings".into(),
            Ty::Enum(o) => format!("one of `{}`", o.join("`, `")),
            Ty::EnumList(o) => format!("array of `{}`", o.join("`, `")),
            Ty::Obj(_) => "object".into(),
            Ty::MapOf(t) => format!("object of {}", ty_text(*t)),
            Ty::Section(_) => "object (own schema, see the section docs)".into(),
        }
    }
    fn walk(keys: &[(&str, Ty)], prefix: &str, out: &mut String) {
        for (k, t) in keys {
            let p = format!("{prefix}/{k}");
            out.push_str(&format!("| `{p}` | {} |\n", ty_text(*t)));
            if let Ty::Obj(sub) = t {
                walk(sub, &p, out);
            }
        }
    }
    let mut s = String::from("| pointer | type |\n|---|---|\n");
    walk(ROOT, "", &mut s);
    s
}

fn check_path(p: &str, ptr: &str) -> Result<()> {
    Path::parse(p).map(|_| ()).map_err(|e| {
        Error::new(
            ErrorCode::ProfileBadPath,
            format!("not a path like PID-13[2].1: {}", e.message),
        )
        .at_pointer(ptr.to_owned())
    })
}

fn preset_value(name: &str) -> Result<Value> {
    let (_, _, json) = PRESETS
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            let names: Vec<&str> = PRESETS.iter().map(|p| p.0).collect();
            Error::new(
                ErrorCode::ProfileUnknownPreset,
                format!("unknown preset; known presets: {}", names.join(", ")),
            )
            .at_pointer("/preset")
        })?;
    serde_json::from_str(json).map_err(|_| bad("/preset", "the preset is malformed"))
}

#[cfg(test)]
mod tests {

    #[test]
    fn reply_arq_field_follows_the_outbound_appointment_id() {
        use crate::reply::config::AppointmentIdField;
        let r = r#"{"version":"2.5.1","placerContact":{"id":"S"},"enteredBy":{"id":"S"}}"#;
        let id = |json: String| {
            Profile::from_json(&json)
                .unwrap()
                .reply
                .hl7
                .unwrap()
                .appointment_id
        };
        assert_eq!(
            id(format!(r#"{{"reply":{{"hl7":{r}}}}}"#)),
            AppointmentIdField::Filler
        );
        assert_eq!(
            id(format!(
                r#"{{"hl7":{{"appointmentId":"placer"}},"reply":{{"hl7":{r}}}}}"#
            )),
            AppointmentIdField::Placer
        );
        let explicit = r#"{"reply":{"hl7":{"version":"2.5.1","appointmentId":"both","placerContact":{"id":"S"},"enteredBy":{"id":"S"}}}}"#;
        assert_eq!(id(explicit.to_owned()), AppointmentIdField::Both);
    }

    #[test]
    fn reply_section_is_validated_with_pointers() {
        let p = Profile::from_json(
            r#"{"reply":{"hl7":{"version":"2.5.1","placerContact":{"id":"SMS"},"enteredBy":{"id":"SMS"}}}}"#,
        )
        .unwrap();
        assert_eq!(
            p.reply.hl7.as_ref().map(|h| h.version.as_str()),
            Some("2.5.1")
        );
        let e = Profile::from_json(r#"{"reply":{"maxBodyByte":1}}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::ProfileUnknownKey);
        assert_eq!(
            e.position.and_then(|p| p.pointer).as_deref(),
            Some("/reply")
        );
        let e = Profile::from_json(r#"{"reply":{"hl7":{"version":"9.9","placerContact":{"id":"S"},"enteredBy":{"id":"S"}}}}"#)
            .unwrap_err();
        assert_eq!(
            e.position.and_then(|p| p.pointer).as_deref(),
            Some("/reply/hl7/version")
        );
        assert_eq!(
            Profile::from_json(r#"{"reply":[]}"#)
                .unwrap_err()
                .position
                .and_then(|p| p.pointer)
                .as_deref(),
            Some("/reply")
        );
    }

    use super::*;

    fn err(json: &str) -> (String, String) {
        let e = Profile::from_json(json).unwrap_err();
        (
            e.code.as_str().to_owned(),
            e.position.and_then(|p| p.pointer).unwrap_or_default(),
        )
    }

    #[test]
    fn all_presets_load() {
        for (name, _, _) in PRESETS {
            let p = Profile::preset(name).unwrap();
            assert_eq!(p.preset.as_deref(), Some(*name));
        }
    }

    #[test]
    fn coded_errors_with_pointers() {
        assert_eq!(err("[]"), ("PROFILE_BAD_VALUE".into(), "".into()));
        assert_eq!(err("{"), ("JSON_INVALID".into(), "".into()));
        assert_eq!(
            err(r#"{"sender":{"timeZone":"Mars/Base"}}"#),
            ("PROFILE_BAD_TIMEZONE".into(), "/sender/timeZone".into())
        );
        assert_eq!(
            err(r#"{"sender":{"defaultCountry":"XX"}}"#),
            ("PROFILE_BAD_VALUE".into(), "/sender/defaultCountry".into())
        );
        assert_eq!(
            err(r#"{"hl7":{"fields":{"patient_phone":["PID-"]}}}"#),
            (
                "PROFILE_BAD_PATH".into(),
                "/hl7/fields/patient_phone/0".into()
            )
        );
        assert_eq!(
            err(r#"{"hl7":{"fields":{"patient_fone":"PID-13"}}}"#),
            (
                "PROFILE_UNKNOWN_KEY".into(),
                "/hl7/fields/patient_fone".into()
            )
        );
        assert_eq!(
            err(r#"{"hl7":{"events":{"S16":"DELETED"}}}"#),
            ("PROFILE_BAD_VALUE".into(), "/hl7/events/S16".into())
        );
        assert_eq!(
            err(r#"{"hl7":{"events":{"A01":"BOOKED"}}}"#),
            ("PROFILE_UNKNOWN_KEY".into(), "/hl7/events/A01".into())
        );
        assert_eq!(
            err(r#"{"sanitize":"lenient"}"#),
            ("PROFILE_BAD_VALUE".into(), "/sanitize".into())
        );
        assert_eq!(
            err(r#"{"phones":{"allowWork":"yes"}}"#),
            ("PROFILE_BAD_VALUE".into(), "/phones/allowWork".into())
        );
        assert_eq!(
            err(r#"{"preset":"epic"}"#),
            ("PROFILE_UNKNOWN_PRESET".into(), "/preset".into())
        );
        assert_eq!(
            err(r#"{"defaults":{"appointmentLocation":"Owl Clinic, Suite 5"}}"#),
            (
                "PROFILE_BAD_VALUE".into(),
                "/defaults/appointmentLocation".into()
            )
        );
        assert_eq!(
            err(r#"{"studio":{"flowSid":"FW123","from":"+15017122661"}}"#),
            ("PROFILE_BAD_VALUE".into(), "/studio/flowSid".into())
        );
        assert_eq!(
            err(r#"{"filters":{"smsConsent":{"values":["Y"]}}}"#).0,
            "PROFILE_BAD_VALUE"
        );
    }

    #[test]
    fn preset_merge() {
        let p = Profile::from_json(
            r#"{"preset":"athenahealth","hl7":{"fields":{"provider_callback_phone":[]}},"sender":{"timeZone":"America/New_York"}}"#,
        )
        .unwrap();
        assert_eq!(p.sender.time_zone.as_deref(), Some("America/New_York"));
        assert_eq!(p.sender.default_country.as_deref(), Some("US"));
        assert!(p.field_override(Field::AppointmentLocation).is_some());
        assert_eq!(
            p.field_override(Field::ProviderCallbackPhone)
                .unwrap()
                .paths()
                .len(),
            0
        );
    }

    #[test]
    fn json_sections_are_checked_with_pointers() {
        let p = Profile::from_json(
            r#"{"fhir":{"timeZone":"America/Chicago","firstName":"usual","events":{"Appointment.update":"skip"},
                "callbackFrom":["location"],"trustOffset":false},
               "redox":{"events":{"NoShow":"CANCELED"}},
               "json":{"fields":{"event_type":"/k","patient_phone":["/m","/h"]},"eventTime":"/t"},
               "filters":{"smsConsent":{"path":"/Patient/Consent"}}}"#,
        )
        .unwrap();
        assert_eq!(p.fhir.first_name, FirstNameUse::Usual);
        assert!(!p.fhir.trust_offset());
        assert_eq!(p.fhir.callback_from(), &[CallbackSource::Location]);
        assert!(p.json.configured());
        let j = serde_json::to_string(&p).unwrap();
        assert_eq!(Profile::from_json(&j).unwrap(), p);
        for (json, code, ptr) in [
            (
                r#"{"fhir":{"timeZone":"Mars/Base"}}"#,
                "PROFILE_BAD_TIMEZONE",
                "/fhir/timeZone",
            ),
            (
                r#"{"fhir":{"firstName":"nick"}}"#,
                "PROFILE_BAD_VALUE",
                "/fhir/firstName",
            ),
            (
                r#"{"fhir":{"events":{"S13":"MOVED"}}}"#,
                "PROFILE_BAD_VALUE",
                "/fhir/events/S13",
            ),
            (
                r#"{"fhir":{"callbackFrom":["fax"]}}"#,
                "PROFILE_BAD_VALUE",
                "/fhir/callbackFrom/0",
            ),
            (
                r#"{"fhir":{"timezone":"UTC"}}"#,
                "PROFILE_UNKNOWN_KEY",
                "/fhir/timezone",
            ),
            (
                r#"{"redox":{"events":{"Booked":"BOOKED"}}}"#,
                "PROFILE_UNKNOWN_KEY",
                "/redox/events/Booked",
            ),
            (
                r#"{"json":{"fields":{"event_type":"k"}}}"#,
                "PROFILE_BAD_PATH",
                "/json/fields/event_type/0",
            ),
            (
                r#"{"json":{"fields":{"event_type":"/k","patient_fone":"/p"}}}"#,
                "PROFILE_UNKNOWN_KEY",
                "/json/fields/patient_fone",
            ),
            (
                r#"{"json":{"fields":{"event_type":"/k","appointment_timezone":"/z"}}}"#,
                "PROFILE_BAD_VALUE",
                "/json/fields/appointment_timezone",
            ),
            (
                r#"{"json":{"fields":{"patient_id":"/p"}}}"#,
                "PROFILE_BAD_VALUE",
                "/json/fields",
            ),
            (
                r#"{"json":{"fields":{"event_type":"/k"},"eventTime":"/a~2"}}"#,
                "PROFILE_BAD_PATH",
                "/json/eventTime",
            ),
            (
                r#"{"filters":{"location":{"path":"/a~9"}}}"#,
                "PROFILE_BAD_PATH",
                "/filters/location/path",
            ),
        ] {
            assert_eq!(err(json), (code.into(), ptr.into()), "{json}");
        }
    }

    #[test]
    fn round_trips_through_json() {
        let p = Profile::preset("renalware").unwrap();
        let j = serde_json::to_string(&p).unwrap();
        assert_eq!(Profile::from_json(&j).unwrap(), p);
    }
}
