//! Building messages. Values are plain text; the writer escapes whatever collides with the
//! message's delimiters, so `parse(write(x)) == x` for every value (tested as a property).
//!
//! ```
//! use ehr_studio_bridge::hl7::{write::MessageBuilder, Delimiters, Message};
//! let mut b = MessageBuilder::new(Delimiters::default());
//! b.msh().set(9, 1, "SRM").set(9, 2, "S04").set(10, 1, "C1").set(12, 1, "2.5.1");
//! b.segment("NTE").set(3, 1, "Owl Clinic | Suite 5 & more");
//! let text = b.build().unwrap();
//! assert!(text.contains(r"Owl Clinic \F\ Suite 5 \T\ more"));
//! let m = Message::parse_str(&text).unwrap();
//! assert_eq!(m.get("NTE-3").unwrap().decoded(), "Owl Clinic | Suite 5 & more");
//! ```

use super::{escape, Delimiters};
use crate::error::{Error, ErrorCode, Position, Result};

/// A leaf value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Leaf {
    /// Not sent.
    #[default]
    Empty,
    /// Text (escaped on write).
    Text(String),
    /// Present but null: written as `""`.
    Null,
    /// Already escaped for the message's delimiters (copied from a parsed message); written as is.
    Raw(String),
}

impl Leaf {
    fn is_empty(&self) -> bool {
        match self {
            Leaf::Empty => true,
            Leaf::Text(t) | Leaf::Raw(t) => t.is_empty(),
            Leaf::Null => false,
        }
    }
}

/// A field value: repetitions → components → subcomponents.
pub type FieldValue = Vec<Vec<Vec<Leaf>>>;

/// One segment under construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentBuilder {
    name: String,
    /// `fields[i]` is field `i + 1`.
    fields: Vec<FieldValue>,
}

impl SegmentBuilder {
    /// A new, empty segment.
    pub fn new(name: &str) -> Self {
        SegmentBuilder {
            name: name.to_owned(),
            fields: Vec::new(),
        }
    }

    /// The segment name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn slot(&mut self, field: usize, rep: usize, comp: usize, sub: usize) -> Option<&mut Leaf> {
        if field == 0 || rep == 0 || comp == 0 || sub == 0 {
            return None;
        }
        grow(&mut self.fields, field);
        let f = self.fields.get_mut(field - 1)?;
        grow(f, rep);
        let r = f.get_mut(rep - 1)?;
        grow(r, comp);
        let c = r.get_mut(comp - 1)?;
        grow(c, sub);
        c.get_mut(sub - 1)
    }

    /// Set component `comp` of the first repetition of `field` (component 1 = the whole simple value).
    pub fn set(&mut self, field: usize, comp: usize, value: &str) -> &mut Self {
        self.set_at(field, 1, comp, 1, value)
    }

    /// Set any leaf (all numbers 1-based).
    pub fn set_at(
        &mut self,
        field: usize,
        rep: usize,
        comp: usize,
        sub: usize,
        value: &str,
    ) -> &mut Self {
        if let Some(slot) = self.slot(field, rep, comp, sub) {
            *slot = Leaf::Text(value.to_owned());
        }
        self
    }

    /// Set any leaf to a [`Leaf`] value.
    pub fn set_leaf(
        &mut self,
        field: usize,
        rep: usize,
        comp: usize,
        sub: usize,
        leaf: Leaf,
    ) -> &mut Self {
        if let Some(slot) = self.slot(field, rep, comp, sub) {
            *slot = leaf;
        }
        self
    }

    /// Copy an already-escaped component verbatim (from a message with the same delimiters).
    pub fn set_raw_component(&mut self, field: usize, comp: usize, raw: &str) -> &mut Self {
        self.set_leaf(field, 1, comp, 1, Leaf::Raw(raw.to_owned()))
    }

    /// Set a leaf to explicit null (`""`).
    pub fn set_null(&mut self, field: usize, comp: usize) -> &mut Self {
        if let Some(slot) = self.slot(field, 1, comp, 1) {
            *slot = Leaf::Null;
        }
        self
    }

    /// Replace a whole field.
    pub fn set_field(&mut self, field: usize, value: FieldValue) -> &mut Self {
        if field > 0 {
            grow(&mut self.fields, field);
            if let Some(f) = self.fields.get_mut(field - 1) {
                *f = value;
            }
        }
        self
    }

    /// Copy a field verbatim (already escaped for the same delimiters) from a parsed message.
    pub fn set_raw(&mut self, field: usize, raw: &str) -> &mut Self {
        self.set_field(field, vec![vec![vec![Leaf::Raw(raw.to_owned())]]])
    }
}

fn grow<T: Default>(v: &mut Vec<T>, n: usize) {
    if v.len() < n {
        v.resize_with(n, T::default);
    }
}

/// A message under construction. The first segment is always `MSH`, whose fields 1 and 2 are
/// written from the delimiters.
#[derive(Debug, Clone)]
pub struct MessageBuilder {
    delimiters: Delimiters,
    segments: Vec<SegmentBuilder>,
}

impl MessageBuilder {
    /// A builder with an empty MSH.
    pub fn new(delimiters: Delimiters) -> Self {
        MessageBuilder {
            delimiters,
            segments: vec![SegmentBuilder::new("MSH")],
        }
    }

    /// The MSH segment (set fields 3 and up).
    pub fn msh(&mut self) -> &mut SegmentBuilder {
        if self.segments.is_empty() {
            self.segments.push(SegmentBuilder::new("MSH"));
        }
        let last = self.segments.len() - 1;
        let idx = self
            .segments
            .iter()
            .position(|s| s.name == "MSH")
            .unwrap_or(last);
        &mut self.segments[idx]
    }

    /// Append a segment and return it.
    pub fn segment(&mut self, name: &str) -> &mut SegmentBuilder {
        self.segments.push(SegmentBuilder::new(name));
        let last = self.segments.len() - 1;
        &mut self.segments[last]
    }

    /// Append a prepared segment.
    pub fn push(&mut self, seg: SegmentBuilder) -> &mut Self {
        self.segments.push(seg);
        self
    }

    /// Write the message: segments separated and terminated by CR.
    pub fn build(&self) -> Result<String> {
        let mut out = String::with_capacity(256);
        for (i, seg) in self.segments.iter().enumerate() {
            write_segment(&mut out, seg, &self.delimiters, i + 1)?;
            out.push('\r');
        }
        Ok(out)
    }
}

fn write_segment(
    out: &mut String,
    seg: &SegmentBuilder,
    d: &Delimiters,
    index: usize,
) -> Result<()> {
    let name = seg.name.as_bytes();
    if name.len() != 3
        || !name
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Err(Error::new(
            ErrorCode::Hl7BadSegmentName,
            "segment names are 3 upper-case letters or digits",
        )
        .at(Position {
            segment_index: Some(index),
            ..Default::default()
        }));
    }
    out.push_str(&seg.name);
    let fs = char::from(d.field);
    let header = seg.name == "MSH";
    let mut fields: &[FieldValue] = &seg.fields;
    if header {
        out.push(fs);
        out.push_str(&d.encoding_chars());
        fields = fields.get(2..).unwrap_or(&[]);
    }
    let last = fields
        .iter()
        .rposition(|f| !field_is_empty(f))
        .map_or(0, |p| p + 1);
    let first_no = if header { 3 } else { 1 };
    for (k, f) in fields.iter().take(last).enumerate() {
        out.push(fs);
        write_field(out, f, d)
            .map_err(|e| e.at(Position::field(&seg.name, Some(index), first_no + k)))?;
    }
    Ok(())
}

fn field_is_empty(f: &FieldValue) -> bool {
    f.iter()
        .all(|r| r.iter().all(|c| c.iter().all(Leaf::is_empty)))
}

fn write_field(out: &mut String, f: &FieldValue, d: &Delimiters) -> Result<()> {
    let reps = trim_end(f, |r| r.iter().all(|c| c.iter().all(Leaf::is_empty)));
    for (ri, rep) in reps.iter().enumerate() {
        if ri > 0 {
            out.push(char::from(sep(d.repetition)?));
        }
        let comps = trim_end(rep, |c| c.iter().all(Leaf::is_empty));
        for (ci, comp) in comps.iter().enumerate() {
            if ci > 0 {
                out.push(char::from(sep(d.component)?));
            }
            let subs = trim_end(comp, Leaf::is_empty);
            for (si, leaf) in subs.iter().enumerate() {
                if si > 0 {
                    out.push(char::from(sep(d.subcomponent)?));
                }
                match leaf {
                    Leaf::Empty => {}
                    Leaf::Null => out.push_str("\"\""),
                    Leaf::Raw(raw) => out.push_str(raw),
                    Leaf::Text(t) => out.push_str(&escape::encode(t, d).ok_or_else(no_escape)?),
                }
            }
        }
    }
    Ok(())
}

fn trim_end<T>(v: &[T], empty: impl Fn(&T) -> bool) -> &[T] {
    let n = v.iter().rposition(|x| !empty(x)).map_or(0, |p| p + 1);
    v.get(..n).unwrap_or(&[])
}

fn sep(c: Option<u8>) -> Result<u8> {
    c.ok_or_else(|| {
        Error::new(
            ErrorCode::Hl7BadValue,
            "the value needs a delimiter that MSH-2 does not define",
        )
    })
}

fn no_escape() -> Error {
    Error::new(
        ErrorCode::Hl7BadValue,
        "the value contains a delimiter but MSH-2 defines no escape character",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hl7::Message;

    #[test]
    fn msh_and_trimming() {
        let mut b = MessageBuilder::new(Delimiters::default());
        b.msh()
            .set(3, 1, "APP")
            .set(9, 1, "ACK")
            .set(12, 1, "2.5.1")
            .set(20, 1, "");
        b.segment("PID")
            .set(3, 1, "123")
            .set(3, 5, "MR")
            .set_null(8, 1);
        let t = b.build().unwrap();
        assert_eq!(
            t,
            "MSH|^~\\&|APP||||||ACK|||2.5.1\rPID|||123^^^^MR|||||\"\"\r"
        );
    }

    #[test]
    fn bad_name() {
        let mut b = MessageBuilder::new(Delimiters::default());
        b.segment("pid");
        assert_eq!(b.build().unwrap_err().code, ErrorCode::Hl7BadSegmentName);
    }

    #[test]
    fn repetitions_and_subcomponents() {
        let mut b = MessageBuilder::new(Delimiters::default());
        b.segment("PID")
            .set_at(13, 2, 3, 1, "CP")
            .set_at(5, 1, 1, 2, "van");
        let t = b.build().unwrap();
        let m = Message::parse_str(&t).unwrap();
        assert_eq!(m.get("PID-13[2].3").unwrap().raw(), "CP");
        assert_eq!(m.get("PID-5.1.2").unwrap().raw(), "van");
    }

    #[test]
    fn nondefault_delimiters() {
        let d = Delimiters {
            field: b'^',
            component: Some(b'~'),
            repetition: Some(b'|'),
            escape: Some(b'\\'),
            subcomponent: Some(b'&'),
            truncation: None,
        };
        let mut b = MessageBuilder::new(d);
        b.msh().set(9, 1, "ADT").set(9, 2, "A24");
        b.segment("NTE").set(3, 1, "a^b|c");
        let t = b.build().unwrap();
        assert!(t.starts_with("MSH^~|\\&^^^^^^^ADT~A24\r"), "{t}");
        let m = Message::parse_str(&t).unwrap();
        assert_eq!(m.get("NTE-3").unwrap().decoded(), "a^b|c");
    }
}
