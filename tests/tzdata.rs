//! Proof that the built-in zone table (`src/time/tzdata.rs`) is chrono-tz from 2000 on:
//!
//! * drift: regenerating the table (examples/gen_tzdata.rs) gives the checked-in file;
//! * names: exactly chrono-tz's names (canonical + links), parsed the same way;
//! * offsets: for every name, equal to chrono-tz every 6 hours from 2000-01-01 to 2038-01-01,
//!   daily (at a drifting time of day) to 2101, and at every transition (found by scanning
//!   chrono-tz) −1 s / 0 / +1 s;
//! * `resolve_local`: equal to the former chrono-tz-based implementation (copied below) around
//!   every transition of every name, for both overlap policies, and on a weekly grid;
//! * before 2000: the offset of 2000-01-01 (the one documented difference);
//! * no panic for any year chrono can represent.

#[path = "../examples/gen_tzdata.rs"]
#[allow(dead_code)]
mod gen_tzdata;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone};
use ehr_studio_bridge::time::{self, parse_zone, AmbiguousPolicy, Resolution, Resolved, Zone};
use std::sync::OnceLock;

const ORIGIN: i64 = gen_tzdata::ORIGIN;
/// 2038-01-01T00:00:00Z.
const Y2038: i64 = 2_145_916_800;
/// 2101-01-01T00:00:00Z.
const Y2101: i64 = gen_tzdata::SCAN_END;

fn naive(t: i64) -> NaiveDateTime {
    DateTime::from_timestamp(t, 0).unwrap().naive_utc()
}

fn chrono_tz_of(name: &str) -> chrono_tz::Tz {
    name.parse().unwrap()
}

/// Every name with its chrono-tz zone, our zone, and chrono-tz's transitions since 2000 (scanned).
struct Case {
    name: &'static str,
    ctz: chrono_tz::Tz,
    zone: Zone,
    scan: Vec<(i64, i32)>,
}

fn cases() -> &'static [Case] {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        let names: Vec<&'static str> = chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()).collect();
        parallel(&names, |&name| {
            let ctz = chrono_tz_of(name);
            Case {
                name,
                ctz,
                zone: parse_zone(name).unwrap_or_else(|| panic!("{name} missing")),
                scan: gen_tzdata::scan(ctz),
            }
        })
    })
}

/// `items.map(f)` on two threads (the machines have 2 cores).
fn parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let mid = items.len() / 2;
    let (a, b) = items.split_at(mid);
    std::thread::scope(|s| {
        let h = s.spawn(|| a.iter().map(&f).collect::<Vec<_>>());
        let mut out: Vec<R> = b.iter().map(&f).collect();
        let mut first = h.join().unwrap();
        first.append(&mut out);
        first
    })
}

fn ours(z: Zone, t: i64) -> i32 {
    z.offset_minutes_at(naive(t)) * 60
}

#[test]
fn drift_regenerating_gives_the_checked_in_table() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(gen_tzdata::OUT);
    let checked_in = std::fs::read_to_string(path).unwrap();
    let fresh = gen_tzdata::generate();
    assert!(
        fresh == checked_in,
        "src/time/tzdata.rs is stale: run `cargo run --release --example gen_tzdata`"
    );
    assert!(checked_in.contains(chrono_tz::IANA_TZDB_VERSION));
    assert_eq!(time::tzdb_version(), chrono_tz::IANA_TZDB_VERSION);
}

#[test]
fn names_are_exactly_chrono_tz_names() {
    let mut theirs: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()).collect();
    theirs.sort_unstable();
    let mine: Vec<&str> = time::zone_names().collect();
    assert_eq!(mine, theirs);
    assert!(mine.len() > 590, "{}", mine.len());
    for n in &mine {
        let z = parse_zone(n).unwrap();
        assert_eq!(z.name(), *n);
        assert_eq!(n.parse::<Zone>().unwrap(), z);
        assert_eq!(z.to_string(), *n);
    }
    for s in [
        "",
        "UTC",
        "utc",
        "Utc",
        "GMT",
        "Z",
        "America",
        "America/",
        "America/New_York ",
        " America/New_York",
        "America/New_York\0",
        "america/new_york",
        "AMERICA/NEW_YORK",
        "America/New_york",
        "US/Eastern",
        "Asia/Calcutta",
        "Asia/Kolkata",
        "Etc/GMT+5",
        "Etc/GMT-14",
        "Etc/GMT+15",
        "Etc/GMT-0",
        "EST5EDT",
        "Europe/Kyiv",
        "Europe/Kiev",
        "America/Ciudad_Juarez",
        "Mars/Olympus",
        "\u{10FFFF}",
        "Zulu",
        "zulu",
    ] {
        assert_eq!(
            parse_zone(s).is_some(),
            s.parse::<chrono_tz::Tz>().is_ok(),
            "{s:?}"
        );
    }
}

#[test]
fn every_name_every_6_hours_2000_to_2038_then_daily_to_2101() {
    let bad: Vec<String> = parallel(cases(), |c| {
        let mut t = ORIGIN;
        while t < Y2038 {
            let want = gen_tzdata::chrono_offset(c.ctz, t);
            if ours(c.zone, t) != want {
                return Some(format!(
                    "{} at {}: {} vs {want}",
                    c.name,
                    naive(t),
                    ours(c.zone, t)
                ));
            }
            t += 6 * 3600;
        }
        // Daily, drifting by 7 min 13 s a day so that every time of day gets probed.
        while t < Y2101 + 86_400 {
            let want = gen_tzdata::chrono_offset(c.ctz, t);
            if ours(c.zone, t) != want {
                return Some(format!(
                    "{} at {}: {} vs {want}",
                    c.name,
                    naive(t),
                    ours(c.zone, t)
                ));
            }
            t += 86_400 + 433;
        }
        None
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    let probes = (Y2038 - ORIGIN) / (6 * 3600) + (Y2101 + 86_400 - Y2038) / (86_400 + 433);
    eprintln!("{} names × {probes} probes: equal", cases().len());
}

#[test]
fn every_transition_plus_minus_one_second() {
    let mut total = 0;
    for c in cases() {
        for &(t, after) in c.scan.iter().skip(1) {
            let before = gen_tzdata::chrono_offset(c.ctz, t - 1);
            assert_ne!(before, after);
            assert_eq!(ours(c.zone, t - 1), before, "{} {}", c.name, naive(t));
            assert_eq!(ours(c.zone, t), after, "{} {}", c.name, naive(t));
            assert_eq!(ours(c.zone, t + 1), after, "{} {}", c.name, naive(t));
            total += 1;
        }
    }
    eprintln!("{total} transitions (all names, 2000–2099): equal at −1 s, 0, +1 s");
    assert!(total > 40_000, "{total}");
}

/// The 2100 horizon is chrono-tz's: no transition after 2099, the last offset stays.
#[test]
fn after_2099_the_last_offset_stays_like_chrono_tz() {
    for c in cases() {
        let last = c.scan.last().unwrap().1;
        for y in [2100, 2101, 2150, 2500, 9999, 200_000] {
            for (m, d) in [(1, 1), (7, 1), (12, 31)] {
                let t = NaiveDate::from_ymd_opt(y, m, d)
                    .unwrap()
                    .and_hms_opt(12, 0, 0)
                    .unwrap();
                let want = c.ctz.offset_from_utc_datetime(&t).fix().local_minus_utc();
                assert_eq!(want, last, "{} {t}", c.name);
                assert_eq!(c.zone.offset_minutes_at(t) * 60, want, "{} {t}", c.name);
            }
        }
    }
}

/// The only difference: before 2000-01-01T00:00Z a zone keeps its offset of that moment.
#[test]
fn before_2000_the_offset_of_2000_applies() {
    let mut differs = Vec::new();
    for c in cases() {
        let at2000 = gen_tzdata::chrono_offset(c.ctz, ORIGIN);
        let mut t = ORIGIN - 1;
        let mut first_diff = None;
        while t > -5_000_000_000 {
            assert_eq!(ours(c.zone, t), at2000, "{} {}", c.name, naive(t));
            if first_diff.is_none() && t >= 0 && gen_tzdata::chrono_offset(c.ctz, t) != at2000 {
                first_diff = Some(t);
            }
            t -= 86_400 * 5 + 3_601;
        }
        for y in [1999, 1970, 1900, 1, -262_000] {
            let t = NaiveDate::from_ymd_opt(y, 7, 1)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap();
            assert_eq!(c.zone.offset_minutes_at(t) * 60, at2000, "{} {t}", c.name);
        }
        if let Some(t) = first_diff {
            differs.push((c.name, t));
        }
    }
    // chrono-tz has real history there (e.g. New York in July 1999 was on EDT, we say EST).
    let ny = differs.iter().find(|d| d.0 == "America/New_York").unwrap();
    assert!(ny.1 > ORIGIN - 86_400 * 365);
    eprintln!(
        "{} of {} names have another offset somewhere in 1970–1999 in chrono-tz",
        differs.len(),
        cases().len()
    );
}

/// The former implementation of `resolve_local` (chrono-tz), verbatim but for the zone type.
fn reference_resolve(
    tz: chrono_tz::Tz,
    local: NaiveDateTime,
    policy: AmbiguousPolicy,
) -> Option<Resolved> {
    use chrono::LocalResult;
    let offset_minutes_at_utc = |tz: chrono_tz::Tz, utc: NaiveDateTime| {
        tz.offset_from_utc_datetime(&utc).fix().local_minus_utc() / 60
    };
    match tz.from_local_datetime(&local) {
        LocalResult::Single(dt) => {
            let off = dt.offset().fix().local_minus_utc() / 60;
            Some(Resolved {
                local,
                utc: dt.naive_utc(),
                offset_minutes: off,
                resolution: Resolution::Exact,
            })
        }
        LocalResult::Ambiguous(a, b) => {
            let (ea, eb) = if a.naive_utc() <= b.naive_utc() {
                (a, b)
            } else {
                (b, a)
            };
            let dt = match policy {
                AmbiguousPolicy::Earlier => ea,
                AmbiguousPolicy::Later => eb,
            };
            Some(Resolved {
                local,
                utc: dt.naive_utc(),
                offset_minutes: dt.offset().fix().local_minus_utc() / 60,
                resolution: Resolution::Ambiguous(policy),
            })
        }
        LocalResult::None => {
            let probe = local.checked_sub_signed(Duration::days(1))?;
            let before = offset_minutes_at_utc(tz, probe);
            let utc = local.checked_sub_signed(Duration::minutes(i64::from(before)))?;
            let after = offset_minutes_at_utc(tz, utc);
            let moved = utc.checked_add_signed(Duration::minutes(i64::from(after)))?;
            Some(Resolved {
                local: moved,
                utc,
                offset_minutes: after,
                resolution: Resolution::Gap(i64::from(after - before)),
            })
        }
    }
}

const POLICIES: [AmbiguousPolicy; 2] = [AmbiguousPolicy::Earlier, AmbiguousPolicy::Later];

/// Wall times around each transition: every 15 min from 3 h before to 3 h after (in both
/// offsets), and the exact edges of the gap/overlap ±1 s.
fn locals_around(t: i64, before: i32, after: i32) -> Vec<i64> {
    let (lo, hi) = (before.min(after), before.max(after));
    let mut v = Vec::new();
    let mut l = t + i64::from(lo) - 3 * 3600;
    while l <= t + i64::from(hi) + 3 * 3600 {
        v.push(l);
        l += 900;
    }
    for e in [t + i64::from(before), t + i64::from(after)] {
        v.extend([e - 1, e, e + 1]);
    }
    v
}

#[test]
fn resolve_local_equals_chrono_tz_around_every_transition() {
    let counts = parallel(cases(), |c| {
        let (mut n, mut gaps, mut overlaps) = (0u64, 0u64, 0u64);
        for &(t, after) in c.scan.iter().skip(1) {
            let before = gen_tzdata::chrono_offset(c.ctz, t - 1);
            for l in locals_around(t, before, after) {
                for p in POLICIES {
                    let local = naive(l);
                    let want = reference_resolve(c.ctz, local, p);
                    let got = time::resolve_local(c.zone, local, p);
                    assert_eq!(got, want, "{} {local} {p:?}", c.name);
                    match got.map(|r| r.resolution) {
                        Some(Resolution::Gap(_)) => gaps += 1,
                        Some(Resolution::Ambiguous(_)) => overlaps += 1,
                        _ => {}
                    }
                    n += 1;
                }
            }
        }
        (n, gaps, overlaps)
    });
    let (n, g, o) = counts
        .iter()
        .fold((0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
    eprintln!("resolve_local: {n} calls equal ({g} gaps, {o} overlaps)");
    assert!(g > 10_000 && o > 10_000);
}

#[test]
fn resolve_local_and_utc_to_local_equal_chrono_tz_on_a_weekly_grid() {
    parallel(cases(), |c| {
        // 2000-01-08 to 2101, every 7 days + 1 h 1 min (so every time of day comes round).
        let mut l = ORIGIN + 7 * 86_400;
        while l < Y2101 {
            let local = naive(l);
            for p in POLICIES {
                assert_eq!(
                    time::resolve_local(c.zone, local, p),
                    reference_resolve(c.ctz, local, p),
                    "{} {local}",
                    c.name
                );
            }
            let off = gen_tzdata::chrono_offset(c.ctz, l) / 60;
            let want = local.checked_add_signed(Duration::minutes(i64::from(off)));
            assert_eq!(
                time::utc_to_local(c.zone, local),
                want.map(|w| (w, off)),
                "{} {local}",
                c.name
            );
            l += 7 * 86_400 + 3_660;
        }
    });
}

fn t(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, mo, d)
        .unwrap()
        .and_hms_opt(h, mi, 0)
        .unwrap()
}

/// Hand-checked gaps and overlaps in the zones with unusual rules, also compared with chrono-tz.
#[test]
fn representative_gaps_and_overlaps() {
    use AmbiguousPolicy::{Earlier, Later};
    // (zone, local, policy, expected offset, expected resolution, expected wall time)
    let cases: &[(
        &str,
        NaiveDateTime,
        AmbiguousPolicy,
        i32,
        Resolution,
        NaiveDateTime,
    )] = &[
        // US: 2024-03-10 02:30 does not exist; 2024-11-03 01:30 twice.
        (
            "America/New_York",
            t(2024, 3, 10, 2, 30),
            Earlier,
            -240,
            Resolution::Gap(60),
            t(2024, 3, 10, 3, 30),
        ),
        (
            "America/New_York",
            t(2024, 11, 3, 1, 30),
            Earlier,
            -240,
            Resolution::Ambiguous(Earlier),
            t(2024, 11, 3, 1, 30),
        ),
        (
            "America/New_York",
            t(2024, 11, 3, 1, 30),
            Later,
            -300,
            Resolution::Ambiguous(Later),
            t(2024, 11, 3, 1, 30),
        ),
        (
            "US/Eastern",
            t(2006, 4, 2, 2, 15),
            Earlier,
            -240,
            Resolution::Gap(60),
            t(2006, 4, 2, 3, 15),
        ),
        (
            "America/New_York",
            t(2007, 3, 11, 2, 15),
            Earlier,
            -240,
            Resolution::Gap(60),
            t(2007, 3, 11, 3, 15),
        ),
        // UK: 2024-03-31 01:30 gap, 2024-10-27 01:30 twice.
        (
            "Europe/London",
            t(2024, 3, 31, 1, 30),
            Earlier,
            60,
            Resolution::Gap(60),
            t(2024, 3, 31, 2, 30),
        ),
        (
            "Europe/London",
            t(2024, 10, 27, 1, 30),
            Later,
            0,
            Resolution::Ambiguous(Later),
            t(2024, 10, 27, 1, 30),
        ),
        // Lord Howe: 30-minute DST (+10:30 / +11).
        (
            "Australia/Lord_Howe",
            t(2024, 10, 6, 2, 15),
            Earlier,
            660,
            Resolution::Gap(30),
            t(2024, 10, 6, 2, 45),
        ),
        (
            "Australia/Lord_Howe",
            t(2024, 4, 7, 1, 45),
            Earlier,
            660,
            Resolution::Ambiguous(Earlier),
            t(2024, 4, 7, 1, 45),
        ),
        (
            "Australia/Lord_Howe",
            t(2024, 4, 7, 1, 45),
            Later,
            630,
            Resolution::Ambiguous(Later),
            t(2024, 4, 7, 1, 45),
        ),
        // India: no DST.
        (
            "Asia/Kolkata",
            t(2024, 3, 10, 2, 30),
            Earlier,
            330,
            Resolution::Exact,
            t(2024, 3, 10, 2, 30),
        ),
        (
            "Asia/Calcutta",
            t(2024, 10, 27, 1, 30),
            Later,
            330,
            Resolution::Exact,
            t(2024, 10, 27, 1, 30),
        ),
        // Chatham: +12:45 / +13:45, changes at 02:45 local.
        (
            "Pacific/Chatham",
            t(2024, 9, 29, 3, 0),
            Earlier,
            825,
            Resolution::Gap(60),
            t(2024, 9, 29, 4, 0),
        ),
        (
            "Pacific/Chatham",
            t(2024, 4, 7, 3, 0),
            Later,
            765,
            Resolution::Ambiguous(Later),
            t(2024, 4, 7, 3, 0),
        ),
        // São Paulo: DST until Feb 2019 (fall back at 00:00 → 23:00), abolished after.
        (
            "America/Sao_Paulo",
            t(2019, 2, 16, 23, 30),
            Earlier,
            -120,
            Resolution::Ambiguous(Earlier),
            t(2019, 2, 16, 23, 30),
        ),
        (
            "America/Sao_Paulo",
            t(2018, 11, 4, 0, 30),
            Earlier,
            -120,
            Resolution::Gap(60),
            t(2018, 11, 4, 1, 30),
        ),
        (
            "America/Sao_Paulo",
            t(2019, 11, 3, 0, 30),
            Earlier,
            -180,
            Resolution::Exact,
            t(2019, 11, 3, 0, 30),
        ),
        (
            "America/Sao_Paulo",
            t(2024, 1, 15, 9, 0),
            Earlier,
            -180,
            Resolution::Exact,
            t(2024, 1, 15, 9, 0),
        ),
        // Casablanca: +01 with −1 h during Ramadan (2024: 10 March 03:00 → 02:00, 14 April 02:00 → 03:00).
        (
            "Africa/Casablanca",
            t(2024, 3, 10, 2, 30),
            Later,
            0,
            Resolution::Ambiguous(Later),
            t(2024, 3, 10, 2, 30),
        ),
        (
            "Africa/Casablanca",
            t(2024, 3, 20, 12, 0),
            Earlier,
            0,
            Resolution::Exact,
            t(2024, 3, 20, 12, 0),
        ),
        (
            "Africa/Casablanca",
            t(2024, 4, 14, 2, 30),
            Earlier,
            60,
            Resolution::Gap(60),
            t(2024, 4, 14, 3, 30),
        ),
        (
            "Africa/Casablanca",
            t(2024, 5, 1, 12, 0),
            Earlier,
            60,
            Resolution::Exact,
            t(2024, 5, 1, 12, 0),
        ),
        // Asunción: DST until 2024, permanent −03 since October 2024.
        (
            "America/Asuncion",
            t(2023, 10, 1, 0, 30),
            Earlier,
            -180,
            Resolution::Gap(60),
            t(2023, 10, 1, 1, 30),
        ),
        (
            "America/Asuncion",
            t(2024, 3, 23, 23, 30),
            Later,
            -240,
            Resolution::Ambiguous(Later),
            t(2024, 3, 23, 23, 30),
        ),
        (
            "America/Asuncion",
            t(2025, 7, 1, 12, 0),
            Earlier,
            -180,
            Resolution::Exact,
            t(2025, 7, 1, 12, 0),
        ),
        // Moscow: +03/+04 until 2011, permanent +04 2011–2014, +03 since 26 Oct 2014 (02:00 → 01:00).
        (
            "Europe/Moscow",
            t(2010, 3, 28, 2, 30),
            Earlier,
            240,
            Resolution::Gap(60),
            t(2010, 3, 28, 3, 30),
        ),
        (
            "Europe/Moscow",
            t(2011, 3, 27, 2, 30),
            Earlier,
            240,
            Resolution::Gap(60),
            t(2011, 3, 27, 3, 30),
        ),
        (
            "Europe/Moscow",
            t(2012, 7, 1, 12, 0),
            Earlier,
            240,
            Resolution::Exact,
            t(2012, 7, 1, 12, 0),
        ),
        (
            "Europe/Moscow",
            t(2013, 1, 1, 12, 0),
            Earlier,
            240,
            Resolution::Exact,
            t(2013, 1, 1, 12, 0),
        ),
        (
            "Europe/Moscow",
            t(2014, 10, 26, 1, 30),
            Earlier,
            240,
            Resolution::Ambiguous(Earlier),
            t(2014, 10, 26, 1, 30),
        ),
        (
            "Europe/Moscow",
            t(2014, 10, 26, 1, 30),
            Later,
            180,
            Resolution::Ambiguous(Later),
            t(2014, 10, 26, 1, 30),
        ),
        (
            "Europe/Moscow",
            t(2024, 7, 1, 12, 0),
            Earlier,
            180,
            Resolution::Exact,
            t(2024, 7, 1, 12, 0),
        ),
        // Far future: DST still follows the rules (rule tail), then chrono-tz's 2099 horizon.
        (
            "America/New_York",
            t(2087, 3, 9, 2, 30),
            Earlier,
            -240,
            Resolution::Gap(60),
            t(2087, 3, 9, 3, 30),
        ),
        (
            "America/New_York",
            t(2105, 7, 1, 12, 0),
            Earlier,
            -300,
            Resolution::Exact,
            t(2105, 7, 1, 12, 0),
        ),
        (
            "Australia/Sydney",
            t(2105, 7, 1, 12, 0),
            Earlier,
            660,
            Resolution::Exact,
            t(2105, 7, 1, 12, 0),
        ),
    ];
    for &(name, local, p, off, res, wall) in cases {
        let z = parse_zone(name).unwrap();
        let r = time::resolve_local(z, local, p).unwrap();
        assert_eq!(
            (r.offset_minutes, r.resolution, r.local),
            (off, res, wall),
            "{name} {local} {p:?}"
        );
        assert_eq!(
            r.utc,
            wall - Duration::minutes(i64::from(off)),
            "{name} {local}"
        );
        assert_eq!(
            Some(r),
            reference_resolve(chrono_tz_of(name), local, p),
            "{name} {local}"
        );
    }
}

/// Before 2000 our answer and chrono-tz's differ only where the offset differs (documented).
#[test]
fn before_2000_resolve_local_uses_the_2000_offset() {
    let ny = parse_zone("America/New_York").unwrap();
    let r = time::resolve_local(ny, t(1999, 7, 1, 12, 0), AmbiguousPolicy::Earlier).unwrap();
    assert_eq!((r.offset_minutes, r.resolution), (-300, Resolution::Exact));
    let c = reference_resolve(
        chrono_tz_of("America/New_York"),
        t(1999, 7, 1, 12, 0),
        AmbiguousPolicy::Earlier,
    )
    .unwrap();
    assert_eq!(c.offset_minutes, -240);
    // Winter 1999 agrees.
    let r = time::resolve_local(ny, t(1999, 12, 1, 12, 0), AmbiguousPolicy::Earlier);
    let c = reference_resolve(
        chrono_tz_of("America/New_York"),
        t(1999, 12, 1, 12, 0),
        AmbiguousPolicy::Earlier,
    );
    assert_eq!(r, c);
}

#[test]
fn no_panic_at_the_ends_of_chrono_range() {
    let extremes = [
        NaiveDateTime::MIN,
        NaiveDateTime::MIN + Duration::hours(13),
        NaiveDateTime::MIN + Duration::days(1),
        NaiveDateTime::MAX,
        NaiveDateTime::MAX - Duration::hours(13),
        NaiveDateTime::MAX - Duration::days(1),
        t(-1, 1, 1, 0, 0),
        t(0, 2, 29, 12, 0),
        t(1999, 12, 31, 23, 59),
        t(2000, 1, 1, 0, 0),
        t(2099, 12, 31, 23, 59),
        t(2100, 2, 28, 23, 59),
        t(9999, 12, 31, 23, 59),
    ];
    for name in time::zone_names() {
        let z = parse_zone(name).unwrap();
        let ctz = chrono_tz_of(name);
        for &x in &extremes {
            let _ = z.offset_minutes_at(x);
            let _ = time::utc_to_local(z, x);
            for p in POLICIES {
                let got = time::resolve_local(z, x, p);
                let want = reference_resolve(ctz, x, p);
                if x.and_utc().timestamp() >= ORIGIN + 86_400 {
                    assert_eq!(got, want, "{name} {x}");
                }
            }
        }
    }
}

/// Through the SIU mapper: current appointment times get DST-correct offsets; a (never expected)
/// pre-2000 start still maps, with the zone's offset of 2000-01-01.
#[test]
fn siu_appointment_times_use_the_table() {
    let msg = |start: &str| {
        format!(
            "MSH|^~\\&|EHR|FAC|HUB|X|20240115093000||SIU^S12|C1|P|2.3\r\
             SCH|P1^EHR|F1^EHR||||||CONSULT^Consult|||^^30^{start}|D1^DOC^DANA\r\
             PID|1||MRN1^^^FAC^MR||DOE^JANE||19800101|F|||||^PRN^CP^^1^617^5550142\r\
             RGS|1\r"
        )
    };
    let profile =
        ehr_studio_bridge::CompiledProfile::from_json(r#"{"sender":{"timeZone":"US/Eastern"}}"#)
            .unwrap();
    for (start, want) in [
        ("20240722143000", ("2024-07-22T14:30:00", "-0400")),
        ("20240122143000", ("2024-01-22T14:30:00", "-0500")),
        ("20370701090000", ("2037-07-01T09:00:00", "-0400")),
        ("20660701090000", ("2066-07-01T09:00:00", "-0400")),
        ("19990701090000", ("1999-07-01T09:00:00", "-0500")),
    ] {
        let r = ehr_studio_bridge::map_hl7(msg(start).as_bytes(), &profile).unwrap();
        let e = r.event.unwrap();
        assert_eq!(
            (
                e.appointment_datetime.as_str(),
                e.appointment_timezone.as_str()
            ),
            want,
            "{start}"
        );
    }
}
