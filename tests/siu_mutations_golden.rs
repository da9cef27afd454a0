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
use common::{mutate_hl7, siu_profiles, Rng};

use ehr_studio_bridge::inbound::map_hl7;
use ehr_studio_bridge::jsonw::Ascii;
use ehr_studio_bridge::profile::CompiledProfile;
use ehr_studio_bridge::studio::lean::execution_json;
use ehr_studio_bridge::StudioConfig;
use sha2::{Digest, Sha256};

const GOLDEN: &str = "tests/golden/siu_mutations/sha256.tsv";
const MUTATIONS: usize = 60;

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
    let profiles = siu_profiles();
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
                mutate_hl7(&mut rng, &bytes)
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
