//! The lean mapping of `Mapper.execution` (`Detail::Codes`: no provenance, ids, draft or warning
//! messages) gives exactly the outcome of the full mapping (`map`, `studioRequest`): the same
//! event, skip (code, reason, rule), idempotency key and warning codes — and therefore the same
//! `execution` JSON — on every `.hl7` fixture (corpus, perf, samples), every saved `map_hl7` and
//! `hl7_parse` fuzz regression, and deterministic mutations of each, with several profiles.
//! `fuzz_entry::map_everything` checks the same on the fuzz-smoke mutations
//! (`tests/fuzz_smoke.rs`) and under cargo-fuzz (`map_hl7`).
#![cfg(not(target_arch = "wasm32"))] // native only: reads fixtures from disk

mod common;
use common::{mutate_hl7, siu_profiles, Rng};

use ehr_studio_bridge::event::Detail;
use ehr_studio_bridge::fuzz_entry::lean_equals_full;
use ehr_studio_bridge::inbound::{map_input, MapOptions};
use ehr_studio_bridge::jsonw::Ascii;
use ehr_studio_bridge::profile::CompiledProfile;
use ehr_studio_bridge::studio::lean::execution_json;
use ehr_studio_bridge::{Credentials, StudioConfig};

fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (dir, ext) in [
        ("tests/fixtures", "hl7"),
        ("samples", "hl7"),
        ("tests/fixtures/fuzz-regressions/map_hl7", "bin"),
        ("tests/fixtures/fuzz-regressions/hl7_parse", "bin"),
    ] {
        for p in common::files_with_ext(dir, ext) {
            out.push((p.display().to_string(), std::fs::read(&p).expect("read")));
        }
    }
    out.sort();
    out
}

/// The `execution` JSON of one input as `Mapper.execution` builds it (lean) and from the full
/// mapping: identical text, or the identical error.
fn execution_text(
    input: &[u8],
    profile: &CompiledProfile,
    detail: Detail,
    creds: Option<&Credentials>,
) -> String {
    let cfg = StudioConfig::new("FW0123456789abcdef0123456789abcdef", "+15017122661");
    let opts = MapOptions {
        detail,
        ..MapOptions::default()
    };
    match map_input(input, profile, &opts) {
        Ok(r) => match execution_json(&r, &cfg, creds, Ascii::Yes) {
            Ok(t) => t,
            Err(e) => format!("request error {} {:?}", e.code.as_str(), e.position),
        },
        Err(e) => format!("map error {} {:?}", e.code.as_str(), e.position),
    }
}

#[test]
fn lean_mapping_gives_the_full_outcome() {
    let profiles = siu_profiles();
    let creds = Credentials {
        username: "SK0123456789abcdef0123456789abcdef".into(),
        password: "secret".into(),
    };
    let seeds = seeds();
    assert!(seeds.len() >= 100, "found {} seeds", seeds.len());
    let mut rng = Rng(0x5EED_1EA4_0000_0001);
    let (mut events, mut skips, mut checked) = (0usize, 0usize, 0usize);
    for (name, bytes) in &seeds {
        for k in 0..=40 {
            let input = if k == 0 {
                bytes.clone()
            } else {
                mutate_hl7(&mut rng, bytes)
            };
            for p in &profiles {
                if let Err(why) = lean_equals_full(&input, p) {
                    panic!("{name} (mutation {k}): {why}");
                }
                let lean = execution_text(&input, p, Detail::Codes, Some(&creds));
                let full = execution_text(&input, p, Detail::Full, Some(&creds));
                assert_eq!(lean, full, "{name} (mutation {k})");
                if lean.starts_with("{\"request\":{") {
                    events += 1;
                } else if lean.contains("\"skip\":{") {
                    skips += 1;
                }
                checked += 1;
            }
        }
    }
    // The comparison covered both outcomes, many times.
    assert!(
        events >= 500 && skips >= 5_000,
        "{events} events, {skips} skips of {checked}"
    );
}

/// Every non-HL7 input kind goes through `map_input` with `Detail::Codes` unchanged (only the HL7
/// mapper has a lean mode): the same `execution` JSON.
#[test]
fn other_input_kinds_ignore_the_lean_detail() {
    let profiles = siu_profiles();
    let mut n = 0;
    for ext in ["json"] {
        for p in common::files_with_ext("tests/fixtures", ext) {
            let bytes = std::fs::read(&p).expect("read");
            for profile in &profiles {
                let lean = execution_text(&bytes, profile, Detail::Codes, None);
                let full = execution_text(&bytes, profile, Detail::Full, None);
                assert_eq!(lean, full, "{}", p.display());
                n += 1;
            }
        }
    }
    assert!(n >= 50, "{n}");
}
