//! The `sender` section: the sending site's zone, phone country and DST policy.

use super::schema::{bad, Ty};
use super::Profile;
use crate::error::{Error, ErrorCode, Result};
use crate::time::AmbiguousPolicy;
use serde::{Deserialize, Serialize};

/// `sender` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Sender {
    /// IANA zone of the sender's unzoned timestamps (`America/Chicago`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// ISO 3166 alpha-2 used to read national phone numbers. When absent, `US` is used and a
    /// `PHONE_DEFAULT_COUNTRY_ASSUMED` warning says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_country: Option<String>,
    /// Which instant a local time that occurs twice (DST fall-back) means.
    #[serde(default)]
    pub ambiguous_time: AmbiguousPolicy,
}

pub(super) const SCHEMA: &[(&str, Ty)] = &[
    ("timeZone", Ty::NullableStr),
    ("defaultCountry", Ty::NullableStr),
    ("ambiguousTime", Ty::Enum(&["earlier", "later"])),
];

/// Zones and countries must be known.
pub(super) fn validate(s: &Sender) -> Result<()> {
    if let Some(tz) = &s.time_zone {
        if crate::time::parse_zone(tz).is_none() {
            return Err(Error::new(
                ErrorCode::ProfileBadTimezone,
                "not an IANA time zone name (e.g. America/New_York)",
            )
            .at_pointer("/sender/timeZone"));
        }
    }
    if let Some(c) = &s.default_country {
        if crate::phone::country(c).is_none() {
            return Err(bad(
                "/sender/defaultCountry",
                "unsupported country (ISO 3166 alpha-2 of a known numbering plan, e.g. US, GB, FR)",
            ));
        }
    }
    Ok(())
}

impl Profile {
    /// The effective default country (`US` when not configured) and whether it was configured.
    pub fn default_country(&self) -> (&str, bool) {
        match &self.sender.default_country {
            Some(c) => (c.as_str(), true),
            None => ("US", false),
        }
    }
}
