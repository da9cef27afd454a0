//! Why a number could not be normalized, or is not valid: [`PhoneError`].

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
