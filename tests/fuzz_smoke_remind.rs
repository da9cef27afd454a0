//! Stable-toolchain stand-in for `fuzz/fuzz_targets/remind_plan.rs`: thousands of deterministic
//! pseudo-random inputs (schedules as text, appointment times and offsets as bytes, JSON planner
//! inputs) through `fuzz_entry::reminders`. Nothing may panic; the plan invariants must hold.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::Rng;

use ehr_studio_bridge::fuzz_entry;

const SCHEDULES: &[&str] = &[
    "72h,24h|09:00|19:00",
    "1d@18:00,2h|08:00|20:00",
    "3d,1d2h|00:00|24:00",
    "0d@07:00|02:00|02:30",
    "90m,2h30m|01:30|03:00",
    "1d|00:15|23:45",
    "400d|09:00|10:00",
    "1d@02:15,26h|02:00|04:00",
    "|09:00|19:00",
    "5h|19:00|09:00",
    "x,,|a|b",
    "1d@24:00|24:00|00:00",
];

const JSON_INPUTS: &[&str] = &[
    r#"{"event_type":"BOOKED","event_datetime_utc":"","patient_id":"P","patient_first_name":"","patient_last_name":"","patient_phone":"+16175550143","provider_id":"","provider_first_name":"","provider_last_name":"","provider_callback_phone":"","appointment_location":"","appointment_id":"A","appointment_datetime":"2025-11-03T01:30:00","appointment_timezone":"-0500"}"#,
    r#"{"event":null,"skip":{"code":"SKIP_FILTERED"},"draft":{"event_type":"BOOKED","event_datetime_utc":"","patient_id":"P","patient_first_name":"","patient_last_name":"","patient_phone":"","provider_id":"","provider_first_name":"","provider_last_name":"","provider_callback_phone":"","appointment_location":"","appointment_id":"A","appointment_datetime":"2025-03-09T02:30:00","appointment_timezone":"-0500"},"ids":{"timeZone":"America/New_York"}}"#,
    r#"{"event":null,"skip":{"code":"NEEDS_FETCH"},"ids":{}}"#,
    r#"{"ids":{"timeZone":"Mars/Olympus"}}"#,
    "[]",
    "null",
];

#[test]
fn reminders_never_panic_and_keep_their_invariants() {
    let mut rng = Rng(0x005e_ed0f_7e31_d1e5);
    let mut n = 0;
    for round in 0..6000 {
        let mut data: Vec<u8> = (0..16).map(|_| (rng.next() & 0xff) as u8).collect();
        let tail: Vec<u8> = match round % 4 {
            0 | 1 => rng.pick(SCHEDULES).as_bytes().to_vec(),
            2 => (0..rng.below(40))
                .map(|_| (rng.next() & 0x7f) as u8)
                .collect(),
            _ => {
                let mut s = rng.pick(SCHEDULES).as_bytes().to_vec();
                let at = rng.below(s.len() + 1);
                s.insert(at.min(s.len()), (rng.next() & 0xff) as u8);
                s
            }
        };
        data.extend(tail);
        fuzz_entry::reminders(&data);
        n += 1;
    }
    for j in JSON_INPUTS {
        fuzz_entry::reminders(j.as_bytes());
        let mut bytes = j.as_bytes().to_vec();
        for _ in 0..200 {
            let at = rng.below(bytes.len());
            if let Some(b) = bytes.get_mut(at) {
                *b = (rng.next() & 0x7f) as u8;
            }
            fuzz_entry::reminders(&bytes);
            n += 1;
        }
    }
    assert!(n > 7000);
}
