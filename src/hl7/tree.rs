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
                    let mut v = vec![0u32; text.len() + 1];
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
    let s = |c: Option<u8>| c.map(|c| char::from(c).to_string());
    MessageTree {
        charset: msg.charset().name(),
        declared_charset: msg.declared_charset().map(str::to_owned),
        delimiters: DelimiterInfo {
            field: char::from(d.field).to_string(),
            component: s(d.component),
            repetition: s(d.repetition),
            escape: s(d.escape),
            subcomponent: s(d.subcomponent),
            truncation: s(d.truncation),
        },
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
    if e.has_children() {
        let kids: Vec<Node> = e
            .children()
            .enumerate()
            .map(|(i, c)| node(i + 1, &c, map))
            .collect();
        match e.level() {
            Level::Field => out.reps = Some(kids),
            Level::Repetition => out.components = Some(kids),
            Level::Component => out.subcomponents = Some(kids),
            Level::Subcomponent => {}
        }
    } else if let Some(child) = e.child(1).filter(|c| c.has_children()) {
        // A single repetition (or component) that splits further: skip the redundant level.
        let inner = node(n, &child, map);
        out.components = inner.components;
        out.subcomponents = inner.subcomponents;
    } else if e.level() == Level::Repetition || e.level() == Level::Field {
        // Single repetition with a single component: descend to subcomponents if any.
        let leaf = e.child(1).and_then(|c| c.child(1));
        match leaf.filter(|l| l.has_children()) {
            Some(comp) => {
                let inner = node(1, &comp, map);
                out.subcomponents = inner.subcomponents;
            }
            None => out.value = Some(e.decoded()),
        }
    } else {
        out.value = Some(e.decoded());
    }
    out
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
