//! Golden outputs for every Redox fixture (tests/fixtures/redox, including the synthetic New /
//! Reschedule / NoShow derived ones): `map_redox` with the sandbox's profile, and the Studio form.
//! `map_input` must give the same result. The mapping table is rendered to
//! `docs/redox-mapping.md`. Regenerate with `UPDATE_GOLDEN=1 cargo test --test redox_golden`, then
//! review (tests/golden/redox/REVIEW.md).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use ehr_studio_bridge::{
    build_studio_execution, event::skip_codes, inbound::redox_map, map_input, map_redox,
    CompiledProfile, InputKind, MapOptions, StudioConfig,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Redox's Dev Tools patient and providers are in Wisconsin (Monroe, Madison): an inference, see
/// REVIEW.md. Redox sends no zone, so a site always configures one.
const PROFILE: &str = r#"{"sender":{"timeZone":"America/Chicago","defaultCountry":"US"}}"#;

fn files() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in ["tests/fixtures/redox", "tests/fixtures/redox/synthetic"] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "json") {
                v.push(p);
            }
        }
    }
    v.sort();
    v
}

fn name(p: &Path) -> String {
    p.strip_prefix("tests/fixtures/redox/")
        .unwrap()
        .to_string_lossy()
        .replace('/', "__")
}

fn golden_for(p: &Path) -> Value {
    let profile = CompiledProfile::from_json(PROFILE).unwrap();
    let bytes = std::fs::read(p).unwrap();
    let r = map_redox(&bytes, &profile).unwrap();
    let via_input = map_input(&bytes, &profile, &MapOptions::default()).unwrap();
    assert_eq!(r, via_input, "map_input must dispatch to map_redox");
    assert_eq!(ehr_studio_bridge::detect(&bytes), InputKind::Redox);
    let cfg = StudioConfig::new("FW0123456789abcdef0123456789abcdef", "+15017122661");
    let form = r.event.as_ref().map(|e| {
        serde_json::to_value(build_studio_execution(e, &cfg, None).unwrap().form).unwrap()
    });
    json!({
        "file": format!("redox/{}", p.strip_prefix("tests/fixtures/redox/").unwrap().to_string_lossy()),
        "profile": serde_json::from_str::<Value>(PROFILE).unwrap(),
        "result": r,
        "studioForm": form,
    })
}

fn update() -> bool {
    std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1")
}

#[test]
fn every_redox_fixture_matches_its_golden() {
    let fs = files();
    assert_eq!(fs.len(), 6);
    let cases = fs.iter().map(|f| (name(f), golden_for(f))).collect();
    common::check_goldens("tests/golden/redox", "redox_golden", cases);
}

#[test]
fn events_per_event_type() {
    let want = [
        ("scheduling-cancel-weinfuse-2020.json", "CANCELED"),
        ("scheduling-cancel.json", "CANCELED"),
        ("scheduling-modification.json", "MODIFIED"),
        ("synthetic__scheduling-new.json", "BOOKED"),
        ("synthetic__scheduling-noshow.json", "NOSHOWED"),
        ("synthetic__scheduling-reschedule.json", "RESCHEDULED"),
    ];
    for f in files() {
        let g = golden_for(&f);
        let n = name(&f);
        let ev = want.iter().find(|(k, _)| *k == n).unwrap().1;
        assert_eq!(g["result"]["event"]["event_type"], ev, "{n}");
        let p: Value =
            serde_json::from_str(g["studioForm"]["Parameters"].as_str().unwrap()).unwrap();
        assert_eq!(p.as_object().unwrap().len(), 14);
        // Both Meta shapes give a delivery id.
        assert!(g["result"]["ids"]["eventId"].is_string(), "{n}");
    }
}

#[test]
fn mapping_doc_is_in_sync() {
    let md = redox_map::render_markdown();
    let path = "docs/redox-mapping.md";
    if update() {
        std::fs::write(path, &md).unwrap();
        return;
    }
    assert!(
        std::fs::read_to_string(path).unwrap_or_default() == md,
        "{path} is out of date: run UPDATE_GOLDEN=1 cargo test --test redox_golden"
    );
}

fn modified(f: impl Fn(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(
        &std::fs::read("tests/fixtures/redox/scheduling-modification.json").unwrap(),
    )
    .unwrap();
    f(&mut v);
    serde_json::to_vec(&v).unwrap()
}

fn map(bytes: &[u8], profile: &str) -> ehr_studio_bridge::MapResult {
    map_redox(bytes, &CompiledProfile::from_json(profile).unwrap()).unwrap()
}

#[test]
fn behaviours() {
    // Mobile beats Home; Confirmed status turns a Modification into CONFIRMED.
    let b = modified(|v| {
        v["Patient"]["Demographics"]["PhoneNumber"]["Mobile"] = json!("+16085550142");
        v["Visit"]["Status"] = json!("Confirmed");
    });
    let r = map(&b, PROFILE);
    let e = r.event.unwrap();
    assert_eq!(
        (e.event_type.as_str(), e.patient_phone.as_str()),
        ("CONFIRMED", "+16085550142")
    );
    assert!(!r
        .warnings
        .iter()
        .any(|w| w.code == "MAP_PHONE_NOT_MARKED_MOBILE"));
    // phones.requireMobile: the Home number is not used.
    let r = map(
        &modified(|_| {}),
        r#"{"sender":{"timeZone":"America/Chicago"},"phones":{"requireMobile":true}}"#,
    );
    assert_eq!(r.skip.unwrap().code, skip_codes::NO_MOBILE_PHONE);
    // No zone: a Z time is never taken as the patient's zone.
    let r = map(&modified(|_| {}), "{}");
    assert_eq!(r.skip.unwrap().code, skip_codes::MISSING_REQUIRED);
    assert!(r.warnings.iter().any(|w| w.code == "MAP_ZONE_UNKNOWN"));
    // An offset without colon (Redox's own example) and a numeric VisitNumber.
    let r = map(
        &modified(|v| {
            v["Visit"]["VisitDateTime"] = json!("2016-09-21T20:00:00.000-0400");
            v["Visit"]["VisitNumber"] = json!(9876);
        }),
        PROFILE,
    );
    let e = r.event.unwrap();
    assert_eq!(
        (e.appointment_datetime.as_str(), e.appointment_id.as_str()),
        ("2016-09-21T19:00:00", "9876")
    );
    // No patient (a hold), other data models and slot events, profile skip.
    assert_eq!(
        map(&modified(|v| v["Patient"] = Value::Null), PROFILE)
            .skip
            .unwrap()
            .code,
        skip_codes::NO_PATIENT
    );
    assert_eq!(
        map(
            &modified(|v| v["Meta"]["DataModel"] = json!("PatientAdmin")),
            PROFILE
        )
        .skip
        .unwrap()
        .code,
        skip_codes::NOT_SCHEDULING_EVENT
    );
    assert_eq!(
        map(
            &modified(|v| v["Meta"]["EventType"] = json!("AvailableSlots")),
            PROFILE
        )
        .skip
        .unwrap()
        .code,
        skip_codes::NOT_SCHEDULING_EVENT
    );
    let r = map(
        &modified(|_| {}),
        r#"{"sender":{"timeZone":"America/Chicago"},"redox":{"events":{"Modification":"skip"}}}"#,
    );
    assert_eq!(
        r.skip.unwrap().rule.as_deref(),
        Some("redox.events.Modification")
    );
    // Wrong types are coded, with a pointer; a non-Redox document is REDOX_UNSUPPORTED.
    let e = map_redox(
        &modified(|v| v["Visit"]["VisitDateTime"] = json!(12)),
        &CompiledProfile::default(),
    )
    .unwrap_err();
    assert_eq!(
        (
            e.code.as_str(),
            e.position.unwrap().pointer.unwrap().as_str()
        ),
        ("JSON_BAD_TYPE", "/Visit/VisitDateTime")
    );
    let e = map_redox(
        br#"{"resourceType":"Appointment"}"#,
        &CompiledProfile::default(),
    )
    .unwrap_err();
    assert_eq!(e.code.as_str(), "REDOX_UNSUPPORTED");
    // Cancelled status on a Modification: warned, the event type decides.
    let r = map(
        &modified(|v| v["Visit"]["Status"] = json!("Canceled")),
        PROFILE,
    );
    assert!(r
        .warnings
        .iter()
        .any(|w| w.code == "MAP_EVENT_STATUS_MISMATCH"));
    assert_eq!(r.event.unwrap().event_type, "MODIFIED");
}

/// No message may carry a value from the input.
#[test]
fn warnings_never_contain_phi() {
    let b = modified(|v| {
        v["Patient"]["Demographics"]["FirstName"] = json!("Zqmarkfirst€");
        v["Patient"]["Demographics"]["LastName"] = json!("Zqmark, Last");
        v["Patient"]["Demographics"]["PhoneNumber"]["Home"] = json!("zqmark@x.org");
        v["Patient"]["Demographics"]["PhoneNumber"]["Mobile"] = json!("(190) 555-0142");
        v["Patient"]["Identifiers"][0]["IDType"] = json!("ZQMARK");
        v["Visit"]["VisitDateTime"] = json!("zqmark-date");
        v["Visit"]["Location"]["Facility"] = json!("Zqmark & Co");
        v["Visit"]["AttendingProvider"]["PhoneNumber"]["Office"] = json!("Zqmark 0142");
        v["Visit"]["Status"] = json!("zqmark");
    });
    for p in [
        PROFILE,
        "{}",
        r#"{"phones":{"requireMobile":true},"sender":{"defaultCountry":"GB"}}"#,
    ] {
        let r = map(&b, p);
        let j = serde_json::to_value(&r).unwrap();
        for w in j["warnings"].as_array().unwrap() {
            let m = w["message"].as_str().unwrap().to_lowercase();
            assert!(!m.contains("zqmark") && !m.contains("0142"), "{m}");
        }
        if let Some(s) = j["skip"]["reason"].as_str() {
            assert!(!s.to_lowercase().contains("zqmark"));
        }
    }
}
