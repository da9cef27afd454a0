//! The `studio` section (the flow and the sending number) and `sanitize` (how values the PAM flow
//! would reject are handled). Both types live with the Studio code ([`crate::studio`]); the profile
//! holds them.

use super::schema::Ty;
use crate::error::{Error, ErrorCode, Result};
use crate::studio::StudioConfig;

pub(super) const SCHEMA: &[(&str, Ty)] = &[
    ("flowSid", Ty::Str),
    ("from", Ty::Str),
    ("baseUrl", Ty::NullableStr),
];

pub(super) const SANITIZE: super::schema::Ty = Ty::Enum(&["repair", "strict"]);

/// The flow SID and sender must be well-formed; errors point into `/studio`.
pub(super) fn validate(studio: &Option<StudioConfig>) -> Result<()> {
    if let Some(s) = studio {
        s.validate().map_err(|e| {
            let ptr = e
                .position
                .as_ref()
                .and_then(|p| p.pointer.clone())
                .unwrap_or_default();
            Error::new(ErrorCode::ProfileBadValue, e.message).at_pointer(format!("/studio{ptr}"))
        })?;
    }
    Ok(())
}
