//! Small string helpers for the hot paths.

/// `s.trim()`, with a fast path for the common case where both ends are printable ASCII (not
/// whitespace): `str::trim` decodes characters from both ends through a generic pattern searcher,
/// which is measurable in wasm when called on every value.
#[inline]
pub(crate) fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// The position of the first `needle` in `hay`: eight bytes at a time (SWAR) — HL7 values and
/// fields are short, where a SIMD search costs more to set up than it saves, and a byte loop is
/// slow on the longer ones (a field read for its first repetition is scanned to its end when it
/// has none).
#[inline]
pub(crate) fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let pat = u64::from_ne_bytes([needle; 8]);
    let mut chunks = hay.chunks_exact(8);
    let mut at = 0usize;
    for c in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(c);
        let w = u64::from_le_bytes(word) ^ pat;
        // High bit set exactly for the zero bytes of w (no false positives).
        let zeros = !((((w & LO7).wrapping_add(LO7)) | w) | LO7);
        if zeros != 0 {
            return Some(at + (zeros.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == needle)
        .map(|p| at + p)
}

#[cfg(test)]
mod tests {
    #[test]
    fn find_byte_is_position() {
        let text: Vec<u8> = (0..300u32).map(|i| (i * 37 % 251) as u8).collect();
        for start in 0..40 {
            for len in 0..text.len() - start {
                let hay = &text[start..start + len];
                for needle in [0u8, 7, 36, 124, 200, 250, 255] {
                    assert_eq!(
                        super::find_byte(hay, needle),
                        hay.iter().position(|&b| b == needle),
                        "{start} {len} {needle}"
                    );
                }
            }
        }
    }

    #[test]
    fn trim_is_str_trim() {
        for s in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\t a b \r\n",
            "\u{a0}x\u{a0}",
            "\u{3000}",
            "x\u{2028}",
            "é",
            " é ",
            "\u{b}v\u{c}",
            "\u{85}n\u{85}",
            "~!",
            "a\u{1f}",
        ] {
            assert_eq!(super::trim(s), s.trim(), "{s:?}");
        }
    }
}
