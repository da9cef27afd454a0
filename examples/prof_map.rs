//! Profiling driver (not a test): the lean send path natively — SIU → `MapResult` (codes only)
//! → the `Mapper.execution` JSON — in a loop, for `perf record` or `valgrind --tool=callgrind`
//! (docs/performance.md has the method and the phase breakdown).
//!
//! `cargo build --release --example prof_map && valgrind --tool=callgrind target/release/examples/prof_map [N] [file] [full]`
use ehr_studio_bridge::{
    event::Detail, inbound::map_input, jsonw::Ascii, profile::CompiledProfile, MapOptions,
    StudioConfig,
};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let file = args
        .next()
        .unwrap_or_else(|| "tests/fixtures/perf/siu_s12_small.hl7".into());
    let bytes = std::fs::read(&file).expect("fixture");
    let profile = CompiledProfile::from_json(
        r#"{"sender":{"timeZone":"America/New_York","defaultCountry":"US"}}"#,
    )
    .expect("profile");
    let cfg = StudioConfig::new("FW0123456789abcdef0123456789abcdef", "+15017122661");
    // What `Mapper.execution` does (src/wasm/map.rs): detect, map recording codes only, write.
    // `full` as a third argument maps with every detail instead (what `studioRequest` records).
    let detail = match args.next().as_deref() {
        Some("full") => Detail::Full,
        _ => Detail::Codes,
    };
    let opts = MapOptions {
        detail,
        ..MapOptions::default()
    };
    for _ in 0..n {
        let r = map_input(&bytes, &profile, &opts).expect("maps");
        let json = ehr_studio_bridge::studio::lean::execution_json(&r, &cfg, None, Ascii::Yes)
            .expect("request");
        std::hint::black_box(json);
    }
}
