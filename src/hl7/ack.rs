//! Acknowledgements for an inbound message.
//!
//! * MSH: same delimiters; sending and receiving application/facility swapped (MSH-3/4 ⇄ MSH-5/6);
//!   MSH-7 and MSH-10 from the caller; MSH-11, MSH-12 and MSH-18 copied.
//! * MSH-9 by version: `ACK` when the inbound type has no trigger; `ACK^S12` for v2.1–2.3;
//!   `ACK^S12^ACK` for v2.3.1 and later (the message-structure component exists from 2.3.1).
//! * MSA-1: `AA`/`AE`/`AR` in original mode. When the inbound MSH-15 (accept acknowledgement
//!   type) is valued the sender is in enhanced mode and expects a commit acknowledgement
//!   `CA`/`CE`/`CR`; MSH-15/16 values `NE` (never), `ER` (errors only) and `SU` (success only)
//!   can mean that no acknowledgement is sent at all — [`Ack::message`] is then `None`.
//! * MSA-2 = inbound MSH-10. MSA-3 (text) up to v2.6 only (withdrawn later).
//! * ERR per version: v2.1–2.4 `ERR-1` = `SEG^SEQ^FIELD^code&text&HL70357`; v2.5+ `ERR-2` (location),
//!   `ERR-3` (`code^text^HL70357`), `ERR-4` (severity) and, from 2.7, `ERR-8` for the text.
//!
//! Nothing from the inbound message except its header identifiers is copied, so an ACK never
//! carries PHI.

use super::write::{MessageBuilder, SegmentBuilder};
use super::Message;
use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};

/// Outcome to acknowledge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AckCode {
    /// Accepted (AA / CA).
    Accept,
    /// Error in content (AE / CE).
    Error,
    /// Rejected: unsupported type, version, processing id… (AR / CR).
    Reject,
}

/// Which acknowledgement to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AckLevel {
    /// Commit (CA/CE/CR) when the inbound MSH-15 is valued, application (AA/AE/AR) otherwise.
    #[default]
    Auto,
    /// Commit acknowledgement (enhanced mode accept ACK).
    Commit,
    /// Application acknowledgement.
    Application,
}

/// Severity for ERR-4 (table 0516).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Severity {
    /// Error.
    #[default]
    E,
    /// Warning.
    W,
    /// Information.
    I,
}

/// Error details for the ERR segment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AckError {
    /// HL7 table 0357 code (e.g. 101 required field missing, 207 application internal error).
    pub hl7_code: u16,
    /// Severity (default E).
    #[serde(default)]
    pub severity: Severity,
    /// Where the problem is (segment, index, field…).
    #[serde(default)]
    pub segment: Option<String>,
    /// 1-based segment sequence.
    #[serde(default)]
    pub segment_index: Option<usize>,
    /// Field number.
    #[serde(default)]
    pub field: Option<usize>,
    /// Repetition.
    #[serde(default)]
    pub repetition: Option<usize>,
    /// Component.
    #[serde(default)]
    pub component: Option<usize>,
    /// Subcomponent.
    #[serde(default)]
    pub subcomponent: Option<usize>,
}

impl AckError {
    /// Build from one of our errors: its position, and a 0357 code chosen from its error code.
    pub fn from_error(e: &Error) -> AckError {
        let p = e.position.as_deref().cloned().unwrap_or_default();
        let hl7_code = match e.code {
            ErrorCode::Hl7NoMsh | ErrorCode::Hl7BadSegmentName => 100,
            ErrorCode::MapMissingRequired | ErrorCode::FhirMissingElement => 101,
            ErrorCode::Hl7BadDatetime | ErrorCode::MapBadDatetime | ErrorCode::Hl7BadValue => 102,
            ErrorCode::Hl7BadEncodingChars => 102,
            _ => 207,
        };
        AckError {
            hl7_code,
            severity: Severity::E,
            segment: p.segment,
            segment_index: p.segment_index,
            field: p.field,
            repetition: p.repetition,
            component: p.component,
            subcomponent: p.subcomponent,
        }
    }
}

/// Options for [`build`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AckOptions {
    /// Outcome.
    pub code: AckCode,
    /// Commit vs application acknowledgement.
    #[serde(default)]
    pub level: AckLevel,
    /// MSH-10 of the ACK.
    pub control_id: String,
    /// MSH-7 of the ACK (HL7 DTM, e.g. `20250305143012+0000`).
    pub timestamp: String,
    /// MSA-3 / ERR-8 text. Must not contain PHI (use a fixed explanation).
    #[serde(default)]
    pub text: Option<String>,
    /// ERR details (ignored for accepts).
    #[serde(default)]
    pub error: Option<AckError>,
    /// MSH-3 to use when the inbound MSH-5 is empty.
    #[serde(default)]
    pub application: Option<String>,
    /// MSH-4 to use when the inbound MSH-6 is empty.
    #[serde(default)]
    pub facility: Option<String>,
}

/// Result of [`build`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ack {
    /// The ACK text (CR-separated), or `None` when MSH-15/16 say no acknowledgement is wanted.
    pub message: Option<String>,
    /// MSA-1 code used (or that would have been used).
    pub ack_code: &'static str,
    /// Why no message was produced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<&'static str>,
}

/// Build the acknowledgement of `inbound`.
///
/// ```
/// use ehr_studio_bridge::hl7::{Message, ack::{build, AckOptions, AckCode, AckLevel}};
/// let inbound = Message::parse_str("MSH|^~\\&|EHR|HOSP|BRIDGE|TW|20250305143012||SIU^S12^SIU_S12|M42|P|2.5.1\r").unwrap();
/// let ack = build(&inbound, &AckOptions {
///     code: AckCode::Accept, level: AckLevel::Auto, control_id: "A1".into(),
///     timestamp: "20250305143013+0000".into(), text: None, error: None, application: None, facility: None,
/// }).unwrap();
/// assert_eq!(ack.message.unwrap(),
///     "MSH|^~\\&|BRIDGE|TW|EHR|HOSP|20250305143013+0000||ACK^S12^ACK|A1|P|2.5.1\rMSA|AA|M42\r");
/// ```
pub fn build(inbound: &Message<'_>, opts: &AckOptions) -> Result<Ack> {
    let msh = inbound.segment("MSH").ok_or_else(|| {
        Error::new(
            ErrorCode::Hl7NoMsh,
            "the inbound message has no MSH segment",
        )
    })?;
    let raw = |n: usize| msh.field(n).map(|f| f.raw()).unwrap_or("");
    let version = inbound
        .version()
        .map(|v| v.into_owned())
        .unwrap_or_default();
    let ver = version_tuple(&version);
    let accept_type = raw(15).trim().to_ascii_uppercase();
    let app_type = raw(16).trim().to_ascii_uppercase();
    let commit = match opts.level {
        AckLevel::Commit => true,
        AckLevel::Application => false,
        AckLevel::Auto => !accept_type.is_empty(),
    };
    let ack_code = match (commit, opts.code) {
        (false, AckCode::Accept) => "AA",
        (false, AckCode::Error) => "AE",
        (false, AckCode::Reject) => "AR",
        (true, AckCode::Accept) => "CA",
        (true, AckCode::Error) => "CE",
        (true, AckCode::Reject) => "CR",
    };
    let condition = if commit {
        accept_type.as_str()
    } else {
        app_type.as_str()
    };
    let wanted = match condition {
        "NE" => false,
        "ER" => opts.code != AckCode::Accept,
        "SU" => opts.code == AckCode::Accept,
        _ => true,
    };
    if !wanted {
        let why = if commit {
            "inbound MSH-15 asks for no accept acknowledgement in this case"
        } else {
            "inbound MSH-16 asks for no application acknowledgement in this case"
        };
        return Ok(Ack {
            message: None,
            ack_code,
            suppressed: Some(why),
        });
    }

    let mut b = MessageBuilder::new(*inbound.delimiters());
    {
        let h = b.msh();
        match raw(5) {
            "" => h.set(3, 1, opts.application.as_deref().unwrap_or("")),
            r => h.set_raw(3, r),
        };
        match raw(6) {
            "" => h.set(4, 1, opts.facility.as_deref().unwrap_or("")),
            r => h.set_raw(4, r),
        };
        h.set_raw(5, raw(3))
            .set_raw(6, raw(4))
            .set(7, 1, &opts.timestamp);
        let trigger = msh
            .field(9)
            .and_then(|f| f.component(2))
            .map(|c| c.raw())
            .unwrap_or("");
        h.set(9, 1, "ACK");
        if !trigger.is_empty() {
            h.set_raw_component(9, 2, trigger);
            if ver >= (2, 3, 1) {
                h.set(9, 3, "ACK");
            }
        }
        h.set(10, 1, &opts.control_id)
            .set_raw(11, raw(11))
            .set_raw(12, raw(12))
            .set_raw(18, raw(18));
    }
    let mut msa = SegmentBuilder::new("MSA");
    msa.set(1, 1, ack_code).set_raw(2, raw(10));
    if let Some(t) = opts.text.as_deref().filter(|_| ver < (2, 7, 0)) {
        msa.set(3, 1, t);
    }
    b.push(msa);
    if opts.code != AckCode::Accept {
        if let Some(err) = &opts.error {
            b.push(err_segment(err, ver, opts.text.as_deref()));
        }
    }
    Ok(Ack {
        message: Some(b.build()?),
        ack_code,
        suppressed: None,
    })
}

fn err_segment(e: &AckError, ver: (u8, u8, u8), text: Option<&str>) -> SegmentBuilder {
    let mut s = SegmentBuilder::new("ERR");
    let code = e.hl7_code.to_string();
    let code_text = table_0357(e.hl7_code);
    let num = |n: Option<usize>| n.map(|v| v.to_string()).unwrap_or_default();
    if ver < (2, 5, 0) {
        // ERR-1 CM_ELD: segment ID ^ sequence ^ field position ^ code (CE as subcomponents)
        s.set_at(1, 1, 1, 1, e.segment.as_deref().unwrap_or(""))
            .set_at(1, 1, 2, 1, &num(e.segment_index))
            .set_at(1, 1, 3, 1, &num(e.field))
            .set_at(1, 1, 4, 1, &code)
            .set_at(1, 1, 4, 2, code_text)
            .set_at(1, 1, 4, 3, "HL70357");
    } else {
        s.set(2, 1, e.segment.as_deref().unwrap_or(""))
            .set(2, 2, &num(e.segment_index))
            .set(2, 3, &num(e.field))
            .set(2, 4, &num(e.repetition))
            .set(2, 5, &num(e.component))
            .set(2, 6, &num(e.subcomponent))
            .set(3, 1, &code)
            .set(3, 2, code_text)
            .set(3, 3, "HL70357")
            .set(
                4,
                1,
                match e.severity {
                    Severity::E => "E",
                    Severity::W => "W",
                    Severity::I => "I",
                },
            );
        if let Some(t) = text.filter(|_| ver >= (2, 7, 0)) {
            s.set(8, 1, t);
        }
    }
    s
}

/// Text of HL7 table 0357 (message error condition codes).
pub fn table_0357(code: u16) -> &'static str {
    match code {
        0 => "Message accepted",
        100 => "Segment sequence error",
        101 => "Required field missing",
        102 => "Data type error",
        103 => "Table value not found",
        104 => "Value too long",
        200 => "Unsupported message type",
        201 => "Unsupported event code",
        202 => "Unsupported processing id",
        203 => "Unsupported version id",
        204 => "Unknown key identifier",
        205 => "Duplicate key identifier",
        206 => "Application record locked",
        _ => "Application internal error",
    }
}

/// `"2.5.1"` → `(2, 5, 1)`; unparseable parts are 0. An empty version is treated as 2.5.
pub fn version_tuple(v: &str) -> (u8, u8, u8) {
    if v.trim().is_empty() {
        return (2, 5, 0);
    }
    let mut it = v.trim().split('.').map(|p| {
        p.bytes()
            .take_while(u8::is_ascii_digit)
            .fold(0u8, |a, d| a.saturating_mul(10).saturating_add(d - b'0'))
    });
    (
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
    )
}

/// Build an acknowledgement for an inbound message that failed: `AR` with an ERR segment derived
/// from the error (code and position only, never values). Needs at least a readable MSH.
pub fn build_for_error(
    inbound: &Message<'_>,
    err: &Error,
    control_id: &str,
    timestamp: &str,
) -> Result<Ack> {
    let code = match err.code {
        ErrorCode::Hl7NoMsh | ErrorCode::Hl7BadEncodingChars | ErrorCode::UnknownInputKind => {
            AckCode::Reject
        }
        _ => AckCode::Error,
    };
    build(
        inbound,
        &AckOptions {
            code,
            level: AckLevel::Auto,
            control_id: control_id.to_owned(),
            timestamp: timestamp.to_owned(),
            text: Some(err.code.as_str().to_owned()),
            error: Some(AckError::from_error(err)),
            application: None,
            facility: None,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(code: AckCode) -> AckOptions {
        AckOptions {
            code,
            level: AckLevel::Auto,
            control_id: "ACK1".into(),
            timestamp: "20250101000000+0000".into(),
            text: None,
            error: None,
            application: None,
            facility: None,
        }
    }

    #[test]
    fn msh9_shapes_per_version() {
        for (ver, ty, expect) in [
            ("2.2", "SIU^S12", "ACK^S12"),
            ("2.3", "SIU^S12", "ACK^S12"),
            ("2.3.1", "SIU^S12", "ACK^S12^ACK"),
            ("2.5.1", "SIU^S12^SIU_S12", "ACK^S12^ACK"),
            ("2.6", "ACK", "ACK"),
        ] {
            let t = format!("MSH|^~\\&|A|B|C|D|20250101||{ty}|X|P|{ver}\r");
            let m = Message::parse_str(&t).unwrap();
            let a = build(&m, &opts(AckCode::Accept)).unwrap().message.unwrap();
            let am = Message::parse_str(&a).unwrap();
            assert_eq!(am.get("MSH-9").unwrap().raw(), expect, "{ver}");
            assert_eq!(am.get("MSA-2").unwrap().raw(), "X");
        }
    }

    #[test]
    fn enhanced_mode() {
        let m =
            Message::parse_str("MSH|^~\\&|A|B|C|D|20250101||SIU^S12|X|P|2.5.1|||AL|NE\r").unwrap();
        assert_eq!(build(&m, &opts(AckCode::Accept)).unwrap().ack_code, "CA");
        let mut o = opts(AckCode::Accept);
        o.level = AckLevel::Application;
        let a = build(&m, &o).unwrap();
        assert_eq!(a.message, None);
        assert_eq!(a.ack_code, "AA");
        let m = Message::parse_str("MSH|^~\\&|A|B|C|D|20250101||SIU^S12|X|P|2.5.1|||ER\r").unwrap();
        assert!(build(&m, &opts(AckCode::Accept)).unwrap().message.is_none());
        assert_eq!(build(&m, &opts(AckCode::Reject)).unwrap().ack_code, "CR");
    }

    #[test]
    fn err_segment_per_version() {
        let mut o = opts(AckCode::Error);
        o.error = Some(AckError {
            hl7_code: 101,
            segment: Some("PID".into()),
            segment_index: Some(3),
            field: Some(5),
            ..Default::default()
        });
        o.text = Some("Required field missing".into());
        let m = Message::parse_str("MSH|^~\\&|A|B|C|D|20250101||SIU^S12|X|P|2.3\r").unwrap();
        let a = build(&m, &o).unwrap().message.unwrap();
        assert!(
            a.ends_with(
                "MSA|AE|X|Required field missing\rERR|PID^3^5^101&Required field missing&HL70357\r"
            ),
            "{a}"
        );
        let m = Message::parse_str("MSH|^~\\&|A|B|C|D|20250101||SIU^S12|X|P|2.5.1\r").unwrap();
        let a = build(&m, &o).unwrap().message.unwrap();
        assert!(
            a.ends_with("ERR||PID^3^5|101^Required field missing^HL70357|E\r"),
            "{a}"
        );
        let m = Message::parse_str("MSH|^~\\&|A|B|C|D|20250101||SIU^S12|X|P|2.8\r").unwrap();
        let a = build(&m, &o).unwrap().message.unwrap();
        assert!(a.contains("MSA|AE|X\r"), "{a}");
        assert!(a.ends_with("|E||||Required field missing\r"), "{a}");
    }

    #[test]
    fn swaps_and_copies_header_ids_only() {
        let m = Message::parse_str("MSH|^~\\&|EHR^1.2&ISO|HOSP|BR|TW|20250101||SIU^S12|X\\F\\1|T|2.5.1||||||UNICODE UTF-8\rPID|1||SECRET^^^^MR||DOE^JANE\r")
            .unwrap();
        let a = build(&m, &opts(AckCode::Accept)).unwrap().message.unwrap();
        assert!(a.starts_with("MSH|^~\\&|BR|TW|EHR^1.2&ISO|HOSP|"), "{a}");
        assert!(a.contains("|T|2.5.1||||||UNICODE UTF-8\r"), "{a}");
        assert!(a.contains("MSA|AA|X\\F\\1\r"));
        assert!(!a.contains("SECRET") && !a.contains("DOE"));
    }

    #[test]
    fn version_tuples() {
        assert_eq!(version_tuple("2.5.1"), (2, 5, 1));
        assert_eq!(version_tuple("2.3"), (2, 3, 0));
        assert_eq!(version_tuple(""), (2, 5, 0));
        assert_eq!(version_tuple("2.5^FRA"), (2, 5, 0));
    }
}
