//! Segment boundaries: which separator the text uses, where each segment starts and ends, and
//! the check of each segment's name.

use crate::error::{Position, Warning};
use std::ops::Range;

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

/// Split the text into segment ranges following the separator policy (`message` module docs), and
/// check each segment's name on the way (`HL7_BAD_SEGMENT_NAME`, in segment order, appended to
/// `warnings`).
pub(super) fn split_segments(
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
