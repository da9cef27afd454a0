//! [`Delimiters`]: the field separator and encoding characters, read from MSH-1 and MSH-2.

use super::Level;
use crate::error::{Error, ErrorCode, Position, Result, Warning};

/// The delimiters of one message, read from MSH-1 and MSH-2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiters {
    /// Field separator (MSH-1), usually `|`.
    pub field: u8,
    /// Component separator, usually `^`.
    pub component: Option<u8>,
    /// Repetition separator, usually `~`.
    pub repetition: Option<u8>,
    /// Escape character, usually `\`.
    pub escape: Option<u8>,
    /// Subcomponent separator, usually `&`.
    pub subcomponent: Option<u8>,
    /// Truncation character (v2.7+, 5th character of MSH-2), usually `#`.
    pub truncation: Option<u8>,
}

impl Default for Delimiters {
    /// The standard `|^~\&`.
    fn default() -> Self {
        Delimiters {
            field: b'|',
            component: Some(b'^'),
            repetition: Some(b'~'),
            escape: Some(b'\\'),
            subcomponent: Some(b'&'),
            truncation: None,
        }
    }
}

impl Delimiters {
    /// The encoding characters as they appear in MSH-2 (`^~\&`, plus `#` when there is a truncation character).
    pub fn encoding_chars(&self) -> String {
        [
            self.component,
            self.repetition,
            self.escape,
            self.subcomponent,
            self.truncation,
        ]
        .iter()
        .map_while(|c| c.map(char::from))
        .collect()
    }

    /// Read MSH-1/MSH-2 from the start of a header segment (`MSH|^~\&|…`). Returns the delimiters,
    /// the byte length of MSH-2 as written, and warnings.
    pub(super) fn from_header(seg: &[u8]) -> Result<(Delimiters, usize, Vec<Warning>)> {
        let bad = |msg: &str, off: usize| {
            Error::new(ErrorCode::Hl7BadEncodingChars, msg).at(Position {
                segment: Some("MSH".into()),
                segment_index: Some(1),
                field: Some(if off <= 3 { 1 } else { 2 }),
                offset: Some(off),
                ..Default::default()
            })
        };
        let field = *seg
            .get(3)
            .ok_or_else(|| bad("the header segment ends before MSH-1", 3))?;
        if !is_delimiter_byte(field) {
            return Err(bad(
                "MSH-1 (field separator) must be an ASCII punctuation character",
                3,
            ));
        }
        let enc_region = seg.get(4..).unwrap_or(&[]);
        let enc_len = enc_region
            .iter()
            .position(|&b| b == field || b == b'\r' || b == b'\n')
            .unwrap_or(enc_region.len());
        let enc = enc_region.get(..enc_len).unwrap_or(&[]);
        if enc.is_empty() {
            return Err(bad("MSH-2 (encoding characters) is empty", 4));
        }
        if enc.len() > 5 {
            return Err(bad("MSH-2 has more than 5 encoding characters", 4));
        }
        if let Some(pos) = enc.iter().position(|&b| !b.is_ascii_graphic()) {
            return Err(bad(
                "MSH-2 contains a character that cannot be a delimiter",
                4 + pos,
            ));
        }
        let mut warnings = Vec::new();
        if enc.iter().any(u8::is_ascii_alphanumeric) {
            // hl7apy's test message uses `r` as the repetition separator: legal, but every `r` in
            // the data then splits a field, which is rarely what the sender meant.
            warnings.push(
                Warning::new(
                    "HL7_ALPHANUMERIC_DELIMITER",
                    "MSH-2 uses a letter or digit as a delimiter",
                )
                .at(Position::field("MSH", Some(1), 2)),
            );
        }
        let mut chars: Vec<u8> = enc.to_vec();
        // LinuxForHealth samples: `^~\\&` — the escape character doubled by a string literal.
        if chars.len() == 5 && chars.get(2) == chars.get(3) {
            chars.remove(3);
            warnings.push(
                Warning::new(
                    "HL7_DOUBLED_ESCAPE_CHAR",
                    "MSH-2 repeats the escape character; read as the 4 standard encoding characters",
                )
                .at(Position::field("MSH", Some(1), 2)),
            );
        }
        let mut seen = vec![field];
        for (i, &c) in chars.iter().enumerate() {
            if seen.contains(&c) {
                return Err(bad(
                    "MSH-1/MSH-2 use the same character for two delimiters",
                    4 + i,
                ));
            }
            seen.push(c);
        }
        if chars.len() < 4 {
            warnings.push(
                Warning::new(
                    "HL7_SHORT_ENCODING_CHARS",
                    "MSH-2 has fewer than 4 encoding characters; the missing delimiters are not used",
                )
                .at(Position::field("MSH", Some(1), 2)),
            );
        }
        let d = Delimiters {
            field,
            component: chars.first().copied(),
            repetition: chars.get(1).copied(),
            escape: chars.get(2).copied(),
            subcomponent: chars.get(3).copied(),
            truncation: chars.get(4).copied(),
        };
        Ok((d, enc_len, warnings))
    }

    pub(super) fn separator_for(&self, level: Level) -> Option<u8> {
        match level {
            Level::Field => self.repetition,
            Level::Repetition => self.component,
            Level::Component => self.subcomponent,
            Level::Subcomponent => None,
        }
    }
}

fn is_delimiter_byte(b: u8) -> bool {
    b.is_ascii_graphic() && !b.is_ascii_alphanumeric()
}
