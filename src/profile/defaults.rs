//! The `defaults` section: fallbacks when a Table B key has no source value.

use super::schema::{bad, Ty};
use crate::error::Result;
use crate::event::{AppointmentEvent, Field, Provenance};
use serde::{Deserialize, Serialize};

/// `defaults` section: fallbacks when a key has no source value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Defaults {
    /// Fallback `provider_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// Fallback `provider_first_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_first_name: Option<String>,
    /// Fallback `provider_last_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_last_name: Option<String>,
    /// Fallback `provider_callback_phone` (written as given; `[0-9+\-() ]` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_callback_phone: Option<String>,
    /// Fallback `appointment_location`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointment_location: Option<String>,
}

impl Defaults {
    /// The default for a key, with its profile setting name.
    pub fn for_field(&self, f: Field) -> Option<(&str, &'static str)> {
        let (v, name) = match f {
            Field::ProviderId => (&self.provider_id, "profile.defaults.providerId"),
            Field::ProviderFirstName => (
                &self.provider_first_name,
                "profile.defaults.providerFirstName",
            ),
            Field::ProviderLastName => (
                &self.provider_last_name,
                "profile.defaults.providerLastName",
            ),
            Field::ProviderCallbackPhone => (
                &self.provider_callback_phone,
                "profile.defaults.providerCallbackPhone",
            ),
            Field::AppointmentLocation => (
                &self.appointment_location,
                "profile.defaults.appointmentLocation",
            ),
            _ => return None,
        };
        v.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| (s, name))
    }

    /// Set `f` of `e` to its profile default, or clear it when there is none; the provenance to
    /// record (`none_rule` names why there was no source value).
    pub fn fill(&self, e: &mut AppointmentEvent, f: Field, none_rule: &'static str) -> Provenance {
        match self.for_field(f) {
            Some((v, setting)) => {
                *e.get_mut(f) = v.to_owned();
                Provenance::profile(setting, "profile default (no source value)")
            }
            None => {
                e.get_mut(f).clear();
                Provenance::none(none_rule)
            }
        }
    }
}

pub(super) const SCHEMA: &[(&str, Ty)] = &[
    ("providerId", Ty::NullableStr),
    ("providerFirstName", Ty::NullableStr),
    ("providerLastName", Ty::NullableStr),
    ("providerCallbackPhone", Ty::NullableStr),
    ("appointmentLocation", Ty::NullableStr),
];

/// A default must be a value the PAM flow accepts as is.
pub(super) fn validate(d: &Defaults) -> Result<()> {
    if let Some(cb) = &d.provider_callback_phone {
        if !crate::studio::params::pam_phone_ok(cb) {
            return Err(bad(
                "/defaults/providerCallbackPhone",
                "the PAM flow accepts only digits, '+', '-', '(', ')' and spaces here",
            ));
        }
    }
    for (f, name) in [
        (Field::ProviderFirstName, "providerFirstName"),
        (Field::ProviderLastName, "providerLastName"),
        (Field::AppointmentLocation, "appointmentLocation"),
        (Field::ProviderId, "providerId"),
    ] {
        if let Some((v, _)) = d.for_field(f) {
            if crate::studio::params::check_value(f, v)
                .or_else(|| crate::studio::params::hazard(f, v))
                .is_some()
            {
                return Err(bad(
                    &format!("/defaults/{name}"),
                    "the PAM flow would reject this value (see the contract's validator rules)",
                ));
            }
        }
    }
    Ok(())
}
