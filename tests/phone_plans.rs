//! Proof that the generated numbering-plan tables (`src/phone/plan_data.rs`) and their matcher
//! classify numbers as libphonenumber does:
//!
//! * drift: regenerating the tables (examples/gen_phonedata.rs) gives the checked-in file;
//! * every pattern of the metadata parses into the supported subset;
//! * for every region (all 254, territories and non-geographic entities) and every example number
//!   of every type, plus mutations of each (one digit fewer, one more, each leading digit changed,
//!   the last digit changed), the library's validity, type, region and error equal a reference
//!   implementation of libphonenumber's algorithms (`getRegionCodeForNumberFromRegionList`,
//!   `getNumberTypeHelper`, `testNumberLength`) run on the `phonenumber` crate's own copy of the
//!   metadata with the `regex` crate as the matcher;
//! * the reference is the `phonenumber` crate's algorithm: with the crate's prefix matching
//!   (`find` at 0, where libphonenumber uses `matches()`) it gives the crate's `number_type` on
//!   every one of those numbers, so the only difference from the crate is that anchoring;
//! * national forms: every valid example written with the region's national prefix, and in the
//!   international format from a foreign default country's IDD, normalizes to the same E.164.

#![cfg(not(target_arch = "wasm32"))]

#[path = "../examples/gen_phonedata.rs"]
#[allow(dead_code)]
mod gen_phonedata;

use ehr_studio_bridge::phone::{self, NumberType, PhoneError};
use phonenumber::metadata::{Descriptor, Metadata};
use regex::Regex;
use std::collections::HashMap;

struct Re {
    full: HashMap<String, Regex>,
    prefix: HashMap<String, Regex>,
}

impl Re {
    fn new() -> Self {
        Re {
            full: HashMap::new(),
            prefix: HashMap::new(),
        }
    }
    fn clean(p: &str) -> String {
        p.chars().filter(|c| !c.is_whitespace()).collect()
    }
    fn full(&mut self, p: &str, s: &str) -> bool {
        let c = Self::clean(p);
        self.full
            .entry(c.clone())
            .or_insert_with(|| Regex::new(&format!("^(?:{c})$")).unwrap())
            .is_match(s)
    }
    fn prefix(&mut self, p: &str, s: &str) -> bool {
        let c = Self::clean(p);
        self.prefix
            .entry(c.clone())
            .or_insert_with(|| Regex::new(&format!("^(?:{c})")).unwrap())
            .is_match(s)
    }
}

/// libphonenumber's `isNumberMatchingDesc`, with full (`anchored`) or prefix matching.
fn matches(re: &mut Re, d: Option<&Descriptor>, nsn: &str, anchored: bool) -> bool {
    let Some(d) = d else { return false };
    let lens = d.possible_length();
    if !lens.is_empty() && !lens.contains(&(nsn.len() as u16)) {
        return false;
    }
    let p = d.national_number().as_str();
    if anchored {
        re.full(p, nsn)
    } else {
        re.prefix(p, nsn)
    }
}

/// libphonenumber's `getNumberTypeHelper` (the general description's lengths are the union of
/// the types', as libphonenumber's metadata build computes them).
fn ref_type(re: &mut Re, m: &Metadata, nsn: &str, anchored: bool) -> Option<NumberType> {
    let d = m.descriptors();
    let (glens, _) = gen_phonedata::general_lengths(m).unwrap();
    let n = nsn.len();
    let gp = d.general().national_number().as_str();
    let gmatch = if anchored {
        re.full(gp, nsn)
    } else {
        re.prefix(gp, nsn)
    };
    if !(n < 32 && glens & (1 << n) != 0 && gmatch) {
        return None;
    }
    let typed = [
        (d.premium_rate(), NumberType::PremiumRate),
        (d.toll_free(), NumberType::TollFree),
        (d.shared_cost(), NumberType::SharedCost),
        (d.voip(), NumberType::Voip),
        (d.personal_number(), NumberType::PersonalNumber),
        (d.pager(), NumberType::Pager),
        (d.uan(), NumberType::Uan),
        (d.voicemail(), NumberType::Voicemail),
    ];
    for (desc, t) in typed {
        if matches(re, desc, nsn, anchored) {
            return Some(t);
        }
    }
    if matches(re, d.fixed_line(), nsn, anchored) {
        let same = match (d.fixed_line(), d.mobile()) {
            (Some(f), Some(m)) => {
                Re::clean(f.national_number().as_str()) == Re::clean(m.national_number().as_str())
            }
            _ => false,
        };
        if same || matches(re, d.mobile(), nsn, anchored) {
            return Some(NumberType::FixedLineOrMobile);
        }
        return Some(NumberType::FixedLine);
    }
    matches(re, d.mobile(), nsn, anchored).then_some(NumberType::Mobile)
}

/// libphonenumber's `getRegionCodeForNumberFromRegionList` + type.
fn ref_classify(
    re: &mut Re,
    regions: &[&'static Metadata],
    cc: u16,
    nsn: &str,
) -> Option<(&'static str, NumberType)> {
    let list: Vec<&&Metadata> = regions.iter().filter(|m| m.country_code() == cc).collect();
    if list.len() == 1 {
        return ref_type(re, list[0], nsn, true).map(|t| (list[0].id(), t));
    }
    for m in list {
        if let Some(ld) = m.leading_digits() {
            if re.prefix(ld.as_str(), nsn) {
                return ref_type(re, m, nsn, true).map(|t| (m.id(), t));
            }
        } else if let Some(t) = ref_type(re, m, nsn, true) {
            return Some((m.id(), t));
        }
    }
    None
}

/// libphonenumber's `testNumberLength` on the main region → the library's error.
fn ref_error(m: &Metadata, nsn: &str) -> PhoneError {
    let (lens, local) = gen_phonedata::general_lengths(m).unwrap();
    let n = nsn.len();
    let has = |mask: u32| n < 32 && mask & (1 << n) != 0;
    let min = lens.trailing_zeros() as usize;
    let max = 31 - lens.leading_zeros() as usize;
    if has(local) || n < min {
        PhoneError::TooShort
    } else if n > max {
        PhoneError::TooLong
    } else if has(lens) {
        PhoneError::InvalidRange
    } else {
        PhoneError::InvalidLength
    }
}

fn crate_type(t: phonenumber::Type) -> Option<NumberType> {
    use phonenumber::Type as T;
    Some(match t {
        T::FixedLine => NumberType::FixedLine,
        T::Mobile => NumberType::Mobile,
        T::FixedLineOrMobile => NumberType::FixedLineOrMobile,
        T::TollFree => NumberType::TollFree,
        T::PremiumRate => NumberType::PremiumRate,
        T::SharedCost => NumberType::SharedCost,
        T::Voip => NumberType::Voip,
        T::PersonalNumber => NumberType::PersonalNumber,
        T::Pager => NumberType::Pager,
        T::Uan => NumberType::Uan,
        T::Voicemail => NumberType::Voicemail,
        _ => return None,
    })
}

/// Example numbers of every type of every region, and mutations of each.
fn samples(regions: &[&'static Metadata]) -> Vec<(u16, String)> {
    let mut out = Vec::new();
    for m in regions {
        for k in 0..gen_phonedata::KINDS.len() {
            let Some(ex) = gen_phonedata::desc(m, k).and_then(|d| d.example()) else {
                continue;
            };
            let cc = m.country_code();
            out.push((cc, ex.to_owned()));
            out.push((cc, ex[..ex.len() - 1].to_owned()));
            out.push((cc, format!("{ex}0")));
            out.push((cc, format!("{ex}57")));
            out.push((cc, ex[..ex.len().saturating_sub(3)].to_owned()));
            for pos in [0usize, 1, 2] {
                for d in b'0'..=b'9' {
                    let mut b = ex.as_bytes().to_vec();
                    if let Some(slot) = b.get_mut(pos) {
                        *slot = d;
                        out.push((cc, String::from_utf8(b).unwrap()));
                    }
                }
            }
            let mut b = ex.as_bytes().to_vec();
            if let Some(last) = b.last_mut() {
                *last = if *last == b'9' { b'0' } else { *last + 1 };
            }
            out.push((cc, String::from_utf8(b).unwrap()));
        }
    }
    out.retain(|(_, s)| !s.is_empty());
    out.sort();
    out.dedup();
    out
}

#[test]
fn generated_tables_are_current() {
    let text = gen_phonedata::generate().expect("metadata compiles");
    let current = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(gen_phonedata::OUT),
    )
    .unwrap();
    assert!(
        text == current,
        "{} is stale: run `cargo run --example gen_phonedata`",
        gen_phonedata::OUT
    );
    assert_eq!(phone::metadata_version(), gen_phonedata::METADATA_VERSION);
}

#[test]
fn every_pattern_is_in_the_supported_subset() {
    let mut n = 0;
    for m in gen_phonedata::regions() {
        for k in 0..gen_phonedata::KINDS.len() {
            if let Some(d) = gen_phonedata::desc(m, k) {
                gen_phonedata::parse(d.national_number().as_str()).unwrap();
                n += 1;
            }
        }
        for p in [
            m.international_prefix().map(|r| r.as_str()),
            m.national_prefix_for_parsing().map(|r| r.as_str()),
            m.leading_digits().map(|r| r.as_str()),
        ]
        .into_iter()
        .flatten()
        {
            let node = gen_phonedata::parse(p).unwrap();
            let mut code = Vec::new();
            gen_phonedata::encode(&node, &mut code).unwrap();
            n += 1;
        }
    }
    assert!(n > 1500, "{n}");
    assert_eq!(gen_phonedata::regions().len(), 254);
    assert!(gen_phonedata::parse("[2-9]\\d{2}(?:0|1)?").is_ok());
    for bad in ["a", "\\w", "(?=1)", "[^1]", "1{2", "((1)", "1|*"] {
        assert!(gen_phonedata::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn classification_equals_libphonenumber_on_every_example_and_mutation() {
    let regions = gen_phonedata::regions();
    let mut re = Re::new();
    let all = samples(&regions);
    assert!(all.len() > 30_000, "{}", all.len());
    let (mut valid, mut invalid, mut crate_checked) = (0, 0, 0);
    let mut types: HashMap<&str, usize> = HashMap::new();
    for (cc, nsn) in &all {
        let e164 = format!("+{cc}{nsn}");
        let ours = phone::validate_e164(&e164);
        if cc.to_string().len() + nsn.len() > 15 {
            assert_eq!(ours.unwrap_err(), PhoneError::TooLong, "{e164}");
            continue;
        }
        let main = regions
            .iter()
            .find(|m| m.country_code() == *cc)
            .copied()
            .unwrap();
        match ref_classify(&mut re, &regions, *cc, nsn) {
            Some((id, t)) => {
                let n = ours.unwrap_or_else(|e| panic!("{e164}: {e:?}, expected {t:?}"));
                assert_eq!(n.number_type, t, "{e164}");
                assert_eq!(n.country, (id != "001").then_some(id), "{e164}");
                assert_eq!(n.e164, e164);
                *types.entry(t.as_str()).or_default() += 1;
                valid += 1;
            }
            None => {
                let err = if nsn.len() < 2 {
                    PhoneError::TooShort
                } else {
                    ref_error(main, nsn)
                };
                assert_eq!(ours.map(|n| n.e164), Err(err), "{e164}");
                invalid += 1;
            }
        }
        // The reference is the phonenumber crate's algorithm, up to its prefix matching.
        if let Some(m) = ref_region_for_crate(&regions, *cc, nsn) {
            let db = &phonenumber::metadata::DATABASE;
            if let Ok(p) = phonenumber::parse(None, &e164) {
                // The crate keeps national numbers as integers: leading zeros (other than its
                // Italian flag) are lost, so only numbers without one compare.
                let same_number = p.code().value() == *cc
                    && p.national().to_string() == *nsn
                    && !nsn.starts_with('0');
                if same_number && p.metadata(db).map(|x| x.id()) == Some(m.id()) {
                    let crate_t = crate_type(p.number_type(db));
                    assert_eq!(ref_type(&mut re, m, nsn, false), crate_t, "{e164}");
                    crate_checked += 1;
                }
            }
        }
    }
    eprintln!(
        "{} numbers: {valid} valid, {invalid} invalid, {crate_checked} also checked against the phonenumber crate; types {types:?}",
        all.len()
    );
    assert!(valid > 8_000 && invalid > 15_000, "{valid} {invalid}");
    assert!(crate_checked > 20_000, "{crate_checked}");
    for t in [
        "fixedLine",
        "mobile",
        "fixedLineOrMobile",
        "tollFree",
        "premiumRate",
        "sharedCost",
        "voip",
        "personalNumber",
        "pager",
        "uan",
        "voicemail",
    ] {
        assert!(types.get(t).copied().unwrap_or(0) > 0, "no {t} number seen");
    }
}

/// The region the crate would use (its `source_for`, with its own leading-digit rule).
fn ref_region_for_crate(
    regions: &[&'static Metadata],
    cc: u16,
    nsn: &str,
) -> Option<&'static Metadata> {
    let list: Vec<&'static Metadata> = regions
        .iter()
        .filter(|m| m.country_code() == cc)
        .copied()
        .collect();
    if list.len() == 1 {
        return list.first().copied();
    }
    // Only regions picked by leading digits (the crate's typed fallback uses prefix matching
    // for the region choice too, which would compare a different region).
    list.into_iter().find(|m| {
        m.leading_digits()
            .and_then(|ld| ld.find(nsn))
            .is_some_and(|f| f.start() == 0)
    })
}

#[test]
fn national_and_international_forms_of_every_valid_example() {
    let regions = gen_phonedata::regions();
    let mut re = Re::new();
    let (mut national, mut idd, mut national_differs) = (0, 0, 0);
    for m in &regions {
        if m.id() == "001" {
            continue;
        }
        let cc = m.country_code();
        for k in 1..gen_phonedata::KINDS.len() {
            let Some(ex) = gen_phonedata::desc(m, k).and_then(|d| d.example()) else {
                continue;
            };
            if ref_classify(&mut re, &regions, cc, ex).map(|(id, _)| id) != Some(m.id()) {
                continue;
            }
            let want = format!("+{cc}{ex}");
            // From the US (IDD 011) and from GB (IDD 00).
            for (home, prefix) in [("US", "011"), ("GB", "00")] {
                if (home == "US" && cc == 1) || (home == "GB" && cc == 44) {
                    continue;
                }
                let text = format!("{prefix} {cc} {ex}");
                let (n, _) = phone::normalize(&text, Some(home))
                    .unwrap_or_else(|e| panic!("{text} from {home}: {e:?}"));
                assert_eq!(n.e164, want, "{text} from {home}");
                idd += 1;
            }
            // Nationally, with the national prefix where the country writes one.
            let np = m.national_prefix().unwrap_or("");
            let text = format!("{np}{ex}");
            if let Ok((n, _)) = phone::normalize(&text, Some(m.id())) {
                if n.e164 == want {
                    national += 1;
                    continue;
                }
            }
            // libphonenumber reads some national forms differently (a prefix that is also the
            // start of a valid number, e.g. NANP's `1`): the crate must agree that it does.
            let parsed = phonenumber::parse(m.id().parse().ok(), &text).ok();
            let crate_e164 = parsed.map(|p| format!("+{}{}", p.code().value(), p.national()));
            assert_ne!(
                crate_e164.as_deref(),
                Some(want.as_str()),
                "{text} in {}",
                m.id()
            );
            national_differs += 1;
        }
    }
    eprintln!("{national} national forms, {idd} international forms, {national_differs} national forms read otherwise (as the crate does)");
    assert!(national > 900 && idd > 1_800, "{national} {idd}");
    assert!(national_differs < 20, "{national_differs}");
}
