//! Generates `src/time/tzdata.rs`, the compact zone table behind `ehr_studio_bridge::time`, from
//! `chrono-tz` (a dev-dependency: it is never linked into the library or the wasm).
//!
//! ```sh
//! cargo run --release --example gen_tzdata            # rewrite src/time/tzdata.rs
//! cargo run --release --example gen_tzdata -- --check # exit 1 if the checked-in file is stale
//! cargo run --release --example gen_tzdata -- --verify-step 600 # finer scan finds the same
//! ```
//!
//! Method (deterministic: same chrono-tz → byte-identical output):
//! 1. For every name chrono-tz knows (`TZ_VARIANTS`: canonical zones and links), probe the UTC
//!    offset once a day from 2000-01-01T00:00Z to `SCAN_END` and bisect every change to the exact
//!    second. chrono-tz's own horizon is the end of 2099 (it has no transition after that).
//! 2. Deduplicate identical histories (links and zones that agree since 2000 share one).
//! 3. Encode each history as explicit transitions (`u32`: minutes since 2000 << 6 | offset index)
//!    up to the year where it settles into a yearly two-transition pattern, then that pattern as
//!    two rules ("first <weekday> on or after <day> of <month>, or the last one, + N minutes
//!    UTC"), like a TZif footer. Every rule is re-expanded here and must reproduce every scanned
//!    transition to the second, else the history stays explicit.
//!
//! `tests/tzdata.rs` runs [`generate`] and compares it with the checked-in file (drift), and checks
//! the library against chrono-tz for every name.

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::{Tz, TZ_VARIANTS};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// 2000-01-01T00:00:00Z: the table's origin (earlier instants get the offset in force then).
pub const ORIGIN: i64 = 946_684_800;
/// Probe horizon: 2101-01-01T00:00:00Z (chrono-tz has no transition after 2099).
pub const SCAN_END: i64 = 4_133_980_800;
/// Probe step (seconds). No post-2000 span is shorter than a week (asserted below).
pub const STEP: i64 = 86_400;
/// Shortest yearly pattern stored as rules rather than explicit transitions.
pub const MIN_TAIL_YEARS: i64 = 4;
/// Output path, relative to the crate root.
pub const OUT: &str = "src/time/tzdata.rs";

/// chrono-tz's total UTC offset (seconds east) at a UTC instant (Unix seconds).
pub fn chrono_offset(tz: Tz, t: i64) -> i32 {
    let utc = DateTime::from_timestamp(t, 0)
        .expect("in range")
        .naive_utc();
    tz.offset_from_utc_datetime(&utc).fix().local_minus_utc()
}

/// `(instant, offset after)` for one zone: the first entry is `(ORIGIN, offset at ORIGIN)`, then
/// every change of the total offset up to `SCAN_END`, found by daily probes and bisection.
pub fn scan(tz: Tz) -> Vec<(i64, i32)> {
    scan_with_step(tz, STEP)
}

/// [`scan`] with another probe step (`--verify-step` compares a finer scan with the daily one).
pub fn scan_with_step(tz: Tz, step: i64) -> Vec<(i64, i32)> {
    let mut t = ORIGIN;
    let mut o = chrono_offset(tz, t);
    let mut out = vec![(ORIGIN, o)];
    while t < SCAN_END {
        let n = (t + step).min(SCAN_END);
        let o2 = chrono_offset(tz, n);
        if o2 != o {
            let (mut lo, mut hi) = (t, n); // offset(lo) == o, offset(hi) != o
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if chrono_offset(tz, mid) == o {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let after = chrono_offset(tz, hi);
            out.push((hi, after));
            o = after;
            // A second change between `hi` and `n` would be missed: make sure there is none.
            assert_eq!(
                chrono_offset(tz, n),
                o,
                "{}: two changes within a probe step",
                tz.name()
            );
        }
        t = n;
    }
    out
}

// ---- civil calendar (proleptic Gregorian, days since 1970-01-01) ----

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn year_of(t: i64) -> i64 {
    civil_from_days(t.div_euclid(86_400)).0
}

/// 0 = Monday … 6 = Sunday.
fn weekday(days: i64) -> u32 {
    (days + 3).rem_euclid(7) as u32
}

fn month_len(y: i64, m: u32) -> u32 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (days_from_civil(ny, nm, 1) - days_from_civil(y, m, 1)) as u32
}

/// A yearly transition: on the first `weekday` on or after `day` of `month` (`day == 0`: the
/// last `weekday` of the month), at `minutes` after 00:00 UTC of that date (may be negative or
/// past 24 h: rules are written in local time).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Rule {
    pub month: u32,
    pub day: u32,
    pub weekday: u32,
    pub minutes: i64,
}

impl Rule {
    pub fn instant(&self, y: i64) -> i64 {
        let d = if self.day == 0 {
            let last = month_len(y, self.month);
            let wd = weekday(days_from_civil(y, self.month, last));
            last - (wd + 7 - self.weekday) % 7
        } else {
            let wd = weekday(days_from_civil(y, self.month, self.day));
            self.day + (self.weekday + 7 - wd) % 7
        };
        days_from_civil(y, self.month, 1) + i64::from(d) - 1
    }

    pub fn at(&self, y: i64) -> i64 {
        self.instant(y) * 86_400 + self.minutes * 60
    }
}

/// A rule that yields every instant of `ts` (one per consecutive year), trying the frames in
/// which tz rules are written (UTC, and local time under each candidate offset).
fn infer_rule(ts: &[i64], frames: &[i32]) -> Option<Rule> {
    for &f in frames {
        let f = i64::from(f);
        let mut month = None;
        let mut wd = None;
        let mut tod = None;
        let mut days = Vec::new();
        let mut ok = true;
        for &t in ts {
            let local = t + f;
            let dn = local.div_euclid(86_400);
            let (y, m, d) = civil_from_days(dn);
            let w = weekday(dn);
            let s = local.rem_euclid(86_400);
            if *month.get_or_insert(m) != m
                || *wd.get_or_insert(w) != w
                || *tod.get_or_insert(s) != s
            {
                ok = false;
                break;
            }
            days.push((y, d));
        }
        let (Some(month), Some(w), Some(s), true) = (month, wd, tod, ok) else {
            continue;
        };
        if s % 60 != 0 {
            continue;
        }
        let minutes = (s - f) / 60;
        let min_d = days.iter().map(|x| x.1).min()?;
        let max_d = days.iter().map(|x| x.1).max()?;
        let mut cands = Vec::new();
        if max_d >= 7 && max_d - 6 <= min_d {
            cands.push(max_d - 6);
        } else if max_d < 7 {
            cands.push(1);
        }
        cands.push(0);
        for day in cands {
            let r = Rule {
                month,
                day,
                weekday: w,
                minutes,
            };
            if ts.iter().all(|&t| r.at(year_of(t)) == t) {
                return Some(r);
            }
        }
    }
    None
}

/// The yearly pattern at the end of a history: years `from..=to`, each with `first` (to offset
/// `a`) then `second` (to offset `b`), and offset `b` in force on 1 January of `from`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Tail {
    pub from: i64,
    pub to: i64,
    pub first: (Rule, i32),
    pub second: (Rule, i32),
}

/// Splits a history into explicit transitions and a rule tail (the longest one that reproduces
/// the scanned transitions exactly).
pub fn split(h: &[(i64, i32)]) -> (Vec<(i64, i32)>, Option<Tail>) {
    let explicit_all = || (h.to_vec(), None);
    let trans = h.get(1..).unwrap_or(&[]);
    let Some(&(last_t, _)) = trans.last() else {
        return explicit_all();
    };
    let to = year_of(last_t);
    let in_year = |y: i64| -> Vec<(i64, i32)> {
        trans
            .iter()
            .copied()
            .filter(|&(t, _)| year_of(t) == y)
            .collect()
    };
    let last = in_year(to);
    if last.len() != 2 {
        return explicit_all();
    }
    let (a, b) = (last[0].1, last[1].1);
    if a == b {
        return explicit_all();
    }
    // Grow the tail backwards while the year has the same shape and the rules still fit.
    let mut best: Option<Tail> = None;
    let mut y = to;
    let mut firsts = Vec::new();
    let mut seconds = Vec::new();
    loop {
        let ys = in_year(y);
        if ys.len() != 2 || ys[0].1 != a || ys[1].1 != b {
            break;
        }
        firsts.insert(0, ys[0].0);
        seconds.insert(0, ys[1].0);
        // Offset in force on 1 January of `y` must be `b`.
        // (`h[0]` is the offset since before 2000, so it counts as "before" any year.)
        let start = days_from_civil(y, 1, 1) * 86_400;
        let before = h
            .iter()
            .enumerate()
            .take_while(|&(i, &(t, _))| i == 0 || t < start)
            .last()
            .map(|x| x.1 .1);
        if before != Some(b) {
            break;
        }
        let frames = [0, a, b];
        let (Some(r1), Some(r2)) = (infer_rule(&firsts, &frames), infer_rule(&seconds, &frames))
        else {
            break;
        };
        best = Some(Tail {
            from: y,
            to,
            first: (r1, a),
            second: (r2, b),
        });
        y -= 1;
    }
    // A tail shorter than MIN_TAIL_YEARS saves less than it costs (and fits rules by chance).
    let Some(tail) = best.filter(|t| t.to - t.from + 1 >= MIN_TAIL_YEARS) else {
        return explicit_all();
    };
    let start = days_from_civil(tail.from, 1, 1) * 86_400;
    let explicit: Vec<_> = h
        .iter()
        .enumerate()
        .filter(|&(i, &(t, _))| i == 0 || t < start)
        .map(|x| *x.1)
        .collect();
    // Re-expand and compare with the scan (belt and braces: inference already checked each year).
    let mut again = explicit.clone();
    for y in tail.from..=tail.to {
        again.push((tail.first.0.at(y), a));
        again.push((tail.second.0.at(y), b));
    }
    assert_eq!(again, h, "rule tail does not reproduce the scan");
    (explicit, Some(tail))
}

/// The whole `src/time/tzdata.rs`, as a string.
pub fn generate() -> String {
    let mut names: Vec<Tz> = TZ_VARIANTS.to_vec();
    names.sort_by(|x, y| x.name().as_bytes().cmp(y.name().as_bytes()));

    let mut hist_of: BTreeMap<Vec<(i64, i32)>, usize> = BTreeMap::new();
    let mut hists: Vec<Vec<(i64, i32)>> = Vec::new();
    let mut name_hist = Vec::new();
    for tz in &names {
        let h = scan(*tz);
        for w in h.windows(2).skip(1) {
            assert!(
                w[1].0 - w[0].0 > 2 * 86_400,
                "{}: transitions < 2 days apart",
                tz.name()
            );
        }
        let id = *hist_of.entry(h.clone()).or_insert_with(|| {
            hists.push(h);
            hists.len() - 1
        });
        name_hist.push(id);
    }

    let mut offsets: Vec<i32> = hists.iter().flatten().map(|x| x.1).collect();
    offsets.sort_unstable();
    offsets.dedup();
    assert!(offsets.len() <= 64, "offset index must fit 6 bits");
    assert!(
        offsets.iter().all(|o| o % 60 == 0),
        "offsets must be whole minutes"
    );
    let oi = |o: i32| offsets.binary_search(&o).expect("known offset") as u32;
    let pack = |(t, o): (i64, i32)| -> u32 {
        let m = t - ORIGIN;
        assert!(
            m >= 0 && m % 60 == 0,
            "transitions must be at whole minutes"
        );
        let m = m / 60;
        assert!(m < (1 << 26), "26-bit minutes");
        ((m as u32) << 6) | oi(o)
    };
    let rule_lit = |r: &Rule, o: i32| {
        format!(
            "Rule {{ month: {}, day: {}, weekday: {}, minutes: {}, offset: {} }}",
            r.month,
            r.day,
            r.weekday,
            r.minutes,
            oi(o)
        )
    };

    let mut trans: Vec<u32> = Vec::new();
    let mut hist_lits = Vec::new();
    let mut tails = Vec::new();
    for h in &hists {
        let (explicit, tail) = split(h);
        let start = trans.len();
        trans.extend(explicit.iter().map(|&x| pack(x)));
        let tail_ix = match tail {
            Some(t) => {
                assert!((2000..=2255).contains(&t.from) && (2000..=2255).contains(&t.to));
                assert!(t.first.0.minutes.abs() < i64::from(i16::MAX));
                assert!(t.second.0.minutes.abs() < i64::from(i16::MAX));
                tails.push(format!(
                    "Tail {{ from: {}, to: {}, first: {}, second: {} }}",
                    t.from - 2000,
                    t.to - 2000,
                    rule_lit(&t.first.0, t.first.1),
                    rule_lit(&t.second.0, t.second.1)
                ));
                tails.len() - 1
            }
            None => NO_TAIL,
        };
        hist_lits.push((start, trans.len(), tail_ix));
    }
    assert!(trans.len() < usize::from(u16::MAX));
    assert!(hists.len() <= 256 && tails.len() < NO_TAIL);

    let all_names: String = names.iter().map(|t| t.name()).collect();
    assert!(all_names.len() < usize::from(u16::MAX) && all_names.is_ascii());

    let mut o = String::new();
    let n_trans: usize = hists.iter().map(|h| h.len() - 1).sum();
    let _ = writeln!(
        o,
        "//! @generated by `cargo run --release --example gen_tzdata` from chrono-tz (IANA tzdb {}).\n\
         //! Do not edit: regenerate after bumping chrono-tz (`tests/tzdata.rs` fails when stale).\n\
         //!\n\
         //! {} zone names, {} distinct offset histories since 2000 ({} transitions up to {}),\n\
         //! stored as {} explicit transitions and {} yearly rule pairs. See `src/time.rs` for the format.\n",
        chrono_tz::IANA_TZDB_VERSION,
        names.len(),
        hists.len(),
        n_trans,
        year_of(hists.iter().flatten().map(|x| x.0).max().unwrap_or(ORIGIN)),
        trans.len(),
        tails.len(),
    );
    let _ = writeln!(o, "use super::{{Hist, Rule, Tail}};\n");
    let _ = writeln!(o, "/// IANA tz database release of the source data.");
    let _ = writeln!(
        o,
        "pub const TZDB_VERSION: &str = {:?};\n",
        chrono_tz::IANA_TZDB_VERSION
    );

    let _ = writeln!(
        o,
        "/// Every zone name, sorted by bytes, concatenated (ends in `NAME_END`)."
    );
    let _ = writeln!(o, "pub static NAMES: &str = concat!(");
    let mut line = String::new();
    for tz in &names {
        if line.len() + tz.name().len() > 88 {
            let _ = writeln!(o, "    {line:?},");
            line.clear();
        }
        line.push_str(tz.name());
    }
    let _ = writeln!(o, "    {line:?},\n);\n");

    let mut end = 0usize;
    let ends: Vec<String> = names
        .iter()
        .map(|t| {
            end += t.name().len();
            end.to_string()
        })
        .collect();
    write_array(
        &mut o,
        "End of each name in `NAMES`.",
        "NAME_END",
        "u16",
        &ends,
    );
    let nh: Vec<String> = name_hist.iter().map(|h| h.to_string()).collect();
    write_array(
        &mut o,
        "History of each name (index into `HISTS`).",
        "NAME_HIST",
        "u8",
        &nh,
    );
    let offs: Vec<String> = offsets.iter().map(|x| (x / 60).to_string()).collect();
    write_array(
        &mut o,
        "Distinct UTC offsets, minutes east.",
        "OFFSETS",
        "i16",
        &offs,
    );
    let tr: Vec<String> = trans.iter().map(|x| format!("{x:#010x}")).collect();
    write_array(
        &mut o,
        "Explicit transitions: minutes since 2000-01-01T00:00Z << 6 | index into `OFFSETS`.\n/// The first of each history is at minute 0 and also covers all earlier instants.",
        "TRANS",
        "u32",
        &tr,
    );
    let hl: Vec<String> = hist_lits
        .iter()
        .map(|&(s, e, t)| format!("Hist {{ start: {s}, end: {e}, tail: {t} }}"))
        .collect();
    write_array(
        &mut o,
        &format!("Offset histories: `TRANS[start..end]`, then `TAILS[tail]` (`{NO_TAIL}`: none)."),
        "HISTS",
        "Hist",
        &hl,
    );
    write_array(
        &mut o,
        "Yearly rule pairs (years since 2000, inclusive).",
        "TAILS",
        "Tail",
        &tails,
    );
    o
}

const NO_TAIL: usize = 255;

fn write_array(o: &mut String, doc: &str, name: &str, ty: &str, items: &[String]) {
    let _ = writeln!(o, "/// {doc}");
    let _ = writeln!(o, "pub static {name}: [{ty}; {}] = [", items.len());
    let mut line = String::new();
    for it in items {
        if !line.is_empty() && line.len() + it.len() + 2 > 96 {
            let _ = writeln!(o, "    {}", line.trim_end());
            line.clear();
        }
        line.push_str(it);
        line.push_str(", ");
    }
    if !line.is_empty() {
        let _ = writeln!(o, "    {}", line.trim_end());
    }
    let _ = writeln!(o, "];\n");
}

#[allow(dead_code)] // `tests/tzdata.rs` includes this file for `generate`, not `main`
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(step) = args.iter().position(|a| a == "--verify-step") {
        let step: i64 = args
            .get(step + 1)
            .and_then(|s| s.parse().ok())
            .expect("--verify-step SECONDS");
        let mut n = 0;
        for tz in TZ_VARIANTS {
            assert_eq!(scan_with_step(tz, step), scan(tz), "{}", tz.name());
            n += 1;
        }
        println!("{n} names: a scan every {step} s finds the same transitions as the daily one");
        return;
    }
    let check = args.iter().any(|a| a == "--check");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(OUT);
    let text = generate();
    if check {
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        if old != text {
            eprintln!(
                "{} is stale: run `cargo run --release --example gen_tzdata`",
                OUT
            );
            std::process::exit(1);
        }
        println!("{OUT} is up to date ({} bytes)", text.len());
    } else {
        std::fs::write(&path, &text).expect("write tzdata.rs");
        println!("wrote {OUT} ({} bytes)", text.len());
    }
}
