//! Bytes → [`Message`]: size limit, MLLP framing, charset, header, segment boundaries.

use super::delimiters::Delimiters;
use super::split::split_segments;
use super::{Message, ParseOptions};
use crate::error::{Error, ErrorCode, Position, Result, Warning};
use crate::hl7::charset::{self, Charset};
use std::borrow::Cow;

impl<'a> Message<'a> {
    /// Parse a message from raw bytes (as read from a socket or file). Applies the charset policy
    /// of [`charset`], strips MLLP framing, and finds delimiters and segments.
    ///
    /// ```
    /// use ehr_studio_bridge::hl7::Message;
    /// let raw = std::fs::read("tests/fixtures/perf/siu_s12_small.hl7").unwrap();
    /// let msg = Message::parse(&raw).unwrap();
    /// assert_eq!(msg.segment("MSH").unwrap().name(), "MSH");
    /// assert_eq!(msg.get("MSH-9.2").unwrap().decoded(), "S12");
    /// assert_eq!(msg.get("AIL-3.1").unwrap().decoded(), "Cardiology & Vascular Clinic");
    /// ```
    pub fn parse(bytes: &'a [u8]) -> Result<Message<'a>> {
        Self::parse_with(bytes, ParseOptions::default())
    }

    /// Parse already-decoded text (a JS string, a Rust `&str`). MLLP framing is stripped.
    pub fn parse_str(text: &'a str) -> Result<Message<'a>> {
        Self::parse_with(text.as_bytes(), ParseOptions::default())
    }

    /// [`Message::parse`] with options.
    pub fn parse_with(bytes: &'a [u8], opts: ParseOptions) -> Result<Message<'a>> {
        if opts.max_bytes > 0 && bytes.len() > opts.max_bytes {
            return Err(Error::new(
                ErrorCode::InputTooLarge,
                "the message is larger than the configured limit",
            ));
        }
        let mut warnings = Vec::new();
        let (mut offset, body) = strip_framing(bytes, &mut warnings);
        let mut offset_utf16 = offset;
        if body.starts_with(b"\xEF\xBB\xBF") {
            offset += 3;
            offset_utf16 += 1;
        }
        let decoded = charset::decode(body);
        warnings.extend(decoded.warnings);
        let mut msg = Self::from_text(decoded.text, decoded.charset, decoded.declared, warnings)?;
        msg.input_offset = offset;
        msg.input_offset_utf16 = offset_utf16;
        Ok(msg)
    }

    fn from_text(
        text: Cow<'a, str>,
        charset: Charset,
        declared_charset: Option<String>,
        mut warnings: Vec<Warning>,
    ) -> Result<Message<'a>> {
        let bytes = text.as_bytes();
        let lead = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(bytes.len());
        if lead == bytes.len() {
            return Err(Error::new(ErrorCode::EmptyInput, "the message is empty"));
        }
        let head = bytes.get(lead..).unwrap_or(&[]);
        let is_header =
            |h: &[u8]| h.starts_with(b"MSH") || h.starts_with(b"FHS") || h.starts_with(b"BHS");
        if !is_header(head) {
            return Err(Error::new(
                ErrorCode::Hl7NoMsh,
                "the message does not start with an MSH segment (or a batch header FHS/BHS)",
            )
            .at(Position::at_offset(lead)));
        }
        let (delimiters, _, w) = Delimiters::from_header(head)?;
        warnings.extend(w);
        let segments = split_segments(bytes, lead, delimiters.field, &mut warnings);
        Ok(Message {
            text,
            delimiters,
            segments,
            charset,
            declared_charset,
            warnings,
            input_offset: 0,
            input_offset_utf16: 0,
        })
    }
}

/// Remove MLLP framing (0x0B … 0x1C 0x0D) around a single message. Tolerates a missing start block
/// (athenahealth files end with 0x1C 0x0D only) and a missing trailing CR.
fn strip_framing<'b>(bytes: &'b [u8], warnings: &mut Vec<Warning>) -> (usize, &'b [u8]) {
    let mut start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let mut body = bytes.get(start..).unwrap_or(&[]);
    if let Some(rest) = body.strip_prefix(&[0x0B]) {
        body = rest;
        start += 1;
    }
    if let Some(end) = memchr::memchr(0x1C, body) {
        let after = body.get(end + 1..).unwrap_or(&[]);
        if after.iter().any(|b| !b.is_ascii_whitespace()) {
            warnings.push(Warning::new(
                "HL7_MLLP_TRAILING_DATA",
                "data follows the MLLP end block; only the first frame was parsed (use the MLLP splitter for streams)",
            ));
        }
        body = body.get(..end).unwrap_or(&[]);
    }
    (start, body)
}
