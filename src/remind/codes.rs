//! Reminder codes: plan-level (`ReminderPlan.code`), per reminder (`skip` / `cancel`), from
//! [`remind_due`](super::remind_due), and warnings. Stable strings, part of the public API.

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
