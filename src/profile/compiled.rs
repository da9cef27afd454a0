//! [`CompiledProfile`]: a profile that passed validation, with what every mapping reads resolved
//! once. It is what the mappers take, so no mapping validates the profile again.

use super::Profile;
use crate::error::Result;
use crate::time::{self, Tz};
use serde_json::Value;

/// A validated [`Profile`] with the sender's zone resolved: the one argument every mapper
/// (`map_input`, `map_hl7`, `map_fhir`, `map_redox`, `map_json`) takes. It can only be built
/// through validation ([`CompiledProfile::new`], [`CompiledProfile::from_json`], …) and cannot be
/// changed afterwards; it reads as a `&Profile` (`Deref`).
///
/// ```
/// use ehr_studio_bridge::{map_hl7, CompiledProfile};
/// let profile = CompiledProfile::from_json(r#"{"sender":{"timeZone":"America/Chicago"}}"#).unwrap();
/// let raw = std::fs::read("tests/fixtures/perf/siu_s12_small.hl7").unwrap();
/// let r = map_hl7(&raw, &profile).unwrap();
/// assert_eq!(r.event.unwrap().event_type, "BOOKED");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledProfile {
    profile: Profile,
    sender_zone: Option<Tz>,
}

impl CompiledProfile {
    /// Validate `profile` ([`Profile::validate`]) and compile it.
    pub fn new(profile: Profile) -> Result<CompiledProfile> {
        profile.validate()?;
        Ok(Self::validated(profile))
    }

    /// Parse, validate and compile a profile from JSON (see [`Profile::from_json`]).
    pub fn from_json(json: &str) -> Result<CompiledProfile> {
        Self::from_value(super::parse_json(json)?)
    }

    /// [`CompiledProfile::from_json`] for an already-parsed JSON value.
    pub fn from_value(v: Value) -> Result<CompiledProfile> {
        Self::new(Profile::from_value_unvalidated(v)?)
    }

    /// A preset by name (see [`super::PRESETS`]).
    pub fn preset(name: &str) -> Result<CompiledProfile> {
        Self::from_value(super::presets::named_preset_value(name)?)
    }

    /// Compile a profile that has just passed validation.
    fn validated(profile: Profile) -> CompiledProfile {
        let sender_zone = profile
            .sender
            .time_zone
            .as_deref()
            .and_then(time::parse_zone);
        CompiledProfile {
            profile,
            sender_zone,
        }
    }

    /// The profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The profile, for editing (compile it again afterwards).
    pub fn into_profile(self) -> Profile {
        self.profile
    }

    /// `sender.timeZone`, resolved.
    pub fn sender_zone(&self) -> Option<Tz> {
        self.sender_zone
    }
}

impl Default for CompiledProfile {
    /// The generic profile (always valid).
    fn default() -> Self {
        Self::validated(Profile::default())
    }
}

impl std::ops::Deref for CompiledProfile {
    type Target = Profile;
    fn deref(&self) -> &Profile {
        &self.profile
    }
}

impl TryFrom<Profile> for CompiledProfile {
    type Error = crate::error::Error;
    fn try_from(profile: Profile) -> Result<CompiledProfile> {
        Self::new(profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_only_through_validation() {
        let mut p = Profile::default();
        p.sender.time_zone = Some("Mars/Olympus".into());
        let e = CompiledProfile::new(p).unwrap_err();
        assert_eq!(e.code.as_str(), "PROFILE_BAD_TIMEZONE");
        let c = CompiledProfile::from_json(r#"{"preset":"renalware"}"#).unwrap();
        assert_eq!(c.sender_zone(), time::parse_zone("Europe/London"));
        assert_eq!(c.profile(), &Profile::preset("renalware").unwrap());
        assert_eq!(CompiledProfile::preset("renalware").unwrap(), c);
        assert_eq!(CompiledProfile::default().sender_zone(), None);
        let e = CompiledProfile::from_json(r#"{"sender":{"timezone":"UTC"}}"#).unwrap_err();
        assert_eq!(e.code.as_str(), "PROFILE_UNKNOWN_KEY");
    }
}
