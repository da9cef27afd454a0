//! The EHR's answer to our write: an HL7 v2 `ACK` / `SRR^S03|S04` (MSA + ERR), or a FHIR HTTP
//! response (status + optional `OperationOutcome`).
//!
//! Outcome JSON:
//! `{kind: "hl7"|"fhir", accepted, code?: "AA"|"AE"|"AR"|"CA"|"CE"|"CR", controlId?, messageType?,
//!   errors: [{hl7Code?, fhirCode?, location?, severity?}], text?, httpStatus?, retryable, needsReread}`
//!
//! * `accepted` is MSA-1 `AA`/`CA`, or a 2xx FHIR response without `error`/`fatal` issues.
//! * `retryable`: `AR`/`CR` (rejected for reasons unrelated to content, e.g. the system is down) and
//!   HTTP 408, 423, 429, 5xx. `AE`/`CE` and other 4xx mean the content is wrong: do not resend as is.
//! * `needsReread`: HTTP 409/412 (stale or missing `If-Match`): read the Appointment again and
//!   rebuild the request with `replyToFhir`.
//! * Nothing from PID/SCH or any other patient segment is copied. `text` is MSA-3 (or the first
//!   ERR-8) as the EHR wrote it; FHIR `diagnostics` are not copied (servers often echo values there).
//! * `controlId` is MSA-2, which must equal the MSH-10 of the SRM we sent.

use crate::error::{Error, ErrorCode, Result};
use crate::hl7::Message;
use serde::Serialize;
use serde_json::Value;

/// One error reported by the EHR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct EhrError {
    /// HL7 table 0357 code (ERR-3.1, or ERR-1.4.1 before v2.5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hl7_code: Option<String>,
    /// FHIR `issue.code` (e.g. `business-rule`, `conflict`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fhir_code: Option<String>,
    /// Where: HL7 `SEG[seq]-field[rep].comp.sub`, or the FHIR `expression`/`location`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// HL7 ERR-4 (`E`, `W`, `I`) or FHIR `issue.severity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
}

/// The interpreted response (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EhrOutcome {
    /// `"hl7"` or `"fhir"`.
    pub kind: &'static str,
    /// The EHR accepted the request.
    pub accepted: bool,
    /// MSA-1, upper-cased.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// MSA-2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control_id: Option<String>,
    /// MSH-9 code and trigger of the response, e.g. `ACK^S04` or `SRR^S04`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_type: Option<String>,
    /// Reported errors.
    pub errors: Vec<EhrError>,
    /// MSA-3 / ERR-8 text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The HTTP status, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Sending the same request again later may succeed.
    pub retryable: bool,
    /// Re-read the Appointment and rebuild the request before retrying.
    pub needs_reread: bool,
}

fn unparseable(msg: &str) -> Error {
    Error::new(ErrorCode::EhrResponseUnparseable, msg.to_owned())
}

/// Interpret an EHR response body: HL7 v2 (ACK/SRR, MLLP framing allowed) or FHIR JSON.
///
/// ```
/// use ehr_studio_bridge::reply::parse_ehr_response;
/// let o = parse_ehr_response(b"MSH|^~\\&|EHR||PAM||20250101||ACK^S04^ACK|9|P|2.5.1\rMSA|AA|C1\r").unwrap();
/// assert!(o.accepted);
/// assert_eq!(o.code, Some("AA"));
/// assert_eq!(o.control_id.as_deref(), Some("C1"));
/// ```
pub fn parse_ehr_response(bytes: &[u8]) -> Result<EhrOutcome> {
    let first = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace() && *b != 0x0B)
        .and_then(|i| bytes.get(i));
    match first {
        None => Err(unparseable("the response is empty")),
        Some(b'{') => fhir_outcome(None, bytes),
        Some(_) => hl7_outcome(bytes),
    }
}

/// Interpret a FHIR write response: HTTP status plus (possibly empty) body.
///
/// ```
/// use ehr_studio_bridge::reply::parse_fhir_response;
/// let o = parse_fhir_response(412, br#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"conflict"}]}"#).unwrap();
/// assert!(!o.accepted && o.needs_reread);
/// assert_eq!(o.errors[0].fhir_code.as_deref(), Some("conflict"));
/// ```
pub fn parse_fhir_response(status: u16, body: &[u8]) -> Result<EhrOutcome> {
    if !(100..=599).contains(&status) {
        return Err(Error::new(
            ErrorCode::BadArgument,
            "the HTTP status must be between 100 and 599",
        ));
    }
    fhir_outcome(Some(status), body)
}

fn fhir_outcome(status: Option<u16>, body: &[u8]) -> Result<EhrOutcome> {
    let mut errors = Vec::new();
    let mut has_error_issue = false;
    if body.iter().any(|b| !b.is_ascii_whitespace()) {
        let v: Value = serde_json::from_slice(body)
            .map_err(|_| unparseable("the FHIR response body is not valid JSON"))?;
        if v.get("resourceType").and_then(Value::as_str) == Some("OperationOutcome") {
            let issues = v.get("issue").and_then(Value::as_array);
            for issue in issues.into_iter().flatten().take(32) {
                let severity = issue.get("severity").and_then(Value::as_str);
                if matches!(severity, Some("error" | "fatal")) {
                    has_error_issue = true;
                }
                let location = issue
                    .get("expression")
                    .or_else(|| issue.get("location"))
                    .and_then(Value::as_array)
                    .and_then(|a| a.first())
                    .and_then(Value::as_str);
                errors.push(EhrError {
                    hl7_code: None,
                    fhir_code: issue.get("code").and_then(Value::as_str).map(short),
                    location: location.map(short),
                    severity: severity.map(short),
                });
            }
        }
    }
    let ok_status = status.is_none_or(|s| (200..300).contains(&s));
    let s = status.unwrap_or(0);
    Ok(EhrOutcome {
        kind: "fhir",
        accepted: ok_status && !has_error_issue,
        code: None,
        control_id: None,
        message_type: None,
        errors,
        text: None,
        http_status: status,
        retryable: matches!(s, 408 | 423 | 429) || s >= 500,
        needs_reread: matches!(s, 409 | 412),
    })
}

fn short(s: &str) -> String {
    s.chars().take(256).collect()
}

fn hl7_outcome(bytes: &[u8]) -> Result<EhrOutcome> {
    let msg = Message::parse(bytes).map_err(|e| {
        Error::new(
            ErrorCode::EhrResponseUnparseable,
            format!("the response is not an HL7 v2 message ({})", e.code),
        )
    })?;
    let msa = msg
        .segment("MSA")
        .ok_or_else(|| unparseable("the HL7 response has no MSA segment"))?;
    let raw_code = msa
        .field(1)
        .map(|f| f.decoded().trim().to_ascii_uppercase())
        .unwrap_or_default();
    let code: &'static str = match raw_code.as_str() {
        "AA" => "AA",
        "AE" => "AE",
        "AR" => "AR",
        "CA" => "CA",
        "CE" => "CE",
        "CR" => "CR",
        _ => return Err(unparseable("MSA-1 is not AA, AE, AR, CA, CE or CR")),
    };
    let val = |e: Option<crate::hl7::Element<'_>>| {
        e.and_then(|e| e.value())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let control_id = val(msa.field(2));
    let mut text = val(msa.field(3)).map(|t| short(&t));
    let message_type = msg.header_field(9).map(|f| {
        let c = |n| {
            f.component(n)
                .map(|c| c.decoded().into_owned())
                .unwrap_or_default()
        };
        let (a, b) = (c(1), c(2));
        if b.is_empty() {
            a
        } else {
            format!("{a}^{b}")
        }
    });
    let mut errors = Vec::new();
    for err in msg.segments_named("ERR").take(32) {
        let f = |n: usize| err.field(n);
        let modern = f(2).is_some_and(|e| !e.is_empty()) || f(3).is_some_and(|e| !e.is_empty());
        if modern {
            let loc = f(2).and_then(|l| l.child(1)).map(|rep| {
                let c = |n: usize| {
                    rep.child(n)
                        .map(|x| x.decoded().into_owned())
                        .unwrap_or_default()
                };
                location(&c(1), &c(2), &c(3), &c(4), &c(5), &c(6))
            });
            errors.push(EhrError {
                hl7_code: val(f(3).and_then(|x| x.component(1))),
                fhir_code: None,
                location: loc.filter(|l| !l.is_empty()),
                severity: val(f(4)),
            });
            if text.is_none() {
                text = val(f(8)).map(|t| short(&t));
            }
        } else if let Some(e1) = f(1) {
            for rep in e1.children().take(32) {
                let c = |n: usize| {
                    rep.child(n)
                        .map(|x| x.decoded().into_owned())
                        .unwrap_or_default()
                };
                let code = rep
                    .child(4)
                    .and_then(|x| x.child(1))
                    .map(|x| x.decoded().trim().to_owned())
                    .filter(|x| !x.is_empty());
                let loc = location(&c(1), &c(2), &c(3), "", "", "");
                if code.is_none() && loc.is_empty() {
                    continue;
                }
                errors.push(EhrError {
                    hl7_code: code,
                    fhir_code: None,
                    location: Some(loc).filter(|l| !l.is_empty()),
                    severity: None,
                });
            }
        }
    }
    Ok(EhrOutcome {
        kind: "hl7",
        accepted: matches!(code, "AA" | "CA"),
        code: Some(code),
        control_id,
        message_type,
        errors,
        text,
        http_status: None,
        retryable: matches!(code, "AR" | "CR"),
        needs_reread: false,
    })
}

/// `PID[1]-13[1].5` from ERL components (segment, sequence, field, repetition, component,
/// subcomponent); only digits are kept for the numeric parts.
fn location(seg: &str, seq: &str, field: &str, rep: &str, comp: &str, sub: &str) -> String {
    let digits = |s: &str| -> String {
        s.trim()
            .chars()
            .filter(char::is_ascii_digit)
            .take(6)
            .collect()
    };
    let seg: String = seg
        .trim()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(3)
        .collect();
    let mut out = seg;
    let seq = digits(seq);
    if !seq.is_empty() {
        out.push_str(&format!("[{seq}]"));
    }
    let field = digits(field);
    if !field.is_empty() {
        out.push_str(&format!("-{field}"));
        let rep = digits(rep);
        if !rep.is_empty() {
            out.push_str(&format!("[{rep}]"));
        }
        let comp = digits(comp);
        if !comp.is_empty() {
            out.push_str(&format!(".{comp}"));
            let sub = digits(sub);
            if !sub.is_empty() {
                out.push_str(&format!(".{sub}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hl7_variants() {
        let o = parse_ehr_response(
            b"MSH|^~\\&|HUB|C|EHR|C|20240115093001-0500||ACK^S12^ACK|ACK0001|P|2.5.1\rMSA|AE|SYN0001\rERR||PID^1^13^1^5|102^Data type error^HL70357|E||||Phone number could not be normalised\r",
        )
        .unwrap();
        assert!(!o.accepted && !o.retryable);
        assert_eq!(o.code, Some("AE"));
        assert_eq!(o.errors[0].hl7_code.as_deref(), Some("102"));
        assert_eq!(o.errors[0].location.as_deref(), Some("PID[1]-13[1].5"));
        assert_eq!(o.errors[0].severity.as_deref(), Some("E"));
        assert_eq!(
            o.text.as_deref(),
            Some("Phone number could not be normalised")
        );
        let o = parse_ehr_response(
            b"MSH|^~\\&|||||20090926180218.494-0500||ACK|231|P|2.2\rMSA|AR|LABGL1199510021852632\rERR|^^^2&ERROR&hl70357&&Error Message\r",
        )
        .unwrap();
        assert!(o.retryable);
        assert_eq!(o.errors[0].hl7_code.as_deref(), Some("2"));
        assert_eq!(o.message_type.as_deref(), Some("ACK"));
    }

    #[test]
    fn srr_does_not_copy_patient_data() {
        let o = parse_ehr_response(
            b"MSH|^~\\&|EHR||PAM||20250101||SRR^S04^SRR_S01|9|P|2.5.1\rMSA|AA|C1\rSCH|A1|F1\rPID|1||SECRET^^^^MR||DOE^JANE\r",
        )
        .unwrap();
        assert!(o.accepted);
        assert_eq!(o.message_type.as_deref(), Some("SRR^S04"));
        let j = serde_json::to_string(&o).unwrap();
        assert!(!j.contains("SECRET") && !j.contains("DOE"), "{j}");
    }

    #[test]
    fn failures() {
        for b in [
            &b""[..],
            b"  ",
            b"MSH|^~\\&|A\rPID|1\r",
            b"MSH|^~\\&|A\rMSA|ZZ|1\r",
            b"hello",
            b"{oops",
        ] {
            assert_eq!(
                parse_ehr_response(b).unwrap_err().code,
                ErrorCode::EhrResponseUnparseable
            );
        }
        assert_eq!(
            parse_fhir_response(42, b"").unwrap_err().code,
            ErrorCode::BadArgument
        );
        let o = parse_fhir_response(200, b"").unwrap();
        assert!(o.accepted);
        let o = parse_fhir_response(503, b"").unwrap();
        assert!(!o.accepted && o.retryable);
    }
}
