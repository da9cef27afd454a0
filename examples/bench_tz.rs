//! Native timing of zone lookups, ours (`src/time/tzdata.rs`) vs chrono-tz (not a test):
//! `cargo run --release --example bench_tz`.
use chrono::{DateTime, NaiveDateTime, Offset, TimeZone};
use ehr_studio_bridge::time::{self, AmbiguousPolicy};
use std::hint::black_box;
use std::time::Instant;

/// Best of 7 rounds, ns per call.
fn time_ns(n: usize, mut f: impl FnMut(usize)) -> f64 {
    for i in 0..n / 10 {
        f(i);
    }
    let mut best = f64::MAX;
    for _ in 0..7 {
        let t = Instant::now();
        for i in 0..n {
            f(i);
        }
        best = best.min(t.elapsed().as_secs_f64() * 1e9 / n as f64);
    }
    best
}

fn main() {
    let zones = [
        "America/New_York",
        "Europe/London",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "Africa/Casablanca",
        "America/Sao_Paulo",
        "Asia/Gaza",
        "US/Pacific",
    ];
    // 4096 instants spread over 2000–2040 (appointment-like).
    let instants: Vec<NaiveDateTime> = (0..4096i64)
        .map(|i| {
            let t = 946_684_800 + (i * 7_919 * 3_607) % (40 * 365 * 86_400);
            DateTime::from_timestamp(t, 0).unwrap().naive_utc()
        })
        .collect();
    let n = instants.len() * 64;
    println!(
        "{:<22} {:>14} {:>14} {:>16} {:>16}",
        "zone", "ours utc→local", "chrono-tz", "ours resolve", "chrono-tz local"
    );
    for name in zones {
        let ours = time::parse_zone(name).unwrap();
        let theirs: chrono_tz::Tz = name.parse().unwrap();
        let a = time_ns(n, |i| {
            black_box(time::utc_to_local(
                black_box(ours),
                instants[i % instants.len()],
            ));
        });
        let b = time_ns(n, |i| {
            let u = instants[i % instants.len()];
            let off = black_box(theirs)
                .offset_from_utc_datetime(&u)
                .fix()
                .local_minus_utc();
            black_box(u.checked_add_signed(chrono::Duration::seconds(i64::from(off))));
        });
        let c = time_ns(n, |i| {
            black_box(time::resolve_local(
                black_box(ours),
                instants[i % instants.len()],
                AmbiguousPolicy::Earlier,
            ));
        });
        let d = time_ns(n, |i| {
            black_box(black_box(theirs).from_local_datetime(&instants[i % instants.len()]));
        });
        println!("{name:<22} {a:>11.1} ns {b:>11.1} ns {c:>13.1} ns {d:>13.1} ns");
    }
    let names: Vec<&str> = time::zone_names().collect();
    let p = time_ns(names.len() * 50, |i| {
        black_box(time::parse_zone(black_box(names[i % names.len()])));
    });
    let q = time_ns(names.len() * 50, |i| {
        black_box(
            black_box(names[i % names.len()])
                .parse::<chrono_tz::Tz>()
                .ok(),
        );
    });
    println!(
        "parse_zone (all {} names): ours {p:.1} ns, chrono-tz {q:.1} ns",
        names.len()
    );
}
