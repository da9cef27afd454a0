//! Time zones (IANA names, DST-aware) and the two formats the PAM flow needs:
//! `YYYY-MM-DDTHH:mm:ss` local wall time and `±HHMM` offsets, plus `YYYY-MM-DDTHH:mm:ssZ` UTC.
//!
//! Local times that do not exist (spring-forward gap) or exist twice (fall-back overlap) are
//! resolved explicitly and reported ([`Resolution`]):
//! * **gap**: the wall time is read with the offset in force *before* the transition, which moves
//!   it forward by the size of the gap (02:30 on a US spring-forward day → 03:30 EDT), which is what
//!   a clock that "springs forward" shows;
//! * **overlap**: the earlier instant (the first 01:30, still on summer time) by default, or the later
//!   one when the profile says so.
//!
//! # Zone data
//!
//! Offsets come from a compact table generated from `chrono-tz` (IANA tzdb, see [`tzdb_version`])
//! by `cargo run --release --example gen_tzdata` into `src/time/tzdata.rs` (≈ 25 KB of static
//! integers, ≈ 29 KB of shipped wasm, instead of chrono-tz's ≈ 850 KB; chrono-tz is only a
//! dev-dependency). It has every name chrono-tz knows (canonical zones and links such as
//! `US/Eastern`, `Asia/Calcutta`, `UTC`, `Etc/GMT+5`) and reproduces chrono-tz's offset **to the
//! second for every instant from 2000-01-01T00:00Z on** (checked for every name by
//! `tests/tzdata.rs`), including its horizon: chrono-tz has no transition after 2099, so a zone's
//! offset after its last 2099 transition stays in force for later years.
//!
//! **Before 2000** a zone keeps the offset it had on 2000-01-01T00:00Z: this is the only
//! difference from chrono-tz (e.g. New York in July 1999 gets −0500, not −0400). The callers
//! convert appointment start times and message/event times, which are current; an older HL7 time
//! still maps, with that offset.
//!
//! Format: each name maps to an offset history; a history is a list of explicit transitions
//! (`u32`: minutes since 2000 << 6 | offset index), optionally followed by a yearly pair of rules
//! ("first Sunday on or after 8 March, 07:00 UTC", "last Sunday of October, 01:00 UTC") for the
//! years where the zone has settled into one, like the footer of a TZif file. Names are looked
//! up by binary search, **case-sensitively** like the tz database and chrono-tz
//! (`america/new_york` is not a zone). The types and lookups are in `time/table.rs`, the text
//! formats in `time/format.rs`.

use chrono::{Duration, NaiveDateTime};
use std::fmt;
use std::str::FromStr;

mod format;
mod table;
#[rustfmt::skip]
mod tzdata;

pub use format::{format_local, format_offset, format_utc, push_offset};
use table::{name_at, offset_at, Hist, Rule, Tail};

/// An IANA time zone (canonical name or link), e.g. `America/New_York` or `US/Eastern`.
///
/// A small `Copy` handle into the built-in zone table. Get one with [`parse_zone`] or
/// `"America/New_York".parse::<Zone>()`.
///
/// ```
/// use ehr_studio_bridge::time::Zone;
/// let z: Zone = "US/Eastern".parse().unwrap();
/// assert_eq!(z.name(), "US/Eastern");
/// assert!("us/eastern".parse::<Zone>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Zone(u16);

/// The zone type under its former (chrono-tz) name.
pub type Tz = Zone;

/// `"…".parse::<Zone>()` failed: not a zone name (names are case-sensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownZone;

impl fmt::Display for UnknownZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not an IANA time zone name")
    }
}

impl std::error::Error for UnknownZone {}

impl Zone {
    /// The name this zone was parsed from (links keep their own name: `Asia/Calcutta`).
    pub fn name(self) -> &'static str {
        name_at(usize::from(self.0)).unwrap_or("")
    }

    /// Offset east of UTC, in minutes, at a UTC instant.
    pub fn offset_minutes_at(self, utc: NaiveDateTime) -> i32 {
        offset_at(self, utc.and_utc().timestamp())
    }
}

impl FromStr for Zone {
    type Err = UnknownZone;
    fn from_str(s: &str) -> Result<Self, UnknownZone> {
        parse_zone(s).ok_or(UnknownZone)
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Zone({})", self.name())
    }
}

/// Every zone name the table knows, sorted by bytes (canonical zones and links).
pub fn zone_names() -> impl Iterator<Item = &'static str> {
    (0..tzdata::NAME_END.len()).filter_map(name_at)
}

/// The IANA tz database release the zone table was generated from (e.g. `2025b`).
pub fn tzdb_version() -> &'static str {
    tzdata::TZDB_VERSION
}

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

/// Parse an IANA zone name (`America/New_York`, or a link such as `US/Eastern`). Case-sensitive
/// like the tz database.
pub fn parse_zone(name: &str) -> Option<Tz> {
    let n = tzdata::NAME_END.len();
    let (mut lo, mut hi) = (0usize, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match name_at(mid)?.as_bytes().cmp(name.as_bytes()) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return u16::try_from(mid).ok().map(Zone),
        }
    }
    None
}

fn offset_minutes_at_utc(tz: Tz, utc: NaiveDateTime) -> i32 {
    tz.offset_minutes_at(utc)
}

/// Resolve a wall-clock time in `tz` (see the module docs for gaps and overlaps).
///
/// ```
/// use ehr_studio_bridge::time::{resolve_local, Resolution, AmbiguousPolicy};
/// use chrono::NaiveDate;
/// use ehr_studio_bridge::time::parse_zone;
/// let ny = parse_zone("America/New_York").unwrap();
/// let t = NaiveDate::from_ymd_opt(2024, 3, 10).unwrap().and_hms_opt(2, 30, 0).unwrap();
/// let r = resolve_local(ny, t, AmbiguousPolicy::Earlier).unwrap();
/// assert_eq!(r.resolution, Resolution::Gap(60));
/// assert_eq!(r.local.to_string(), "2024-03-10 03:30:00");
/// assert_eq!(r.offset_minutes, -240);
/// ```
pub fn resolve_local(tz: Tz, local: NaiveDateTime, policy: AmbiguousPolicy) -> Option<Resolved> {
    // Transitions are more than two days apart (asserted by the generator) and offsets are within
    // ±1 day, so the offsets in force a day before and a day after (reading the wall time as UTC)
    // are the only candidates: each is valid if the instant it gives has that offset.
    let l = local.and_utc().timestamp();
    let before = offset_at(tz, l - 86_400);
    let after = offset_at(tz, l + 86_400);
    let valid = |o: i32| offset_at(tz, l - i64::from(o) * 60) == o;
    let at = |o: i32, resolution| {
        Some(Resolved {
            local,
            utc: local.checked_sub_signed(Duration::minutes(i64::from(o)))?,
            offset_minutes: o,
            resolution,
        })
    };
    match (valid(before), before != after && valid(after)) {
        // Both valid: an overlap. The larger offset is the earlier instant.
        (true, true) => {
            let (early, late) = (before.max(after), before.min(after));
            let o = match policy {
                AmbiguousPolicy::Earlier => early,
                AmbiguousPolicy::Later => late,
            };
            at(o, Resolution::Ambiguous(policy))
        }
        (true, false) => at(before, Resolution::Exact),
        (false, true) => at(after, Resolution::Exact),
        (false, false) => {
            // A gap: read with the offset in force a day earlier (before the transition).
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    /// A wall time `y-mo-d h:mi:00`.
    pub(super) fn t(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
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
        assert!(parse_zone("europe/paris").is_none());
        assert_eq!("Nowhere".parse::<Zone>(), Err(UnknownZone));
    }

    #[test]
    fn zone_handle() {
        let z = parse_zone("Asia/Calcutta").unwrap();
        assert_eq!(z.name(), "Asia/Calcutta");
        assert_eq!(z.to_string(), "Asia/Calcutta");
        assert_eq!(format!("{z:?}"), "Zone(Asia/Calcutta)");
        assert_ne!(z, parse_zone("Asia/Kolkata").unwrap());
        assert_eq!(z.offset_minutes_at(t(2024, 1, 1, 0, 0)), 330);
        let names: Vec<&str> = zone_names().collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]));
        for n in [
            "UTC",
            "Etc/GMT+5",
            "US/Eastern",
            "America/Sao_Paulo",
            "Pacific/Chatham",
        ] {
            assert_eq!(parse_zone(n).map(Zone::name), Some(n));
        }
        assert_eq!(
            parse_zone("Etc/GMT+5")
                .unwrap()
                .offset_minutes_at(t(2030, 6, 1, 0, 0)),
            -300
        );
        assert!(!tzdb_version().is_empty());
    }
}
