//! How ranges are expressed ([`Offsets`]) and the conversion of byte offsets ([`OffsetMap`]).

use crate::hl7::Message;

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

    pub(super) fn range(&self, r: std::ops::Range<usize>) -> [usize; 2] {
        [self.map(r.start), self.map(r.end)]
    }
}

/// `v[i]` = UTF-16 offset of byte `i` of `text` (the bytes of one character share its offset);
/// `v[len]` = the UTF-16 length.
pub(super) fn utf16_offsets(text: &str, v: &mut Vec<u32>) {
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
