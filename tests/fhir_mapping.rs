//! Behaviour of the FHIR mapper on variations of the synthetic searchset: event derivation
//! (status, previous snapshot, triggers, topics, R5 replaces), notifications, references, times
//! and DST, names, phones, ids, options, filters, coded errors, no PHI in messages.
#![cfg(not(target_arch = "wasm32"))]

use ehr_studio_bridge::{
    event::{skip_codes, Field, MapResult},
    map_fhir, map_input, CompiledProfile, FhirOptions, MapOptions,
};
use serde_json::{json, Value};

fn include() -> Value {
    serde_json::from_slice(
        &std::fs::read("tests/fixtures/fhir/synthetic/r4-searchset-appointment-include.json")
            .unwrap(),
    )
    .unwrap()
}

fn history_version(n: usize) -> Value {
    let h: Value = serde_json::from_slice(
        &std::fs::read("tests/fixtures/fhir/synthetic/r4-appointment-history.json").unwrap(),
    )
    .unwrap();
    // Entries are newest first: v4, v3, v2, v1.
    h["entry"][4 - n]["resource"].clone()
}

/// The searchset with its Appointment changed by `f`.
fn bundle(f: impl Fn(&mut Value)) -> Value {
    let mut b = include();
    f(&mut b["entry"][0]["resource"]);
    b
}

fn map(doc: &Value, profile: &str, opts: &FhirOptions) -> MapResult {
    map_fhir(
        &serde_json::to_vec(doc).unwrap(),
        &CompiledProfile::from_json(profile).unwrap(),
        opts,
    )
    .unwrap()
}

fn ev(r: &MapResult) -> String {
    match (&r.event, &r.skip) {
        (Some(e), _) => e.event_type.clone(),
        (None, Some(s)) => format!("skip:{}", s.code),
        _ => unreachable!(),
    }
}

fn codes(r: &MapResult) -> Vec<&'static str> {
    r.warnings.iter().map(|w| w.code).collect()
}

fn with_previous(prev: Value) -> FhirOptions {
    FhirOptions {
        previous: Some(prev),
        ..Default::default()
    }
}

#[test]
fn statuses() {
    for (st, want) in [
        ("booked", "BOOKED"),
        ("cancelled", "CANCELED"),
        ("noshow", "NOSHOWED"),
        ("entered-in-error", "CANCELED"),
        ("pending", "skip:SKIP_STATUS_NOT_NOTIFIABLE"),
        ("proposed", "skip:SKIP_STATUS_NOT_NOTIFIABLE"),
        ("waitlist", "skip:SKIP_STATUS_NOT_NOTIFIABLE"),
        ("arrived", "skip:SKIP_STATUS_NOT_NOTIFIABLE"),
        ("checked-in", "skip:SKIP_STATUS_NOT_NOTIFIABLE"),
        ("fulfilled", "skip:SKIP_STATUS_NOT_NOTIFIABLE"),
        ("bogus", "skip:SKIP_STATUS_NOT_NOTIFIABLE"),
    ] {
        let r = map(
            &bundle(|a| a["status"] = json!(st)),
            "{}",
            &FhirOptions::default(),
        );
        assert_eq!(ev(&r), want, "{st}");
    }
    let r = map(
        &bundle(|a| a["status"] = json!("entered-in-error")),
        "{}",
        &FhirOptions::default(),
    );
    assert!(codes(&r).contains(&"FHIR_ENTERED_IN_ERROR"));
    let r = map(
        &bundle(|a| a["status"] = json!("entered-in-error")),
        r#"{"fhir":{"enteredInError":"skip"}}"#,
        &FhirOptions::default(),
    );
    assert_eq!(r.skip.unwrap().rule.as_deref(), Some("fhir.enteredInError"));
}

#[test]
fn previous_snapshot_rules() {
    let v1 = history_version(1);
    // start moved → RESCHEDULED
    let r = map(
        &bundle(|a| a["start"] = json!("2024-03-14T14:00:00-05:00")),
        "{}",
        &with_previous(v1.clone()),
    );
    assert_eq!(ev(&r), "RESCHEDULED");
    assert_eq!(
        r.provenance
            .get(Field::EventType)
            .unwrap()
            .source
            .to_string(),
        "/entry/0/resource/start"
    );
    // slot changed (Oracle Health reschedule) → RESCHEDULED
    let r = map(
        &bundle(|a| a["slot"] = json!([{"reference": "Slot/2"}])),
        "{}",
        &with_previous(v1.clone()),
    );
    assert_eq!(ev(&r), "RESCHEDULED");
    // patient accepted → CONFIRMED
    let mut tentative = v1.clone();
    tentative["participant"][0]["status"] = json!("tentative");
    let r = map(&include(), "{}", &with_previous(tentative));
    assert_eq!(ev(&r), "CONFIRMED");
    // location changed → MODIFIED
    let r = map(
        &bundle(|a| {
            a["participant"][2]["actor"] = json!({"reference": "Location/L11", "display": "East"})
        }),
        "{}",
        &with_previous(v1.clone()),
    );
    assert_eq!(ev(&r), "MODIFIED");
    // an absolute reference to the same Location is not a change
    let r = map(
        &bundle(|a| {
            a["participant"][2]["actor"]["reference"] =
                json!("https://ehr.example.org/fhir/r4/Location/L10")
        }),
        "{}",
        &with_previous(v1.clone()),
    );
    assert_eq!(ev(&r), "skip:SKIP_NO_RELEVANT_CHANGE");
    // only fields the flow does not use changed → no event
    let r = map(
        &bundle(|a| {
            a["serviceType"] = json!([{"text": "Annual"}]);
            a["comment"] = json!("bring forms");
        }),
        "{}",
        &with_previous(v1.clone()),
    );
    assert_eq!(ev(&r), "skip:SKIP_NO_RELEVANT_CHANGE");
    // previous pending → BOOKED
    let mut pending = v1.clone();
    pending["status"] = json!("pending");
    assert_eq!(
        ev(&map(&include(), "{}", &with_previous(pending))),
        "BOOKED"
    );
    // already cancelled → no second CANCELED
    let mut cancelled = v1.clone();
    cancelled["status"] = json!("cancelled");
    let r = map(
        &bundle(|a| a["status"] = json!("cancelled")),
        "{}",
        &with_previous(cancelled),
    );
    assert_eq!(ev(&r), "skip:SKIP_NO_RELEVANT_CHANGE");
    // a previous Appointment with another id is a host error
    let mut other = v1;
    other["id"] = json!("B9");
    let e = map_fhir(
        &serde_json::to_vec(&include()).unwrap(),
        &CompiledProfile::default(),
        &with_previous(other),
    )
    .unwrap_err();
    assert_eq!(e.code.as_str(), "BAD_ARGUMENT");
}

#[test]
fn backport_full_resource_with_previous_is_rescheduled() {
    let raw = std::fs::read(
        "tests/fixtures/fhir/synthetic/r4-backport-notification-appointment-full-resource.json",
    )
    .unwrap();
    let r = map_fhir(
        &raw,
        &CompiledProfile::default(),
        &with_previous(history_version(1)),
    )
    .unwrap();
    assert_eq!(ev(&r), "RESCHEDULED");
    assert_eq!(r.event.unwrap().event_datetime_utc, "2024-03-05T16:00:00Z");
    // The same through map_input.
    let via = map_input(
        &raw,
        &CompiledProfile::default(),
        &MapOptions {
            previous: Some(history_version(1)),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(ev(&via), "RESCHEDULED");
}

#[test]
fn triggers_and_topics() {
    // No previous: the hint decides among the booked events.
    let v2 = bundle(|a| a["meta"]["versionId"] = json!("2"));
    let opt = |t: &str| FhirOptions {
        trigger: Some(t.into()),
        ..Default::default()
    };
    assert_eq!(ev(&map(&v2, "{}", &opt("S13"))), "RESCHEDULED");
    assert_eq!(ev(&map(&v2, "{}", &opt("S14"))), "MODIFIED");
    assert_eq!(
        ev(&map(
            &v2,
            "{}",
            &opt("https://x/SubscriptionTopic/Appointment.reschedule")
        )),
        "RESCHEDULED"
    );
    assert_eq!(
        ev(&map(&v2, "{}", &opt("S22"))),
        "skip:SKIP_NOT_SCHEDULING_EVENT"
    );
    // The profile maps topics and can skip them.
    assert_eq!(
        ev(&map(
            &v2,
            r#"{"fhir":{"events":{"appointment-moved":"RESCHEDULED"}}}"#,
            &opt("http://x/appointment-moved")
        )),
        "RESCHEDULED"
    );
    let r = map(&v2, r#"{"fhir":{"events":{"S14":"skip"}}}"#, &opt("S14"));
    assert_eq!(r.skip.unwrap().rule.as_deref(), Some("fhir.events.S14"));
    // A cancel hint on a booked appointment: the status decides.
    let r = map(&v2, "{}", &opt("S15"));
    assert_eq!(ev(&r), "BOOKED");
    assert!(codes(&r).contains(&"FHIR_TRIGGER_STATUS_MISMATCH"));
    // An unknown topic is reported; the rest decides.
    let r = map(&v2, "{}", &opt("appointment-change"));
    assert!(codes(&r).contains(&"FHIR_TRIGGER_UNRECOGNIZED"));
    assert!(codes(&r).contains(&"FHIR_EVENT_WITHOUT_PREVIOUS"));
    // A previous snapshot beats a disagreeing hint.
    let r = map(
        &bundle(|a| a["start"] = json!("2024-03-14T14:00:00-05:00")),
        "{}",
        &FhirOptions {
            previous: Some(history_version(1)),
            trigger: Some("S14".into()),
            ..Default::default()
        },
    );
    assert_eq!(ev(&r), "RESCHEDULED");
    assert!(codes(&r).contains(&"FHIR_TRIGGER_DISAGREES"));
    // MessageHeader.eventCoding inside the Bundle (FHIR-Converter style).
    let mut b = v2.clone();
    b["entry"].as_array_mut().unwrap().push(json!({"resource": {"resourceType": "MessageHeader", "eventCoding": {"system": "http://terminology.hl7.org/CodeSystem/v2-0003", "code": "S13"}}}));
    let r = map(&b, "{}", &FhirOptions::default());
    assert_eq!(ev(&r), "RESCHEDULED");
    assert_eq!(r.ids.trigger.as_deref(), Some("S13"));
    // withoutPrevious = fetch asks for version n-1; skip skips.
    let r = map(
        &v2,
        r#"{"fhir":{"withoutPrevious":"fetch"}}"#,
        &FhirOptions::default(),
    );
    let nf = r.needs_fetch.unwrap();
    assert_eq!(nf.resources[0].reference, "Appointment/A1001/_history/1");
    assert_eq!(nf.resources[0].version_id.as_deref(), Some("1"));
    let r = map(
        &v2,
        r#"{"fhir":{"withoutPrevious":"skip"}}"#,
        &FhirOptions::default(),
    );
    assert_eq!(r.skip.unwrap().code, skip_codes::EVENT_POLICY);
}

#[test]
fn notifications() {
    let status = |ty: &str| {
        json!({"resourceType": "Bundle", "type": "subscription-notification", "entry": [
            {"resource": {"resourceType": "SubscriptionStatus", "type": ty, "status": "active",
              "notificationEvent": [{"eventNumber": 3, "timestamp": "2024-03-05T16:00:00Z",
                "focus": {"reference": "Appointment/A1001"}}]}}]})
    };
    for t in ["handshake", "heartbeat", "query-status"] {
        let r = map(&status(t), "{}", &FhirOptions::default());
        assert_eq!(
            r.skip.unwrap().code,
            skip_codes::NOT_SCHEDULING_EVENT,
            "{t}"
        );
    }
    let r = map(&status("event-notification"), "{}", &FhirOptions::default());
    assert_eq!(r.skip.as_ref().unwrap().code, skip_codes::NEEDS_FETCH);
    let nf = r.needs_fetch.unwrap();
    assert_eq!(
        (
            nf.resources[0].resource_type.as_deref(),
            nf.resources[0].id.as_deref()
        ),
        (Some("Appointment"), Some("A1001"))
    );
    assert_eq!(r.ids.event_id.as_deref(), Some("3"));
    // With the fetched Appointment and resources: mapped, with the notification's time.
    let inc = include();
    let resources: Vec<Value> = (0..4)
        .map(|i| inc["entry"][i]["resource"].clone())
        .collect();
    let r = map(
        &status("event-notification"),
        "{}",
        &FhirOptions {
            resources,
            ..Default::default()
        },
    );
    assert_eq!(r.event.unwrap().event_datetime_utc, "2024-03-05T16:00:00Z");
}

#[test]
fn references_resolve_in_every_form() {
    // urn:uuid fullUrls, versioned and absolute references.
    let mut b = include();
    b["entry"][1]["fullUrl"] = json!("urn:uuid:7b1c0b9a-1111-4e6f-9d2a-000000000001");
    b["entry"][0]["resource"]["participant"][0]["actor"]["reference"] =
        json!("urn:uuid:7b1c0b9a-1111-4e6f-9d2a-000000000001");
    b["entry"][0]["resource"]["participant"][1]["actor"]["reference"] =
        json!("Practitioner/PR77/_history/3");
    b["entry"][0]["resource"]["participant"][2]["actor"]["reference"] =
        json!("https://ehr.example.org/fhir/r4/Location/L10");
    let r = map(&b, "{}", &FhirOptions::default());
    let e = r.event.unwrap();
    assert_eq!(
        (
            e.patient_id.as_str(),
            e.provider_last_name.as_str(),
            e.appointment_location.as_str()
        ),
        ("P1", "Smith", "Riverside Family Clinic")
    );
    assert_eq!(e.appointment_timezone, "-0500");
    // A PractitionerRole with its own phone and a Practitioner behind it.
    let mut b = include();
    b["entry"][0]["resource"]["participant"][1]["actor"]["reference"] =
        json!("PractitionerRole/R1");
    b["entry"].as_array_mut().unwrap().push(json!({"resource": {"resourceType": "PractitionerRole", "id": "R1",
        "practitioner": {"reference": "Practitioner/PR77"}, "telecom": [{"system": "phone", "value": "608-555-0177", "use": "work"}]}}));
    let e = map(
        &b,
        r#"{"phones":{"callbackFormat":"e164"}}"#,
        &FhirOptions::default(),
    )
    .event
    .unwrap();
    assert_eq!(
        (
            e.provider_id.as_str(),
            e.provider_last_name.as_str(),
            e.provider_callback_phone.as_str()
        ),
        ("PR77", "Smith", "+16085550177")
    );
}

#[test]
fn times_and_dst() {
    // Location zone New York: July start in UTC → EDT; January → EST; DST-correct per date.
    let with_zone = |start: &str| {
        let mut b = bundle(|a| a["start"] = json!(start));
        b["entry"][3]["resource"]["extension"][0]["valueCode"] = json!("America/New_York");
        b
    };
    let e = map(
        &with_zone("2024-07-01T13:00:00Z"),
        "{}",
        &FhirOptions::default(),
    )
    .event
    .unwrap();
    assert_eq!(
        (
            e.appointment_datetime.as_str(),
            e.appointment_timezone.as_str()
        ),
        ("2024-07-01T09:00:00", "-0400")
    );
    let e = map(
        &with_zone("2024-01-15T14:00:00Z"),
        "{}",
        &FhirOptions::default(),
    )
    .event
    .unwrap();
    assert_eq!(
        (
            e.appointment_datetime.as_str(),
            e.appointment_timezone.as_str()
        ),
        ("2024-01-15T09:00:00", "-0500")
    );
    // A rewritten offset is converted to the zone, with a warning.
    let r = map(
        &with_zone("2024-01-15T19:30:00+05:30"),
        "{}",
        &FhirOptions::default(),
    );
    assert!(codes(&r).contains(&"MAP_OFFSET_NOT_SENDER_ZONE"));
    assert_eq!(r.event.unwrap().appointment_datetime, "2024-01-15T09:00:00");
    // No zone anywhere and a Z start: never taken as local → skip.
    let no_zone = bundle(|a| a["start"] = json!("2024-03-12T14:30:00Z"));
    let mut nz = no_zone.clone();
    nz["entry"][3]["resource"]["extension"] = json!([]);
    let r = map(&nz, "{}", &FhirOptions::default());
    assert_eq!(r.skip.as_ref().unwrap().code, skip_codes::MISSING_REQUIRED);
    assert!(codes(&r).contains(&"MAP_ZONE_UNKNOWN"));
    // fhir.timeZone fills in; sender.timeZone too.
    for p in [
        r#"{"fhir":{"timeZone":"America/Chicago"}}"#,
        r#"{"sender":{"timeZone":"America/Chicago"}}"#,
    ] {
        let e = map(&nz, p, &FhirOptions::default()).event.unwrap();
        assert_eq!(
            (
                e.appointment_datetime.as_str(),
                e.appointment_timezone.as_str()
            ),
            ("2024-03-12T09:30:00", "-0500")
        );
    }
    // A non-UTC offset without zone: trusted by default, not with trustOffset false.
    let mut off = include();
    off["entry"][3]["resource"]["extension"] = json!([]);
    let r = map(&off, "{}", &FhirOptions::default());
    assert!(codes(&r).contains(&"MAP_ZONE_FROM_OFFSET"));
    assert_eq!(r.event.unwrap().appointment_timezone, "-0500");
    let r = map(
        &off,
        r#"{"fhir":{"trustOffset":false}}"#,
        &FhirOptions::default(),
    );
    assert_eq!(r.skip.unwrap().code, skip_codes::MISSING_REQUIRED);
    // An invalid zone extension is reported and the profile zone used.
    let mut bad = include();
    bad["entry"][3]["resource"]["extension"][0]["valueCode"] = json!("Central");
    let r = map(
        &bad,
        r#"{"fhir":{"timeZone":"America/Chicago"}}"#,
        &FhirOptions::default(),
    );
    assert!(codes(&r).contains(&"FHIR_BAD_TIMEZONE"));
    assert!(r.event.is_some());
}

#[test]
fn names_phones_and_ids() {
    let e = map(
        &include(),
        r#"{"fhir":{"firstName":"usual"}}"#,
        &FhirOptions::default(),
    )
    .event
    .unwrap();
    assert_eq!(
        (e.patient_first_name.as_str(), e.patient_last_name.as_str()),
        ("Janie", "Doe")
    );
    let e = map(
        &include(),
        r#"{"fhir":{"patientId":"identifier","appointmentId":"identifier","providerIdSystem":"http://hl7.org/fhir/sid/us-npi"}}"#,
        &FhirOptions::default(),
    )
    .event
    .unwrap();
    assert_eq!(
        (
            e.patient_id.as_str(),
            e.appointment_id.as_str(),
            e.provider_id.as_str()
        ),
        ("MRN-000123", "SCH-36996", "1234567893")
    );
    // sms system beats a mobile phone of better rank; requireMobile drops the home number.
    let mut b = include();
    b["entry"][1]["resource"]["telecom"] = json!([
        {"system": "phone", "value": "608-555-0100", "use": "home", "rank": 1},
        {"system": "sms", "value": "608-555-0123"}
    ]);
    assert_eq!(
        map(&b, "{}", &FhirOptions::default())
            .event
            .unwrap()
            .patient_phone,
        "+16085550123"
    );
    b["entry"][1]["resource"]["telecom"] =
        json!([{"system": "phone", "value": "608-555-0100", "use": "home"}]);
    let r = map(&b, "{}", &FhirOptions::default());
    assert!(codes(&r).contains(&"MAP_PHONE_NOT_MARKED_MOBILE"));
    let r = map(
        &b,
        r#"{"phones":{"requireMobile":true}}"#,
        &FhirOptions::default(),
    );
    assert_eq!(r.skip.unwrap().code, skip_codes::NO_MOBILE_PHONE);
    // Expiry uses the host's clock when given: a mobile that ended in 2019 is dropped.
    b["entry"][1]["resource"]["telecom"] = json!([{"system": "phone", "value": "608-555-0111", "use": "mobile", "period": {"end": "2019-06-30"}}]);
    let r = map(
        &b,
        "{}",
        &FhirOptions {
            now_ms: Some(1_710_000_000_000),
            ..Default::default()
        },
    );
    assert_eq!(r.skip.unwrap().code, skip_codes::NO_MOBILE_PHONE);
    // Name from text only.
    let mut b = include();
    b["entry"][1]["resource"]["name"] = json!([{"text": "Doe, Jane Q"}]);
    let r = map(&b, "{}", &FhirOptions::default());
    assert!(codes(&r).contains(&"FHIR_NAME_FROM_TEXT"));
    let e = r.event.unwrap();
    assert_eq!(
        (e.patient_first_name.as_str(), e.patient_last_name.as_str()),
        ("Jane", "Doe")
    );
}

#[test]
fn no_patient_and_filters() {
    let r = map(
        &bundle(|a| {
            a["participant"].as_array_mut().unwrap().remove(0);
        }),
        "{}",
        &FhirOptions::default(),
    );
    assert_eq!(r.skip.unwrap().code, skip_codes::NO_PATIENT);
    // A filter with a JSON pointer reads the Appointment; the default appointmentType is serviceType.
    let r = map(
        &include(),
        r#"{"filters":{"appointmentType":{"deny":["Follow-up visit"]}}}"#,
        &FhirOptions::default(),
    );
    assert_eq!(
        r.skip.unwrap().rule.as_deref(),
        Some("filters.appointmentType.deny")
    );
    let r = map(
        &include(),
        r#"{"filters":{"smsConsent":{"path":"/extension/0/valueBoolean","values":["true"]}}}"#,
        &FhirOptions::default(),
    );
    assert_eq!(
        r.skip.unwrap().rule.as_deref(),
        Some("filters.smsConsent.whenMissing")
    );
    let r = map(
        &bundle(|a| a["extension"] = json!([{"url": "x", "valueBoolean": true}])),
        r#"{"filters":{"smsConsent":{"path":"/extension/0/valueBoolean","values":["true"]}}}"#,
        &FhirOptions::default(),
    );
    assert!(r.event.is_some());
    // An HL7 path cannot be read in FHIR: counts as missing, reported.
    let r = map(
        &include(),
        r#"{"filters":{"smsConsent":{"path":"PD1-12","whenMissing":"send"}}}"#,
        &FhirOptions::default(),
    );
    assert!(codes(&r).contains(&"MAP_FILTER_NOT_APPLICABLE"));
}

#[test]
fn coded_errors_with_pointers() {
    let p = CompiledProfile::default();
    let o = FhirOptions::default();
    let err = |doc: Value| {
        let e = map_fhir(&serde_json::to_vec(&doc).unwrap(), &p, &o).unwrap_err();
        (
            e.code.as_str().to_owned(),
            e.position.and_then(|x| x.pointer).unwrap_or_default(),
        )
    };
    assert_eq!(
        err(bundle(|a| a["participant"] = json!({}))),
        (
            "JSON_BAD_TYPE".into(),
            "/entry/0/resource/participant".into()
        )
    );
    assert_eq!(
        err(bundle(|a| a["status"] = json!(1))),
        ("JSON_BAD_TYPE".into(), "/entry/0/resource/status".into())
    );
    let mut b = include();
    b["entry"][1]["resource"]["name"][1]["given"] = json!([7]);
    assert_eq!(
        err(b),
        (
            "JSON_BAD_TYPE".into(),
            "/entry/1/resource/name/1/given/0".into()
        )
    );
    assert_eq!(
        err(json!({"resourceType": "Bundle", "entry": "x"})),
        ("JSON_BAD_TYPE".into(), "/entry".into())
    );
    assert_eq!(
        err(json!({"resourceType": "no such"})),
        ("FHIR_UNSUPPORTED_RESOURCE".into(), "/resourceType".into())
    );
    assert_eq!(err(json!([1])), ("JSON_BAD_TYPE".into(), "".into()));
    let e = map_fhir(b"{\"resourceType\": ", &p, &o).unwrap_err();
    assert_eq!(e.code.as_str(), "JSON_INVALID");
    let deep = "{\"a\":".repeat(200) + &"}".repeat(200);
    assert_eq!(
        map_fhir(deep.as_bytes(), &p, &o).unwrap_err().code.as_str(),
        "JSON_TOO_DEEP"
    );
    // Options.
    let e = FhirOptions::from_json(r#"{"trigger": 5}"#).unwrap_err();
    assert_eq!(
        (
            e.code.as_str(),
            e.position.unwrap().pointer.unwrap().as_str()
        ),
        ("BAD_ARGUMENT", "/trigger")
    );
    assert_eq!(
        FhirOptions::from_json(r#"{"previus": {}}"#)
            .unwrap_err()
            .code
            .as_str(),
        "BAD_ARGUMENT"
    );
    assert_eq!(
        FhirOptions::from_json("null").unwrap(),
        FhirOptions::default()
    );
}

/// A document whose every value is a marker: no message may carry one.
#[test]
fn messages_never_contain_marked_values() {
    let mut b = include();
    let a = &mut b["entry"][0]["resource"];
    a["start"] = json!("zqmark-start");
    a["status"] = json!("zqmarkstatus");
    let doc1 = b.clone();
    let mut b = include();
    b["entry"][1]["resource"]["telecom"] = json!([
        {"system": "phone", "value": "Zqmark 0142", "use": "mobile"},
        {"system": "phone", "value": "(190) 555-0142"},
        {"system": "phone", "value": "zqmark@x.org"}
    ]);
    b["entry"][1]["resource"]["name"] = json!([{"text": "Zqmarklast, Zqmarkfirst"}]);
    b["entry"][2]["resource"]["telecom"] = json!([{"system": "phone", "value": "0142"}]);
    b["entry"][3]["resource"]["name"] = json!("Zqmark & Co, Suite 5");
    b["entry"][3]["resource"]["extension"][0]["valueCode"] = json!("Zqmark/Zone");
    let doc2 = b;
    for doc in [doc1, doc2] {
        for p in [
            "{}",
            r#"{"phones":{"requireMobile":true},"sender":{"defaultCountry":"GB"}}"#,
            r#"{"fhir":{"trigger":null}}"#,
        ] {
            let Ok(profile) = CompiledProfile::from_json(p) else {
                continue;
            };
            let r = map_fhir(
                &serde_json::to_vec(&doc).unwrap(),
                &profile,
                &FhirOptions {
                    trigger: Some("zqmark-topic".into()),
                    ..Default::default()
                },
            )
            .unwrap();
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
}

/// athenaOne: an id-only notification whose focus is an identifier; the host searches
/// `Appointment?identifier=…`, reads the Patient named by the AuditEvent, and maps again.
#[test]
fn athena_identifier_focus_round_trip() {
    let raw = std::fs::read(
        "tests/fixtures/fhir/vendor/athenahealth/appointment-schedule-notification.json",
    )
    .unwrap();
    let p = CompiledProfile::from_json(
        r#"{"sender":{"timeZone":"America/New_York","defaultCountry":"US"}}"#,
    )
    .unwrap();
    let r = map_fhir(&raw, &p, &FhirOptions::default()).unwrap();
    assert_eq!(r.skip.unwrap().code, skip_codes::NEEDS_FETCH);
    let search = json!({"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {
        "resourceType": "Appointment", "id": "a-195900.A-2", "status": "booked",
        "meta": {"versionId": "3"},
        "identifier": [{"system": "urn:athenahealth:athenanet:appointment:195900", "value": "2"}],
        "start": "2023-04-20T14:00:00Z",
        "participant": [{"actor": {"reference": "Patient/a-195900.E-51711"}, "status": "accepted"}]}}]});
    let patient = json!({"resourceType": "Patient", "id": "a-195900.E-51711",
        "name": [{"use": "official", "family": "Rivera", "given": ["Sam"]}],
        "telecom": [{"system": "phone", "value": "617-555-0199", "use": "mobile"}]});
    let o = FhirOptions {
        resources: vec![search, patient],
        ..Default::default()
    };
    let r = map_fhir(&raw, &p, &o).unwrap();
    let e = r.event.clone().unwrap();
    // The topic Appointment.schedule → BOOKED although the version is 3 (no previous needed).
    assert_eq!(e.event_type, "BOOKED");
    assert_eq!(
        (
            e.appointment_datetime.as_str(),
            e.appointment_timezone.as_str()
        ),
        ("2023-04-20T10:00:00", "-0400")
    );
    assert_eq!(e.event_datetime_utc, "2023-04-14T09:22:56Z");
    assert_eq!(
        r.ids.event_id.as_deref(),
        Some("0901fb5b-6858-33f2-994f-6680c0c6aadb")
    );
    assert_eq!(
        r.provenance
            .get(Field::EventType)
            .unwrap()
            .source
            .to_string(),
        "/entry/0/resource/topic"
    );
}
