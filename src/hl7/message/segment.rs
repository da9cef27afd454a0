//! [`Segment`]: one segment of a [`Message`] and the walk over its fields (with the MSH rule).

use super::{Element, Level, Message};
use std::ops::Range;

/// One segment.
#[derive(Debug, Clone)]
pub struct Segment<'m> {
    pub(super) msg: &'m Message<'m>,
    pub(super) index: usize,
    pub(super) range: Range<usize>,
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

    /// Field `n` (1-based; see the `message` module docs for the MSH rule). `None` when the segment
    /// has fewer fields.
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
