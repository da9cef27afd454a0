//! REMIND planning scenarios (docs/reminders.md): offsets in elapsed and calendar time across DST
//! changes in America/New_York, Europe/London, Australia/Lord_Howe (30-minute DST) and zones
//! without DST (Asia/Kolkata, America/Phoenix); outreach windows (hours, days) with move earlier /
//! later / drop; past appointments, too close to booking, spacing; the lifecycle per event type
//! against stored reminders; zones from the mappers (`ids.timeZone`); `remindDue`; the REMIND
//! execution.
#![cfg(not(target_arch = "wasm32"))]

use chrono::NaiveDateTime;
use ehr_studio_bridge::event::AppointmentEvent;
use ehr_studio_bridge::profile::SanitizeMode;
use ehr_studio_bridge::remind::{
    build_remind_execution, codes, plan_reminders, remind_due, Action, DueAction, Existing, Moved,
    NotAfter, PlanInput, ReminderPlan, Status, Subject,
};
use ehr_studio_bridge::{map_input, MapOptions, Profile, StudioConfig};
use serde_json::{json, Value};

/// Unix ms of a UTC time `YYYY-MM-DDTHH:MM`.
fn at(s: &str) -> i64 {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

fn profile(zone: &str, reminders: Value) -> Profile {
    Profile::from_value(json!({
        "sender": {"timeZone": zone, "defaultCountry": "US"},
        "studio": {"flowSid": "FW0123456789abcdef0123456789abcdef", "from": "+15017122661"},
        "reminders": reminders,
    }))
    .unwrap()
}

fn event(ty: &str, local: &str, offset: &str) -> AppointmentEvent {
    AppointmentEvent {
        event_type: ty.into(),
        event_datetime_utc: "2024-01-01T10:00:00Z".into(),
        patient_id: "MRN0012345".into(),
        patient_first_name: "Jane".into(),
        patient_last_name: "Doe".into(),
        patient_phone: "+16175550143".into(),
        provider_id: "1234".into(),
        provider_first_name: "Marcus".into(),
        provider_last_name: "Welby".into(),
        provider_callback_phone: "(617) 555-0100".into(),
        appointment_location: "Main Clinic".into(),
        appointment_id: "A/77".into(),
        appointment_datetime: local.into(),
        appointment_timezone: offset.into(),
    }
}

fn plan(e: &AppointmentEvent, p: &Profile, now: i64, existing: &[Existing]) -> ReminderPlan {
    plan_reminders(&Subject::event(e, None), p, now, existing).unwrap()
}

/// `(offset, action, dueLocal, dueAt, code)` of every entry.
fn rows(p: &ReminderPlan) -> Vec<(String, Action, String, String, String)> {
    p.reminders
        .iter()
        .map(|r| {
            (
                r.offset.clone().unwrap_or_default(),
                r.action,
                r.due_local.clone().unwrap_or_default(),
                r.due_at.clone().unwrap_or_default(),
                r.code.unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn row(
    offset: &str,
    action: Action,
    local: &str,
    utc: &str,
    code: &str,
) -> (String, Action, String, String, String) {
    (offset.into(), action, local.into(), utc.into(), code.into())
}

/// What a store holds after applying `plan` (pending for create/update, as given otherwise).
fn stored(p: &ReminderPlan) -> Vec<Existing> {
    p.reminders
        .iter()
        .filter(|r| matches!(r.action, Action::Create | Action::Update))
        .map(|r| Existing {
            id: r.id.clone(),
            status: Status::Pending,
            appointment_start_ms: r.appointment_start_ms,
        })
        .collect()
}

/// `(action, code)` of every entry.
fn acts(p: &ReminderPlan) -> Vec<(Action, Option<&'static str>)> {
    p.reminders.iter().map(|r| (r.action, r.code)).collect()
}

fn codes_of(p: &ReminderPlan) -> Vec<&'static str> {
    p.warnings.iter().map(|w| w.code).collect()
}

#[test]
fn new_york_elapsed_hours_and_calendar_days_across_spring_forward() {
    // Monday 2024-03-11 09:00 EDT; the clocks went forward on Sunday 03-10.
    let p = profile(
        "America/New_York",
        json!({"offsets": ["72h", "3d"], "stockFlow": true}),
    );
    let e = event("BOOKED", "2024-03-11T09:00:00", "-0400");
    let r = plan(&e, &p, at("2024-03-01T12:00"), &[]);
    assert_eq!(r.time_zone.as_deref(), Some("America/New_York"));
    assert_eq!(r.appointment_start.as_deref(), Some("2024-03-11T13:00:00Z"));
    assert_eq!(
        rows(&r),
        vec![
            // 72 elapsed hours: 08:00 EST on Friday (the day had one hour less).
            row(
                "72h",
                Action::Create,
                "2024-03-08T08:00:00",
                "2024-03-08T13:00:00Z",
                ""
            ),
            // 3 calendar days: the same wall time, 09:00 EST.
            row(
                "3d",
                Action::Create,
                "2024-03-08T09:00:00",
                "2024-03-08T14:00:00Z",
                ""
            ),
        ]
    );
    for x in &r.reminders {
        assert_eq!(x.due_offset.as_deref(), Some("-0500"));
        assert_eq!(x.not_after, Some(NotAfter::LateGrace));
        assert_eq!(x.not_after_ms, Some(x.due_at_ms.unwrap() + 3_600_000));
        assert_eq!(x.snapshot.as_ref(), Some(&e));
        assert!(x.id.starts_with("rm1-") && x.id.len() == 36);
    }
    let key = r.appointment_key.clone().unwrap();
    assert!(key.starts_with("ak1-") && key.len() == 36);
    // Ids and the key are hashes: no PHI, stable across plans.
    let again = plan(&e, &p, at("2024-03-02T12:00"), &[]);
    assert_eq!(
        r.reminders.iter().map(|x| &x.id).collect::<Vec<_>>(),
        again.reminders.iter().map(|x| &x.id).collect::<Vec<_>>()
    );
}

#[test]
fn new_york_fall_back_calendar_day_in_the_overlap() {
    // Monday 2024-11-04 01:30 EST; "1d" is Sunday 01:30, which happens twice.
    let e = event("BOOKED", "2024-11-04T01:30:00", "-0500");
    let now = at("2024-10-30T12:00");
    let earlier = plan(
        &e,
        &profile("America/New_York", json!({"offsets": ["1d"]})),
        now,
        &[],
    );
    assert_eq!(
        rows(&earlier),
        vec![row(
            "1d",
            Action::Create,
            "2024-11-03T01:30:00",
            "2024-11-03T05:30:00Z",
            ""
        )]
    );
    assert_eq!(codes_of(&earlier), vec![codes::DST_OVERLAP]);
    let mut p = profile("America/New_York", json!({"offsets": ["1d"]}));
    p.sender.ambiguous_time = ehr_studio_bridge::time::AmbiguousPolicy::Later;
    let later = plan(&e, &p, now, &[]);
    assert_eq!(
        later.reminders[0].due_at.as_deref(),
        Some("2024-11-03T06:30:00Z")
    );
    assert_eq!(later.reminders[0].due_offset.as_deref(), Some("-0500"));
}

#[test]
fn london_gap_and_overlap_for_wall_clock_offsets() {
    // 2024-03-31 01:00 GMT → 02:00 BST: "1d@01:30" before Monday 04-01 does not exist.
    let p = profile(
        "Europe/London",
        json!({"offsets": ["1d@01:30", "0d@07:00"]}),
    );
    let e = event("BOOKED", "2024-04-01T10:00:00", "+0100");
    let r = plan(&e, &p, at("2024-03-20T12:00"), &[]);
    assert_eq!(
        rows(&r),
        vec![
            row(
                "1d@01:30",
                Action::Create,
                "2024-03-31T02:30:00",
                "2024-03-31T01:30:00Z",
                ""
            ),
            row(
                "0d@07:00",
                Action::Create,
                "2024-04-01T07:00:00",
                "2024-04-01T06:00:00Z",
                ""
            ),
        ]
    );
    assert_eq!(codes_of(&r), vec![codes::DST_GAP]);
    // 2024-10-27 02:00 BST → 01:00 GMT: 01:30 happens twice.
    let e = event("BOOKED", "2024-10-28T10:00:00", "+0000");
    let r = plan(
        &e,
        &profile("Europe/London", json!({"offsets": ["1d@01:30"]})),
        at("2024-10-20T12:00"),
        &[],
    );
    assert_eq!(
        r.reminders[0].due_at.as_deref(),
        Some("2024-10-27T00:30:00Z")
    );
    assert_eq!(r.reminders[0].due_offset.as_deref(), Some("+0100"));
    assert_eq!(codes_of(&r), vec![codes::DST_OVERLAP]);
}

#[test]
fn lord_howe_half_hour_dst() {
    // Australia/Lord_Howe: +10:30 standard, +11 summer; 2024-10-06 02:00 → 02:30.
    let p = profile(
        "Australia/Lord_Howe",
        json!({"offsets": ["1d", "24h"], "minSpacing": "2m"}),
    );
    let e = event("BOOKED", "2024-10-07T02:15:00", "+1100");
    let r = plan(&e, &p, at("2024-09-30T00:00"), &[]);
    assert_eq!(
        rows(&r),
        vec![
            // 24 elapsed hours before 02:15 +11 is 01:45 +10:30 (the day was 23.5 h long).
            row(
                "24h",
                Action::Create,
                "2024-10-06T01:45:00",
                "2024-10-05T15:15:00Z",
                ""
            ),
            // The same wall time the day before (02:15) does not exist: 02:45 +11.
            row(
                "1d",
                Action::Create,
                "2024-10-06T02:45:00",
                "2024-10-05T15:45:00Z",
                ""
            ),
        ]
    );
    assert_eq!(r.reminders[0].due_offset.as_deref(), Some("+1030"));
    assert_eq!(r.reminders[1].due_offset.as_deref(), Some("+1100"));
    assert_eq!(codes_of(&r), vec![codes::DST_GAP]);
    // A window whose start (02:00–02:30) is swallowed by that gap opens when the clocks jump.
    let p = profile(
        "Australia/Lord_Howe",
        json!({"offsets": ["20h"], "window": {"start": "02:10", "end": "20:00"}, "outsideWindow": "later"}),
    );
    let e = event("BOOKED", "2024-10-06T20:00:00", "+1100");
    let r = plan(&e, &p, at("2024-09-30T00:00"), &[]);
    // 20 h before 20:00 +11 is 23:30 +10:30 on the 5th: outside; the next window opens at the jump.
    assert_eq!(
        rows(&r),
        vec![row(
            "20h",
            Action::Create,
            "2024-10-06T02:30:00",
            "2024-10-05T15:30:00Z",
            ""
        )]
    );
    assert_eq!(r.reminders[0].moved, Some(Moved::Later));
}

#[test]
fn zones_without_dst() {
    // Asia/Kolkata (+05:30), window 09:00–19:00: a 2 h reminder before 08:00 moves to 19:00 the
    // day before, or would move after the start.
    let window = json!({"start": "09:00", "end": "19:00"});
    let e = event("BOOKED", "2024-06-18T08:00:00", "+0530");
    let now = at("2024-06-10T00:00");
    let r = plan(
        &e,
        &profile("Asia/Kolkata", json!({"offsets": ["2h"], "window": window})),
        now,
        &[],
    );
    assert_eq!(
        rows(&r),
        vec![row(
            "2h",
            Action::Create,
            "2024-06-17T19:00:00",
            "2024-06-17T13:30:00Z",
            ""
        )]
    );
    assert_eq!(r.reminders[0].moved, Some(Moved::Earlier));
    // Moved earlier, it may still be sent until its window closes (19:00 itself).
    assert_eq!(r.reminders[0].not_after, Some(NotAfter::Window));
    assert_eq!(r.reminders[0].not_after_ms, r.reminders[0].due_at_ms);
    let later = profile(
        "Asia/Kolkata",
        json!({"offsets": ["2h"], "window": window, "outsideWindow": "later"}),
    );
    let r = plan(&e, &later, now, &[]);
    assert_eq!(
        rows(&r),
        vec![row(
            "2h",
            Action::Skip,
            "2024-06-18T09:00:00",
            "2024-06-18T03:30:00Z",
            codes::NOT_BEFORE_START
        )]
    );
    // America/Phoenix (MST all year) while New York changes: the offset never moves.
    let e = event("BOOKED", "2024-03-11T09:00:00", "-0700");
    let r = plan(
        &e,
        &profile("America/Phoenix", json!({"offsets": ["72h", "3d"]})),
        at("2024-03-01T00:00"),
        &[],
    );
    assert_eq!(
        rows(&r),
        vec![
            row(
                "72h",
                Action::Create,
                "2024-03-08T09:00:00",
                "2024-03-08T16:00:00Z",
                ""
            ),
            row(
                "3d",
                Action::Skip,
                "2024-03-08T09:00:00",
                "2024-03-08T16:00:00Z",
                codes::TOO_CLOSE_TO_PREVIOUS
            ),
        ]
    );
}

#[test]
fn window_days_and_the_three_moves() {
    // Monday 2024-06-17 08:00 EDT, no Sundays, 09:00–19:00; 24 h → Sunday 08:00.
    let base = json!({"offsets": ["24h", "2h"], "window": {"start": "09:00", "end": "19:00",
        "days": ["mon", "tue", "wed", "thu", "fri", "sat"]}});
    let e = event("BOOKED", "2024-06-17T08:00:00", "-0400");
    let now = at("2024-06-10T12:00");
    let r = plan(&e, &profile("America/New_York", base.clone()), now, &[]);
    // Both move to Saturday 19:00; the second is then too close to the first.
    assert_eq!(
        rows(&r),
        vec![
            row(
                "24h",
                Action::Create,
                "2024-06-15T19:00:00",
                "2024-06-15T23:00:00Z",
                ""
            ),
            row(
                "2h",
                Action::Skip,
                "2024-06-15T19:00:00",
                "2024-06-15T23:00:00Z",
                codes::TOO_CLOSE_TO_PREVIOUS
            ),
        ]
    );
    let mut later = base.clone();
    later["outsideWindow"] = json!("later");
    let r = plan(&e, &profile("America/New_York", later), now, &[]);
    // Monday 09:00 is after the 08:00 start.
    assert_eq!(
        r.reminders
            .iter()
            .map(|x| x.code.unwrap_or(""))
            .collect::<Vec<_>>(),
        vec![codes::NOT_BEFORE_START, codes::NOT_BEFORE_START]
    );
    let mut drop = base;
    drop["outsideWindow"] = json!("drop");
    let r = plan(&e, &profile("America/New_York", drop), now, &[]);
    assert_eq!(
        r.reminders
            .iter()
            .map(|x| (x.action, x.code.unwrap_or("")))
            .collect::<Vec<_>>(),
        vec![
            (Action::Skip, codes::OUTSIDE_WINDOW),
            (Action::Skip, codes::OUTSIDE_WINDOW)
        ]
    );
    // Inside the window nothing moves; a 24:00 end is open to midnight.
    let p = profile(
        "America/New_York",
        json!({"offsets": ["48h"], "window": {"start": "07:00", "end": "24:00"}}),
    );
    let e = event("BOOKED", "2024-06-19T23:30:00", "-0400");
    let r = plan(&e, &p, now, &[]);
    assert_eq!(
        rows(&r),
        vec![row(
            "48h",
            Action::Create,
            "2024-06-17T23:30:00",
            "2024-06-18T03:30:00Z",
            ""
        )]
    );
    assert_eq!(r.reminders[0].moved, None);
    assert_eq!(r.reminders[0].not_after, Some(NotAfter::Window));
    assert_eq!(r.reminders[0].not_after_ms, Some(at("2024-06-18T03:59")));
}

#[test]
fn past_appointments_and_too_close_to_booking() {
    let p = profile("America/New_York", json!({"offsets": ["24h", "2h"]}));
    // Booked at 10:00 for 13:00 the same day: 24 h has passed, 2 h (11:00) is 1 h away.
    let e = event("BOOKED", "2024-06-17T13:00:00", "-0400");
    let now = at("2024-06-17T14:00");
    let r = plan(&e, &p, now, &[]);
    assert_eq!(
        r.reminders
            .iter()
            .map(|x| (x.offset.as_deref().unwrap(), x.action, x.code.unwrap_or("")))
            .collect::<Vec<_>>(),
        vec![
            ("24h", Action::Skip, codes::TIME_PASSED),
            ("2h", Action::Create, "")
        ]
    );
    let strict = profile(
        "America/New_York",
        json!({"offsets": ["24h", "2h"], "minNotice": "90m"}),
    );
    let r = plan(&e, &strict, now, &[]);
    assert_eq!(r.reminders[1].code, Some(codes::TOO_CLOSE_TO_BOOKING));
    assert_eq!(r.reminders[1].action, Action::Skip);
    // Already past: nothing planned, stored ones cancelled.
    let existing = [Existing {
        id: "rm1-old".into(),
        status: Status::Pending,
        appointment_start_ms: None,
    }];
    let r = plan(&e, &p, at("2024-06-17T17:00"), &existing);
    assert_eq!(r.code, Some(codes::APPOINTMENT_PAST));
    assert_eq!(
        r.reminders
            .iter()
            .map(|x| (x.id.as_str(), x.action, x.code))
            .collect::<Vec<_>>(),
        vec![("rm1-old", Action::Cancel, Some(codes::APPOINTMENT_PAST))]
    );
}

#[test]
fn lifecycle_against_the_store() {
    let p = profile("America/New_York", json!({"offsets": ["72h", "24h"]}));
    let booked = event("BOOKED", "2024-06-20T10:00:00", "-0400");
    let t0 = at("2024-06-10T12:00");
    let b = plan(&booked, &p, t0, &[]);
    assert!(b.reminders.iter().all(|x| x.action == Action::Create));
    let mut store = stored(&b);
    let ids: Vec<String> = store.iter().map(|x| x.id.clone()).collect();

    // The same BOOKED delivered again: the same ids, updated in place; nothing cancelled.
    let again = plan(&booked, &p, t0 + 60_000, &store);
    assert_eq!(
        again
            .reminders
            .iter()
            .map(|x| (x.id.clone(), x.action))
            .collect::<Vec<_>>(),
        ids.iter()
            .map(|i| (i.clone(), Action::Update))
            .collect::<Vec<_>>()
    );

    // MODIFIED keeps the times and sends the new values.
    let mut modified = booked.clone();
    modified.event_type = "MODIFIED".into();
    modified.appointment_location = "North Clinic".into();
    let m = plan(&modified, &p, t0 + 3_600_000, &store);
    assert_eq!(m.reminders.len(), 2);
    for (x, y) in m.reminders.iter().zip(&b.reminders) {
        assert_eq!(
            (x.action, &x.id, x.due_at_ms),
            (Action::Update, &y.id, y.due_at_ms)
        );
        assert_eq!(
            x.snapshot.as_ref().unwrap().appointment_location,
            "North Clinic"
        );
    }

    // The 72 h reminder goes out; a later MODIFIED keeps it and updates the other.
    store[0].status = Status::Sent;
    let m = plan(&modified, &p, at("2024-06-18T12:00"), &store);
    assert_eq!(acts(&m), vec![(Action::Keep, None), (Action::Update, None)]);

    // CONFIRMED: kept by default, cancelled with onConfirmed: cancel.
    let mut confirmed = booked.clone();
    confirmed.event_type = "CONFIRMED".into();
    let c = plan(&confirmed, &p, at("2024-06-18T12:00"), &store);
    assert_eq!(
        c.reminders.iter().map(|x| x.action).collect::<Vec<_>>(),
        vec![Action::Keep, Action::Update]
    );
    let p_cancel = profile(
        "America/New_York",
        json!({"offsets": ["72h", "24h"], "onConfirmed": "cancel"}),
    );
    let c = plan(&confirmed, &p_cancel, at("2024-06-18T12:00"), &store);
    assert_eq!(c.code, Some(codes::CONFIRMED));
    assert_eq!(
        c.reminders
            .iter()
            .map(|x| (x.id.clone(), x.action, x.code))
            .collect::<Vec<_>>(),
        vec![(ids[1].clone(), Action::Cancel, Some(codes::CONFIRMED))]
    );

    // RESCHEDULED: new ids for the new start; the pending old one is cancelled, the sent one is
    // history.
    let moved = event("RESCHEDULED", "2024-06-25T15:30:00", "-0400");
    let r = plan(&moved, &p, at("2024-06-18T12:00"), &store);
    assert_eq!(
        acts(&r),
        vec![
            (Action::Create, None),
            (Action::Create, None),
            (Action::Cancel, Some(codes::RESCHEDULED))
        ]
    );
    assert!(r.reminders[..2].iter().all(|x| !ids.contains(&x.id)));
    assert_eq!(r.reminders[2].id, ids[1]);
    assert_eq!(
        r.reminders[0].due_at.as_deref(),
        Some("2024-06-22T19:30:00Z")
    );

    // CANCELED and NOSHOWED cancel whatever is pending.
    let store2 = stored(&r);
    for (ty, code) in [
        ("CANCELED", codes::APPOINTMENT_CANCELED),
        ("NOSHOWED", codes::APPOINTMENT_NOSHOW),
    ] {
        let x = plan(
            &event(ty, "2024-06-25T15:30:00", "-0400"),
            &p,
            at("2024-06-19T12:00"),
            &store2,
        );
        assert_eq!(x.code, Some(code));
        assert!(!x.unchanged);
        assert_eq!(x.reminders.len(), 2);
        assert!(x
            .reminders
            .iter()
            .all(|y| y.action == Action::Cancel && y.code == Some(code)));
    }

    // Booked again after a cancellation: the cancelled reminders come back.
    let cancelled: Vec<Existing> = store2
        .iter()
        .map(|x| Existing {
            status: Status::Canceled,
            ..x.clone()
        })
        .collect();
    let rebooked = event("BOOKED", "2024-06-25T15:30:00", "-0400");
    let x = plan(&rebooked, &p, at("2024-06-19T12:00"), &cancelled);
    assert!(x.reminders.iter().all(|y| y.action == Action::Create));

    // A MODIFIED that moves the start re-plans, and warns about the flow's reminder count.
    let mut mod_moved = event("MODIFIED", "2024-06-26T15:30:00", "-0400");
    mod_moved.appointment_location = "Main Clinic".into();
    let x = plan(&mod_moved, &p, at("2024-06-19T12:00"), &store2);
    assert_eq!(codes_of(&x), vec![codes::START_CHANGED]);
    assert_eq!(
        acts(&x),
        vec![
            (Action::Create, None),
            (Action::Create, None),
            (Action::Cancel, Some(codes::RESCHEDULED)),
            (Action::Cancel, Some(codes::RESCHEDULED))
        ]
    );

    // The profile drops an offset: its pending reminder is cancelled as re-planned.
    let p24 = profile("America/New_York", json!({"offsets": ["24h"]}));
    let x = plan(&rebooked, &p24, at("2024-06-19T12:00"), &store2);
    assert_eq!(
        acts(&x),
        vec![
            (Action::Update, None),
            (Action::Cancel, Some(codes::REPLANNED))
        ]
    );
}

#[test]
fn a_stored_reminder_survives_time_rules_the_scheduler_decides() {
    let p = profile("America/New_York", json!({"offsets": ["24h", "2h"]}));
    let e = event("BOOKED", "2024-06-20T10:00:00", "-0400");
    let first = plan(&e, &p, at("2024-06-10T12:00"), &[]);
    let store = stored(&first);
    // The scheduler was down; the same BOOKED arrives 30 min after the 24 h reminder's time: it
    // stays (update, not TIME_PASSED) and remindDue decides when sending.
    let late = plan(&e, &p, at("2024-06-19T14:30"), &store);
    assert_eq!(
        late.reminders.iter().map(|x| x.action).collect::<Vec<_>>(),
        vec![Action::Update, Action::Update]
    );
    let r = late.reminders[0].stored().unwrap();
    assert_eq!(
        remind_due(&r, at("2024-06-19T14:30")).action,
        DueAction::Send
    );
    assert_eq!(
        remind_due(&r, at("2024-06-19T15:01")).code,
        Some(codes::TOO_LATE)
    );
    // Without stored state the same input plans nothing for the passed one.
    let fresh = plan(&e, &p, at("2024-06-19T14:30"), &[]);
    assert_eq!(fresh.reminders[0].code, Some(codes::TIME_PASSED));
}

#[test]
fn remind_due_rules() {
    let p = profile(
        "America/New_York",
        json!({"offsets": ["2h"], "window": {"start": "09:00", "end": "12:00"}, "lateGrace": "3h"}),
    );
    let e = event("BOOKED", "2024-06-20T13:30:00", "-0400");
    let r = plan(&e, &p, at("2024-06-10T12:00"), &[]).reminders[0]
        .stored()
        .unwrap();
    // Due 11:30 EDT; the window closes at 12:00, before lateGrace and the start.
    assert_eq!(r.due_at_ms, at("2024-06-20T15:30"));
    assert_eq!(r.not_after, Some(NotAfter::Window));
    let due = |t: &str| remind_due(&r, at(t));
    assert_eq!(due("2024-06-20T15:00").action, DueAction::Wait);
    assert_eq!(due("2024-06-20T15:00").wait_ms, Some(30 * 60_000));
    assert_eq!(due("2024-06-20T15:30").action, DueAction::Send);
    assert_eq!(due("2024-06-20T16:00").action, DueAction::Send);
    assert_eq!(due("2024-06-20T16:01").code, Some(codes::WINDOW_CLOSED));
    assert_eq!(
        due("2024-06-20T17:30").code,
        Some(codes::APPOINTMENT_STARTED)
    );
    // Whatever a store hands back, the answer is computed without overflow.
    let far = ehr_studio_bridge::remind::StoredReminder {
        due_at_ms: i64::MAX,
        ..r.clone()
    };
    assert_eq!(
        remind_due(&far, -8_640_000_000_000_000).wait_ms,
        Some(i64::MAX)
    );
}

#[test]
fn skips_and_zones_are_coded() {
    let p = profile("America/New_York", json!({"offsets": ["24h"]}));
    let now = at("2024-06-10T12:00");
    // No reminders section.
    let plain = Profile::default();
    let e = event("BOOKED", "2024-06-20T10:00:00", "-0400");
    let r = plan(&e, &plain, now, &[]);
    assert!(r.unchanged);
    assert_eq!(r.code, Some(codes::NOT_CONFIGURED));
    // A Z event with no zone anywhere: never the patient's zone.
    let noz = Profile::from_value(json!({"reminders": {"offsets": ["24h"]}})).unwrap();
    let existing = [Existing {
        id: "rm1-x".into(),
        status: Status::Claimed,
        appointment_start_ms: None,
    }];
    let r = plan(
        &event("BOOKED", "2024-06-20T14:00:00", "+0000"),
        &noz,
        now,
        &existing,
    );
    assert_eq!(r.code, Some(codes::NO_TIME_ZONE));
    assert_eq!(
        r.reminders.iter().map(|x| x.action).collect::<Vec<_>>(),
        vec![Action::Cancel]
    );
    // An offset without a zone: planned at the fixed offset, with a warning.
    let r = plan(&e, &noz, now, &[]);
    assert_eq!(codes_of(&r), vec![codes::FIXED_OFFSET]);
    assert_eq!(r.time_zone, None);
    assert_eq!(
        r.reminders[0].due_local.as_deref(),
        Some("2024-06-19T10:00:00")
    );
    // A zone that disagrees with the event's offset (a foreign snapshot).
    let r = plan(
        &event("BOOKED", "2024-06-20T10:00:00", "-0500"),
        &p,
        now,
        &[],
    );
    assert_eq!(codes_of(&r), vec![codes::ZONE_MISMATCH]);
    // Bad values are coded errors with pointers.
    for (e, ptr) in [
        (
            event("BOOKED", "2024-06-20T10:00:00Z", "-0400"),
            "/appointment_datetime",
        ),
        (
            event("BOOKED", "2024-06-20", "-0400"),
            "/appointment_datetime",
        ),
        (
            event("BOOKED", "2024-06-20T10:00:00", "-04:00"),
            "/appointment_timezone",
        ),
        (
            AppointmentEvent {
                patient_id: " ".into(),
                ..e.clone()
            },
            "/patient_id",
        ),
    ] {
        let err = plan_reminders(&Subject::event(&e, None), &p, now, &[]).unwrap_err();
        assert_eq!(
            (
                err.code.as_str(),
                err.position.unwrap().pointer.unwrap().as_str()
            ),
            ("MAP_BAD_EVENT", ptr)
        );
    }
    let twice = [existing[0].clone(), existing[0].clone()];
    let err = plan_reminders(&Subject::event(&e, None), &p, now, &twice).unwrap_err();
    assert_eq!(err.code.as_str(), "BAD_ARGUMENT");
    // Not a lifecycle event.
    let r = plan(
        &event("REMIND", "2024-06-20T10:00:00", "-0400"),
        &p,
        now,
        &[],
    );
    assert!(r.unchanged);
}

#[test]
fn mapper_results_carry_the_zone_and_skips_plan_accordingly() {
    // The FHIR Location's time-zone extension (America/Chicago) wins over the profile's zone.
    let fhir =
        std::fs::read("tests/fixtures/fhir/synthetic/r4-appointment-contained.json").unwrap();
    let p = profile(
        "America/New_York",
        json!({"offsets": ["24h"], "window": {"start": "08:00", "end": "20:00"}}),
    );
    let m = map_input(
        &fhir,
        &ehr_studio_bridge::CompiledProfile::new(p.clone()).unwrap(),
        &MapOptions {
            now_ms: Some(at("2024-03-01T00:00")),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(m.ids.time_zone.as_deref(), Some("America/Chicago"));
    let r = plan_reminders(&Subject::from_result(&m), &p, at("2024-03-01T00:00"), &[]).unwrap();
    assert_eq!(r.time_zone.as_deref(), Some("America/Chicago"));
    assert_eq!(
        r.reminders[0].due_local.as_deref(),
        Some("2024-03-11T09:30:00")
    );
    assert_eq!(r.reminders[0].due_offset.as_deref(), Some("-0500"));

    // The bundled SIU sample with the sample profile's zone.
    let siu = std::fs::read("samples/siu_s12_booked.hl7").unwrap();
    let mut sample: Value =
        serde_json::from_str(&std::fs::read_to_string("samples/profile.json").unwrap()).unwrap();
    sample["reminders"] = json!({"offsets": ["48h", "1d@18:00"], "minSpacing": "2m"});
    let sp = Profile::from_value(sample).unwrap();
    let csp = ehr_studio_bridge::CompiledProfile::new(sp.clone()).unwrap();
    let m = map_input(&siu, &csp, &MapOptions::default()).unwrap();
    assert_eq!(m.ids.time_zone.as_deref(), Some("America/Los_Angeles"));
    let r = plan_reminders(&Subject::from_result(&m), &sp, at("2026-12-02T17:15"), &[]).unwrap();
    assert_eq!(
        rows(&r),
        vec![
            row(
                "48h",
                Action::Create,
                "2026-12-13T10:15:00",
                "2026-12-13T18:15:00Z",
                ""
            ),
            row(
                "1d@18:00",
                Action::Create,
                "2026-12-14T18:00:00",
                "2026-12-15T02:00:00Z",
                ""
            ),
        ]
    );
    // Through JSON, as JavaScript and the CLI pass it.
    let input = PlanInput::from_json(&serde_json::to_string(&m).unwrap()).unwrap();
    assert_eq!(
        plan_reminders(&input.subject(), &sp, at("2026-12-02T17:15"), &[]).unwrap(),
        r
    );
    let table_b =
        PlanInput::from_json(&serde_json::to_string(m.event.as_ref().unwrap()).unwrap()).unwrap();
    assert_eq!(
        plan_reminders(&table_b.subject(), &sp, at("2026-12-02T17:15"), &[]).unwrap(),
        r
    );
    for (text, code) in [
        ("[1]", "BAD_ARGUMENT"),
        ("{", "JSON_INVALID"),
        (r#"{"event_type":1}"#, "MAP_BAD_EVENT"),
        (
            r#"{"event_type":"BOOKED","patient_id":"P"}"#,
            "MAP_BAD_EVENT",
        ),
        (r#"{"event":{"event_type":"BOOKED"}}"#, "BAD_ARGUMENT"),
    ] {
        assert_eq!(
            PlanInput::from_json(text).unwrap_err().code.as_str(),
            code,
            "{text}"
        );
    }

    // A filtered event (e.g. consent withdrawn) cancels what is pending; other skips change nothing.
    let store = stored(&r);
    let skipped = |code: &'static str| {
        let mut s = m.clone();
        s.draft = s.event.take();
        s.skip = Some(ehr_studio_bridge::event::Skip {
            code,
            reason: String::new(),
            rule: None,
        });
        plan_reminders(
            &Subject::from_result(&s),
            &sp,
            at("2026-12-03T00:00"),
            &store,
        )
        .unwrap()
    };
    let x = skipped("SKIP_FILTERED");
    assert_eq!(x.code, Some(codes::FILTERED));
    assert_eq!(x.appointment_key, r.appointment_key);
    assert!(x
        .reminders
        .iter()
        .all(|y| y.action == Action::Cancel && y.code == Some(codes::FILTERED)));
    let x = skipped("SKIP_NO_RELEVANT_CHANGE");
    assert!(x.unchanged && x.reminders.is_empty());
    assert_eq!(x.code, Some(codes::EVENT_SKIPPED));
}

#[test]
fn remind_execution_is_the_snapshot_with_event_type_remind() {
    let p = profile("America/New_York", json!({"offsets": ["24h"]}));
    let e = event("CONFIRMED", "2024-06-20T10:00:00", "-0400");
    let mut e = e;
    e.appointment_id = "A%2F77".into(); // as the mapper encodes "A/77"
    let r = plan(&e, &p, at("2024-06-10T12:00"), &[]).reminders[0]
        .stored()
        .unwrap();
    let cfg = StudioConfig::new("FW0123456789abcdef0123456789abcdef", "+15017122661");
    let now = at("2024-06-19T14:05") + 17;
    let x = build_remind_execution(&r, &cfg, None, now, SanitizeMode::Repair).unwrap();
    assert!(x.warnings.is_empty());
    assert_eq!(x.request.idempotency_key, r.id);
    assert_eq!(x.request.form.to, "+16175550143");
    let sent: AppointmentEvent = serde_json::from_str(&x.request.form.parameters).unwrap();
    assert_eq!(
        sent,
        AppointmentEvent {
            event_type: "REMIND".into(),
            event_datetime_utc: "2024-06-19T14:05:00Z".into(),
            ..e.clone()
        }
    );
    // The same request the Studio builder makes for those values.
    let direct = ehr_studio_bridge::build_studio_execution(&sent, &cfg, None).unwrap();
    assert_eq!(
        (x.request.url.as_str(), x.request.body.as_str()),
        (direct.url.as_str(), direct.body.as_str())
    );
    // A snapshot that needs repair is repaired (repair) or refused (strict), pointing into it.
    let mut dirty = r.clone();
    dirty.snapshot.as_mut().unwrap().appointment_location = "Owl Clinic, Suite 5".into();
    let x = build_remind_execution(&dirty, &cfg, None, now, SanitizeMode::Repair).unwrap();
    assert!(!x.warnings.is_empty());
    let err = build_remind_execution(&dirty, &cfg, None, now, SanitizeMode::Strict).unwrap_err();
    assert_eq!(err.code.as_str(), "MAP_STRICT_REJECTED");
    assert_eq!(
        err.position.unwrap().pointer.as_deref(),
        Some("/snapshot/appointment_location")
    );
    let mut none = r;
    none.snapshot = None;
    assert_eq!(
        build_remind_execution(&none, &cfg, None, now, SanitizeMode::Repair)
            .unwrap_err()
            .code
            .as_str(),
        "BAD_ARGUMENT"
    );
}

/// docs/reminders.md lists every code, and the TypeScript `ReminderCode` union every non-warning
/// code (the union is in the wasm module's custom section, read here as text).
#[test]
fn codes_are_documented_and_typed() {
    let doc = std::fs::read_to_string("docs/reminders.md").unwrap();
    let ts = std::fs::read_to_string("src/wasm/remind.rs").unwrap();
    let union = &ts[ts.find("export type ReminderCode").unwrap()..];
    let union = &union[..union.find(';').unwrap()];
    let warnings = [
        codes::FIXED_OFFSET,
        codes::ZONE_MISMATCH,
        codes::DST_GAP,
        codes::DST_OVERLAP,
        codes::START_CHANGED,
    ];
    for c in codes::ALL {
        assert!(
            doc.contains(&format!("`{c}`")),
            "{c} is not in docs/reminders.md"
        );
        assert_eq!(
            union.contains(&format!("\"{c}\"")),
            !warnings.contains(c),
            "{c} in the ReminderCode union"
        );
        if !warnings.contains(c) {
            assert_ne!(
                codes::describe(c),
                "see docs/reminders.md",
                "{c} has no description"
            );
        }
    }
}
