//! MLLP framing: `0x0B` + message + `0x1C 0x0D`.
//!
//! [`frame`] wraps an outgoing message; [`split`] cuts a received byte stream into complete frames
//! and reports the bytes of an incomplete trailing frame so a socket reader can keep them for the
//! next chunk; [`unframe`] strips the framing from a single message.

use crate::error::{Error, ErrorCode, Result};
use std::ops::Range;

/// Start block.
pub const START: u8 = 0x0B;
/// End block.
pub const END: u8 = 0x1C;

/// Wrap a message in an MLLP frame.
///
/// ```
/// assert_eq!(ehr_studio_bridge::hl7::mllp::frame(b"MSH|^~\\&\r"), b"\x0bMSH|^~\\&\r\x1c\r");
/// ```
pub fn frame(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 3);
    out.push(START);
    out.extend_from_slice(message);
    out.push(END);
    out.push(b'\r');
    out
}

/// Result of [`split`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The payload (without framing) of each complete frame, as ranges of the input.
    pub frames: Vec<Range<usize>>,
    /// Where the unconsumed tail starts (an incomplete frame, or the end of the input).
    pub rest: usize,
    /// Bytes outside any frame that were skipped (noise between frames).
    pub skipped_bytes: usize,
}

/// Cut a stream into frames. A frame ends at `0x1C` (the following `0x0D` is optional). Data before
/// a start block that is not whitespace is counted in `skipped_bytes`. With `final_chunk`, an open
/// frame at the end of the input is an error ([`ErrorCode::Hl7MllpUnterminated`]); otherwise it is
/// left in `rest`.
///
/// ```
/// use ehr_studio_bridge::hl7::mllp::split;
/// let s = b"\x0bA\x1c\r\x0bB\x1c\r\x0bC";
/// let r = split(s, false).unwrap();
/// assert_eq!(r.frames, vec![1..2, 5..6]);
/// assert_eq!(&s[r.rest..], b"\x0bC");
/// assert!(split(s, true).is_err());
/// ```
pub fn split(stream: &[u8], final_chunk: bool) -> Result<Split> {
    let mut frames = Vec::new();
    let mut skipped = 0usize;
    let mut pos = 0usize;
    loop {
        let rest = stream.get(pos..).unwrap_or(&[]);
        let Some(s) = memchr::memchr(START, rest) else {
            skipped += rest.iter().filter(|b| !b.is_ascii_whitespace()).count();
            pos = stream.len();
            break;
        };
        skipped += rest
            .get(..s)
            .unwrap_or(&[])
            .iter()
            .filter(|b| !b.is_ascii_whitespace())
            .count();
        let body_start = pos + s + 1;
        let after = stream.get(body_start..).unwrap_or(&[]);
        let Some(e) = memchr::memchr(END, after) else {
            pos += s;
            if final_chunk {
                return Err(Error::new(
                    ErrorCode::Hl7MllpUnterminated,
                    "an MLLP frame was started but not ended (missing 0x1C)",
                )
                .at(crate::error::Position::at_offset(pos)));
            }
            return Ok(Split {
                frames,
                rest: pos,
                skipped_bytes: skipped,
            });
        };
        let body_end = body_start + e;
        frames.push(body_start..body_end);
        pos = body_end + 1;
        if stream.get(pos) == Some(&b'\r') {
            pos += 1;
        }
    }
    Ok(Split {
        frames,
        rest: pos,
        skipped_bytes: skipped,
    })
}

/// Strip the framing of a single message. Unframed input is returned unchanged; a missing start
/// block (athenahealth files) or trailing CR is tolerated.
pub fn unframe(data: &[u8]) -> &[u8] {
    let start = data
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(data.len());
    let mut body = data.get(start..).unwrap_or(&[]);
    if let Some(b) = body.strip_prefix(&[START]) {
        body = b;
    }
    if let Some(e) = memchr::memchr(END, body) {
        body = body.get(..e).unwrap_or(&[]);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_noise() {
        let mut s = frame(b"MSH|1");
        s.extend_from_slice(b"\r\n");
        s.extend(frame(b"MSH|2"));
        s.extend_from_slice(b"junk");
        let r = split(&s, true).unwrap();
        assert_eq!(r.frames.len(), 2);
        assert_eq!(&s[r.frames[1].clone()], b"MSH|2");
        assert_eq!(r.skipped_bytes, 4);
        assert_eq!(r.rest, s.len());
    }

    #[test]
    fn unframe_variants() {
        assert_eq!(unframe(b"\x0bMSH\x1c\r"), b"MSH");
        assert_eq!(unframe(b"MSH\x1c\r"), b"MSH");
        assert_eq!(unframe(b"MSH\r"), b"MSH\r");
        assert_eq!(unframe(b""), b"");
    }

    #[test]
    fn end_without_cr() {
        let r = split(b"\x0bA\x1c\x0bB\x1c", true).unwrap();
        assert_eq!(r.frames, vec![1..2, 4..5]);
    }
}
