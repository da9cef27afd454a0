//! Native timing of the HL7 paths (not a test): `cargo run --release --example bench_hl7`.
use ehr_studio_bridge::hl7::{tree, Message};
use std::time::Instant;

fn time(label: &str, n: u32, mut f: impl FnMut()) {
    for _ in 0..n / 10 {
        f();
    }
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    println!(
        "{label:<40} {:>9.2} µs",
        t.elapsed().as_secs_f64() * 1e6 / f64::from(n)
    );
}

fn main() {
    for file in [
        "perf/siu_s12_small.hl7",
        "perf/siu_s12_large.hl7",
        "corpus/synthetic/syn_siu_s12_very_long.hl7",
    ] {
        let bytes = std::fs::read(format!("tests/fixtures/{file}")).expect("fixture");
        let file = file.rsplit('/').next().unwrap_or(file);
        time(&format!("{file}: parse"), 20_000, || {
            std::hint::black_box(Message::parse(&bytes).ok());
        });
        time(&format!("{file}: parse + 13 fields"), 20_000, || {
            let m = Message::parse(&bytes).expect("parse");
            for p in [
                "MSH-7", "MSH-9.2", "PID-3.1", "PID-5.1", "PID-5.2", "PID-13.1", "SCH-1.1",
                "SCH-11.4", "SCH-12.1", "SCH-12.2", "SCH-12.3", "SCH-25.1", "AIL-3.1",
            ] {
                std::hint::black_box(m.get(p).map(|e| e.decoded()));
            }
        });
        let mut packed = tree::Packed::default();
        time(
            &format!("{file}: packed tree (parseHl7)"),
            if bytes.len() > 100_000 { 50 } else { 2_000 },
            || {
                let m = Message::parse(&bytes).expect("parse");
                tree::pack(&m, tree::Offsets::Utf16, &mut packed);
                std::hint::black_box(packed.words.len());
            },
        );
        time(
            &format!("{file}: tree + JSON (before: serde)"),
            if bytes.len() > 100_000 { 50 } else { 2_000 },
            || {
                let m = Message::parse(&bytes).expect("parse");
                std::hint::black_box(
                    serde_json::to_string(&tree::build(&m, tree::Offsets::Utf16)).ok(),
                );
            },
        );
    }
}
