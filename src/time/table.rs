//! The zone table: the types the generated `tzdata.rs` is written in (yearly [`Rule`]s, a zone's
//! [`Tail`] of them, its [`Hist`]ory of explicit transitions), the civil-date arithmetic they need,
//! and the lookups: a zone's name, and its offset at an instant.

use super::{tzdata, Zone};

/// A yearly transition: on the first `weekday` (0 = Monday) on or after `day` of `month`
/// (`day == 0`: the last `weekday` of the month), `minutes` after 00:00 UTC of that date, to
/// `OFFSETS[offset]`.
#[derive(Clone, Copy)]
pub(super) struct Rule {
    pub(super) month: u8,
    pub(super) day: u8,
    pub(super) weekday: u8,
    pub(super) minutes: i16,
    pub(super) offset: u8,
}

/// Years `2000 + from ..= 2000 + to`: `first` then `second` each year; `second`'s offset is in
/// force on 1 January of each of those years and after the last one.
#[derive(Clone, Copy)]
pub(super) struct Tail {
    pub(super) from: u8,
    pub(super) to: u8,
    pub(super) first: Rule,
    pub(super) second: Rule,
}

/// `TRANS[start..end]`, then `TAILS[tail]` when it exists.
#[derive(Clone, Copy)]
pub(super) struct Hist {
    pub(super) start: u16,
    pub(super) end: u16,
    pub(super) tail: u8,
}

/// 2000-01-01T00:00:00Z, Unix seconds.
const ORIGIN: i64 = 946_684_800;

/// The name of zone number `i` (names are stored end to end).
pub(super) fn name_at(i: usize) -> Option<&'static str> {
    let end = usize::from(*tzdata::NAME_END.get(i)?);
    let start = match i.checked_sub(1) {
        Some(p) => usize::from(*tzdata::NAME_END.get(p)?),
        None => 0,
    };
    tzdata::NAMES.get(start..end)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// The year of a day number (inverse of [`days_from_civil`], year only).
fn year_from_days(z: i64) -> i64 {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    yoe + era * 400 + i64::from(mp >= 10)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

impl Rule {
    /// The transition instant (Unix seconds) in year `y`.
    fn at(self, y: i64) -> i64 {
        let m = u32::from(self.month);
        let first = days_from_civil(y, m, 1);
        let wd1 = (first + 3).rem_euclid(7); // weekday of the 1st, 0 = Monday
        let target = i64::from(self.weekday);
        // Zero-based day of the month.
        let day0 = if self.day == 0 {
            let len: i64 = match m {
                2 if is_leap(y) => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            (len - 1) - (wd1 + len - 1 - target).rem_euclid(7)
        } else {
            let d0 = i64::from(self.day) - 1;
            d0 + (target - wd1 - d0).rem_euclid(7)
        };
        (first + day0) * 86_400 + i64::from(self.minutes) * 60
    }
}

/// The index into `OFFSETS` of the offset in force at a UTC instant (Unix seconds): by the tail
/// rules in their years, else by the explicit transitions.
fn offset_index(zone: Zone, t: i64) -> Option<u8> {
    let hist = tzdata::HISTS.get(usize::from(*tzdata::NAME_HIST.get(usize::from(zone.0))?))?;
    if let Some(tail) = tzdata::TAILS.get(usize::from(hist.tail)) {
        let y = year_from_days(t.div_euclid(86_400));
        if y >= 2000 + i64::from(tail.from) {
            if y > 2000 + i64::from(tail.to) || t < tail.first.at(y) {
                return Some(tail.second.offset);
            }
            let r = if t < tail.second.at(y) {
                tail.first
            } else {
                tail.second
            };
            return Some(r.offset);
        }
    }
    let list = tzdata::TRANS.get(usize::from(hist.start)..usize::from(hist.end))?;
    let m = (t - ORIGIN).div_euclid(60);
    let i = list.partition_point(|&e| i64::from(e >> 6) <= m);
    let e = list.get(i.saturating_sub(1))?;
    Some((e & 63) as u8)
}

/// Offset east of UTC in minutes at a UTC instant (Unix seconds).
pub(super) fn offset_at(zone: Zone, t: i64) -> i32 {
    offset_index(zone, t)
        .and_then(|i| tzdata::OFFSETS.get(usize::from(i)))
        .map_or(0, |&m| i32::from(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_dates() {
        // Second Sunday of March 2024 (10th), 07:00 UTC; last Sunday of October 2024 (27th).
        let r = |month, day, minutes| Rule {
            month,
            day,
            weekday: 6,
            minutes,
            offset: 0,
        };
        assert_eq!(r(3, 8, 420).at(2024), 1_710_054_000);
        assert_eq!(r(10, 0, 60).at(2024), 1_729_990_800);
        // Last Sunday of February in a leap year whose 29th is a Sunday (2032).
        assert_eq!(r(2, 0, 0).at(2032), days_from_civil(2032, 2, 29) * 86_400);
        assert_eq!(year_from_days(days_from_civil(2099, 12, 31)), 2099);
        assert_eq!(year_from_days(days_from_civil(2100, 1, 1)), 2100);
        assert_eq!(year_from_days(-1), 1969);
    }
}
