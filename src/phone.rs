//! Telephone numbers → E.164, with a default country, never guessing silently.
//!
//! [`normalize`] takes free text as EHRs write it (`(617)555-0142`, `555.555.9999`,
//! `(555)555-1234X22`, `07777 111111`, `+44 20 7946 0000`, `0033 1 23 45 67 89`) and
//! [`from_parts`] takes the structured XTN components (country ^ area ^ local). Both return a
//! [`PhoneNumber`] plus [`Note`]s for every assumption, or a [`PhoneError`].
//!
//! What is checked:
//! * NANP (`+1`): 10 digits `NXX-NXX-XXXX`; area codes starting with 0/1, `N11` and the reserved
//!   `N9X` are invalid, as are exchanges starting with 0/1 and `N11` exchanges.
//! * Countries with a trunk prefix (GB, IE, FR, BE, NL, DE, AT, CH, AU, NZ, JP, SE, IN, BR …):
//!   the national `0` is dropped after the country code; countries without one (IT, ES, PT, DK, NO,
//!   MX …) keep every digit (Italian landlines keep their leading `0`).
//! * Lengths: E.164 allows at most 15 digits; a national number outside the country's usual length
//!   is accepted with a [`Note::UnusualLength`] (plans change; Twilio will reject truly wrong
//!   numbers, and we never drop a number on a heuristic).
//! * Line type from the number range where it is unambiguous (GB `7…`, FR `6…`/`7…`, DE `15…`–`17…`,
//!   AU `4…`, JP `70/80/90…` are mobile; the geographic ranges of those countries are landlines);
//!   NANP numbers are [`LineKind::Unknown`].

/// What the number range says about the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LineKind {
    /// A mobile range.
    Mobile,
    /// A geographic (fixed-line) range.
    Landline,
    /// Not knowable from the number (NANP, unknown countries, special ranges).
    Unknown,
}

/// A normalized number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber {
    /// `+` and 8–15 digits.
    pub e164: String,
    /// ISO 3166 alpha-2 of the numbering plan when known (`US` for any `+1`).
    pub country: Option<&'static str>,
    /// Extension digits, when the input carried one (not part of `e164`).
    pub extension: Option<String>,
    /// Line type from the number range.
    pub kind: LineKind,
}

impl PhoneNumber {
    /// A human rendering that the PAM validator accepts (`[0-9+\-() ]` only): `(608) 271-9000`
    /// for NANP numbers when `home_cc` is 1, else the E.164 form.
    pub fn display(&self, home_calling_code: &str) -> String {
        let digits = self.e164.get(1..).unwrap_or("");
        if home_calling_code == "1" {
            if let Some(n) = digits.strip_prefix('1') {
                if n.len() == 10 {
                    let (a, rest) = n.split_at(3);
                    let (x, l) = rest.split_at(3);
                    return format!("({a}) {x}-{l}");
                }
            }
        }
        self.e164.clone()
    }
}

/// An assumption made while normalizing (each becomes a warning upstream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Note {
    /// A national number was read with the default country's calling code.
    DefaultCountryUsed,
    /// The digits started with the default country's calling code but had no `+`/`00`.
    MissingPlus,
    /// The national number lacked the trunk prefix the country normally writes.
    NoTrunkPrefix,
    /// An extension was dropped from the dialable number (an SMS cannot reach an extension).
    ExtensionDropped,
    /// The national number length is unusual for the country.
    UnusualLength,
    /// Text after the number (XTN `C` comment, `B` beeper code) was ignored.
    TrailingTextIgnored,
}

impl Note {
    /// Stable warning code.
    pub const fn code(self) -> &'static str {
        match self {
            Note::DefaultCountryUsed => "PHONE_DEFAULT_COUNTRY_USED",
            Note::MissingPlus => "PHONE_MISSING_PLUS",
            Note::NoTrunkPrefix => "PHONE_NO_TRUNK_PREFIX",
            Note::ExtensionDropped => "PHONE_EXTENSION_DROPPED",
            Note::UnusualLength => "PHONE_UNUSUAL_LENGTH",
            Note::TrailingTextIgnored => "PHONE_TEXT_IGNORED",
        }
    }
    /// Human text (no input values).
    pub const fn message(self) -> &'static str {
        match self {
            Note::DefaultCountryUsed => {
                "a national number was read with the profile's default country"
            }
            Note::MissingPlus => {
                "the number began with the country code but without '+'; read as international"
            }
            Note::NoTrunkPrefix => {
                "the national number had no trunk prefix; read as a national significant number"
            }
            Note::ExtensionDropped => {
                "the number had an extension, which an SMS cannot reach; the extension was dropped"
            }
            Note::UnusualLength => "the number's length is unusual for its country; it was kept",
            Note::TrailingTextIgnored => {
                "text after the number (comment or beeper code) was ignored"
            }
        }
    }
}

/// A set of [`Note`]s (a bit set: no allocation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Notes(u8);

impl Notes {
    const ALL: [Note; 6] = [
        Note::DefaultCountryUsed,
        Note::MissingPlus,
        Note::NoTrunkPrefix,
        Note::ExtensionDropped,
        Note::UnusualLength,
        Note::TrailingTextIgnored,
    ];
    fn bit(n: Note) -> u8 {
        1 << (n as u8)
    }
    /// Add a note.
    pub fn push(&mut self, n: Note) {
        self.0 |= Self::bit(n);
    }
    /// Whether a note is present.
    pub fn contains(&self, n: &Note) -> bool {
        self.0 & Self::bit(*n) != 0
    }
    /// The notes, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = Note> + '_ {
        Self::ALL.iter().copied().filter(|n| self.contains(n))
    }
}

/// Digits on the stack (a full number never exceeds 15 digits; inputs are capped at 32).
#[derive(Clone, Copy)]
struct Digits {
    b: [u8; 32],
    len: usize,
}

impl Digits {
    fn new() -> Self {
        Digits { b: [0; 32], len: 0 }
    }
    /// Push a digit; false when full.
    fn push(&mut self, d: u8) -> bool {
        match self.b.get_mut(self.len) {
            Some(slot) => {
                *slot = d;
                self.len += 1;
                true
            }
            None => false,
        }
    }
    fn push_str(&mut self, s: &str) -> bool {
        s.bytes().all(|d| self.push(d))
    }
    fn as_str(&self) -> &str {
        std::str::from_utf8(self.b.get(..self.len).unwrap_or(&[])).unwrap_or("")
    }
    fn drop_front(&mut self, n: usize) {
        let n = n.min(self.len);
        self.b.copy_within(n..self.len, 0);
        self.len -= n;
    }
}

fn e164_string(cc: &str, nsn: &str) -> String {
    let mut s = String::with_capacity(1 + cc.len() + nsn.len());
    s.push('+');
    s.push_str(cc);
    s.push_str(nsn);
    s
}

/// Why a number could not be normalized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneError {
    /// Nothing there.
    Empty,
    /// Looks like an e-mail address.
    Email,
    /// Letters or other characters that are not part of a phone number.
    NotANumber,
    /// Too few digits to be a full number.
    TooShort,
    /// More than 15 digits.
    TooLong,
    /// A national number and no default country to read it with.
    NoCountry,
    /// The default country is not one this module knows.
    UnknownCountry,
    /// NANP area code that cannot exist (0/1 first digit, N11, N9X).
    InvalidNanpArea,
    /// NANP exchange that cannot exist (0/1 first digit, N11).
    InvalidNanpExchange,
    /// An international number whose country code starts with 0 (no calling code does).
    BadCountryCode,
}

impl PhoneError {
    /// Stable warning/skip code.
    pub const fn code(self) -> &'static str {
        match self {
            PhoneError::Empty => "PHONE_EMPTY",
            PhoneError::Email => "PHONE_IS_EMAIL",
            PhoneError::NotANumber => "PHONE_NOT_A_NUMBER",
            PhoneError::TooShort => "PHONE_TOO_SHORT",
            PhoneError::TooLong => "PHONE_TOO_LONG",
            PhoneError::NoCountry => "PHONE_NO_COUNTRY",
            PhoneError::UnknownCountry => "PHONE_UNKNOWN_COUNTRY",
            PhoneError::InvalidNanpArea => "PHONE_INVALID_NANP_AREA",
            PhoneError::InvalidNanpExchange => "PHONE_INVALID_NANP_EXCHANGE",
            PhoneError::BadCountryCode => "PHONE_BAD_COUNTRY_CODE",
        }
    }
    /// Human text (no input values).
    pub const fn message(self) -> &'static str {
        match self {
            PhoneError::Empty => "the number is empty",
            PhoneError::Email => "the value is an e-mail address, not a phone number",
            PhoneError::NotANumber => {
                "the value contains characters that are not part of a phone number"
            }
            PhoneError::TooShort => "the number has too few digits to be a full number",
            PhoneError::TooLong => "the number has more than 15 digits",
            PhoneError::NoCountry => "the number is national and no default country is configured",
            PhoneError::UnknownCountry => "the default country is not supported",
            PhoneError::InvalidNanpArea => {
                "the NANP area code cannot exist (starts with 0 or 1, N11 or N9X)"
            }
            PhoneError::InvalidNanpExchange => {
                "the NANP exchange cannot exist (starts with 0 or 1, or N11)"
            }
            PhoneError::BadCountryCode => {
                "the international number's country code starts with 0, which no calling code does"
            }
        }
    }
}

/// A numbering plan this module knows.
#[derive(Debug, Clone, Copy)]
pub struct Country {
    /// ISO 3166 alpha-2.
    pub iso: &'static str,
    /// Calling code without `+`.
    pub calling_code: &'static str,
    /// Whether national numbers are written with a leading `0` that is dropped internationally.
    pub trunk_zero: bool,
    /// Usual national significant number lengths (inclusive).
    pub nsn_len: (usize, usize),
    /// NSN prefixes of mobile ranges.
    pub mobile: &'static [&'static str],
    /// NSN prefixes of geographic ranges (empty when not modelled).
    pub landline: &'static [&'static str],
    /// NSN length of mobile numbers, when fixed by the plan.
    pub mobile_len: Option<(usize, usize)>,
}

/// The numbering plans known to this module (NANP members share `+1` and its rules).
pub const COUNTRIES: &[Country] = &[
    c("US", "1", false, (10, 10), &[], &[]),
    c("CA", "1", false, (10, 10), &[], &[]),
    c("PR", "1", false, (10, 10), &[], &[]),
    c("GB", "44", true, (9, 10), &["7"], &["1", "2", "3"]),
    c(
        "IE",
        "353",
        true,
        (7, 9),
        &["8"],
        &["1", "2", "4", "5", "6", "9"],
    ),
    c(
        "FR",
        "33",
        true,
        (9, 9),
        &["6", "7"],
        &["1", "2", "3", "4", "5"],
    ),
    c(
        "BE",
        "32",
        true,
        (8, 9),
        &["4"],
        &["1", "2", "3", "5", "6", "8", "9"],
    ),
    c(
        "NL",
        "31",
        true,
        (9, 9),
        &["6"],
        &["1", "2", "3", "4", "5", "7"],
    ),
    c(
        "DE",
        "49",
        true,
        (6, 13),
        &["15", "16", "17"],
        &["2", "3", "4", "5", "6", "7", "8", "9"],
    ),
    c(
        "AT",
        "43",
        true,
        (4, 13),
        &["6"],
        &["1", "2", "3", "4", "5", "7"],
    ),
    c(
        "CH",
        "41",
        true,
        (9, 9),
        &["7"],
        &["2", "3", "4", "5", "6", "8"],
    ),
    c("IT", "39", false, (6, 11), &["3"], &["0"]),
    c("ES", "34", false, (9, 9), &["6", "7"], &["8", "9"]),
    c("PT", "351", false, (9, 9), &["9"], &["2"]),
    c("DK", "45", false, (8, 8), &[], &[]),
    c("NO", "47", false, (8, 8), &["4", "9"], &[]),
    c(
        "SE",
        "46",
        true,
        (7, 9),
        &["7"],
        &["1", "2", "3", "4", "5", "6", "8", "9"],
    ),
    c("AU", "61", true, (9, 9), &["4"], &["2", "3", "7", "8"]),
    c(
        "NZ",
        "64",
        true,
        (8, 10),
        &["2"],
        &["3", "4", "6", "7", "9"],
    ),
    c(
        "JP",
        "81",
        true,
        (9, 10),
        &["70", "80", "90"],
        &["1", "2", "3", "4", "5", "6", "7", "8", "9"],
    ),
    c("IN", "91", true, (10, 10), &["6", "7", "8", "9"], &[]),
    c("MX", "52", false, (10, 10), &[], &[]),
    c("BR", "55", true, (10, 11), &[], &[]),
];

const fn c(
    iso: &'static str,
    calling_code: &'static str,
    trunk_zero: bool,
    nsn_len: (usize, usize),
    mobile: &'static [&'static str],
    landline: &'static [&'static str],
) -> Country {
    Country {
        iso,
        calling_code,
        trunk_zero,
        nsn_len,
        mobile,
        landline,
        mobile_len: match iso.as_bytes() {
            b"GB" | b"DE" | b"JP" => Some((10, 11)),
            b"FR" | b"NL" | b"AU" | b"ES" | b"BE" | b"CH" | b"PT" => Some((9, 9)),
            b"IT" => Some((9, 10)),
            _ => None,
        },
    }
}

/// Look up a country by ISO alpha-2 (case-insensitive).
pub fn country(iso: &str) -> Option<&'static Country> {
    COUNTRIES.iter().find(|c| c.iso.eq_ignore_ascii_case(iso))
}

/// The country of a calling code (the first listed, e.g. `US` for `1`).
fn country_by_code(digits: &str) -> Option<&'static Country> {
    // Longest match first (calling codes are prefix-free, but our table is partial).
    (1..=3)
        .rev()
        .filter_map(|n| digits.get(..n))
        .find_map(|p| COUNTRIES.iter().find(|c| c.calling_code == p))
}

/// Normalize free text to E.164 with `default_country` (ISO alpha-2, or `None`).
///
/// ```
/// use ehr_studio_bridge::phone::{normalize, Note, PhoneError};
/// let (n, notes) = normalize("(617)555-0142", Some("US")).unwrap();
/// assert_eq!(n.e164, "+16175550142");
/// assert_eq!(notes.iter().collect::<Vec<_>>(), vec![Note::DefaultCountryUsed]);
/// let (n, _) = normalize("(555)555-1234X22", Some("US")).unwrap();
/// assert_eq!((n.e164.as_str(), n.extension.as_deref()), ("+15555551234", Some("22")));
/// assert_eq!(normalize("07911 123456", Some("GB")).unwrap().0.e164, "+447911123456");
/// assert_eq!(normalize("+33 6 12 34 56 78", None).unwrap().0.e164, "+33612345678");
/// assert_eq!(normalize("(190)719-1440", Some("US")).unwrap_err(), PhoneError::InvalidNanpArea);
/// assert_eq!(normalize("a@b.org", Some("US")).unwrap_err(), PhoneError::Email);
/// assert_eq!(normalize("+0904 433 7650", Some("US")).unwrap_err(), PhoneError::BadCountryCode);
/// ```
pub fn normalize(
    raw: &str,
    default_country: Option<&str>,
) -> Result<(PhoneNumber, Notes), PhoneError> {
    let text = crate::text::trim(raw);
    if text.is_empty() {
        return Err(PhoneError::Empty);
    }
    if text.contains('@') {
        return Err(PhoneError::Email);
    }
    let mut notes = Notes::default();
    let mut digits = Digits::new();
    let mut plus = false;
    let mut extension: Option<String> = None;
    for (i, ch) in text.char_indices() {
        match ch {
            '0'..='9' => {
                if !digits.push(ch as u8) {
                    return Err(PhoneError::TooLong);
                }
            }
            '+' if digits.len == 0 && !plus => plus = true,
            ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' | '\t' => {}
            'x' | 'X' | 'e' | 'E' | '#' | ';' | ',' => {
                // Extension: "X22", "x 22", "ext. 22", "#22", ";ext=22", ",22".
                let rest = text.get(i..).unwrap_or("");
                let ext: String = rest.chars().filter(char::is_ascii_digit).collect();
                let letters_ok = rest
                    .trim_start_matches(|c: char| !c.is_ascii_digit())
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ' ');
                let lead = rest
                    .chars()
                    .take_while(|c| !c.is_ascii_digit())
                    .collect::<String>()
                    .to_ascii_lowercase();
                let lead = lead.trim();
                let is_ext = matches!(
                    lead,
                    "x" | "ext" | "ext." | "extension" | "#" | ";ext=" | "," | "e" | "ex" | "x."
                );
                if !is_ext || !letters_ok {
                    return Err(PhoneError::NotANumber);
                }
                if !ext.is_empty() {
                    extension = Some(ext);
                    notes.push(Note::ExtensionDropped);
                }
                break;
            }
            'B' | 'C' if digits.len > 0 => {
                // TN format: "B99999" beeper code, "C any text" comment.
                notes.push(Note::TrailingTextIgnored);
                break;
            }
            _ => return Err(PhoneError::NotANumber),
        }
    }
    // "00" international prefix.
    if !plus && digits.as_str().starts_with("00") {
        digits.drop_front(2);
        plus = true;
    }
    if digits.len == 0 {
        return Err(PhoneError::Empty);
    }
    if plus {
        return finish_international(digits.as_str(), extension, notes);
    }
    let Some(dc) = default_country else {
        return Err(PhoneError::NoCountry);
    };
    let country = country(dc).ok_or(PhoneError::UnknownCountry)?;
    finish_national(country, digits.as_str(), extension, notes)
}

/// Build a number from XTN components: country code (XTN-5), area/city code (XTN-6), local number
/// (XTN-7) and extension (XTN-8). Leading zeros of the area code are tolerated (HL7 says they are
/// not sent, but some senders do).
///
/// ```
/// use ehr_studio_bridge::phone::from_parts;
/// assert_eq!(from_parts(Some("1"), Some("617"), "5550100", None, Some("US")).unwrap().0.e164, "+16175550100");
/// assert_eq!(from_parts(None, Some("503"), "5550999", Some("77"), Some("US")).unwrap().0.extension.as_deref(), Some("77"));
/// assert_eq!(from_parts(Some("81"), Some("90"), "12345678", None, None).unwrap().0.e164, "+819012345678");
/// ```
pub fn from_parts(
    country_code: Option<&str>,
    area: Option<&str>,
    local: &str,
    extension: Option<&str>,
    default_country: Option<&str>,
) -> Result<(PhoneNumber, Notes), PhoneError> {
    let clean = |s: &str| -> Result<Digits, PhoneError> {
        let mut d = Digits::new();
        for ch in s.trim().chars() {
            match ch {
                '0'..='9' => {
                    if !d.push(ch as u8) {
                        return Err(PhoneError::TooLong);
                    }
                }
                ' ' | '-' | '.' | '(' | ')' | '+' => {}
                _ => return Err(PhoneError::NotANumber),
            }
        }
        Ok(d)
    };
    let local = clean(local)?;
    let area = area.map(clean).transpose()?.unwrap_or_else(Digits::new);
    let cc = country_code
        .map(clean)
        .transpose()?
        .unwrap_or_else(Digits::new);
    let (local, area, cc) = (local.as_str(), area.as_str(), cc.as_str());
    let mut notes = Notes::default();
    let ext = extension
        .map(|e| e.chars().filter(char::is_ascii_digit).collect::<String>())
        .filter(|e| !e.is_empty());
    if ext.is_some() {
        notes.push(Note::ExtensionDropped);
    }
    if local.is_empty() {
        return Err(PhoneError::Empty);
    }
    if !cc.is_empty() {
        let area = area.trim_start_matches('0');
        let mut digits = Digits::new();
        if !(digits.push_str(cc) && digits.push_str(area) && digits.push_str(local)) {
            return Err(PhoneError::TooLong);
        }
        return finish_international(digits.as_str(), ext, notes);
    }
    let Some(dc) = default_country else {
        return Err(PhoneError::NoCountry);
    };
    let country = country(dc).ok_or(PhoneError::UnknownCountry)?;
    let mut national = Digits::new();
    if country.trunk_zero && !area.is_empty() && !area.starts_with('0') {
        national.push(b'0');
    }
    if !(national.push_str(area) && national.push_str(local)) {
        return Err(PhoneError::TooLong);
    }
    finish_national(country, national.as_str(), ext, notes)
}

fn finish_national(
    country: &'static Country,
    digits: &str,
    extension: Option<String>,
    mut notes: Notes,
) -> Result<(PhoneNumber, Notes), PhoneError> {
    let cc = country.calling_code;
    if cc == "1" {
        // NANP: 10 digits, or 11 with the leading 1.
        let nsn = match digits.len() {
            10 => digits,
            11 if digits.starts_with('1') => digits.get(1..).unwrap_or(""),
            n if n < 10 => return Err(PhoneError::TooShort),
            _ => return Err(PhoneError::TooLong),
        };
        check_nanp(nsn)?;
        notes.push(Note::DefaultCountryUsed);
        return Ok((
            PhoneNumber {
                e164: e164_string("1", nsn),
                country: Some(country.iso),
                extension,
                kind: LineKind::Unknown,
            },
            notes,
        ));
    }
    let (lo, hi) = country.nsn_len;
    let nsn: &str = if country.trunk_zero {
        if let Some(rest) = digits.strip_prefix('0') {
            rest
        } else if digits.starts_with(cc) && (lo..=hi).contains(&(digits.len() - cc.len())) {
            notes.push(Note::MissingPlus);
            return finish_international(digits, extension, notes);
        } else {
            notes.push(Note::NoTrunkPrefix);
            digits
        }
    } else if digits.starts_with(cc)
        && digits.len() > hi
        && (lo..=hi).contains(&(digits.len() - cc.len()))
    {
        notes.push(Note::MissingPlus);
        return finish_international(digits, extension, notes);
    } else {
        digits
    };
    // E.164 numbers Twilio accepts have 8 to 15 digits (see `studio::is_e164`).
    if nsn.len() < 4 || nsn.len() + cc.len() < 8 {
        return Err(PhoneError::TooShort);
    }
    if nsn.len() + cc.len() > 15 {
        return Err(PhoneError::TooLong);
    }
    notes.push(Note::DefaultCountryUsed);
    let kind = kind_of(country, nsn);
    if !(lo..=hi).contains(&nsn.len()) || !mobile_len_ok(country, kind, nsn) {
        notes.push(Note::UnusualLength);
    }
    Ok((
        PhoneNumber {
            e164: e164_string(cc, nsn),
            country: Some(country.iso),
            extension,
            kind,
        },
        notes,
    ))
}

fn finish_international(
    digits: &str,
    extension: Option<String>,
    mut notes: Notes,
) -> Result<(PhoneNumber, Notes), PhoneError> {
    if digits.len() > 15 {
        return Err(PhoneError::TooLong);
    }
    if digits.len() < 8 {
        return Err(PhoneError::TooShort);
    }
    if digits.starts_with('0') {
        return Err(PhoneError::BadCountryCode);
    }
    let country = country_by_code(digits);
    let mut kind = LineKind::Unknown;
    if let Some(c) = country {
        let nsn = digits.get(c.calling_code.len()..).unwrap_or("");
        if c.calling_code == "1" {
            if nsn.len() != 10 {
                return Err(if nsn.len() < 10 {
                    PhoneError::TooShort
                } else {
                    PhoneError::TooLong
                });
            }
            check_nanp(nsn)?;
        } else {
            // A national trunk 0 written after the country code (+44 (0)20 …) is dropped.
            let nsn_clean = if c.trunk_zero {
                nsn.strip_prefix('0')
            } else {
                None
            };
            if let Some(n) = nsn_clean {
                let mut d = Digits::new();
                if !(d.push_str(c.calling_code) && d.push_str(n)) {
                    return Err(PhoneError::TooLong);
                }
                return finish_international(d.as_str(), extension, notes);
            }
            let (lo, hi) = c.nsn_len;
            kind = kind_of(c, nsn);
            if !(lo..=hi).contains(&nsn.len()) || !mobile_len_ok(c, kind, nsn) {
                notes.push(Note::UnusualLength);
            }
        }
    }
    Ok((
        PhoneNumber {
            e164: e164_string("", digits),
            country: country.map(|c| c.iso),
            extension,
            kind,
        },
        notes,
    ))
}

fn check_nanp(nsn: &str) -> Result<(), PhoneError> {
    let b = nsn.as_bytes();
    let (Some(&a0), Some(&a1), Some(&a2)) = (b.first(), b.get(1), b.get(2)) else {
        return Err(PhoneError::TooShort);
    };
    if !(b'2'..=b'9').contains(&a0) || (a1 == b'1' && a2 == b'1') || a1 == b'9' {
        return Err(PhoneError::InvalidNanpArea);
    }
    let (Some(&e0), Some(&e1), Some(&e2)) = (b.get(3), b.get(4), b.get(5)) else {
        return Err(PhoneError::TooShort);
    };
    if !(b'2'..=b'9').contains(&e0) || (e1 == b'1' && e2 == b'1') {
        return Err(PhoneError::InvalidNanpExchange);
    }
    Ok(())
}

fn mobile_len_ok(c: &Country, kind: LineKind, nsn: &str) -> bool {
    match (kind, c.mobile_len) {
        (LineKind::Mobile, Some((lo, hi))) => (lo..=hi).contains(&nsn.len()),
        _ => true,
    }
}

fn kind_of(c: &Country, nsn: &str) -> LineKind {
    if c.mobile.iter().any(|p| nsn.starts_with(p)) {
        LineKind::Mobile
    } else if c.landline.iter().any(|p| nsn.starts_with(p)) {
        LineKind::Landline
    } else {
        LineKind::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(raw: &str, dc: Option<&str>) -> Result<String, PhoneError> {
        normalize(raw, dc).map(|(n, _)| n.e164)
    }

    #[test]
    fn nanp_forms() {
        for raw in [
            "(617)555-0142",
            "617-555-0142",
            "617.555.0142",
            "1 617 555 0142",
            "+1 (617) 555-0142",
            "001 617 555 0142",
        ] {
            assert_eq!(e(raw, Some("US")).unwrap(), "+16175550142", "{raw}");
        }
        assert_eq!(e("555.555.9999", Some("US")).unwrap(), "+15555559999");
        assert_eq!(e("555-0142", Some("US")), Err(PhoneError::TooShort));
        assert_eq!(
            e("(123) 123-1234", Some("US")),
            Err(PhoneError::InvalidNanpArea)
        );
        assert_eq!(
            e("(911) 555-1234", Some("US")),
            Err(PhoneError::InvalidNanpArea)
        );
        assert_eq!(
            e("(617) 155-1234", Some("US")),
            Err(PhoneError::InvalidNanpExchange)
        );
        assert_eq!(
            e("(617) 911-1234", Some("US")),
            Err(PhoneError::InvalidNanpExchange)
        );
        assert_eq!(e("78788788", Some("US")), Err(PhoneError::TooShort));
        assert_eq!(e("1-800-FLOWERS", Some("US")), Err(PhoneError::NotANumber));
        assert_eq!(e("6175550142", None), Err(PhoneError::NoCountry));
    }

    #[test]
    fn trunk_prefix_countries() {
        assert_eq!(e("07911 123456", Some("GB")).unwrap(), "+447911123456");
        assert_eq!(e("+44 (0)20 7946 0000", None).unwrap(), "+442079460000");
        assert_eq!(e("06 12 34 56 78", Some("FR")).unwrap(), "+33612345678");
        assert_eq!(e("0466123456", Some("FR")).unwrap(), "+33466123456");
        assert_eq!(e("06-12345678", Some("NL")).unwrap(), "+31612345678");
        assert_eq!(e("0151 23456789", Some("DE")).unwrap(), "+4915123456789");
        assert_eq!(e("0412 345 678", Some("AU")).unwrap(), "+61412345678");
        assert_eq!(e("090-1234-5678", Some("JP")).unwrap(), "+819012345678");
        // No trunk prefix: Italian landlines keep the 0, Spanish numbers are 9 digits.
        assert_eq!(e("06 1234 5678", Some("IT")).unwrap(), "+390612345678");
        assert_eq!(e("612 345 678", Some("ES")).unwrap(), "+34612345678");
        assert_eq!(e("0033 1 23 45 67 89", Some("US")).unwrap(), "+33123456789");
    }

    #[test]
    fn kinds_and_notes() {
        let (n, notes) = normalize("0789898989", Some("GB")).unwrap();
        assert_eq!(n.e164, "+44789898989");
        assert_eq!(n.kind, LineKind::Mobile);
        assert!(notes.contains(&Note::DefaultCountryUsed));
        // A UK mobile has 10 national digits: one short is flagged, not dropped.
        assert!(notes.contains(&Note::UnusualLength));
        let (_, notes) = normalize("07911 123456", Some("GB")).unwrap();
        assert!(!notes.contains(&Note::UnusualLength));
        let (n, _) = normalize("0100000000", Some("FR")).unwrap();
        assert_eq!(n.kind, LineKind::Landline);
        let (n, notes) = normalize("447911123456", Some("GB")).unwrap();
        assert_eq!(n.e164, "+447911123456");
        assert!(notes.contains(&Note::MissingPlus));
        let (n, notes) = normalize("7911123456", Some("GB")).unwrap();
        assert_eq!(n.e164, "+447911123456");
        assert!(notes.contains(&Note::NoTrunkPrefix));
    }

    #[test]
    fn display_is_pam_safe() {
        let (n, _) = normalize("608 271 9000", Some("US")).unwrap();
        assert_eq!(n.display("1"), "(608) 271-9000");
        let (n, _) = normalize("+442079460000", None).unwrap();
        assert_eq!(n.display("1"), "+442079460000");
    }

    #[test]
    fn never_panics_on_odd_input() {
        for raw in [
            "+", "00", "x", "++1", "0", "(", "B", "C text", "1x", "+1x2", "é", "٣٣٣",
        ] {
            let _ = normalize(raw, Some("GB"));
            let _ = normalize(raw, Some("US"));
            let _ = normalize(raw, None);
        }
    }
}
