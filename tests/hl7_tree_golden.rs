//! The preview tree (`parseHl7`) of every HL7 fixture, pinned by the SHA-256 of its compact JSON
//! (`tests/golden/hl7_tree/sha256.tsv`: file, offsets mode, hash or error code).
//!
//! The same file is read by `tests/js/parse-tree.test.mjs`, which hashes
//! `JSON.stringify(parseHl7(bytes))` from the packed npm package: the JS decoder of the packed
//! tree (see `hl7::tree::pack`) must give exactly the tree the serde path gives here.
//! Regenerate (only for a reviewed change of the tree) with
//! `UPDATE_GOLDEN=1 cargo test --test hl7_tree_golden`.
#![cfg(not(target_arch = "wasm32"))] // native only: reads fixtures from disk

mod common;

use ehr_studio_bridge::hl7::{tree, Message};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

const GOLDEN: &str = "tests/golden/hl7_tree/sha256.tsv";

fn hl7_files() -> Vec<PathBuf> {
    common::files_with_ext("tests/fixtures", "hl7")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One line per (file, mode): the hash of the serde JSON of the tree, or `ERROR:<code>`.
fn lines() -> String {
    let mut out = String::new();
    let files = hl7_files();
    assert!(
        files.len() >= 70,
        "expected every .hl7 fixture, found {}",
        files.len()
    );
    for p in files {
        let bytes = std::fs::read(&p).expect("read");
        let name = p
            .strip_prefix("tests/fixtures")
            .expect("prefix")
            .display()
            .to_string();
        for (mode_name, mode) in [
            ("utf16", tree::Offsets::Utf16),
            ("bytes", tree::Offsets::Bytes),
        ] {
            let cell = match Message::parse(&bytes) {
                Ok(m) => {
                    let json = serde_json::to_string(&tree::build(&m, mode)).expect("json");
                    hex(&Sha256::digest(json.as_bytes()))
                }
                Err(e) => format!("ERROR:{}", e.code.as_str()),
            };
            out.push_str(&format!("{name}\t{mode_name}\t{cell}\n"));
        }
    }
    out
}

#[test]
fn every_fixture_tree_is_pinned() {
    let want = lines();
    if common::update_golden() {
        std::fs::write(GOLDEN, &want).expect("write golden");
    }
    let have = std::fs::read_to_string(GOLDEN).expect("read golden");
    assert!(
        have == want,
        "{GOLDEN} differs from the trees built now (a reviewed change? UPDATE_GOLDEN=1 cargo test --test hl7_tree_golden)"
    );
}

/// The packed encoding (what the wasm boundary hands to the JS decoder) holds exactly the serde
/// tree: decoded here by a Rust mirror of the JS decoder, on every fixture and in both modes.
#[test]
fn packed_tree_equals_serde_tree() {
    let mut n = 0;
    for p in hl7_files() {
        let bytes = std::fs::read(&p).expect("read");
        let Ok(m) = Message::parse(&bytes) else {
            continue;
        };
        for mode in [tree::Offsets::Utf16, tree::Offsets::Bytes] {
            let want = serde_json::to_value(tree::build(&m, mode)).expect("json");
            let mut packed = tree::Packed::default();
            tree::pack(&m, mode, &mut packed);
            let have = tree::unpack_to_json(&packed);
            assert!(
                have == want,
                "{}: packed tree differs ({mode:?})",
                p.display()
            );
            n += 1;
        }
    }
    assert!(n >= 130, "{n}");
}
