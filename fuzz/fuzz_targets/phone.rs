//! Phone text and XTN parts → normalize / from_parts / validate_e164 with several default
//! countries. Nothing may panic; every `Ok` is a valid E.164 number that validates to itself with
//! the same type.
#![no_main]

use ehr_studio_bridge::phone::{from_parts, normalize, validate_e164};
use libfuzzer_sys::fuzz_target;

const COUNTRIES: [Option<&str>; 9] = [
    None,
    Some("US"),
    Some("GB"),
    Some("FR"),
    Some("DE"),
    Some("AU"),
    Some("IN"),
    Some("MX"),
    Some("AR"),
];

fn check(n: &ehr_studio_bridge::phone::PhoneNumber) {
    let again = validate_e164(&n.e164).expect("an Ok number validates");
    assert_eq!(again.e164, n.e164);
    assert_eq!(again.number_type, n.number_type);
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let dc = COUNTRIES[usize::from(sel) % COUNTRIES.len()];
    if let Ok((n, _)) = normalize(&text, dc) {
        check(&n);
    }
    let _ = validate_e164(&text);
    let mut parts = text.splitn(3, '^');
    let (a, b, c) = (parts.next(), parts.next(), parts.next());
    if let Some(local) = c {
        if let Ok((n, _)) = from_parts(a, b, local, None, dc) {
            check(&n);
        }
    }
});
