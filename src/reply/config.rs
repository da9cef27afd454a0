//! Configuration of the reply path (`Profile.reply`): body limits, the HL7 v2 SRM settings and the
//! FHIR write-back settings.
//!
//! JSON shape (camelCase, unknown keys rejected with `PROFILE_UNKNOWN_KEY`):
//!
//! ```json
//! {
//!   "maxBodyBytes": 16384,
//!   "flowPatched": false,
//!   "hl7": {
//!     "version": "2.5.1",
//!     "sendingApplication": "TWILIO_PAM", "sendingFacility": "", "receivingApplication": "EHR",
//!     "receivingFacility": "", "processingId": "P", "acceptAckType": null, "applicationAckType": null,
//!     "appointmentId": "placer", "placerAuthority": null, "fillerAuthority": null,
//!     "patientIdAuthority": null, "patientIdType": "MR",
//!     "placerContact": {"id": "PAM", "familyName": "REMINDER", "givenName": "SMS"},
//!     "enteredBy": {"id": "PAM", "familyName": "REMINDER", "givenName": "SMS"},
//!     "cancelReason": {"code": "PATCAN", "text": "Patient cancelled via SMS reply", "system": "99LOC"},
//!     "confirmReason": {"code": "PATCONF", "text": "Patient confirmed via SMS reply", "system": "99LOC"},
//!     "confirmNote": "Patient confirmed by SMS reply", "cancelNote": "Patient cancelled by SMS reply",
//!     "providerResource": true
//!   },
//!   "fhir": {
//!     "target": "generic-r4", "style": "json-patch", "baseUrl": "https://ehr.example.org/fhir/r4",
//!     "authorization": "Bearer <access_token>", "ifMatch": "ifKnown",
//!     "patientReference": "Patient/{patient_id}", "matchSinglePatient": true,
//!     "cancelReason": {"system": "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason",
//!                      "code": "pat-crs", "display": "Patient: Canceled via automated reminder system"},
//!     "testStatus": true
//!   }
//! }
//! ```
//!
//! Error positions are JSON pointers relative to this section (`/hl7/version`); the profile loader
//! prefixes `/reply`.

use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};

/// Largest accepted value of [`ReplyConfig::max_body_bytes`].
pub const MAX_BODY_LIMIT: usize = 1 << 20;
/// Default reply body limit. The real widget body is about 250 bytes.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024;

/// The `reply` section of the profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyConfig {
    /// Reject reply bodies larger than this (1..=1 MiB, default 16 KiB) with `REPLY_TOO_LARGE`.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Set once the Studio flow was patched with `patchStudioFlow`: a `Confirm` body is then
    /// unambiguous and no `REPLY_CONFIRM_AMBIGUOUS` warning is raised.
    #[serde(default)]
    pub flow_patched: bool,
    /// HL7 v2 SRM settings (needed by `replyToHl7`).
    #[serde(default)]
    pub hl7: Option<Hl7ReplyConfig>,
    /// FHIR write-back settings (needed by `replyToFhir`).
    #[serde(default)]
    pub fhir: Option<FhirReplyConfig>,
}

impl Default for ReplyConfig {
    fn default() -> Self {
        ReplyConfig {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            flow_patched: false,
            hl7: None,
            fhir: None,
        }
    }
}

fn default_max_body() -> usize {
    DEFAULT_MAX_BODY_BYTES
}

/// A person for ARQ-15 (placer contact) / ARQ-19 (entered by), written as XCN `id^family^given`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Person {
    /// XCN-1 ID number.
    #[serde(default)]
    pub id: String,
    /// XCN-2 family name.
    #[serde(default)]
    pub family_name: String,
    /// XCN-3 given name.
    #[serde(default)]
    pub given_name: String,
}

/// A coded value (CE/CWE `code^text^system`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Coded {
    /// Identifier (component 1).
    pub code: String,
    /// Text (component 2).
    #[serde(default)]
    pub text: String,
    /// Name of the coding system (component 3), e.g. `99LOC` for a local table.
    #[serde(default)]
    pub system: String,
}

/// Which ARQ id field(s) carry the reply's `appointment_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum AppointmentIdField {
    /// ARQ-1 placer appointment id (PAM's Table E maps `appointment_id` from SCH-1, the placer id).
    #[default]
    Placer,
    /// ARQ-2 filler appointment id; ARQ-1 (required) then repeats the same id.
    Filler,
    /// Both ARQ-1 and ARQ-2.
    Both,
}

/// HL7 v2 SRM^S03 / SRM^S04 settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Hl7ReplyConfig {
    /// MSH-12: one of 2.3, 2.3.1, 2.4, 2.5, 2.5.1, 2.6, 2.7, 2.7.1, 2.8 (default 2.5.1).
    #[serde(default = "default_version")]
    pub version: String,
    /// MSH-3 (HD namespace id).
    #[serde(default = "default_sending_app")]
    pub sending_application: String,
    /// MSH-4.
    #[serde(default)]
    pub sending_facility: String,
    /// MSH-5.
    #[serde(default)]
    pub receiving_application: String,
    /// MSH-6.
    #[serde(default)]
    pub receiving_facility: String,
    /// MSH-11: `P`, `T` or `D` (default `P`).
    #[serde(default = "default_processing_id")]
    pub processing_id: String,
    /// MSH-15 accept acknowledgement type (`AL`, `NE`, `ER`, `SU`), omitted when null.
    #[serde(default)]
    pub accept_ack_type: Option<String>,
    /// MSH-16 application acknowledgement type, omitted when null.
    #[serde(default)]
    pub application_ack_type: Option<String>,
    /// Where `appointment_id` goes (default `placer`).
    #[serde(default)]
    pub appointment_id: AppointmentIdField,
    /// EI-2 namespace of the placer id (ARQ-1.2).
    #[serde(default)]
    pub placer_authority: Option<String>,
    /// EI-2 namespace of the filler id (ARQ-2.2).
    #[serde(default)]
    pub filler_authority: Option<String>,
    /// PID-3.4 assigning authority.
    #[serde(default)]
    pub patient_id_authority: Option<String>,
    /// PID-3.5 identifier type code (default `MR`; empty string omits it).
    #[serde(default = "default_patient_id_type")]
    pub patient_id_type: String,
    /// ARQ-15 placer contact person (required by the standard).
    pub placer_contact: Person,
    /// ARQ-19 entered-by person (required by the standard).
    pub entered_by: Person,
    /// ARQ-6 request event reason of SRM^S04.
    #[serde(default = "default_cancel_reason")]
    pub cancel_reason: Coded,
    /// ARQ-6 request event reason of SRM^S03 (null omits ARQ-6).
    #[serde(default = "default_confirm_reason")]
    pub confirm_reason: Option<Coded>,
    /// NTE-3 after ARQ in SRM^S03 (null omits the NTE).
    #[serde(default = "default_confirm_note")]
    pub confirm_note: Option<String>,
    /// NTE-3 after ARQ in SRM^S04 (null omits the NTE).
    #[serde(default = "default_cancel_note")]
    pub cancel_note: Option<String>,
    /// Add `AIP|1||<provider_id>` after the required `RGS|1` when the reply has a provider id.
    #[serde(default = "default_true")]
    pub provider_resource: bool,
}

fn default_version() -> String {
    "2.5.1".into()
}
fn default_sending_app() -> String {
    "TWILIO_PAM".into()
}
fn default_processing_id() -> String {
    "P".into()
}
fn default_patient_id_type() -> String {
    "MR".into()
}
fn default_cancel_reason() -> Coded {
    Coded {
        code: "PATCAN".into(),
        text: "Patient cancelled via SMS reply".into(),
        system: "99LOC".into(),
    }
}
fn default_confirm_reason() -> Option<Coded> {
    Some(Coded {
        code: "PATCONF".into(),
        text: "Patient confirmed via SMS reply".into(),
        system: "99LOC".into(),
    })
}
fn default_confirm_note() -> Option<String> {
    Some("Patient confirmed by SMS reply".into())
}
fn default_cancel_note() -> Option<String> {
    Some("Patient cancelled by SMS reply".into())
}
fn default_true() -> bool {
    true
}

/// Which FHIR server dialect to write to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum FhirTarget {
    /// Any R4 server (HAPI, Medplum, Azure, Google): the profile's `style`.
    #[default]
    GenericR4,
    /// Oracle Health Millennium R4: JSON Patch on documented paths only (`/patient-status` for
    /// CONFIRM), `If-Match` always required.
    OracleMillennium,
}

/// How the generic R4 write is expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum FhirStyle {
    /// `PATCH` with RFC 6902 JSON Patch, guarded by `test` operations.
    #[default]
    JsonPatch,
    /// `PATCH` with a FHIRPath Patch `Parameters` body (no array index needed).
    FhirpathPatch,
    /// `PUT` of the whole Appointment as read (needs the current resource).
    Put,
    /// `POST` an `AppointmentResponse` (`accepted` / `declined`) and let the scheduler apply it.
    AppointmentResponse,
}

/// When to send `If-Match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum IfMatchPolicy {
    /// Send it when the current version is known; write without it otherwise.
    #[default]
    IfKnown,
    /// Always send it: ask the host to read the Appointment first when the version is unknown.
    Require,
}

/// A FHIR Coding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Coding {
    /// Code system URI.
    pub system: String,
    /// Code.
    pub code: String,
    /// Display text (omitted when null).
    #[serde(default)]
    pub display: Option<String>,
}

/// FHIR R4 write-back settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FhirReplyConfig {
    /// Server dialect.
    #[serde(default)]
    pub target: FhirTarget,
    /// Request style for `generic-r4` (ignored for Oracle, which is always JSON Patch).
    #[serde(default)]
    pub style: FhirStyle,
    /// FHIR base URL without a trailing slash, e.g. `https://ehr.example.org/fhir/r4`. Placeholders
    /// such as `{tenant}` are kept verbatim for the host to fill in.
    pub base_url: String,
    /// `Authorization` header value; the default is the placeholder `Bearer <access_token>` that
    /// the host replaces with its token. An empty string omits the header.
    #[serde(default = "default_authorization")]
    pub authorization: String,
    /// When to send `If-Match` (Oracle always requires it).
    #[serde(default)]
    pub if_match: IfMatchPolicy,
    /// Reference of the patient participant; `{patient_id}` is replaced by the reply's id.
    #[serde(default = "default_patient_reference")]
    pub patient_reference: String,
    /// When no participant has that reference but exactly one participant is a `Patient/…`, use it
    /// (with warning `REPLY_PATIENT_MATCHED_BY_TYPE`).
    #[serde(default = "default_true")]
    pub match_single_patient: bool,
    /// The cancelation reason added on CANCEL (default `pat-crs`).
    #[serde(default = "default_fhir_cancel_reason")]
    pub cancel_reason: Coding,
    /// Guard a JSON Patch CANCEL with `test /status` (the status as read, else `booked`).
    #[serde(default = "default_true")]
    pub test_status: bool,
}

fn default_authorization() -> String {
    "Bearer <access_token>".into()
}
fn default_patient_reference() -> String {
    "Patient/{patient_id}".into()
}
/// The `appointment-cancellation-reason#pat-crs` coding.
pub fn pat_crs() -> Coding {
    Coding {
        system: "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason".into(),
        code: "pat-crs".into(),
        display: Some("Patient: Canceled via automated reminder system".into()),
    }
}
fn default_fhir_cancel_reason() -> Coding {
    pat_crs()
}

/// HL7 versions the SRM writer supports.
pub const HL7_VERSIONS: &[&str] = &[
    "2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.7.1", "2.8",
];

fn bad(pointer: &str, msg: &str) -> Error {
    Error::new(ErrorCode::ProfileBadValue, msg).at_pointer(pointer)
}

fn is_plain(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

impl ReplyConfig {
    /// Parse and validate the section from JSON text.
    ///
    /// ```
    /// use ehr_studio_bridge::reply::ReplyConfig;
    /// let c = ReplyConfig::from_json(r#"{"maxBodyBytes": 4096}"#).unwrap();
    /// assert_eq!(c.max_body_bytes, 4096);
    /// let e = ReplyConfig::from_json(r#"{"maxBodyByte": 4096}"#).unwrap_err();
    /// assert_eq!(e.code.as_str(), "PROFILE_UNKNOWN_KEY");
    /// ```
    pub fn from_json(text: &str) -> Result<ReplyConfig> {
        let cfg: ReplyConfig = serde_json::from_str(text).map_err(|e| config_error(&e))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Check values serde cannot (ranges, enumerations, URL shapes).
    pub fn validate(&self) -> Result<()> {
        if self.max_body_bytes == 0 || self.max_body_bytes > MAX_BODY_LIMIT {
            return Err(bad(
                "/maxBodyBytes",
                "maxBodyBytes must be between 1 and 1048576",
            ));
        }
        if let Some(h) = &self.hl7 {
            h.validate()?;
        }
        if let Some(f) = &self.fhir {
            f.validate()?;
        }
        Ok(())
    }
}

impl Hl7ReplyConfig {
    fn validate(&self) -> Result<()> {
        if !HL7_VERSIONS.contains(&self.version.as_str()) {
            return Err(bad(
                "/hl7/version",
                "version must be one of 2.3, 2.3.1, 2.4, 2.5, 2.5.1, 2.6, 2.7, 2.7.1, 2.8",
            ));
        }
        if !matches!(self.processing_id.as_str(), "P" | "T" | "D") {
            return Err(bad("/hl7/processingId", "processingId must be P, T or D"));
        }
        for (p, v) in [
            ("/hl7/acceptAckType", &self.accept_ack_type),
            ("/hl7/applicationAckType", &self.application_ack_type),
        ] {
            if let Some(v) = v {
                if !matches!(v.as_str(), "AL" | "NE" | "ER" | "SU") {
                    return Err(bad(p, "acknowledgement type must be AL, NE, ER or SU"));
                }
            }
        }
        for (p, person) in [
            ("/hl7/placerContact", &self.placer_contact),
            ("/hl7/enteredBy", &self.entered_by),
        ] {
            if person.id.trim().is_empty() && person.family_name.trim().is_empty() {
                return Err(bad(p, "the person needs an id or a family name"));
            }
        }
        if self.cancel_reason.code.trim().is_empty() {
            return Err(bad(
                "/hl7/cancelReason/code",
                "the cancel reason needs a code",
            ));
        }
        let texts = [
            &self.sending_application,
            &self.sending_facility,
            &self.receiving_application,
            &self.receiving_facility,
            &self.patient_id_type,
        ];
        if !texts.iter().all(|t| is_plain(t)) {
            return Err(bad(
                "/hl7",
                "MSH and identifier settings must not contain control characters",
            ));
        }
        Ok(())
    }
}

impl FhirReplyConfig {
    fn validate(&self) -> Result<()> {
        let u = self.base_url.as_str();
        let scheme_ok = u.len() > 8
            && (u
                .get(..8)
                .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
                || u.get(..7)
                    .is_some_and(|s| s.eq_ignore_ascii_case("http://")));
        if !scheme_ok || u.bytes().any(|b| b <= b' ' || b == b'?' || b == b'#') || u.ends_with('/')
        {
            return Err(bad(
                "/fhir/baseUrl",
                "baseUrl must be an absolute http(s) URL without query, fragment, spaces or trailing slash",
            ));
        }
        if !self.patient_reference.contains("{patient_id}") {
            return Err(bad(
                "/fhir/patientReference",
                "patientReference must contain {patient_id}",
            ));
        }
        if !is_plain(&self.authorization) {
            return Err(bad(
                "/fhir/authorization",
                "authorization must not contain control characters",
            ));
        }
        if self.cancel_reason.code.trim().is_empty() || self.cancel_reason.system.trim().is_empty()
        {
            return Err(bad(
                "/fhir/cancelReason",
                "the cancel reason needs a system and a code",
            ));
        }
        Ok(())
    }
}

/// Map a serde error to a coded error without echoing values (config keys are echoed: they are
/// operator-authored names, not data).
pub(crate) fn config_error(e: &serde_json::Error) -> Error {
    let msg = e.to_string();
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or("");
        return Error::new(
            ErrorCode::ProfileUnknownKey,
            format!("unknown key `{key}` in the reply configuration"),
        );
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let key = rest.split('`').next().unwrap_or("");
        return Error::new(
            ErrorCode::ProfileBadValue,
            format!("required key `{key}` is missing from the reply configuration"),
        );
    }
    if e.is_syntax() || e.is_eof() {
        return Error::new(
            ErrorCode::JsonInvalid,
            format!(
                "the reply configuration is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ),
        );
    }
    Error::new(
        ErrorCode::ProfileBadValue,
        format!(
            "a reply configuration value has the wrong type or an unknown option (line {}, column {})",
            e.line(),
            e.column()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_validation() {
        let c = ReplyConfig::from_json("{}").unwrap();
        assert_eq!(c, ReplyConfig::default());
        let e = ReplyConfig::from_json(r#"{"maxBodyBytes": 0}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::ProfileBadValue);
        let e = ReplyConfig::from_json(r#"{"hl7": {"version": "2.5.1"}}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::ProfileBadValue);
        assert!(e.message.contains("placerContact"), "{e}");
        let ok = r#"{"hl7": {"placerContact": {"id": "A"}, "enteredBy": {"familyName": "B"}}}"#;
        let c = ReplyConfig::from_json(ok).unwrap();
        assert_eq!(c.hl7.unwrap().version, "2.5.1");
        let e = ReplyConfig::from_json(
            r#"{"hl7": {"version": "2.9", "placerContact": {"id": "A"}, "enteredBy": {"id": "B"}}}"#,
        )
        .unwrap_err();
        assert_eq!(e.position.unwrap().pointer.as_deref(), Some("/hl7/version"));
        let e = ReplyConfig::from_json(r#"{"fhir": {"baseUrl": "ftp://x/"}}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::ProfileBadValue);
        let e = ReplyConfig::from_json(r#"{"fhir": {"baseUrl": "https://x", "style": "xml"}}"#)
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::ProfileBadValue);
        let e = ReplyConfig::from_json(r#"{"fhir": {"baseUrl": "https://x", "tsyle": 1}}"#)
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::ProfileUnknownKey);
        let c = ReplyConfig::from_json(
            r#"{"fhir": {"baseUrl": "https://f/r4/{tenant}", "target": "oracle-millennium"}}"#,
        )
        .unwrap();
        assert_eq!(c.fhir.unwrap().target, FhirTarget::OracleMillennium);
    }

    #[test]
    fn round_trips_as_json() {
        let ok = r#"{"hl7": {"placerContact": {"id": "A"}, "enteredBy": {"id": "B"}}, "fhir": {"baseUrl": "https://x/r4"}}"#;
        let c = ReplyConfig::from_json(ok).unwrap();
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(ReplyConfig::from_json(&text).unwrap(), c);
    }
}
