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

#[cfg(test)]
mod tests {
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
