//! FHIR write requests compared, as JSON values, with tests/fixtures/fhir/synthetic/outbound/*
//! and the Oracle Health Millennium examples in tests/fixtures/fhir/vendor/oracle-cerner/.

use ehr_studio_bridge::reply::{parse_reply, reply_to_fhir, Reply, ReplyConfig};
use serde_json::{json, Value};

fn fixture(path: &str) -> Value {
    let text = std::fs::read_to_string(format!("tests/fixtures/fhir/{path}")).expect(path);
    let mut v: Value = serde_json::from_str(&text).expect("json");
    if let Some(o) = v.as_object_mut() {
        o.remove("_comment");
    }
    v
}

fn reply(kind: &str) -> Reply {
    let bytes = std::fs::read(format!(
        "tests/fixtures/fhir/synthetic/outbound/twilio-reply-{kind}.json"
    ))
    .expect("reply fixture");
    parse_reply(&bytes, Some("application/json")).expect("reply")
}

fn cfg(fhir: Value) -> ReplyConfig {
    ReplyConfig::from_json(&json!({ "fhir": fhir }).to_string()).expect("config")
}

/// The Appointment as the host read it (version 3, patient participant first).
fn current(patient_status: &str) -> Value {
    json!({
        "resourceType": "Appointment",
        "id": "A1001",
        "meta": {"versionId": "3"},
        "status": "booked",
        "participant": [
            {"actor": {"reference": "Patient/P1"}, "status": patient_status},
            {"actor": {"reference": "Practitioner/PR77"}, "status": "accepted"}
        ]
    })
}

const BASE: &str = "https://ehr.example.org/fhir/r4";
const ORACLE: &str = "https://fhir-ehr-code.cerner.com/r4/{tenant}";

fn request(r: &Reply, c: &ReplyConfig, cur: Option<&Value>) -> Value {
    let out = reply_to_fhir(r, c, cur).expect("fhir");
    assert_eq!(out.action, "write");
    assert!(!out.needs_read);
    serde_json::to_value(out.request.expect("request")).expect("json")
}

#[test]
fn generic_json_patch() {
    let c = cfg(json!({"baseUrl": BASE}));
    let cur = current("needs-action");
    assert_eq!(
        request(&reply("cancel"), &c, Some(&cur)),
        fixture("synthetic/outbound/generic-r4-cancel.json-patch.request.json")
    );
    assert_eq!(
        request(&reply("confirm"), &c, Some(&cur)),
        fixture("synthetic/outbound/generic-r4-confirm.json-patch.request.json")
    );
}

#[test]
fn generic_fhirpath_patch() {
    let c = cfg(json!({
        "baseUrl": BASE, "style": "fhirpath-patch",
        "cancelReason": {"system": "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason", "code": "pat-crs"}
    }));
    let cur = current("needs-action");
    assert_eq!(
        request(&reply("cancel"), &c, Some(&cur)),
        fixture("synthetic/outbound/generic-r4-cancel.fhirpath-patch.request.json")
    );
    assert_eq!(
        request(&reply("confirm"), &c, Some(&cur)),
        fixture("synthetic/outbound/generic-r4-confirm.fhirpath-patch.request.json")
    );
    // without the resource: no index is needed, the configured reference is used, no If-Match
    let blind = request(&reply("confirm"), &c, None);
    let mut expected = fixture("synthetic/outbound/generic-r4-confirm.fhirpath-patch.request.json");
    expected["headers"]
        .as_object_mut()
        .expect("headers")
        .remove("If-Match");
    assert_eq!(blind, expected);
}

#[test]
fn generic_appointment_response() {
    let c = cfg(json!({"baseUrl": BASE, "style": "appointment-response"}));
    assert_eq!(
        request(&reply("confirm"), &c, None),
        fixture("synthetic/outbound/generic-r4-confirm.appointmentresponse.request.json")
    );
}

#[test]
fn generic_put() {
    let c = cfg(json!({"baseUrl": BASE, "style": "put"}));
    let first = reply_to_fhir(&reply("cancel"), &c, None).expect("fhir");
    assert_eq!(first.action, "read");
    let get = serde_json::to_value(first.request.expect("get")).expect("json");
    assert_eq!(get["method"], "GET");
    assert_eq!(get["url"], format!("{BASE}/Appointment/A1001"));
    assert!(get.get("body").is_none());
    let put = request(&reply("cancel"), &c, Some(&current("accepted")));
    assert_eq!(put["method"], "PUT");
    assert_eq!(put["headers"]["Content-Type"], "application/fhir+json");
    assert_eq!(put["headers"]["If-Match"], "W/\"3\"");
    let mut expected = current("accepted");
    expected["status"] = json!("cancelled");
    expected["cancelationReason"] = json!({"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason",
        "code": "pat-crs", "display": "Patient: Canceled via automated reminder system"}]});
    assert_eq!(put["body"], expected);
}

#[test]
fn oracle_millennium() {
    let c = cfg(json!({"baseUrl": ORACLE, "target": "oracle-millennium"}));
    // If-Match is mandatory: without the resource the host is asked to read first
    let first = reply_to_fhir(&reply("cancel"), &c, None).expect("fhir");
    assert!(first.needs_read);
    assert_eq!(first.target, "oracle-millennium");
    let cur = current("tentative");
    let cancel = request(&reply("cancel"), &c, Some(&cur));
    assert_eq!(
        cancel,
        fixture("synthetic/outbound/oracle-cerner-cancel.request.json")
    );
    let confirm = request(&reply("confirm"), &c, Some(&cur));
    assert_eq!(
        confirm,
        fixture("synthetic/outbound/oracle-cerner-confirm.request.json")
    );
    assert_eq!(
        confirm["body"],
        fixture("vendor/oracle-cerner/patch-patient-participant-status-accepted.json")
    );
    // the vendor's own cancel example, with its reason code
    let c2 = cfg(json!({"baseUrl": ORACLE, "target": "oracle-millennium",
        "cancelReason": {"system": "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason", "code": "oth-err"}}));
    assert_eq!(
        request(&reply("cancel"), &c2, Some(&cur))["body"],
        fixture("vendor/oracle-cerner/patch-cancel-with-reason.json")
    );
    // with only the ETag header known
    let wrapped = json!({"etag": "W/\"3\""});
    assert_eq!(
        request(&reply("cancel"), &c, Some(&wrapped)),
        fixture("synthetic/outbound/oracle-cerner-cancel.request.json")
    );
}

#[test]
fn oracle_example_appointment_is_already_cancelled() {
    let c = cfg(json!({"baseUrl": ORACLE, "target": "oracle-millennium"}));
    let cur = fixture("vendor/oracle-cerner/appointment-4822366-cancelled.json");
    let mut r = reply("cancel");
    r.appointment_id = cur["id"].as_str().expect("id").to_owned();
    let out = reply_to_fhir(&r, &c, Some(&cur)).expect("fhir");
    assert_eq!(
        (out.action, out.reason),
        ("none", Some("ALREADY_CANCELLED"))
    );
}

#[test]
fn two_phase_confirm_with_json_patch() {
    let c = cfg(json!({"baseUrl": BASE}));
    let first = reply_to_fhir(&reply("confirm"), &c, None).expect("fhir");
    let j = serde_json::to_value(&first).expect("json");
    assert_eq!(j["action"], "read");
    assert_eq!(j["needsRead"], true);
    assert_eq!(j["style"], "json-patch");
    assert_eq!(j["request"]["method"], "GET");
    assert_eq!(j["request"]["headers"]["Accept"], "application/fhir+json");
    let second = reply_to_fhir(&reply("confirm"), &c, Some(&current("tentative"))).expect("fhir");
    assert_eq!(second.action, "write");
}
