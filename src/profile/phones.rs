//! The `phones` section: which numbers may be texted and how the callback number is written.
//! (The selection itself is `crate::inbound::common`'s phone chooser over `crate::phone`.)

use super::schema::Ty;
use serde::{Deserialize, Serialize};

/// How `provider_callback_phone` is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CallbackFormat {
    /// `(608) 271-9000` for numbers of a NANP default country, E.164 otherwise.
    #[default]
    National,
    /// Always E.164.
    E164,
}

/// `phones` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Phones {
    /// Accept a work number (PID-14, use code WPN) when there is no other.
    #[serde(default)]
    pub allow_work: bool,
    /// Accept a number whose range is a landline.
    #[serde(default)]
    pub allow_landline: bool,
    /// Only accept numbers marked mobile (equipment CP, use text MOBILE/CELL) or in a mobile range.
    #[serde(default)]
    pub require_mobile: bool,
    /// Format of `provider_callback_phone`.
    #[serde(default)]
    pub callback_format: CallbackFormat,
}

pub(super) const SCHEMA: &[(&str, Ty)] = &[
    ("allowWork", Ty::Bool),
    ("allowLandline", Ty::Bool),
    ("requireMobile", Ty::Bool),
    ("callbackFormat", Ty::Enum(&["national", "e164"])),
];
