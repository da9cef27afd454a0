//! Native timing of FHIR Bundle → Studio request and Redox message → Studio request (parse +
//! map + sanitize + build), per input; plus the same through `map_input` (detection included).
//!
//! `cargo run --release --example bench_fhir`
use ehr_studio_bridge::{
    build_studio_execution, map_fhir, map_input, map_redox, CompiledProfile, FhirOptions,
    MapOptions, MapResult, StudioConfig,
};
use std::time::Instant;

/// CPU time of this thread in nanoseconds (Linux `schedstat`), so that a loaded shared machine
/// does not inflate the figure; `None` elsewhere.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn bench(name: &str, bytes: &[u8], map: &dyn Fn(&[u8]) -> MapResult, cfg: &StudioConfig) {
    let run = || {
        let r = map(bytes);
        let e = r.event.expect("event");
        build_studio_execution(&e, cfg, None).expect("request")
    };
    for _ in 0..2_000 {
        std::hint::black_box(run());
    }
    let iters = 10_000u32;
    let (mut best, mut best_cpu) = (f64::MAX, f64::MAX);
    for _ in 0..7 {
        let c0 = cpu_ns();
        let t = Instant::now();
        for _ in 0..iters {
            std::hint::black_box(run());
        }
        best = best.min(t.elapsed().as_secs_f64() * 1e6 / f64::from(iters));
        if let (Some(a), Some(b)) = (c0, cpu_ns()) {
            best_cpu = best_cpu.min((b - a) as f64 / 1e3 / f64::from(iters));
        }
    }
    println!(
        "{name}: {} bytes: full request {best:.2} µs wall, {best_cpu:.2} µs CPU (best of 7 × {iters})",
        bytes.len()
    );
}

fn main() {
    let cfg = StudioConfig::new("FW0123456789abcdef0123456789abcdef", "+15017122661");
    let fhir = std::fs::read("tests/fixtures/fhir/synthetic/r4-searchset-appointment-include.json")
        .expect("fixture");
    let redox =
        std::fs::read("tests/fixtures/redox/scheduling-modification.json").expect("fixture");
    let fp = CompiledProfile::from_json(r#"{"sender":{"defaultCountry":"US"}}"#).expect("profile");
    let rp = CompiledProfile::from_json(
        r#"{"sender":{"timeZone":"America/Chicago","defaultCountry":"US"}}"#,
    )
    .expect("profile");
    let fo = FhirOptions::default();
    let mo = MapOptions::default();
    bench(
        "FHIR searchset+_include → request (map_fhir)",
        &fhir,
        &|b| map_fhir(b, &fp, &fo).expect("maps"),
        &cfg,
    );
    bench(
        "FHIR searchset+_include → request (map_input)",
        &fhir,
        &|b| map_input(b, &fp, &mo).expect("maps"),
        &cfg,
    );
    bench(
        "Redox Modification → request (map_redox)",
        &redox,
        &|b| map_redox(b, &rp).expect("maps"),
        &cfg,
    );
    bench(
        "Redox Modification → request (map_input)",
        &redox,
        &|b| map_input(b, &rp, &mo).expect("maps"),
        &cfg,
    );
}
