//! [`plan_reminders`]: the reminders of one appointment after an event, as a sequence of steps —
//! what the event means for the reminders ([`classify`]), the appointment key and start, the zone
//! the windows are read in ([`zone_for`]), one [`Slot`] per offset of the schedule (its instant,
//! window move and code), the spacing rule, then one entry per slot and the cancellation of the
//! stored reminders the schedule no longer has.

use super::clock::{self, Tz};
use super::codes;
use super::input::Subject;
use super::reminder::{Action, Existing, Moved, NotAfter, Reminder, ReminderPlan, Status};
use crate::error::{Error, ErrorCode, Result, Warning};
use crate::event::{hashed_key, skip_codes, AppointmentEvent, EventType};
use crate::profile::reminders::{Offset, OnConfirmed, OutsideWindow, Schedule};
use crate::profile::Profile;
use crate::studio::sanitize::encode_id;
use crate::time::{self, AmbiguousPolicy, Resolution};

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
    check_existing(existing)?;
    let Some(section) = &profile.reminders else {
        return Ok(unchanged(codes::NOT_CONFIGURED));
    };
    let schedule = section.schedule()?;
    let Some((event, kind)) = classify(subject, &schedule) else {
        return Ok(unchanged(codes::EVENT_SKIPPED));
    };
    let Some((patient, appointment)) = key_ids(event) else {
        return missing_ids(subject, event, &kind);
    };
    let key = hashed_key("ak1-", &[patient.as_bytes(), appointment.as_bytes()]);
    let mut plan = ReminderPlan {
        appointment_key: Some(key.clone()),
        event_type: Some(event.event_type.clone()),
        ..Default::default()
    };
    let started = start_of(event);
    if let Ok((start, _)) = &started {
        plan.appointment_start_ms = Some(*start);
        plan.appointment_start = utc_text(*start);
    }
    let ev = match kind {
        Kind::Stop(code) => return Ok(cancel_all(plan, existing, &key, code)),
        Kind::Plan(t) => t,
    };
    let (start, offset) = started?;
    let Some(tz) = zone_for(&mut plan, subject, profile, start, offset) else {
        return Ok(cancel_all(plan, existing, &key, codes::NO_TIME_ZONE));
    };
    if start <= now_ms {
        return Ok(cancel_all(plan, existing, &key, codes::APPOINTMENT_PAST));
    }
    warn_start_changed(&mut plan, ev, existing, start);
    let planner = Planner {
        schedule: &schedule,
        tz,
        start,
        now_ms,
        existing,
        booking: matches!(ev, EventType::Booked | EventType::Rescheduled),
        ids: [patient, appointment, start.to_string()],
    };
    let mut slots = Vec::with_capacity(schedule.offsets.len());
    for o in &schedule.offsets {
        let slot = planner.slot(o, profile.sender.ambiguous_time, &mut plan.warnings)?;
        slots.push(slot);
    }
    clock::insertion_sort(&mut slots, |s| (s.due.is_none(), s.due, s.nominal));
    space_out(&mut slots, schedule.min_spacing_ms);
    for s in &slots {
        plan.reminders.push(planner.entry(s, event, &key));
    }
    cancel_dropped(&mut plan, existing, &slots, ev, start, &key);
    Ok(plan)
}

/// The same reminder id listed twice in `existing` is a `BAD_ARGUMENT` (a handful of reminders
/// per appointment: linear lookups).
fn check_existing(existing: &[Existing]) -> Result<()> {
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
    Ok(())
}

/// A plan that leaves the store alone, with its code.
fn unchanged(code: &'static str) -> ReminderPlan {
    let mut p = ReminderPlan::default().with_code(code);
    p.unchanged = true;
    p
}

/// The event the reminders are about and what it means for them; `None`: the input says nothing
/// about reminders (a skip other than a filter or a missing mobile, an unknown event type).
fn classify<'a>(
    subject: &Subject<'a>,
    schedule: &Schedule,
) -> Option<(&'a AppointmentEvent, Kind)> {
    match (subject.event, subject.skip_code, subject.draft) {
        (Some(e), _, _) => match EventType::parse(&e.event_type) {
            Some(EventType::Canceled) => Some((e, Kind::Stop(codes::APPOINTMENT_CANCELED))),
            Some(EventType::Noshowed) => Some((e, Kind::Stop(codes::APPOINTMENT_NOSHOW))),
            Some(EventType::Confirmed) if schedule.on_confirmed == OnConfirmed::Cancel => {
                Some((e, Kind::Stop(codes::CONFIRMED)))
            }
            Some(t) => Some((e, Kind::Plan(t))),
            None => None,
        },
        (None, Some(c), Some(d)) if c == skip_codes::FILTERED => {
            Some((d, Kind::Stop(codes::FILTERED)))
        }
        (None, Some(c), Some(d)) if c == skip_codes::NO_MOBILE_PHONE => {
            Some((d, Kind::Stop(codes::NO_MOBILE_PHONE)))
        }
        _ => None,
    }
}

/// No patient or appointment id to key the reminders: a skip's draft says nothing about
/// reminders; an event is a `MAP_BAD_EVENT` at the missing id.
fn missing_ids(
    subject: &Subject<'_>,
    event: &AppointmentEvent,
    kind: &Kind,
) -> Result<ReminderPlan> {
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
    Err(Error::new(
        ErrorCode::MapBadEvent,
        "patient_id and appointment_id are needed to key the reminders",
    )
    .at_pointer(ptr))
}

/// Cancel every live stored reminder, with `code` for each and for the plan.
fn cancel_all(
    mut plan: ReminderPlan,
    existing: &[Existing],
    key: &str,
    code: &'static str,
) -> ReminderPlan {
    for x in existing.iter().filter(|x| x.status.live()) {
        plan.reminders.push(Reminder::bare(
            x.id.clone(),
            Action::Cancel,
            Some(code),
            key,
        ));
    }
    plan.with_code(code)
}

/// The zone the windows are read in: the mapper's, else the profile's, when it agrees with the
/// event's offset; else the fixed offset (with a warning). `None`: no zone and offset `+0000`.
fn zone_for(
    plan: &mut ReminderPlan,
    subject: &Subject<'_>,
    profile: &Profile,
    start: i64,
    offset: i32,
) -> Option<Tz> {
    let zone = [subject.time_zone, profile.sender.time_zone.as_deref()]
        .into_iter()
        .flatten()
        .find_map(time::parse_zone);
    match zone {
        Some(z) if Tz::Zone(z).offset_minutes(start) == offset => {
            plan.time_zone = Some(z.name().to_owned());
            Some(Tz::Zone(z))
        }
        Some(_) => {
            plan.warnings.push(Warning::new(
                codes::ZONE_MISMATCH,
                "the zone's offset at the appointment is not appointment_timezone: windows are read at that fixed offset",
            ));
            Some(Tz::Fixed(offset))
        }
        None if offset == 0 => None,
        None => {
            plan.warnings.push(Warning::new(
                codes::FIXED_OFFSET,
                "no IANA zone is known (ids.timeZone, sender.timeZone): windows are read at the appointment's fixed offset, wrong by the DST difference if a change falls before the appointment",
            ));
            Some(Tz::Fixed(offset))
        }
    }
}

/// A MODIFIED or CONFIRMED event that moves the start: warned (the stock flow resets its count
/// only on BOOKED and RESCHEDULED).
fn warn_start_changed(plan: &mut ReminderPlan, ev: EventType, existing: &[Existing], start: i64) {
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
}

/// Live reminders closer than `minSpacing` to the previous live one (in time order) are dropped
/// with `REMIND_TOO_CLOSE_TO_PREVIOUS`.
fn space_out(slots: &mut [Slot<'_>], min_spacing_ms: i64) {
    let mut last: Option<i64> = None;
    for s in slots.iter_mut().filter(|s| s.live) {
        let due = s.due.unwrap_or(s.nominal);
        if last.is_some_and(|l| due - l < min_spacing_ms) {
            s.code = Some(codes::TOO_CLOSE_TO_PREVIOUS);
            s.live = false;
        } else {
            last = Some(due);
        }
    }
}

/// Stored live reminders that no slot has any more: cancelled as rescheduled (the start moved)
/// or replanned (the schedule changed).
fn cancel_dropped(
    plan: &mut ReminderPlan,
    existing: &[Existing],
    slots: &[Slot<'_>],
    ev: EventType,
    start: i64,
    key: &str,
) {
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
            key,
        ));
    }
}

/// What every slot of one plan shares.
struct Planner<'p> {
    schedule: &'p Schedule,
    tz: Tz,
    start: i64,
    now_ms: i64,
    existing: &'p [Existing],
    /// BOOKED or RESCHEDULED: `minNotice` applies.
    booking: bool,
    /// The patient id, appointment id and start (ms) the reminder ids hash.
    ids: [String; 3],
}

impl Planner<'_> {
    fn stored(&self, id: &str) -> Option<&Existing> {
        self.existing.iter().find(|x| x.id == id)
    }

    /// One offset: its nominal instant (DST resolutions warned), id, window placement and code.
    fn slot<'s>(
        &self,
        o: &'s Offset,
        ambiguous: AmbiguousPolicy,
        warnings: &mut Vec<Warning>,
    ) -> Result<Slot<'s>> {
        let (nominal, how) =
            clock::nominal(self.tz, self.start, o, ambiguous).ok_or_else(|| {
                Error::new(
                    ErrorCode::MapBadEvent,
                    "the appointment start is out of range",
                )
                .at_pointer("/appointment_datetime")
            })?;
        match how {
            Some(Resolution::Gap(_)) => warnings.push(Warning::new(
                codes::DST_GAP,
                format!("the wall time of offset {} does not exist that day (DST gap): moved forward", o.spec),
            )),
            Some(Resolution::Ambiguous(_)) => warnings.push(Warning::new(
                codes::DST_OVERLAP,
                format!("the wall time of offset {} occurs twice that day (DST overlap): sender.ambiguousTime chose one", o.spec),
            )),
            _ => {}
        }
        let [patient, appointment, start_text] = &self.ids;
        let id = hashed_key(
            "rm1-",
            &[
                patient.as_bytes(),
                appointment.as_bytes(),
                start_text.as_bytes(),
                o.spec.as_bytes(),
            ],
        );
        let (due, moved, code) = place(self.schedule, self.tz, nominal);
        let code = code.or_else(|| self.timing_code(due));
        // A stored pending reminder survives the time-dependent codes: the scheduler decides
        // whether it is still worth sending (remindDue).
        let temporal =
            matches!(code, Some(c) if c == codes::TIME_PASSED || c == codes::TOO_CLOSE_TO_BOOKING);
        let live =
            code.is_none() || (temporal && self.stored(&id).is_some_and(|x| x.status.live()));
        Ok(Slot {
            offset: o,
            id,
            nominal,
            due,
            moved,
            code,
            live,
        })
    }

    /// The code of a placed instant: not before the start, passed, or too close to a booking.
    fn timing_code(&self, due: Option<i64>) -> Option<&'static str> {
        let due = due?;
        if due >= self.start {
            Some(codes::NOT_BEFORE_START)
        } else if due <= self.now_ms {
            Some(codes::TIME_PASSED)
        } else if self.booking && due < self.now_ms.saturating_add(self.schedule.min_notice_ms) {
            Some(codes::TOO_CLOSE_TO_BOOKING)
        } else {
            None
        }
    }

    /// The plan entry of a slot: its action from the slot and the stored state, its times and,
    /// for a create or update, the snapshot and the late rule.
    fn entry(&self, s: &Slot<'_>, event: &AppointmentEvent, key: &str) -> Reminder {
        let status = self.stored(&s.id).map(|x| x.status);
        let (action, code) = match (s.live, status) {
            (true, Some(st)) if st.live() => (Action::Update, None),
            (true, Some(Status::Canceled) | None) => (Action::Create, None),
            (true, Some(_)) | (false, Some(Status::Sent | Status::Skipped | Status::Failed)) => {
                (Action::Keep, None)
            }
            (false, Some(st)) if st.live() => (Action::Cancel, s.code),
            (false, _) => (Action::Skip, s.code),
        };
        let mut r = Reminder::bare(s.id.clone(), action, code, key);
        r.offset = Some(s.offset.spec.clone());
        r.appointment_start_ms = Some(self.start);
        r.nominal_at = utc_text(s.nominal);
        if let Some(due) = s.due {
            r.due_at = utc_text(due);
            r.due_at_ms = Some(due);
            r.due_local = self.tz.wall(due).map(time::format_local);
            r.due_offset = Some(time::format_offset(self.tz.offset_minutes(due)));
            r.moved = s.moved;
            if matches!(action, Action::Create | Action::Update) {
                let (not_after, why) = not_after(self.schedule, self.tz, due, self.start);
                r.not_after_ms = Some(not_after);
                r.not_after = Some(why);
                r.snapshot = Some(event.clone());
            }
        }
        r
    }
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
