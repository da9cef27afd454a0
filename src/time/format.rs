//! The PAM flow's text formats: `±HHMM` offsets, `YYYY-MM-DDTHH:mm:ss` local wall time and
//! `YYYY-MM-DDTHH:mm:ssZ` UTC, written without the formatting machinery.

use chrono::NaiveDateTime;
use std::fmt::Write as _;

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
    push_2(s, (m / 60) % 100);
    push_2(s, m % 60);
}

/// `{:02}` of a value below 100, without the formatting machinery.
fn push_2(s: &mut String, v: u32) {
    s.push(char::from(b'0' + (v / 10 % 10) as u8));
    s.push(char::from(b'0' + (v % 10) as u8));
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
    let y = t.year();
    match u32::try_from(y) {
        Ok(y) if y <= 9999 => {
            push_2(s, y / 100);
            push_2(s, y % 100);
        }
        // `{:04}` of a negative or 5-digit year (never from a 4-digit HL7 year, but a UTC
        // conversion may cross year 0 or 9999).
        _ => {
            let _ = write!(s, "{y:04}");
        }
    }
    // Month, day, hour, minute, second are below 100 (a leap second is second 59 in chrono).
    s.push('-');
    push_2(s, t.month());
    s.push('-');
    push_2(s, t.day());
    s.push('T');
    push_2(s, t.hour());
    s.push(':');
    push_2(s, t.minute());
    s.push(':');
    push_2(s, t.second());
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
    use crate::time::tests::t;
    use chrono::NaiveDate;

    /// The hand-written formatting equals the `write!` it replaces, at the edges of the range.
    #[test]
    fn formatting_matches_fmt() {
        use chrono::{Datelike, Timelike};
        let fmt = |t: NaiveDateTime| {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        };
        let mut cases = vec![
            NaiveDateTime::MIN,
            NaiveDateTime::MAX,
            t(0, 1, 1, 0, 0),
            t(9999, 12, 31, 23, 59),
            t(10000, 1, 1, 0, 0),
            t(-1, 12, 31, 23, 59),
            t(2025, 3, 10, 9, 30),
            t(7, 7, 7, 7, 7),
        ];
        cases.push(
            NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_milli_opt(23, 59, 59, 1_500)
                .unwrap(),
        );
        for c in cases {
            assert_eq!(format_local(c), fmt(c));
            assert_eq!(format_utc(c), format!("{}Z", fmt(c)));
        }
        for m in [
            -1439,
            -720,
            -300,
            -1,
            0,
            1,
            330,
            345,
            840,
            1439,
            6039,
            9999,
            i32::MIN,
        ] {
            let u = m.unsigned_abs();
            let want = format!(
                "{}{:02}{:02}",
                if m < 0 { '-' } else { '+' },
                (u / 60) % 100,
                u % 60
            );
            assert_eq!(format_offset(m), want, "{m}");
        }
    }
}
