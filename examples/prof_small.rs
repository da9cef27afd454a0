//! Profiling helper: time the mapper's phases on the small perf message (`perf record` friendly).
use ehr_studio_bridge::{hl7::Message, inbound::map_message, profile::Profile};
fn time(name: &str, m: &Message<'_>, p: &Profile) {
    let n = 100_000;
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(map_message(m, p).expect("map"));
    }
    println!(
        "{name}: {:.2} µs",
        t.elapsed().as_secs_f64() * 1e6 / f64::from(n)
    );
}
fn main() {
    if std::env::var("ONLY_ADT").is_ok() {
        let raw =
            std::fs::read_to_string("tests/fixtures/perf/siu_s12_small.hl7").expect("fixture");
        let profile = Profile::from_json(
            r#"{"sender":{"timeZone":"America/New_York","defaultCountry":"US"}}"#,
        )
        .expect("profile");
        let adt = raw.replace("SIU^S12", "SIU^S18");
        let m = Message::parse_str(&adt).expect("p");
        for _ in 0..2_000_000 {
            std::hint::black_box(map_message(&m, &profile).expect("map"));
        }
        return;
    }
    let raw = std::fs::read_to_string("tests/fixtures/perf/siu_s12_small.hl7").expect("fixture");
    let profile =
        Profile::from_json(r#"{"sender":{"timeZone":"America/New_York","defaultCountry":"US"}}"#)
            .expect("profile");
    let adt = raw.replace("SIU^S12", "ADT^A04");
    time(
        "immediate skip (ADT)",
        &Message::parse_str(&adt).expect("p"),
        &profile,
    );
    let s18 = raw.replace("SIU^S12", "SIU^S18");
    time(
        "immediate skip (S18)",
        &Message::parse_str(&s18).expect("p"),
        &profile,
    );
    let nopid = raw
        .split('\r')
        .filter(|l| !l.starts_with("PID"))
        .collect::<Vec<_>>()
        .join("\r");
    time("no PID", &Message::parse_str(&nopid).expect("p"), &profile);
    let onlysch = raw
        .split('\r')
        .filter(|l| l.starts_with("MSH") || l.starts_with("SCH") || l.starts_with("PID"))
        .collect::<Vec<_>>()
        .join("\r");
    time(
        "MSH+SCH+PID",
        &Message::parse_str(&onlysch).expect("p"),
        &profile,
    );
    time("full", &Message::parse_str(&raw).expect("p"), &profile);
}
