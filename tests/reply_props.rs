//! Properties (proptest, native only): any ids survive JSON body → Reply → SRM → our parser; any
//! request signed over its own URL verifies; the FHIR URL always carries the id percent-encoded.
#![cfg(not(target_arch = "wasm32"))]

use ehr_studio_bridge::hl7::Message;
use ehr_studio_bridge::reply::{
    expected_signature, parse_reply, reply_to_fhir, reply_to_hl7, verify_twilio_signature,
    ReplyConfig, SignatureAlgorithm, SignatureInput,
};
use proptest::prelude::*;

fn cfg(version: &str) -> ReplyConfig {
    ReplyConfig::from_json(&format!(
        r#"{{"hl7": {{"version": "{version}", "placerContact": {{"id": "PAM"}}, "enteredBy": {{"id": "PAM"}}, "appointmentId": "both"}},
            "fhir": {{"baseUrl": "https://ehr.example.org/fhir/r4", "style": "fhirpath-patch"}}}}"#
    ))
    .expect("config")
}

fn decoded(id: &str) -> String {
    let d = ehr_studio_bridge::studio::sanitize::decode_id(id);
    if d.chars().any(char::is_control) {
        id.to_owned()
    } else {
        d.into_owned()
    }
}

/// Non-empty, no control characters, at most 40 characters.
fn id() -> impl Strategy<Value = String> {
    "[^\\p{Cc}]{1,40}".prop_filter("not blank", |s| !s.trim().is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn ids_round_trip_through_srm(appt in id(), patient in id(), provider in id(),
                                  version in prop::sample::select(vec!["2.3", "2.5.1", "2.8"]),
                                  cancel in any::<bool>()) {
        let body = serde_json::json!({
            "flow_sid": "FW0123456789abcdef0123456789abcdef",
            "event_type": if cancel { "Cancel" } else { "Confirm" },
            "appointment_id": appt, "provider_id": provider, "patient_id": patient,
        });
        let reply = parse_reply(body.to_string().as_bytes(), None).expect("reply");
        // Ids come back percent-decoded (the outbound mapping encoded them), unless decoding
        // would produce control characters.
        let (appt, patient, provider) = (decoded(&appt), decoded(&patient), decoded(&provider));
        prop_assert_eq!(&reply.appointment_id, &appt);
        let text = reply_to_hl7(&reply, &cfg(version), "P1", "20250101120000+0000").expect("srm");
        let m = Message::parse_str(&text).expect("parse");
        prop_assert_eq!(m.get("ARQ-1.1").expect("ARQ").decoded().into_owned(), appt.clone());
        prop_assert_eq!(m.get("ARQ-2.1").expect("ARQ").decoded().into_owned(), appt);
        prop_assert_eq!(m.get("PID-3.1").expect("PID").decoded().into_owned(), patient);
        prop_assert_eq!(m.get("AIP-3.1").expect("AIP").decoded().into_owned(), provider);
        let f = reply_to_fhir(&reply, &cfg(version), None).expect("fhir");
        let url = f.request.expect("request").url;
        prop_assert!(url.starts_with("https://ehr.example.org/fhir/r4/Appointment/"));
        prop_assert!(url.bytes().all(|b| b.is_ascii_graphic()));
    }

    #[test]
    fn own_signatures_verify(token in "[ -~]{1,32}", path in "[ -~]{0,40}",
                             params in prop::collection::vec((".{0,8}", ".{0,8}"), 0..6)) {
        let url = format!("https://ehr.example.org/{path}");
        prop_assume!(!url.contains("bodySHA256"));
        let sig = expected_signature(SignatureAlgorithm::HmacSha1, &token, &url, &params).expect("sign");
        let v = verify_twilio_signature(&SignatureInput {
            auth_token: token, url, signature: Some(sig), params: Some(params), ..Default::default()
        }).expect("verdict");
        prop_assert!(v.valid);
    }
}
