//! `validator.isISO8601`, the calendar-date forms (see the [`params`](super) docs): a cursor over
//! the bytes, read as sign and year, month and day, then an optional time (hour, minutes,
//! seconds), fraction and zone.

/// The calendar-date subset of validator.js `isISO8601` (see the [`params`](super) docs).
///
/// ```
/// use ehr_studio_bridge::studio::params::is_iso8601;
/// assert!(is_iso8601("2021-07-01T15:00:00"));
/// assert!(is_iso8601("2021-05-04T19:41:19.000Z"));
/// assert!(is_iso8601("2021-05-04T19:41:19-07:00"));
/// assert!(!is_iso8601("Tue May 04 2021 12:41:19 GMT-0700 (Pacific Daylight Time)"));
/// assert!(!is_iso8601("2021-13-01"));
/// ```
pub fn is_iso8601(s: &str) -> bool {
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    if matches!(c.peek(), Some(b'+' | b'-')) {
        c.i += 1;
    }
    if !c.date() {
        return false;
    }
    if c.at_end() {
        return true;
    }
    if !matches!(c.peek(), Some(b'T' | b' ' | b'\t')) {
        return false;
    }
    c.i += 1;
    if !c.digits(c.i, 2) {
        return c.at_end();
    }
    c.time() && c.fraction() && c.zone()
}

/// A position in the text being checked.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn at_end(&self) -> bool {
        self.i == self.b.len()
    }

    /// `n` ASCII digits at `at`.
    fn digits(&self, at: usize, n: usize) -> bool {
        self.b
            .get(at..at + n)
            .is_some_and(|r| r.iter().all(u8::is_ascii_digit))
    }

    /// The value of the `n` digits at `at` (checked by [`Cursor::digits`] first).
    fn num(&self, at: usize, n: usize) -> u32 {
        self.b.get(at..at + n).map_or(0, |r| {
            r.iter().fold(0u32, |a, &c| a * 10 + u32::from(c - b'0'))
        })
    }

    /// Two digits in `range`, consumed.
    fn two_in(&mut self, range: std::ops::RangeInclusive<u32>) -> bool {
        if !self.digits(self.i, 2) || !range.contains(&self.num(self.i, 2)) {
            return false;
        }
        self.i += 2;
        true
    }

    /// `YYYY-MM[-DD]` (extended) or `YYYYMMDD` (basic).
    fn date(&mut self) -> bool {
        if !self.digits(self.i, 4) {
            return false;
        }
        self.i += 4;
        let extended = self.peek() == Some(b'-');
        if extended {
            self.i += 1;
        }
        if !self.two_in(1..=12) {
            return false;
        }
        if extended && self.peek() != Some(b'-') {
            return true;
        }
        if extended {
            self.i += 1;
        }
        self.two_in(1..=31)
    }

    /// `HH[[:]MM[[:]SS]]` (the seconds use the minutes' separator); `24` only as `24:00`.
    fn time(&mut self) -> bool {
        let h = self.num(self.i, 2);
        self.i += 2;
        if h > 24 {
            return false;
        }
        let colon = self.peek() == Some(b':') && self.digits(self.i + 1, 2);
        if colon {
            self.i += 1;
        }
        let minutes = if self.digits(self.i, 2) {
            let m = self.num(self.i, 2);
            if m > 59 {
                return false;
            }
            self.i += 2;
            Some(m)
        } else if colon {
            return false;
        } else {
            None
        };
        if h == 24 && minutes != Some(0) {
            return false;
        }
        minutes.is_none() || self.seconds(colon)
    }

    /// Optional seconds after the minutes, with the same separator.
    fn seconds(&mut self, colon: bool) -> bool {
        let present = if colon {
            self.peek() == Some(b':') && self.digits(self.i + 1, 2)
        } else {
            self.digits(self.i, 2)
        };
        if !present {
            return true;
        }
        if colon {
            self.i += 1;
        }
        if self.num(self.i, 2) > 59 {
            return false;
        }
        self.i += 2;
        true
    }

    /// An optional `.` or `,` fraction of at least one digit.
    fn fraction(&mut self) -> bool {
        if !matches!(self.peek(), Some(b'.' | b',')) {
            return true;
        }
        self.i += 1;
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.i > start
    }

    /// The end, `Z`, or `±HH[[:]MM]`, then nothing.
    fn zone(&mut self) -> bool {
        match self.peek() {
            None => true,
            Some(b'Z' | b'z') => self.i + 1 == self.b.len(),
            Some(b'+' | b'-') => {
                self.i += 1;
                if !self.two_in(0..=23) {
                    return false;
                }
                if self.peek() == Some(b':') {
                    self.i += 1;
                }
                if self.at_end() {
                    return true;
                }
                self.two_in(0..=59) && self.at_end()
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso() {
        for ok in [
            "2021-07-01T15:00:00",
            "2021-07-01T15:00:00Z",
            "2021-07-01",
            "2021-07-01T15:00",
            "2021-07-01 15:00:00",
            "2021-07-01T15:00:00.123+05:30",
            "2021-07-01T15:00:00+0530",
            "20210701T150000Z",
        ] {
            assert!(is_iso8601(ok), "{ok}");
        }
        for bad in [
            "",
            "2021",
            "2021-7-1",
            "2021-07-01T25:00",
            "2021-07-01T15:60",
            "null",
            "2021-07-01X",
            "2021-07-01T15:00:00+24:00",
        ] {
            assert!(!is_iso8601(bad), "{bad}");
        }
    }
}
