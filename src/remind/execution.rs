//! The REMIND execution: the stored snapshot with `event_type = REMIND` and `event_datetime_utc =
//! now` (what the template's Lambda sends, contract §2.4), through the same sanitization and
//! Studio request builder as every other event.

use super::{clock, StoredReminder};
use crate::error::{Error, ErrorCode, Result, Warning};
use crate::profile::SanitizeMode;
use crate::studio::sanitize::sanitize_event;
use crate::studio::{build_studio_execution, Credentials, StudioConfig, StudioRequest};
use serde::Serialize;

/// A REMIND request and the repairs its snapshot needed (none for a snapshot this library
/// planned).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemindRequest {
    /// The Executions request; `idempotencyKey` is the reminder id.
    pub request: StudioRequest,
    /// Sanitization warnings.
    pub warnings: Vec<Warning>,
}

/// Build the REMIND execution of a stored reminder at `now_ms`.
///
/// Errors: `BAD_ARGUMENT` (no snapshot, pointer `/snapshot`), the sanitizer's (`MAP_BAD_EVENT`,
/// `MAP_STRICT_REJECTED`, pointers under `/snapshot`) and the request builder's
/// (`STUDIO_BAD_CONFIG`, `STUDIO_BAD_PHONE`).
pub fn build_remind_execution(
    r: &StoredReminder,
    cfg: &StudioConfig,
    credentials: Option<&Credentials>,
    now_ms: i64,
    mode: SanitizeMode,
) -> Result<RemindRequest> {
    let mut e = r.snapshot.clone().ok_or_else(|| {
        Error::new(
            ErrorCode::BadArgument,
            "the reminder has no snapshot (only create and update entries are sent)",
        )
        .at_pointer("/snapshot")
    })?;
    let now = clock::naive(now_ms)
        .ok_or_else(|| Error::new(ErrorCode::BadArgument, "nowMs is out of range"))?;
    e.event_type = "REMIND".into();
    e.event_datetime_utc = crate::time::format_utc(now);
    let mut warnings = Vec::new();
    let in_snapshot = |mut err: Error| {
        let is_field = err
            .position
            .as_ref()
            .and_then(|p| p.pointer.as_deref())
            .and_then(|p| p.strip_prefix('/'))
            .is_some_and(|k| crate::event::Field::from_name(k).is_some());
        if is_field {
            if let Some(p) = err.position.as_mut().and_then(|p| p.pointer.as_mut()) {
                p.insert_str(0, "/snapshot");
            }
        }
        err
    };
    sanitize_event(&mut e, mode, &mut warnings).map_err(in_snapshot)?;
    let mut request = build_studio_execution(&e, cfg, credentials).map_err(in_snapshot)?;
    request.idempotency_key.clone_from(&r.id);
    Ok(RemindRequest { request, warnings })
}
