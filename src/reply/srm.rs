//! Replies as HL7 v2 scheduling requests: CONFIRM → `SRM^S03` (request appointment modification),
//! CANCEL → `SRM^S04` (request appointment cancellation), EHR Integration Guide Table D.
//!
//! Message (versions 2.3 – 2.8, structure `SRM_S01`):
//!
//! ```text
//! MSH|^~\&|<sendingApplication>|<sendingFacility>|<receivingApplication>|<receivingFacility>|<timestamp>||SRM^S04^SRM_S01|<controlId>|P|2.5.1[|||<MSH-15>|<MSH-16>]
//! ARQ|<placer id>^<placerAuthority>|[<filler id>^<fillerAuthority>]||||<reason code>^<text>^<system>|||||||||<placer contact XCN>||||<entered-by XCN>
//! [NTE|1||<note>]
//! PID|1||<patient_id>^^^<patientIdAuthority>^<patientIdType>
//! RGS|1
//! [AIP|1||<provider_id>]
//! ```
//!
//! * MSH-9 is `SRM^S0x` for 2.3 and `SRM^S0x^SRM_S01` from 2.3.1 on (the message-structure
//!   component exists from 2.3.1; same rule as our ACKs).
//! * ARQ-1 (placer appointment id, R) / ARQ-2 (filler id) per `hl7.appointmentId`; ARQ-6 (request
//!   event reason) carries the cancel reason in S04 and, if configured, a confirmation reason in S03;
//!   ARQ-15 (placer contact person) and ARQ-19 (entered-by person), required by the standard, come
//!   from the profile.
//! * The RESOURCES group is required, so there is always an `RGS|1`; the provider becomes an AIP
//!   (AIP-3 personnel resource id) when the reply has one.
//! * All values go through the writer, which escapes delimiters (`|` → `\F\` …). The caller supplies
//!   MSH-10 (≤ 20 characters up to 2.5.1, ≤ 199 from 2.6) and MSH-7 (an HL7 DTM such as
//!   `20250305143012+0000`, e.g. from [`format_utc_millis`](crate::hl7::datetime::format_utc_millis)).

use super::config::{AppointmentIdField, Coded, Hl7ReplyConfig, Person, ReplyConfig};
use super::parse::{Reply, ReplyEvent};
use crate::error::{Error, ErrorCode, Result};
use crate::hl7::ack::version_tuple;
use crate::hl7::datetime::DateTime;
use crate::hl7::write::{MessageBuilder, SegmentBuilder};
use crate::hl7::Delimiters;

/// Build the SRM^S03 / SRM^S04 for a reply (see the module docs).
///
/// ```
/// use ehr_studio_bridge::reply::{parse_reply, reply_to_hl7, ReplyConfig};
/// let cfg = ReplyConfig::from_json(r#"{"hl7": {"receivingApplication": "EHR",
///     "placerContact": {"id": "PAM"}, "enteredBy": {"id": "PAM"}}}"#).unwrap();
/// let reply = parse_reply(br#"{"flow_sid": "FW0123456789abcdef0123456789abcdef", "event_type": "Cancel",
///     "appointment_id": "A|1", "provider_id": "", "patient_id": "P1"}"#, None).unwrap();
/// let msg = reply_to_hl7(&reply, &cfg, "C1", "20250305143012+0000").unwrap();
/// assert!(msg.starts_with("MSH|^~\\&|TWILIO_PAM||EHR||20250305143012+0000||SRM^S04^SRM_S01|C1|P|2.5.1\r"));
/// assert!(msg.contains("\rARQ|A\\F\\1|"));
/// ```
pub fn reply_to_hl7(
    reply: &Reply,
    cfg: &ReplyConfig,
    control_id: &str,
    timestamp: &str,
) -> Result<String> {
    let h = cfg.hl7.as_ref().ok_or_else(|| {
        Error::new(
            ErrorCode::ProfileBadValue,
            "the profile has no reply.hl7 section",
        )
        .at_pointer("/hl7")
    })?;
    reply.check()?;
    let ver = version_tuple(&h.version);
    let max_ctrl = if ver >= (2, 6, 0) { 199 } else { 20 };
    let n = control_id.chars().count();
    if n == 0 || n > max_ctrl || control_id.chars().any(char::is_control) {
        return Err(Error::new(
            ErrorCode::BadArgument,
            "the control id must be 1 to 20 characters (199 from v2.6) without control characters",
        ));
    }
    let ts = timestamp.trim();
    DateTime::parse(ts)?;
    let trigger = match reply.event_type {
        ReplyEvent::Confirm => "S03",
        ReplyEvent::Cancel => "S04",
    };

    let mut b = MessageBuilder::new(Delimiters::default());
    {
        let m = b.msh();
        m.set(3, 1, &h.sending_application)
            .set(4, 1, &h.sending_facility)
            .set(5, 1, &h.receiving_application)
            .set(6, 1, &h.receiving_facility)
            .set(7, 1, ts)
            .set(9, 1, "SRM")
            .set(9, 2, trigger)
            .set(10, 1, control_id)
            .set(11, 1, &h.processing_id)
            .set(12, 1, &h.version);
        if ver >= (2, 3, 1) {
            m.set(9, 3, "SRM_S01");
        }
        if let Some(a) = &h.accept_ack_type {
            m.set(15, 1, a);
        }
        if let Some(a) = &h.application_ack_type {
            m.set(16, 1, a);
        }
    }
    b.push(arq(reply, h));
    let note = match reply.event_type {
        ReplyEvent::Confirm => h.confirm_note.as_deref(),
        ReplyEvent::Cancel => h.cancel_note.as_deref(),
    };
    if let Some(note) = note.filter(|n| !n.is_empty()) {
        b.segment("NTE").set(1, 1, "1").set(3, 1, note);
    }
    {
        let pid = b.segment("PID");
        pid.set(1, 1, "1").set(3, 1, &reply.patient_id);
        if let Some(a) = &h.patient_id_authority {
            pid.set(3, 4, a);
        }
        pid.set(3, 5, &h.patient_id_type);
    }
    b.segment("RGS").set(1, 1, "1");
    if h.provider_resource && !reply.provider_id.trim().is_empty() {
        b.segment("AIP")
            .set(1, 1, "1")
            .set(3, 1, &reply.provider_id);
    }
    b.build()
}

fn arq(reply: &Reply, h: &Hl7ReplyConfig) -> SegmentBuilder {
    let mut s = SegmentBuilder::new("ARQ");
    let id = reply.appointment_id.as_str();
    let (placer, filler) = match h.appointment_id {
        AppointmentIdField::Placer => (true, false),
        AppointmentIdField::Filler | AppointmentIdField::Both => (true, true),
    };
    if placer {
        s.set(1, 1, id);
        if let Some(a) = &h.placer_authority {
            s.set(1, 2, a);
        }
    }
    if filler {
        s.set(2, 1, id);
        if let Some(a) = &h.filler_authority {
            s.set(2, 2, a);
        }
    }
    let reason = match reply.event_type {
        ReplyEvent::Cancel => Some(&h.cancel_reason),
        ReplyEvent::Confirm => h.confirm_reason.as_ref(),
    };
    if let Some(r) = reason {
        coded(&mut s, 6, r);
    }
    person(&mut s, 15, &h.placer_contact);
    person(&mut s, 19, &h.entered_by);
    s
}

fn coded(s: &mut SegmentBuilder, field: usize, c: &Coded) {
    s.set(field, 1, &c.code)
        .set(field, 2, &c.text)
        .set(field, 3, &c.system);
}

fn person(s: &mut SegmentBuilder, field: usize, p: &Person) {
    s.set(field, 1, &p.id)
        .set(field, 2, &p.family_name)
        .set(field, 3, &p.given_name);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hl7::Message;

    fn cfg(version: &str) -> ReplyConfig {
        ReplyConfig::from_json(&format!(
            r#"{{"hl7": {{"version": "{version}", "receivingApplication": "EHR",
                "placerContact": {{"id": "PAM", "familyName": "REMINDER", "givenName": "SMS"}},
                "enteredBy": {{"id": "PAM"}}, "appointmentId": "both", "acceptAckType": "AL", "applicationAckType": "AL"}}}}"#
        ))
        .unwrap()
    }

    fn reply(ev: ReplyEvent) -> Reply {
        Reply {
            event_type: ev,
            flow_sid: "FW0".into(),
            appointment_id: "A~1&2".into(),
            patient_id: "P|1".into(),
            provider_id: "DR^X".into(),
            possible_widgets: vec![],
            warnings: vec![],
        }
    }

    #[test]
    fn shapes_per_version() {
        for (v, mt) in [
            ("2.3", "SRM^S04"),
            ("2.3.1", "SRM^S04^SRM_S01"),
            ("2.8", "SRM^S04^SRM_S01"),
        ] {
            let t = reply_to_hl7(
                &reply(ReplyEvent::Cancel),
                &cfg(v),
                "C1",
                "20250101120000+0000",
            )
            .unwrap();
            let m = Message::parse_str(&t).unwrap();
            assert_eq!(m.get("MSH-9").unwrap().raw(), mt);
            assert_eq!(m.get("MSH-12").unwrap().raw(), v);
            assert_eq!(m.get("ARQ-1.1").unwrap().decoded(), "A~1&2");
            assert_eq!(m.get("ARQ-2.1").unwrap().decoded(), "A~1&2");
            assert_eq!(m.get("ARQ-6.1").unwrap().decoded(), "PATCAN");
            assert_eq!(m.get("ARQ-15.2").unwrap().decoded(), "REMINDER");
            assert_eq!(m.get("ARQ-19.1").unwrap().decoded(), "PAM");
            assert_eq!(m.get("PID-3.1").unwrap().decoded(), "P|1");
            assert_eq!(m.get("PID-3.5").unwrap().decoded(), "MR");
            assert_eq!(m.get("RGS-1").unwrap().decoded(), "1");
            assert_eq!(m.get("AIP-3.1").unwrap().decoded(), "DR^X");
            assert_eq!(m.get("MSH-15").unwrap().raw(), "AL");
        }
        let t = reply_to_hl7(
            &reply(ReplyEvent::Confirm),
            &cfg("2.5.1"),
            "C2",
            "20250101120000",
        )
        .unwrap();
        let m = Message::parse_str(&t).unwrap();
        assert_eq!(m.get("MSH-9.2").unwrap().raw(), "S03");
        assert_eq!(m.get("ARQ-6.1").unwrap().raw(), "PATCONF");
        assert_eq!(
            m.get("NTE-3").unwrap().raw(),
            "Patient confirmed by SMS reply"
        );
    }

    #[test]
    fn argument_errors() {
        let r = reply(ReplyEvent::Cancel);
        let c = cfg("2.5.1");
        assert_eq!(
            reply_to_hl7(&r, &c, "", "20250101").unwrap_err().code,
            ErrorCode::BadArgument
        );
        assert_eq!(
            reply_to_hl7(&r, &c, &"x".repeat(21), "20250101")
                .unwrap_err()
                .code,
            ErrorCode::BadArgument
        );
        assert!(reply_to_hl7(&r, &cfg("2.8"), &"x".repeat(21), "20250101").is_ok());
        assert_eq!(
            reply_to_hl7(&r, &c, "C", "2025-01-01").unwrap_err().code,
            ErrorCode::Hl7BadDatetime
        );
        assert_eq!(
            reply_to_hl7(&r, &ReplyConfig::default(), "C", "20250101")
                .unwrap_err()
                .code,
            ErrorCode::ProfileBadValue
        );
        let mut bad = r.clone();
        bad.patient_id = String::new();
        assert_eq!(
            reply_to_hl7(&bad, &c, "C", "20250101").unwrap_err().code,
            ErrorCode::ReplyMissingField
        );
    }
}
