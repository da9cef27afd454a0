//! Generic JSON (profile `json` mapping), Table B passthrough, input detection and the
//! `map_input` dispatcher.
#![cfg(not(target_arch = "wasm32"))]

use ehr_studio_bridge::{
    detect,
    event::{skip_codes, MapResult},
    inbound::detect::detect_value,
    map_input, map_json, CompiledProfile, InputKind, MapOptions,
};
use serde_json::{json, Value};

const FEED_PROFILE: &str = r#"{
  "sender": {"timeZone": "America/New_York", "defaultCountry": "US"},
  "defaults": {"providerCallbackPhone": "(800) 555-2222"},
  "json": {
    "fields": {
      "event_type": "/kind",
      "patient_id": ["/patient/mrn", "/patient/id"],
      "patient_first_name": "/patient/first",
      "patient_last_name": "/patient/last",
      "patient_phone": ["/patient/cell", "/patient/home"],
      "provider_id": "/doctor/npi",
      "provider_last_name": "/doctor/last",
      "appointment_location": "/clinic/name",
      "appointment_id": "/id",
      "appointment_datetime": "/start"
    },
    "events": {"new": "BOOKED", "moved": "RESCHEDULED", "deleted": "CANCELED", "draft": "skip"},
    "eventTime": "/sentAt",
    "timeZone": "/clinic/tz"
  }
}"#;

fn feed() -> Value {
    json!({
        "kind": "new", "id": 4711, "start": "2024-11-03T06:30:00Z", "sentAt": "2024-10-20T12:00:00-04:00",
        "patient": {"mrn": "M-1", "first": "Ana", "last": "Lima", "cell": "617-555-0142", "home": "617-555-0100"},
        "doctor": {"npi": "1234567893", "last": "Welby"},
        "clinic": {"name": "Back Bay Clinic", "tz": "America/Chicago"}
    })
}

fn profile(p: &str) -> CompiledProfile {
    CompiledProfile::from_json(p).unwrap()
}

fn mapj(doc: &Value, p: &str) -> MapResult {
    map_json(&serde_json::to_vec(doc).unwrap(), &profile(p)).unwrap()
}

#[test]
fn generic_mapping() {
    let r = mapj(&feed(), FEED_PROFILE);
    let e = r.event.clone().unwrap();
    assert_eq!(e.event_type, "BOOKED");
    assert_eq!(e.appointment_id, "4711");
    assert_eq!(e.event_datetime_utc, "2024-10-20T16:00:00Z");
    // The document's zone (Chicago) wins over sender.timeZone; 2024-11-03 06:30Z is 01:30 CDT
    // (the first 01:30 of the fall-back day).
    assert_eq!(
        (
            e.appointment_datetime.as_str(),
            e.appointment_timezone.as_str()
        ),
        ("2024-11-03T01:30:00", "-0500")
    );
    assert_eq!(e.patient_phone, "+16175550142");
    assert_eq!(e.provider_callback_phone, "(800) 555-2222");
    assert_eq!(
        r.provenance
            .get(ehr_studio_bridge::event::Field::PatientPhone)
            .unwrap()
            .source
            .to_string(),
        "/patient/cell"
    );
    // Fallback pointer, value map, skip, unknown value.
    let mut d = feed();
    d["patient"]["mrn"] = Value::Null;
    d["patient"]["id"] = json!(99);
    d["kind"] = json!("Moved");
    let e = mapj(&d, FEED_PROFILE).event.unwrap();
    assert_eq!(
        (e.patient_id.as_str(), e.event_type.as_str()),
        ("99", "RESCHEDULED")
    );
    d["kind"] = json!("draft");
    assert_eq!(
        mapj(&d, FEED_PROFILE).skip.unwrap().rule.as_deref(),
        Some("json.events.draft")
    );
    d["kind"] = json!("CANCELED");
    assert_eq!(mapj(&d, FEED_PROFILE).event.unwrap().event_type, "CANCELED");
    d["kind"] = json!("archived");
    assert_eq!(
        mapj(&d, FEED_PROFILE).skip.unwrap().code,
        skip_codes::NOT_SCHEDULING_EVENT
    );
    // Only the fallback (home) number: unmarked, with a warning.
    let mut d = feed();
    d["patient"]["cell"] = Value::Null;
    let r = mapj(&d, FEED_PROFILE);
    assert!(r
        .warnings
        .iter()
        .any(|w| w.code == "MAP_PHONE_NOT_MARKED_MOBILE"));
    // Wrong type at a configured pointer → JSON_BAD_TYPE at that pointer.
    let mut d = feed();
    d["patient"]["first"] = json!({"x": 1});
    let e = map_json(&serde_json::to_vec(&d).unwrap(), &profile(FEED_PROFILE)).unwrap_err();
    assert_eq!(
        (
            e.code.as_str(),
            e.position.unwrap().pointer.unwrap().as_str()
        ),
        ("JSON_BAD_TYPE", "/patient/first")
    );
    // map_input dispatches an unknown shape to the mapping when configured, else refuses it.
    let bytes = serde_json::to_vec(&feed()).unwrap();
    assert_eq!(detect(&bytes), InputKind::Json);
    assert_eq!(
        map_input(&bytes, &profile(FEED_PROFILE), &MapOptions::default()).unwrap(),
        r_without_change(&feed())
    );
    let e = map_input(&bytes, &CompiledProfile::default(), &MapOptions::default()).unwrap_err();
    assert_eq!(e.code.as_str(), "UNKNOWN_INPUT_KIND");
}

fn r_without_change(d: &Value) -> MapResult {
    mapj(d, FEED_PROFILE)
}

fn table_b() -> Value {
    json!({
        "event_type": "booked", "event_datetime_utc": "2025-03-05T14:30:12-05:00",
        "patient_id": "MRN0012345", "patient_first_name": "Zoë", "patient_last_name": "O’Neil",
        "patient_phone": "(617) 555-0143", "provider_id": "1234567", "provider_first_name": "Marcus",
        "provider_last_name": "Welby", "provider_callback_phone": "(617) 555-0100",
        "appointment_location": "Cardiology, 2nd floor", "appointment_id": "FIL/7788",
        "appointment_datetime": "2025-03-10T08:30:00", "appointment_timezone": "-05:00"
    })
}

#[test]
fn table_b_passthrough_repairs_and_sanitizes() {
    let doc = table_b();
    let bytes = serde_json::to_vec(&doc).unwrap();
    assert_eq!(detect(&bytes), InputKind::TableB);
    let p = r#"{"sender":{"timeZone":"America/New_York","defaultCountry":"US"}}"#;
    let r = mapj(&doc, p);
    let e = r.event.clone().unwrap();
    assert_eq!(e.event_type, "BOOKED");
    assert_eq!(e.event_datetime_utc, "2025-03-05T19:30:12Z");
    assert_eq!(e.patient_phone, "+16175550143");
    assert_eq!(e.patient_last_name, "O'Neil");
    assert_eq!(e.appointment_location, "Cardiology - 2nd floor");
    assert_eq!(e.appointment_id, "FIL%2F7788");
    assert_eq!(e.appointment_timezone, "-0500");
    let codes: Vec<&str> = r.warnings.iter().map(|w| w.code).collect();
    for c in [
        "TABLEB_EVENT_TYPE_NORMALIZED",
        "TABLEB_TIMEZONE_COMPUTED",
        "SANITIZE_ID_ENCODED",
        "SANITIZE_REPLACED",
    ] {
        assert!(codes.contains(&c), "{c}: {codes:?}");
    }
    assert_eq!(
        map_input(&bytes, &profile(p), &MapOptions::default()).unwrap(),
        r
    );
    // Strict mode rejects what repair mode changes.
    let e = map_json(
        &bytes,
        &profile(r#"{"sanitize":"strict","sender":{"timeZone":"America/New_York"}}"#),
    )
    .unwrap_err();
    assert_eq!(e.code.as_str(), "MAP_STRICT_REJECTED");
    // A start with an offset is localized; a missing offset is computed from the zone (DST).
    let mut d = table_b();
    d["appointment_datetime"] = json!("2025-07-10T12:30:00Z");
    d["appointment_timezone"] = Value::Null;
    let r = mapj(&d, p);
    let e = r.event.unwrap();
    assert_eq!(
        (
            e.appointment_datetime.as_str(),
            e.appointment_timezone.as_str()
        ),
        ("2025-07-10T08:30:00", "-0400")
    );
    assert!(r
        .warnings
        .iter()
        .any(|w| w.code == "TABLEB_DATETIME_LOCALIZED"));
    let mut d = table_b();
    d["appointment_timezone"] = Value::Null;
    assert_eq!(mapj(&d, p).event.unwrap().appointment_timezone, "-0400");
    assert_eq!(
        mapj(&d, "{}").skip.unwrap().code,
        skip_codes::MISSING_REQUIRED
    );
    // Missing phone → no mobile; missing ids → missing required.
    let mut d = table_b();
    d.as_object_mut().unwrap().remove("patient_phone");
    assert_eq!(mapj(&d, p).skip.unwrap().code, skip_codes::NO_MOBILE_PHONE);
    let mut d = table_b();
    d["appointment_id"] = json!("");
    assert_eq!(mapj(&d, p).skip.unwrap().code, skip_codes::MISSING_REQUIRED);
    // Coded errors with pointers.
    for (patch, code, ptr) in [
        (
            json!({"patient_fone": "x"}),
            "MAP_BAD_EVENT",
            "/patient_fone",
        ),
        (json!({"patient_id": 12}), "JSON_BAD_TYPE", "/patient_id"),
        (
            json!({"event_type": "REMIND"}),
            "MAP_BAD_EVENT",
            "/event_type",
        ),
        (
            json!({"appointment_timezone": "EST"}),
            "MAP_BAD_EVENT",
            "/appointment_timezone",
        ),
        (
            json!({"appointment_datetime": "tomorrow"}),
            "MAP_BAD_EVENT",
            "/appointment_datetime",
        ),
        (json!({"patientId": "dup"}), "MAP_BAD_EVENT", "/patient_id"),
    ] {
        let mut d = table_b();
        for (k, v) in patch.as_object().unwrap() {
            d[k] = v.clone();
        }
        let e = map_json(&serde_json::to_vec(&d).unwrap(), &profile(p)).unwrap_err();
        assert_eq!(
            (
                e.code.as_str(),
                e.position
                    .and_then(|x| x.pointer)
                    .unwrap_or_default()
                    .as_str()
            ),
            (code, ptr),
            "{patch}"
        );
    }
}

#[test]
fn detection() {
    let hl7 = std::fs::read("tests/fixtures/perf/siu_s12_small.hl7").unwrap();
    for prefix in [
        &b""[..],
        b"\xEF\xBB\xBF",
        b"\x0b",
        b"\r\n  \t",
        b"\xEF\xBB\xBF\x0b\n",
    ] {
        let mut v = prefix.to_vec();
        v.extend_from_slice(&hl7);
        assert_eq!(detect(&v), InputKind::Hl7);
        assert_eq!(
            map_input(&v, &CompiledProfile::default(), &MapOptions::default())
                .unwrap()
                .event
                .unwrap()
                .event_type,
            "BOOKED"
        );
    }
    let fhir =
        std::fs::read("tests/fixtures/fhir/synthetic/r4-appointment-contained.json").unwrap();
    assert_eq!(detect(&fhir), InputKind::Fhir);
    let redox = std::fs::read("tests/fixtures/redox/scheduling-cancel.json").unwrap();
    assert_eq!(detect(&redox), InputKind::Redox);
    assert_eq!(detect(b"[1,2]"), InputKind::Unknown);
    assert_eq!(detect(b"{oops"), InputKind::Unknown);
    assert_eq!(detect(b""), InputKind::Unknown);
    assert_eq!(
        detect_value(&json!({"event_type": "BOOKED"})),
        InputKind::Json
    );
    assert_eq!(
        detect_value(&json!({"event_type": "BOOKED", "patient_id": "1", "extra": 1})),
        InputKind::Json
    );
    // map_input errors.
    let p = CompiledProfile::default();
    let o = MapOptions::default();
    assert_eq!(
        map_input(b"  \n", &p, &o).unwrap_err().code.as_str(),
        "EMPTY_INPUT"
    );
    assert_eq!(
        map_input(b"hello", &p, &o).unwrap_err().code.as_str(),
        "UNKNOWN_INPUT_KIND"
    );
    assert_eq!(
        map_input(b"{\"a\":", &p, &o).unwrap_err().code.as_str(),
        "JSON_INVALID"
    );
    assert_eq!(
        map_input(b"[1]", &p, &o).unwrap_err().code.as_str(),
        "UNKNOWN_INPUT_KIND"
    );
    // A forced kind is obeyed.
    let forced = MapOptions {
        kind: Some(InputKind::Fhir),
        ..Default::default()
    };
    assert_eq!(
        map_input(&redox, &p, &forced).unwrap_err().code.as_str(),
        "FHIR_MISSING_ELEMENT"
    );
    let o = MapOptions::from_json(r#"{"kind":"redox","trigger":"S12"}"#).unwrap();
    assert_eq!(o.kind, Some(InputKind::Redox));
    let e = MapOptions::from_json(r#"{"kind":"xml"}"#).unwrap_err();
    assert_eq!(
        (
            e.code.as_str(),
            e.position.unwrap().pointer.unwrap().as_str()
        ),
        ("BAD_ARGUMENT", "/kind")
    );
    assert_eq!(
        serde_json::to_string(&InputKind::TableB).unwrap(),
        "\"tableB\""
    );
}

/// No message may carry a value from the input, for the generic mapping and Table B.
#[test]
fn messages_never_contain_marked_values() {
    let mut d = feed();
    d["patient"] = json!({"mrn": "Zqmark/1", "first": "Zqmark€", "last": "Zq, mark", "cell": "zqmark 0142", "home": "(190) 555-0142"});
    d["clinic"] = json!({"name": "Zqmark & Co", "tz": "Zqmark/Zone"});
    d["start"] = json!("zqmark");
    d["sentAt"] = json!("zqmark-time");
    let mut t = table_b();
    t["patient_phone"] = json!("zqmark 0142");
    t["patient_first_name"] = json!("Zqmark\u{0007}");
    t["event_datetime_utc"] = json!("zqmark");
    for (doc, p) in [(d, FEED_PROFILE), (t, "{}")] {
        let r = mapj(&doc, p);
        let j = serde_json::to_value(&r).unwrap();
        for w in j["warnings"].as_array().unwrap() {
            let m = w["message"].as_str().unwrap().to_lowercase();
            assert!(!m.contains("zqmark") && !m.contains("0142"), "{m}");
        }
        if let Some(s) = j["skip"]["reason"].as_str() {
            assert!(!s.to_lowercase().contains("zqmark"), "{s}");
        }
    }
}

#[test]
fn mapping_doc_is_in_sync() {
    let md = ehr_studio_bridge::inbound::generic_map::render_markdown();
    let path = "docs/json-mapping.md";
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::write(path, &md).unwrap();
        return;
    }
    assert!(
        std::fs::read_to_string(path).unwrap_or_default() == md,
        "{path} is out of date: run UPDATE_GOLDEN=1 cargo test --test json_inputs mapping_doc"
    );
}
