//! Property tests: whatever names and locations a message carries (commas, quotes, braces,
//! equals signs, non-Latin scripts, control characters), the default (repair) mode never produces a
//! `Parameters` value the PAM flow would reject or mangle.
#![cfg(not(target_arch = "wasm32"))]

use ehr_studio_bridge::{
    event::{AppointmentEvent, Field},
    hl7::{escape, Delimiters},
    map_hl7,
    profile::SanitizeMode,
    studio::{
        params::{parse_like_save_function, render_flow_data, validate},
        sanitize::sanitize_event,
    },
    CompiledProfile,
};
use proptest::prelude::*;

fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[ -~]{0,40}",
        "[a-zA-Z ,='{}\"’&/#()\\\\-]{0,30}",
        "[\\p{Han}\\p{Cyrillic}\\p{Arabic}\\p{Latin}\\p{Greek} ,]{0,20}",
        Just("Nguyễn Thị Minh Khai, Phòng 5".to_owned()),
        Just("O’Brien = {x}".to_owned()),
        Just("\"\"".to_owned()),
    ]
}

fn enc(s: &str) -> String {
    let d = Delimiters::default();
    escape::encode(s, &d)
        .map(|c| c.into_owned())
        .unwrap_or_default()
}

fn assert_pam_safe(e: &AppointmentEvent) {
    let v = validate(e);
    assert!(v.is_empty(), "{v:?} for {e:?}");
    let parsed =
        parse_like_save_function(&render_flow_data(e)).expect("save-* parsing must not throw");
    assert_eq!(parsed.len(), 14);
    for (k, val) in parsed {
        let f = Field::from_name(&k).expect("key");
        assert_eq!(e.get(f).trim(), val, "{k} changed in the {{k=v}} parsing");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mapped_messages_are_pam_safe(
        last in nasty(), first in nasty(), loc in nasty(), prov in nasty(), id in nasty(),
    ) {
        let msg = format!(
            "MSH|^~\\&|EHR|FAC|HUB|X|20240115093000-0500||SIU^S12|C1|P|2.5.1\r\
             SCH|{id}|F{id}||||||||||^^30^20240122143000\r\
             PID|1||{id}1^^^FAC^MR||{last}^{first}^^^^^L||19800101|F|||||^PRN^CP^^1^617^5550142\r\
             RGS|1\rAIL|1||{loc}\rAIP|1||{id}^{prov}^{first}\r",
            id = enc(&id), last = enc(&last), first = enc(&first), loc = enc(&loc), prov = enc(&prov),
        );
        let r = map_hl7(msg.as_bytes(), &CompiledProfile::default()).expect("maps");
        if let Some(e) = &r.event {
            assert_pam_safe(e);
        }
        if let Some(d) = &r.draft {
            // Drafts of skipped inputs are sanitized too.
            for f in [Field::PatientFirstName, Field::PatientLastName, Field::AppointmentLocation] {
                prop_assert!(ehr_studio_bridge::studio::params::check_value(f, d.get(f)).is_none());
            }
        }
    }

    #[test]
    fn sanitized_events_are_pam_safe(
        a in nasty(), b in nasty(), c in nasty(), d in nasty(), e in nasty(), f in nasty(), g in nasty(), h in nasty(),
    ) {
        let mut ev = AppointmentEvent {
            event_type: "BOOKED".into(),
            event_datetime_utc: "2024-01-01T10:00:00Z".into(),
            patient_id: format!("1{a}"),
            patient_first_name: b,
            patient_last_name: c,
            patient_phone: "+16175550142".into(),
            provider_id: format!("x{d}"),
            provider_first_name: e,
            provider_last_name: f,
            provider_callback_phone: g,
            appointment_location: h,
            appointment_id: "A1".into(),
            appointment_datetime: "2024-01-02T10:00:00".into(),
            appointment_timezone: "-0500".into(),
        };
        let mut w = Vec::new();
        sanitize_event(&mut ev, SanitizeMode::Repair, &mut w).expect("repair never fails on text values");
        assert_pam_safe(&ev);
        // Idempotent: a second pass changes nothing and warns nothing.
        let before = ev.clone();
        let mut w2 = Vec::new();
        sanitize_event(&mut ev, SanitizeMode::Repair, &mut w2).unwrap();
        prop_assert_eq!(&before, &ev);
        prop_assert!(w2.is_empty());
        // Strict mode accepts exactly what repair leaves unchanged.
        let mut again = before.clone();
        prop_assert!(sanitize_event(&mut again, SanitizeMode::Strict, &mut Vec::new()).is_ok());
    }

    /// The hand-written `Parameters` writer is byte-identical to serde_json, and the form body
    /// decodes back to it, for any text at all (control characters, quotes, astral planes).
    #[test]
    fn parameters_json_is_serde_json(
        a in nasty(), b in ".{0,30}", c in "[\\u{0}-\\u{7f}]{0,30}", d in any::<String>(),
    ) {
        let ev = AppointmentEvent {
            event_type: a.clone(),
            patient_first_name: b.clone(),
            patient_last_name: c.clone(),
            appointment_location: d.clone(),
            provider_id: format!("{a}{b}{c}{d}"),
            ..Default::default()
        };
        let p = ehr_studio_bridge::studio::parameters_json(&ev);
        prop_assert_eq!(&p, &serde_json::to_string(&ev).unwrap());
        let mut body = String::new();
        ehr_studio_bridge::studio::request::form_encode_into(&mut body, &p);
        prop_assert!(body.bytes().all(|x| x.is_ascii_alphanumeric() || b"*-._+%".contains(&x)));
        let mut bytes = Vec::new();
        let mut it = body.bytes();
        while let Some(x) = it.next() {
            match x {
                b'+' => bytes.push(b' '),
                b'%' => {
                    let h = [it.next().unwrap(), it.next().unwrap()];
                    bytes.push(u8::from_str_radix(std::str::from_utf8(&h).unwrap(), 16).unwrap());
                }
                x => bytes.push(x),
            }
        }
        prop_assert_eq!(String::from_utf8(bytes).unwrap(), p);
        // The body writes the same encoding without building the JSON first.
        let mut direct = String::new();
        ehr_studio_bridge::studio::parameters_form_into(&mut direct, &ev);
        prop_assert_eq!(direct, body);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut input = b"MSH|^~\\&|A|B|C|D|20240101||SIU^S12|1|P|2.5\r".to_vec();
        input.extend_from_slice(&bytes);
        let _ = map_hl7(&input, &CompiledProfile::default());
        let _ = map_hl7(&bytes, &CompiledProfile::default());
    }
}
