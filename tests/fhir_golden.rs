//! Golden outputs for every file under tests/fixtures/fhir (except the two `*.expected-*.json`
//! expectation files, which are checked by dedicated tests below): `map_fhir` with the file's
//! profile, `map_fhir_all` when the input holds several events, the Studio form of every event,
//! and — for `NEEDS_FETCH` results — the follow-up rounds a host would run with the resources it
//! read (simulated by a store of fixture resources). Compared with
//! `tests/golden/fhir/<path with / replaced by __>.json`; the mapping table is rendered to
//! `docs/fhir-mapping.md`. Regenerate with `UPDATE_GOLDEN=1 cargo test --test fhir_golden`, then
//! review every change (tests/golden/fhir/REVIEW.md).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use ehr_studio_bridge::{
    build_studio_execution, detect,
    event::{skip_codes, Field, MapResult},
    inbound::fhir::{map_fhir, map_fhir_all, table, FhirOptions},
    profile::CompiledProfile,
    StudioConfig,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const ROOT: &str = "tests/fixtures/fhir";

/// The profile each file is mapped with (default `{}`); see REVIEW.md for the reasons.
const PROFILES: &[(&str, &str)] = &[
    (
        "r4-core/appointment-example.json",
        r#"{"sender":{"timeZone":"Australia/Melbourne","defaultCountry":"AU"}}"#,
    ),
    (
        "r4-core/appointment-example2doctors.json",
        r#"{"sender":{"timeZone":"Australia/Melbourne","defaultCountry":"AU"}}"#,
    ),
    (
        "r4-core/appointment-example-request.json",
        r#"{"sender":{"timeZone":"Australia/Melbourne","defaultCountry":"AU"}}"#,
    ),
    (
        "hl7v2-converted/fhir-converter-siu-s12-01-appointment.json",
        r#"{"fhir":{"trustOffset":false}}"#,
    ),
    (
        "vendor/oracle-cerner/appointment-4822366-cancelled.json",
        r#"{"sender":{"timeZone":"America/Chicago","defaultCountry":"US"}}"#,
    ),
];

/// Resources a host would read after NEEDS_FETCH: `Type/id` → (fixture file, entry index).
const STORE: &[(&str, &str, Option<usize>)] = &[
    ("Patient/example", "r4-core/patient-example.json", None),
    (
        "Practitioner/example",
        "r4-core/practitioner-example.json",
        None,
    ),
    ("Location/1", "r4-core/location-1.json", None),
    (
        "Patient/9e909e52-61a1-be50-1878-a12ef8c36346",
        "hl7v2-converted/fhir-converter-siu-s12-01-patient.json",
        None,
    ),
    (
        "Patient/P1",
        "synthetic/r4-searchset-appointment-include.json",
        Some(1),
    ),
    (
        "Practitioner/PR77",
        "synthetic/r4-searchset-appointment-include.json",
        Some(2),
    ),
    (
        "Location/L10",
        "synthetic/r4-searchset-appointment-include.json",
        Some(3),
    ),
    // The current version at the R5 notification's time (v4, 2024-03-07T18:20:00Z).
    (
        "Appointment/A1001",
        "synthetic/r4-appointment-history.json",
        Some(0),
    ),
];

fn read_json(rel: &str) -> Value {
    serde_json::from_slice(&std::fs::read(Path::new(ROOT).join(rel)).unwrap()).unwrap()
}

fn store_get(rtype: &str, id: &str) -> Option<Value> {
    let key = format!("{rtype}/{id}");
    STORE.iter().find(|(k, _, _)| *k == key).map(|(_, f, e)| {
        let v = read_json(f);
        match e {
            Some(i) => v["entry"][*i]["resource"].clone(),
            None => v,
        }
    })
}

fn is_expectation(p: &Path) -> bool {
    p.file_name()
        .unwrap()
        .to_string_lossy()
        .contains(".expected-")
}

fn fhir_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "json") && !is_expectation(&p) {
                out.push(p);
            }
        }
    }
    let mut v = Vec::new();
    walk(Path::new(ROOT), &mut v);
    v.sort();
    v
}

fn rel(p: &Path) -> String {
    p.strip_prefix(ROOT)
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/")
}

fn profile_json(rel: &str) -> &'static str {
    PROFILES
        .iter()
        .find(|(f, _)| *f == rel)
        .map_or("{}", |(_, p)| p)
}

fn cfg() -> StudioConfig {
    StudioConfig::new("FW0123456789abcdef0123456789abcdef", "+15017122661")
}

fn with_form(r: &MapResult) -> Value {
    let form = r.event.as_ref().map(|e| {
        let req = build_studio_execution(e, &cfg(), None).expect("request");
        serde_json::to_value(&req.form).unwrap()
    });
    json!({ "result": r, "studioForm": form })
}

fn golden_for(path: &Path) -> Value {
    let r = rel(path);
    let pj = profile_json(&r);
    let profile = CompiledProfile::from_json(pj).unwrap();
    let bytes = std::fs::read(path).unwrap();
    let opts = FhirOptions::default();
    let mut g = json!({
        "file": format!("fhir/{r}"),
        "profile": serde_json::from_str::<Value>(pj).unwrap(),
        "detectedKind": detect(&bytes).as_str(),
    });
    match map_fhir(&bytes, &profile, &opts) {
        Err(e) => {
            g["error"] = serde_json::to_value(&e).unwrap();
            return g;
        }
        Ok(res) => {
            g["mapFhir"] = with_form(&res);
            let all = map_fhir_all(&bytes, &profile, &opts).unwrap();
            if all.len() > 1 {
                g["mapFhirAll"] = Value::Array(all.iter().map(with_form).collect());
            }
            // Follow-up rounds: fetch what is asked (when the store has it) and map again.
            let mut rounds = Vec::new();
            let mut cur = res;
            let mut resources: Vec<Value> = Vec::new();
            let mut fetched: Vec<String> = Vec::new();
            for _ in 0..3 {
                let Some(nf) = cur.needs_fetch.clone() else {
                    break;
                };
                let mut got = Vec::new();
                for item in &nf.resources {
                    let (Some(t), Some(id)) = (&item.resource_type, &item.id) else {
                        continue;
                    };
                    let key = format!("{t}/{id}");
                    if fetched.contains(&key) {
                        continue;
                    }
                    if let Some(v) = store_get(t, id) {
                        resources.push(v);
                        fetched.push(key.clone());
                        got.push(key);
                    }
                }
                if got.is_empty() {
                    break;
                }
                let o = FhirOptions {
                    resources: resources.clone(),
                    ..Default::default()
                };
                cur = map_fhir(&bytes, &profile, &o).unwrap();
                let mut round = with_form(&cur);
                round["fetched"] = json!(got);
                rounds.push(round);
            }
            if !rounds.is_empty() {
                g["afterFetch"] = Value::Array(rounds);
            }
        }
    }
    g
}

fn golden_name(path: &Path) -> String {
    format!(
        "{}.json",
        rel(path).trim_end_matches(".json").replace('/', "__")
    )
}

fn update() -> bool {
    std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1")
}

#[test]
fn every_fhir_fixture_matches_its_golden() {
    let files = fhir_files();
    assert!(files.len() >= 39, "found {}", files.len());
    let cases = files
        .iter()
        .map(|f| (golden_name(f), golden_for(f)))
        .collect();
    common::check_goldens("tests/golden/fhir", "fhir_golden", cases);
}

/// Every fixture gives an event, a coded skip or a coded error — never an uncoded outcome.
#[test]
fn every_fixture_is_an_event_a_coded_skip_or_a_coded_error() {
    for f in fhir_files() {
        let g = golden_for(&f);
        if let Some(code) = g["error"]["code"].as_str() {
            assert!(
                [
                    "FHIR_MISSING_ELEMENT",
                    "JSON_BAD_TYPE",
                    "FHIR_UNSUPPORTED_RESOURCE"
                ]
                .contains(&code),
                "{}: {code}",
                f.display()
            );
            continue;
        }
        let mut results = vec![g["mapFhir"].clone()];
        results.extend(g["mapFhirAll"].as_array().cloned().unwrap_or_default());
        results.extend(g["afterFetch"].as_array().cloned().unwrap_or_default());
        for m in results {
            let r = &m["result"];
            assert!(
                r["event"].is_object() ^ r["skip"].is_object(),
                "{}",
                f.display()
            );
            if let Some(code) = r["skip"]["code"].as_str() {
                assert!(skip_codes::ALL.contains(&code), "{code}");
                assert!(!r["skip"]["reason"].as_str().unwrap().is_empty());
                assert_eq!(
                    r["needsFetch"].is_object(),
                    code == skip_codes::NEEDS_FETCH,
                    "{}: needsFetch only with NEEDS_FETCH",
                    f.display()
                );
            } else {
                let p: Value =
                    serde_json::from_str(m["studioForm"]["Parameters"].as_str().unwrap()).unwrap();
                assert_eq!(p.as_object().unwrap().len(), 14);
            }
        }
    }
}

#[test]
fn mapping_doc_is_in_sync() {
    let md = table::render_markdown();
    let path = "docs/fhir-mapping.md";
    if update() {
        std::fs::write(path, &md).unwrap();
        return;
    }
    assert!(
        std::fs::read_to_string(path).unwrap_or_default() == md,
        "{path} is out of date: run UPDATE_GOLDEN=1 cargo test --test fhir_golden"
    );
}

fn event_or_draft(r: &MapResult) -> &ehr_studio_bridge::AppointmentEvent {
    r.event
        .as_ref()
        .or(r.draft.as_ref())
        .expect("event or draft")
}

/// synthetic/r4-appointment-history.json → exactly its .expected-events.json: each version
/// against its predecessor (§1.8). Without the Patient the results are NEEDS_FETCH drafts; with
/// the resources a host would fetch they are events — the event types are the same.
#[test]
fn history_gives_exactly_the_expected_events() {
    let raw = std::fs::read(format!("{ROOT}/synthetic/r4-appointment-history.json")).unwrap();
    let want = read_json("synthetic/r4-appointment-history.expected-events.json");
    let want: Vec<(String, String)> = want["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["versionId"].as_str().unwrap().to_owned(),
                v["event_type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let profile = CompiledProfile::default();
    let fetched = FhirOptions {
        resources: ["Patient/P1", "Practitioner/PR77", "Location/L10"]
            .iter()
            .map(|k| {
                let (t, id) = k.split_once('/').unwrap();
                store_get(t, id).unwrap()
            })
            .collect(),
        ..Default::default()
    };
    for (opts, final_events) in [(FhirOptions::default(), false), (fetched, true)] {
        let all = map_fhir_all(&raw, &profile, &opts).unwrap();
        let got: Vec<(String, String)> = all
            .iter()
            .map(|r| {
                (
                    r.ids.appointment_version.clone().unwrap(),
                    event_or_draft(r).event_type.clone(),
                )
            })
            .collect();
        assert_eq!(got, want);
        for r in &all {
            assert_eq!(r.event.is_some(), final_events, "{:?}", r.skip);
        }
        // map_fhir on the history Bundle is its newest version against the one before.
        let one = ehr_studio_bridge::map_fhir(&raw, &profile, &opts).unwrap();
        assert_eq!(event_or_draft(&one).event_type, "CANCELED");
        assert_eq!(one.ids.appointment_version.as_deref(), Some("4"));
    }
}

/// synthetic/r4-searchset-appointment-include.json → its .expected-params.json.
///
/// Deliberate difference under the default profile: `provider_callback_phone`. The expectation
/// takes the Practitioner's work phone in E.164 (`+16085550150`); we follow fhir-and-ehr-apis.md
/// §1.1 and the brief (PractitionerRole → Location → Practitioner → Organization: the clinic's
/// desk before a practitioner's direct line) and the profile's `phones.callbackFormat` (national by
/// default), so the default gives the Location's `(608) 555-0160`. With
/// `fhir.callbackFrom` putting the practitioner first and `phones.callbackFormat: e164`, the output
/// is exactly the expectation. The contained variant gives the same values but its ids.
#[test]
fn include_searchset_gives_the_expected_params() {
    let mut want = read_json("synthetic/r4-searchset-appointment-include.expected-params.json");
    want.as_object_mut().unwrap().remove("_comment");
    let raw = std::fs::read(format!(
        "{ROOT}/synthetic/r4-searchset-appointment-include.json"
    ))
    .unwrap();
    let exact = CompiledProfile::from_json(
        r#"{"phones":{"callbackFormat":"e164"},
            "fhir":{"callbackFrom":["practitionerRole","practitioner","location","organization"]}}"#,
    )
    .unwrap();
    let r = map_fhir(&raw, &exact, &FhirOptions::default()).unwrap();
    assert_eq!(serde_json::to_value(r.event.unwrap()).unwrap(), want);

    let r = map_fhir(&raw, &CompiledProfile::default(), &FhirOptions::default()).unwrap();
    let mut got = serde_json::to_value(r.event.unwrap()).unwrap();
    assert_eq!(got["provider_callback_phone"], "(608) 555-0160");
    got["provider_callback_phone"] = want["provider_callback_phone"].clone();
    assert_eq!(got, want);
    assert_eq!(
        r.provenance
            .get(Field::ProviderCallbackPhone)
            .unwrap()
            .source
            .to_string(),
        "/entry/3/resource/telecom/0/value"
    );

    // Contained: the same values, except the ids — a contained resource's id (`#p`, `#pr`) is
    // local to the Appointment, so the identifiers (MRN, NPI) are used (FHIR_CONTAINED_ID).
    let contained =
        std::fs::read(format!("{ROOT}/synthetic/r4-appointment-contained.json")).unwrap();
    let c = map_fhir(&contained, &exact, &FhirOptions::default()).unwrap();
    let mut got = serde_json::to_value(c.event.unwrap()).unwrap();
    assert_eq!(
        (got["patient_id"].as_str(), got["provider_id"].as_str()),
        (Some("MRN-000123"), Some("1234567893"))
    );
    got["patient_id"] = want["patient_id"].clone();
    got["provider_id"] = want["provider_id"].clone();
    assert_eq!(got, want);
}

/// No warning message, skip reason or error may contain a value from the input.
#[test]
fn warnings_never_contain_phi() {
    for f in fhir_files() {
        let g = golden_for(&f);
        let mut results = vec![g["mapFhir"].clone()];
        results.extend(g["mapFhirAll"].as_array().cloned().unwrap_or_default());
        results.extend(g["afterFetch"].as_array().cloned().unwrap_or_default());
        let mut texts: Vec<String> = Vec::new();
        let mut phi: Vec<String> = Vec::new();
        if let Some(m) = g["error"]["message"].as_str() {
            texts.push(m.to_lowercase());
        }
        for m in &results {
            let r = &m["result"];
            let ev = if r["event"].is_object() {
                &r["event"]
            } else {
                &r["draft"]
            };
            for k in [
                "patient_first_name",
                "patient_last_name",
                "patient_phone",
                "patient_id",
                "provider_first_name",
                "provider_last_name",
                "appointment_location",
            ] {
                if let Some(v) = ev[k].as_str() {
                    if v.len() >= 4 {
                        phi.push(v.to_lowercase());
                    }
                }
            }
            for w in r["warnings"].as_array().into_iter().flatten() {
                texts.push(w["message"].as_str().unwrap().to_lowercase());
            }
            if let Some(s) = r["skip"]["reason"].as_str() {
                texts.push(s.to_lowercase());
            }
        }
        for t in &texts {
            let words: Vec<&str> = t.split(|c: char| !c.is_alphanumeric()).collect();
            for p in &phi {
                let leaked = if p.contains(|c: char| !c.is_alphanumeric()) {
                    t.contains(p.as_str())
                } else {
                    words.contains(&p.as_str())
                };
                assert!(!leaked, "{}: a message leaks a value: {t}", f.display());
            }
        }
    }
}
