//! The packed tree ([`Packed`], [`pack`]): the tree of [`build`](super::build) as `u32` words and
//! one string pool, written in one pass per segment.

use super::offsets::{utf16_offsets, Offsets};
use super::plain::{DelimiterInfo, Kind};
use crate::error::Warning;
use crate::hl7::{Delimiters, Element, Level, Message};
use serde::Serialize;
use std::borrow::Cow;

/// The tree of [`build`] in a compact form for the JavaScript boundary: no serde, no JSON text
/// of the tree, no string copies for values that are slices of the message. Decoded into the
/// same plain objects by `js/glue/hl7-tree.js` (and by [`unpack_to_json`] in tests).
///
/// * `pool`: UTF-8 text, decoded once on the JS side: the message text, then every value that is
///   not a slice of it (decoded escape sequences, names outside the text).
/// * `head`: JSON of `{charset, declaredCharset, delimiters, version, messageType, controlId,
///   warnings}` (the tree without `segments`).
/// * `words`: the segments, `u32`s, string references as UTF-16 `[start, end)` into the pool:
///   `segment count`, then per segment `name start, name end, index, range start, range end,
///   field count` followed by its fields; a node is `n, range start, range end, tag` with
///   `tag = kind | 8 × null` (kind 0 nothing, 1 value, 2 reps, 3 components, 4 subcomponents),
///   followed by `value start, value end` (kind 1) or `child count` and the children (2–4).
///
/// The buffers are reused between calls (cleared, capacity kept).
///
/// [`build`]: super::build
/// [`unpack_to_json`]: super::unpack_to_json
#[derive(Debug, Default)]
pub struct Packed {
    /// The node stream.
    pub words: Vec<u32>,
    /// Message text, then the other strings (UTF-8).
    pub pool: Vec<u8>,
    /// The top-level fields other than `segments`, as JSON.
    pub head: String,
    /// UTF-16 offset of every byte of the text (only for non-ASCII text); scratch.
    utf16: Vec<u32>,
    /// UTF-16 length of `pool` so far.
    pool_units: u32,
}

/// Kind codes of the packed node tag.
pub(super) const KIND_VALUE: u32 = 1;
pub(super) const TAG_NULL: u32 = 8;

fn kind_code(k: Kind) -> u32 {
    match k {
        Kind::Reps => 2,
        Kind::Components => 3,
        Kind::Subcomponents => 4,
    }
}

/// The head of the tree (everything but `segments`), in the key order of [`MessageTree`].
///
/// [`MessageTree`]: super::MessageTree
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Head<'a> {
    charset: &'static str,
    declared_charset: Option<&'a str>,
    delimiters: DelimiterInfo,
    version: Option<Cow<'a, str>>,
    message_type: Option<&'a str>,
    control_id: Option<Cow<'a, str>>,
    warnings: &'a [Warning],
}

/// Pack the tree of `msg` (the same tree as [`build`]) into `out`.
///
/// ```
/// use ehr_studio_bridge::hl7::{Message, tree::{pack, unpack_to_json, build, Offsets, Packed}};
/// let m = Message::parse_str("MSH|^~\\&|A\rPID|1||7^^^^MR~8||DOE^JANE\\T\\X").unwrap();
/// let mut p = Packed::default();
/// pack(&m, Offsets::Utf16, &mut p);
/// assert_eq!(unpack_to_json(&p), serde_json::to_value(build(&m, Offsets::Utf16)).unwrap());
/// ```
///
/// [`build`]: super::build
pub fn pack(msg: &Message<'_>, mode: Offsets, out: &mut Packed) {
    let text = msg.text();
    out.words.clear();
    out.pool.clear();
    out.head.clear();
    out.utf16.clear();
    out.pool.extend_from_slice(text.as_bytes());
    // About one node per 6 bytes of HL7 text, 4–6 words each: one allocation for most messages.
    out.words.reserve(text.len() + 64);
    if text.is_ascii() {
        out.pool_units = text.len() as u32;
    } else {
        utf16_offsets(text, &mut out.utf16);
        out.pool_units = out.utf16.last().copied().unwrap_or(0);
    }
    let (shift, bytes_mode) = match mode {
        Offsets::Bytes => (0u32, true),
        Offsets::Utf16 => (msg.input_offset_utf16() as u32, false),
    };
    let d = *msg.delimiters();
    let mut class = [0u8; 256];
    for (c, bit) in [
        (d.repetition, C_REP),
        (d.component, C_COMP),
        (d.subcomponent, C_SUB),
        (d.escape, C_ESC),
    ] {
        if let Some(slot) = c.and_then(|c| class.get_mut(usize::from(c))) {
            *slot |= bit;
        }
    }
    let mut w = Writer {
        text,
        out,
        shift,
        bytes_mode,
        class,
        delimiters: d,
    };
    w.out.words.push(msg.segment_count() as u32);
    for seg in msg.segments() {
        let name = w.str_ref(seg.name());
        let range = w.range(seg.range());
        let at = w.out.words.len();
        w.out.words.extend_from_slice(&[
            name[0],
            name[1],
            (seg.index() + 1) as u32,
            range[0],
            range[1],
            0,
        ]);
        let count = if seg.is_header() {
            // MSH-1 / MSH-2 are special: the segment's own field iterator.
            let mut count = 0u32;
            for (n, f) in seg.fields().filter(|(_, f)| !f.is_empty()) {
                w.field(n, &f);
                count += 1;
            }
            count
        } else {
            w.fields(seg.range())
        };
        if let Some(slot) = w.out.words.get_mut(at + 5) {
            *slot = count;
        }
    }
    let head = Head {
        charset: msg.charset().name(),
        declared_charset: msg.declared_charset(),
        delimiters: DelimiterInfo::of(&d),
        version: msg.version(),
        message_type: msg.header_field(9).map(|f| f.raw()),
        control_id: msg.header_field(10).and_then(|f| f.value()),
        warnings: msg.warnings(),
    };
    // Serializing plain strings, options and `Warning`s cannot fail; an empty head would make the
    // JS side throw on `JSON.parse`, never return a wrong tree.
    if let Ok(h) = serde_json::to_string(&head) {
        w.out.head = h;
    }
}

/// Class bits of a byte for [`Writer`]: which role(s) it has in this message.
const C_REP: u8 = 1;
const C_COMP: u8 = 2;
const C_SUB: u8 = 4;
const C_ESC: u8 = 8;

struct Writer<'a, 't> {
    text: &'t str,
    out: &'a mut Packed,
    shift: u32,
    bytes_mode: bool,
    /// Class bits of every byte value (delimiters only).
    class: [u8; 256],
    delimiters: Delimiters,
}

impl Writer<'_, '_> {
    /// A byte offset of the text in UTF-16 units of the text.
    fn units(&self, byte: usize) -> u32 {
        if self.out.utf16.is_empty() {
            byte as u32
        } else {
            self.out.utf16.get(byte).copied().unwrap_or(0)
        }
    }

    fn range(&self, r: std::ops::Range<usize>) -> [u32; 2] {
        if self.bytes_mode {
            [r.start as u32, r.end as u32]
        } else {
            [
                self.units(r.start) + self.shift,
                self.units(r.end) + self.shift,
            ]
        }
    }

    /// `[start, end)` of `s` in the pool: a slice of the text when `s` points into it, else `s`
    /// appended to the pool.
    fn str_ref(&mut self, s: &str) -> [u32; 2] {
        if s.is_empty() {
            return [0, 0];
        }
        let base = self.text.as_ptr() as usize;
        let at = (s.as_ptr() as usize).wrapping_sub(base);
        if at < self.text.len() && s.len() <= self.text.len() - at {
            return [self.units(at), self.units(at + s.len())];
        }
        let start = self.out.pool_units;
        self.out.pool.extend_from_slice(s.as_bytes());
        let units = if s.is_ascii() {
            s.len()
        } else {
            s.encode_utf16().count()
        };
        self.out.pool_units += units as u32;
        [start, self.out.pool_units]
    }

    /// The class bits of the bytes `start..end` of the text, OR-ed.
    fn mask(&self, start: usize, end: usize) -> u8 {
        let bytes = self.text.as_bytes().get(start..end).unwrap_or(&[]);
        bytes.iter().fold(0u8, |m, &b| {
            m | self.class.get(usize::from(b)).copied().unwrap_or(0)
        })
    }

    /// The non-empty fields of an ordinary (non-header) segment, in one pass over its bytes that
    /// finds the field separators and each field's class bits (what `Segment::fields` and a
    /// `mask` per field would take two passes and a `memchr` call per field for). Field 1 starts
    /// after the first field separator. Returns the number of fields written.
    fn fields(&mut self, seg: std::ops::Range<usize>) -> u32 {
        let text = self.text;
        let bytes = text.as_bytes().get(seg.clone()).unwrap_or(&[]);
        let field_sep = self.delimiters.field;
        let Some(first) = bytes.iter().position(|&b| b == field_sep) else {
            return 0;
        };
        let mut count = 0u32;
        let mut n = 1usize;
        let mut start = first + 1;
        let mut mask = 0u8;
        for (i, &b) in bytes.iter().enumerate().skip(first + 1) {
            if b == field_sep {
                if i > start {
                    self.node(n, seg.start + start, seg.start + i, Level::Field, mask);
                    count += 1;
                }
                n += 1;
                start = i + 1;
                mask = 0;
            } else {
                mask |= self.class.get(usize::from(b)).copied().unwrap_or(0);
            }
        }
        if bytes.len() > start {
            self.node(n, seg.start + start, seg.end, Level::Field, mask);
            count += 1;
        }
        count
    }

    /// A field (from the segment's field iterator).
    fn field(&mut self, n: usize, f: &Element<'_>) {
        let r = f.range();
        if f.is_literal() {
            // MSH-1 / MSH-2: a leaf with the text as written.
            let range = self.range(r.clone());
            let v = self.str_ref(f.raw());
            self.out
                .words
                .extend_from_slice(&[n as u32, range[0], range[1], KIND_VALUE, v[0], v[1]]);
            return;
        }
        let mask = self.mask(r.start, r.end);
        self.node(n, r.start, r.end, Level::Field, mask);
    }

    /// The node of the element `start..end` at `level` whose bytes have the class bits `mask`: the
    /// same decisions as `plain::shape`, made from `mask` instead of re-scanning the element for
    /// every question (one pass over the bytes per level that is split).
    fn node(&mut self, n: usize, start: usize, end: usize, level: Level, mask: u8) {
        let range = self.range(start..end);
        let raw = self.text.as_bytes().get(start..end).unwrap_or(&[]);
        let null = if raw == b"\"\"" { TAG_NULL } else { 0 };
        // (kind, level of the children, separator) when the node shows children.
        let split = match level {
            Level::Field if mask & C_REP != 0 => {
                Some((Kind::Reps, Level::Repetition, self.delimiters.repetition))
            }
            Level::Field | Level::Repetition if mask & C_COMP != 0 => Some((
                Kind::Components,
                Level::Component,
                self.delimiters.component,
            )),
            Level::Field | Level::Repetition | Level::Component if mask & C_SUB != 0 => Some((
                Kind::Subcomponents,
                Level::Subcomponent,
                self.delimiters.subcomponent,
            )),
            _ => None,
        };
        match split {
            Some((kind, child_level, Some(sep))) => {
                self.out.words.extend_from_slice(&[
                    n as u32,
                    range[0],
                    range[1],
                    kind_code(kind) | null,
                    0,
                ]);
                let count_at = self.out.words.len() - 1;
                let mut count = 0u32;
                let mut child_start = start;
                let mut child_mask = 0u8;
                let bytes = self.text.as_bytes().get(start..end).unwrap_or(&[]);
                for (i, &b) in bytes.iter().enumerate() {
                    if b == sep {
                        count += 1;
                        self.node(
                            count as usize,
                            child_start,
                            start + i,
                            child_level,
                            child_mask,
                        );
                        child_start = start + i + 1;
                        child_mask = 0;
                    } else {
                        child_mask |= self.class.get(usize::from(b)).copied().unwrap_or(0);
                    }
                }
                count += 1;
                self.node(count as usize, child_start, end, child_level, child_mask);
                if let Some(slot) = self.out.words.get_mut(count_at) {
                    *slot = count;
                }
            }
            _ => {
                let v = if null != 0 || start == end {
                    [0, 0]
                } else if mask & C_ESC == 0 {
                    // The value is the text as written: a slice of the pool.
                    [self.units(start), self.units(end)]
                } else {
                    let raw = self.text.get(start..end).unwrap_or("");
                    let d = crate::hl7::escape::decode(raw, &self.delimiters);
                    self.str_ref(&d)
                };
                self.out.words.extend_from_slice(&[
                    n as u32,
                    range[0],
                    range[1],
                    KIND_VALUE | null,
                    v[0],
                    v[1],
                ]);
            }
        }
    }
}
