//! Reply bodies → parse → SRM and FHIR request; EHR responses. Nothing may panic, and every SRM we
//! write must parse back with the same ids.
#![no_main]

use ehr_studio_bridge::hl7::Message;
use ehr_studio_bridge::reply::{
    parse_ehr_response, parse_reply, reply_to_fhir, reply_to_hl7, ReplyConfig,
};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn cfg() -> &'static ReplyConfig {
    static CFG: OnceLock<ReplyConfig> = OnceLock::new();
    CFG.get_or_init(|| {
        ReplyConfig::from_json(
            r#"{"hl7": {"placerContact": {"id": "PAM"}, "enteredBy": {"id": "PAM"}, "appointmentId": "both"},
                "fhir": {"baseUrl": "https://ehr.example.org/fhir/r4", "style": "fhirpath-patch"}}"#,
        )
        .expect("config")
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = parse_ehr_response(data);
    let _ = parse_reply(data, Some("application/json; charset=utf-8"));
    if let Ok(reply) = parse_reply(data, None) {
        if let Ok(text) = reply_to_hl7(&reply, cfg(), "FUZZ1", "20250101120000+0000") {
            let m = Message::parse_str(&text).expect("our SRM must parse");
            assert_eq!(m.get("ARQ-1.1").map(|e| e.decoded().into_owned()).unwrap_or_default(), reply.appointment_id);
            assert_eq!(m.get("PID-3.1").map(|e| e.decoded().into_owned()).unwrap_or_default(), reply.patient_id);
        }
        let _ = reply_to_fhir(&reply, cfg(), None);
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
            let _ = reply_to_fhir(&reply, cfg(), Some(&v));
        }
    }
});
