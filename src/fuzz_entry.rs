//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the native smoke test
//! (`tests/fuzz_smoke.rs`, which runs on stable in CI). Each function exercises a whole pipeline on
//! arbitrary bytes and checks invariants with `assert!` — a panic here is a bug found.

use crate::hl7::{ack, batch, escape, mllp, tree, Message, Path};

/// [`batch::split`]: in-bounds, ordered ranges, and splitting in two chunks (at a cut derived from
/// the input) finds exactly what one call over the whole input finds.
fn batch_split_invariants(data: &[u8]) {
    let whole = batch::split(data, true);
    let mut end = 0;
    for r in &whole.messages {
        assert!(r.start >= end && r.start < r.end && r.end <= data.len());
        end = r.end;
    }
    let cut = data
        .first()
        .map_or(0, |&b| usize::from(b) * 7 % (data.len() + 1));
    let a = batch::split(data.get(..cut).unwrap_or(&[]), false);
    assert!(a.consumed <= cut);
    let b = batch::split(data.get(a.consumed..).unwrap_or(&[]), true);
    let mut messages = a.messages.clone();
    messages.extend(
        b.messages
            .iter()
            .map(|r| r.start + a.consumed..r.end + a.consumed),
    );
    assert_eq!(messages, whole.messages);
    assert_eq!(a.envelope.len() + b.envelope.len(), whole.envelope.len());
    assert_eq!(a.skipped_bytes + b.skipped_bytes, whole.skipped_bytes);
}

/// Parse, walk every element, decode, build the preview tree, query a path derived from the
/// input, build an ACK, split MLLP, and check escape round trips.
pub fn hl7_everything(data: &[u8]) {
    let _ = mllp::split(data, true);
    let _ = mllp::split(data, false);
    batch_split_invariants(data);
    let msg = match Message::parse(data) {
        Ok(m) => m,
        Err(e) => {
            assert!(!e.message.is_empty());
            return;
        }
    };
    let text = msg.text();
    let d = *msg.delimiters();
    for seg in msg.segments() {
        assert_eq!(text.get(seg.range()), Some(seg.raw()));
        for (n, f) in seg.fields() {
            assert_eq!(seg.field(n).map(|x| x.range()), Some(f.range()));
            for rep in f.children() {
                for comp in rep.children() {
                    for sub in comp.children() {
                        assert_eq!(text.get(sub.range()), Some(sub.raw()));
                        let decoded = sub.decoded();
                        if let Some(enc) = escape::encode(&decoded, &d) {
                            assert_eq!(escape::decode(&enc, &d), decoded);
                        }
                    }
                }
            }
        }
    }
    let _ = tree::build(&msg, tree::Offsets::Utf16);
    let _ = tree::build(&msg, tree::Offsets::Bytes);
    // A path made of input bytes (usually invalid: must fail cleanly) and a few fixed ones.
    if let Ok(p) = std::str::from_utf8(data.get(..data.len().min(24)).unwrap_or(&[])) {
        if let Ok(path) = Path::parse(p) {
            let _ = msg.query(&path).map(|e| e.decoded());
        }
    }
    for p in [
        "MSH-9.2",
        "PID-3[2].1",
        "SCH-11.4",
        "PID-13[3].12",
        "AIL[2]-3.9.1",
        "ZZZ-999",
    ] {
        let _ = msg.get(p).map(|e| (e.decoded(), e.is_null()));
    }
    let _ = msg.message_ranges();
    for code in [
        ack::AckCode::Accept,
        ack::AckCode::Error,
        ack::AckCode::Reject,
    ] {
        let opts = ack::AckOptions {
            code,
            level: ack::AckLevel::Auto,
            control_id: "F1".into(),
            timestamp: "20250101000000+0000".into(),
            text: Some("x".into()),
            error: Some(ack::AckError {
                hl7_code: 207,
                ..Default::default()
            }),
            application: None,
            facility: None,
        };
        if let Ok(a) = ack::build(&msg, &opts) {
            if let Some(t) = a.message {
                // An ACK we produce must always parse again.
                assert!(Message::parse_str(&t).is_ok());
            }
        }
    }
}

/// SIU → Studio: map with a few profiles (generic, strict, a preset with filters) and build the
/// request whenever there is an event. Invariants: an event always builds a request, carries all
/// 14 keys and passes the PAM validator; a skip never carries an event; the lean mapping
/// (`Detail::Codes`, `Mapper.execution`) gives the same outcome (see [`lean_equals_full`]).
pub fn map_everything(data: &[u8]) {
    use crate::profile::CompiledProfile;
    use crate::studio::{build_studio_execution, params, StudioConfig};
    let profiles = [
        Ok(CompiledProfile::default()),
        CompiledProfile::from_json(
            r#"{"sender":{"timeZone":"America/New_York","defaultCountry":"US"},"sanitize":"strict"}"#,
        ),
        CompiledProfile::from_json(
            r#"{"preset":"athenahealth","sender":{"timeZone":"Europe/Paris","defaultCountry":"FR"},
                "filters":{"smsConsent":{"path":"PD1-12","values":["Y"],"whenMissing":"send"},"facility":{"deny":["X"]}},
                "phones":{"allowWork":true,"allowLandline":true}}"#,
        ),
    ];
    let cfg = StudioConfig::new("FW0123456789abcdef0123456789abcdef", "+15017122661");
    for p in profiles.iter().flatten() {
        if let Err(why) = lean_equals_full(data, p) {
            panic!("{why}");
        }
        let Ok(r) = crate::inbound::map_hl7(data, p) else {
            continue;
        };
        match (&r.event, &r.skip) {
            (Some(e), None) => {
                assert!(
                    params::validate(e).is_empty(),
                    "an event the PAM validator rejects"
                );
                if let Err(err) = build_studio_execution(e, &cfg, None) {
                    panic!("an event that cannot be sent: {err}");
                }
                assert!(r.idempotency_key.is_some());
            }
            (None, Some(_)) => assert!(r.idempotency_key.is_none()),
            _ => panic!("exactly one of event and skip"),
        }
        let _ = serde_json::to_string(&r);
    }
}

/// Map `data` with every detail and with codes only (`Detail::Codes`): the same error, or the same
/// event, skip (code, reason, rule), idempotency key and warning codes (in order) — and the lean
/// result records nothing else (no provenance, ids, draft, warning message or position).
pub fn lean_equals_full(
    data: &[u8],
    profile: &crate::profile::CompiledProfile,
) -> Result<(), String> {
    use crate::event::{Detail, Field};
    use crate::inbound::siu::map_hl7_with;
    let full = map_hl7_with(data, profile, Detail::Full);
    let lean = map_hl7_with(data, profile, Detail::Codes);
    let (full, lean) = match (full, lean) {
        (Err(a), Err(b)) if a == b => return Ok(()),
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => return Err(format!("lean and full mapping differ: {b:?} vs {a:?}")),
    };
    let codes = |r: &crate::event::MapResult| r.warnings.iter().map(|w| w.code).collect::<Vec<_>>();
    if lean.event != full.event
        || lean.skip != full.skip
        || lean.idempotency_key != full.idempotency_key
        || codes(&lean) != codes(&full)
    {
        return Err(format!(
            "lean and full outcomes differ:\n lean {:?} {:?} {:?} {:?}\n full {:?} {:?} {:?} {:?}",
            lean.event,
            lean.skip,
            lean.idempotency_key,
            codes(&lean),
            full.event,
            full.skip,
            full.idempotency_key,
            codes(&full)
        ));
    }
    let recorded = Field::ALL.iter().any(|f| lean.provenance.get(*f).is_some())
        || lean.ids != crate::event::ExtraIds::default()
        || lean.draft.is_some()
        || lean
            .warnings
            .iter()
            .any(|w| !w.message.is_empty() || w.position.is_some());
    if recorded {
        return Err("the lean mapping recorded more than its outcome and codes".into());
    }
    Ok(())
}

/// The JSON paths (FHIR, Redox, generic mapping, Table B) through `map_input` and the explicit
/// mappers, with several profiles; when the bytes are JSON, also as the FHIR `previous` and
/// `resources` options. Invariants: errors carry a message and are never `INTERNAL`; a result
/// has an event xor a skip; `needsFetch` goes with `NEEDS_FETCH` only; an event passes the PAM
/// validator and builds a Studio request.
pub fn json_inputs(data: &[u8]) {
    use crate::error::ErrorCode;
    use crate::event::{skip_codes, MapResult};
    use crate::inbound::{detect, fhir, json_map, map_input, redox, MapOptions};
    use crate::profile::CompiledProfile;
    use std::sync::OnceLock;

    fn profiles() -> &'static [CompiledProfile] {
        static P: OnceLock<Vec<CompiledProfile>> = OnceLock::new();
        P.get_or_init(|| {
            [
                "{}",
                r#"{"sender":{"timeZone":"America/Chicago","defaultCountry":"US"},"phones":{"allowWork":true,"allowLandline":true},
                   "defaults":{"appointmentLocation":"Clinic","providerCallbackPhone":"(800) 555-2222"},
                   "fhir":{"firstName":"usual","patientId":"identifier","withoutPrevious":"fetch","trustOffset":false,
                           "events":{"S14":"skip"},"callbackFrom":["practitioner"]},
                   "filters":{"smsConsent":{"path":"/Patient/Consent","whenMissing":"send"},"location":{"deny":["x"]}}}"#,
                r#"{"sender":{"timeZone":"Europe/Paris","defaultCountry":"FR"},"sanitize":"strict",
                   "json":{"fields":{"event_type":["/kind","/0"],"patient_id":"/p/id","patient_phone":["/p/m","/p/h"],
                           "appointment_id":"/id","appointment_datetime":"/start","appointment_location":"/loc"},
                           "events":{"new":"BOOKED","x":"skip"},"eventTime":"/t","timeZone":"/tz"}}"#,
            ]
            .iter()
            .filter_map(|p| CompiledProfile::from_json(p).ok())
            .collect()
        })
    }

    fn check(r: &crate::error::Result<MapResult>) {
        match r {
            Err(e) => {
                assert!(!e.message.is_empty());
                assert_ne!(e.code, ErrorCode::Internal, "{e}");
            }
            Ok(r) => {
                assert!(r.event.is_some() ^ r.skip.is_some(), "event xor skip");
                let nf = r
                    .skip
                    .as_ref()
                    .is_some_and(|s| s.code == skip_codes::NEEDS_FETCH);
                assert_eq!(
                    r.needs_fetch.is_some(),
                    nf,
                    "needsFetch with NEEDS_FETCH only"
                );
                if let Some(e) = &r.event {
                    assert!(
                        crate::studio::params::validate(e).is_empty(),
                        "an event the PAM flow rejects: {:?}",
                        crate::studio::params::validate(e)
                    );
                    let cfg = crate::StudioConfig::new(
                        "FW0123456789abcdef0123456789abcdef",
                        "+15017122661",
                    );
                    assert!(crate::build_studio_execution(e, &cfg, None).is_ok());
                    assert_eq!(
                        r.idempotency_key.as_deref(),
                        Some(e.idempotency_key().as_str())
                    );
                }
            }
        }
    }

    let _ = detect(data);
    let value: Option<serde_json::Value> = crate::inbound::json::parse(data).ok();
    for p in profiles() {
        check(&map_input(data, p, &MapOptions::default()));
        check(&fhir::map_fhir(data, p, &fhir::FhirOptions::default()));
        if let Ok(all) = fhir::map_fhir_all(data, p, &fhir::FhirOptions::default()) {
            for r in all {
                check(&Ok(r));
            }
        }
        check(&redox::map_redox(data, p));
        check(&json_map::map_json(data, p));
        if let Some(v) = &value {
            let opts = fhir::FhirOptions {
                previous: Some(v.clone()),
                trigger: Some("S13".into()),
                now_ms: Some(1_710_000_000_000),
                resources: vec![v.clone()],
            };
            check(&fhir::map_fhir(data, p, &opts));
            let _ = json_map::map_table_b(v, p).map(|r| check(&Ok(r)));
        }
    }
}

/// REMIND planning on arbitrary bytes: a `reminders` section cut from the input (offsets, window;
/// mostly invalid, which must give coded `PROFILE_*` errors), an appointment time and offset chosen
/// by the bytes in zones with DST gaps, overlaps, 30- and 45-minute offsets; and, when the bytes
/// are JSON, the planner's JSON input (a `MapResult` or Table B values) with a fixed schedule.
/// Invariants: errors are coded, never `INTERNAL`; every code is a documented one; a created or
/// updated reminder is before the start, has a snapshot and a `notAfterMs` not before it, and
/// `remindDue` sends it at its instant; a created one is after the planning instant; planning
/// again with the stored state changes nothing; the REMIND request builds or fails with a code.
pub fn reminders(data: &[u8]) {
    use crate::error::ErrorCode;
    use crate::event::AppointmentEvent;
    use crate::profile::{Profile, SanitizeMode};
    use crate::remind::{self, codes, Action, DueAction, Existing, PlanInput, Status, Subject};
    use crate::studio::StudioConfig;
    use serde_json::json;

    const ZONES: [&str; 6] = [
        "America/New_York",
        "Europe/London",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "Pacific/Chatham",
        "America/Santiago",
    ];
    const OFFSETS: [&str; 9] = [
        "-0500", "-0400", "+0000", "+0100", "+1030", "+1100", "+0530", "+1345", "-03:00",
    ];
    let b = |i: usize| usize::from(data.get(i).copied().unwrap_or(0));
    let text = String::from_utf8_lossy(data.get(16..).unwrap_or(&[]));
    let mut cut = text.split('|');
    let offsets: Vec<&str> = cut.next().unwrap_or("").split(',').take(3).collect();
    let (start, end) = (cut.next().unwrap_or("09:00"), cut.next().unwrap_or("19:00"));
    let days: Vec<&str> = crate::profile::reminders::WEEKDAYS
        .iter()
        .enumerate()
        .filter(|(i, _)| b(0) & (1 << i) != 0)
        .map(|(_, d)| *d)
        .collect();
    let pick = |list: &[&'static str], i: usize| list.get(i % list.len()).copied().unwrap_or("");
    let section = json!({
        "offsets": offsets, "window": {"start": start, "end": end, "days": days},
        "outsideWindow": pick(&["earlier", "later", "drop"], b(1)), "stockFlow": b(2) % 2 == 0,
        "minSpacing": "2m", "minNotice": pick(&["0m", "1h", "90m"], b(1) / 3),
        "onConfirmed": pick(&["keep", "cancel"], b(2) / 2),
    });
    let zone = ZONES.get(b(3) % ZONES.len()).copied().unwrap_or("UTC");
    let cfg = StudioConfig::new("FW0123456789abcdef0123456789abcdef", "+15017122661");
    let check = |subject: &Subject<'_>, p: &Profile, now: i64| {
        let plan = match remind::plan_reminders(subject, p, now, &[]) {
            Ok(plan) => plan,
            Err(e) => {
                assert_ne!(e.code, ErrorCode::Internal, "{e}");
                assert!(!e.message.is_empty());
                return;
            }
        };
        let mut stored = Vec::new();
        for r in &plan.reminders {
            assert!(r.code.is_none_or(|c| codes::ALL.contains(&c)));
            if let Some(s) = r.stored() {
                assert!(s.due_at_ms < s.appointment_start_ms && s.not_after_ms >= s.due_at_ms);
                assert!(s.snapshot.is_some());
                assert_eq!(remind::remind_due(&s, s.due_at_ms).action, DueAction::Send);
                if r.action == Action::Create {
                    assert!(s.due_at_ms > now);
                }
                if let Err(e) =
                    remind::build_remind_execution(&s, &cfg, None, now, SanitizeMode::Repair)
                {
                    assert_ne!(e.code, ErrorCode::Internal, "{e}");
                }
                stored.push(Existing {
                    id: s.id.clone(),
                    status: Status::Pending,
                    appointment_start_ms: Some(s.appointment_start_ms),
                });
            }
        }
        let again = remind::plan_reminders(subject, p, now, &stored);
        if let Ok(again) = again {
            let live: Vec<&str> = again
                .reminders
                .iter()
                .filter(|r| matches!(r.action, Action::Create | Action::Update))
                .map(|r| r.id.as_str())
                .collect();
            assert_eq!(
                live,
                stored.iter().map(|s| s.id.as_str()).collect::<Vec<_>>()
            );
        }
        let _ = serde_json::to_string(&plan);
    };
    let profile = Profile::from_value(json!({"sender": {"timeZone": zone}, "reminders": section}));
    let profile = match profile {
        Ok(p) => p,
        Err(e) => {
            assert!(e.code.as_str().starts_with("PROFILE_"), "{e}");
            Profile::from_value(json!({"sender": {"timeZone": zone},
                "reminders": {"offsets": ["24h", "1d@18:00"], "window": {"start": "09:00", "end": "19:00"}}}))
            .unwrap_or_default()
        }
    };
    let local = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        2000 + b(4) % 80,
        1 + b(5) % 12,
        1 + b(6) % 31,
        b(7) % 24,
        b(8) % 60,
        b(9) % 60
    );
    let event = AppointmentEvent {
        event_type: pick(
            &[
                "BOOKED",
                "RESCHEDULED",
                "MODIFIED",
                "CONFIRMED",
                "CANCELED",
                "NOSHOWED",
                "REMIND",
            ],
            b(10),
        )
        .into(),
        patient_id: "P1".into(),
        appointment_id: "A1".into(),
        patient_phone: "+16175550143".into(),
        appointment_datetime: local,
        appointment_timezone: OFFSETS
            .get(b(11) % OFFSETS.len())
            .copied()
            .unwrap_or("")
            .into(),
        ..Default::default()
    };
    let lead = i64::try_from(b(12) * 256 + b(13)).unwrap_or(0) * 60_000;
    let start = crate::inbound::common::parse_iso(&event.appointment_datetime)
        .map_or(0, |i| i.local.and_utc().timestamp_millis());
    let zone_arg = (b(14) % 2 == 0).then_some(zone);
    check(&Subject::event(&event, zone_arg), &profile, start - lead);
    if let Ok(text) = std::str::from_utf8(data) {
        match PlanInput::from_json(text) {
            Ok(input) => check(&input.subject(), &profile, 1_750_000_000_000),
            Err(e) => assert_ne!(e.code, ErrorCode::Internal, "{e}"),
        }
    }
}
