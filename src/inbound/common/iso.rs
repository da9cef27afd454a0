//! ISO 8601 / FHIR `dateTime` / `instant` values: [`parse_iso`] → [`Iso`] with its precision
//! ([`Prec`]).

use chrono::{NaiveDate, NaiveDateTime};

/// How much of a date-time was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Prec {
    Day,
    Minute,
    Second,
}

/// An ISO 8601 / FHIR `dateTime` / `instant` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Iso {
    /// The wall-clock time as written.
    pub local: NaiveDateTime,
    /// Minutes east of UTC, when written (`Z` = 0).
    pub offset: Option<i32>,
    pub prec: Prec,
}

impl Iso {
    /// The UTC instant, when the value carries an offset.
    pub fn utc(&self) -> Option<NaiveDateTime> {
        let off = self.offset?;
        self.local
            .checked_sub_signed(chrono::Duration::minutes(i64::from(off)))
    }
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(n)?)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Parse `YYYY[-MM[-DD[(T| )hh:mm[:ss[.f…]]]]][Z|±hh:mm|±hhmm|±hh]`.
pub(crate) fn parse_iso(s: &str) -> Option<Iso> {
    let b = s.trim().as_bytes();
    let year = i32::try_from(digits(b, 0, 4)?).ok()?;
    let mut i = 4;
    let (mut month, mut day) = (1u32, 1u32);
    if b.get(i) == Some(&b'-') {
        month = digits(b, i + 1, 2)?;
        i += 3;
        if b.get(i) == Some(&b'-') {
            day = digits(b, i + 1, 2)?;
            i += 3;
        }
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let mut prec = Prec::Day;
    let (mut h, mut m, mut sec, mut nanos) = (0u32, 0u32, 0u32, 0u32);
    if matches!(b.get(i), Some(b'T') | Some(b't') | Some(b' ')) && i == 10 {
        h = digits(b, i + 1, 2)?;
        if b.get(i + 3) != Some(&b':') {
            return None;
        }
        m = digits(b, i + 4, 2)?;
        i += 6;
        prec = Prec::Minute;
        if b.get(i) == Some(&b':') {
            sec = digits(b, i + 1, 2)?.min(59);
            i += 3;
            prec = Prec::Second;
            if matches!(b.get(i), Some(b'.') | Some(b',')) {
                i += 1;
                let start = i;
                let mut scale = 100_000_000u32;
                while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
                    nanos += u32::from(c - b'0') * scale;
                    scale /= 10;
                    i += 1;
                }
                if i == start {
                    return None;
                }
            }
        }
    }
    let local = date.and_hms_nano_opt(h, m, sec, nanos)?;
    let offset = match b.get(i) {
        None => None,
        Some(b'Z') | Some(b'z') if i + 1 == b.len() => Some(0),
        Some(&c @ (b'+' | b'-')) if prec >= Prec::Minute => {
            let oh = i32::try_from(digits(b, i + 1, 2)?).ok()?;
            let rest = b.get(i + 3..).unwrap_or(&[]);
            let om = match rest {
                [] => 0,
                [b':', ..] if rest.len() == 3 => i32::try_from(digits(rest, 1, 2)?).ok()?,
                _ if rest.len() == 2 => i32::try_from(digits(rest, 0, 2)?).ok()?,
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let v = oh * 60 + om;
            Some(if c == b'-' { -v } else { v })
        }
        _ => return None,
    };
    Some(Iso {
        local,
        offset,
        prec,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time;

    #[test]
    fn iso_forms() {
        let t = parse_iso("2024-03-12T09:30:00-05:00").unwrap();
        assert_eq!(t.offset, Some(-300));
        assert_eq!(time::format_utc(t.utc().unwrap()), "2024-03-12T14:30:00Z");
        assert_eq!(
            parse_iso("2016-09-21T20:00:00.000-0400").unwrap().offset,
            Some(-240)
        );
        assert_eq!(
            parse_iso("2021-05-28T14:53:04.941Z").unwrap().offset,
            Some(0)
        );
        let f = parse_iso("2020-05-29T11:44:13.1882432-05:00").unwrap();
        assert_eq!(f.prec, Prec::Second);
        assert_eq!(parse_iso("2024-03-12T09:30").unwrap().offset, None);
        assert_eq!(parse_iso("2024-03-12").unwrap().prec, Prec::Day);
        assert_eq!(
            parse_iso("2024-03-12 09:30:00+01").unwrap().offset,
            Some(60)
        );
        for bad in [
            "",
            "2024-13-01",
            "2024-02-30T00:00",
            "2024-03-12T9:30",
            "2024-03-12T09:30:00+2500",
            "2024-03-12T09:30:00Zx",
            "abcd",
            "2024-03-12T09:30:00.",
        ] {
            assert!(parse_iso(bad).is_none(), "{bad}");
        }
    }
}
