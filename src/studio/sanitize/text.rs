//! Repairing a name or the location: the transliteration table of the characters outside the PAM
//! name class ([`repl`]), and [`repair_text`] with its fast check for text that needs nothing.

use crate::studio::params::name_char_ok;
use std::borrow::Cow;

/// How many characters of each kind a repair changed.
#[derive(Default)]
pub(super) struct Changes {
    pub(super) transliterated: usize,
    pub(super) replaced: usize,
    pub(super) removed: usize,
}

/// What a character becomes.
enum Repl {
    Letters(&'static str),
    Punct(&'static str),
    Drop,
}

/// Transliteration of one character that is not in the PAM name class.
fn repl(c: char, location: bool) -> Repl {
    use Repl::*;
    // Vietnamese and other precomposed letters of Latin Extended Additional (U+1EA0–U+1EF9):
    // pairs upper/lower by base letter.
    let u = c as u32;
    if (0x1EA0..=0x1EF9).contains(&u) {
        let upper = u % 2 == 0;
        let base = match u {
            0x1EA0..=0x1EB7 => "a",
            0x1EB8..=0x1EC7 => "e",
            0x1EC8..=0x1ECB => "i",
            0x1ECC..=0x1EE3 => "o",
            0x1EE4..=0x1EF1 => "u",
            _ => "y",
        };
        return Letters(match (base, upper) {
            ("a", true) => "A",
            ("e", true) => "E",
            ("i", true) => "I",
            ("o", true) => "O",
            ("u", true) => "U",
            ("y", true) => "Y",
            (b, _) => b,
        });
    }
    if (0x0300..=0x036F).contains(&u) {
        // Combining diacritical marks (decomposed input): drop the mark, keep the base letter.
        return Letters("");
    }
    match c {
        'æ' => Letters("ae"),
        'œ' => Letters("oe"),
        'Ð' | 'Đ' | 'Ď' => Letters("D"),
        'đ' | 'ď' => Letters("d"),
        'Þ' => Letters("Th"),
        'þ' => Letters("th"),
        'ª' | 'ā' | 'ă' | 'ǎ' | 'ȁ' | 'ȃ' => Letters("a"),
        'Ā' | 'Ă' | 'Ǎ' => Letters("A"),
        'ĉ' | 'ċ' => Letters("c"),
        'Ĉ' | 'Ċ' => Letters("C"),
        'ē' | 'ĕ' | 'ě' => Letters("e"),
        'Ē' | 'Ĕ' | 'Ě' => Letters("E"),
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => Letters("g"),
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => Letters("G"),
        'ĥ' | 'ħ' => Letters("h"),
        'Ĥ' | 'Ħ' => Letters("H"),
        'ĩ' | 'ĭ' | 'ı' | 'ǐ' => Letters("i"),
        'Ĩ' | 'Ĭ' | 'İ' | 'Ǐ' | 'Ī' => Letters("I"),
        'ī' => Letters("i"),
        'ĳ' => Letters("ij"),
        'Ĳ' => Letters("IJ"),
        'ĵ' => Letters("j"),
        'Ĵ' => Letters("J"),
        'ķ' | 'ĸ' => Letters("k"),
        'Ķ' => Letters("K"),
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' => Letters("l"),
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' => Letters("L"),
        'ņ' | 'ň' | 'ŉ' | 'ŋ' => Letters("n"),
        'Ņ' | 'Ň' | 'Ŋ' => Letters("N"),
        'º' | 'ō' | 'ŏ' | 'ǒ' | 'ơ' => Letters("o"),
        'Ō' | 'Ŏ' | 'Ǒ' | 'Ơ' => Letters("O"),
        'ő' => Letters("ö"),
        'Ő' => Letters("Ö"),
        'ŕ' | 'ŗ' | 'ř' => Letters("r"),
        'Ŕ' | 'Ŗ' | 'Ř' => Letters("R"),
        'ś' | 'ŝ' | 'ş' | 'ș' | 'ſ' => Letters("s"),
        'Ś' | 'Ŝ' | 'Ş' | 'Ș' => Letters("S"),
        'ţ' | 'ť' | 'ŧ' | 'ț' => Letters("t"),
        'Ţ' | 'Ť' | 'Ŧ' | 'Ț' => Letters("T"),
        'ũ' | 'ŭ' | 'ů' | 'ǔ' | 'ư' => Letters("u"),
        'Ũ' | 'Ŭ' | 'Ů' | 'Ǔ' | 'Ư' => Letters("U"),
        'ű' => Letters("ü"),
        'Ű' => Letters("Ü"),
        'ŵ' => Letters("w"),
        'Ŵ' => Letters("W"),
        'ŷ' => Letters("y"),
        'Ŷ' => Letters("Y"),
        'ẞ' => Letters("SS"),
        // Punctuation.
        '’' | '‘' | '‛' | '`' | '´' | 'ʼ' | '′' | 'ʻ' => Punct("'"),
        '–' | '—' | '‐' | '‑' | '‒' | '−' | '_' | '/' | '\\' | '|' => Punct("-"),
        '&' | '+' if location => Punct(" and "),
        '@' if location => Punct(" at "),
        '&' | '+' | '@' => Punct(" "),
        ',' | ';' => Punct(if location { " - " } else { " " }),
        '"' | '“' | '”' | '„' | '«' | '»' => Punct(""),
        c if c.is_whitespace() || c.is_control() => Punct(" "),
        '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | '#' | ':' | '!' | '?' | '*' | '%' | '$'
        | '^' | '~' | '=' | '·' | '•' => Punct(" "),
        _ => Drop,
    }
}

/// Repair a name or location. Returns the value (borrowed when already fine) and what changed.
pub(super) fn repair_text(v: &str, location: bool) -> (Cow<'_, str>, Changes) {
    let mut ch = Changes::default();
    let t = crate::text::trim(v);
    if is_clean_text(t) {
        return (Cow::Borrowed(t), ch);
    }
    let mut out = String::with_capacity(t.len() + 8);
    for c in t.chars() {
        if name_char_ok(c) && c != ',' {
            out.push(c);
            continue;
        }
        match repl(c, location) {
            Repl::Letters(s) => {
                ch.transliterated += 1;
                out.push_str(s);
            }
            Repl::Punct(s) => {
                if c != ' ' {
                    ch.replaced += 1;
                }
                out.push_str(s);
            }
            Repl::Drop => ch.removed += 1,
        }
    }
    // Collapse whitespace runs, trim.
    let mut collapsed = String::with_capacity(out.len());
    for w in out.split(' ').filter(|w| !w.is_empty()) {
        if !collapsed.is_empty() {
            collapsed.push(' ');
        }
        collapsed.push_str(w);
    }
    (Cow::Owned(collapsed), ch)
}

/// Whether [`repair_text`] leaves `t` as it is: every character in the name class except `,`,
/// and no double space. One byte loop for ASCII text; the character test otherwise.
fn is_clean_text(t: &str) -> bool {
    if !t.is_ascii() {
        return t.chars().all(|c| name_char_ok(c) && c != ',') && !t.contains("  ");
    }
    let mut prev_space = false;
    for &b in t.as_bytes() {
        let space = b == b' ';
        if (space && prev_space)
            || !(b.is_ascii_alphanumeric() || matches!(b, b' ' | b'.' | b'\'' | b'-'))
        {
            return false;
        }
        prev_space = space;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_matches_the_char_test() {
        let mut samples: Vec<String> = [
            "",
            "a",
            "a  b",
            "a b",
            " ",
            "  ",
            "O'Brien-Smith Jr.",
            "a,b",
            "é  é",
            "é",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for c in (0u32..0x180).filter_map(char::from_u32) {
            samples.push(format!("x{c}y"));
            samples.push(format!("{c} {c}"));
        }
        for t in &samples {
            let want = t.chars().all(|c| name_char_ok(c) && c != ',') && !t.contains("  ");
            assert_eq!(is_clean_text(t), want, "{t:?}");
        }
    }
}
