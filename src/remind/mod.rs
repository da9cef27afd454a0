//! REMIND planning (docs/reminders.md): which reminders an appointment event creates, updates or
//! cancels ([`plan_reminders`]), whether a stored reminder is still worth sending when a scheduler
//! gets to it ([`remind_due`]), and the REMIND execution itself ([`build_remind_execution`]).
//!
//! The PAM flow has a REMIND branch but nothing in the EHR sends REMIND: the template's AWS Lambda
//! does, hourly, from the stored snapshot (contract §1.7, §2.4). This module replaces its rules
//! with data a host's durable store can act on, without its bugs: the outreach window is checked
//! at the reminder's own time (not the appointment's), each reminder has its own instant and id
//! (the Lambda sends both reminders in consecutive runs), a missing offset is a coded skip (not an
//! exception that aborts every appointment of the run), CONFIRMED can stop the reminders, and
//! nothing is logged.
//!
//! # The plan is the desired state
//!
//! [`plan_reminders`] is pure: it takes the mapped event, the profile's `reminders` section, the
//! host's clock and the reminders the host stored for the appointment (`existing`), and lists one
//! entry per reminder with an [`Action`]: `create` (store it, pending), `update` (replace the
//! stored snapshot; the time is the same unless the schedule changed), `keep` (already sent,
//! skipped or failed: leave it), `cancel` (a stored pending reminder that must not go out, with a
//! code) or `skip` (planned but not scheduled, with a code). After applying it, the pending
//! reminders of [`ReminderPlan::appointment_key`] are exactly the `create` and `update` entries —
//! a host that does not pass `existing` can cancel every other pending reminder of that key.
//! `unchanged: true` means the input says nothing about reminders: leave the store alone.
//!
//! Reminder ids (`rm1-…`) hash the patient id, appointment id, start instant and offset, so
//! re-planning the same appointment gives the same ids (a duplicate delivery changes nothing) and
//! a new start gives new ones (the old ones are cancelled with `REMIND_RESCHEDULED`). Ids and the
//! appointment key (`ak1-…`) are hashes: they carry no PHI and can be logged and used as keys.
//!
//! The module's rooms: [`codes`], the plan's types (`reminder.rs`), the planner's input
//! (`input.rs`), the planner (`plan.rs`), the late rule ([`remind_due`], `due.rs`), the REMIND
//! request (`execution.rs`) and the clock and window arithmetic ([`clock`]).

pub mod clock;
pub mod codes;
mod due;
mod execution;
mod input;
mod plan;
mod reminder;

pub use due::{remind_due, Due, DueAction, StoredReminder};
pub use execution::{build_remind_execution, RemindRequest};
pub use input::{PlanInput, Subject};
pub use plan::{appointment_key, plan_reminders};
pub use reminder::{Action, Existing, Moved, NotAfter, Reminder, ReminderPlan, Status};
