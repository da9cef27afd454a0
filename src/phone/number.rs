//! What a valid number is: [`PhoneNumber`], its plan type ([`NumberType`]) and the SMS-relevant
//! summary ([`LineKind`]).

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
