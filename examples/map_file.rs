//! Map input files (HL7 v2 streams, FHIR, Redox, Table B or profile-mapped JSON: the kind is
//! detected) with a profile and print the MapResult JSON (dry-run helper).
//!
//! `cargo run --example map_file -- [--profile '<json>'] FILE...`
use ehr_studio_bridge::{
    detect, inbound::map_hl7_stream, map_input, profile::CompiledProfile, InputKind, MapOptions,
};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut profile = CompiledProfile::default();
    if args.first().map(String::as_str) == Some("--profile") {
        let p = args.get(1).cloned().unwrap_or_default();
        profile = match CompiledProfile::from_json(&p) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        };
        args.drain(..2);
    }
    for f in args {
        let bytes = match std::fs::read(&f) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{f}: {e}");
                continue;
            }
        };
        if detect(&bytes) != InputKind::Hl7 {
            match map_input(&bytes, &profile, &MapOptions::default()) {
                Ok(r) => println!(
                    "== {f}\n{}",
                    serde_json::to_string_pretty(&r).unwrap_or_default()
                ),
                Err(e) => println!("== {f}\nERROR {e}"),
            }
            continue;
        }
        match map_hl7_stream(&bytes, &profile) {
            Ok(rs) => {
                for r in rs {
                    println!(
                        "== {f}\n{}",
                        serde_json::to_string_pretty(&r).unwrap_or_default()
                    );
                }
            }
            Err(e) => println!("== {f}\nERROR {e}"),
        }
    }
}
