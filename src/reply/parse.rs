//! Parsing the body the PAM flow's HTTP Request widgets POST to `IE_ENDPOINT` (EHR Integration
//! Guide, Table C).
//!
//! The real widget sends `Content-Type: application/json;charset=utf-8` and this body, with literal
//! newlines, where the values are inserted by Studio's Liquid without JSON escaping:
//!
//! ```text
//! {
//! "flow_sid": "FW…",
//! "event_type": "Confirm",
//! "appointment_id": "2000",
//! "provider_id": "afauci",
//! "patient_id": "1000"
//! }
//! ```
//!
//! * `event_type` is matched case-insensitively (`Confirm`/`Cancel` from the template,
//!   `CONFIRM`/`CANCEL` from Table C); surrounding ASCII spaces are ignored.
//! * All five keys are required and must be JSON strings; `appointment_id` and `patient_id` must be
//!   non-empty. An empty `provider_id` or a `flow_sid` that is not `FW` + 32 hex digits is accepted
//!   with a warning. Unknown keys are ignored with a warning; a repeated key is rejected (two JSON
//!   parsers could disagree on which copy wins).
//! * Values containing control characters or longer than [`MAX_FIELD_CHARS`] are rejected.
//!
//! ## The `confirm_booked` template bug
//! In the unpatched template the `confirm_booked` widget — reached when the patient answers
//! **CANCEL APPT** to the BOOKED message — sends `"event_type": "Confirm"`, byte-for-byte the same
//! body as `confirm_remind` (a real confirmation). The receiver cannot tell them apart. So a
//! `CONFIRM` reply reports `possibleWidgets: ["confirm_remind", "confirm_booked"]` and the warning
//! `REPLY_CONFIRM_AMBIGUOUS`, unless the profile says the flow was patched
//! (`reply.flowPatched`, after running [`patch_studio_flow`](super::patch_studio_flow)).
//!
//! Errors and warnings never contain the ids (they are PHI-adjacent); positions are JSON pointers
//! to the key.

mod entries;

use super::config::{ReplyConfig, DEFAULT_MAX_BODY_BYTES};
use crate::error::{Error, ErrorCode, Position, Result, Warning};
use entries::{json_error, pointer_for, Entries};
use serde::de::Deserializer;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Longest accepted value of any reply field, in characters.
pub const MAX_FIELD_CHARS: usize = 256;

/// The patient's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ReplyEvent {
    /// `CONFIRM` (the template sends `Confirm`).
    #[serde(rename = "CONFIRM")]
    Confirm,
    /// `CANCEL` (the template sends `Cancel`).
    #[serde(rename = "CANCEL")]
    Cancel,
}

impl ReplyEvent {
    /// Case-insensitive parse of `Confirm`/`Cancel` (surrounding ASCII whitespace ignored).
    pub fn parse(s: &str) -> Option<ReplyEvent> {
        let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
        if t.eq_ignore_ascii_case("confirm") {
            Some(ReplyEvent::Confirm)
        } else if t.eq_ignore_ascii_case("cancel") {
            Some(ReplyEvent::Cancel)
        } else {
            None
        }
    }

    /// `"CONFIRM"` or `"CANCEL"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyEvent::Confirm => "CONFIRM",
            ReplyEvent::Cancel => "CANCEL",
        }
    }
}

impl<'de> Deserialize<'de> for ReplyEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ReplyEvent::parse(&s)
            .ok_or_else(|| serde::de::Error::custom("eventType must be CONFIRM or CANCEL"))
    }
}

/// A parsed patient reply (Table C).
///
/// The ids are percent-decoded ([`crate::studio::sanitize::decode_id`]): the outbound mapping
/// encoded what the PAM flow cannot carry (`A/1` → `A%2F1`), so the reply gives back the EHR's ids.
///
/// JSON: `{eventType: "CONFIRM"|"CANCEL", flowSid, appointmentId, patientId, providerId,
/// possibleWidgets: string[], warnings: Warning[]}`. When passed back in (to `replyToHl7` /
/// `replyToFhir`) only the first five keys are read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reply {
    /// The answer.
    pub event_type: ReplyEvent,
    /// The Studio flow SID (`FW…`).
    #[serde(default)]
    pub flow_sid: String,
    /// The appointment id as the EHR sent it in the outbound event.
    pub appointment_id: String,
    /// The patient id as the EHR sent it.
    pub patient_id: String,
    /// The provider id as the EHR sent it (may be empty).
    #[serde(default)]
    pub provider_id: String,
    /// Widgets of the PAM template that send exactly this body (see the module docs).
    #[serde(default)]
    pub possible_widgets: Vec<String>,
    /// Non-fatal findings.
    #[serde(default, skip_deserializing)]
    pub warnings: Vec<Warning>,
}

impl Reply {
    /// Re-check a reply that came from the host (ids present, no control characters, lengths).
    pub fn check(&self) -> Result<()> {
        check_id(&self.appointment_id, "/appointmentId", true)?;
        check_id(&self.patient_id, "/patientId", true)?;
        check_id(&self.provider_id, "/providerId", false)?;
        check_id(&self.flow_sid, "/flowSid", false)?;
        Ok(())
    }
}

fn check_id(v: &str, pointer: &str, required: bool) -> Result<()> {
    if required && v.trim().is_empty() {
        return Err(
            Error::new(ErrorCode::ReplyMissingField, "a required id is empty").at_pointer(pointer),
        );
    }
    if v.chars().any(char::is_control) {
        return Err(Error::new(
            ErrorCode::ReplyBadField,
            "the value contains control characters",
        )
        .at_pointer(pointer));
    }
    if v.chars().count() > MAX_FIELD_CHARS {
        return Err(Error::new(
            ErrorCode::ReplyBadField,
            "the value is longer than 256 characters",
        )
        .at_pointer(pointer));
    }
    Ok(())
}

/// Check a `Content-Type` header: the media type must be `application/json` and a `charset`
/// parameter, if present, must be UTF-8 (case-insensitive, quotes allowed).
///
/// ```
/// use ehr_studio_bridge::reply::check_content_type;
/// assert!(check_content_type("application/json;charset=utf-8").is_ok());
/// assert!(check_content_type("Application/JSON; charset=\"UTF-8\"").is_ok());
/// assert!(check_content_type("application/x-www-form-urlencoded").is_err());
/// assert!(check_content_type("application/json; charset=latin1").is_err());
/// ```
pub fn check_content_type(content_type: &str) -> Result<()> {
    let bad = |m: &str| Error::new(ErrorCode::ReplyBadContentType, m.to_owned());
    let mut parts = content_type.split(';');
    let media = parts.next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(bad("the reply must be sent as application/json"));
    }
    for p in parts {
        let Some((k, v)) = p.split_once('=') else {
            continue;
        };
        if k.trim().eq_ignore_ascii_case("charset") {
            let v = v.trim().trim_matches('"');
            if !(v.eq_ignore_ascii_case("utf-8") || v.eq_ignore_ascii_case("utf8")) {
                return Err(bad("the reply charset must be UTF-8"));
            }
        }
    }
    Ok(())
}

/// Parse a reply body with the default limits. `content_type` is the request's `Content-Type`
/// header; pass `None` to skip that check.
///
/// ```
/// use ehr_studio_bridge::reply::{parse_reply, ReplyEvent};
/// let body = b"{\n\"flow_sid\": \"FW0123456789abcdef0123456789abcdef\",\n\"event_type\": \"Cancel\",\n\"appointment_id\": \"2000\",\n\"provider_id\": \"afauci\",\n\"patient_id\": \"1000\"\n}";
/// let r = parse_reply(body, Some("application/json;charset=utf-8")).unwrap();
/// assert_eq!(r.event_type, ReplyEvent::Cancel);
/// assert_eq!(r.appointment_id, "2000");
/// ```
pub fn parse_reply(body: &[u8], content_type: Option<&str>) -> Result<Reply> {
    parse_reply_with(body, content_type, &ReplyConfig::default())
}

/// [`parse_reply`] with the profile's limits and `flowPatched` flag.
pub fn parse_reply_with(
    body: &[u8],
    content_type: Option<&str>,
    cfg: &ReplyConfig,
) -> Result<Reply> {
    let text = body_text(body, content_type, cfg)?;
    let entries: Entries = serde_json::from_str(text).map_err(|e| json_error(&e))?;
    let mut warnings = Vec::new();
    let [flow_sid, event_type, appointment_id, provider_id, patient_id] =
        known_fields(entries, &mut warnings)?;
    let event_raw = required(event_type, "event_type")?;
    let appointment_id = required(appointment_id, "appointment_id")?;
    let patient_id = required(patient_id, "patient_id")?;
    let provider_id = required(provider_id, "provider_id")?;
    let flow_sid = required(flow_sid, "flow_sid")?;
    let event_type = ReplyEvent::parse(&event_raw).ok_or_else(|| {
        Error::new(
            ErrorCode::ReplyUnknownEvent,
            "event_type must be Confirm or Cancel (any case)",
        )
        .at_pointer("/event_type")
    })?;
    check_id(&appointment_id, "/appointment_id", true)?;
    check_id(&patient_id, "/patient_id", true)?;
    check_id(&provider_id, "/provider_id", false)?;
    check_id(&flow_sid, "/flow_sid", false)?;
    warn_soft(&provider_id, &flow_sid, &mut warnings);
    let possible_widgets = possible_widgets(event_type, cfg.flow_patched, &mut warnings);
    Ok(Reply {
        event_type,
        flow_sid,
        appointment_id: own_id(appointment_id),
        patient_id: own_id(patient_id),
        provider_id: own_id(provider_id),
        possible_widgets,
        warnings,
    })
}

/// The body as text: the content type (when given) and size checked, a UTF-8 BOM dropped, not
/// blank, valid UTF-8.
fn body_text<'b>(body: &'b [u8], content_type: Option<&str>, cfg: &ReplyConfig) -> Result<&'b str> {
    if let Some(ct) = content_type {
        check_content_type(ct)?;
    }
    let limit = if cfg.max_body_bytes == 0 {
        DEFAULT_MAX_BODY_BYTES
    } else {
        cfg.max_body_bytes
    };
    if body.len() > limit {
        return Err(Error::new(
            ErrorCode::ReplyTooLarge,
            "the reply body is larger than the configured limit",
        ));
    }
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::new(ErrorCode::EmptyInput, "the reply body is empty"));
    }
    std::str::from_utf8(body).map_err(|e| {
        Error::new(ErrorCode::JsonInvalid, "the reply body is not UTF-8")
            .at(Position::at_offset(e.valid_up_to()))
    })
}

/// The five keys' values in [`KEYS`] order: strings, each once; unknown keys are warned (at most
/// 16 warnings) and ignored.
fn known_fields(entries: Entries, warnings: &mut Vec<Warning>) -> Result<[Option<String>; 5]> {
    let mut fields: [Option<String>; 5] = Default::default();
    for (key, value) in entries.0 {
        let Some(i) = KEYS.iter().position(|k| *k == key) else {
            if warnings.len() < 16 {
                warnings.push(
                    Warning::new("REPLY_UNKNOWN_FIELD", "an unknown key was ignored")
                        .at(Position::pointer(pointer_for(&key))),
                );
            }
            continue;
        };
        let ptr = pointer_for(&key);
        let Value::String(s) = value else {
            return Err(
                Error::new(ErrorCode::JsonBadType, "reply values must be JSON strings")
                    .at_pointer(ptr),
            );
        };
        let slot = fields
            .get_mut(i)
            .ok_or_else(|| Error::new(ErrorCode::JsonInvalid, "internal"))?;
        if slot.is_some() {
            return Err(
                Error::new(ErrorCode::JsonInvalid, "a key appears more than once").at_pointer(ptr),
            );
        }
        *slot = Some(s);
    }
    Ok(fields)
}

/// A required key's value, or `REPLY_MISSING_FIELD` at its pointer.
fn required(v: Option<String>, key: &str) -> Result<String> {
    v.ok_or_else(|| {
        Error::new(ErrorCode::ReplyMissingField, "a required key is missing")
            .at_pointer(pointer_for(key))
    })
}

/// The soft problems: an empty `provider_id`, a malformed `flow_sid`.
fn warn_soft(provider_id: &str, flow_sid: &str, warnings: &mut Vec<Warning>) {
    if provider_id.trim().is_empty() {
        warnings.push(
            Warning::new("REPLY_NO_PROVIDER", "provider_id is empty")
                .at(Position::pointer("/provider_id")),
        );
    }
    if !is_flow_sid(flow_sid) {
        warnings.push(
            Warning::new(
                "REPLY_FLOW_SID_MALFORMED",
                "flow_sid is not FW followed by 32 hexadecimal digits",
            )
            .at(Position::pointer("/flow_sid")),
        );
    }
}

/// The widgets that send this body (see the module docs on `confirm_booked`); an unpatched
/// flow's `Confirm` is warned as ambiguous.
fn possible_widgets(
    event_type: ReplyEvent,
    flow_patched: bool,
    warnings: &mut Vec<Warning>,
) -> Vec<String> {
    match (event_type, flow_patched) {
        (ReplyEvent::Confirm, false) => {
            warnings.push(Warning::new(
                "REPLY_CONFIRM_AMBIGUOUS",
                "in the unpatched PAM template confirm_booked sends this same Confirm body when the patient answered CANCEL APPT to the booking message; patch the flow (patchStudioFlow) and set reply.flowPatched",
            ).at(Position::pointer("/event_type")));
            vec!["confirm_remind".into(), "confirm_booked".into()]
        }
        (ReplyEvent::Confirm, true) => vec!["confirm_remind".into()],
        (ReplyEvent::Cancel, false) => vec!["cancel_remind".into()],
        (ReplyEvent::Cancel, true) => vec!["cancel_remind".into(), "confirm_booked".into()],
    }
}

/// The EHR's own id back: the outbound mapping percent-encoded what the PAM flow cannot carry
/// (`A/1` → `A%2F1`). A decoded id with control characters was not produced by us: such an id is
/// kept as written.
fn own_id(s: String) -> String {
    match crate::studio::sanitize::decode_id(&s) {
        std::borrow::Cow::Owned(d) if !d.chars().any(char::is_control) => d,
        _ => s,
    }
}

/// The five keys of the widget's body.
const KEYS: [&str; 5] = [
    "flow_sid",
    "event_type",
    "appointment_id",
    "provider_id",
    "patient_id",
];

fn is_flow_sid(s: &str) -> bool {
    s.len() == 34 && s.starts_with("FW") && s.bytes().skip(2).all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &str = "{\n\"flow_sid\": \"FW0123456789abcdef0123456789abcdef\",\n\"event_type\": \"Confirm\",\n\"appointment_id\": \"2000\",\n\"provider_id\": \"afauci\",\n\"patient_id\": \"1000\"\n}";

    #[test]
    fn real_body_and_cases() {
        let r = parse_reply(REAL.as_bytes(), Some("application/json;charset=utf-8")).unwrap();
        assert_eq!(r.event_type, ReplyEvent::Confirm);
        assert_eq!(r.patient_id, "1000");
        assert_eq!(r.possible_widgets, ["confirm_remind", "confirm_booked"]);
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.warnings[0].code, "REPLY_CONFIRM_AMBIGUOUS");
        for (raw, ev) in [
            ("CONFIRM", ReplyEvent::Confirm),
            ("cancel", ReplyEvent::Cancel),
            (" Cancel ", ReplyEvent::Cancel),
            ("CaNcEl", ReplyEvent::Cancel),
        ] {
            let b = REAL.replace("\"Confirm\"", &format!("\"{raw}\""));
            assert_eq!(parse_reply(b.as_bytes(), None).unwrap().event_type, ev);
        }
        let cfg = ReplyConfig {
            flow_patched: true,
            ..Default::default()
        };
        let r = parse_reply_with(REAL.as_bytes(), None, &cfg).unwrap();
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn rejections_are_coded_and_phi_free() {
        let cases: Vec<(String, ErrorCode)> = vec![
            (
                REAL.replace("\"Confirm\"", "\"Reschedule\""),
                ErrorCode::ReplyUnknownEvent,
            ),
            (
                REAL.replace("\"appointment_id\": \"2000\",\n", ""),
                ErrorCode::ReplyMissingField,
            ),
            (
                REAL.replace("\"2000\"", "\"\""),
                ErrorCode::ReplyMissingField,
            ),
            (REAL.replace("\"2000\"", "2000"), ErrorCode::JsonBadType),
            (
                REAL.replace("\"2000\"", "\"20\\n00\""),
                ErrorCode::ReplyBadField,
            ),
            (
                REAL.replace("\"2000\"", "\"20\"00\""),
                ErrorCode::JsonInvalid,
            ),
            (
                format!(
                    "{}\"patient_id\": \"9\"}}",
                    REAL.trim_end_matches('}').to_owned() + ","
                ),
                ErrorCode::JsonInvalid,
            ),
            ("[1,2]".into(), ErrorCode::JsonBadType),
            ("   ".into(), ErrorCode::EmptyInput),
            ("not json".into(), ErrorCode::JsonInvalid),
            (
                format!("{{\"x\": {}{}}}", "[".repeat(200), "]".repeat(200)),
                ErrorCode::JsonTooDeep,
            ),
        ];
        for (body, code) in cases {
            let e = parse_reply(body.as_bytes(), None).unwrap_err();
            assert_eq!(e.code, code, "{body}");
            let shown = format!("{e} {:?}", e.position);
            assert!(
                !shown.contains("2000") && !shown.contains("1000"),
                "{shown}"
            );
        }
        let big = vec![b' '; DEFAULT_MAX_BODY_BYTES + 1];
        assert_eq!(
            parse_reply(&big, None).unwrap_err().code,
            ErrorCode::ReplyTooLarge
        );
        assert_eq!(
            parse_reply(REAL.as_bytes(), Some("text/plain"))
                .unwrap_err()
                .code,
            ErrorCode::ReplyBadContentType
        );
        assert_eq!(
            parse_reply(b"\xff{}", None).unwrap_err().code,
            ErrorCode::JsonInvalid
        );
    }

    #[test]
    fn warnings_for_soft_problems() {
        let b = REAL
            .replace("\"afauci\"", "\"\"")
            .replace("FW0123456789abcdef0123456789abcdef", "")
            .replace("{\n", "{\n\"extra\": {\"a\": 1},\n");
        let r = parse_reply(b.as_bytes(), None).unwrap();
        let codes: Vec<_> = r.warnings.iter().map(|w| w.code).collect();
        assert_eq!(
            codes,
            [
                "REPLY_UNKNOWN_FIELD",
                "REPLY_NO_PROVIDER",
                "REPLY_FLOW_SID_MALFORMED",
                "REPLY_CONFIRM_AMBIGUOUS"
            ]
        );
    }

    #[test]
    fn reply_round_trips_through_json() {
        let r = parse_reply(REAL.as_bytes(), None).unwrap();
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["eventType"], "CONFIRM");
        assert_eq!(j["appointmentId"], "2000");
        let back: Reply = serde_json::from_value(j).unwrap();
        assert_eq!(back.appointment_id, r.appointment_id);
        assert!(back.check().is_ok());
        let lower: Reply =
            serde_json::from_str(r#"{"eventType":"cancel","appointmentId":"A","patientId":"P"}"#)
                .unwrap();
        assert_eq!(lower.event_type, ReplyEvent::Cancel);
    }
}
