//! Telephone numbers → E.164, validated and classified by real numbering plans.
//!
//! [`normalize`] takes free text as EHRs write it (`(617)555-0142`, `555.555.9999`,
//! `(555)555-1234X22`, `07777 111111`, `+44 20 7946 0000`, `0033 1 23 45 67 89`, `011 44 …` from
//! the US) and [`from_parts`] takes the structured XTN components (country ^ area ^ local). Both
//! return a [`PhoneNumber`] plus [`Note`]s for every assumption, or a [`PhoneError`].
//!
//! Validity and type come from **libphonenumber's metadata** (release
//! [`metadata_version`], Apache-2.0), compiled at build time into `src/phone/plan_data.rs` by
//! `examples/gen_phonedata.rs` (≈ 250 regions, every territory and the non-geographic `+800`-style
//! entities), and matched by the small pattern engine in `src/phone/matcher.rs`
//! (`tests/phone_plans.rs` proves both against the `regex` and `phonenumber` crates). The parsing
//! follows libphonenumber's: the `+` or the default country's international prefix (`011` in the
//! US, `0011` in Australia; `00` is also tried when it yields a valid number), the calling code,
//! the national (trunk) prefix per the country's rule (`0` in GB/FR/DE/AU/IN, `1` in NANP, none in
//! IT/ES/MX …, transform rules such as Argentina's `15`), then:
//! * **valid** — the national significant number has a possible length for its region and lies in
//!   one of the plan's ranges; its [`NumberType`] (mobile, fixed line, fixed line or mobile, toll
//!   free, premium rate, shared cost, VoIP, personal number, pager, UAN, voicemail) is reported;
//! * **invalid** — [`PhoneError::TooShort`], [`PhoneError::TooLong`],
//!   [`PhoneError::InvalidLength`] (between the shortest and the longest but not a length the plan
//!   uses) or [`PhoneError::InvalidRange`] (a possible length, but in no range of the plan, e.g.
//!   the NANP area code `555`). An invalid number is an error, never a guess.
//!
//! Countries whose plan does not tell mobiles from fixed lines (NANP: `+1`) give
//! [`NumberType::FixedLineOrMobile`], i.e. [`LineKind::Unknown`].

mod matcher;
mod plan;
#[rustfmt::skip]
mod plan_data;

pub use plan::Region;

/// What the number range says about the line (the SMS-relevant summary of [`NumberType`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LineKind {
    /// A mobile range.
    Mobile,
    /// A geographic (fixed-line) range.
    Landline,
    /// Not knowable from the number (NANP, VoIP, personal numbers …).
    Unknown,
    /// A range that cannot receive an SMS: toll free, premium rate, shared cost, UAN, pager,
    /// voicemail.
    NotSms,
}

/// A valid number's type per its numbering plan (libphonenumber's `PhoneNumberType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum NumberType {
    /// A geographic (fixed-line) number.
    FixedLine,
    /// A mobile number.
    Mobile,
    /// The plan does not distinguish them (NANP and a few others).
    FixedLineOrMobile,
    /// Free to the caller (`800`, `0800` …).
    TollFree,
    /// Premium rate (`900`, `09…`).
    PremiumRate,
    /// Cost shared between caller and receiver.
    SharedCost,
    /// Voice over IP.
    Voip,
    /// A personal number that forwards to another (GB `070`).
    PersonalNumber,
    /// A pager.
    Pager,
    /// Universal access number (a company number routed anywhere).
    Uan,
    /// Direct access to a voicemail box.
    Voicemail,
}

impl NumberType {
    /// The SMS-relevant summary.
    pub const fn line_kind(self) -> LineKind {
        match self {
            NumberType::Mobile => LineKind::Mobile,
            NumberType::FixedLine => LineKind::Landline,
            NumberType::FixedLineOrMobile | NumberType::Voip | NumberType::PersonalNumber => {
                LineKind::Unknown
            }
            NumberType::TollFree
            | NumberType::PremiumRate
            | NumberType::SharedCost
            | NumberType::Pager
            | NumberType::Uan
            | NumberType::Voicemail => LineKind::NotSms,
        }
    }

    /// A stable name (`mobile`, `fixedLine`, `tollFree` …) for warnings and docs.
    pub const fn as_str(self) -> &'static str {
        match self {
            NumberType::FixedLine => "fixedLine",
            NumberType::Mobile => "mobile",
            NumberType::FixedLineOrMobile => "fixedLineOrMobile",
            NumberType::TollFree => "tollFree",
            NumberType::PremiumRate => "premiumRate",
            NumberType::SharedCost => "sharedCost",
            NumberType::Voip => "voip",
            NumberType::PersonalNumber => "personalNumber",
            NumberType::Pager => "pager",
            NumberType::Uan => "uan",
            NumberType::Voicemail => "voicemail",
        }
    }
}

/// The libphonenumber release of the numbering-plan metadata (e.g. `"9.0.33"`).
pub fn metadata_version() -> &'static str {
    plan_data::METADATA_VERSION
}

/// A normalized, valid number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber {
    /// `+` and 8–15 digits.
    pub e164: String,
    /// ISO 3166 alpha-2 of the region the number belongs to (`CA` for a Canadian `+1`), `None`
    /// for a non-geographic number (`+800` …).
    pub country: Option<&'static str>,
    /// Extension digits, when the input carried one (not part of `e164`).
    pub extension: Option<String>,
    /// The number's type per its plan.
    pub number_type: NumberType,
    /// The SMS-relevant summary of `number_type`.
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
    const ALL: [Note; 5] = [
        Note::DefaultCountryUsed,
        Note::MissingPlus,
        Note::NoTrunkPrefix,
        Note::ExtensionDropped,
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

/// Digits on the stack (inputs are capped at 32 digits).
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
}

/// Why a number could not be normalized, or is not a valid number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneError {
    /// Nothing there.
    Empty,
    /// Looks like an e-mail address.
    Email,
    /// Letters or other characters that are not part of a phone number.
    NotANumber,
    /// Shorter than any number of its plan (or only a local number without its area code).
    TooShort,
    /// Longer than any number of its plan (or than E.164's 15 digits).
    TooLong,
    /// Between the plan's shortest and longest numbers, but not a length the plan uses.
    InvalidLength,
    /// A possible length, but in no range of the plan (e.g. an unassigned area code).
    InvalidRange,
    /// A national number and no default country to read it with.
    NoCountry,
    /// The default country is not a territory of the numbering-plan metadata.
    UnknownCountry,
    /// An international number whose calling code does not exist.
    UnknownCallingCode,
    /// An international number whose country code starts with 0 (no calling code does).
    BadCountryCode,
}

impl PhoneError {
    /// Every variant (for docs and tests).
    pub const ALL: [PhoneError; 11] = [
        PhoneError::Empty,
        PhoneError::Email,
        PhoneError::NotANumber,
        PhoneError::TooShort,
        PhoneError::TooLong,
        PhoneError::InvalidLength,
        PhoneError::InvalidRange,
        PhoneError::NoCountry,
        PhoneError::UnknownCountry,
        PhoneError::UnknownCallingCode,
        PhoneError::BadCountryCode,
    ];

    /// Stable warning/skip code.
    pub const fn code(self) -> &'static str {
        match self {
            PhoneError::Empty => "PHONE_EMPTY",
            PhoneError::Email => "PHONE_IS_EMAIL",
            PhoneError::NotANumber => "PHONE_NOT_A_NUMBER",
            PhoneError::TooShort => "PHONE_TOO_SHORT",
            PhoneError::TooLong => "PHONE_TOO_LONG",
            PhoneError::InvalidLength => "PHONE_INVALID_LENGTH",
            PhoneError::InvalidRange => "PHONE_INVALID_RANGE",
            PhoneError::NoCountry => "PHONE_NO_COUNTRY",
            PhoneError::UnknownCountry => "PHONE_UNKNOWN_COUNTRY",
            PhoneError::UnknownCallingCode => "PHONE_UNKNOWN_CALLING_CODE",
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
            PhoneError::TooLong => {
                "the number has more digits than any number of its numbering plan"
            }
            PhoneError::InvalidLength => "the number's length is not one its numbering plan uses",
            PhoneError::InvalidRange => {
                "the number is in no range of its numbering plan (e.g. an unassigned area code)"
            }
            PhoneError::NoCountry => "the number is national and no default country is configured",
            PhoneError::UnknownCountry => "the default country is not supported",
            PhoneError::UnknownCallingCode => {
                "the international number's calling code does not exist"
            }
            PhoneError::BadCountryCode => {
                "the international number's country code starts with 0, which no calling code does"
            }
        }
    }
    /// Whether the value was a phone number that failed validation (as opposed to nothing, an
    /// e-mail address, or a missing country): such a candidate makes a skip
    /// `SKIP_INVALID_PHONE` when no valid number remains.
    pub const fn is_invalid_number(self) -> bool {
        !matches!(
            self,
            PhoneError::Empty
                | PhoneError::Email
                | PhoneError::NoCountry
                | PhoneError::UnknownCountry
        )
    }
}

/// A territory's numbering plan by ISO alpha-2 (case-insensitive), e.g. to check
/// `sender.defaultCountry` or to read its `calling_code`.
pub fn country(iso: &str) -> Option<&'static Region> {
    plan::by_iso(iso)
}

/// Every territory's ISO alpha-2 code known to the metadata.
pub fn countries() -> impl Iterator<Item = &'static str> {
    plan_data::REGIONS
        .iter()
        .filter(|r| !r.non_geographic())
        .map(|r| r.iso)
}

/// Normalize free text to E.164 with `default_country` (ISO alpha-2, or `None`), and validate it.
///
/// ```
/// use ehr_studio_bridge::phone::{normalize, Note, NumberType, PhoneError};
/// let (n, notes) = normalize("(617)555-0142", Some("US")).unwrap();
/// assert_eq!(n.e164, "+16175550142");
/// assert_eq!(n.number_type, NumberType::FixedLineOrMobile);
/// assert_eq!(notes.iter().collect::<Vec<_>>(), vec![Note::DefaultCountryUsed]);
/// let (n, _) = normalize("(617)555-1234X22", Some("US")).unwrap();
/// assert_eq!((n.e164.as_str(), n.extension.as_deref()), ("+16175551234", Some("22")));
/// assert_eq!(normalize("07911 123456", Some("GB")).unwrap().0.number_type, NumberType::Mobile);
/// assert_eq!(normalize("+33 6 12 34 56 78", None).unwrap().0.e164, "+33612345678");
/// assert_eq!(normalize("011 44 20 7946 0000", Some("US")).unwrap().0.e164, "+442079460000");
/// assert_eq!(normalize("(190)719-1440", Some("US")).unwrap_err(), PhoneError::InvalidRange);
/// assert_eq!(normalize("+61 4123 456 7890", None).unwrap_err(), PhoneError::InvalidLength);
/// assert_eq!(normalize("a@b.org", Some("US")).unwrap_err(), PhoneError::Email);
/// assert_eq!(normalize("+0904 433 7650", Some("US")).unwrap_err(), PhoneError::BadCountryCode);
/// ```
pub fn normalize(
    raw: &str,
    default_country: Option<&str>,
) -> Result<(PhoneNumber, Notes), PhoneError> {
    PhoneReader::new(default_country).normalize(raw)
}

/// [`normalize`] and [`from_parts`] for the numbers of one input: the default country is looked
/// up once, and each number is classified once however often it appears (the XTN text and its
/// components, the patient's work number and the callback number): classification — matching
/// the national number against its plan's patterns — is most of the cost of a number. The results
/// are those of [`normalize`] and [`from_parts`].
///
/// ```
/// use ehr_studio_bridge::phone::{normalize, PhoneReader};
/// let mut r = PhoneReader::new(Some("US"));
/// let a = r.normalize("(617)555-0142").unwrap();
/// let b = r.from_parts(Some("1"), Some("617"), "5550142", None).unwrap();
/// assert_eq!(a.0.e164, b.0.e164);
/// assert_eq!(a, normalize("(617)555-0142", Some("US")).unwrap());
/// ```
pub struct PhoneReader {
    /// The default country's region: `None` when none is given, `Some(None)` when it is unknown.
    home: Option<Option<&'static Region>>,
    memo: Memo,
}

impl PhoneReader {
    /// A reader with `default_country` (ISO alpha-2, or `None`).
    pub fn new(default_country: Option<&str>) -> Self {
        PhoneReader {
            home: default_country.map(plan::by_iso),
            memo: Memo::default(),
        }
    }

    /// [`normalize`] with this reader's default country.
    pub fn normalize(&mut self, raw: &str) -> Result<(PhoneNumber, Notes), PhoneError> {
        normalize_text(raw, self)
    }

    /// [`from_parts`] with this reader's default country.
    pub fn from_parts(
        &mut self,
        country_code: Option<&str>,
        area: Option<&str>,
        local: &str,
        extension: Option<&str>,
    ) -> Result<(PhoneNumber, Notes), PhoneError> {
        parts(country_code, area, local, extension, self)
    }
}

/// Classifications already made: (calling code, national number) → region and type.
#[derive(Default)]
struct Memo {
    /// Key: the calling code's length, then its digits and the national number's (at most 15).
    keys: [[u8; 16]; MEMO_SIZE],
    vals: [Option<(&'static Region, NumberType)>; MEMO_SIZE],
    len: usize,
}

const MEMO_SIZE: usize = 4;

impl Memo {
    fn key(cc: &str, nsn: &str) -> Option<[u8; 16]> {
        let mut k = [0u8; 16];
        let (first, rest) = k.split_first_mut()?;
        *first = u8::try_from(cc.len()).ok()?;
        let digits = cc.bytes().chain(nsn.bytes());
        if cc.len() + nsn.len() > rest.len() {
            return None;
        }
        for (d, b) in rest.iter_mut().zip(digits) {
            *d = b;
        }
        Some(k)
    }

    /// [`plan::classify`], remembered.
    fn classify(&mut self, cc: &str, nsn: &str) -> Option<(&'static Region, NumberType)> {
        let Some(key) = Self::key(cc, nsn) else {
            return plan::classify(cc, nsn);
        };
        let n = self.len.min(MEMO_SIZE);
        if let Some(i) = self.keys.iter().take(n).position(|k| *k == key) {
            return self.vals.get(i).copied().flatten();
        }
        let v = plan::classify(cc, nsn);
        // The first numbers are kept (an input has a handful).
        if let (Some(k), Some(slot)) = (self.keys.get_mut(n), self.vals.get_mut(n)) {
            *k = key;
            *slot = v;
            self.len = n + 1;
        }
        v
    }
}

fn normalize_text(raw: &str, reader: &mut PhoneReader) -> Result<(PhoneNumber, Notes), PhoneError> {
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
    if digits.len == 0 {
        return Err(PhoneError::Empty);
    }
    resolve(digits.as_str(), plus, reader, extension, notes, false)
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
    PhoneReader::new(default_country).from_parts(country_code, area, local, extension)
}

fn parts(
    country_code: Option<&str>,
    area: Option<&str>,
    local: &str,
    extension: Option<&str>,
    reader: &mut PhoneReader,
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
    let mut digits = Digits::new();
    let plus = !cc.is_empty();
    let area = if plus {
        area.trim_start_matches('0')
    } else {
        area
    };
    if !(digits.push_str(cc) && digits.push_str(area) && digits.push_str(local)) {
        return Err(PhoneError::TooLong);
    }
    resolve(digits.as_str(), plus, reader, ext, notes, true)
}

/// The digits of a number (after `+`, or as written), read as libphonenumber's parser does.
/// `structured`: the digits come from XTN components, where an area code without its trunk
/// prefix is the norm (no [`Note::NoTrunkPrefix`]).
fn resolve(
    digits: &str,
    plus: bool,
    reader: &mut PhoneReader,
    extension: Option<String>,
    mut notes: Notes,
    structured: bool,
) -> Result<(PhoneNumber, Notes), PhoneError> {
    let home = match reader.home {
        Some(h) => Some(h.ok_or(PhoneError::UnknownCountry)?),
        None => None,
    };
    let memo = &mut reader.memo;
    if plus {
        return international(digits, extension, notes, memo);
    }
    // The default country's international prefix (011 in NANP, 0011 in AU …).
    if let Some(n) = home.and_then(|h| h.idd_len(digits)) {
        return international(digits.get(n..).unwrap_or(""), extension, notes, memo);
    }
    // "00", the ITU-recommended prefix, when it gives a valid number (or there is no country).
    if let Some(rest) = digits.strip_prefix("00") {
        match international(rest, extension.clone(), notes, memo) {
            Ok(r) => return Ok(r),
            Err(e) if home.is_none() => return Err(e),
            Err(_) => {}
        }
    }
    let Some(home) = home else {
        return Err(PhoneError::NoCountry);
    };
    let cc = home.calling_code;
    // The country code without '+' (libphonenumber's maybeExtractCountryCode with a default
    // region): taken when the rest is a better national number, or the whole is too long.
    if let Some(potential) = digits.strip_prefix(cc) {
        let meta = plan::main_region(cc).unwrap_or(home);
        let stripped = meta
            .strip_national_prefix(potential)
            .unwrap_or_else(|| potential.to_owned());
        if (!home.general_pattern_matches(digits) && home.general_pattern_matches(&stripped))
            || home.test_length(digits) == plan::Length::TooLong
        {
            notes.push(Note::MissingPlus);
            let (nsn, _) = meta.national_significant(potential);
            return finish(cc, &nsn, extension, notes, memo);
        }
    }
    let (nsn, stripped) = home.national_significant(digits);
    if !stripped && !structured && !home.national_prefix.is_empty() && cc != "1" {
        notes.push(Note::NoTrunkPrefix);
    }
    notes.push(Note::DefaultCountryUsed);
    finish(cc, &nsn, extension, notes, memo)
}

/// The digits after `+` (or an international prefix).
fn international(
    digits: &str,
    extension: Option<String>,
    notes: Notes,
    memo: &mut Memo,
) -> Result<(PhoneNumber, Notes), PhoneError> {
    if digits.starts_with('0') {
        return Err(PhoneError::BadCountryCode);
    }
    if digits.len() < 3 {
        return Err(PhoneError::TooShort);
    }
    let Some((cc, rest)) = plan::split_calling_code(digits) else {
        return Err(if digits.len() > 17 {
            PhoneError::TooLong
        } else {
            PhoneError::UnknownCallingCode
        });
    };
    let meta = plan::main_region(cc).ok_or(PhoneError::UnknownCallingCode)?;
    // A national prefix written after the country code (+44 (0)20 …) is dropped.
    let (nsn, _) = meta.national_significant(rest);
    finish(cc, &nsn, extension, notes, memo)
}

/// Validate and classify a national significant number of calling code `cc`.
fn finish(
    cc: &str,
    nsn: &str,
    extension: Option<String>,
    notes: Notes,
    memo: &mut Memo,
) -> Result<(PhoneNumber, Notes), PhoneError> {
    if nsn.len() < 2 {
        return Err(PhoneError::TooShort);
    }
    if nsn.len() > 17 || cc.len() + nsn.len() > 15 {
        return Err(PhoneError::TooLong);
    }
    let Some((region, number_type)) = memo.classify(cc, nsn) else {
        let main = plan::main_region(cc).ok_or(PhoneError::UnknownCallingCode)?;
        return Err(match main.test_length(nsn) {
            plan::Length::TooShort | plan::Length::LocalOnly => PhoneError::TooShort,
            plan::Length::TooLong => PhoneError::TooLong,
            plan::Length::Invalid => PhoneError::InvalidLength,
            plan::Length::Possible => PhoneError::InvalidRange,
        });
    };
    let mut e164 = String::with_capacity(1 + cc.len() + nsn.len());
    e164.push('+');
    e164.push_str(cc);
    e164.push_str(nsn);
    Ok((
        PhoneNumber {
            e164,
            country: (!region.non_geographic()).then_some(region.iso),
            extension,
            number_type,
            kind: number_type.line_kind(),
        },
        notes,
    ))
}

/// Validate an E.164 string (`+` and digits only, as Table B carries it): the number, or why it
/// is not a valid one.
pub fn validate_e164(s: &str) -> Result<PhoneNumber, PhoneError> {
    let digits = s.strip_prefix('+').ok_or(PhoneError::NotANumber)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PhoneError::NotANumber);
    }
    if digits.len() > 15 {
        return Err(PhoneError::TooLong);
    }
    if digits.starts_with('0') {
        return Err(PhoneError::BadCountryCode);
    }
    let (cc, nsn) = plan::split_calling_code(digits).ok_or(PhoneError::UnknownCallingCode)?;
    finish(cc, nsn, None, Notes::default(), &mut Memo::default()).map(|(n, _)| n)
}

/// Sizes of the generated tables: regions, distinct patterns, pattern byte code.
pub fn plan_table_size() -> (usize, usize, usize) {
    plan::table_size()
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
            "011 1 617 555 0142",
        ] {
            assert_eq!(e(raw, Some("US")).unwrap(), "+16175550142", "{raw}");
        }
        assert_eq!(e("555-0142", Some("US")), Err(PhoneError::TooShort));
        assert_eq!(e("555.555.9999", Some("US")), Err(PhoneError::InvalidRange));
        assert_eq!(
            e("(123) 123-1234", Some("US")),
            Err(PhoneError::InvalidRange)
        );
        assert_eq!(
            e("(911) 555-1234", Some("US")),
            Err(PhoneError::InvalidRange)
        );
        assert_eq!(
            e("(617) 155-1234", Some("US")),
            Err(PhoneError::InvalidRange)
        );
        assert_eq!(e("78788788", Some("US")), Err(PhoneError::TooShort));
        assert_eq!(e("1-800-FLOWERS", Some("US")), Err(PhoneError::NotANumber));
        assert_eq!(e("6175550142", None), Err(PhoneError::NoCountry));
        // Canada shares +1: the region comes from the area code.
        let (n, _) = normalize("(604) 555-0199", Some("US")).unwrap();
        assert_eq!(n.country, Some("CA"));
        assert_eq!(n.kind, LineKind::Unknown);
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
        assert_eq!(
            e("0011 44 7911 123456", Some("AU")).unwrap(),
            "+447911123456"
        );
    }

    #[test]
    fn kinds_and_notes() {
        // GB numbers have 7, 9 or 10 national digits: 9 digits starting 78 is in no range.
        assert_eq!(e("0789898989", Some("GB")), Err(PhoneError::InvalidRange));
        // … and 8 digits are a local number without its area code.
        assert_eq!(e("07911 1234", Some("GB")), Err(PhoneError::InvalidRange));
        assert_eq!(e("+44 7911 1234", None), Err(PhoneError::TooShort));
        // Mexico: 10 digits (7 and 8 are local numbers); Australia: 5 to 12 digits but not 11.
        assert_eq!(e("55 1234 567", Some("MX")), Err(PhoneError::TooShort));
        assert_eq!(e("+61 4123 456 7890", None), Err(PhoneError::InvalidLength));
        let (n, notes) = normalize("07911 123456", Some("GB")).unwrap();
        assert_eq!(n.kind, LineKind::Mobile);
        assert!(notes.contains(&Note::DefaultCountryUsed));
        let (n, _) = normalize("0123456789", Some("FR")).unwrap();
        assert_eq!(n.kind, LineKind::Landline);
        let (n, notes) = normalize("447911123456", Some("GB")).unwrap();
        assert_eq!(n.e164, "+447911123456");
        assert!(notes.contains(&Note::MissingPlus));
        let (n, notes) = normalize("7911123456", Some("GB")).unwrap();
        assert_eq!(n.e164, "+447911123456");
        assert!(notes.contains(&Note::NoTrunkPrefix));
        let (n, _) = normalize("0800 123 4567", Some("GB")).unwrap();
        assert_eq!(
            (n.number_type, n.kind),
            (NumberType::TollFree, LineKind::NotSms)
        );
        let (n, _) = normalize("+800 1234 5678", None).unwrap();
        assert_eq!(n.country, None);
    }

    #[test]
    fn display_is_pam_safe() {
        let (n, _) = normalize("608 271 9000", Some("US")).unwrap();
        assert_eq!(n.display("1"), "(608) 271-9000");
        let (n, _) = normalize("+442079460000", None).unwrap();
        assert_eq!(n.display("1"), "+442079460000");
    }

    #[test]
    fn e164_validation() {
        assert!(validate_e164("+16175550142").is_ok());
        assert_eq!(validate_e164("+15555559999"), Err(PhoneError::InvalidRange));
        assert_eq!(
            validate_e164("+6141234567890"),
            Err(PhoneError::InvalidLength)
        );
        assert_eq!(validate_e164("+44791112345"), Err(PhoneError::InvalidRange));
        assert_eq!(validate_e164("6175550142"), Err(PhoneError::NotANumber));
    }

    #[test]
    fn never_panics_on_odd_input() {
        for raw in [
            "+",
            "00",
            "x",
            "++1",
            "0",
            "(",
            "B",
            "C text",
            "1x",
            "+1x2",
            "é",
            "٣٣٣",
            "0011",
            "011",
            "+999999999999999999",
        ] {
            let _ = normalize(raw, Some("GB"));
            let _ = normalize(raw, Some("US"));
            let _ = normalize(raw, Some("AR"));
            let _ = normalize(raw, None);
        }
    }
}
