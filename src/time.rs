//! Time zones (IANA, DST-aware via `chrono-tz`) and the two formats the PAM flow needs:
//! `YYYY-MM-DDTHH:mm:ss` local wall time and `±HHMM` offsets, plus `YYYY-MM-DDTHH:mm:ssZ` UTC.
//!
//! Local times that do not exist (spring-forward gap) or exist twice (fall-back overlap) are
//! resolved explicitly and reported ([`Resolution`]):
//! * **gap**: the wall time is read with the offset in force *before* the transition, which moves
//!   it forward by the size of the gap (02:30 on a US spring-forward day → 03:30 EDT), which is what
//!   a clock that "springs forward" shows;
//! * **overlap**: the earlier instant (the first 01:30, still on summer time) by default, or the later
//!   one when the profile says so.

use chrono::{Duration, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;
use std::fmt::Write as _;

/// Which instant to use for a local time that occurs twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AmbiguousPolicy {
    /// The first occurrence (summer time, before the clocks go back).
    #[default]
    Earlier,
    /// The second occurrence.
    Later,
}

/// How a local time was resolved in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The local time exists exactly once.
    Exact,
    /// The local time falls in a DST gap and was moved forward by this many minutes.
    Gap(i64),
    /// The local time occurs twice; the policy chose one.
    Ambiguous(AmbiguousPolicy),
}

/// A local time resolved in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    /// Wall time in the zone (moved forward for a gap).
    pub local: NaiveDateTime,
    /// UTC instant.
    pub utc: NaiveDateTime,
    /// Offset east of UTC in minutes at that instant.
    pub offset_minutes: i32,
    /// How it was resolved.
    pub resolution: Resolution,
}

/// Parse an IANA zone name (`America/New_York`). Case-sensitive like the tz database.
pub fn parse_zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

fn offset_minutes_at_utc(tz: Tz, utc: NaiveDateTime) -> i32 {
    tz.offset_from_utc_datetime(&utc).fix().local_minus_utc() / 60
}

/// Resolve a wall-clock time in `tz` (see the module docs for gaps and overlaps).
///
/// ```
/// use ehr_studio_bridge::time::{resolve_local, Resolution, AmbiguousPolicy};
/// use chrono::NaiveDate;
/// let ny = "America/New_York".parse().unwrap();
/// let t = NaiveDate::from_ymd_opt(2024, 3, 10).unwrap().and_hms_opt(2, 30, 0).unwrap();
/// let r = resolve_local(ny, t, AmbiguousPolicy::Earlier).unwrap();
/// assert_eq!(r.resolution, Resolution::Gap(60));
/// assert_eq!(r.local.to_string(), "2024-03-10 03:30:00");
/// assert_eq!(r.offset_minutes, -240);
/// ```
pub fn resolve_local(tz: Tz, local: NaiveDateTime, policy: AmbiguousPolicy) -> Option<Resolved> {
    use chrono::LocalResult;
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
            // Read with the offset in force a day earlier (before the transition).
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

/// Convert a UTC instant to wall time in `tz`; returns (local, offset minutes).
pub fn utc_to_local(tz: Tz, utc: NaiveDateTime) -> Option<(NaiveDateTime, i32)> {
    let off = offset_minutes_at_utc(tz, utc);
    let local = utc.checked_add_signed(Duration::minutes(i64::from(off)))?;
    Some((local, off))
}

/// `±HHMM` for an offset in minutes (`-0500`, `+0530`, `+0000`).
///
/// ```
/// assert_eq!(ehr_studio_bridge::time::format_offset(-300), "-0500");
/// assert_eq!(ehr_studio_bridge::time::format_offset(330), "+0530");
/// assert_eq!(ehr_studio_bridge::time::format_offset(0), "+0000");
/// ```
pub fn format_offset(minutes: i32) -> String {
    let mut s = String::with_capacity(5);
    push_offset(&mut s, minutes);
    s
}

/// Append `±HHMM`.
pub fn push_offset(s: &mut String, minutes: i32) {
    s.push(if minutes < 0 { '-' } else { '+' });
    let m = minutes.unsigned_abs();
    let _ = write!(s, "{:02}{:02}", (m / 60) % 100, m % 60);
}

/// `YYYY-MM-DDTHH:mm:ss` (no offset, no fraction). Years outside 0000–9999 are clamped to 4 digits
/// by chrono's formatting rules; callers never pass those (HL7 years are 4 digits).
pub fn format_local(t: NaiveDateTime) -> String {
    let mut s = String::with_capacity(19);
    push_local(&mut s, t);
    s
}

fn push_local(s: &mut String, t: NaiveDateTime) {
    use chrono::{Datelike, Timelike};
    let _ = write!(
        s,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
}

/// `YYYY-MM-DDTHH:mm:ssZ` (fraction dropped).
///
/// ```
/// use chrono::NaiveDate;
/// let t = NaiveDate::from_ymd_opt(2025, 3, 5).unwrap().and_hms_milli_opt(19, 30, 12, 500).unwrap();
/// assert_eq!(ehr_studio_bridge::time::format_utc(t), "2025-03-05T19:30:12Z");
/// ```
pub fn format_utc(t: NaiveDateTime) -> String {
    let mut s = String::with_capacity(20);
    push_local(&mut s, t);
    s.push('Z');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn t(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
    }

    #[test]
    fn dst_correct_offsets() {
        let ny: Tz = "America/New_York".parse().unwrap();
        assert_eq!(
            resolve_local(ny, t(2024, 1, 15, 9, 0), AmbiguousPolicy::Earlier)
                .unwrap()
                .offset_minutes,
            -300
        );
        assert_eq!(
            resolve_local(ny, t(2024, 7, 15, 9, 0), AmbiguousPolicy::Earlier)
                .unwrap()
                .offset_minutes,
            -240
        );
        let lon: Tz = "Europe/London".parse().unwrap();
        assert_eq!(
            resolve_local(lon, t(2024, 11, 6, 11, 30), AmbiguousPolicy::Earlier)
                .unwrap()
                .offset_minutes,
            0
        );
        let kol: Tz = "Asia/Kolkata".parse().unwrap();
        assert_eq!(
            format_offset(
                resolve_local(kol, t(2024, 3, 10, 14, 30), AmbiguousPolicy::Earlier)
                    .unwrap()
                    .offset_minutes
            ),
            "+0530"
        );
    }

    #[test]
    fn overlap_policy() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let e = resolve_local(ny, t(2024, 11, 3, 1, 30), AmbiguousPolicy::Earlier).unwrap();
        let l = resolve_local(ny, t(2024, 11, 3, 1, 30), AmbiguousPolicy::Later).unwrap();
        assert_eq!(e.offset_minutes, -240);
        assert_eq!(l.offset_minutes, -300);
        assert_eq!(
            e.resolution,
            Resolution::Ambiguous(AmbiguousPolicy::Earlier)
        );
        assert_eq!(format_utc(e.utc), "2024-11-03T05:30:00Z");
        assert_eq!(format_utc(l.utc), "2024-11-03T06:30:00Z");
    }

    #[test]
    fn gap_moves_forward() {
        let lon: Tz = "Europe/London".parse().unwrap();
        let r = resolve_local(lon, t(2024, 3, 31, 1, 30), AmbiguousPolicy::Earlier).unwrap();
        assert_eq!(r.resolution, Resolution::Gap(60));
        assert_eq!(format_local(r.local), "2024-03-31T02:30:00");
        assert_eq!(format_utc(r.utc), "2024-03-31T01:30:00Z");
    }

    #[test]
    fn unknown_zone() {
        assert!(parse_zone("Mars/Olympus").is_none());
        assert!(parse_zone("Europe/Paris").is_some());
    }
}
