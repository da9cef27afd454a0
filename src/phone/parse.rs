//! Parsing: free text ([`normalize`]) and XTN components ([`from_parts`]) → digits, then the
//! international prefix, calling code and national prefix as libphonenumber reads them, and the
//! validation against the plan ([`validate_e164`] for E.164 strings).

use super::plan;
use super::reader::Memo;
use super::{Note, Notes, PhoneError, PhoneNumber, PhoneReader};

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

pub(super) fn normalize_text(
    raw: &str,
    reader: &mut PhoneReader,
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

pub(super) fn parts(
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
