//! The one error type of the crate.
//!
//! Every failure carries a stable `SCREAMING_SNAKE` [`ErrorCode`], a human message and, where it
//! applies, a [`Position`] (HL7 segment/field coordinates, a byte offset, or a JSON pointer).
//!
//! **No PHI in errors.** Messages are built only from static text, segment names, field numbers and
//! lengths — never from field values. Tests in this module and in `tests/` assert this for every
//! code path that formats a message.

use serde::Serialize;
use std::fmt;

macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $text:literal, )*) => {
        /// Stable error codes. The string form (see [`ErrorCode::as_str`]) is part of the public API
        /// and is what JavaScript sees as `error.code`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl ErrorCode {
            /// The stable code string, e.g. `"HL7_NO_MSH"`.
            pub const fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $text, )* }
            }

            /// Every code, in declaration order (used by docs and tests).
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];
        }
    };
}

error_codes! {
    // ---- input ---------------------------------------------------------------------------
    /// The input was empty (or only whitespace / MLLP framing).
    EmptyInput = "EMPTY_INPUT",
    /// The input is larger than the configured or built-in limit.
    InputTooLarge = "INPUT_TOO_LARGE",
    /// The input kind could not be detected (not HL7 v2, FHIR, Redox or Table B JSON).
    UnknownInputKind = "UNKNOWN_INPUT_KIND",
    /// An argument passed from the host had the wrong type or shape.
    BadArgument = "BAD_ARGUMENT",
    /// A bug in this library (e.g. a result that could not be serialized). Please report it.
    Internal = "INTERNAL",

    // ---- HL7 v2 ----------------------------------------------------------------------------
    /// The message does not start with an `MSH` (or batch `FHS`/`BHS`) segment.
    Hl7NoMsh = "HL7_NO_MSH",
    /// MSH-1/MSH-2 do not define a usable, unambiguous set of delimiters.
    Hl7BadEncodingChars = "HL7_BAD_ENCODING_CHARS",
    /// A path query (e.g. `PID-13[2].1`) is not well formed.
    Hl7BadPath = "HL7_BAD_PATH",
    /// A segment name is not three upper-case letters or digits (writer input).
    Hl7BadSegmentName = "HL7_BAD_SEGMENT_NAME",
    /// An MLLP frame was opened (0x0B) but never closed (0x1C 0x0D).
    Hl7MllpUnterminated = "HL7_MLLP_UNTERMINATED",
    /// An HL7 date/time (TS/DTM) value is not well formed.
    Hl7BadDatetime = "HL7_BAD_DATETIME",
    /// A value the writer was asked to emit cannot be represented (e.g. a delimiter in a segment name).
    Hl7BadValue = "HL7_BAD_VALUE",

    // ---- JSON (FHIR, vendor, replies, profiles) --------------------------------------------
    /// The input is not valid JSON (or not UTF-8).
    JsonInvalid = "JSON_INVALID",
    /// The JSON nests deeper than the supported limit.
    JsonTooDeep = "JSON_TOO_DEEP",
    /// A JSON value has the wrong type (e.g. an object where a string was expected).
    JsonBadType = "JSON_BAD_TYPE",

    // ---- profile / configuration ----------------------------------------------------------
    /// The profile contains an unknown key (typo guard).
    ProfileUnknownKey = "PROFILE_UNKNOWN_KEY",
    /// A profile value is invalid (wrong type, out of range, malformed).
    ProfileBadValue = "PROFILE_BAD_VALUE",
    /// The profile names an unknown IANA time zone.
    ProfileBadTimezone = "PROFILE_BAD_TIMEZONE",
    /// The profile gives a source path that does not parse.
    ProfileBadPath = "PROFILE_BAD_PATH",
    /// The profile names a preset that does not exist.
    ProfileUnknownPreset = "PROFILE_UNKNOWN_PRESET",

    // ---- mapping ---------------------------------------------------------------------------
    /// Strict sanitization mode rejected a value the PAM flow would not accept.
    MapStrictRejected = "MAP_STRICT_REJECTED",
    /// A required Table B value could not be produced and no skip applies.
    MapMissingRequired = "MAP_MISSING_REQUIRED",
    /// A date/time could not be interpreted.
    MapBadDatetime = "MAP_BAD_DATETIME",
    /// An appointment event object passed in (e.g. Table B JSON) is invalid.
    MapBadEvent = "MAP_BAD_EVENT",

    // ---- FHIR / vendor ---------------------------------------------------------------------
    /// The FHIR resource type is not one this library maps.
    FhirUnsupportedResource = "FHIR_UNSUPPORTED_RESOURCE",
    /// A FHIR reference could not be resolved or is malformed.
    FhirBadReference = "FHIR_BAD_REFERENCE",
    /// A FHIR element required for mapping is missing.
    FhirMissingElement = "FHIR_MISSING_ELEMENT",
    /// The Redox (vendor JSON) document is not a Scheduling message this library maps.
    RedoxUnsupported = "REDOX_UNSUPPORTED",

    // ---- Studio request --------------------------------------------------------------------
    /// The Studio configuration (flow SID, From, credentials) is invalid.
    StudioBadConfig = "STUDIO_BAD_CONFIG",
    /// A phone number is not valid E.164.
    StudioBadPhone = "STUDIO_BAD_PHONE",

    // ---- replies (Twilio -> EHR) -----------------------------------------------------------
    /// A reply body field is missing.
    ReplyMissingField = "REPLY_MISSING_FIELD",
    /// The reply's event_type is not Confirm/Cancel.
    ReplyUnknownEvent = "REPLY_UNKNOWN_EVENT",
    /// The reply body exceeds the size limit.
    ReplyTooLarge = "REPLY_TOO_LARGE",
    /// The reply has the wrong content type.
    ReplyBadContentType = "REPLY_BAD_CONTENT_TYPE",
    /// The signature check could not run (missing header, malformed URL).
    SignatureBadInput = "SIGNATURE_BAD_INPUT",
    /// The Studio flow definition could not be patched.
    FlowPatchFailed = "FLOW_PATCH_FAILED",
    /// The EHR's response (ACK/SRR/HTTP) could not be interpreted.
    EhrResponseUnparseable = "EHR_RESPONSE_UNPARSEABLE",
    /// A reply field is present but unusable (control characters, longer than the limit).
    ReplyBadField = "REPLY_BAD_FIELD",
    /// The Appointment passed in as "current" is not the one the reply is about.
    ReplyAppointmentMismatch = "REPLY_APPOINTMENT_MISMATCH",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Where an error (or warning) was found. Coordinates are 1-based like HL7 itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Position {
    /// Segment name, e.g. `"PID"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// 1-based index of the segment in the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment_index: Option<usize>,
    /// 1-based field number (MSH-1 is the field separator).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<usize>,
    /// 1-based repetition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repetition: Option<usize>,
    /// 1-based component.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<usize>,
    /// 1-based subcomponent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subcomponent: Option<usize>,
    /// Byte offset in the (decoded, UTF-8) input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
    /// JSON pointer (RFC 6901) into a JSON input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

impl Position {
    /// A position at a byte offset.
    pub fn at_offset(offset: usize) -> Self {
        Position {
            offset: Some(offset),
            ..Default::default()
        }
    }

    /// A position in a JSON document.
    pub fn pointer(p: impl Into<String>) -> Self {
        Position {
            pointer: Some(p.into()),
            ..Default::default()
        }
    }

    /// A position at a segment/field.
    pub fn field(segment: &str, segment_index: Option<usize>, field: usize) -> Self {
        Position {
            segment: Some(segment.to_owned()),
            segment_index,
            field: Some(field),
            ..Default::default()
        }
    }

    /// Render as a short human string such as `PID-13[2].1` or `/entry/0/resource`.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        if let Some(seg) = &self.segment {
            s.push_str(seg);
            if let Some(f) = self.field {
                s.push('-');
                s.push_str(&f.to_string());
                if let Some(r) = self.repetition {
                    s.push('[');
                    s.push_str(&r.to_string());
                    s.push(']');
                }
                if let Some(c) = self.component {
                    s.push('.');
                    s.push_str(&c.to_string());
                    if let Some(sc) = self.subcomponent {
                        s.push('.');
                        s.push_str(&sc.to_string());
                    }
                }
            }
        }
        if let Some(p) = &self.pointer {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(if p.is_empty() { "/" } else { p });
        }
        if let Some(o) = self.offset {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str("at byte ");
            s.push_str(&o.to_string());
        }
        s
    }
}

/// The crate's error. See the module docs for the no-PHI rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Error {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// Human-readable explanation (never contains input values).
    pub message: String,
    /// Where in the input the problem is (boxed to keep `Result`s small).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<Box<Position>>,
}

impl Error {
    /// A new error without position.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            position: None,
        }
    }

    /// Attach a position.
    pub fn at(mut self, position: Position) -> Self {
        self.position = Some(Box::new(position));
        self
    }

    /// Shorthand for an error at a JSON pointer.
    pub fn at_pointer(self, pointer: impl Into<String>) -> Self {
        self.at(Position::pointer(pointer))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(p) = &self.position {
            let d = p.describe();
            if !d.is_empty() {
                write!(f, " ({d})")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// A non-fatal finding: something was repaired, guessed or ignored. Warnings never stop a mapping;
/// hosts show them (the preview page lists them next to the field they concern).
///
/// `code` is a stable `SCREAMING_SNAKE` string (each module documents its codes); `field` names the
/// output field (e.g. a Table B key) the warning is about, when there is one. Like errors, warnings
/// never contain input values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Warning {
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Human-readable explanation (never contains input values).
    pub message: String,
    /// The output field concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    /// Where in the input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
}

impl Warning {
    /// A new warning.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Warning {
            code,
            message: message.into(),
            field: None,
            position: None,
        }
    }

    /// A warning with its code only (no message): what a lean mapping records (see
    /// [`crate::event::Detail::Codes`]).
    pub fn code_only(code: &'static str) -> Self {
        Warning {
            code,
            message: String::new(),
            field: None,
            position: None,
        }
    }

    /// Attach a position.
    pub fn at(mut self, position: Position) -> Self {
        self.position = Some(position);
        self
    }

    /// Attach the output field it concerns.
    pub fn for_field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }
}

/// Crate-wide result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_screaming_snake() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(
                s.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
                "{s} is not SCREAMING_SNAKE"
            );
        }
    }

    #[test]
    fn display_includes_code_and_position() {
        let e =
            Error::new(ErrorCode::Hl7BadPath, "component must be a positive number").at(Position {
                segment: Some("PID".into()),
                field: Some(13),
                repetition: Some(2),
                component: Some(1),
                ..Default::default()
            });
        assert_eq!(
            e.to_string(),
            "HL7_BAD_PATH: component must be a positive number (PID-13[2].1)"
        );
        let j = serde_json::to_value(&e).unwrap();
        assert_eq!(j["code"], "HL7_BAD_PATH");
        assert_eq!(j["position"]["field"], 13);
    }
}
