//! What the host read back and what the ids look like in a URL: `current` (the Appointment, or
//! `{resource, etag}`) checked against the reply, its version as an `If-Match` value, the patient
//! participant, and FHIR ids.

use crate::error::{Error, ErrorCode, Position, Result, Warning};
use crate::reply::config::FhirReplyConfig;
use serde_json::Value;

/// The patient participant: its index, actor reference and status.
pub(super) type PatientParticipant = (usize, String, Option<String>);

/// `current` is the Appointment, or `{resource, etag}`.
pub(super) fn split_current(current: Option<&Value>) -> Result<(Option<&Value>, Option<String>)> {
    let Some(c) = current else {
        return Ok((None, None));
    };
    if c.is_null() {
        return Ok((None, None));
    }
    let (res, etag) = if c.get("resourceType").is_some() {
        (Some(c), None)
    } else if c.get("resource").is_some() || c.get("etag").is_some() {
        let etag = match c.get("etag") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(normalize_etag(s)?),
            Some(_) => {
                return Err(
                    Error::new(ErrorCode::JsonBadType, "etag must be a string").at_pointer("/etag")
                )
            }
        };
        (c.get("resource").filter(|r| !r.is_null()), etag)
    } else {
        return Err(Error::new(
            ErrorCode::BadArgument,
            "current must be an Appointment or {resource, etag}",
        ));
    };
    if let Some(r) = res {
        if r.get("resourceType").and_then(Value::as_str) != Some("Appointment") {
            return Err(Error::new(
                ErrorCode::FhirUnsupportedResource,
                "current is not an Appointment",
            )
            .at_pointer("/resourceType"));
        }
    }
    Ok((res, etag))
}

/// An `ETag` header value as an `If-Match` value (a bare version becomes `W/"…"`).
fn normalize_etag(s: &str) -> Result<String> {
    let t = s.trim();
    if t.is_empty() || t.len() > 128 || t.chars().any(char::is_control) {
        return Err(Error::new(
            ErrorCode::BadArgument,
            "the etag is empty, too long or has control characters",
        ));
    }
    if t.starts_with("W/\"") || t.starts_with('"') {
        Ok(t.to_owned())
    } else {
        Ok(format!("W/\"{t}\""))
    }
}

/// The Appointment read back is the reply's: its id, or one of its identifiers, is the reply's
/// appointment id.
pub(super) fn check_identity(res: &Value, appointment_id: &str) -> Result<()> {
    let Some(id) = res.get("id").and_then(Value::as_str) else {
        return Ok(());
    };
    if id == appointment_id {
        return Ok(());
    }
    let by_identifier = res
        .get("identifier")
        .and_then(Value::as_array)
        .is_some_and(|ids| {
            ids.iter()
                .any(|i| i.get("value").and_then(Value::as_str) == Some(appointment_id))
        });
    if by_identifier {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::ReplyAppointmentMismatch,
            "the Appointment passed as current has neither the reply's id nor an identifier with it",
        ))
    }
}

/// Index, reference as read, and participant status of the patient participant.
pub(super) fn find_patient(
    res: &Value,
    wanted: &str,
    f: &FhirReplyConfig,
    warnings: &mut Vec<Warning>,
) -> Result<PatientParticipant> {
    let parts = res
        .get("participant")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let reference = |p: &Value| {
        p.pointer("/actor/reference")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let status = |p: &Value| p.get("status").and_then(Value::as_str).map(str::to_owned);
    let suffix = format!("/{wanted}");
    for (i, p) in parts.iter().enumerate() {
        if let Some(r) = reference(p) {
            if r == wanted || r.ends_with(&suffix) {
                return Ok((i, r, status(p)));
            }
        }
    }
    if f.match_single_patient {
        let patients: Vec<(usize, String, Option<String>)> = parts
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let r = reference(p)?;
                (r.starts_with("Patient/") || r.contains("/Patient/")).then(|| (i, r, status(p)))
            })
            .collect();
        if let [only] = patients.as_slice() {
            warnings.push(
                Warning::new(
                    "REPLY_PATIENT_MATCHED_BY_TYPE",
                    "no participant has the configured patient reference; the only Patient participant was used",
                )
                .at(Position::pointer(format!("/participant/{}", only.0))),
            );
            return Ok(only.clone());
        }
    }
    Err(Error::new(
        ErrorCode::FhirMissingElement,
        "no Appointment.participant matches the reply's patient",
    )
    .at_pointer("/participant"))
}

/// `[A-Za-z0-9.-]{1,64}`.
pub(super) fn is_fhir_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// The id as a URL path segment (unreserved bytes kept, the rest `%XX`).
pub(super) fn encode_id(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            o.push(char::from(b));
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}
