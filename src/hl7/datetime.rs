//! HL7 v2 date/time values (TS in v2.3–2.5.1, DTM in v2.5+):
//! `YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]`.
//!
//! Precision is kept (a date-only value is not midnight), the offset is kept as written (`-0000`
//! is distinguished from `+0000`), and a missing offset stays missing — deciding which zone an
//! unzoned value is in is the mapping profile's job, not the parser's. Epic's 16-digit MSH-7
//! (`2005080710350000`, fraction without a dot) is accepted.

use crate::error::{Error, ErrorCode, Result};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// How much of the value was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// `YYYY`
    Year,
    /// `YYYYMM`
    Month,
    /// `YYYYMMDD`
    Day,
    /// `YYYYMMDDHH`
    Hour,
    /// `YYYYMMDDHHMM`
    Minute,
    /// `YYYYMMDDHHMMSS`
    Second,
    /// With a fraction of a second.
    Fraction,
}

/// A UTC offset as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset {
    /// Signed minutes east of UTC.
    pub minutes: i32,
    /// Written as `-0000` ("UTC, local offset unknown" in v2.9 terms).
    pub negative_zero: bool,
}

impl Offset {
    /// Render as `±HHMM`.
    pub fn to_hhmm(self) -> String {
        let sign = if self.minutes < 0 || self.negative_zero {
            '-'
        } else {
            '+'
        };
        let m = self.minutes.unsigned_abs();
        format!("{sign}{:02}{:02}", m / 60, m % 60)
    }
}

/// A parsed HL7 date/time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    /// Wall-clock date and time as written (missing parts are the start of the period).
    pub local: NaiveDateTime,
    /// Precision.
    pub precision: Precision,
    /// The offset, when one was written.
    pub offset: Option<Offset>,
}

impl DateTime {
    /// Parse one TS/DTM value (the first component of a TS; pass only that).
    ///
    /// ```
    /// use ehr_studio_bridge::hl7::datetime::{DateTime, Precision};
    /// let t = DateTime::parse("20080818183002.1-0700").unwrap();
    /// assert_eq!(t.precision, Precision::Fraction);
    /// assert_eq!(t.offset.unwrap().minutes, -420);
    /// assert_eq!(t.to_utc().unwrap().to_string(), "2008-08-19 01:30:02.100");
    /// assert!(DateTime::parse("20241301").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<DateTime> {
        let bad = |m: &str| Error::new(ErrorCode::Hl7BadDatetime, m.to_owned());
        let s = s.trim();
        let b = s.as_bytes();
        // Split off the offset: the first '+' or '-' after the date digits.
        let tz_at = b.iter().position(|&c| c == b'+' || c == b'-');
        let (main, tz) = match tz_at {
            Some(p) => (b.get(..p).unwrap_or(&[]), b.get(p..)),
            None => (b, None),
        };
        let (digits, frac) = match main.iter().position(|&c| c == b'.') {
            Some(p) => (
                main.get(..p).unwrap_or(&[]),
                Some(main.get(p + 1..).unwrap_or(&[])),
            ),
            None => (main, None),
        };
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(bad("a date/time has non-digit characters"));
        }
        // Epic: 15–18 digits without a dot carry the fraction directly after the seconds.
        let (digits, frac) = match (digits.len(), frac) {
            (15..=18, None) => (digits.get(..14).unwrap_or(&[]), digits.get(14..)),
            _ => (digits, frac),
        };
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            digits
                .get(r)?
                .iter()
                .try_fold(0u32, |acc, &c| Some(acc * 10 + u32::from(c - b'0')))
        };
        let precision = match digits.len() {
            4 => Precision::Year,
            6 => Precision::Month,
            8 => Precision::Day,
            10 => Precision::Hour,
            12 => Precision::Minute,
            14 => Precision::Second,
            _ => {
                return Err(bad(
                    "a date/time must have 4, 6, 8, 10, 12 or 14 digits before any fraction",
                ))
            }
        };
        let year = num(0..4).unwrap_or(0) as i32;
        let month = num(4..6).unwrap_or(1);
        let day = num(6..8).unwrap_or(1);
        let hour = num(8..10).unwrap_or(0);
        let minute = num(10..12).unwrap_or(0);
        let second = num(12..14).unwrap_or(0);
        let mut nanos = 0u32;
        let mut precision = precision;
        if let Some(f) = frac {
            if precision != Precision::Second {
                return Err(bad("a fraction of a second needs seconds"));
            }
            if f.is_empty() || f.len() > 9 || !f.iter().all(u8::is_ascii_digit) {
                return Err(bad("the fraction of a second must be 1 to 4 digits"));
            }
            let mut n = 0u32;
            for i in 0..9 {
                n = n * 10 + f.get(i).map_or(0, |&c| u32::from(c - b'0'));
            }
            nanos = n;
            precision = Precision::Fraction;
        }
        let date = NaiveDate::from_ymd_opt(year, month, day)
            .ok_or_else(|| bad("the date does not exist"))?;
        let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)
            .filter(|_| second < 60)
            .ok_or_else(|| bad("the time of day is out of range"))?;
        let offset = match tz {
            None => None,
            Some(t) => {
                Some(parse_offset(t).ok_or_else(|| bad("the UTC offset must be +HHMM or -HHMM"))?)
            }
        };
        Ok(DateTime {
            local: NaiveDateTime::new(date, time),
            precision,
            offset,
        })
    }

    /// The instant in UTC, when the value carries an offset.
    pub fn to_utc(&self) -> Option<NaiveDateTime> {
        let off = self.offset?;
        self.local
            .checked_sub_signed(chrono::Duration::minutes(i64::from(off.minutes)))
    }
}

fn parse_offset(t: &[u8]) -> Option<Offset> {
    let (&sign, rest) = t.split_first()?;
    if !rest.iter().all(u8::is_ascii_digit) || !(rest.len() == 4 || rest.len() == 2) {
        return None;
    }
    let hh = rest
        .get(..2)?
        .iter()
        .fold(0i32, |a, &c| a * 10 + i32::from(c - b'0'));
    let mm = rest.get(2..4).map_or(0, |r| {
        r.iter().fold(0i32, |a, &c| a * 10 + i32::from(c - b'0'))
    });
    if hh > 14 || mm > 59 {
        return None;
    }
    let total = hh * 60 + mm;
    Some(Offset {
        minutes: if sign == b'-' { -total } else { total },
        negative_zero: sign == b'-' && total == 0,
    })
}

/// Format an instant (milliseconds since the Unix epoch) as an HL7 DTM in UTC:
/// `YYYYMMDDHHMMSS+0000`. Used for MSH-7 of messages we generate.
///
/// ```
/// assert_eq!(ehr_studio_bridge::hl7::datetime::format_utc_millis(0), "19700101000000+0000");
/// ```
pub fn format_utc_millis(ms: i64) -> String {
    use chrono::{Datelike, Timelike};
    // Hand-formatted: chrono's strftime machinery would add kilobytes to the wasm.
    let dt = chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .naive_utc();
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}+0000",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precisions() {
        for (s, p) in [
            ("2024", Precision::Year),
            ("202403", Precision::Month),
            ("20240305", Precision::Day),
            ("2024030508", Precision::Hour),
            ("202403050830", Precision::Minute),
            ("20240305083015", Precision::Second),
            ("20240305083015.1234", Precision::Fraction),
        ] {
            assert_eq!(DateTime::parse(s).unwrap().precision, p, "{s}");
        }
    }

    #[test]
    fn offsets() {
        let t = DateTime::parse("20230211140114.0000+0800").unwrap();
        assert_eq!(t.offset.unwrap().minutes, 480);
        assert_eq!(t.offset.unwrap().to_hhmm(), "+0800");
        let t = DateTime::parse("202403050830-0000").unwrap();
        assert!(t.offset.unwrap().negative_zero);
        assert_eq!(t.offset.unwrap().to_hhmm(), "-0000");
        let t = DateTime::parse("202109141120+0215").unwrap();
        assert_eq!(t.to_utc().unwrap().to_string(), "2021-09-14 09:05:00");
        let t = DateTime::parse("20150601160901.12+0100").unwrap();
        assert_eq!(t.local.and_utc().timestamp_subsec_millis(), 120);
        assert_eq!(t.offset.unwrap().to_hhmm(), "+0100");
        assert!(DateTime::parse("20240305").unwrap().offset.is_none());
    }

    #[test]
    fn epic_sixteen_digits() {
        let t = DateTime::parse("2005080710350000").unwrap();
        assert_eq!(t.local.to_string(), "2005-08-07 10:35:00");
        assert_eq!(t.precision, Precision::Fraction);
    }

    #[test]
    fn rejects() {
        for s in [
            "",
            "20",
            "2024-03-05",
            "20240230",
            "2024030525",
            "20240305086",
            "202403050830+5",
            "202403050830+2500",
            "20240305.1",
            "20240305083015.",
            "20240305083060",
        ] {
            assert_eq!(
                DateTime::parse(s).unwrap_err().code,
                ErrorCode::Hl7BadDatetime,
                "{s}"
            );
        }
    }
}
