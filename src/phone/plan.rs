//! Numbering plans: libphonenumber's metadata (generated into `plan_data.rs`) and the parts of
//! libphonenumber's algorithms that read it — region of a number, number type, possible lengths,
//! international (IDD) and national prefixes. Names follow libphonenumber's Java implementation.

use super::matcher;
use super::plan_data::{CODE, PATTERNS, REGIONS};
use super::NumberType;

/// A pattern index meaning "none".
pub const NONE: u16 = u16::MAX;

/// A number description: a pattern index and the possible national lengths (bit `n` = length `n`;
/// 0 = not restricted).
#[derive(Debug, Clone, Copy)]
pub struct Desc {
    pub pat: u16,
    pub lens: u32,
}

/// Shorthand for the generated table.
pub const fn d(pat: u16, lens: u32) -> Desc {
    Desc { pat, lens }
}

/// Index of each description in [`Region::desc`] (libphonenumber's test order after `GENERAL`).
pub const GENERAL: usize = 0;
const TYPED: [(usize, NumberType); 8] = [
    (1, NumberType::PremiumRate),
    (2, NumberType::TollFree),
    (3, NumberType::SharedCost),
    (4, NumberType::Voip),
    (5, NumberType::PersonalNumber),
    (6, NumberType::Pager),
    (7, NumberType::Uan),
    (8, NumberType::Voicemail),
];
const FIXED_LINE: usize = 9;
const MOBILE: usize = 10;

/// One region of the metadata (a territory, or a non-geographic entity with `iso` `"001"`).
#[derive(Debug)]
pub struct Region {
    /// ISO 3166 alpha-2 (or `"001"`).
    pub iso: &'static str,
    /// The calling code, digits.
    pub calling_code: &'static str,
    /// Whether this is the main region of its calling code (`US` for `1`).
    pub main: bool,
    /// International (IDD) prefix pattern.
    pub idd: u16,
    /// The national (trunk) prefix as dialled (`0`, `1`, `8`, …; empty when none).
    pub national_prefix: &'static str,
    /// National prefix for parsing (pattern).
    pub npp: u16,
    /// Transform rule applied with `npp` (`$1`-style).
    pub transform: &'static str,
    /// Leading digits that pick this region among those sharing the calling code (pattern).
    pub leading: u16,
    /// Lengths that are only possible locally (without an area code).
    pub local_lens: u32,
    /// General, premium rate, toll free, shared cost, VoIP, personal number, pager, UAN,
    /// voicemail, fixed line, mobile.
    pub desc: [Desc; 11],
}

/// The byte code of pattern `i`.
fn pattern(i: u16) -> Option<&'static [u8]> {
    if i == NONE {
        return None;
    }
    let start = usize::try_from(*PATTERNS.get(usize::from(i))?).ok()?;
    let code = CODE.get(start..)?;
    code.get(..matcher::pattern_len(code))
}

fn full(i: u16, s: &str) -> bool {
    pattern(i).is_some_and(|p| matcher::full_match(p, s.as_bytes()))
}

fn has_len(mask: u32, n: usize) -> bool {
    n < 32 && mask & (1 << n) != 0
}

/// libphonenumber's `isNumberMatchingDesc`: a possible length, and the whole number matches.
fn matches_desc(desc: &Desc, nsn: &str) -> bool {
    desc.pat != NONE && (desc.lens == 0 || has_len(desc.lens, nsn.len())) && full(desc.pat, nsn)
}

impl Region {
    /// Whether this is a non-geographic entity (`+800`, `+882` …).
    pub fn non_geographic(&self) -> bool {
        self.iso == "001"
    }

    /// libphonenumber's `getNumberTypeHelper`; `None` is `UNKNOWN` (not a valid number here).
    pub fn number_type(&self, nsn: &str) -> Option<NumberType> {
        if !matches_desc(&self.desc[GENERAL], nsn) {
            return None;
        }
        for (i, t) in TYPED {
            if matches_desc(&self.desc[i], nsn) {
                return Some(t);
            }
        }
        let (fixed, mobile) = (&self.desc[FIXED_LINE], &self.desc[MOBILE]);
        if matches_desc(fixed, nsn) {
            // The generator stores identical patterns once: same index = same pattern.
            if (fixed.pat == mobile.pat && mobile.pat != NONE) || matches_desc(mobile, nsn) {
                return Some(NumberType::FixedLineOrMobile);
            }
            return Some(NumberType::FixedLine);
        }
        matches_desc(mobile, nsn).then_some(NumberType::Mobile)
    }

    /// Whether the general description's pattern matches the whole number (no length check:
    /// libphonenumber's `matchNationalNumber(…, generalDesc, false)`).
    pub fn general_pattern_matches(&self, nsn: &str) -> bool {
        full(self.desc[GENERAL].pat, nsn)
    }

    /// libphonenumber's `testNumberLength(number, metadata, UNKNOWN)`.
    pub fn test_length(&self, nsn: &str) -> Length {
        let n = nsn.len();
        let lens = self.desc[GENERAL].lens;
        if has_len(self.local_lens, n) {
            return Length::LocalOnly;
        }
        if lens == 0 {
            return Length::Invalid;
        }
        let min = lens.trailing_zeros() as usize;
        let max = 31 - lens.leading_zeros() as usize;
        if n < min {
            Length::TooShort
        } else if n > max {
            Length::TooLong
        } else if has_len(lens, n) {
            Length::Possible
        } else {
            Length::Invalid
        }
    }

    /// The length of the international prefix `number` starts with, if it does and a country
    /// code can follow (libphonenumber's `parsePrefixAsIdd`: the next digit is not `0`).
    pub fn idd_len(&self, number: &str) -> Option<usize> {
        let (end, _) = matcher::looking_at(pattern(self.idd)?, number.as_bytes())?;
        let rest = number.get(end..)?;
        (end > 0 && !rest.starts_with('0')).then_some(end)
    }

    /// libphonenumber's `maybeStripNationalPrefixAndCarrierCode`: the number without its national
    /// prefix (transformed by the region's rule where it has one), or `None` when nothing applies.
    pub fn strip_national_prefix(&self, number: &str) -> Option<String> {
        let p = pattern(self.npp)?;
        if number.is_empty() {
            return None;
        }
        let (end, caps) = matcher::looking_at(p, number.as_bytes())?;
        let viable = self.general_pattern_matches(number);
        let groups = matcher::group_count(p);
        let last = caps.get(usize::from(groups)).copied().flatten();
        let rest = number.get(end..)?;
        if self.transform.is_empty() || groups == 0 || last.is_none() {
            if viable && !self.general_pattern_matches(rest) {
                return None;
            }
            return Some(rest.to_owned());
        }
        let mut out = String::with_capacity(number.len() + self.transform.len());
        let mut t = self.transform.bytes().peekable();
        while let Some(b) = t.next() {
            match (b, t.peek()) {
                (b'$', Some(&g)) if g.is_ascii_digit() => {
                    t.next();
                    if let Some(Some((s, e))) = caps.get(usize::from(g - b'0')) {
                        out.push_str(number.get(usize::from(*s)..usize::from(*e)).unwrap_or(""));
                    }
                }
                _ => out.push(char::from(b)),
            }
        }
        out.push_str(rest);
        if viable && !self.general_pattern_matches(&out) {
            return None;
        }
        Some(out)
    }

    /// The number with its national prefix stripped when what remains has a possible length
    /// (libphonenumber's `parseHelper`), and whether digits were removed or transformed.
    pub fn national_significant(&self, number: &str) -> (String, bool) {
        match self.strip_national_prefix(number) {
            Some(s)
                if !matches!(
                    self.test_length(&s),
                    Length::TooShort | Length::LocalOnly | Length::Invalid
                ) =>
            {
                let changed = s != number;
                (s, changed)
            }
            _ => (number.to_owned(), false),
        }
    }
}

/// libphonenumber's `ValidationResult` for a length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    Possible,
    LocalOnly,
    TooShort,
    TooLong,
    Invalid,
}

/// Every region of a calling code, main region first.
pub fn regions_of(cc: &str) -> impl Iterator<Item = &'static Region> + '_ {
    REGIONS.iter().filter(move |r| r.calling_code == cc)
}

/// The main region of a calling code.
pub fn main_region(cc: &str) -> Option<&'static Region> {
    regions_of(cc).next()
}

/// A territory by ISO alpha-2 (case-insensitive; the non-geographic entities are not territories).
pub fn by_iso(iso: &str) -> Option<&'static Region> {
    REGIONS
        .iter()
        .find(|r| !r.non_geographic() && r.iso.eq_ignore_ascii_case(iso))
}

/// The calling code `digits` starts with, and the rest (calling codes are prefix-free).
pub fn split_calling_code(digits: &str) -> Option<(&'static str, &str)> {
    (1..=3).find_map(|n| {
        let cc = digits.get(..n)?;
        let r = main_region(cc)?;
        Some((r.calling_code, digits.get(n..)?))
    })
}

/// libphonenumber's `getRegionCodeForNumberFromRegionList`: the region of a national significant
/// number among those sharing its calling code, and its type. `None`: the number is valid in none.
pub fn classify(cc: &str, nsn: &str) -> Option<(&'static Region, NumberType)> {
    let mut regions = regions_of(cc).peekable();
    let first = regions.next()?;
    if regions.peek().is_none() {
        return first.number_type(nsn).map(|t| (first, t));
    }
    for r in std::iter::once(first).chain(regions) {
        if let Some(code) = pattern(r.leading) {
            if matcher::looking_at(code, nsn.as_bytes()).is_some() {
                return r.number_type(nsn).map(|t| (r, t));
            }
        } else if let Some(t) = r.number_type(nsn) {
            return Some((r, t));
        }
    }
    None
}

/// The number of regions and of patterns (for tests and docs).
pub fn table_size() -> (usize, usize, usize) {
    (REGIONS.len(), PATTERNS.len(), CODE.len())
}
