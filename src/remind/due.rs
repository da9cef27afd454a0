//! Whether a stored reminder goes out now ([`remind_due`]): the scheduler's "still useful if
//! late" rule, from the data the plan stored with the reminder.

use super::{codes, NotAfter};
use crate::event::AppointmentEvent;
use serde::{Deserialize, Serialize};

/// What a store keeps of a planned reminder, as [`remind_due`] and
/// [`super::build_remind_execution`] read it (the `create` / `update` entries of a plan; stores
/// may keep more keys, they are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredReminder {
    /// `rm1-…`.
    pub id: String,
    /// When to send (Unix ms).
    pub due_at_ms: i64,
    /// The last instant it is worth sending (Unix ms).
    pub not_after_ms: i64,
    /// Which rule set `notAfterMs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<NotAfter>,
    /// The appointment start (Unix ms).
    pub appointment_start_ms: i64,
    /// The values to send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<AppointmentEvent>,
}

/// What to do with a reminder now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DueAction {
    /// Build the REMIND execution and send it.
    Send,
    /// Not yet (`waitMs`).
    Wait,
    /// Record it as skipped (`code`).
    Skip,
}

/// The decision of [`remind_due`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Due {
    /// What to do.
    pub action: DueAction,
    /// Why it is skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// The code's explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// With `wait`: how long until it is due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_ms: Option<i64>,
}

/// Send, wait or skip a stored reminder at `now_ms`: before its instant, wait; from the
/// appointment start on, skip (`REMIND_APPOINTMENT_STARTED`); after `notAfterMs`, skip with the
/// code of the rule that set it (`REMIND_WINDOW_CLOSED`, `REMIND_TOO_LATE`); else send.
///
/// ```
/// use ehr_studio_bridge::remind::{remind_due, DueAction, StoredReminder};
/// let r = StoredReminder { id: "rm1-x".into(), due_at_ms: 1_000_000, not_after_ms: 4_600_000,
///     not_after: None, appointment_start_ms: 90_000_000, snapshot: None };
/// assert_eq!(remind_due(&r, 999_000).action, DueAction::Wait);
/// assert_eq!(remind_due(&r, 1_000_000).action, DueAction::Send);
/// assert_eq!(remind_due(&r, 4_600_001).code, Some("REMIND_TOO_LATE"));
/// ```
pub fn remind_due(r: &StoredReminder, now_ms: i64) -> Due {
    let skip = |code: &'static str| Due {
        action: DueAction::Skip,
        code: Some(code),
        reason: Some(codes::describe(code)),
        wait_ms: None,
    };
    if now_ms < r.due_at_ms {
        return Due {
            action: DueAction::Wait,
            code: None,
            reason: None,
            wait_ms: Some(r.due_at_ms.saturating_sub(now_ms)),
        };
    }
    if now_ms >= r.appointment_start_ms {
        return skip(codes::APPOINTMENT_STARTED);
    }
    if now_ms > r.not_after_ms {
        return skip(match r.not_after {
            Some(NotAfter::Window) => codes::WINDOW_CLOSED,
            Some(NotAfter::Appointment) => codes::APPOINTMENT_STARTED,
            Some(NotAfter::LateGrace) | None => codes::TOO_LATE,
        });
    }
    Due {
        action: DueAction::Send,
        code: None,
        reason: None,
        wait_ms: None,
    }
}
