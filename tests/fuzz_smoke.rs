//! Stable-toolchain smoke run of the fuzz entry points (the real fuzzing is `fuzz/run.sh` with
//! cargo-fuzz on nightly). Feeds every corpus file, every saved fuzz regression, and a few
//! thousand deterministic mutations of them. Any panic fails the test.

#![cfg(not(target_arch = "wasm32"))] // native only: reads fixtures from disk

mod common;
use common::Rng;

use ehr_studio_bridge::fuzz_entry;
use std::path::Path;

fn files(dir: &str, ext: &[&str]) -> Vec<Vec<u8>> {
    fn walk(dir: &Path, ext: &[&str], out: &mut Vec<Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, ext, out);
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| ext.contains(&x))
            {
                out.push(std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut v = Vec::new();
    walk(Path::new(dir), ext, &mut v);
    v
}

const INTERESTING: &[u8] = b"|^~\\&#\r\n\x0b\x1c\"MSHPIDXF.0123456789\xff\xc3";

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..=rng.below(8) {
        match rng.below(5) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            1 => {
                let i = rng.below(v.len() + 1);
                v.insert(i, INTERESTING[rng.below(INTERESTING.len())]);
            }
            2 if !v.is_empty() => {
                let i = rng.below(v.len());
                let n = rng.below(16).min(v.len() - i);
                v.drain(i..i + n);
            }
            3 if !v.is_empty() => {
                let i = rng.below(v.len());
                let n = rng.below(64).min(v.len() - i);
                let chunk: Vec<u8> = v[i..i + n].to_vec();
                let j = rng.below(v.len() + 1);
                v.splice(j..j, chunk);
            }
            _ => v.truncate(rng.below(v.len() + 1)),
        }
    }
    v
}

#[test]
fn hl7_entry_point_survives_corpus_and_mutations() {
    let mut seeds = files("tests/fixtures/corpus", &["hl7"]);
    seeds.retain(|s| s.len() < 20_000);
    seeds.extend(files("tests/fixtures/fuzz-regressions/hl7_parse", &["bin"]));
    seeds.extend(files("tests/fixtures/fuzz-regressions/map_hl7", &["bin"]));
    assert!(seeds.len() > 60);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut runs = 0;
    for s in &seeds {
        fuzz_entry::hl7_everything(s);
        fuzz_entry::map_everything(s);
        for _ in 0..60 {
            let m = mutate(&mut rng, s);
            fuzz_entry::hl7_everything(&m);
            fuzz_entry::map_everything(&m);
            runs += 1;
        }
    }
    assert!(runs >= 3_000);
}
