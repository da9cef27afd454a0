//! Reading a parsed [`Message`]: its parts, segments by index or name, path queries, MSH
//! shorthands and the messages of a batch.

use super::{Delimiters, Element, Message, Segment};
use crate::error::Warning;
use crate::hl7::charset::Charset;
use crate::hl7::Path;
use std::borrow::Cow;
use std::ops::Range;

impl<'a> Message<'a> {
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

    /// Resolve a path such as `PID-13[2].1` (see [`Path`]). Returns `None` when the
    /// element is absent, and an error only when the path itself is malformed.
    pub fn get(&self, path: &str) -> Option<Element<'_>> {
        Path::parse(path).ok().and_then(|p| self.query(&p))
    }

    /// Resolve a parsed path.
    pub fn query(&self, path: &Path) -> Option<Element<'_>> {
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
