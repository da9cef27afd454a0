//! The plain tree: its serializable types, [`build`], and the one decision of what a node shows.

use super::offsets::{OffsetMap, Offsets};
use crate::error::Warning;
use crate::hl7::{Delimiters, Element, Level, Message, Segment};
use serde::Serialize;
use std::borrow::Cow;

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
    pub(super) fn of(d: &Delimiters) -> DelimiterInfo {
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
pub(super) enum Kind {
    Reps,
    Components,
    Subcomponents,
}

/// What a node shows besides `n`, `range` and `null`: its decoded value, the children of one
/// element (possibly a level below it: a single repetition or component that splits further is
/// skipped), or nothing. The one place that decides the shape, for [`build`] and [`pack`].
///
/// [`pack`]: super::pack
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
