//! The zero-copy message model: [`Message`] → [`Segment`] → [`Element`] (field, repetition,
//! component, subcomponent).
//!
//! Parsing only finds the delimiters and the segment boundaries; fields are split on access by
//! scanning the segment's bytes, so a mapping that reads twenty fields of a 560 KB message never
//! touches the rest of it. Every element knows its byte range in [`Message::text`].
//!
//! ## Numbering
//! Everything is 1-based like HL7. For `MSH` (and the batch headers `FHS`/`BHS`), field 1 is the
//! field separator itself and field 2 the encoding characters; both are returned verbatim (never
//! split or unescaped), and field 3 is the first field after MSH-2. For other segments field *n* is
//! the *n*-th value after the segment name.
//!
//! ## Segment separators
//! If the text contains a CR, segments are split on CR only (a LF right after a CR is part of the
//! terminator; any other LF is data, because real NTE/OBX text contains line feeds). Otherwise
//! segments are split on LF. Blank lines are ignored.

use super::charset::{self, Charset};
use super::escape;
use crate::error::{Error, ErrorCode, Position, Result, Warning};
use std::borrow::Cow;
use std::ops::Range;

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
    fn from_header(seg: &[u8]) -> Result<(Delimiters, usize, Vec<Warning>)> {
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

    fn separator_for(&self, level: Level) -> Option<u8> {
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

/// A parsed message. Cheap to build; fields are split on access.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    text: Cow<'a, str>,
    delimiters: Delimiters,
    segments: Vec<Range<usize>>,
    charset: Charset,
    declared_charset: Option<String>,
    warnings: Vec<Warning>,
    /// Bytes of the original input before `text` (MLLP start block, leading whitespace, BOM).
    input_offset: usize,
    /// The same prefix in UTF-16 code units.
    input_offset_utf16: usize,
}

/// Options for [`Message::parse_with`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ParseOptions {
    /// Reject inputs larger than this many bytes (0 = no limit).
    pub max_bytes: usize,
}

impl<'a> Message<'a> {
    /// Parse a message from raw bytes (as read from a socket or file). Applies the charset policy
    /// of [`charset`](super::charset), strips MLLP framing, and finds delimiters and segments.
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

    /// The decoded text of the message (MLLP framing removed). All ranges index into it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The delimiters.
    pub fn delimiters(&self) -> &Delimiters {
        &self.delimiters
    }

    /// The charset used to decode the bytes.
    pub fn charset(&self) -> Charset {
        self.charset
    }

    /// MSH-18 as declared (first repetition), if any.
    pub fn declared_charset(&self) -> Option<&str> {
        self.declared_charset.as_deref()
    }

    /// Non-fatal findings of the parse (charset fallbacks, repaired MSH-2, odd segment names…).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Number of segments.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// All segments in order.
    pub fn segments(&self) -> impl Iterator<Item = Segment<'_>> + '_ {
        self.segments
            .iter()
            .enumerate()
            .map(move |(i, r)| self.make_segment(i, r.clone()))
    }

    /// The segment at a 0-based index.
    pub fn segment_at(&self, index: usize) -> Option<Segment<'_>> {
        self.segments
            .get(index)
            .map(|r| self.make_segment(index, r.clone()))
    }

    /// The first segment with this name.
    pub fn segment(&self, name: &str) -> Option<Segment<'_>> {
        self.segments_named(name).next()
    }

    /// All segments with this name, in order.
    pub fn segments_named(&self, name: &str) -> impl Iterator<Item = Segment<'_>> + '_ {
        let mut key = [0u8; 3];
        let valid = name.len() == 3;
        for (k, b) in key.iter_mut().zip(name.bytes()) {
            *k = b;
        }
        self.segments()
            .filter(move |s| valid && s.name_bytes() == key)
    }

    /// Resolve a path such as `PID-13[2].1` (see [`Path`](super::Path)). Returns `None` when the
    /// element is absent, and an error only when the path itself is malformed.
    pub fn get(&self, path: &str) -> Option<Element<'_>> {
        super::Path::parse(path).ok().and_then(|p| self.query(&p))
    }

    /// Resolve a parsed path.
    pub fn query(&self, path: &super::Path) -> Option<Element<'_>> {
        let seg = self
            .segments_named(path.segment_name())
            .nth(path.segment_occurrence.saturating_sub(1))?;
        let field = seg.field(path.field)?;
        match (path.repetition, path.component) {
            (None, None) => Some(field),
            (rep, comp) => {
                let rep = field.child(rep.unwrap_or(1))?;
                let Some(c) = comp else { return Some(rep) };
                let comp = rep.child(c)?;
                match path.subcomponent {
                    None => Some(comp),
                    Some(s) => comp.child(s),
                }
            }
        }
    }

    /// MSH-12 version id (first component), e.g. `"2.5.1"`.
    pub fn version(&self) -> Option<Cow<'_, str>> {
        self.header_field(12)
            .and_then(|f| f.child(1))
            .and_then(|r| r.child(1))
            .map(|c| c.decoded())
    }

    /// A field of the first `MSH` segment.
    pub fn header_field(&self, n: usize) -> Option<Element<'_>> {
        self.segment("MSH").and_then(|s| s.field(n))
    }

    /// Split a batch (or a file holding several messages) into its messages: one range per `MSH`,
    /// running up to the next `MSH` or batch segment (`BHS`, `BTS`, `FHS`, `FTS`).
    pub fn message_ranges(&self) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut current: Option<Range<usize>> = None;
        for s in self.segments() {
            let name = s.name_bytes();
            if name == b"MSH" {
                if let Some(c) = current.take() {
                    out.push(c);
                }
                current = Some(s.range());
            } else if matches!(name, b"BHS" | b"BTS" | b"FHS" | b"FTS") {
                if let Some(c) = current.take() {
                    out.push(c);
                }
            } else if let Some(c) = current.as_mut() {
                c.end = s.range().end;
            }
        }
        out.extend(current);
        out
    }

    fn make_segment(&self, index: usize, range: Range<usize>) -> Segment<'_> {
        Segment {
            msg: self,
            index,
            range,
        }
    }

    /// Bytes of the original input that precede [`Message::text`] (MLLP start block, whitespace,
    /// byte-order mark): add it to a range to index the original input.
    pub fn input_offset(&self) -> usize {
        self.input_offset
    }

    /// [`Message::input_offset`] in UTF-16 code units (for offsets into a JavaScript string).
    pub fn input_offset_utf16(&self) -> usize {
        self.input_offset_utf16
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

/// Whether CR is used as the segment separator: some CR (optionally followed by LF) is followed
/// by something that looks like a segment start (three letters/digits, then the field separator or
/// the end). A CR that only ends the last line of a LF-separated file does not count.
fn uses_cr(bytes: &[u8], field: u8) -> bool {
    memchr::memchr_iter(b'\r', bytes).any(|p| {
        let mut q = p + 1;
        if bytes.get(q) == Some(&b'\n') {
            q += 1;
        }
        let name_ok = bytes
            .get(q..q + 3)
            .is_some_and(|n| n.iter().all(u8::is_ascii_alphanumeric));
        name_ok
            && (matches!(bytes.get(q + 3), None | Some(&b'\r' | &b'\n'))
                || bytes.get(q + 3) == Some(&field))
    })
}

/// Split the text into segment ranges following the module's separator policy, and check each
/// segment's name on the way (`HL7_BAD_SEGMENT_NAME`, in segment order, appended to `warnings`).
fn split_segments(
    bytes: &[u8],
    start: usize,
    field: u8,
    warnings: &mut Vec<Warning>,
) -> Vec<Range<usize>> {
    let cr_mode = uses_cr(bytes, field);
    let sep = if cr_mode { b'\r' } else { b'\n' };
    let mut out = Vec::with_capacity(bytes.len() / 64 + 4);
    let rest = bytes.get(start..).unwrap_or(&[]);
    // The end of every segment: each separator, then the end of the text.
    let ends = memchr::memchr_iter(sep, rest)
        .map(|p| start + p)
        .chain(std::iter::once(bytes.len()));
    let mut pos = start;
    for end in ends {
        if pos >= bytes.len() {
            break;
        }
        let mut s = pos;
        pos = end + 1;
        // In CR mode, a LF directly after the previous CR belongs to the terminator.
        if cr_mode && bytes.get(s) == Some(&b'\n') {
            s += 1;
        }
        let seg = bytes.get(s..end).unwrap_or(&[]);
        // Leading whitespace before a segment name (blank-ish lines) is not part of it; a segment
        // of whitespace only is no segment.
        let Some(lead) = seg.iter().position(|b| !b.is_ascii_whitespace()) else {
            continue;
        };
        let mut e = end;
        // Line ends next to the separator belong to the terminator: a CR before the LF in LF
        // mode, and a LF before the CR (or at the very end) in CR mode. A LF *inside* a CR-mode
        // segment stays data.
        while e > s + lead && matches!(bytes.get(e - 1), Some(b'\r' | b'\n')) {
            e -= 1;
        }
        let range = s + lead..e;
        if !segment_name_ok(bytes.get(range.clone()).unwrap_or(&[]), field) {
            warnings.push(
                Warning::new(
                    "HL7_BAD_SEGMENT_NAME",
                    "a segment does not start with a 3-character name followed by the field separator",
                )
                .at(Position {
                    segment_index: Some(out.len() + 1),
                    offset: Some(range.start),
                    ..Default::default()
                }),
            );
        }
        out.push(range);
    }
    out
}

/// A segment starts with a 3-character name (upper-case letters and digits) followed by the
/// field separator, or is only the name.
fn segment_name_ok(raw: &[u8], field: u8) -> bool {
    let name = |i: usize| {
        raw.get(i)
            .is_some_and(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    };
    name(0) && name(1) && name(2) && raw.get(3).is_none_or(|&f| f == field)
}

/// One segment.
#[derive(Debug, Clone)]
pub struct Segment<'m> {
    msg: &'m Message<'m>,
    index: usize,
    range: Range<usize>,
}

impl<'m> Segment<'m> {
    /// Segment name (first three characters), e.g. `"PID"`.
    pub fn name(&self) -> &'m str {
        let raw = self.raw();
        let end = raw.char_indices().nth(3).map_or(raw.len(), |(i, _)| i);
        raw.get(..end).unwrap_or(raw)
    }

    /// The first three bytes of the segment (its name when well formed), without decoding.
    pub fn name_bytes(&self) -> &'m [u8] {
        let b = self.raw().as_bytes();
        b.get(..3).unwrap_or(b)
    }

    /// 0-based index of the segment in the message.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The raw text of the segment (without terminator).
    pub fn raw(&self) -> &'m str {
        self.msg.text.get(self.range.clone()).unwrap_or("")
    }

    /// Byte range in [`Message::text`].
    pub fn range(&self) -> Range<usize> {
        self.range.clone()
    }

    /// Whether this is a header segment whose fields 1 and 2 are the delimiters (`MSH`, `FHS`, `BHS`
    /// followed by the message's field separator).
    pub fn is_header(&self) -> bool {
        matches!(self.name_bytes(), b"MSH" | b"FHS" | b"BHS")
            && self
                .raw()
                .as_bytes()
                .get(3)
                .is_none_or(|&b| b == self.msg.delimiters.field)
    }

    /// The message this segment belongs to.
    pub fn message(&self) -> &'m Message<'m> {
        self.msg
    }

    /// Field `n` (1-based; see the module docs for the MSH rule). `None` when the segment has fewer fields.
    pub fn field(&self, n: usize) -> Option<Element<'m>> {
        if n == 0 {
            return None;
        }
        let raw = self.raw();
        let bytes = raw.as_bytes();
        let d = &self.msg.delimiters;
        if self.is_header() {
            match n {
                1 => return bytes.get(3).map(|_| self.element(3..4, Level::Field, true)),
                2 => {
                    let len = header_msh2_len(bytes, d.field);
                    let r = 4..(4 + len).min(bytes.len());
                    return (r.start <= bytes.len()).then(|| self.element(r, Level::Field, true));
                }
                _ => {}
            }
        }
        // Offsets of the field separators: field k (k ≥ 1) follows the k-th separator, except for
        // header segments where MSH-1 *is* the first separator and so MSH-n follows the (n-1)-th.
        let target = if self.is_header() { n - 1 } else { n };
        let mut count = 0usize;
        let mut start = None;
        for p in memchr::memchr_iter(d.field, bytes) {
            count += 1;
            if count == target {
                start = Some(p + 1);
            } else if count == target + 1 {
                let s = start?;
                return Some(self.element(s..p, Level::Field, false));
            }
        }
        let s = start?;
        Some(self.element(s..bytes.len(), Level::Field, false))
    }

    /// Number of fields (for MSH, counting MSH-1 and MSH-2).
    pub fn field_count(&self) -> usize {
        let seps = memchr::memchr_iter(self.msg.delimiters.field, self.raw().as_bytes()).count();
        if self.is_header() {
            seps.max(1) + usize::from(seps >= 1)
        } else {
            seps
        }
    }

    /// All fields, 1..=field_count.
    pub fn fields(&self) -> impl Iterator<Item = (usize, Element<'m>)> + '_ {
        FieldIter {
            seg: self.clone(),
            next: 1,
            pos: None,
        }
    }

    fn element(&self, r: Range<usize>, level: Level, literal: bool) -> Element<'m> {
        Element {
            msg: self.msg,
            start: self.range.start + r.start,
            end: self.range.start + r.end,
            level,
            literal,
        }
    }
}

fn header_msh2_len(bytes: &[u8], field: u8) -> usize {
    bytes
        .get(4..)
        .map_or(0, |r| r.iter().position(|&b| b == field).unwrap_or(r.len()))
}

/// Sequential field iterator (linear in the segment length).
struct FieldIter<'m> {
    seg: Segment<'m>,
    next: usize,
    /// Byte offset (segment-relative) where the next ordinary field starts.
    pos: Option<usize>,
}

impl<'m> Iterator for FieldIter<'m> {
    type Item = (usize, Element<'m>);

    fn next(&mut self) -> Option<Self::Item> {
        let n = self.next;
        let bytes = self.seg.raw().as_bytes();
        let d = self.seg.msg.delimiters.field;
        if self.seg.is_header() && n <= 2 {
            let f = self.seg.field(n)?;
            self.next += 1;
            if n == 2 {
                // MSH-3 starts after the separator that follows MSH-2.
                let after = f.end - self.seg.range.start;
                self.pos = (bytes.get(after) == Some(&d)).then_some(after + 1);
                if self.pos.is_none() {
                    self.next = usize::MAX;
                }
            }
            return Some((n, f));
        }
        if n == usize::MAX {
            return None;
        }
        let start = match self.pos {
            Some(p) => p,
            None => {
                // Ordinary segment: field 1 starts after the first separator.
                let p = memchr::memchr(d, bytes)?;
                p + 1
            }
        };
        if start > bytes.len() {
            return None;
        }
        let rest = bytes.get(start..).unwrap_or(&[]);
        let end = memchr::memchr(d, rest).map(|p| start + p);
        let e = end.unwrap_or(bytes.len());
        self.pos = end.map(|p| p + 1);
        self.next = if end.is_some() { n + 1 } else { usize::MAX };
        Some((n, self.seg.element(start..e, Level::Field, false)))
    }
}

/// The level of an [`Element`] in the field → repetition → component → subcomponent hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A whole field (all repetitions).
    Field,
    /// One repetition.
    Repetition,
    /// One component.
    Component,
    /// One subcomponent.
    Subcomponent,
}

impl Level {
    fn child(self) -> Option<Level> {
        match self {
            Level::Field => Some(Level::Repetition),
            Level::Repetition => Some(Level::Component),
            Level::Component => Some(Level::Subcomponent),
            Level::Subcomponent => None,
        }
    }
}

/// A field, repetition, component or subcomponent: a range of the message text.
#[derive(Debug, Clone, Copy)]
pub struct Element<'m> {
    msg: &'m Message<'m>,
    start: usize,
    end: usize,
    level: Level,
    /// MSH-1/MSH-2: never split or unescaped.
    literal: bool,
}

impl<'m> Element<'m> {
    /// The raw (still escaped) text.
    pub fn raw(&self) -> &'m str {
        self.msg.text.get(self.start..self.end).unwrap_or("")
    }

    /// Byte range in [`Message::text`].
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    /// Level in the hierarchy.
    pub fn level(&self) -> Level {
        self.level
    }

    /// MSH-1 / MSH-2: taken as written, never split or unescaped.
    pub(crate) fn is_literal(&self) -> bool {
        self.literal
    }

    /// Empty (not sent).
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Present but null: the value is exactly `""` ("delete the stored value").
    pub fn is_null(&self) -> bool {
        !self.literal && self.raw() == "\"\""
    }

    /// The decoded value (escape sequences resolved). A null (`""`) decodes to the empty string;
    /// check [`Element::is_null`] first when the difference matters.
    pub fn decoded(&self) -> Cow<'m, str> {
        if self.literal {
            return Cow::Borrowed(self.raw());
        }
        if self.is_null() {
            return Cow::Borrowed("");
        }
        escape::decode(self.raw(), &self.msg.delimiters)
    }

    /// The decoded value, or `None` when empty or null.
    pub fn value(&self) -> Option<Cow<'m, str>> {
        if self.is_empty() || self.is_null() {
            None
        } else {
            Some(self.decoded())
        }
    }

    /// The separator that splits this element into children, if any.
    fn separator(&self) -> Option<u8> {
        if self.literal {
            None
        } else {
            self.msg.delimiters.separator_for(self.level)
        }
    }

    /// Whether this element has more than one child (repetitions, components or subcomponents).
    pub fn has_children(&self) -> bool {
        self.separator()
            .is_some_and(|s| memchr::memchr(s, self.raw().as_bytes()).is_some())
    }

    /// Child `n` (1-based): a repetition of a field, a component of a repetition, a subcomponent of
    /// a component. Child 1 of an element without separators is the element itself (one level down).
    pub fn child(&self, n: usize) -> Option<Element<'m>> {
        let level = self.level.child()?;
        if n == 0 {
            return None;
        }
        let bytes = self.raw().as_bytes();
        let Some(sep) = self.separator() else {
            return (n == 1).then_some(Element { level, ..*self });
        };
        let mut start = 0usize;
        let mut idx = 1usize;
        for p in memchr::memchr_iter(sep, bytes) {
            if idx == n {
                return Some(Element {
                    msg: self.msg,
                    start: self.start + start,
                    end: self.start + p,
                    level,
                    literal: false,
                });
            }
            idx += 1;
            start = p + 1;
        }
        (idx == n).then_some(Element {
            msg: self.msg,
            start: self.start + start,
            end: self.end,
            level,
            literal: false,
        })
    }

    /// All children in order (at least one).
    pub fn children(&self) -> impl Iterator<Item = Element<'m>> + 'm {
        let this = *self;
        let level = this.level.child();
        let sep = this.separator();
        let bytes = this.raw().as_bytes();
        let mut start = Some(0usize);
        std::iter::from_fn(move || {
            let level = level?;
            let s = start?;
            let end = match sep {
                Some(sep) => bytes
                    .get(s..)
                    .and_then(|r| memchr::memchr(sep, r))
                    .map(|p| s + p),
                None => None,
            };
            let e = end.unwrap_or(bytes.len());
            start = end.map(|p| p + 1);
            Some(Element {
                msg: this.msg,
                start: this.start + s,
                end: this.start + e,
                level,
                literal: this.literal && sep.is_none(),
            })
        })
    }

    /// Shorthand: component `c` of the first repetition (for a field), or of this repetition.
    pub fn component(&self, c: usize) -> Option<Element<'m>> {
        match self.level {
            Level::Field => self.child(1)?.child(c),
            Level::Repetition => self.child(c),
            _ => None,
        }
    }

    /// Decoded component `c` (of the first repetition), or `None` when empty/null/absent.
    pub fn component_value(&self, c: usize) -> Option<Cow<'m, str>> {
        self.component(c).and_then(|e| e.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIU: &str = "MSH|^~\\&|SEND|FAC|RECV|RFAC|20250305143012-0500||SIU^S12^SIU_S12|CTRL1|P|2.5.1\rSCH|PL1^EHR|FL1^EHR|||||||||^^^20250310083000\rPID|1||111^^^H^PI~MRN1^^^H^MR||DOE^JANE^^^^^L~DOE^J^^^^^A||19800101|F|||||^PRN^PH^^1^617^5550100~^PRN^CP^^1^617^5550142\rAIL|1||Cardiology \\T\\ Vascular^^^^^^^^Clinic\r";

    #[test]
    fn msh_numbering() {
        let m = Message::parse_str(SIU).unwrap();
        let msh = m.segment("MSH").unwrap();
        assert_eq!(msh.field(1).unwrap().raw(), "|");
        assert_eq!(msh.field(2).unwrap().raw(), "^~\\&");
        assert_eq!(msh.field(3).unwrap().raw(), "SEND");
        assert_eq!(msh.field(7).unwrap().raw(), "20250305143012-0500");
        assert_eq!(m.get("MSH-9.2").unwrap().raw(), "S12");
        assert_eq!(m.get("MSH-12").unwrap().raw(), "2.5.1");
        assert_eq!(m.version().unwrap(), "2.5.1");
        // MSH-2 is never split or unescaped even though it contains every delimiter.
        assert!(!msh.field(2).unwrap().has_children());
        assert_eq!(msh.field(2).unwrap().decoded(), "^~\\&");
        assert!(msh.field(13).is_none());
        assert_eq!(msh.field_count(), 12);
    }

    #[test]
    fn ordinary_numbering_and_children() {
        let m = Message::parse_str(SIU).unwrap();
        let pid = m.segment("PID").unwrap();
        assert_eq!(pid.field(1).unwrap().raw(), "1");
        assert!(pid.field(2).unwrap().is_empty());
        let f3 = pid.field(3).unwrap();
        assert_eq!(f3.children().count(), 2);
        assert_eq!(m.get("PID-3[2].1").unwrap().raw(), "MRN1");
        assert_eq!(m.get("PID-3[2].5").unwrap().raw(), "MR");
        assert_eq!(m.get("PID-3.1").unwrap().raw(), "111");
        assert!(m.get("PID-3[3]").is_none());
        assert_eq!(m.get("PID-5.1.1").unwrap().raw(), "DOE");
        assert_eq!(m.get("PID.5.2").unwrap().raw(), "JANE");
        assert_eq!(m.get("PID-13[2].3").unwrap().raw(), "CP");
        assert_eq!(m.get("SCH-11.4").unwrap().raw(), "20250310083000");
        assert_eq!(m.get("AIL-3.1").unwrap().decoded(), "Cardiology & Vascular");
        assert_eq!(m.get("AIL-3.9").unwrap().decoded(), "Clinic");
        assert!(m.get("ZZZ-1").is_none());
        assert!(m.get("PID-99").is_none());
    }

    #[test]
    fn field_iteration_matches_random_access() {
        let m = Message::parse_str(SIU).unwrap();
        for seg in m.segments() {
            let fields: Vec<_> = seg.fields().collect();
            assert_eq!(fields.len(), seg.field_count(), "{}", seg.name());
            for (n, f) in fields {
                assert_eq!(
                    seg.field(n).unwrap().range(),
                    f.range(),
                    "{}-{n}",
                    seg.name()
                );
            }
        }
    }

    #[test]
    fn ranges_point_into_text() {
        let m = Message::parse_str(SIU).unwrap();
        let e = m.get("PID-5.2").unwrap();
        assert_eq!(&m.text()[e.range()], "JANE");
    }

    #[test]
    fn separators_policy() {
        let lf = "MSH|^~\\&|A\nPID|1\n\nPV1|1\n";
        let m = Message::parse_str(lf).unwrap();
        assert_eq!(
            m.segments().map(|s| s.name()).collect::<Vec<_>>(),
            ["MSH", "PID", "PV1"]
        );
        let crlf = "MSH|^~\\&|A\r\nPID|1\r\n";
        let m = Message::parse_str(crlf).unwrap();
        assert_eq!(
            m.segments().map(|s| s.raw()).collect::<Vec<_>>(),
            ["MSH|^~\\&|A", "PID|1"]
        );
        // CR present: an LF inside NTE text is data.
        let mixed = "MSH|^~\\&|A\rNTE|1||line1\nline2\r";
        let m = Message::parse_str(mixed).unwrap();
        assert_eq!(m.segment_count(), 2);
        assert_eq!(m.get("NTE-3").unwrap().raw(), "line1\nline2");
        // LF-separated file whose last segment ends with a stray CR: the CR separates nothing.
        let m = Message::parse_str("MSH|^~\\&|A\nPID|1\r").unwrap();
        assert_eq!(
            m.segments().map(|s| s.raw()).collect::<Vec<_>>(),
            ["MSH|^~\\&|A", "PID|1"]
        );
        // A single CR-terminated segment.
        let m = Message::parse_str("MSH|^~\\&|A\r").unwrap();
        assert_eq!(
            m.segments().map(|s| s.raw()).collect::<Vec<_>>(),
            ["MSH|^~\\&|A"]
        );
    }

    #[test]
    fn nulls_vs_empty() {
        let m = Message::parse_str("MSH|^~\\&|A\rPID|1|\"\"||\"\"^X").unwrap();
        let f2 = m.get("PID-2").unwrap();
        assert!(f2.is_null());
        assert!(!f2.is_empty());
        assert_eq!(f2.value(), None);
        assert!(m.get("PID-3").unwrap().is_empty());
        assert!(m.get("PID-4.1").unwrap().is_null());
        assert_eq!(m.get("PID-4.2").unwrap().value().as_deref(), Some("X"));
    }

    #[test]
    fn nondefault_delimiters() {
        // hapi: field ^, component ~, repetition |
        let m = Message::parse_str("MSH^~|\\&^SENDER^^^^20120918^^ADT~A24^1^P^2.4\rPID^1^^A~B|C~D")
            .unwrap();
        assert_eq!(m.delimiters().field, b'^');
        assert_eq!(m.get("MSH-9.2").unwrap().raw(), "A24");
        assert_eq!(m.get("PID-3[2].2").unwrap().raw(), "D");
    }

    #[test]
    fn five_char_and_doubled_escape() {
        let m = Message::parse_str("MSH|^~\\&#|A|B|||||||2.7\rNTE|1||a\\P\\b").unwrap();
        assert_eq!(m.delimiters().truncation, Some(b'#'));
        assert_eq!(m.get("NTE-3").unwrap().decoded(), "a#b");
        assert_eq!(m.get("MSH-3").unwrap().raw(), "A");
        let m = Message::parse_str("MSH|^~\\\\&|A|B\rPID|1").unwrap();
        assert_eq!(m.delimiters().subcomponent, Some(b'&'));
        assert_eq!(m.get("MSH-2").unwrap().raw(), "^~\\\\&");
        assert_eq!(m.get("MSH-3").unwrap().raw(), "A");
        assert_eq!(
            m.warnings().first().map(|w| w.code),
            Some("HL7_DOUBLED_ESCAPE_CHAR")
        );
    }

    #[test]
    fn bad_headers() {
        assert_eq!(
            Message::parse_str("PID|1").unwrap_err().code,
            ErrorCode::Hl7NoMsh
        );
        assert_eq!(
            Message::parse_str("").unwrap_err().code,
            ErrorCode::EmptyInput
        );
        assert_eq!(
            Message::parse_str("\x0b\x1c\r").unwrap_err().code,
            ErrorCode::EmptyInput
        );
        assert_eq!(
            Message::parse_str("MSH").unwrap_err().code,
            ErrorCode::Hl7BadEncodingChars
        );
        assert_eq!(
            Message::parse_str("MSH||A").unwrap_err().code,
            ErrorCode::Hl7BadEncodingChars
        );
        assert_eq!(
            Message::parse_str("MSHA^~\\&A").unwrap_err().code,
            ErrorCode::Hl7BadEncodingChars
        );
        assert_eq!(
            Message::parse_str("MSH|^^\\&|").unwrap_err().code,
            ErrorCode::Hl7BadEncodingChars
        );
        assert_eq!(
            Message::parse_str("MSH|^~\\&#!|").unwrap_err().code,
            ErrorCode::Hl7BadEncodingChars
        );
    }

    #[test]
    fn mllp_framing_is_stripped() {
        let m = Message::parse(b"\x0bMSH|^~\\&|A\rPID|1\r\x1c\r").unwrap();
        assert_eq!(m.segment_count(), 2);
        let m = Message::parse(b"MSH|^~\\&|A\rPID|1\r\x1c\r").unwrap();
        assert_eq!(m.segment_count(), 2);
    }

    #[test]
    fn short_message_without_terminator() {
        let m = Message::parse_str("MSH|^~\\&").unwrap();
        assert_eq!(m.segment_count(), 1);
        assert_eq!(m.get("MSH-2").unwrap().raw(), "^~\\&");
        assert!(m.get("MSH-3").is_none());
        let fields: Vec<_> = m.segment("MSH").unwrap().fields().map(|(n, _)| n).collect();
        assert_eq!(fields, [1, 2]);
    }

    #[test]
    fn batch_ranges() {
        let t = "FHS|^~\\&|A\rBHS|^~\\&|A\rMSH|^~\\&|A|||||||1\rPID|1\rMSH|^~\\&|B|||||||2\rBTS|2\rFTS|1";
        let m = Message::parse_str(t).unwrap();
        let r = m.message_ranges();
        assert_eq!(r.len(), 2);
        assert_eq!(&m.text()[r[0].clone()], "MSH|^~\\&|A|||||||1\rPID|1");
        assert_eq!(m.get("FHS-2").unwrap().raw(), "^~\\&");
    }
}
