//! Path syntax for addressing an element of a message.
//!
//! ```text
//! SEG[occ]-FIELD[rep].COMPONENT.SUBCOMPONENT
//! ```
//!
//! * `SEG` — three characters (`PID`, `SCH`, `ZAB`); case-insensitive.
//! * `[occ]` — optional 1-based occurrence of the segment (`AIL[2]-3` = the second AIL). Default 1.
//! * `-FIELD` — 1-based field number; `.` is accepted instead of `-` (`PID.5` = `PID-5`).
//! * `[rep]` — optional 1-based repetition. Without it, a path that goes on to a component means the
//!   first repetition, and a path that stops at the field means the whole field (all repetitions).
//! * `.COMPONENT`, `.SUBCOMPONENT` — optional, 1-based.
//!
//! Examples: `PID-13[2].1`, `SCH-11.4`, `PID-5.1.1`, `PID.5.1`, `MSH-9.2`, `AIL[2]-3.9`.

use crate::error::{Error, ErrorCode, Position, Result};
use std::fmt;

/// A parsed path. See the module docs for the syntax.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Path {
    segment: [u8; 3],
    /// 1-based segment occurrence.
    pub segment_occurrence: usize,
    /// 1-based field number.
    pub field: usize,
    /// 1-based repetition, if given.
    pub repetition: Option<usize>,
    /// 1-based component, if given.
    pub component: Option<usize>,
    /// 1-based subcomponent, if given.
    pub subcomponent: Option<usize>,
}

impl Path {
    /// Parse a path string.
    ///
    /// ```
    /// use ehr_studio_bridge::hl7::Path;
    /// let p = Path::parse("PID-13[2].1").unwrap();
    /// assert_eq!((p.segment_name(), p.field, p.repetition, p.component), ("PID", 13, Some(2), Some(1)));
    /// assert_eq!(Path::parse("pid.5.1").unwrap().to_string(), "PID-5.1");
    /// assert_eq!(Path::parse("PID-").unwrap_err().code.as_str(), "HL7_BAD_PATH");
    /// ```
    pub fn parse(s: &str) -> Result<Path> {
        let bad = |msg: &str| Error::new(ErrorCode::Hl7BadPath, msg.to_owned());
        let s = s.trim();
        let b = s.as_bytes();
        let name = b
            .get(..3)
            .ok_or_else(|| bad("a path starts with a 3-character segment name"))?;
        let mut segment = [0u8; 3];
        for (dst, &c) in segment.iter_mut().zip(name) {
            if !c.is_ascii_alphanumeric() {
                return Err(bad("a segment name is 3 letters or digits"));
            }
            *dst = c.to_ascii_uppercase();
        }
        let mut cur = Cursor { b, i: 3 };
        let segment_occurrence = cur.bracket(&bad)?.unwrap_or(1);
        if !cur.eat(b'-') && !cur.eat(b'.') {
            return Err(bad(
                "expected '-' or '.' and a field number after the segment name",
            ));
        }
        let field = cur.number(&bad, "field")?;
        let repetition = cur.bracket(&bad)?;
        let mut component = None;
        let mut subcomponent = None;
        if cur.eat(b'.') {
            component = Some(cur.number(&bad, "component")?);
            if cur.eat(b'.') {
                subcomponent = Some(cur.number(&bad, "subcomponent")?);
            }
        }
        if cur.i != b.len() {
            return Err(
                bad("unexpected characters at the end of the path").at(Position::at_offset(cur.i))
            );
        }
        Ok(Path {
            segment,
            segment_occurrence,
            field,
            repetition,
            component,
            subcomponent,
        })
    }

    /// The segment name, upper-case.
    pub fn segment_name(&self) -> &str {
        std::str::from_utf8(&self.segment).unwrap_or("")
    }

    /// A position describing this path (for errors and warnings).
    pub fn position(&self) -> Position {
        Position {
            segment: Some(self.segment_name().to_owned()),
            field: Some(self.field),
            repetition: self.repetition,
            component: self.component,
            subcomponent: self.subcomponent,
            ..Default::default()
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.segment_name())?;
        if self.segment_occurrence != 1 {
            write!(f, "[{}]", self.segment_occurrence)?;
        }
        write!(f, "-{}", self.field)?;
        if let Some(r) = self.repetition {
            write!(f, "[{r}]")?;
        }
        if let Some(c) = self.component {
            write!(f, ".{c}")?;
        }
        if let Some(s) = self.subcomponent {
            write!(f, ".{s}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Path {
    type Err = Error;
    fn from_str(s: &str) -> Result<Path> {
        Path::parse(s)
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn number(&mut self, bad: &dyn Fn(&str) -> Error, what: &str) -> Result<usize> {
        let start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        let digits = self.b.get(start..self.i).unwrap_or(&[]);
        if digits.is_empty() || digits.len() > 5 {
            return Err(
                bad(&format!("expected a {what} number (1-99999)")).at(Position::at_offset(start))
            );
        }
        let n: usize = std::str::from_utf8(digits)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if n == 0 {
            return Err(bad(&format!("{what} numbers start at 1")).at(Position::at_offset(start)));
        }
        Ok(n)
    }

    fn bracket(&mut self, bad: &dyn Fn(&str) -> Error) -> Result<Option<usize>> {
        if !self.eat(b'[') {
            return Ok(None);
        }
        let n = self.number(bad, "repetition/occurrence")?;
        if !self.eat(b']') {
            return Err(bad("missing ']'").at(Position::at_offset(self.i)));
        }
        Ok(Some(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        for (s, canon) in [
            ("PID-13[2].1", "PID-13[2].1"),
            ("SCH-11.4", "SCH-11.4"),
            ("PID-5.1.1", "PID-5.1.1"),
            ("PID.5.1", "PID-5.1"),
            ("pid-5", "PID-5"),
            ("AIL[2]-3.9", "AIL[2]-3.9"),
            ("ZX1-1", "ZX1-1"),
            (" MSH-9.2 ", "MSH-9.2"),
        ] {
            assert_eq!(Path::parse(s).unwrap().to_string(), canon, "{s}");
        }
    }

    #[test]
    fn rejected_forms() {
        for s in [
            "",
            "PI",
            "PID",
            "PID-",
            "PID-0",
            "PID-5.",
            "PID-5.0",
            "PID-5[",
            "PID-5[0]",
            "PID-5[2",
            "PID-5x",
            "P!D-1",
            "PID-123456",
            "PID-5.1.1.1",
        ] {
            let e = Path::parse(s).unwrap_err();
            assert_eq!(e.code, ErrorCode::Hl7BadPath, "{s}");
        }
    }
}
