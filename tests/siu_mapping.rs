//! Behaviour of the SIU mapper on hand-made messages: events and statuses, times and DST,
//! phones, filters, overrides, strict mode, robustness.

use ehr_studio_bridge::{
    event::{Field, MapResult},
    map_hl7, CompiledProfile, ErrorCode,
};

const BASE: &str = "MSH|^~\\&|EHR|FAC|HUB|X|{MSH7}||SIU^{TRIG}|C1|P|{VER}\r\
SCH|P1^EHR|F1^EHR||||||CONSULT^Consult|||^^30^{START}|D1^DOC^DANA|^WPN^PH^^1^617^5550100||||||||||||{STATUS}\r\
PID|1||MRN1^^^FAC^MR||DOE^JANE^^^^^L||19800101|F|||||{PHONES}|{WORK}\r\
PV1|1|O|CLINIC^^^FAC||||D1^DOC^DANA\r\
RGS|1\r\
AIL|1||Main Street Clinic^^^FAC\r\
AIP|1||D1^DOC^DANA|ATT\r";

struct M<'a> {
    trig: &'a str,
    status: &'a str,
    msh7: &'a str,
    start: &'a str,
    phones: &'a str,
    work: &'a str,
    ver: &'a str,
}

impl Default for M<'_> {
    fn default() -> Self {
        M {
            trig: "S12",
            status: "Booked",
            msh7: "20240115093000-0500",
            start: "20240122143000",
            phones: "^PRN^CP^^1^617^5550142",
            work: "",
            ver: "2.3",
        }
    }
}

impl M<'_> {
    fn text(&self) -> String {
        BASE.replace("{TRIG}", self.trig)
            .replace("{STATUS}", self.status)
            .replace("{MSH7}", self.msh7)
            .replace("{START}", self.start)
            .replace("{PHONES}", self.phones)
            .replace("{WORK}", self.work)
            .replace("{VER}", self.ver)
    }
    fn map(&self, profile: &str) -> MapResult {
        map_hl7(
            self.text().as_bytes(),
            &CompiledProfile::from_json(profile).unwrap(),
        )
        .unwrap()
    }
}

fn codes(r: &MapResult) -> Vec<&'static str> {
    r.warnings.iter().map(|w| w.code).collect()
}

fn event_type(r: &MapResult) -> String {
    r.event
        .as_ref()
        .map(|e| e.event_type.clone())
        .unwrap_or_else(|| format!("skip:{}", r.skip.as_ref().unwrap().code))
}

#[test]
fn triggers() {
    for (t, want) in [
        ("S12", "BOOKED"),
        ("S13", "RESCHEDULED"),
        ("S14", "MODIFIED"),
        ("S15", "CANCELED"),
        ("S16", "CANCELED"),
        ("S17", "CANCELED"),
        ("S26", "NOSHOWED"),
        ("S18", "skip:SKIP_NOT_SCHEDULING_EVENT"),
        ("S24", "skip:SKIP_NOT_SCHEDULING_EVENT"),
    ] {
        let status = match t {
            "S15" | "S16" | "S17" => "Cancelled",
            "S26" => "Noshow",
            _ => "Booked",
        };
        let r = M {
            trig: t,
            status,
            ..M::default()
        }
        .map("{}");
        assert_eq!(event_type(&r), want, "{t}");
        assert_eq!(
            codes(&r).contains(&"MAP_EVENT_MAPPED_TO_CANCELED"),
            matches!(t, "S16" | "S17"),
            "{t}"
        );
    }
    let r = M {
        trig: "S17",
        ..M::default()
    }
    .map(r#"{"hl7":{"events":{"S17":"skip"}}}"#);
    let s = r.skip.unwrap();
    assert_eq!(
        (s.code, s.rule.as_deref()),
        ("SKIP_EVENT_POLICY", Some("hl7.events.S17"))
    );
    let r = M {
        trig: "S16",
        status: "Dc",
        ..M::default()
    }
    .map(r#"{"hl7":{"events":{"S16":"CANCELED"}}}"#);
    assert_eq!(event_type(&r), "CANCELED");
    assert!(!codes(&r).contains(&"MAP_EVENT_MAPPED_TO_CANCELED"));
    let adt = M::default().text().replace("SIU^S12", "ADT^A04");
    let r = map_hl7(adt.as_bytes(), &CompiledProfile::default()).unwrap();
    assert_eq!(r.skip.unwrap().code, "SKIP_NOT_SCHEDULING_EVENT");
}

#[test]
fn s14_statuses() {
    let m = |status: &str, profile: &str| {
        M {
            trig: "S14",
            status,
            ..M::default()
        }
        .map(profile)
    };
    assert_eq!(event_type(&m("Confirmed", "{}")), "CONFIRMED");
    assert_eq!(event_type(&m("CONFIRMED", "{}")), "CONFIRMED");
    assert_eq!(event_type(&m("Booked^Booked^HL70278", "{}")), "MODIFIED");
    assert_eq!(
        event_type(&m("CONF", r#"{"hl7":{"confirmedStatuses":["CONF"]}}"#)),
        "CONFIRMED"
    );
    assert_eq!(
        event_type(&m("Confirmed", r#"{"hl7":{"confirmedStatuses":[]}}"#)),
        "MODIFIED"
    );
    let r = m("Cancelled", "{}");
    assert_eq!(event_type(&r), "MODIFIED");
    assert!(codes(&r).contains(&"MAP_EVENT_STATUS_MISMATCH"));
    assert_eq!(
        event_type(&m("Cancelled", r#"{"hl7":{"statusOverridesEvent":true}}"#)),
        "CANCELED"
    );
    assert_eq!(
        event_type(&m("Noshow", r#"{"hl7":{"statusOverridesEvent":true}}"#)),
        "NOSHOWED"
    );
    assert!(codes(&m("STARTED", "{}")).contains(&"MAP_EVENT_STATUS_MISMATCH"));
    assert!(codes(&m("LOCAL42", "{}")).contains(&"MAP_STATUS_UNRECOGNIZED"));
    // S12 with a contradicting status: warn, keep BOOKED.
    let r = M {
        status: "Cancelled",
        ..M::default()
    }
    .map("{}");
    assert_eq!(event_type(&r), "BOOKED");
    assert!(codes(&r).contains(&"MAP_EVENT_STATUS_MISMATCH"));
}

#[test]
fn times_and_dst() {
    let ny = r#"{"sender":{"timeZone":"America/New_York"}}"#;
    // Plain: unzoned start in the profile zone, DST-correct offset for that date.
    let r = M::default().map(ny);
    let e = r.event.unwrap();
    assert_eq!(
        (
            e.appointment_datetime.as_str(),
            e.appointment_timezone.as_str()
        ),
        ("2024-01-22T14:30:00", "-0500")
    );
    assert_eq!(e.event_datetime_utc, "2024-01-15T14:30:00Z");
    let e = M {
        start: "20240722143000",
        ..M::default()
    }
    .map(ny)
    .event
    .unwrap();
    assert_eq!(e.appointment_timezone, "-0400");
    // Spring-forward gap: 02:30 does not exist on 2024-03-10 in New York.
    let r = M {
        start: "20240310023000",
        ..M::default()
    }
    .map(ny);
    assert!(codes(&r).contains(&"MAP_DST_GAP"));
    let e = r.event.unwrap();
    assert_eq!(
        (
            e.appointment_datetime.as_str(),
            e.appointment_timezone.as_str()
        ),
        ("2024-03-10T03:30:00", "-0400")
    );
    // Fall-back overlap: 01:30 on 2024-11-03 happens twice.
    let r = M {
        start: "20241103013000",
        ..M::default()
    }
    .map(ny);
    assert!(codes(&r).contains(&"MAP_DST_AMBIGUOUS"));
    assert_eq!(r.event.unwrap().appointment_timezone, "-0400");
    let later = r#"{"sender":{"timeZone":"America/New_York","ambiguousTime":"later"}}"#;
    assert_eq!(
        M {
            start: "20241103013000",
            ..M::default()
        }
        .map(later)
        .event
        .unwrap()
        .appointment_timezone,
        "-0500"
    );
    // No zone, no offsets anywhere: UTC with warnings.
    let r = M {
        msh7: "20240115093000",
        ..M::default()
    }
    .map("{}");
    assert!(codes(&r).contains(&"MAP_EVENT_TIME_ASSUMED_UTC"));
    assert!(codes(&r).contains(&"MAP_ZONE_ASSUMED_UTC"));
    assert_eq!(r.event.unwrap().appointment_timezone, "+0000");
    // No zone but MSH-7 has an offset: used, with a warning.
    let r = M::default().map("{}");
    assert!(codes(&r).contains(&"MAP_ZONE_FROM_MESSAGE_TIME"));
    assert_eq!(r.event.unwrap().appointment_timezone, "-0500");
    // Date-only start: used with a warning.
    let r = M {
        start: "20240122",
        ..M::default()
    }
    .map(ny);
    assert!(codes(&r).contains(&"MAP_DATETIME_LOW_PRECISION"));
    // Garbage start: skip, coded.
    let r = M {
        start: "tomorrow",
        ..M::default()
    }
    .map(ny);
    assert!(codes(&r).contains(&"MAP_BAD_DATETIME"));
    assert_eq!(r.skip.unwrap().code, "SKIP_MISSING_REQUIRED");
    // Zoned start: converted into the profile zone.
    let e = M {
        start: "20240122193000+0000",
        ..M::default()
    }
    .map(ny)
    .event
    .unwrap();
    assert_eq!(
        (
            e.appointment_datetime.as_str(),
            e.appointment_timezone.as_str()
        ),
        ("2024-01-22T14:30:00", "-0500")
    );
}

#[test]
fn phones() {
    let phone = |phones: &str, work: &str, profile: &str| {
        let r = M {
            phones,
            work,
            ..M::default()
        }
        .map(profile);
        (
            r.event.as_ref().map(|e| e.patient_phone.clone()),
            codes(&r),
            r,
        )
    };
    // Mobile marked by equipment type wins over an earlier home number.
    let (p, _, r) = phone("(617)555-0199^PRN^PH~^PRN^CP^^1^617^5550142", "", "{}");
    assert_eq!(p.as_deref(), Some("+16175550142"));
    assert_eq!(
        r.provenance
            .get(Field::PatientPhone)
            .unwrap()
            .source
            .to_string(),
        "PID-13[2]"
    );
    // Use code in the wrong slot / free text (Renalware), with a GB profile.
    let (p, c, _) = phone(
        "07898989898^MOBILE~0209999999^HOME~testrenal@co.in^EMAIL",
        "\"\"^BUSINESS",
        r#"{"sender":{"defaultCountry":"GB"}}"#,
    );
    assert_eq!(p.as_deref(), Some("+447898989898"));
    assert!(!c.contains(&"MAP_PHONE_NOT_MARKED_MOBILE"));
    // Home number only: used, with a warning; refused when the profile requires a mobile.
    let (p, c, _) = phone("(617)555-0199^PRN^PH", "", "{}");
    assert_eq!(p.as_deref(), Some("+16175550199"));
    assert!(c.contains(&"MAP_PHONE_NOT_MARKED_MOBILE"));
    let (p, c, r) = phone(
        "(617)555-0199^PRN^PH",
        "",
        r#"{"phones":{"requireMobile":true}}"#,
    );
    assert_eq!(p, None);
    assert!(c.contains(&"MAP_PHONE_UNMARKED_SKIPPED"));
    assert_eq!(r.skip.unwrap().code, "SKIP_NO_MOBILE_PHONE");
    // Work number only with allowWork.
    let (p, c, _) = phone("", "(617)555-0177", "{}");
    assert_eq!(p, None);
    assert!(c.contains(&"MAP_PHONE_WORK_SKIPPED"));
    let (p, c, _) = phone("", "(617)555-0177", r#"{"phones":{"allowWork":true}}"#);
    assert_eq!(p.as_deref(), Some("+16175550177"));
    assert!(c.contains(&"MAP_PHONE_WORK_USED"));
    // E-mail in XTN-1 or XTN-4, fax, pager: never a phone.
    let (p, _, _) = phone(
        "a@b.org^NET^Internet~^PRN^FX^^1^617^5550111~^^^x@y.org",
        "",
        "{}",
    );
    assert_eq!(p, None);
    // A number in no range of its plan (NANP area code 190): rejected with a coded warning
    // naming its position; with nothing else the event is a SKIP_INVALID_PHONE.
    let (p, c, r) = phone("(190)719-1440", "", "{}");
    assert_eq!(p, None);
    assert!(c.contains(&"PHONE_INVALID_RANGE"));
    assert_eq!(r.skip.unwrap().code, "SKIP_INVALID_PHONE");
    // … and the next valid candidate is chosen when there is one, even an unmarked one.
    let (p, c, r) = phone("(190)719-1440^PRN^CP~(617)555-0199^PRN^PH", "", "{}");
    assert_eq!(p.as_deref(), Some("+16175550199"));
    assert!(c.contains(&"PHONE_INVALID_RANGE"));
    let w = r
        .warnings
        .iter()
        .find(|w| w.code == "PHONE_INVALID_RANGE")
        .unwrap();
    let at = serde_json::to_string(&w.position).unwrap();
    assert!(at.contains("PID") && !at.contains("190"), "{at}");
    // Too long / too short for the plan (GB mobiles have 10 national digits).
    for (raw, code) in [
        ("0789898989^MOBILE", "PHONE_INVALID_RANGE"),
        ("078989898989^MOBILE", "PHONE_TOO_LONG"),
    ] {
        let (p, c, r) = phone(raw, "", r#"{"sender":{"defaultCountry":"GB"}}"#);
        assert_eq!(p, None, "{raw}");
        assert!(c.contains(&code), "{raw}: {c:?}");
        assert_eq!(r.skip.unwrap().code, "SKIP_INVALID_PHONE");
    }
    // An invalid number beside a valid landline: the skip is about the landline policy.
    let (p, c, r) = phone(
        "0789898989^MOBILE~0121 234 5678^HOME",
        "",
        r#"{"sender":{"defaultCountry":"GB"}}"#,
    );
    assert_eq!(p, None);
    assert!(c.contains(&"MAP_PHONE_LANDLINE_SKIPPED"));
    assert_eq!(r.skip.unwrap().code, "SKIP_NO_MOBILE_PHONE");
    // A toll-free number is never texted, whatever its marking.
    let (p, c, _) = phone("(800)234-5678^PRN^CP", "", "{}");
    assert_eq!(p, None);
    assert!(c.contains(&"MAP_PHONE_NOT_SMS_CAPABLE"));
    // No configured country: assumed US, said so.
    let (_, c, _) = phone("(617)555-0199^PRN^CP", "", "{}");
    assert!(c.contains(&"PHONE_DEFAULT_COUNTRY_ASSUMED"));
    let (_, c, _) = phone(
        "(617)555-0199^PRN^CP",
        "",
        r#"{"sender":{"defaultCountry":"US"}}"#,
    );
    assert!(!c.contains(&"PHONE_DEFAULT_COUNTRY_ASSUMED"));
    // XTN-1 and components disagree (v2.3 reads XTN-1 first).
    let (p, c, _) = phone("(617)555-0199^PRN^CP^^1^617^5550142", "", "{}");
    assert_eq!(p.as_deref(), Some("+16175550199"));
    assert!(c.contains(&"MAP_PHONE_COMPONENTS_DISAGREE"));
    // v2.8: PID-40 first, components before XTN-1.
    let text = M {
        ver: "2.8",
        phones: "(617)555-0199^PRN^CP^^1^617^5550142",
        ..M::default()
    }
    .text()
    .replace(
        "\rPV1",
        &format!("{}^PRN^CP^^1^212^5550123\rPV1", "|".repeat(26)),
    );
    let r = map_hl7(text.as_bytes(), &CompiledProfile::default()).unwrap();
    assert_eq!(r.event.unwrap().patient_phone, "+12125550123");
    assert_eq!(
        r.provenance
            .get(Field::PatientPhone)
            .unwrap()
            .source
            .to_string(),
        "PID-40"
    );
}

#[test]
fn filters() {
    let skip = |profile: &str| {
        let r = M::default().map(profile);
        r.skip.map(|s| (s.code, s.rule.unwrap_or_default()))
    };
    assert_eq!(skip(r#"{"filters":{"facility":{"allow":["FAC"]}}}"#), None);
    assert_eq!(
        skip(r#"{"filters":{"facility":{"allow":["OTHER"]}}}"#),
        Some(("SKIP_FILTERED", "filters.facility.allow".into()))
    );
    assert_eq!(
        skip(r#"{"filters":{"appointmentType":{"deny":["consult"]}}}"#),
        Some(("SKIP_FILTERED", "filters.appointmentType.deny".into()))
    );
    assert_eq!(
        skip(r#"{"filters":{"provider":{"deny":["D1"]}}}"#),
        Some(("SKIP_FILTERED", "filters.provider.deny".into()))
    );
    assert_eq!(
        skip(r#"{"filters":{"location":{"allow":["Main Street Clinic"]}}}"#),
        None
    );
    assert_eq!(
        skip(r#"{"filters":{"smsConsent":{"path":"PID-30"}}}"#),
        Some(("SKIP_FILTERED", "filters.smsConsent.whenMissing".into()))
    );
    assert_eq!(
        skip(r#"{"filters":{"smsConsent":{"path":"PID-30","whenMissing":"send"}}}"#),
        None
    );
    assert_eq!(
        skip(r#"{"filters":{"smsConsent":{"path":"PV1-2","values":["I"]}}}"#),
        Some(("SKIP_FILTERED", "filters.smsConsent".into()))
    );
    assert_eq!(
        skip(r#"{"filters":{"smsConsent":{"path":"PV1-2","values":["o"]}}}"#),
        None
    );
}

#[test]
fn overrides_defaults_and_provenance() {
    let r = M::default().map(
        r#"{"hl7":{"fields":{"appointment_location":"AIL-3.4","provider_callback_phone":[]}},
            "defaults":{"providerCallbackPhone":"(800) 555-2222"},"hl7x":1}"#
            .replace(",\"hl7x\":1", "")
            .as_str(),
    );
    let e = r.event.as_ref().unwrap();
    assert_eq!(e.appointment_location, "FAC");
    assert_eq!(e.provider_callback_phone, "(800) 555-2222");
    assert_eq!(
        r.provenance
            .get(Field::AppointmentLocation)
            .unwrap()
            .source
            .to_string(),
        "AIL-3.4"
    );
    assert_eq!(
        r.provenance
            .get(Field::ProviderCallbackPhone)
            .unwrap()
            .source
            .to_string(),
        "profile.defaults.providerCallbackPhone"
    );
    // Without the override: SCH-13 as a human NANP number.
    let e = M::default().map("{}").event.unwrap();
    assert_eq!(e.provider_callback_phone, "(617) 555-0100");
    let e = M::default()
        .map(r#"{"phones":{"callbackFormat":"e164"}}"#)
        .event
        .unwrap();
    assert_eq!(e.provider_callback_phone, "+16175550100");
    // Every key has a provenance entry.
    let r = M::default().map("{}");
    for f in Field::ALL {
        assert!(r.provenance.get(f).is_some(), "{}", f.name());
    }
    // Appointment id choice.
    assert_eq!(M::default().map("{}").event.unwrap().appointment_id, "F1");
    assert_eq!(
        M::default()
            .map(r#"{"hl7":{"appointmentId":"placer"}}"#)
            .event
            .unwrap()
            .appointment_id,
        "P1"
    );
}

#[test]
fn strict_and_repair() {
    let text = M::default()
        .text()
        .replace("Main Street Clinic", "Owl Clinic, Suite 5");
    let r = map_hl7(text.as_bytes(), &CompiledProfile::default()).unwrap();
    assert_eq!(
        r.event.unwrap().appointment_location,
        "Owl Clinic - Suite 5"
    );
    let err = map_hl7(
        text.as_bytes(),
        &CompiledProfile::from_json(r#"{"sanitize":"strict"}"#).unwrap(),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::MapStrictRejected);
    // Ids are encoded, reversibly.
    let text = M::default().text().replace("F1^EHR", "F/1^EHR");
    let r = map_hl7(text.as_bytes(), &CompiledProfile::default()).unwrap();
    assert_eq!(r.event.unwrap().appointment_id, "F%2F1");
    assert_eq!(r.ids.filler_appointment_id.unwrap().id, "F/1");
}

#[test]
fn idempotency() {
    let a = M::default().map("{}");
    let b = M::default().map("{}");
    assert_eq!(a.idempotency_key, b.idempotency_key);
    let c = M {
        msh7: "20240115093500-0500",
        ..M::default()
    }
    .map("{}");
    assert_ne!(a.idempotency_key, c.idempotency_key);
    let d = M {
        trig: "S15",
        status: "Cancelled",
        ..M::default()
    }
    .map("{}");
    assert_ne!(a.idempotency_key, d.idempotency_key);
}

/// Never panic: every prefix of every SIU in the corpus maps (or errors) without panicking.
#[test]
fn truncated_inputs_never_panic() {
    let mut files = Vec::new();
    for dir in ["tests/fixtures/corpus", "tests/fixtures/corpus/synthetic"] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let n = p.file_name().unwrap().to_string_lossy().to_lowercase();
            if n.contains("siu") && !n.contains("very_long") {
                files.push(p);
            }
        }
    }
    let profile = CompiledProfile::from_json(r#"{"sender":{"timeZone":"Europe/Paris"}}"#).unwrap();
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        for cut in (0..bytes.len()).step_by(3) {
            let _ = map_hl7(&bytes[..cut], &profile);
            let _ = map_hl7(&bytes[cut..], &profile);
        }
    }
}
