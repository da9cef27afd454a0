//! The `filters` section: SMS consent and allow/deny lists that turn an event into
//! `SKIP_FILTERED`.

use super::schema::{check_filter_path, Ty};
use crate::error::Result;
use serde::{Deserialize, Serialize};

/// An allow/deny filter on one value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FilterRule {
    /// Where the value is read (default depends on the filter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// When non-empty, only these values pass (case-insensitive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    /// These values are skipped (case-insensitive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<String>,
}

impl FilterRule {
    /// Whether the filter `filters.<name>` stops an event whose value is `value` (empty when
    /// absent): `Some((rule, reason))` — e.g. `("filters.facility.deny", …)` — or `None` to send.
    /// Values are compared trimmed and case-insensitively; an absent value never matches `deny`
    /// and fails a non-empty `allow`.
    pub fn verdict(&self, name: &str, value: &str) -> Option<(String, String)> {
        let v = value.trim();
        let matches = |list: &[String]| list.iter().any(|x| x.trim().eq_ignore_ascii_case(v));
        if !v.is_empty() && matches(&self.deny) {
            return Some((
                format!("filters.{name}.deny"),
                format!("the {name} is in the profile's deny list"),
            ));
        }
        if !self.allow.is_empty() && !matches(&self.allow) {
            return Some((
                format!("filters.{name}.allow"),
                format!("the {name} is not in the profile's allow list"),
            ));
        }
        None
    }
}

/// What to do when the consent field is absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WhenMissing {
    /// Skip (no evidence of consent).
    #[default]
    Skip,
    /// Send.
    Send,
}

/// The SMS consent filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsentFilter {
    /// Where consent is read (e.g. `PD1-12`, `ZPI-3`).
    pub path: String,
    /// Values that mean "consented" (case-insensitive; default `["Y"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    /// What an absent value means.
    #[serde(default)]
    pub when_missing: WhenMissing,
}

impl ConsentFilter {
    /// Decide on the consent value read at [`ConsentFilter::path`] (`None` when absent):
    /// `Some((rule, reason))` to skip, or `None` to send. Values compare case-insensitively.
    pub fn verdict(&self, value: Option<&str>) -> Option<(String, String)> {
        match value {
            Some(v) => {
                let consented = match &self.values {
                    Some(list) => list.iter().any(|x| x.eq_ignore_ascii_case(v)),
                    None => v.eq_ignore_ascii_case("Y"),
                };
                (!consented).then(|| {
                    (
                        "filters.smsConsent".into(),
                        "the SMS consent field does not hold a consent value".into(),
                    )
                })
            }
            None => (self.when_missing == WhenMissing::Skip).then(|| {
                (
                    "filters.smsConsent.whenMissing".into(),
                    "the SMS consent field is empty and the profile skips when consent is missing"
                        .into(),
                )
            }),
        }
    }
}

/// `filters` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Filters {
    /// SMS consent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_consent: Option<ConsentFilter>,
    /// Facility (default path `MSH-4.1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<FilterRule>,
    /// Appointment type (default path `SCH-8.1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointment_type: Option<FilterRule>,
    /// Provider (default: the mapped `provider_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<FilterRule>,
    /// Location (default: the mapped `appointment_location`, before sanitization).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<FilterRule>,
}

const RULE: &[(&str, Ty)] = &[
    ("path", Ty::NullableStr),
    ("allow", Ty::StrList),
    ("deny", Ty::StrList),
];
const CONSENT: &[(&str, Ty)] = &[
    ("path", Ty::Str),
    ("values", Ty::StrList),
    ("whenMissing", Ty::Enum(&["skip", "send"])),
];
pub(super) const SCHEMA: &[(&str, Ty)] = &[
    ("smsConsent", Ty::Obj(CONSENT)),
    ("facility", Ty::Obj(RULE)),
    ("appointmentType", Ty::Obj(RULE)),
    ("provider", Ty::Obj(RULE)),
    ("location", Ty::Obj(RULE)),
];

/// Filter paths must be HL7 paths or JSON pointers.
pub(super) fn validate(f: &Filters) -> Result<()> {
    if let Some(c) = &f.sms_consent {
        check_filter_path(&c.path, "/filters/smsConsent/path")?;
    }
    for (name, r) in [
        ("facility", &f.facility),
        ("appointmentType", &f.appointment_type),
        ("provider", &f.provider),
        ("location", &f.location),
    ] {
        if let Some(p) = r.as_ref().and_then(|r| r.path.as_ref()) {
            check_filter_path(p, &format!("/filters/{name}/path"))?;
        }
    }
    Ok(())
}
