//! Stable-toolchain stand-in for `fuzz/fuzz_targets/json_map.rs`: every FHIR and Redox fixture,
//! a generic feed and Table B documents, mutated at the byte level and structurally (a value
//! replaced by a wrong type, deep nesting, huge arrays), through `fuzz_entry::json_inputs`
//! (map_input, map_fhir/_all, map_redox, map_json, options). Nothing may panic and the result
//! invariants must hold; deep nesting and wrong types must give coded errors.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::Rng;

use ehr_studio_bridge::{fuzz_entry, map_input, CompiledProfile, MapOptions};
use serde_json::{json, Value};
use std::path::Path;

fn json_files(dir: &Path, out: &mut Vec<Vec<u8>>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(std::fs::read(&p).unwrap());
        }
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    json_files(Path::new("tests/fixtures/fhir"), &mut v);
    json_files(Path::new("tests/fixtures/redox"), &mut v);
    v.push(
        serde_json::to_vec(&json!({"kind": "new", "id": 7, "start": "2024-03-10T07:30:00Z", "t": "2024-03-01T00:00:00Z",
            "tz": "America/New_York", "loc": "Main", "p": {"id": "P", "m": "+16175550142", "h": "617-555-0100"}}))
        .unwrap(),
    );
    v.push(
        serde_json::to_vec(
            &json!({"event_type": "BOOKED", "event_datetime_utc": "2025-03-05T19:30:12Z",
            "patient_id": "M1", "patient_phone": "+16175550143", "appointment_id": "A1",
            "appointment_datetime": "2025-03-10T08:30:00", "appointment_timezone": "-0400"}),
        )
        .unwrap(),
    );
    v
}

const SNIPPETS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ",",
    ":",
    "null",
    "true",
    "1e999",
    "-0",
    "\"\\ud800\"",
    "\"\\u0000\"",
    "\"resourceType\":\"Appointment\"",
    "\"status\":\"cancelled\"",
    "\"reference\":\"#p\"",
    "\"reference\":\"Patient/P1/_history/2\"",
    "\"Meta\":{\"DataModel\":\"Scheduling\"}",
    "\"start\":\"2024-03-10T02:30:00\"",
    "\"value\":\"+1\"",
    "é",
    "😀",
    "\u{0}",
    "/",
    "~",
    "MSH|^~\\&|",
];

fn mutate_bytes(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.below(5) {
        match rng.below(4) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                let n = rng.below(16).min(v.len() - i);
                v.drain(i..i + n);
            }
            _ => {
                let i = rng.below(v.len() + 1);
                let s = rng.pick(SNIPPETS).as_bytes().to_vec();
                v.splice(i..i, s);
            }
        }
    }
    v
}

fn pointers(v: &Value, here: String, out: &mut Vec<String>) {
    out.push(here.clone());
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                pointers(
                    x,
                    format!("{here}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pointers(x, format!("{here}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn wrong_type(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => json!(12345),
        1 => json!(true),
        2 => json!([]),
        3 => json!({}),
        4 => Value::Null,
        5 => json!([{"x": 1}, 2, "3"]),
        6 => json!("x".repeat(rng.below(5000))),
        _ => json!(-1.5e300),
    }
}

/// A structural mutation: wrong type, deep nesting or a huge array somewhere in the document.
fn mutate_tree(rng: &mut Rng, seed: &[u8], allow_huge: bool) -> Option<Vec<u8>> {
    let mut v: Value = serde_json::from_slice(seed).ok()?;
    let mut ps = Vec::new();
    pointers(&v, String::new(), &mut ps);
    let p = ps[rng.below(ps.len())].clone();
    let node = v.pointer_mut(&p)?;
    match rng.below(if allow_huge { 4 } else { 3 }) {
        0 | 1 => *node = wrong_type(rng),
        2 => {
            let depth = 40 + rng.below(120);
            let mut x = node.take();
            for i in 0..depth {
                x = if i % 2 == 0 {
                    json!([x])
                } else {
                    json!({ "resource": x })
                };
            }
            *node = x;
        }
        _ => {
            let item = match &*node {
                Value::Array(a) if !a.is_empty() => a[0].clone(),
                other => other.clone(),
            };
            let n = 2000 + rng.below(8000);
            *node = Value::Array(vec![item; n]);
        }
    }
    serde_json::to_vec(&v).ok()
}

#[test]
fn json_entry_point_survives_fixtures_and_mutations() {
    let seeds = seeds();
    assert!(seeds.len() > 45);
    for s in &seeds {
        fuzz_entry::json_inputs(s);
    }
    // Inputs the real fuzzer found (fixed since): replayed on every run.
    for e in std::fs::read_dir("tests/fixtures/fuzz-regressions/json_map").unwrap() {
        fuzz_entry::json_inputs(&std::fs::read(e.unwrap().path()).unwrap());
    }
    let mut rng = Rng(0x5EED_0715);
    for round in 0..800 {
        let s = &seeds[rng.below(seeds.len())];
        if round % 7 == 0 {
            let junk: Vec<u8> = (0..rng.below(200)).map(|_| rng.next() as u8).collect();
            fuzz_entry::json_inputs(&junk);
        } else {
            fuzz_entry::json_inputs(&mutate_bytes(&mut rng, s));
        }
    }
    let mut huge = 0;
    for _ in 0..300 {
        let s = &seeds[rng.below(seeds.len())];
        let allow_huge = huge < 4;
        if let Some(m) = mutate_tree(&mut rng, s, allow_huge) {
            if m.len() > 100_000 {
                huge += 1;
            }
            fuzz_entry::json_inputs(&m);
        }
    }
}

#[test]
fn hostile_shapes_give_coded_errors() {
    let p = CompiledProfile::default();
    let o = MapOptions::default();
    // Deep nesting: refused before parsing.
    for open in ["[", "{\"a\":"] {
        let close = if open == "[" { "]" } else { "}" };
        let doc = format!(
            "{{\"resourceType\":\"Bundle\",\"entry\":{}1{}}}",
            open.repeat(100_000),
            close.repeat(100_000)
        );
        assert_eq!(
            map_input(doc.as_bytes(), &p, &o).unwrap_err().code.as_str(),
            "JSON_TOO_DEEP"
        );
    }
    // Huge arrays: bounded work, coded results.
    let mut b: Value = serde_json::from_slice(
        &std::fs::read("tests/fixtures/fhir/synthetic/r4-searchset-appointment-include.json")
            .unwrap(),
    )
    .unwrap();
    let part = b["entry"][0]["resource"]["participant"][0].clone();
    b["entry"][0]["resource"]["participant"] = Value::Array(vec![part; 50_000]);
    let r = map_input(&serde_json::to_vec(&b).unwrap(), &p, &o).unwrap();
    assert!(r.warnings.iter().any(|w| w.code == "MAP_MULTIPLE_PATIENTS"));
    let entries = vec![json!({"resource": {"resourceType": "Basic"}}); 100_001];
    let big = json!({"resourceType": "Bundle", "entry": entries});
    assert_eq!(
        map_input(&serde_json::to_vec(&big).unwrap(), &p, &o)
            .unwrap_err()
            .code
            .as_str(),
        "INPUT_TOO_LARGE"
    );
    // Wrong types deep inside: JSON_BAD_TYPE with the pointer.
    b["entry"][0]["resource"]["participant"] = json!([{"actor": "Patient/P1"}]);
    let e = map_input(&serde_json::to_vec(&b).unwrap(), &p, &o).unwrap_err();
    assert_eq!(
        (
            e.code.as_str(),
            e.position.unwrap().pointer.unwrap().as_str()
        ),
        ("JSON_BAD_TYPE", "/entry/0/resource/participant/0/actor")
    );
}
