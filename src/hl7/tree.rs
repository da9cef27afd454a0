//! A plain, serializable tree of a message for previews: segments → fields → repetitions →
//! components → subcomponents, each with its range and (for leaves) the decoded value.
//!
//! Empty fields are left out (their numbers are given, so positions stay unambiguous). A node has
//! children only when it really is split: a field with one repetition and no components is a leaf
//! with a `value`.

use super::{Element, Level, Message, Segment};
use crate::error::Warning;
use serde::Serialize;
use std::borrow::Cow;

/// How ranges are expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Offsets {
    /// Byte offsets into [`Message::text`].
    #[default]
    Bytes,
    /// UTF-16 code-unit offsets into the original input string (what a JavaScript caller needs
    /// to highlight text); they include [`Message::input_offset_utf16`].
    Utf16,
}

/// The tree of a whole message.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageTree<'m> {
    /// Charset used to decode the input.
    pub charset: &'static str,
    /// MSH-18 as declared.
    pub declared_charset: Option<String>,
    /// The delimiters, as one-character strings.
    pub delimiters: DelimiterInfo,
    /// MSH-12.1.
    pub version: Option<String>,
    /// MSH-9 (raw, e.g. `SIU^S12^SIU_S12`).
    pub message_type: Option<String>,
    /// MSH-10.
    pub control_id: Option<String>,
    /// The segments.
    pub segments: Vec<SegmentNode<'m>>,
    /// Parse warnings.
    pub warnings: Vec<Warning>,
}

/// Delimiters as strings.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DelimiterInfo {
    /// Field separator.
    pub field: String,
    /// Component separator.
    pub component: Option<String>,
    /// Repetition separator.
    pub repetition: Option<String>,
    /// Escape character.
    pub escape: Option<String>,
    /// Subcomponent separator.
    pub subcomponent: Option<String>,
    /// Truncation character.
    pub truncation: Option<String>,
}

impl DelimiterInfo {
    fn of(d: &super::Delimiters) -> DelimiterInfo {
        let s = |c: Option<u8>| c.map(|c| char::from(c).to_string());
        DelimiterInfo {
            field: char::from(d.field).to_string(),
            component: s(d.component),
            repetition: s(d.repetition),
            escape: s(d.escape),
            subcomponent: s(d.subcomponent),
            truncation: s(d.truncation),
        }
    }
}

/// One segment.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentNode<'m> {
    /// Name, e.g. `PID`.
    pub name: String,
    /// 1-based position in the message.
    pub index: usize,
    /// `[start, end)`.
    pub range: [usize; 2],
    /// Non-empty fields.
    pub fields: Vec<Node<'m>>,
}

/// A field, repetition, component or subcomponent.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Node<'m> {
    /// 1-based number at its level (field number, repetition number, …).
    pub n: usize,
    /// `[start, end)`.
    pub range: [usize; 2],
    /// Decoded value (leaves only). Borrowed from the message unless an escape was decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Cow<'m, str>>,
    /// Present but null (`""`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub null: bool,
    /// Repetitions (fields with more than one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reps: Option<Vec<Node<'m>>>,
    /// Components.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<Node<'m>>>,
    /// Subcomponents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subcomponents: Option<Vec<Node<'m>>>,
}

/// Converts byte offsets of the text to the requested unit.
pub struct OffsetMap {
    utf16: Option<Vec<u32>>,
    shift: usize,
}

impl OffsetMap {
    /// Build for a message.
    pub fn new(msg: &Message<'_>, mode: Offsets) -> OffsetMap {
        match mode {
            Offsets::Bytes => OffsetMap {
                utf16: None,
                shift: 0,
            },
            Offsets::Utf16 => {
                let text = msg.text();
                let utf16 = (!text.is_ascii()).then(|| {
                    let mut v = Vec::new();
                    utf16_offsets(text, &mut v);
                    v
                });
                OffsetMap {
                    utf16,
                    shift: msg.input_offset_utf16(),
                }
            }
        }
    }

    /// Convert one byte offset.
    pub fn map(&self, byte: usize) -> usize {
        let base = match &self.utf16 {
            None => byte,
            Some(v) => v.get(byte).copied().unwrap_or(0) as usize,
        };
        base + self.shift
    }

    fn range(&self, r: std::ops::Range<usize>) -> [usize; 2] {
        [self.map(r.start), self.map(r.end)]
    }
}

/// Build the tree.
///
/// ```
/// use ehr_studio_bridge::hl7::{Message, tree::{build, Offsets}};
/// let m = Message::parse_str("MSH|^~\\&|A\rPID|1||7^^^^MR~8||DOE^JANE").unwrap();
/// let t = build(&m, Offsets::Bytes);
/// let pid = &t.segments[1];
/// assert_eq!(pid.fields[1].n, 3);
/// assert_eq!(pid.fields[1].reps.as_ref().unwrap().len(), 2);
/// assert_eq!(pid.fields[2].components.as_ref().unwrap()[1].value.as_deref(), Some("JANE"));
/// ```
pub fn build<'m>(msg: &'m Message<'m>, mode: Offsets) -> MessageTree<'m> {
    let map = OffsetMap::new(msg, mode);
    let d = msg.delimiters();
    MessageTree {
        charset: msg.charset().name(),
        declared_charset: msg.declared_charset().map(str::to_owned),
        delimiters: DelimiterInfo::of(d),
        version: msg.version().map(|v| v.into_owned()),
        message_type: msg.header_field(9).map(|f| f.raw().to_owned()),
        control_id: msg
            .header_field(10)
            .and_then(|f| f.value())
            .map(|v| v.into_owned()),
        segments: msg.segments().map(|s| segment_node(&s, &map)).collect(),
        warnings: msg.warnings().to_vec(),
    }
}

fn segment_node<'m>(seg: &Segment<'m>, map: &OffsetMap) -> SegmentNode<'m> {
    SegmentNode {
        name: seg.name().to_owned(),
        index: seg.index() + 1,
        range: map.range(seg.range()),
        fields: seg
            .fields()
            .filter(|(_, f)| !f.is_empty())
            .map(|(n, f)| node(n, &f, map))
            .collect(),
    }
}

/// Which children a node shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Reps,
    Components,
    Subcomponents,
}

/// What a node shows besides `n`, `range` and `null`: its decoded value, the children of one
/// element (possibly a level below it: a single repetition or component that splits further is
/// skipped), or nothing. The one place that decides the shape, for [`build`] and [`pack`].
enum Shape<'m> {
    Value(Cow<'m, str>),
    Kids(Kind, Element<'m>),
    Nothing,
}

fn shape<'m>(e: &Element<'m>) -> Shape<'m> {
    if e.has_children() {
        return match e.level() {
            Level::Field => Shape::Kids(Kind::Reps, *e),
            Level::Repetition => Shape::Kids(Kind::Components, *e),
            Level::Component => Shape::Kids(Kind::Subcomponents, *e),
            Level::Subcomponent => Shape::Nothing,
        };
    }
    if let Some(child) = e.child(1).filter(|c| c.has_children()) {
        // A single repetition (or component) that splits further: skip the redundant level.
        return match shape(&child) {
            Shape::Kids(k, el) if k != Kind::Reps => Shape::Kids(k, el),
            _ => Shape::Nothing,
        };
    }
    if e.level() == Level::Repetition || e.level() == Level::Field {
        // Single repetition with a single component: descend to subcomponents if any.
        let leaf = e.child(1).and_then(|c| c.child(1));
        return match leaf.filter(|l| l.has_children()) {
            Some(comp) => match shape(&comp) {
                Shape::Kids(Kind::Subcomponents, el) => Shape::Kids(Kind::Subcomponents, el),
                _ => Shape::Nothing,
            },
            None => Shape::Value(e.decoded()),
        };
    }
    Shape::Value(e.decoded())
}

fn node<'m>(n: usize, e: &Element<'m>, map: &OffsetMap) -> Node<'m> {
    let mut out = Node {
        n,
        range: map.range(e.range()),
        value: None,
        null: e.is_null(),
        reps: None,
        components: None,
        subcomponents: None,
    };
    match shape(e) {
        Shape::Value(v) => out.value = Some(v),
        Shape::Kids(kind, el) => {
            let kids: Vec<Node> = el
                .children()
                .enumerate()
                .map(|(i, c)| node(i + 1, &c, map))
                .collect();
            match kind {
                Kind::Reps => out.reps = Some(kids),
                Kind::Components => out.components = Some(kids),
                Kind::Subcomponents => out.subcomponents = Some(kids),
            }
        }
        Shape::Nothing => {}
    }
    out
}

// ---- the packed tree ---------------------------------------------------------------------------

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
const KIND_VALUE: u32 = 1;
const TAG_NULL: u32 = 8;

fn kind_code(k: Kind) -> u32 {
    match k {
        Kind::Reps => 2,
        Kind::Components => 3,
        Kind::Subcomponents => 4,
    }
}

/// The head of the tree (everything but `segments`), in the key order of [`MessageTree`].
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

/// `v[i]` = UTF-16 offset of byte `i` of `text` (the bytes of one character share its offset);
/// `v[len]` = the UTF-16 length.
fn utf16_offsets(text: &str, v: &mut Vec<u32>) {
    v.resize(text.len() + 1, 0);
    let mut u = 0u32;
    for (i, ch) in text.char_indices() {
        for k in 0..ch.len_utf8() {
            if let Some(slot) = v.get_mut(i + k) {
                *slot = u;
            }
        }
        u += ch.len_utf16() as u32;
    }
    if let Some(last) = v.last_mut() {
        *last = u;
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
    delimiters: super::Delimiters,
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
    /// same decisions as [`shape`], made from `mask` instead of re-scanning the element for every
    /// question (one pass over the bytes per level that is split).
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
                    let d = super::escape::decode(raw, &self.delimiters);
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

/// Decode a [`Packed`] tree into the JSON value of the [`build`] tree: the Rust mirror of the JS
/// decoder (`js/glue/hl7-tree.js`), for tests. Malformed input gives `null` parts, never a panic.
#[doc(hidden)]
pub fn unpack_to_json(p: &Packed) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let pool: Vec<u16> = String::from_utf8_lossy(&p.pool).encode_utf16().collect();
    let slice = |a: u32, b: u32| -> Value {
        Value::String(String::from_utf16_lossy(
            pool.get(a as usize..b as usize).unwrap_or(&[]),
        ))
    };
    let mut w = p.words.iter().copied();
    let mut next = || w.next().unwrap_or(0);
    fn nodes(
        count: u32,
        next: &mut dyn FnMut() -> u32,
        slice: &dyn Fn(u32, u32) -> Value,
    ) -> Value {
        let mut out = Vec::new();
        for _ in 0..count {
            let (n, r0, r1, tag) = (next(), next(), next(), next());
            let mut o = Map::new();
            o.insert("n".into(), json!(n));
            o.insert("range".into(), json!([r0, r1]));
            let kind = tag & 7;
            if kind == KIND_VALUE {
                let (a, b) = (next(), next());
                o.insert("value".into(), slice(a, b));
            }
            if tag & TAG_NULL != 0 {
                o.insert("null".into(), Value::Bool(true));
            }
            if kind >= 2 {
                let c = next();
                let key = match kind {
                    2 => "reps",
                    3 => "components",
                    _ => "subcomponents",
                };
                o.insert(key.into(), nodes(c, next, slice));
            }
            out.push(Value::Object(o));
        }
        Value::Array(out)
    }
    let seg_count = next();
    let mut segments = Vec::new();
    for _ in 0..seg_count {
        let (a, b, index, r0, r1, fc) = (next(), next(), next(), next(), next(), next());
        segments.push(json!({
            "name": slice(a, b),
            "index": index,
            "range": [r0, r1],
            "fields": nodes(fc, &mut next, &slice),
        }));
    }
    let head: Value = serde_json::from_str(&p.head).unwrap_or(Value::Null);
    let get = |k: &str| head.get(k).cloned().unwrap_or(Value::Null);
    json!({
        "charset": get("charset"),
        "declaredCharset": get("declaredCharset"),
        "delimiters": get("delimiters"),
        "version": get("version"),
        "messageType": get("messageType"),
        "controlId": get("controlId"),
        "segments": segments,
        "warnings": get("warnings"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let m = Message::parse_str("MSH|^~\\&|A\rPID|1|\"\"|a&b|x^y&z").unwrap();
        let t = build(&m, Offsets::Bytes);
        let msh = &t.segments[0];
        assert_eq!(msh.fields[0].value.as_deref(), Some("|"));
        assert_eq!(msh.fields[1].value.as_deref(), Some("^~\\&"));
        let f = &t.segments[1].fields;
        assert_eq!(f[0].value.as_deref(), Some("1"));
        assert!(f[1].null);
        // a&b: one rep, one component, two subcomponents
        assert_eq!(f[2].subcomponents.as_ref().unwrap().len(), 2);
        // x^y&z: components, second has subcomponents
        let comps = f[3].components.as_ref().unwrap();
        assert_eq!(comps[0].value.as_deref(), Some("x"));
        assert_eq!(
            comps[1].subcomponents.as_ref().unwrap()[1].value.as_deref(),
            Some("z")
        );
    }

    #[test]
    fn utf16_offsets() {
        let text = "\x0bMSH|^~\\&|Zoë\rPID|1||中文\r\x1c\r";
        let m = Message::parse(text.as_bytes()).unwrap();
        let t = build(&m, Offsets::Utf16);
        let utf16: Vec<u16> = text.encode_utf16().collect();
        let f = &t.segments[1].fields[1];
        let [s, e] = f.range;
        assert_eq!(String::from_utf16(&utf16[s..e]).unwrap(), "中文");
        let f = &t.segments[0].fields[2];
        let [s, e] = f.range;
        assert_eq!(String::from_utf16(&utf16[s..e]).unwrap(), "Zoë");
    }
}
