//! Phone numbers of the countries the integration meets most (US/CA, GB, FR, DE, AU, IN, MX), each
//! as a valid mobile and a valid fixed line (national with and without the trunk prefix, `+`,
//! the international prefix of another country), too short, too long and in no range; plus
//! property tests: no input panics, and every `Ok` is a valid E.164 number that normalizes to
//! itself.

#![cfg(not(target_arch = "wasm32"))]

use ehr_studio_bridge::phone::{self, LineKind, NumberType as T, PhoneError as E};
use proptest::prelude::*;

type Want = Result<(&'static str, T), E>;

const fn ok(e164: &'static str, t: T) -> Want {
    Ok((e164, t))
}

/// (default country, input, expected).
const CASES: &[(&str, &str, Want)] = &[
    // ---- US / CA (NANP: one plan, mobiles and fixed lines share ranges) ----
    (
        "US",
        "(201) 555-0123",
        ok("+12015550123", T::FixedLineOrMobile),
    ),
    (
        "US",
        "1 201 555 0123",
        ok("+12015550123", T::FixedLineOrMobile),
    ),
    (
        "US",
        "+1 201-555-0123",
        ok("+12015550123", T::FixedLineOrMobile),
    ),
    (
        "GB",
        "001 201 555 0123",
        ok("+12015550123", T::FixedLineOrMobile),
    ),
    ("US", "800 234 5678", ok("+18002345678", T::TollFree)),
    ("US", "900 234 5678", ok("+19002345678", T::PremiumRate)),
    ("US", "555-0123", Err(E::TooShort)),
    ("US", "201 555 01234", Err(E::TooLong)),
    ("US", "(555) 555-0123", Err(E::InvalidRange)),
    ("US", "(201) 055-0123", Err(E::InvalidRange)),
    (
        "US",
        "(506) 234-5678",
        ok("+15062345678", T::FixedLineOrMobile),
    ),
    (
        "CA",
        "506 234 5678",
        ok("+15062345678", T::FixedLineOrMobile),
    ),
    ("CA", "011 44 7400 123456", ok("+447400123456", T::Mobile)),
    // ---- GB ----
    ("GB", "07400 123456", ok("+447400123456", T::Mobile)),
    ("GB", "7400 123456", ok("+447400123456", T::Mobile)),
    ("GB", "+44 (0)7400 123456", ok("+447400123456", T::Mobile)),
    ("US", "011 44 7400 123456", ok("+447400123456", T::Mobile)),
    ("GB", "0121 234 5678", ok("+441212345678", T::FixedLine)),
    ("GB", "0800 123 4567", ok("+448001234567", T::TollFree)),
    ("GB", "07400 1234", Err(E::InvalidRange)),
    ("GB", "+44 7400 1234", Err(E::TooShort)),
    ("GB", "07400 1234567", Err(E::TooLong)),
    ("GB", "+44 7400 12345", Err(E::InvalidRange)),
    ("GB", "0600 123 4567", Err(E::InvalidRange)),
    // ---- FR ----
    ("FR", "06 12 34 56 78", ok("+33612345678", T::Mobile)),
    ("FR", "6 12 34 56 78", ok("+33612345678", T::Mobile)),
    ("FR", "+33 6 12 34 56 78", ok("+33612345678", T::Mobile)),
    ("US", "011 33 6 12 34 56 78", ok("+33612345678", T::Mobile)),
    ("FR", "01 23 45 67 89", ok("+33123456789", T::FixedLine)),
    ("FR", "0 800 12 34 56", ok("+33800123456", T::TollFree)),
    ("FR", "09 12 34 56 78", ok("+33912345678", T::Voip)),
    ("FR", "06 12 34 56", Err(E::TooShort)),
    ("FR", "06 12 34 56 789", Err(E::TooLong)),
    ("FR", "+33 0 12 34 56 78", Err(E::InvalidRange)),
    // ---- DE ----
    ("DE", "0151 23456789", ok("+4915123456789", T::Mobile)),
    ("DE", "+49 151 23456789", ok("+4915123456789", T::Mobile)),
    (
        "AU",
        "0011 49 151 23456789",
        ok("+4915123456789", T::Mobile),
    ),
    ("DE", "030 123456", ok("+4930123456", T::FixedLine)),
    ("DE", "+49 301", Err(E::TooShort)),
    ("DE", "+49 100 1234567", Err(E::InvalidRange)),
    ("DE", "0151 2345678901234", Err(E::TooLong)),
    ("DE", "+49 151 2345", Err(E::InvalidRange)),
    // ---- AU ----
    ("AU", "0412 345 678", ok("+61412345678", T::Mobile)),
    ("AU", "412 345 678", ok("+61412345678", T::Mobile)),
    ("AU", "+61 412 345 678", ok("+61412345678", T::Mobile)),
    ("GB", "00 61 412 345 678", ok("+61412345678", T::Mobile)),
    ("AU", "(02) 1234 5678", ok("+61212345678", T::FixedLine)),
    ("AU", "1800 123 456", ok("+611800123456", T::TollFree)),
    ("AU", "+61 4123", Err(E::TooShort)),
    ("AU", "+61 4123 456 7890", Err(E::InvalidLength)),
    ("AU", "+61 4123 456 789 012", Err(E::TooLong)),
    ("AU", "0512 345 678", Err(E::InvalidRange)),
    // ---- IN ----
    ("IN", "081234 56789", ok("+918123456789", T::Mobile)),
    ("IN", "81234 56789", ok("+918123456789", T::Mobile)),
    ("IN", "+91 81234 56789", ok("+918123456789", T::Mobile)),
    ("US", "011 91 81234 56789", ok("+918123456789", T::Mobile)),
    (
        "IN",
        "074104 10123",
        ok("+917410410123", T::FixedLineOrMobile),
    ),
    ("IN", "0512 345 6789", ok("+915123456789", T::FixedLine)),
    ("IN", "+91 81234 5678", Err(E::InvalidRange)),
    ("IN", "+91 81234", Err(E::TooShort)),
    ("IN", "+91 81234 56789 01234", Err(E::TooLong)),
    ("IN", "+91 20000 00000", Err(E::InvalidRange)),
    // ---- MX (no trunk prefix since 2019; mobiles and fixed lines share most ranges) ----
    (
        "MX",
        "222 123 4567",
        ok("+522221234567", T::FixedLineOrMobile),
    ),
    (
        "MX",
        "+52 222 123 4567",
        ok("+522221234567", T::FixedLineOrMobile),
    ),
    (
        "US",
        "011 52 222 123 4567",
        ok("+522221234567", T::FixedLineOrMobile),
    ),
    (
        "MX",
        "00 52 222 123 4567",
        ok("+522221234567", T::FixedLineOrMobile),
    ),
    ("MX", "800 123 4567", ok("+528001234567", T::TollFree)),
    ("MX", "222 123 45", Err(E::TooShort)),
    ("MX", "222 123 45678", Err(E::TooLong)),
    ("MX", "+52 022 123 4567", Err(E::InvalidRange)),
];

#[test]
fn seven_countries() {
    let mut failures = Vec::new();
    for (dc, raw, want) in CASES {
        let got = phone::normalize(raw, Some(dc)).map(|(n, _)| (n.e164, n.number_type));
        let want = want.map(|(e, t)| (e.to_owned(), t));
        if got != want {
            failures.push(format!("{dc} {raw:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn sms_summary_of_each_type() {
    let kind = |raw: &str, dc: &str| phone::normalize(raw, Some(dc)).unwrap().0.kind;
    assert_eq!(kind("07400 123456", "GB"), LineKind::Mobile);
    assert_eq!(kind("0121 234 5678", "GB"), LineKind::Landline);
    assert_eq!(kind("(201) 555-0123", "US"), LineKind::Unknown);
    for (raw, dc) in [
        ("0800 123 4567", "GB"),
        ("800 234 5678", "US"),
        ("900 234 5678", "US"),
        ("1800 123 456", "AU"),
    ] {
        assert_eq!(kind(raw, dc), LineKind::NotSms, "{raw}");
    }
}

#[test]
fn every_territory_is_a_default_country() {
    let all: Vec<&str> = phone::countries().collect();
    assert!(all.len() >= 240, "{}", all.len());
    for iso in [
        "US", "CA", "GB", "FR", "DE", "AU", "IN", "MX", "JP", "BR", "AR", "ZA",
    ] {
        assert!(all.contains(&iso), "{iso}");
        assert!(phone::country(iso).is_some());
    }
    assert!(phone::country("001").is_none());
    assert!(phone::country("ZZ").is_none());
}

fn valid_e164(s: &str) -> bool {
    s.strip_prefix('+').is_some_and(|d| {
        (3..=15).contains(&d.len()) && !d.starts_with('0') && d.bytes().all(|b| b.is_ascii_digit())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn arbitrary_text_never_panics_and_ok_is_valid(
        raw in "[0-9+() .xX#-]{0,24}|\\PC{0,20}",
        dc in prop::sample::select(vec!["US", "CA", "GB", "FR", "DE", "AU", "IN", "MX", "AR", "JP", "BR", "AG"]),
    ) {
        for d in [Some(dc), None] {
            if let Ok((n, _)) = phone::normalize(&raw, d) {
                prop_assert!(valid_e164(&n.e164), "{}", n.e164);
                let again = phone::validate_e164(&n.e164);
                prop_assert_eq!(again.map(|m| (m.e164, m.number_type)), Ok((n.e164.clone(), n.number_type)));
            }
        }
    }

    #[test]
    fn digit_strings_after_a_plus(d in "[1-9][0-9]{0,17}") {
        let s = format!("+{d}");
        match phone::validate_e164(&s) {
            Ok(n) => prop_assert_eq!(n.e164, s),
            Err(e) => prop_assert!(matches!(
                e,
                E::TooShort | E::TooLong | E::InvalidLength | E::InvalidRange | E::UnknownCallingCode
            )),
        }
    }

    #[test]
    fn xtn_parts_never_panic(
        cc in "[0-9]{0,4}", area in "[0-9]{0,5}", local in "[0-9 -]{0,12}",
        dc in prop::sample::select(vec!["US", "GB", "FR", "DE", "AU", "IN", "MX"]),
    ) {
        let cc = Some(cc.as_str()).filter(|c| !c.is_empty());
        if let Ok((n, _)) = phone::from_parts(cc, Some(&area), &local, None, Some(dc)) {
            prop_assert!(valid_e164(&n.e164));
            prop_assert!(phone::validate_e164(&n.e164).is_ok());
        }
    }
}
