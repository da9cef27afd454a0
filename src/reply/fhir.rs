//! Replies as FHIR R4 write requests. The core only **describes** the HTTP request; the host sends
//! it (with its own token in place of the `<access_token>` placeholder).
//!
//! | reply | generic R4 | Oracle Health Millennium |
//! |---|---|---|
//! | CANCEL | `status = cancelled` + `cancelationReason` (`pat-crs`) | `replace /status` + `add /cancelationReason` (coding without display) |
//! | CONFIRM | patient participant `status = accepted` | `replace /patient-status accepted` |
//!
//! Generic styles: `json-patch` (`application/json-patch+json`, a `test` op guards the status /
//! the participant index), `fhirpath-patch` (`Parameters`, no index needed), `put` (the whole
//! Appointment as read, modified) and `appointment-response` (POST an `AppointmentResponse`,
//! `accepted` / `declined`, for servers that let the scheduler apply it).
//!
//! **Two phases.** When the request needs facts only a read can give — the version for `If-Match`
//! (always for Oracle, or with `ifMatch: "require"`), the participant index (JSON Patch CONFIRM), or
//! the whole resource (`put`) — the result is `{action: "read", needsRead: true, request: GET …}`.
//! The host performs the GET and calls again with the Appointment as `current` (either the resource
//! itself or `{"resource": {...}, "etag": "W/\"3\""}` when it has the `ETag` header). With `current`
//! known, no-ops are detected: CANCEL of a `cancelled` appointment and CONFIRM of an already
//! `accepted` patient give `{action: "none", reason}`.
//!
//! Result JSON: `{action: "write"|"read"|"none", needsRead, target, style,
//! request?: {method, url, headers, body?}, reason?, warnings}`. `request` has exactly the shape of
//! `tests/fixtures/fhir/synthetic/outbound/*.request.json`.

mod current;
mod write;

use super::config::{FhirReplyConfig, FhirStyle, FhirTarget, IfMatchPolicy, ReplyConfig};
use super::parse::{Reply, ReplyEvent};
use crate::error::{Error, ErrorCode, Position, Result, Warning};
use current::{check_identity, encode_id, find_patient, is_fhir_id, split_current};
use serde::Serialize;
use serde_json::{json, Map, Value};
use write::{no_op, Write};

/// An HTTP request for the host to send.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HttpRequest {
    /// `GET`, `PATCH`, `PUT` or `POST`.
    pub method: &'static str,
    /// Absolute URL.
    pub url: String,
    /// Header name → value.
    pub headers: Map<String, Value>,
    /// JSON body (absent for GET).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// What to do next (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FhirRequest {
    /// `"write"`, `"read"` (GET first, then call again with `current`) or `"none"`.
    pub action: &'static str,
    /// `action == "read"`.
    pub needs_read: bool,
    /// `"generic-r4"` or `"oracle-millennium"`.
    pub target: &'static str,
    /// `"json-patch"`, `"fhirpath-patch"`, `"put"` or `"appointment-response"`.
    pub style: &'static str,
    /// The request to send (absent for `none`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<HttpRequest>,
    /// Why nothing needs to be written: `ALREADY_CANCELLED`, `ALREADY_ACCEPTED`,
    /// `NOT_CANCELLABLE` (fulfilled, noshow, entered-in-error), `APPOINTMENT_NOT_ACTIVE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// Non-fatal findings.
    pub warnings: Vec<Warning>,
}

/// Describe the FHIR request for a reply (see the module docs).
///
/// ```
/// use ehr_studio_bridge::reply::{reply_to_fhir, parse_reply, ReplyConfig};
/// let cfg = ReplyConfig::from_json(r#"{"fhir": {"baseUrl": "https://ehr.example.org/fhir/r4"}}"#).unwrap();
/// let r = parse_reply(br#"{"flow_sid":"FW0123456789abcdef0123456789abcdef","event_type":"CONFIRM","appointment_id":"A1001","provider_id":"","patient_id":"P1"}"#, None).unwrap();
/// let first = reply_to_fhir(&r, &cfg, None).unwrap();
/// assert!(first.needs_read); // JSON Patch needs the participant index
/// let current = serde_json::json!({"resourceType": "Appointment", "id": "A1001", "meta": {"versionId": "3"},
///   "status": "booked", "participant": [{"actor": {"reference": "Patient/P1"}, "status": "needs-action"}]});
/// let w = reply_to_fhir(&r, &cfg, Some(&current)).unwrap();
/// assert_eq!(w.action, "write");
/// assert_eq!(w.request.unwrap().headers["If-Match"], "W/\"3\"");
/// ```
pub fn reply_to_fhir(
    reply: &Reply,
    cfg: &ReplyConfig,
    current: Option<&Value>,
) -> Result<FhirRequest> {
    let f = cfg.fhir.as_ref().ok_or_else(|| {
        Error::new(
            ErrorCode::ProfileBadValue,
            "the profile has no reply.fhir section",
        )
        .at_pointer("/fhir")
    })?;
    reply.check()?;
    let mut warnings = Vec::new();
    let (resource, etag) = split_current(current)?;
    if let Some(res) = resource {
        check_identity(res, &reply.appointment_id)?;
    }
    let id = resource
        .and_then(|r| r.get("id"))
        .and_then(Value::as_str)
        .unwrap_or(&reply.appointment_id)
        .to_owned();
    let version = etag.or_else(|| {
        resource
            .and_then(|r| r.pointer("/meta/versionId"))
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(|v| format!("W/\"{v}\""))
    });
    let shape = Shape::of(f);
    if !is_fhir_id(&id) {
        warnings.push(
            Warning::new(
                "REPLY_NOT_A_FHIR_ID",
                "the appointment id is not a FHIR resource id ([A-Za-z0-9.-]{1,64}); it is percent-encoded in the URL",
            )
            .at(Position::pointer("/appointmentId")),
        );
    }
    let patient_ref = f
        .patient_reference
        .replace("{patient_id}", &reply.patient_id);
    if shape.style == FhirStyle::AppointmentResponse {
        let req = appointment_response(f, reply, &id, &patient_ref);
        return Ok(shape.result("write", Some(req), None, warnings));
    }
    let appointment_url = format!("{}/Appointment/{}", f.base_url, encode_id(&id));
    if shape.needs_read(f, reply, version.is_some(), resource.is_some()) {
        let req = HttpRequest {
            method: "GET",
            url: appointment_url,
            headers: headers(f, None, None),
            body: None,
        };
        return Ok(shape.result("read", Some(req), None, warnings));
    }
    // State checks (only when the resource is known).
    let status = resource
        .and_then(|r| r.get("status"))
        .and_then(Value::as_str);
    let participant = match (resource, reply.event_type) {
        (Some(res), ReplyEvent::Confirm) => {
            Some(find_patient(res, &patient_ref, f, &mut warnings)?)
        }
        _ => None,
    };
    if let Some(reason) = no_op(&shape, reply, status, participant.as_ref(), &mut warnings) {
        return Ok(shape.result("none", None, Some(reason), warnings));
    }
    let write = Write {
        f,
        shape: &shape,
        event: reply.event_type,
        resource,
        status,
        participant,
        patient_ref: &patient_ref,
    };
    let (method, content_type, body) = write.body()?;
    let req = HttpRequest {
        method,
        url: appointment_url,
        headers: headers(f, Some(content_type), version.as_deref()),
        body: Some(body),
    };
    Ok(shape.result("write", Some(req), None, warnings))
}

/// The target and style of the writes: Oracle Millennium always takes JSON Patch.
struct Shape {
    oracle: bool,
    style: FhirStyle,
}

impl Shape {
    fn of(f: &FhirReplyConfig) -> Shape {
        let oracle = f.target == FhirTarget::OracleMillennium;
        Shape {
            oracle,
            style: if oracle {
                FhirStyle::JsonPatch
            } else {
                f.style
            },
        }
    }

    fn target_name(&self) -> &'static str {
        if self.oracle {
            "oracle-millennium"
        } else {
            "generic-r4"
        }
    }

    fn style_name(&self) -> &'static str {
        match self.style {
            FhirStyle::JsonPatch => "json-patch",
            FhirStyle::FhirpathPatch => "fhirpath-patch",
            FhirStyle::Put => "put",
            FhirStyle::AppointmentResponse => "appointment-response",
        }
    }

    /// Whether the Appointment must be read first: for the version (`If-Match`, always for
    /// Oracle), or for the resource (a PUT; the participant index of a JSON Patch CONFIRM).
    fn needs_read(
        &self,
        f: &FhirReplyConfig,
        reply: &Reply,
        have_version: bool,
        have_resource: bool,
    ) -> bool {
        let need_version = self.oracle || f.if_match == IfMatchPolicy::Require;
        let need_resource = self.style == FhirStyle::Put
            || (self.style == FhirStyle::JsonPatch
                && !self.oracle
                && reply.event_type == ReplyEvent::Confirm);
        (need_version && !have_version) || (need_resource && !have_resource)
    }

    fn result(
        &self,
        action: &'static str,
        request: Option<HttpRequest>,
        reason: Option<&'static str>,
        warnings: Vec<Warning>,
    ) -> FhirRequest {
        FhirRequest {
            action,
            needs_read: action == "read",
            target: self.target_name(),
            style: self.style_name(),
            request,
            reason,
            warnings,
        }
    }
}

/// The `appointment-response` style: POST an `AppointmentResponse` (`accepted` / `declined`).
fn appointment_response(
    f: &FhirReplyConfig,
    reply: &Reply,
    id: &str,
    patient_ref: &str,
) -> HttpRequest {
    let (status, comment) = match reply.event_type {
        ReplyEvent::Confirm => ("accepted", "Confirmed by SMS reply"),
        ReplyEvent::Cancel => ("declined", "Cancelled by SMS reply"),
    };
    let body = json!({
        "resourceType": "AppointmentResponse",
        "appointment": {"reference": format!("Appointment/{id}")},
        "actor": {"reference": patient_ref},
        "participantStatus": status,
        "comment": comment,
    });
    HttpRequest {
        method: "POST",
        url: format!("{}/AppointmentResponse", f.base_url),
        headers: headers(f, Some("application/fhir+json"), None),
        body: Some(body),
    }
}

fn headers(
    f: &FhirReplyConfig,
    content_type: Option<&str>,
    if_match: Option<&str>,
) -> Map<String, Value> {
    let mut h = Map::new();
    if !f.authorization.is_empty() {
        h.insert(
            "Authorization".into(),
            Value::String(f.authorization.clone()),
        );
    }
    h.insert("Accept".into(), json!("application/fhir+json"));
    if let Some(ct) = content_type {
        h.insert("Content-Type".into(), json!(ct));
    }
    if let Some(v) = if_match {
        h.insert("If-Match".into(), json!(v));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(extra: &str) -> ReplyConfig {
        ReplyConfig::from_json(&format!(
            r#"{{"fhir": {{"baseUrl": "https://ehr.example.org/fhir/r4"{extra}}}}}"#
        ))
        .unwrap()
    }

    fn reply(ev: ReplyEvent) -> Reply {
        Reply {
            event_type: ev,
            flow_sid: String::new(),
            appointment_id: "A1001".into(),
            patient_id: "P1".into(),
            provider_id: String::new(),
            possible_widgets: vec![],
            warnings: vec![],
        }
    }

    fn current(status: &str, pstatus: &str) -> Value {
        json!({"resourceType": "Appointment", "id": "A1001", "meta": {"versionId": "3"}, "status": status,
               "participant": [{"actor": {"reference": "Practitioner/X"}, "status": "accepted"},
                               {"actor": {"reference": "https://ehr/fhir/Patient/P1"}, "status": pstatus}]})
    }

    #[test]
    fn no_ops_and_reads() {
        let c = cfg("");
        let r = reply_to_fhir(
            &reply(ReplyEvent::Cancel),
            &c,
            Some(&current("cancelled", "accepted")),
        )
        .unwrap();
        assert_eq!((r.action, r.reason), ("none", Some("ALREADY_CANCELLED")));
        let r = reply_to_fhir(
            &reply(ReplyEvent::Confirm),
            &c,
            Some(&current("booked", "accepted")),
        )
        .unwrap();
        assert_eq!(r.reason, Some("ALREADY_ACCEPTED"));
        let r = reply_to_fhir(&reply(ReplyEvent::Cancel), &c, None).unwrap();
        assert_eq!(r.action, "write");
        assert!(r.request.unwrap().headers.get("If-Match").is_none());
        let r = reply_to_fhir(
            &reply(ReplyEvent::Cancel),
            &cfg(r#", "ifMatch": "require""#),
            None,
        )
        .unwrap();
        assert_eq!(r.request.unwrap().method, "GET");
        let r = reply_to_fhir(
            &reply(ReplyEvent::Confirm),
            &c,
            Some(&current("booked", "tentative")),
        )
        .unwrap();
        let body = r.request.unwrap().body.unwrap();
        assert_eq!(body[0]["path"], "/participant/1/actor/reference");
        assert_eq!(body[0]["value"], "https://ehr/fhir/Patient/P1");
    }

    #[test]
    fn put_and_wrapper_and_mismatch() {
        let c = cfg(r#", "style": "put""#);
        let wrapped = json!({"resource": current("booked", "needs-action"), "etag": "W/\"7\""});
        let r = reply_to_fhir(&reply(ReplyEvent::Confirm), &c, Some(&wrapped)).unwrap();
        let req = r.request.unwrap();
        assert_eq!(req.method, "PUT");
        assert_eq!(req.headers["If-Match"], "W/\"7\"");
        assert_eq!(req.body.unwrap()["participant"][1]["status"], "accepted");
        let mut other = current("booked", "tentative");
        other["id"] = json!("ZZZ");
        assert_eq!(
            reply_to_fhir(&reply(ReplyEvent::Cancel), &c, Some(&other))
                .unwrap_err()
                .code,
            ErrorCode::ReplyAppointmentMismatch
        );
        let mut nopat = current("booked", "tentative");
        nopat["participant"] = json!([]);
        assert_eq!(
            reply_to_fhir(&reply(ReplyEvent::Confirm), &c, Some(&nopat))
                .unwrap_err()
                .code,
            ErrorCode::FhirMissingElement
        );
    }

    #[test]
    fn ids_are_encoded_and_fhirpath_quoted() {
        let mut r = reply(ReplyEvent::Confirm);
        r.appointment_id = "a/b c".into();
        r.patient_id = "it's".into();
        let out = reply_to_fhir(&r, &cfg(r#", "style": "fhirpath-patch""#), None).unwrap();
        assert_eq!(out.warnings[0].code, "REPLY_NOT_A_FHIR_ID");
        let req = out.request.unwrap();
        assert_eq!(
            req.url,
            "https://ehr.example.org/fhir/r4/Appointment/a%2Fb%20c"
        );
        let path = req.body.unwrap()["parameter"][0]["part"][1]["valueString"].clone();
        assert_eq!(
            path,
            "Appointment.participant.where(actor.reference = 'Patient/it\\'s').status"
        );
    }
}
