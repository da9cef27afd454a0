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

pub mod clock;
mod due;
mod execution;

pub use due::{remind_due, Due, DueAction, StoredReminder};
pub use execution::{build_remind_execution, RemindRequest};

use crate::error::{Error, ErrorCode, Result, Warning};
use crate::event::{hashed_key, skip_codes, AppointmentEvent, EventType, MapResult};
use crate::profile::reminders::{Offset, OnConfirmed, OutsideWindow, Schedule};
use crate::profile::Profile;
use crate::studio::sanitize::encode_id;
use crate::time::{self, Resolution};
use clock::Tz;
use serde::{Deserialize, Serialize};

/// Reminder codes: plan-level (`ReminderPlan.code`), per reminder (`skip` / `cancel`), from
/// [`remind_due`], and warnings. Stable strings, part of the public API.
pub mod codes {
    /// The profile has no `reminders` section (`unchanged`).
    pub const NOT_CONFIGURED: &str = "REMIND_NOT_CONFIGURED";
    /// The mapping was a skip that says nothing about reminders (`unchanged`): not a scheduling
    /// event, no relevant change, a fetch is needed, …
    pub const EVENT_SKIPPED: &str = "REMIND_EVENT_SKIPPED";
    /// CANCELED: every pending reminder is cancelled.
    pub const APPOINTMENT_CANCELED: &str = "REMIND_APPOINTMENT_CANCELED";
    /// NOSHOWED: every pending reminder is cancelled.
    pub const APPOINTMENT_NOSHOW: &str = "REMIND_APPOINTMENT_NOSHOW";
    /// CONFIRMED with `onConfirmed: cancel`.
    pub const CONFIRMED: &str = "REMIND_CONFIRMED";
    /// The event was filtered (`SKIP_FILTERED`, e.g. SMS consent withdrawn): pending reminders
    /// are cancelled.
    pub const FILTERED: &str = "REMIND_FILTERED";
    /// The patient has no usable mobile number any more (`SKIP_NO_MOBILE_PHONE`).
    pub const NO_MOBILE_PHONE: &str = "REMIND_NO_MOBILE_PHONE";
    /// The appointment starts before the planning instant: no reminders.
    pub const APPOINTMENT_PAST: &str = "REMIND_APPOINTMENT_PAST";
    /// No IANA zone is known and the offset is `+0000`, which is never taken as the patient's
    /// zone: no reminders (set `sender.timeZone` or send zoned times).
    pub const NO_TIME_ZONE: &str = "REMIND_NO_TIME_ZONE";
    /// Outside the outreach window with `outsideWindow: drop`.
    pub const OUTSIDE_WINDOW: &str = "REMIND_OUTSIDE_WINDOW";
    /// No instant in the window within 8 days in the direction of the move.
    pub const NO_WINDOW_SLOT: &str = "REMIND_NO_WINDOW_SLOT";
    /// The reminder would not be before the start (moved later past it, or a `0d@HH:MM` after it).
    pub const NOT_BEFORE_START: &str = "REMIND_NOT_BEFORE_START";
    /// The reminder's instant has passed when planning.
    pub const TIME_PASSED: &str = "REMIND_TIME_PASSED";
    /// BOOKED / RESCHEDULED: due sooner than `minNotice` after planning.
    pub const TOO_CLOSE_TO_BOOKING: &str = "REMIND_TOO_CLOSE_TO_BOOKING";
    /// Due sooner than `minSpacing` after the previous reminder.
    pub const TOO_CLOSE_TO_PREVIOUS: &str = "REMIND_TOO_CLOSE_TO_PREVIOUS";
    /// A pending reminder for another start time (the appointment moved).
    pub const RESCHEDULED: &str = "REMIND_RESCHEDULED";
    /// A pending reminder the schedule no longer has (the profile's offsets changed).
    pub const REPLANNED: &str = "REMIND_REPLANNED";
    /// `remindDue`: more than `lateGrace` after its instant.
    pub const TOO_LATE: &str = "REMIND_TOO_LATE";
    /// `remindDue`: its outreach window has closed.
    pub const WINDOW_CLOSED: &str = "REMIND_WINDOW_CLOSED";
    /// `remindDue`: the appointment has started.
    pub const APPOINTMENT_STARTED: &str = "REMIND_APPOINTMENT_STARTED";
    /// Warning: no IANA zone is known; windows are read at the appointment's fixed offset (wrong
    /// by the DST difference when a change falls between reminder and appointment).
    pub const FIXED_OFFSET: &str = "REMIND_FIXED_OFFSET";
    /// Warning: the zone's offset at the start is not `appointment_timezone`; the fixed offset
    /// was used.
    pub const ZONE_MISMATCH: &str = "REMIND_ZONE_MISMATCH";
    /// Warning: a calendar offset's wall time does not exist that day (moved forward).
    pub const DST_GAP: &str = "REMIND_DST_GAP";
    /// Warning: a calendar offset's wall time occurs twice that day (`sender.ambiguousTime`).
    pub const DST_OVERLAP: &str = "REMIND_DST_OVERLAP";
    /// Warning: a MODIFIED or CONFIRMED event moved the start: reminders are re-planned, but the
    /// stock flow resets its reminder count only on BOOKED and RESCHEDULED, so a reminder may be
    /// refused (`MAX_REMINDERS_REACHED`); map time changes to RESCHEDULED.
    pub const START_CHANGED: &str = "REMIND_START_CHANGED";

    /// Every code.
    pub const ALL: &[&str] = &[
        NOT_CONFIGURED,
        EVENT_SKIPPED,
        APPOINTMENT_CANCELED,
        APPOINTMENT_NOSHOW,
        CONFIRMED,
        FILTERED,
        NO_MOBILE_PHONE,
        APPOINTMENT_PAST,
        NO_TIME_ZONE,
        OUTSIDE_WINDOW,
        NO_WINDOW_SLOT,
        NOT_BEFORE_START,
        TIME_PASSED,
        TOO_CLOSE_TO_BOOKING,
        TOO_CLOSE_TO_PREVIOUS,
        RESCHEDULED,
        REPLANNED,
        TOO_LATE,
        WINDOW_CLOSED,
        APPOINTMENT_STARTED,
        FIXED_OFFSET,
        ZONE_MISMATCH,
        DST_GAP,
        DST_OVERLAP,
        START_CHANGED,
    ];

    /// The human explanation of a code (static text, no values).
    pub fn describe(code: &str) -> &'static str {
        match code {
            NOT_CONFIGURED => "the profile has no reminders section",
            EVENT_SKIPPED => "the input was skipped for a reason that does not concern the reminders",
            APPOINTMENT_CANCELED => "the appointment was cancelled",
            APPOINTMENT_NOSHOW => "the patient did not show",
            CONFIRMED => "the appointment was confirmed and the profile cancels reminders on confirmation",
            FILTERED => "a profile filter stopped the event (e.g. SMS consent)",
            NO_MOBILE_PHONE => "the patient has no usable mobile number",
            APPOINTMENT_PAST => "the appointment starts before now",
            NO_TIME_ZONE => "no IANA zone is known and the offset is +0000, which is never taken as the patient's zone",
            OUTSIDE_WINDOW => "outside the outreach window (outsideWindow: drop)",
            NO_WINDOW_SLOT => "no time in the outreach window within 8 days",
            NOT_BEFORE_START => "it would not be before the appointment starts",
            TIME_PASSED => "its time has passed",
            TOO_CLOSE_TO_BOOKING => "due sooner than minNotice after the booking (the patient has just been texted)",
            TOO_CLOSE_TO_PREVIOUS => "due sooner than minSpacing after the previous reminder",
            RESCHEDULED => "the appointment moved",
            REPLANNED => "the schedule no longer has this reminder",
            TOO_LATE => "more than lateGrace after its time",
            WINDOW_CLOSED => "its outreach window has closed",
            APPOINTMENT_STARTED => "the appointment has started",
            _ => "see docs/reminders.md",
        }
    }
}

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
    /// The last instant it is still worth sending (Unix ms); [`remind_due`] skips it after.
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
    fn bare(id: String, action: Action, code: Option<&'static str>, key: &str) -> Reminder {
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

    /// What a store keeps for a `create` / `update` entry (what [`remind_due`] and
    /// [`build_remind_execution`] read); `None` for the other actions.
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
    fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self.reason = Some(codes::describe(code));
        self
    }
}

/// What the planner is given: the mapping's event (or, for a skip, its code and draft) and the
/// IANA zone the mapper resolved (`ids.timeZone`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Subject<'a> {
    /// The event to send.
    pub event: Option<&'a AppointmentEvent>,
    /// The skip code when there is no event.
    pub skip_code: Option<&'a str>,
    /// The values of a skipped input (filters, no mobile phone).
    pub draft: Option<&'a AppointmentEvent>,
    /// `ids.timeZone`.
    pub time_zone: Option<&'a str>,
}

impl<'a> Subject<'a> {
    /// A mapping result.
    pub fn from_result(r: &'a MapResult) -> Self {
        Subject {
            event: r.event.as_ref(),
            skip_code: r.skip.as_ref().map(|s| s.code),
            draft: r.draft.as_ref(),
            time_zone: r.ids.time_zone.as_deref(),
        }
    }

    /// A bare event (Table B values, e.g. a stored snapshot); the zone is `time_zone`, else the
    /// profile's `sender.timeZone`.
    pub fn event(e: &'a AppointmentEvent, time_zone: Option<&'a str>) -> Self {
        Subject {
            event: Some(e),
            time_zone,
            ..Default::default()
        }
    }
}

/// A planner input as JSON: a `MapResult` (`{event, skip, draft, ids, …}`) or bare Table B
/// values (`{event_type, …}`), owned (the JavaScript and CLI entry points).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanInput {
    /// The event.
    pub event: Option<AppointmentEvent>,
    /// The skip code.
    pub skip_code: Option<String>,
    /// The draft of a skip.
    pub draft: Option<AppointmentEvent>,
    /// `ids.timeZone`.
    pub time_zone: Option<String>,
}

impl PlanInput {
    /// Read a `MapResult` or Table B values as JSON text (`JSON_INVALID`, `BAD_ARGUMENT` or
    /// `MAP_BAD_EVENT` otherwise): the 14 Table B keys (exactly), else a MapResult's `event`,
    /// `skip`, `draft` and `ids` (other keys are ignored).
    pub fn from_json(text: &str) -> Result<PlanInput> {
        #[derive(Deserialize)]
        struct SkipIn {
            code: String,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct IdsIn {
            #[serde(default)]
            time_zone: Option<String>,
        }
        #[derive(Deserialize)]
        struct ResultIn {
            #[serde(default)]
            event: Option<AppointmentEvent>,
            #[serde(default)]
            skip: Option<SkipIn>,
            #[serde(default)]
            draft: Option<AppointmentEvent>,
            #[serde(default)]
            ids: Option<IdsIn>,
            /// Present: these were meant as Table B values, and they are not.
            #[serde(default)]
            event_type: Option<serde::de::IgnoredAny>,
        }
        // Table B values reject any other key, so a MapResult fails at its first key.
        if let Ok(e) = serde_json::from_str::<AppointmentEvent>(text) {
            return Ok(PlanInput {
                event: Some(e),
                ..Default::default()
            });
        }
        let r: ResultIn = serde_json::from_str(text).map_err(|e| {
            if e.is_syntax() || e.is_eof() {
                Error::new(ErrorCode::JsonInvalid, "the event is not valid JSON")
            } else {
                Error::new(
                    ErrorCode::BadArgument,
                    "the event must be Table B values (the 14 keys, all strings) or a MapResult (event / draft as Table B values or null, skip as {code}, ids as an object)",
                )
            }
        })?;
        if r.event_type.is_some() {
            return Err(Error::new(
                ErrorCode::MapBadEvent,
                "Table B values must be the 14 keys, all strings, and no other key",
            ));
        }
        Ok(PlanInput {
            event: r.event,
            skip_code: r.skip.map(|s| s.code),
            draft: r.draft,
            time_zone: r.ids.and_then(|i| i.time_zone),
        })
    }

    /// The planner's view of it.
    pub fn subject(&self) -> Subject<'_> {
        Subject {
            event: self.event.as_ref(),
            skip_code: self.skip_code.as_deref(),
            draft: self.draft.as_ref(),
            time_zone: self.time_zone.as_deref(),
        }
    }
}

/// The appointment key of an event: `ak1-` + FNV-1a 128 of the (PAM-encoded) patient and
/// appointment ids; `None` when either is empty.
pub fn appointment_key(e: &AppointmentEvent) -> Option<String> {
    let (p, a) = key_ids(e)?;
    Some(hashed_key("ak1-", &[p.as_bytes(), a.as_bytes()]))
}

/// The ids as the flow carries them (a draft is not sanitized yet; encoding is idempotent).
fn key_ids(e: &AppointmentEvent) -> Option<(String, String)> {
    let p = encode_id(crate::text::trim(&e.patient_id)).into_owned();
    let a = encode_id(crate::text::trim(&e.appointment_id)).into_owned();
    (!p.is_empty() && !a.is_empty()).then_some((p, a))
}

/// What kind of input this is for the reminders.
enum Kind {
    /// Plan (BOOKED, RESCHEDULED, MODIFIED, CONFIRMED with `keep`).
    Plan(EventType),
    /// Cancel every pending reminder, with this code.
    Stop(&'static str),
}

/// Parse `appointment_datetime` (local, no offset) and `appointment_timezone` (`±HHMM`) into the
/// start instant (ms) and the offset (minutes).
fn start_of(e: &AppointmentEvent) -> Result<(i64, i32)> {
    let iso = crate::inbound::common::parse_iso(&e.appointment_datetime)
        .filter(|i| i.offset.is_none() && i.prec >= crate::inbound::common::Prec::Minute)
        .ok_or_else(|| {
            Error::new(
                ErrorCode::MapBadEvent,
                "appointment_datetime must be local wall time YYYY-MM-DDTHH:mm:ss",
            )
            .at_pointer("/appointment_datetime")
        })?;
    let tz = e.appointment_timezone.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i32> {
        tz.get(r)?.iter().try_fold(0i32, |a, c| {
            c.is_ascii_digit().then(|| a * 10 + i32::from(c - b'0'))
        })
    };
    let offset = match (tz.len(), tz.first(), digits(1..3), digits(3..5)) {
        (5, Some(&s @ (b'+' | b'-')), Some(h), Some(m)) if h <= 14 && m <= 59 => {
            (h * 60 + m) * if s == b'-' { -1 } else { 1 }
        }
        _ => {
            return Err(Error::new(
                ErrorCode::MapBadEvent,
                "appointment_timezone must be an offset like -0500",
            )
            .at_pointer("/appointment_timezone"))
        }
    };
    let start = clock::ms(iso.local) - i64::from(offset) * 60_000;
    Ok((start, offset))
}

fn utc_text(at_ms: i64) -> Option<String> {
    clock::naive(at_ms).map(time::format_utc)
}

/// One offset of the schedule, computed.
struct Slot<'s> {
    offset: &'s Offset,
    id: String,
    nominal: i64,
    due: Option<i64>,
    moved: Option<Moved>,
    code: Option<&'static str>,
    live: bool,
}

/// Plan the reminders of the appointment in `subject` (see the module docs). `now_ms` is the
/// host's clock (the planning instant); `existing` the reminders stored for this appointment
/// (empty when the host does not keep state).
///
/// Errors: `MAP_BAD_EVENT` (the event's start or ids cannot be read), `BAD_ARGUMENT` (the same
/// id twice in `existing`), and the profile's `PROFILE_*` errors for an invalid `reminders`
/// section.
pub fn plan_reminders(
    subject: &Subject<'_>,
    profile: &Profile,
    now_ms: i64,
    existing: &[Existing],
) -> Result<ReminderPlan> {
    // A handful of reminders per appointment: linear lookups.
    let stored = |id: &str| existing.iter().find(|x| x.id == id);
    for (i, x) in existing.iter().enumerate() {
        if existing
            .get(..i)
            .is_some_and(|before| before.iter().any(|y| y.id == x.id))
        {
            return Err(Error::new(
                ErrorCode::BadArgument,
                "existing: the same reminder id is listed twice",
            )
            .at_pointer(format!("/{i}/id")));
        }
    }
    let unchanged = |code| {
        let mut p = ReminderPlan::default().with_code(code);
        p.unchanged = true;
        p
    };
    let Some(section) = &profile.reminders else {
        return Ok(unchanged(codes::NOT_CONFIGURED));
    };
    let schedule = section.schedule()?;
    let (event, kind) = match (subject.event, subject.skip_code, subject.draft) {
        (Some(e), _, _) => match EventType::parse(&e.event_type) {
            Some(EventType::Canceled) => (e, Kind::Stop(codes::APPOINTMENT_CANCELED)),
            Some(EventType::Noshowed) => (e, Kind::Stop(codes::APPOINTMENT_NOSHOW)),
            Some(EventType::Confirmed) if schedule.on_confirmed == OnConfirmed::Cancel => {
                (e, Kind::Stop(codes::CONFIRMED))
            }
            Some(t) => (e, Kind::Plan(t)),
            None => return Ok(unchanged(codes::EVENT_SKIPPED)),
        },
        (None, Some(c), Some(d)) if c == skip_codes::FILTERED => (d, Kind::Stop(codes::FILTERED)),
        (None, Some(c), Some(d)) if c == skip_codes::NO_MOBILE_PHONE => {
            (d, Kind::Stop(codes::NO_MOBILE_PHONE))
        }
        _ => return Ok(unchanged(codes::EVENT_SKIPPED)),
    };
    let Some((patient, appointment)) = key_ids(event) else {
        if let Kind::Stop(_) = kind {
            if subject.event.is_none() {
                return Ok(unchanged(codes::EVENT_SKIPPED));
            }
        }
        let ptr = if crate::text::trim(&event.patient_id).is_empty() {
            "/patient_id"
        } else {
            "/appointment_id"
        };
        return Err(Error::new(
            ErrorCode::MapBadEvent,
            "patient_id and appointment_id are needed to key the reminders",
        )
        .at_pointer(ptr));
    };
    let key = hashed_key("ak1-", &[patient.as_bytes(), appointment.as_bytes()]);
    let mut plan = ReminderPlan {
        appointment_key: Some(key.clone()),
        event_type: Some(event.event_type.clone()),
        ..Default::default()
    };
    let cancel_all = |mut plan: ReminderPlan, code: &'static str| {
        for x in existing.iter().filter(|x| x.status.live()) {
            plan.reminders.push(Reminder::bare(
                x.id.clone(),
                Action::Cancel,
                Some(code),
                &key,
            ));
        }
        plan.with_code(code)
    };
    let started = start_of(event);
    if let Ok((start, _)) = &started {
        plan.appointment_start_ms = Some(*start);
        plan.appointment_start = utc_text(*start);
    }
    let ev = match kind {
        Kind::Stop(code) => return Ok(cancel_all(plan, code)),
        Kind::Plan(t) => t,
    };
    let (start, offset) = started?;
    // The zone: the mapper's, else the profile's, when it agrees with the event's offset.
    let zone = [subject.time_zone, profile.sender.time_zone.as_deref()]
        .into_iter()
        .flatten()
        .find_map(time::parse_zone);
    let tz = match zone {
        Some(z) if Tz::Zone(z).offset_minutes(start) == offset => {
            plan.time_zone = Some(z.name().to_owned());
            Tz::Zone(z)
        }
        Some(_) => {
            plan.warnings.push(Warning::new(
                codes::ZONE_MISMATCH,
                "the zone's offset at the appointment is not appointment_timezone: windows are read at that fixed offset",
            ));
            Tz::Fixed(offset)
        }
        None if offset == 0 => return Ok(cancel_all(plan, codes::NO_TIME_ZONE)),
        None => {
            plan.warnings.push(Warning::new(
                codes::FIXED_OFFSET,
                "no IANA zone is known (ids.timeZone, sender.timeZone): windows are read at the appointment's fixed offset, wrong by the DST difference if a change falls before the appointment",
            ));
            Tz::Fixed(offset)
        }
    };
    if start <= now_ms {
        return Ok(cancel_all(plan, codes::APPOINTMENT_PAST));
    }
    if matches!(ev, EventType::Modified | EventType::Confirmed)
        && existing
            .iter()
            .any(|x| x.appointment_start_ms.is_some_and(|s| s != start))
    {
        plan.warnings.push(Warning::new(
            codes::START_CHANGED,
            "the appointment start changed in a MODIFIED or CONFIRMED event: the reminders are re-planned, but the stock flow resets its reminder count only on BOOKED and RESCHEDULED",
        ));
    }
    let booking = matches!(ev, EventType::Booked | EventType::Rescheduled);
    let start_text = start.to_string();
    let mut slots = Vec::with_capacity(schedule.offsets.len());
    for o in &schedule.offsets {
        let (nominal, how) = clock::nominal(tz, start, o, profile.sender.ambiguous_time)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::MapBadEvent,
                    "the appointment start is out of range",
                )
                .at_pointer("/appointment_datetime")
            })?;
        match how {
            Some(Resolution::Gap(_)) => plan.warnings.push(Warning::new(
                codes::DST_GAP,
                format!("the wall time of offset {} does not exist that day (DST gap): moved forward", o.spec),
            )),
            Some(Resolution::Ambiguous(_)) => plan.warnings.push(Warning::new(
                codes::DST_OVERLAP,
                format!("the wall time of offset {} occurs twice that day (DST overlap): sender.ambiguousTime chose one", o.spec),
            )),
            _ => {}
        }
        let id = hashed_key(
            "rm1-",
            &[
                patient.as_bytes(),
                appointment.as_bytes(),
                start_text.as_bytes(),
                o.spec.as_bytes(),
            ],
        );
        let (due, moved, code) = place(&schedule, tz, nominal);
        let code = code
            .or_else(|| due.filter(|d| *d >= start).map(|_| codes::NOT_BEFORE_START))
            .or_else(|| due.filter(|d| *d <= now_ms).map(|_| codes::TIME_PASSED))
            .or_else(|| {
                due.filter(|d| booking && *d < now_ms.saturating_add(schedule.min_notice_ms))
                    .map(|_| codes::TOO_CLOSE_TO_BOOKING)
            });
        // A stored pending reminder survives the time-dependent codes: the scheduler decides
        // whether it is still worth sending (remindDue).
        let temporal =
            matches!(code, Some(c) if c == codes::TIME_PASSED || c == codes::TOO_CLOSE_TO_BOOKING);
        let live = code.is_none() || (temporal && stored(&id).is_some_and(|x| x.status.live()));
        slots.push(Slot {
            offset: o,
            id,
            nominal,
            due,
            moved,
            code,
            live,
        });
    }
    clock::insertion_sort(&mut slots, |s| (s.due.is_none(), s.due, s.nominal));
    let mut last: Option<i64> = None;
    for s in slots.iter_mut().filter(|s| s.live) {
        let due = s.due.unwrap_or(s.nominal);
        if last.is_some_and(|l| due - l < schedule.min_spacing_ms) {
            s.code = Some(codes::TOO_CLOSE_TO_PREVIOUS);
            s.live = false;
        } else {
            last = Some(due);
        }
    }
    for s in &slots {
        let status = stored(&s.id).map(|x| x.status);
        let (action, code) = match (s.live, status) {
            (true, Some(st)) if st.live() => (Action::Update, None),
            (true, Some(Status::Canceled) | None) => (Action::Create, None),
            (true, Some(_)) | (false, Some(Status::Sent | Status::Skipped | Status::Failed)) => {
                (Action::Keep, None)
            }
            (false, Some(st)) if st.live() => (Action::Cancel, s.code),
            (false, _) => (Action::Skip, s.code),
        };
        let mut r = Reminder::bare(s.id.clone(), action, code, &key);
        r.offset = Some(s.offset.spec.clone());
        r.appointment_start_ms = Some(start);
        r.nominal_at = utc_text(s.nominal);
        if let Some(due) = s.due {
            r.due_at = utc_text(due);
            r.due_at_ms = Some(due);
            r.due_local = tz.wall(due).map(time::format_local);
            r.due_offset = Some(time::format_offset(tz.offset_minutes(due)));
            r.moved = s.moved;
            if matches!(action, Action::Create | Action::Update) {
                let (not_after, why) = not_after(&schedule, tz, due, start);
                r.not_after_ms = Some(not_after);
                r.not_after = Some(why);
                r.snapshot = Some(event.clone());
            }
        }
        plan.reminders.push(r);
    }
    for x in existing.iter().filter(|x| x.status.live()) {
        if slots.iter().any(|s| s.id == x.id) {
            continue;
        }
        let moved =
            ev == EventType::Rescheduled || x.appointment_start_ms.is_some_and(|s| s != start);
        let code = if moved {
            codes::RESCHEDULED
        } else {
            codes::REPLANNED
        };
        plan.reminders.push(Reminder::bare(
            x.id.clone(),
            Action::Cancel,
            Some(code),
            &key,
        ));
    }
    Ok(plan)
}

/// The instant of a nominal reminder after the window rule: `(due, moved, skip code)`.
fn place(s: &Schedule, tz: Tz, nominal: i64) -> (Option<i64>, Option<Moved>, Option<&'static str>) {
    let Some(w) = &s.window else {
        return (Some(nominal), None, None);
    };
    if w.contains(tz, nominal) {
        return (Some(nominal), None, None);
    }
    let (found, moved) = match s.outside {
        OutsideWindow::Drop => return (None, None, Some(codes::OUTSIDE_WINDOW)),
        OutsideWindow::Earlier => (w.earlier(tz, nominal), Moved::Earlier),
        OutsideWindow::Later => (w.later(tz, nominal), Moved::Later),
    };
    match found {
        Some(t) => (Some(t), Some(moved), None),
        None => (None, None, Some(codes::NO_WINDOW_SLOT)),
    }
}

/// The last instant a reminder due at `due` is still worth sending, and the rule that sets it:
/// the earliest of the appointment start, the end of its window and `due + lateGrace` (ties in
/// that order).
fn not_after(s: &Schedule, tz: Tz, due: i64, start: i64) -> (i64, NotAfter) {
    let window = s.window.as_ref().and_then(|w| w.closes(tz, due));
    [
        Some((start, NotAfter::Appointment)),
        window.map(|w| (w, NotAfter::Window)),
        Some((due.saturating_add(s.late_grace_ms), NotAfter::LateGrace)),
    ]
    .into_iter()
    .flatten()
    .fold((i64::MAX, NotAfter::LateGrace), |best, c| {
        if c.0 < best.0 {
            c
        } else {
            best
        }
    })
}
