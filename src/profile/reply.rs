//! The `reply` section: patient replies → EHR requests ([`crate::reply::ReplyConfig`], with its
//! own typed schema); errors point into `/reply/...`.

use super::hl7::AppointmentIdChoice;
use super::Profile;
use crate::error::Result;
use crate::reply::config::AppointmentIdField;
use crate::reply::ReplyConfig;
use serde_json::Value;

/// Typed errors with a pointer into the section, before the whole-profile pass.
pub(super) fn check_typed(merged: &Value) -> Result<()> {
    if let Some(r) = merged.get("reply") {
        serde_json::from_value::<ReplyConfig>(r.clone())
            .map_err(|e| crate::reply::config::config_error(&e).at_pointer("/reply"))?;
    }
    Ok(())
}

/// The reply's ARQ id field follows the outbound choice of `appointment_id` unless the profile
/// sets `reply.hl7.appointmentId` itself: the id that comes back is the one we sent.
pub(super) fn follow_appointment_id(p: &mut Profile, reply_id_given: bool) {
    if reply_id_given {
        return;
    }
    if let Some(h) = p.reply.hl7.as_mut() {
        h.appointment_id = match p.hl7.appointment_id {
            AppointmentIdChoice::Filler => AppointmentIdField::Filler,
            AppointmentIdChoice::Placer => AppointmentIdField::Placer,
        };
    }
}

/// Ranges, enumerations and URL shapes; pointers are prefixed with `/reply`.
pub(super) fn validate(r: &ReplyConfig) -> Result<()> {
    r.validate().map_err(|mut e| {
        if let Some(p) = e.position.as_mut().and_then(|p| p.pointer.as_mut()) {
            p.insert_str(0, "/reply");
        }
        e
    })
}
