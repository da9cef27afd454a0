//! Profiling driver (not a test): `parseHl7`'s native half, packed tree of the small perf message,
//! in a loop — run under `perf record` or `valgrind --tool=callgrind` (docs/performance.md).
//!
//! `cargo build --release --example prof_tree && valgrind --tool=callgrind target/release/examples/prof_tree [N] [file] [packed|serde]`
//! (`serde`: the former path — the serde tree serialized to JSON text, as `parseHl7` did before).
use ehr_studio_bridge::hl7::{tree, Message};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let file = args
        .next()
        .unwrap_or_else(|| "tests/fixtures/perf/siu_s12_small.hl7".into());
    let serde = args.next().is_some_and(|a| a == "serde");
    let bytes = std::fs::read(&file).expect("fixture");
    let mut packed = tree::Packed::default();
    for _ in 0..n {
        let m = Message::parse(&bytes).expect("parse");
        if serde {
            let json =
                ehr_studio_bridge::jsonw::to_ascii_string(&tree::build(&m, tree::Offsets::Utf16));
            std::hint::black_box(json.ok());
        } else {
            tree::pack(&m, tree::Offsets::Utf16, &mut packed);
            std::hint::black_box(packed.words.len());
        }
    }
}
