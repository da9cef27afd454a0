//! Property tests of the REMIND planner against chrono-tz (an independent implementation of the
//! IANA rules): random appointments in New York, London, Lord Howe (30-minute DST), Kolkata and
//! Phoenix (no DST), Santiago (midnight transitions) and Chatham (+12:45), half of them within
//! days of a DST change; random offsets (elapsed, calendar days, `@HH:MM`), windows (hours, days)
//! and moves. For every planned reminder:
//!
//! * its wall time and offset are chrono-tz's for its instant;
//! * its nominal instant is the offset's definition (elapsed: exact; calendar: chrono-tz's
//!   instant for that wall time, the earlier one in an overlap, moved forward by the gap in a gap);
//! * in a window it is inside the window, and a move is the smallest one: no minute between the
//!   nominal instant and the moved one is inside; `drop` never moves; "no slot" is true for a week;
//! * a created reminder is before the start, after the planning instant (by `minNotice` for a
//!   booking), `minSpacing` from the others, sent by `remindDue` at its instant and skipped just
//!   after `notAfterMs`;
//! * planning again with the stored reminders changes nothing (same ids, same instants, updates).
#![cfg(not(target_arch = "wasm32"))]

use chrono::{Datelike, Duration, LocalResult, NaiveDateTime, Offset as _, TimeZone, Timelike};
use chrono_tz::Tz as CTz;
use ehr_studio_bridge::event::AppointmentEvent;
use ehr_studio_bridge::profile::reminders::parse_offset;
use ehr_studio_bridge::remind::{
    codes, plan_reminders, remind_due, Action, DueAction, Existing, Moved, NotAfter, Status,
    Subject,
};
use ehr_studio_bridge::Profile;
use proptest::prelude::*;
use serde_json::json;
use std::sync::OnceLock;

const ZONES: &[&str] = &[
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Phoenix",
    "America/Santiago",
    "Pacific/Chatham",
];
const MIN: i64 = 60_000;
const DAY: i64 = 86_400_000;

fn ctz(name: &str) -> CTz {
    name.parse().unwrap()
}

/// chrono-tz: wall time and offset (minutes) at an instant.
fn wall(tz: CTz, ms: i64) -> (NaiveDateTime, i32) {
    let t = tz.timestamp_millis_opt(ms).unwrap();
    (t.naive_local(), t.offset().fix().local_minus_utc() / 60)
}

/// The offset changes of each zone in 2024–2027 (hourly scan, then to the minute).
fn transitions(zone: usize) -> &'static [i64] {
    static T: OnceLock<Vec<Vec<i64>>> = OnceLock::new();
    &T.get_or_init(|| {
        ZONES
            .iter()
            .map(|z| {
                let tz = ctz(z);
                let start = 1_704_067_200_000i64; // 2024-01-01
                let mut out = Vec::new();
                let mut t = start;
                while t < start + 4 * 366 * DAY {
                    if wall(tz, t).1 != wall(tz, t + 3_600_000).1 {
                        let mut m = t;
                        while wall(tz, m).1 == wall(tz, t).1 {
                            m += MIN;
                        }
                        out.push(m);
                    }
                    t += 3_600_000;
                }
                out
            })
            .collect()
    })[zone]
}

#[derive(Debug, Clone)]
struct Case {
    zone: usize,
    start: i64,
    lead: i64,
    offsets: Vec<String>,
    window: Option<(u32, u32, Vec<bool>)>,
    outside: &'static str,
    min_notice: u32,
    min_spacing: u32,
    event: &'static str,
}

fn offset_spec() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..=96).prop_map(|h| format!("{h}h")),
        (1u32..=600).prop_map(|m| format!("{m}m")),
        (0u32..=30, 1u32..=59).prop_map(|(h, m)| format!("{h}h{m}m")),
        (1u32..=4).prop_map(|d| format!("{d}d")),
        (1u32..=3, 1u32..=12).prop_map(|(d, h)| format!("{d}d{h}h")),
        (0u32..=3, 0u32..24, 0u32..4).prop_map(|(d, h, q)| format!("{d}d@{h:02}:{:02}", q * 15)),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        0..ZONES.len(),
        any::<bool>(),
        0u32..(4 * 365 * 24 * 60),
        (0i64..=4, -120i64..=120),
        any::<prop::sample::Index>(),
        prop_oneof![1i64..(20 * 24 * 60), 1i64..(100 * 60)],
        prop::collection::vec(offset_spec(), 1..=2),
        prop::option::weighted(
            0.8,
            (
                0u32..=95,
                1u32..=96,
                prop::collection::vec(any::<bool>(), 7),
            ),
        ),
        prop::sample::select(vec!["earlier", "later", "drop"]),
        (0u32..=600, 2u32..=240),
        prop::sample::select(vec!["BOOKED", "RESCHEDULED", "MODIFIED", "CONFIRMED"]),
        (0u8..3, any::<bool>(), -3i64..=3),
    )
        .prop_map(
            |(
                zone,
                near,
                uniform,
                delta,
                pick,
                lead,
                offsets,
                window,
                outside,
                (mn, ms),
                event,
                edge,
            )| {
                let change = transitions(zone)
                    .get(pick.index(transitions(zone).len().max(1)))
                    .copied()
                    .filter(|_| near);
                let start = match change {
                    // Whole days after a change (so calendar offsets land on its day) ± 2 h.
                    Some(at) => (at + (delta.0 * 1440 + delta.1) * MIN).div_euclid(MIN) * MIN,
                    None => 1_704_067_200_000 + i64::from(uniform) * MIN,
                };
                // Windows in 15-minute steps; starts often in the DST hours (00:00–04:00).
                let mut window = window.map(|(s, len, days)| {
                    let s = if s % 2 == 0 { s / 6 } else { s };
                    let start = s * 15;
                    let end = (start + len * 15).min(1440);
                    let mut days = days;
                    if !days.contains(&true) {
                        days[0] = true;
                    }
                    (start, end.max(start + 15).min(1440), days)
                });
                // Near a change, often put a window edge at the wall time the clocks leave or
                // reach (± 45 min): edges in gaps and overlaps.
                if let (Some(at), Some(w), (mode @ 1..=2, after, j)) =
                    (change, window.as_mut(), edge)
                {
                    let tz = ctz(ZONES[zone]);
                    let (wl, _) = wall(tz, if after { at } else { at - MIN });
                    let base = i64::from(wl.num_seconds_from_midnight() / 60) + i64::from(!after);
                    let e = u32::try_from((base + j * 15).clamp(15, 1425)).unwrap_or(60);
                    let len = w.1.saturating_sub(w.0).max(15);
                    *w = if mode == 1 {
                        (e, (e + len).min(1440), w.2.clone())
                    } else {
                        (e.saturating_sub(len), e, w.2.clone())
                    };
                }
                let mut offsets = offsets;
                offsets.dedup();
                Case {
                    zone,
                    start,
                    lead: lead * MIN,
                    offsets,
                    window,
                    outside,
                    min_notice: mn,
                    min_spacing: ms,
                    event,
                }
            },
        )
        .prop_filter("window fits a day", |c| {
            c.window.as_ref().is_none_or(|w| w.0 < w.1 && w.0 < 1440)
        })
}

fn hhmm(m: u32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn profile(c: &Case) -> Profile {
    let mut r = json!({
        "offsets": c.offsets,
        "outsideWindow": c.outside,
        "minNotice": format!("{}m", c.min_notice),
        "minSpacing": format!("{}m", c.min_spacing),
        "lateGrace": "45m",
    });
    if let Some((s, e, days)) = &c.window {
        let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let d: Vec<&str> = names
            .iter()
            .zip(days)
            .filter(|(_, on)| **on)
            .map(|(n, _)| *n)
            .collect();
        r["window"] = json!({"start": hhmm(*s), "end": hhmm(*e), "days": d});
    }
    Profile::from_value(json!({"sender": {"timeZone": ZONES[c.zone]}, "reminders": r})).unwrap()
}

fn inside(c: &Case, tz: CTz, ms: i64) -> bool {
    let Some((s, e, days)) = &c.window else {
        return true;
    };
    let (w, _) = wall(tz, ms);
    let sod = w.num_seconds_from_midnight();
    days[w.weekday().num_days_from_monday() as usize] && s * 60 <= sod && sod <= e * 60
}

/// The nominal instant of an offset, from chrono-tz.
fn expected_nominal(tz: CTz, start: i64, spec: &str) -> i64 {
    let o = parse_offset(spec).unwrap();
    let mut base = start;
    if o.days > 0 || o.at_minute.is_some() {
        let (sw, _) = wall(tz, start);
        let date = sw.date() - Duration::days(o.days);
        let w = match o.at_minute {
            Some(m) => date.and_hms_opt(m / 60, m % 60, 0).unwrap(),
            None => date.and_time(sw.time()),
        };
        base = match tz.from_local_datetime(&w) {
            LocalResult::Single(t) => t.timestamp_millis(),
            LocalResult::Ambiguous(a, b) => a.timestamp_millis().min(b.timestamp_millis()),
            LocalResult::None => {
                // The clocks jump over it: read it with the offset before the jump.
                let before = wall(tz, w.and_utc().timestamp_millis() - DAY).1;
                w.and_utc().timestamp_millis() - i64::from(before) * MIN
            }
        };
    }
    base - o.elapsed_ms
}

fn event(tz: CTz, start: i64, ty: &str) -> AppointmentEvent {
    let (w, off) = wall(tz, start);
    AppointmentEvent {
        event_type: ty.into(),
        event_datetime_utc: "2024-01-01T00:00:00Z".into(),
        patient_id: "P1".into(),
        patient_phone: "+16175550143".into(),
        appointment_id: "A1".into(),
        appointment_datetime: w.format("%Y-%m-%dT%H:%M:%S").to_string(),
        appointment_timezone: ehr_studio_bridge::time::format_offset(off),
        ..Default::default()
    }
}

fn check(c: &Case) {
    let tz = ctz(ZONES[c.zone]);
    let p = profile(c);
    let e = event(tz, c.start, c.event);
    let now = c.start - c.lead;
    let plan = plan_reminders(&Subject::event(&e, None), &p, now, &[]).unwrap();
    assert_eq!(plan.time_zone.as_deref(), Some(ZONES[c.zone]));
    assert_eq!(plan.appointment_start_ms, Some(c.start));
    let booking = matches!(c.event, "BOOKED" | "RESCHEDULED");
    let mut created = Vec::new();
    for r in &plan.reminders {
        if let Some(code) = r.code {
            assert!(codes::ALL.contains(&code), "{code}");
        }
        let spec = r.offset.as_deref().unwrap();
        let nominal = expected_nominal(tz, c.start, spec);
        let nominal_text = chrono::DateTime::from_timestamp_millis(nominal)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        assert_eq!(
            r.nominal_at.as_deref(),
            Some(nominal_text.as_str()),
            "nominal of {spec}"
        );
        if let Some(due) = r.due_at_ms {
            let (w, off) = wall(tz, due);
            assert_eq!(
                r.due_local.as_deref(),
                Some(w.format("%Y-%m-%dT%H:%M:%S").to_string().as_str())
            );
            assert_eq!(
                r.due_offset.as_deref(),
                Some(ehr_studio_bridge::time::format_offset(off).as_str())
            );
            assert!(inside(c, tz, due), "{spec}: due is outside the window");
            match r.moved {
                None => assert_eq!(due, nominal),
                Some(Moved::Earlier) => {
                    assert!(due < nominal && !inside(c, tz, nominal));
                    let mut m = due + MIN;
                    while m <= nominal {
                        assert!(!inside(c, tz, m), "{spec}: a later slot was inside ({m})");
                        m += MIN;
                    }
                }
                Some(Moved::Later) => {
                    assert!(due > nominal && !inside(c, tz, nominal));
                    let mut m = due - MIN;
                    while m >= nominal {
                        assert!(
                            !inside(c, tz, m),
                            "{spec}: an earlier slot was inside ({m})"
                        );
                        m -= MIN;
                    }
                }
            }
            assert!(c.outside != "drop" || r.moved.is_none());
        }
        match r.code {
            Some(x) if x == codes::OUTSIDE_WINDOW => assert!(!inside(c, tz, nominal)),
            Some(x) if x == codes::NO_WINDOW_SLOT => {
                let dir = if c.outside == "earlier" { -MIN } else { MIN };
                for k in 0..7 * 24 * 60 {
                    assert!(!inside(c, tz, nominal + k * dir), "{spec}: a slot existed");
                }
            }
            Some(x) if x == codes::NOT_BEFORE_START => assert!(r.due_at_ms.unwrap() >= c.start),
            Some(x) if x == codes::TIME_PASSED => assert!(r.due_at_ms.unwrap() <= now),
            Some(x) if x == codes::TOO_CLOSE_TO_BOOKING => {
                assert!(booking && r.due_at_ms.unwrap() < now + i64::from(c.min_notice) * MIN)
            }
            _ => {}
        }
        if r.action == Action::Create {
            let due = r.due_at_ms.unwrap();
            assert!(due < c.start && due > now);
            if booking {
                assert!(due >= now + i64::from(c.min_notice) * MIN);
            }
            let s = r.stored().unwrap();
            assert!(s.not_after_ms >= due && s.not_after_ms <= c.start);
            // notAfter is the first of: the window closing (the last minute before the wall
            // clock leaves it), due + lateGrace (45 min), the start.
            let limit = (due + 45 * MIN).min(c.start);
            let leaves = (1..)
                .map(|k| due + k * MIN)
                .take_while(|m| *m <= limit)
                .find(|m| !inside(c, tz, *m));
            match leaves {
                Some(m) => {
                    assert_eq!(
                        s.not_after,
                        Some(NotAfter::Window),
                        "{spec}: the window closes first"
                    );
                    assert!(
                        s.not_after_ms < m && s.not_after_ms >= m - MIN,
                        "{spec}: closes at {}, left at {m}",
                        s.not_after_ms
                    );
                }
                None => assert_eq!(s.not_after_ms, limit, "{spec}: {:?}", s.not_after),
            }
            assert_eq!(remind_due(&s, due).action, DueAction::Send);
            assert_eq!(remind_due(&s, s.not_after_ms + 1).action, DueAction::Skip);
            assert_eq!(remind_due(&s, due - 1).action, DueAction::Wait);
            created.push(r);
        } else {
            assert_eq!(
                r.action,
                Action::Skip,
                "nothing is stored, so only creates and skips"
            );
            assert!(r.code.is_some());
        }
    }
    for a in &created {
        for b in &created {
            if a.id != b.id {
                let gap = (a.due_at_ms.unwrap() - b.due_at_ms.unwrap()).abs();
                assert!(gap >= i64::from(c.min_spacing) * MIN, "spacing");
            }
        }
    }
    // Again, with what a store would hold: the same ids and instants, as updates.
    let existing: Vec<Existing> = created
        .iter()
        .map(|r| Existing {
            id: r.id.clone(),
            status: Status::Pending,
            appointment_start_ms: r.appointment_start_ms,
        })
        .collect();
    let again = plan_reminders(&Subject::event(&e, None), &p, now, &existing).unwrap();
    let live: Vec<(String, Option<i64>)> = again
        .reminders
        .iter()
        .filter(|r| r.action != Action::Skip)
        .map(|r| {
            assert_eq!(r.action, Action::Update);
            (r.id.clone(), r.due_at_ms)
        })
        .collect();
    assert_eq!(
        live,
        created
            .iter()
            .map(|r| (r.id.clone(), r.due_at_ms))
            .collect::<Vec<_>>()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn planned_reminders_keep_their_promises(c in case()) {
        check(&c);
    }
}

/// Moves right around DST changes: one 10-hour offset whose nominal instant is within 36 h of a
/// change, and a window with an edge at the wall time the clocks leave or reach (± 45 min), so
/// edges fall in gaps and overlaps on the day of the change.
fn around_changes() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(vec![0usize, 1, 2, 5, 6]),
        any::<prop::sample::Index>(),
        -36 * 60i64..=36 * 60,
        (any::<bool>(), any::<bool>(), -3i64..=3, 1u32..=48),
        prop::sample::select(vec!["earlier", "later"]),
    )
        .prop_map(|(zone, pick, x, (at_start, after, j, len), outside)| {
            let t = transitions(zone);
            let change = t[pick.index(t.len())];
            let tz = ctz(ZONES[zone]);
            let (wl, _) = wall(tz, if after { change } else { change - MIN });
            let base = i64::from(wl.num_seconds_from_midnight() / 60) + i64::from(!after);
            let e = u32::try_from((base + j * 15).clamp(15, 1425)).unwrap_or(60);
            let len = len * 15;
            let window = if at_start {
                (e, (e + len).min(1440), vec![true; 7])
            } else {
                (e.saturating_sub(len), e, vec![true; 7])
            };
            Case {
                zone,
                start: change + (x + 600) * MIN,
                lead: 30 * DAY,
                offsets: vec!["600m".into()],
                window: Some(window),
                outside,
                min_notice: 0,
                min_spacing: 2,
                event: "MODIFIED",
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn moves_around_dst_changes(c in around_changes()) {
        check(&c);
    }
}

/// Every zone has transitions to aim at (except the ones without DST), so half the cases are
/// within days of a change.
#[test]
fn transition_tables_cover_the_zones() {
    let counts: Vec<usize> = (0..ZONES.len()).map(|z| transitions(z).len()).collect();
    assert_eq!(counts[3], 0, "Kolkata has no DST");
    assert_eq!(counts[4], 0, "Phoenix has no DST");
    for (i, n) in counts.iter().enumerate() {
        if i != 3 && i != 4 {
            assert!(*n >= 7, "{}: {n} transitions", ZONES[i]);
        }
    }
}

/// The generator reaches the interesting cases (the properties above are not vacuous): moves in
/// both directions, DST gaps and overlaps of calendar offsets, every per-reminder skip code.
#[test]
fn the_cases_cover_moves_dst_and_skips() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeMap;
    let mut runner = TestRunner::deterministic();
    let strategy = case();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..3000 {
        let c = strategy.new_tree(&mut runner).unwrap().current();
        let tz = ctz(ZONES[c.zone]);
        let plan = plan_reminders(
            &Subject::event(&event(tz, c.start, c.event), None),
            &profile(&c),
            c.start - c.lead,
            &[],
        )
        .unwrap();
        for r in &plan.reminders {
            *seen.entry(format!("{:?}", r.action)).or_default() += 1;
            if let Some(m) = r.moved {
                *seen.entry(format!("moved {m:?}")).or_default() += 1;
            }
            if let Some(code) = r.code {
                *seen.entry(code.to_owned()).or_default() += 1;
            }
        }
        for w in &plan.warnings {
            *seen.entry(w.code.to_owned()).or_default() += 1;
        }
    }
    for k in [
        "Create",
        "Skip",
        "moved Earlier",
        "moved Later",
        codes::DST_GAP,
        codes::DST_OVERLAP,
        codes::OUTSIDE_WINDOW,
        codes::NOT_BEFORE_START,
        codes::TIME_PASSED,
        codes::TOO_CLOSE_TO_BOOKING,
        codes::TOO_CLOSE_TO_PREVIOUS,
    ] {
        assert!(
            seen.get(k).copied().unwrap_or(0) >= 5,
            "{k} reached {:?} times: {seen:?}",
            seen.get(k)
        );
    }
}
