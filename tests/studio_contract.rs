//! Contract tests against the real PAM artefacts: the Studio flow JSON, the `validateAppointment`
//! samples, the `save-*` parsing samples and the `get-datetime-parts` samples.

use ehr_studio_bridge::{
    build_studio_execution,
    event::{AppointmentEvent, Field},
    map_hl7,
    studio::params::{check_value, parse_like_save_function, render_flow_data, validate},
    CompiledProfile, StudioConfig,
};
use serde_json::Value;
use std::collections::BTreeSet;

fn fixture(name: &str) -> Value {
    let s = std::fs::read_to_string(format!("tests/fixtures/twilio/{name}")).unwrap();
    serde_json::from_str(&s).unwrap()
}

/// Every `{{flow.data.X}}` the flow template reads, and the event types its split routes.
fn flow_contract() -> (BTreeSet<String>, BTreeSet<String>) {
    let flow = fixture("studio-flow-template.json");
    let text = flow.to_string();
    let mut keys = BTreeSet::new();
    for part in text.split("flow.data.").skip(1) {
        let k: String = part
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        keys.insert(k);
    }
    let mut routed = BTreeSet::new();
    for st in flow["states"].as_array().unwrap() {
        if st["name"] == "split_on_event_type" {
            for t in st["transitions"].as_array().unwrap() {
                for c in t["conditions"].as_array().into_iter().flatten() {
                    routed.insert(c["value"].as_str().unwrap().to_owned());
                }
            }
        }
    }
    (keys, routed)
}

/// The perf sample with another trigger and filler status.
fn siu(trigger: &str, status: &str) -> Vec<u8> {
    let raw = std::fs::read_to_string("tests/fixtures/perf/siu_s12_small.hl7").unwrap();
    raw.replace("SIU^S12^SIU_S12", &format!("SIU^{trigger}^SIU_S12"))
        .replace(
            "|||Booked^Booked^HL70278\r",
            &format!("|||{status}^{status}^HL70278\r"),
        )
        .into_bytes()
}

#[test]
fn every_event_type_satisfies_the_flow() {
    let (keys, routed) = flow_contract();
    assert!(keys.len() >= 9, "{keys:?}");
    for k in &keys {
        assert!(
            Field::from_name(k).is_some(),
            "the flow reads {k}, which is not a Table B key"
        );
    }
    let cfg = StudioConfig::new("FW0123456789abcdef0123456789abcdef", "+15017122661");
    let profile = CompiledProfile::from_json(
        r#"{"sender":{"timeZone":"America/New_York","defaultCountry":"US"}}"#,
    )
    .unwrap();
    let cases = [
        ("S12", "Booked", "BOOKED"),
        ("S13", "Booked", "RESCHEDULED"),
        ("S14", "Booked", "MODIFIED"),
        ("S14", "Confirmed", "CONFIRMED"),
        ("S15", "Cancelled", "CANCELED"),
        ("S26", "Noshow", "NOSHOWED"),
    ];
    for (trigger, status, expected) in cases {
        let r = map_hl7(&siu(trigger, status), &profile).unwrap();
        let e = r
            .event
            .unwrap_or_else(|| panic!("{trigger}: skipped: {:?}", r.skip));
        assert_eq!(e.event_type, expected);
        assert!(
            routed.contains(&e.event_type),
            "{expected} is not routed by the flow"
        );
        let req = build_studio_execution(&e, &cfg, None).unwrap();
        let params: Value = serde_json::from_str(&req.form.parameters).unwrap();
        let obj = params.as_object().unwrap();
        assert_eq!(obj.len(), 14);
        for k in &keys {
            let v = obj
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{k} missing"));
            assert!(
                !v.is_empty(),
                "{expected}: {k} is empty but the flow reads it"
            );
            let f = Field::from_name(k).unwrap();
            assert_eq!(
                check_value(f, v),
                None,
                "{expected}: {k} fails the PAM validator"
            );
        }
        assert!(validate(&e).is_empty(), "{expected}: {:?}", validate(&e));
        // The Run Function sees {{flow.data}} as {k=v, …}: it must parse back to the same values.
        let parsed = parse_like_save_function(&render_flow_data(&e)).unwrap();
        for (k, v) in parsed {
            assert_eq!(
                obj[&k].as_str().unwrap(),
                v,
                "{k} changed in the save-* parsing"
            );
        }
        assert_eq!(req.form.to, e.patient_phone);
        // appointment_datetime: local wall time, no offset; event time UTC with Z.
        assert_eq!(e.appointment_datetime.len(), 19);
        assert!(e.event_datetime_utc.ends_with('Z'));
    }
}

/// Our validator agrees with every `validateAppointment` sample.
#[test]
fn validator_matches_pam_samples() {
    let dir = std::fs::read_dir("tests/fixtures/twilio").unwrap();
    let mut n = 0;
    for e in dir {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("helpers-validate-appointment-") {
            continue;
        }
        let fx = fixture(&name);
        let appt = fx["appointment"].as_object().unwrap();
        // validateAppointment: event_type and patient_id are required, the rest checked when truthy.
        let mut ok = true;
        for f in Field::ALL {
            match appt.get(f.name()).and_then(Value::as_str) {
                Some(v) => ok &= check_value(f, v).is_none(),
                None => ok &= !matches!(f, Field::EventType | Field::PatientId),
            }
        }
        assert_eq!(ok, fx["expected"]["valid"].as_bool().unwrap(), "{name}");
        n += 1;
    }
    assert_eq!(n, 7);
}

/// Our reproduction of the save-* parser gives the objects the PAM unit tests expect.
#[test]
fn save_parser_matches_pam_samples() {
    let mut n = 0;
    for e in std::fs::read_dir("tests/fixtures/twilio").unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if !(name.starts_with("save-") && name.ends_with("-normal.json")) {
            continue;
        }
        let fx = fixture(&name);
        let Some(s) = fx["event"]["appointment"].as_str() else {
            continue;
        };
        let parsed = parse_like_save_function(s).unwrap();
        let want = fx["appointment_parsed"].as_object().unwrap();
        assert_eq!(parsed.len(), want.len(), "{name}");
        for (k, v) in parsed {
            assert_eq!(want[&k].as_str().unwrap(), v, "{name}: {k}");
        }
        n += 1;
    }
    assert!(n >= 6);
}

/// get-datetime-parts reads appointment_datetime with UTC getters: a value without offset keeps its
/// wall-clock digits, which is why the mapper never sends an offset.
#[test]
fn readable_datetime_keeps_wall_time() {
    fn readable(iso: &str) -> String {
        let t =
            chrono::NaiveDateTime::parse_from_str(iso.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S")
                .unwrap();
        use chrono::{Datelike, Timelike};
        let (h, pm) = match t.hour() {
            0 => (12, false),
            12 => (12, true),
            h if h > 12 => (h - 12, true),
            h => (h, false),
        };
        format!(
            "{h}:{:02} {} on {}, {} {}, {}",
            t.minute(),
            if pm { "PM" } else { "AM" },
            t.format("%A"),
            t.format("%B"),
            t.day(),
            t.year()
        )
    }
    for e in std::fs::read_dir("tests/fixtures/twilio").unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with("get-datetime-parts-") {
            let fx = fixture(&name);
            let iso = fx["event"]["datetime_iso"].as_str().unwrap();
            assert_eq!(
                readable(iso),
                fx["expected_response"]["readable_datetime"]
                    .as_str()
                    .unwrap(),
                "{name}"
            );
        }
    }
    // Without a zone the start is shown as written (TQ1-7 20250310083000-0500)…
    let e: AppointmentEvent = map_hl7(&siu("S12", "Booked"), &CompiledProfile::default())
        .unwrap()
        .event
        .unwrap();
    assert_eq!(
        readable(&e.appointment_datetime),
        "8:30 AM on Monday, March 10, 2025"
    );
    assert_eq!(e.appointment_timezone, "-0500");
    // …with America/New_York the instant is shown in the zone: US DST began on March 9, 2025, so
    // the sender's -0500 is not New York's offset that day (a warning says so).
    let profile =
        CompiledProfile::from_json(r#"{"sender":{"timeZone":"America/New_York"}}"#).unwrap();
    let r = map_hl7(&siu("S12", "Booked"), &profile).unwrap();
    assert!(r
        .warnings
        .iter()
        .any(|w| w.code == "MAP_OFFSET_NOT_SENDER_ZONE"));
    let e = r.event.unwrap();
    assert_eq!(
        readable(&e.appointment_datetime),
        "9:30 AM on Monday, March 10, 2025"
    );
    assert_eq!(e.appointment_timezone, "-0400");
}
