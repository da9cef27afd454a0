//! The write itself: whether one is needed at all ([`no_op`]) and its method, content type and
//! body per target (generic R4, Oracle Millennium), style and reply ([`Write::body`]).

use super::current::PatientParticipant;
use super::Shape;
use crate::error::{Error, ErrorCode, Result, Warning};
use crate::reply::config::{FhirReplyConfig, FhirStyle};
use crate::reply::parse::{Reply, ReplyEvent};
use serde_json::{json, Map, Value};

/// Why nothing needs to be written, from the Appointment's state: a cancelled or finished
/// appointment, an already accepted patient. Oracle's CONFIRM of a non-tentative patient is a
/// warning.
pub(super) fn no_op(
    shape: &Shape,
    reply: &Reply,
    status: Option<&str>,
    participant: Option<&PatientParticipant>,
    warnings: &mut Vec<Warning>,
) -> Option<&'static str> {
    match reply.event_type {
        ReplyEvent::Cancel => match status {
            Some("cancelled") => Some("ALREADY_CANCELLED"),
            Some("fulfilled" | "noshow" | "entered-in-error") => Some("NOT_CANCELLABLE"),
            _ => None,
        },
        ReplyEvent::Confirm => {
            if matches!(
                status,
                Some("cancelled" | "fulfilled" | "noshow" | "entered-in-error")
            ) {
                return Some("APPOINTMENT_NOT_ACTIVE");
            }
            if let Some((_, _, pstatus)) = participant {
                if pstatus.as_deref() == Some("accepted") {
                    return Some("ALREADY_ACCEPTED");
                }
                if shape.oracle && pstatus.as_deref() != Some("tentative") {
                    warnings.push(Warning::new(
                        "REPLY_ORACLE_NOT_TENTATIVE",
                        "Millennium documents /patient-status only for a tentative patient participant; the server may refuse",
                    ));
                }
            }
            None
        }
    }
}

/// What a write needs to know.
pub(super) struct Write<'a> {
    pub(super) f: &'a FhirReplyConfig,
    pub(super) shape: &'a Shape,
    pub(super) event: ReplyEvent,
    pub(super) resource: Option<&'a Value>,
    pub(super) status: Option<&'a str>,
    pub(super) participant: Option<PatientParticipant>,
    pub(super) patient_ref: &'a str,
}

impl Write<'_> {
    /// The write's method, content type and body, per target, style and reply.
    pub(super) fn body(self) -> Result<(&'static str, &'static str, Value)> {
        const JSON_PATCH: &str = "application/json-patch+json";
        const FHIR_JSON: &str = "application/fhir+json";
        Ok(match (self.shape.oracle, self.shape.style, self.event) {
            (true, _, ReplyEvent::Cancel) => (
                "PATCH",
                JSON_PATCH,
                json!([
                    {"op": "replace", "path": "/status", "value": "cancelled"},
                    {"op": "add", "path": "/cancelationReason", "value": self.reason_coding(false)},
                ]),
            ),
            (true, _, ReplyEvent::Confirm) => (
                "PATCH",
                JSON_PATCH,
                json!([{"op": "replace", "path": "/patient-status", "value": "accepted"}]),
            ),
            (false, FhirStyle::JsonPatch, ReplyEvent::Cancel) => {
                let mut ops = Vec::new();
                if self.f.test_status {
                    ops.push(
                        json!({"op": "test", "path": "/status", "value": self.status.unwrap_or("booked")}),
                    );
                }
                ops.push(json!({"op": "replace", "path": "/status", "value": "cancelled"}));
                ops.push(
                    json!({"op": "add", "path": "/cancelationReason", "value": self.reason_coding(true)}),
                );
                ("PATCH", JSON_PATCH, Value::Array(ops))
            }
            (false, FhirStyle::JsonPatch, ReplyEvent::Confirm) => {
                let (idx, reference, _) = self.participant.ok_or_else(|| {
                    Error::new(
                        ErrorCode::FhirMissingElement,
                        "the Appointment is needed to find the participant",
                    )
                })?;
                (
                    "PATCH",
                    JSON_PATCH,
                    json!([
                        {"op": "test", "path": format!("/participant/{idx}/actor/reference"), "value": reference},
                        {"op": "replace", "path": format!("/participant/{idx}/status"), "value": "accepted"},
                    ]),
                )
            }
            (false, FhirStyle::FhirpathPatch, ReplyEvent::Cancel) => (
                "PATCH",
                FHIR_JSON,
                json!({"resourceType": "Parameters", "parameter": [
                    operation("replace", "Appointment.status", None, ("valueCode", json!("cancelled"))),
                    operation("add", "Appointment", Some("cancelationReason"),
                        ("valueCodeableConcept", self.reason_coding(true))),
                ]}),
            ),
            (false, FhirStyle::FhirpathPatch, ReplyEvent::Confirm) => {
                let reference = self
                    .participant
                    .as_ref()
                    .map(|(_, r, _)| r.clone())
                    .unwrap_or_else(|| self.patient_ref.to_owned());
                let path = format!(
                    "Appointment.participant.where(actor.reference = '{}').status",
                    fhirpath_string(&reference)
                );
                (
                    "PATCH",
                    FHIR_JSON,
                    json!({"resourceType": "Parameters", "parameter": [
                        operation("replace", &path, None, ("valueCode", json!("accepted"))),
                    ]}),
                )
            }
            (false, FhirStyle::Put | FhirStyle::AppointmentResponse, _) => {
                ("PUT", FHIR_JSON, self.put_body()?)
            }
        })
    }

    /// A PUT: the Appointment as read, with the status and reason (cancel) or the patient
    /// participant's status (confirm) changed.
    fn put_body(&self) -> Result<Value> {
        let mut res = self.resource.cloned().ok_or_else(|| {
            Error::new(
                ErrorCode::FhirMissingElement,
                "a PUT needs the Appointment as read",
            )
        })?;
        if let Some(obj) = res.as_object_mut() {
            match self.event {
                ReplyEvent::Cancel => {
                    obj.insert("status".into(), json!("cancelled"));
                    obj.insert("cancelationReason".into(), self.reason_coding(true));
                }
                ReplyEvent::Confirm => {
                    let idx = self.participant.as_ref().map_or(0, |p| p.0);
                    if let Some(p) = obj
                        .get_mut("participant")
                        .and_then(|p| p.get_mut(idx))
                        .and_then(Value::as_object_mut)
                    {
                        p.insert("status".into(), json!("accepted"));
                    }
                }
            }
        }
        Ok(res)
    }

    /// The cancellation reason (`reply.fhir.cancelReason`), with its display or not (Oracle).
    fn reason_coding(&self, with_display: bool) -> Value {
        let r = &self.f.cancel_reason;
        let mut c = Map::new();
        c.insert("system".into(), Value::String(r.system.clone()));
        c.insert("code".into(), Value::String(r.code.clone()));
        if with_display {
            if let Some(d) = &r.display {
                c.insert("display".into(), Value::String(d.clone()));
            }
        }
        json!({"coding": [Value::Object(c)]})
    }
}

fn operation(kind: &str, path: &str, name: Option<&str>, value: (&str, Value)) -> Value {
    let mut parts = vec![
        json!({"name": "type", "valueCode": kind}),
        json!({"name": "path", "valueString": path}),
    ];
    if let Some(n) = name {
        parts.push(json!({"name": "name", "valueString": n}));
    }
    let mut v = Map::new();
    v.insert("name".into(), json!("value"));
    v.insert(value.0.into(), value.1);
    parts.push(Value::Object(v));
    json!({"name": "operation", "part": parts})
}

fn fhirpath_string(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}
