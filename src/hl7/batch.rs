//! Files of many HL7 v2 messages: batch files (`FHS`/`BHS` … `BTS`/`FTS` envelopes), messages one
//! after the other or separated by blank lines, with CR, LF or CRLF segment terminators.
//!
//! [`split`] cuts such a byte stream into messages — one per `MSH` segment, running up to the next
//! `MSH` or batch segment, like [`crate::hl7::Message::message_ranges`] — without decoding it, so
//! each message's bytes reach the parser as they are (MSH-18 / Latin-1 rule per message). It works
//! on chunks: the bytes of a message that may still continue are left unconsumed for the next call,
//! so a reader keeps at most one message plus one chunk in memory.

use std::ops::Range;

/// A batch envelope segment (`FHS`, `BHS`, `BTS` or `FTS`) found between messages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Envelope {
    /// `"FHS"`, `"BHS"`, `"BTS"` or `"FTS"`.
    pub segment: &'static str,
    /// Byte offset of the segment in the input.
    pub start: usize,
    /// `BTS-1` (messages in the batch) or `FTS-1` (batches in the file) when it is a number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

/// Result of [`split`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Split {
    /// Each complete message, from its `MSH` to the terminator of its last non-blank segment.
    pub messages: Vec<Range<usize>>,
    /// Envelope segments, in input order.
    pub envelope: Vec<Envelope>,
    /// Bytes consumed: keep `input[consumed..]` and put the next chunk after it.
    pub consumed: usize,
    /// Non-whitespace bytes outside any message or envelope segment (skipped).
    pub skipped_bytes: usize,
}

/// What a line (segment) starts.
enum Line {
    Header,
    Envelope(&'static str),
    Blank,
    Other,
}

/// A header or envelope segment name followed by its field separator (or the end of the line, for
/// the trailers, which may have no fields).
fn classify(line: &[u8]) -> Line {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Line::Blank;
    }
    let (Some(name), sep) = (line.get(..3), line.get(3)) else {
        return Line::Other;
    };
    let separator = sep.is_some_and(|b| !b.is_ascii_alphanumeric() && !b.is_ascii_whitespace());
    match name {
        b"MSH" if separator => Line::Header,
        b"FHS" if separator => Line::Envelope("FHS"),
        b"BHS" if separator => Line::Envelope("BHS"),
        b"BTS" if separator || sep.is_none() => Line::Envelope("BTS"),
        b"FTS" if separator || sep.is_none() => Line::Envelope("FTS"),
        _ => Line::Other,
    }
}

/// Field 1 of a trailer (`BTS|3`), when it is a plain number.
fn trailer_count(line: &[u8]) -> Option<u64> {
    let sep = *line.get(3)?;
    let rest = line.get(4..)?;
    let field = rest.split(|&b| b == sep).next()?;
    let digits = field.trim_ascii();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) || digits.len() > 18 {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Cut `stream` into messages. Without `final_chunk`, the last message (which may continue in the
/// next chunk) and an unterminated last line are left unconsumed; with it, everything is consumed.
/// A UTF-8 byte-order mark at offset 0 is part of the first message (it is a charset hint).
///
/// ```
/// use ehr_studio_bridge::hl7::batch::split;
/// let file = b"BHS|^~\\&|A\r\nMSH|^~\\&|A|||||||1\r\nPID|1\r\n\r\nMSH|^~\\&|A|||||||2\r\nPID|2\r\nBTS|2\r\n";
/// let s = split(file, true);
/// assert_eq!(s.messages.len(), 2);
/// assert_eq!(&file[s.messages[1].clone()], b"MSH|^~\\&|A|||||||2\r\nPID|2\r\n");
/// assert_eq!(s.envelope[1].count, Some(2));
/// // In chunks: the second message might continue, so it is left for the next call.
/// let first = split(&file[..60], false);
/// assert_eq!(first.messages.len(), 1);
/// assert_eq!(&file[first.consumed..first.consumed + 18], b"MSH|^~\\&|A|||||||2");
/// ```
pub fn split(stream: &[u8], final_chunk: bool) -> Split {
    let mut out = Split::default();
    // The open message: its start and the end of its last non-blank line.
    let mut open: Option<Range<usize>> = None;
    let mut pos = 0usize;
    while pos < stream.len() {
        let rest = stream.get(pos..).unwrap_or(&[]);
        let (line_end, next) = match memchr::memchr2(b'\r', b'\n', rest) {
            Some(i) => {
                let e = pos + i;
                let crlf = stream.get(e) == Some(&b'\r') && stream.get(e + 1) == Some(&b'\n');
                (e, e + if crlf { 2 } else { 1 })
            }
            // An unterminated last line: complete only at the end of the stream.
            None if final_chunk => (stream.len(), stream.len()),
            None => break,
        };
        let mut line = stream.get(pos..line_end).unwrap_or(&[]);
        if pos == 0 {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        match classify(line) {
            Line::Header => {
                out.messages.extend(open.take());
                open = Some(pos..next);
            }
            Line::Envelope(segment) => {
                out.messages.extend(open.take());
                let count = matches!(segment, "BTS" | "FTS")
                    .then(|| trailer_count(line))
                    .flatten();
                out.envelope.push(Envelope {
                    segment,
                    start: line_end - line.len(),
                    count,
                });
            }
            Line::Blank => {}
            Line::Other => match open.as_mut() {
                Some(m) => m.end = next,
                None => {
                    out.skipped_bytes += line.iter().filter(|b| !b.is_ascii_whitespace()).count()
                }
            },
        }
        pos = next;
    }
    if final_chunk {
        out.messages.extend(open);
        out.consumed = stream.len();
    } else {
        out.consumed = open.map_or(pos, |m| m.start);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(input: &'a [u8], s: &Split) -> Vec<&'a [u8]> {
        s.messages.iter().map(|r| &input[r.clone()]).collect()
    }

    #[test]
    fn terminators_blank_lines_and_noise() {
        let input = b"junk\nMSH|^~\\&|1\rPID|1\r\r\n\nMSH|^~\\&|2\nPID|2";
        let s = split(input, true);
        assert_eq!(
            texts(input, &s),
            vec![&b"MSH|^~\\&|1\rPID|1\r"[..], &b"MSH|^~\\&|2\nPID|2"[..]]
        );
        assert_eq!(s.skipped_bytes, 4);
        assert_eq!(s.consumed, input.len());
    }

    #[test]
    fn envelopes_and_counts() {
        let input = b"FHS|^~\\&\rBHS|^~\\&\rMSH|^~\\&|1\rBTS|1|x\rBTS\rFTS|^1\r";
        let s = split(input, true);
        assert_eq!(s.messages.len(), 1);
        let names: Vec<_> = s.envelope.iter().map(|e| (e.segment, e.count)).collect();
        assert_eq!(
            names,
            vec![
                ("FHS", None),
                ("BHS", None),
                ("BTS", Some(1)),
                ("BTS", None),
                ("FTS", None)
            ]
        );
        assert_eq!(s.envelope[2].start, 29);
    }

    #[test]
    fn names_need_a_separator() {
        // "MSHX" is a segment of the open message, "MSH" alone is noise.
        let input = b"MSH|^~\\&|1\rMSHX|2\rMSH\r";
        let s = split(input, true);
        assert_eq!(s.messages, vec![0..input.len()]);
        let s = split(b"MSH\rBHSX|1\r", true);
        assert!(s.messages.is_empty());
        assert_eq!(s.skipped_bytes, 9);
    }

    #[test]
    fn bom_stays_with_the_first_message() {
        let input = b"\xEF\xBB\xBFMSH|^~\\&|1\rPID|1\r";
        let s = split(input, true);
        assert_eq!(s.messages, vec![0..input.len()]);
    }

    #[test]
    fn chunked_equals_whole() {
        let input: &[u8] = b"FHS|^~\\&\r\nBHS|^~\\&\r\nMSH|^~\\&|1\r\nPID|1\r\n\r\nMSH|^~\\&|2\nPID|2\nBTS|2\nxx\rMSH|^~\\&|3\rPID|3";
        let whole = split(input, true);
        for cut in 0..=input.len() {
            // First chunk, then the unconsumed rest with everything else.
            let a = split(&input[..cut], false);
            let b = split(&input[a.consumed..], true);
            let mut messages = a.messages.clone();
            messages.extend(
                b.messages
                    .iter()
                    .map(|r| r.start + a.consumed..r.end + a.consumed),
            );
            assert_eq!(messages, whole.messages, "cut at {cut}");
            let mut env: Vec<_> = a.envelope.iter().map(|e| (e.segment, e.start)).collect();
            env.extend(b.envelope.iter().map(|e| (e.segment, e.start + a.consumed)));
            let want: Vec<_> = whole
                .envelope
                .iter()
                .map(|e| (e.segment, e.start))
                .collect();
            assert_eq!(env, want, "cut at {cut}");
            assert_eq!(
                a.skipped_bytes + b.skipped_bytes,
                whole.skipped_bytes,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn empty_and_whitespace() {
        assert_eq!(split(b"", true), Split::default());
        let s = split(b" \r\n\t\n", false);
        assert!(s.messages.is_empty());
        assert_eq!(s.consumed, 5);
        assert_eq!(s.skipped_bytes, 0);
    }
}
