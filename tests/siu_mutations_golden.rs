//! Everything the SIU path returns for malformed input, pinned: every `.hl7` fixture and saved
//! `map_hl7` fuzz regression, unmutated and in deterministic mutations (bytes replaced, inserted,
//! deleted, chunks repeated, truncations — delimiters, CR/LF, MLLP bytes, invalid UTF-8), mapped
//! with several profiles (the `hl7_parse` regressions too: they are inputs that broke the parser). Per seed, one SHA-256 over the full `MapResult` JSON (values,
//! provenance, warnings with their messages and positions) or the error (code, position), and the
//! `Mapper.execution` JSON, in `tests/golden/siu_mutations/sha256.tsv`.
//!
//! It exists so that performance work on the parser and the mapper (lazy parsing, lean mapping)
//! can prove it changed nothing, including on the inputs the goldens of `tests/siu_golden.rs`
//! never see. Regenerate (only for a reviewed behaviour change) with
//! `UPDATE_GOLDEN=1 cargo test --test siu_mutations_golden`.
#![cfg(not(target_arch = "wasm32"))] // native only: reads fixtures from disk

mod common;
use common::Rng;

use ehr_studio_bridge::inbound::map_hl7;
use ehr_studio_bridge::jsonw::Ascii;
use ehr_studio_bridge::profile::CompiledProfile;
use ehr_studio_bridge::studio::lean::execution_json;
use ehr_studio_bridge::StudioConfig;
use sha2::{Digest, Sha256};

const GOLDEN: &str = "tests/golden/siu_mutations/sha256.tsv";
const MUTATIONS: usize = 60;

/// Bytes the mutations insert: delimiters, segment and MLLP framing bytes, the null `""`, digits
/// and letters of names and phones, and bytes that make the text invalid UTF-8.
const INTERESTING: &[u8] = b"|^~\\&#\r\n\x0b\x1c\"MSHPIDSCAILTQ1+X.0123456789\xff\xc3\xa9\x80";

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..=rng.below(6) {
        match rng.below(5) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.pick(INTERESTING);
            }
            1 => {
                let i = rng.below(v.len() + 1);
                v.insert(i, rng.pick(INTERESTING));
            }
            2 if !v.is_empty() => {
                let i = rng.below(v.len());
                let n = rng.below(24).min(v.len() - i);
                v.drain(i..i + n);
            }
            3 if !v.is_empty() => {
                let i = rng.below(v.len());
                let n = rng.below(80).min(v.len() - i);
                let chunk: Vec<u8> = v[i..i + n].to_vec();
                let j = rng.below(v.len() + 1);
                v.splice(j..j, chunk);
            }
            _ => v.truncate(v.len() - rng.below(v.len() / 4 + 1)),
        }
    }
    v
}

fn profiles() -> Vec<CompiledProfile> {
    [
        "{}",
        r#"{"sender":{"timeZone":"America/New_York","defaultCountry":"US"}}"#,
        r#"{"sender":{"timeZone":"America/Chicago","defaultCountry":"US"},"sanitize":"strict"}"#,
        r#"{"preset":"athenahealth","sender":{"timeZone":"Europe/Paris","defaultCountry":"FR"},
            "filters":{"smsConsent":{"path":"PD1-12","values":["Y"],"whenMissing":"send"},"facility":{"deny":["X"]}},
            "phones":{"allowWork":true,"allowLandline":true,"callbackFormat":"e164"}}"#,
        r#"{"sender":{"defaultCountry":"GB"},"hl7":{"appointmentId":"placer","statusField":"SCH-25.2",
            "fields":{"patient_phone":["PID-13","PID-14[2]","PID-13.1"],"provider_callback_phone":["SCH-17.1","SCH-13"],
                      "appointment_location":["AIL-3.2","PV1-3.9"],"appointment_datetime":["TQ1-7","SCH-11.4"],
                      "event_datetime_utc":["EVN-2","MSH-7"],"patient_id":["PID-3[2].1"],"provider_last_name":[]}},
            "defaults":{"providerLastName":"Clinic","appointmentLocation":"Main"}}"#,
    ]
    .iter()
    .map(|j| CompiledProfile::from_json(j).expect("profile"))
    .collect()
}

/// Everything one input gives with one profile, as text.
fn outcome(input: &[u8], profile: &CompiledProfile, cfg: &StudioConfig) -> String {
    match map_hl7(input, profile) {
        Ok(r) => {
            let full = serde_json::to_string(&r).expect("json");
            let lean = match execution_json(&r, cfg, None, Ascii::Yes) {
                Ok(t) => t,
                Err(e) => error_text(&e),
            };
            format!("{full}\n{lean}\n")
        }
        Err(e) => error_text(&e) + "\n",
    }
}

fn error_text(e: &ehr_studio_bridge::Error) -> String {
    format!("ERR {} {} {:?}", e.code.as_str(), e.message, e.position)
}

fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in [
        "tests/fixtures",
        "tests/fixtures/fuzz-regressions/map_hl7",
        "tests/fixtures/fuzz-regressions/hl7_parse",
    ] {
        let ext = if dir == "tests/fixtures" {
            "hl7"
        } else {
            "bin"
        };
        for p in common::files_with_ext(dir, ext) {
            let bytes = std::fs::read(&p).expect("read");
            if bytes.len() > 40_000 {
                continue;
            }
            let name = p
                .strip_prefix("tests/fixtures")
                .expect("prefix")
                .display()
                .to_string();
            out.push((name, bytes));
        }
    }
    out.sort();
    out.dedup();
    out
}

fn lines() -> String {
    let profiles = profiles();
    let cfg = StudioConfig::new("FW0123456789abcdef0123456789abcdef", "+15017122661");
    let seeds = seeds();
    assert!(seeds.len() >= 70, "found {} seeds", seeds.len());
    let mut out = String::new();
    for (name, bytes) in seeds {
        // Seeded by the name, so adding a fixture does not change the other lines.
        let mut rng = Rng(Sha256::digest(name.as_bytes())
            .iter()
            .take(8)
            .fold(1u64, |a, &b| (a << 8) | u64::from(b)));
        let mut h = Sha256::new();
        for k in 0..=MUTATIONS {
            let input = if k == 0 {
                bytes.clone()
            } else {
                mutate(&mut rng, &bytes)
            };
            for p in &profiles {
                h.update(outcome(&input, p, &cfg).as_bytes());
            }
        }
        let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        out.push_str(&format!("{name}\t{hex}\n"));
    }
    out
}

#[test]
fn siu_results_of_mutated_inputs_are_pinned() {
    let have = lines();
    if common::update_golden() {
        std::fs::create_dir_all("tests/golden/siu_mutations").expect("dir");
        std::fs::write(GOLDEN, &have).expect("write");
        return;
    }
    let want = std::fs::read_to_string(GOLDEN).expect("golden (UPDATE_GOLDEN=1 to create)");
    let diff: Vec<String> = have
        .lines()
        .zip(want.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.split('\t').next().unwrap_or("").to_owned())
        .collect();
    assert!(
        diff.is_empty() && have.lines().count() == want.lines().count(),
        "results changed for {} seed(s): {diff:?} (UPDATE_GOLDEN=1 cargo test --test siu_mutations_golden, and review)",
        diff.len()
    );
}
