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

mod access; // reading a parsed message: segments, path queries, MSH shorthands, batch ranges
mod delimiters; // MSH-1/MSH-2 → `Delimiters`
mod element; // `Element`, `Level`: fields, repetitions, components, subcomponents
mod parse; // bytes → `Message`: limit, MLLP framing, charset, header
mod segment; // `Segment` and its fields (the MSH rule)
mod split; // segment boundaries (the separator policy above) and name checks
#[cfg(test)]
mod tests;

pub use delimiters::Delimiters;
pub use element::{Element, Level};
pub use segment::Segment;

use super::charset::Charset;
use crate::error::Warning;
use std::borrow::Cow;
use std::ops::Range;

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
