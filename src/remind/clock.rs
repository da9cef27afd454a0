//! The planner's time arithmetic: instants (Unix ms), wall-clock times in the appointment's zone
//! (or a fixed offset), reminder offsets and the outreach window.
//!
//! DST rules (tested against chrono-tz in `tests/remind_props.rs`):
//! * an offset in days (`1d`, `1d@18:00`) is a wall-clock time, resolved like every local time of
//!   the crate ([`crate::time::resolve_local`]: a gap moves forward, an overlap follows
//!   `sender.ambiguousTime`); hours and minutes are elapsed time;
//! * a reminder outside the window moves to the **latest** instant before it whose wall time is in
//!   the window (`earlier`) or the **earliest** one after it (`later`), to the minute. Being in
//!   the window can only start or stop where the wall clock reads the window's start or end, or
//!   where it jumps (a DST change): those instants are the candidates. So an end in a gap gives the
//!   minute before the jump, a start in a gap the instant of the jump, and a fall-back that brings
//!   the clock back into the window is found too.

use crate::profile::reminders::{Offset, WindowRule};
use crate::time::{self, AmbiguousPolicy, Resolution, Zone};
use chrono::{DateTime, Datelike, Duration, NaiveDateTime, NaiveTime, Timelike};

const MINUTE_MS: i64 = 60_000;
/// The latest moved-to time of day when the window ends at `24:00`: 23:59.
const LAST_MINUTE_S: u32 = 86_340;
/// How many days a move may search: a week (one allowed day at least) plus a day a DST gap ate.
const SEARCH_DAYS: i64 = 8;

/// Where wall-clock times are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tz {
    /// An IANA zone (DST-aware).
    Zone(Zone),
    /// A fixed offset east of UTC, in minutes (no zone was known).
    Fixed(i32),
}

/// A UTC instant in ms as a `NaiveDateTime`.
pub fn naive(ms: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_millis(ms).map(|d| d.naive_utc())
}

/// A UTC `NaiveDateTime` as Unix ms.
pub fn ms(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_millis()
}

impl Tz {
    /// Offset east of UTC in minutes at an instant.
    pub fn offset_minutes(self, at_ms: i64) -> i32 {
        match self {
            Tz::Fixed(m) => m,
            Tz::Zone(z) => naive(at_ms).map_or(0, |t| z.offset_minutes_at(t)),
        }
    }

    /// The wall-clock time at an instant.
    pub fn wall(self, at_ms: i64) -> Option<NaiveDateTime> {
        let off = i64::from(self.offset_minutes(at_ms));
        naive(at_ms.checked_add(off * MINUTE_MS)?)
    }

    /// A wall time as an instant, gaps and overlaps as [`crate::time::resolve_local`] does.
    pub fn resolve(self, local: NaiveDateTime, policy: AmbiguousPolicy) -> Option<time::Resolved> {
        match self {
            Tz::Zone(z) => time::resolve_local(z, local, policy),
            Tz::Fixed(m) => Some(time::Resolved {
                local,
                utc: local.checked_sub_signed(Duration::minutes(i64::from(m)))?,
                offset_minutes: m,
                resolution: Resolution::Exact,
            }),
        }
    }

    /// The first second at which the offset is no longer the one at `lo` (`lo < hi`, the offset
    /// at `hi` differs).
    fn transition_between(self, lo_s: i64, hi_s: i64) -> i64 {
        let before = self.offset_minutes(lo_s * 1000);
        let (mut lo, mut hi) = (lo_s, hi_s);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.offset_minutes(mid * 1000) == before {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        hi * 1000
    }

    /// The instants whose wall time is `local`: one, two (an overlap), or none (a gap: the
    /// minute before the clocks jump and the instant they do).
    fn at_wall(self, local: NaiveDateTime, out: &mut Vec<i64>) {
        let Some(first) = self.resolve(local, AmbiguousPolicy::Earlier) else {
            return;
        };
        if let Resolution::Gap(gap) = first.resolution {
            // `first.utc` reads the wall time with the offset before the gap, which is after the
            // jump; `gap` minutes earlier is before it.
            let hi = ms(first.utc).div_euclid(1000);
            let t = self.transition_between(hi - gap * 60, hi);
            out.extend([t - MINUTE_MS, t]);
            return;
        }
        out.push(ms(first.utc));
        if let Resolution::Ambiguous(_) = first.resolution {
            if let Some(last) = self.resolve(local, AmbiguousPolicy::Later) {
                out.push(ms(last.utc));
            }
        }
    }

    /// The offset changes between two instants (each as the minute before and the instant).
    fn changes(self, from_ms: i64, to_ms: i64, out: &mut Vec<i64>) {
        if let Tz::Fixed(_) = self {
            return;
        }
        // Changes are more than two days apart: a 6-hour step sees each one.
        const STEP_S: i64 = 6 * 3600;
        let mut t = from_ms.div_euclid(1000);
        let end = to_ms.div_euclid(1000);
        while t < end {
            let next = (t + STEP_S).min(end);
            if self.offset_minutes(t * 1000) != self.offset_minutes(next * 1000) {
                let c = self.transition_between(t, next);
                out.extend([c - MINUTE_MS, c]);
            }
            t = next;
        }
    }
}

/// A stable sort for the planner's short lists (a few reminders, a few dozen window edges):
/// smaller in wasm than the standard library's sorts.
pub fn insertion_sort<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 {
            let (Some(a), Some(b)) = (v.get(j - 1), v.get(j)) else {
                break;
            };
            if key(a) <= key(b) {
                break;
            }
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// The nominal instant of an offset before `start_ms`, and how a wall time was resolved when
/// the offset has a calendar part (`None`: exactly).
pub fn nominal(
    tz: Tz,
    start_ms: i64,
    offset: &Offset,
    policy: AmbiguousPolicy,
) -> Option<(i64, Option<Resolution>)> {
    let mut at = start_ms;
    let mut how = None;
    if offset.days > 0 || offset.at_minute.is_some() {
        let wall = tz.wall(start_ms)?;
        let date = wall
            .date()
            .checked_sub_signed(Duration::days(offset.days))?;
        let time = match offset.at_minute {
            Some(m) => NaiveTime::from_hms_opt(m / 60, m % 60, 0)?,
            None => wall.time(),
        };
        let r = tz.resolve(date.and_time(time), policy)?;
        at = ms(r.utc);
        how = Some(r.resolution).filter(|r| *r != Resolution::Exact);
    }
    Some((at.checked_sub(offset.elapsed_ms)?, how))
}

impl WindowRule {
    /// Whether the wall time at an instant is in the window (both ends included, to the second).
    pub fn contains(&self, tz: Tz, at_ms: i64) -> bool {
        let Some(w) = tz.wall(at_ms) else {
            return false;
        };
        let sod = w.num_seconds_from_midnight();
        self.day_allowed(w) && self.start_s <= sod && sod <= self.end_s
    }

    fn day_allowed(&self, local: NaiveDateTime) -> bool {
        self.days
            .get(local.weekday().num_days_from_monday() as usize)
            .copied()
            .unwrap_or(false)
    }

    /// Every instant within `days` days of `at_ms` (in `dir`) where being in the window can
    /// start or stop: the window's start and end wall times each day (the end of a `24:00` window
    /// as 23:59), and the minute before and the instant of each offset change. Sorted.
    fn edges(&self, tz: Tz, at_ms: i64, dir: i64, days: i64) -> Vec<i64> {
        let span = (days + 1) * 86_400_000;
        let (from, to) = if dir < 0 {
            (at_ms.saturating_sub(span), at_ms)
        } else {
            (at_ms, at_ms.saturating_add(span))
        };
        let mut out = Vec::with_capacity(64);
        if let (Some(a), Some(b)) = (tz.wall(from), tz.wall(to)) {
            let mut day = a.date().pred_opt().unwrap_or(a.date());
            let last = b.date().succ_opt().unwrap_or(b.date());
            while day <= last {
                for secs in [self.start_s, self.end_s.min(LAST_MINUTE_S)] {
                    if let Some(t) = NaiveTime::from_num_seconds_from_midnight_opt(secs, 0) {
                        tz.at_wall(day.and_time(t), &mut out);
                    }
                }
                day = match day.succ_opt() {
                    Some(d) => d,
                    None => break,
                };
            }
        }
        tz.changes(
            from.saturating_sub(86_400_000),
            to.saturating_add(86_400_000),
            &mut out,
        );
        insertion_sort(&mut out, |t| *t);
        out.dedup();
        out
    }

    /// The latest instant ≤ `at_ms` in the window (`at_ms` itself when inside); `None` when the
    /// window has no slot in the 8 days before.
    pub fn earlier(&self, tz: Tz, at_ms: i64) -> Option<i64> {
        if self.contains(tz, at_ms) {
            return Some(at_ms);
        }
        self.nearest(tz, at_ms, -1, |t| t <= at_ms && self.contains(tz, t))
    }

    /// The earliest instant ≥ `at_ms` in the window; `None` when there is none in 8 days.
    pub fn later(&self, tz: Tz, at_ms: i64) -> Option<i64> {
        if self.contains(tz, at_ms) {
            return Some(at_ms);
        }
        self.nearest(tz, at_ms, 1, |t| t >= at_ms && self.contains(tz, t))
    }

    /// When the window that contains `at_ms` closes, to the minute: the first edge from `at_ms`
    /// on that is in the window while the minute after is not (the end wall time, 23:59 of the
    /// last day of a `24:00` window, the minute before a DST jump). `None`: not within 8 days.
    pub fn closes(&self, tz: Tz, at_ms: i64) -> Option<i64> {
        self.nearest(tz, at_ms, 1, |t| {
            t >= at_ms && self.contains(tz, t) && !self.contains(tz, t.saturating_add(MINUTE_MS))
        })
    }

    /// The edge nearest to `at_ms` in `dir` that passes `ok`: first among the edges of the next
    /// two days (almost always enough), else of `SEARCH_DAYS`. The nearest one found in a shorter
    /// span is the nearest of all, since that span's edges are all listed.
    fn nearest(&self, tz: Tz, at_ms: i64, dir: i64, ok: impl Fn(i64) -> bool) -> Option<i64> {
        [2, SEARCH_DAYS].into_iter().find_map(|days| {
            let edges = self.edges(tz, at_ms, dir, days);
            if dir < 0 {
                edges.into_iter().rev().find(|t| ok(*t))
            } else {
                edges.into_iter().find(|t| ok(*t))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
        ms(NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap())
    }

    fn zone(n: &str) -> Tz {
        Tz::Zone(time::parse_zone(n).unwrap())
    }

    #[test]
    fn gap_transition_is_found() {
        // New York, 2024-03-10: 02:00 EST → 03:00 EDT at 07:00Z.
        let ny = zone("America/New_York");
        let local = NaiveDate::from_ymd_opt(2024, 3, 10)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        let mut out = Vec::new();
        ny.at_wall(local, &mut out);
        assert_eq!(out, vec![utc(2024, 3, 10, 6, 59), utc(2024, 3, 10, 7, 0)]);
        // Lord Howe, 2024-10-06: 02:00 +1030 → 02:30 +1100 at 15:30Z the day before.
        let lh = zone("Australia/Lord_Howe");
        let local = NaiveDate::from_ymd_opt(2024, 10, 6)
            .unwrap()
            .and_hms_opt(2, 10, 0)
            .unwrap();
        let mut out = Vec::new();
        lh.at_wall(local, &mut out);
        assert_eq!(
            out,
            vec![utc(2024, 10, 5, 15, 29), utc(2024, 10, 5, 15, 30)]
        );
        let mut out = Vec::new();
        lh.changes(utc(2024, 10, 1, 0, 0), utc(2024, 10, 10, 0, 0), &mut out);
        assert_eq!(
            out,
            vec![utc(2024, 10, 5, 15, 29), utc(2024, 10, 5, 15, 30)]
        );
    }

    #[test]
    fn window_moves() {
        let ny = zone("America/New_York");
        let w = WindowRule {
            start_s: 9 * 3600,
            end_s: 19 * 3600,
            days: [true, true, true, true, true, true, false],
        };
        // Sunday 2024-06-16 10:00 EDT (14:00Z) → Saturday 19:00 EDT / Monday 09:00 EDT.
        let sun = utc(2024, 6, 16, 14, 0);
        assert_eq!(w.earlier(ny, sun), Some(utc(2024, 6, 15, 23, 0)));
        assert_eq!(w.later(ny, sun), Some(utc(2024, 6, 17, 13, 0)));
        // Monday 07:00 EDT → Saturday 19:00 (Sunday excluded) / Monday 09:00.
        let mon = utc(2024, 6, 17, 11, 0);
        assert_eq!(w.earlier(ny, mon), Some(utc(2024, 6, 15, 23, 0)));
        assert_eq!(w.later(ny, mon), Some(utc(2024, 6, 17, 13, 0)));
        assert_eq!(
            w.closes(ny, utc(2024, 6, 17, 14, 0)),
            Some(utc(2024, 6, 17, 23, 0))
        );
        assert!(w.contains(ny, utc(2024, 6, 17, 23, 0)));
        assert!(!w.contains(ny, utc(2024, 6, 17, 23, 1)));
    }

    /// A window every day from `start` to `end` minutes after midnight.
    fn daily(start: u32, end: u32) -> WindowRule {
        WindowRule {
            start_s: start * 60,
            end_s: end * 60,
            days: [true; 7],
        }
    }

    #[test]
    fn window_edges_in_a_gap() {
        // New York, 2024-03-10: the wall clock goes 01:59 EST → 03:00 EDT at 07:00Z.
        let ny = zone("America/New_York");
        type Move = fn(&WindowRule, Tz, i64) -> Option<i64>;
        let (earlier, later, closes): (Move, Move, Move) =
            (WindowRule::earlier, WindowRule::later, WindowRule::closes);
        for (w, f, at, want) in [
            // 01:00–02:30 ends in the gap: the last minute in it is 01:59 EST.
            (
                daily(60, 150),
                earlier,
                utc(2024, 3, 10, 8, 0),
                utc(2024, 3, 10, 6, 59),
            ),
            (
                daily(60, 150),
                closes,
                utc(2024, 3, 10, 6, 30),
                utc(2024, 3, 10, 6, 59),
            ),
            // 02:15–05:00 starts in the gap: it opens when the clocks jump (03:00 EDT).
            (
                daily(135, 300),
                later,
                utc(2024, 3, 10, 5, 0),
                utc(2024, 3, 10, 7, 0),
            ),
            // 02:10–02:40 lies inside the gap: no slot that day; the next one opens at 02:10 EDT,
            // the previous one closed at 02:40 EST.
            (
                daily(130, 160),
                later,
                utc(2024, 3, 10, 5, 0),
                utc(2024, 3, 11, 6, 10),
            ),
            (
                daily(130, 160),
                earlier,
                utc(2024, 3, 10, 12, 0),
                utc(2024, 3, 9, 7, 40),
            ),
        ] {
            assert_eq!(f(&w, ny, at), Some(want));
        }
    }
}
