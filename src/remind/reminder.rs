//! What a plan is made of: the stored state of a reminder ([`Status`], [`Existing`]), the entries
//! of a plan ([`Reminder`] with its [`Action`]) and the plan itself ([`ReminderPlan`]).

use super::{codes, StoredReminder};
use crate::error::Warning;
use crate::event::AppointmentEvent;
use serde::{Deserialize, Serialize};

/// The stored state of a reminder, as the host's store keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    /// Waiting for its instant.
    Pending,
    /// Taken by a sender (a lease), not finished.
    Claimed,
    /// The REMIND execution was created.
    Sent,
    /// Not sent, for a coded reason.
    Skipped,
    /// Cancelled by a later plan.
    Canceled,
    /// Sending failed for good (or its outcome is unknown).
    Failed,
}

impl Status {
    /// Pending or claimed: may still go out.
    pub fn live(self) -> bool {
        matches!(self, Status::Pending | Status::Claimed)
    }
}

/// A reminder the host has stored for the appointment (only these keys are read; rows may carry
/// more).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Existing {
    /// The reminder id (`rm1-…`).
    pub id: String,
    /// Its stored state.
    pub status: Status,
    /// The appointment start it was planned for (tells a reschedule from a schedule change).
    #[serde(default)]
    pub appointment_start_ms: Option<i64>,
}

/// What the host does with a planned reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// Store it as pending.
    Create,
    /// Replace the stored one (snapshot, times); keep its state.
    Update,
    /// Already sent, skipped or failed: nothing to do.
    Keep,
    /// A stored pending reminder that must not be sent (`code` says why).
    Cancel,
    /// Not scheduled (`code` says why); a store may record it.
    Skip,
}

/// Why a reminder was moved to the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Moved {
    /// To the end of an earlier window.
    Earlier,
    /// To the start of a later window.
    Later,
}

/// Which rule sets [`Reminder::not_after_ms`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NotAfter {
    /// The appointment start.
    Appointment,
    /// The end of the outreach window of its day.
    Window,
    /// Its instant plus `lateGrace`.
    LateGrace,
}

/// One entry of a plan (see [`Action`] for which fields are set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reminder {
    /// `rm1-` + 32 hex: stable per (patient, appointment, start, offset).
    pub id: String,
    /// What to do.
    pub action: Action,
    /// Why (skip, cancel).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// The code's explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The appointment key (`ak1-…`).
    pub appointment_key: String,
    /// The profile offset it was planned from (absent for cancels of reminders the schedule no
    /// longer has).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<String>,
    /// The appointment start it is for (Unix ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_start_ms: Option<i64>,
    /// The offset's instant before any window move, UTC `…Z`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nominal_at: Option<String>,
    /// When to send, UTC `…Z`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
    /// When to send, Unix ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at_ms: Option<i64>,
    /// When to send, the patient's wall time `YYYY-MM-DDTHH:mm:ss`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_local: Option<String>,
    /// The patient's offset at that time, `±HHMM`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_offset: Option<String>,
    /// Set when the window moved it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved: Option<Moved>,
    /// The last instant it is still worth sending (Unix ms); [`remind_due`](super::remind_due)
    /// skips it after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after_ms: Option<i64>,
    /// Which rule set `notAfterMs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<NotAfter>,
    /// The 14 values to send (create, update): the event as mapped; the REMIND builder sets
    /// `event_type` and `event_datetime_utc`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<AppointmentEvent>,
}

impl Reminder {
    pub(super) fn bare(
        id: String,
        action: Action,
        code: Option<&'static str>,
        key: &str,
    ) -> Reminder {
        Reminder {
            id,
            action,
            code,
            reason: code.map(codes::describe),
            appointment_key: key.to_owned(),
            offset: None,
            appointment_start_ms: None,
            nominal_at: None,
            due_at: None,
            due_at_ms: None,
            due_local: None,
            due_offset: None,
            moved: None,
            not_after_ms: None,
            not_after: None,
            snapshot: None,
        }
    }

    /// What a store keeps for a `create` / `update` entry (what [`remind_due`](super::remind_due)
    /// and [`build_remind_execution`](super::build_remind_execution) read); `None` for the other
    /// actions.
    pub fn stored(&self) -> Option<StoredReminder> {
        if !matches!(self.action, Action::Create | Action::Update) {
            return None;
        }
        Some(StoredReminder {
            id: self.id.clone(),
            due_at_ms: self.due_at_ms?,
            not_after_ms: self.not_after_ms?,
            not_after: self.not_after,
            appointment_start_ms: self.appointment_start_ms?,
            snapshot: self.snapshot.clone(),
        })
    }
}

/// The reminders of one appointment after an event (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReminderPlan {
    /// `ak1-` + 32 hex of (patient id, appointment id): the store's key for the appointment
    /// (`null` when the input names no appointment).
    pub appointment_key: Option<String>,
    /// The event planned for.
    pub event_type: Option<String>,
    /// The input says nothing about reminders: do not touch the store.
    pub unchanged: bool,
    /// Plan-level code (cancel-all, no reminders, not configured…).
    pub code: Option<&'static str>,
    /// The code's explanation.
    pub reason: Option<&'static str>,
    /// The IANA zone of the wall times (`null`: the fixed offset of `appointment_timezone`).
    pub time_zone: Option<String>,
    /// The appointment start, UTC `…Z`.
    pub appointment_start: Option<String>,
    /// The appointment start, Unix ms.
    pub appointment_start_ms: Option<i64>,
    /// One entry per planned reminder (in time order), then the cancellations of stored ones.
    pub reminders: Vec<Reminder>,
    /// Coded doubts (fixed offsets, DST resolutions, a start moved by MODIFIED).
    pub warnings: Vec<Warning>,
}

impl ReminderPlan {
    pub(super) fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self.reason = Some(codes::describe(code));
        self
    }
}
