//! Reply bodies exactly as the real widgets render them (tests/fixtures/twilio/ie-endpoint-requests.json)
//! and the outbound reply fixtures.

use ehr_studio_bridge::reply::{parse_reply, ReplyEvent};
use ehr_studio_bridge::ErrorCode;
use serde_json::Value;

#[test]
fn real_widget_renderings() {
    let text = std::fs::read_to_string("tests/fixtures/twilio/ie-endpoint-requests.json")
        .expect("fixture");
    let doc: Value = serde_json::from_str(&text).expect("json");
    for (widget, w) in doc["widgets"].as_object().expect("widgets") {
        let body = w["example_rendering"]["body"].as_str().expect("body");
        let ct = w["content_type"].as_str().expect("ct");
        let r = parse_reply(body.as_bytes(), Some(ct)).expect(widget);
        let parsed = &w["example_rendering"]["parsed"];
        assert_eq!(
            r.appointment_id,
            parsed["appointment_id"].as_str().expect("id")
        );
        assert_eq!(r.patient_id, parsed["patient_id"].as_str().expect("id"));
        assert_eq!(r.provider_id, parsed["provider_id"].as_str().expect("id"));
        assert_eq!(r.flow_sid, parsed["flow_sid"].as_str().expect("sid"));
        let ev = parsed["event_type"].as_str().expect("ev");
        assert_eq!(r.event_type.as_str(), ev.to_ascii_uppercase());
        assert!(r.possible_widgets.iter().any(|p| p == widget), "{widget}");
    }
}

#[test]
fn table_c_fixtures() {
    for (file, ev) in [
        ("twilio-reply-confirm.json", ReplyEvent::Confirm),
        ("twilio-reply-cancel.json", ReplyEvent::Cancel),
    ] {
        let b =
            std::fs::read(format!("tests/fixtures/fhir/synthetic/outbound/{file}")).expect(file);
        let r = parse_reply(&b, None).expect(file);
        assert_eq!(r.event_type, ev);
        assert!(r
            .warnings
            .iter()
            .any(|w| w.code == "REPLY_FLOW_SID_MALFORMED"));
    }
}

#[test]
fn liquid_injected_quote_breaks_the_body() {
    // what the unpatched template renders for an id containing a double quote
    let body = "{\n\"flow_sid\": \"FW0123456789abcdef0123456789abcdef\",\n\"event_type\": \"Cancel\",\n\"appointment_id\": \"20\"00\",\n\"provider_id\": \"afauci\",\n\"patient_id\": \"1000\"\n}";
    let e = parse_reply(body.as_bytes(), None).expect_err("invalid");
    assert_eq!(e.code, ErrorCode::JsonInvalid);
    assert!(!e.to_string().contains("20\"00"));
}
