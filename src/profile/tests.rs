//! The profile's unit tests: coded errors with pointers, presets, merges, round trips.

use super::*;
use crate::event::Field;

#[test]
fn reply_arq_field_follows_the_outbound_appointment_id() {
    use crate::reply::config::AppointmentIdField;
    let r = r#"{"version":"2.5.1","placerContact":{"id":"S"},"enteredBy":{"id":"S"}}"#;
    let id = |json: String| {
        Profile::from_json(&json)
            .unwrap()
            .reply
            .hl7
            .unwrap()
            .appointment_id
    };
    assert_eq!(
        id(format!(r#"{{"reply":{{"hl7":{r}}}}}"#)),
        AppointmentIdField::Filler
    );
    assert_eq!(
        id(format!(
            r#"{{"hl7":{{"appointmentId":"placer"}},"reply":{{"hl7":{r}}}}}"#
        )),
        AppointmentIdField::Placer
    );
    let explicit = r#"{"reply":{"hl7":{"version":"2.5.1","appointmentId":"both","placerContact":{"id":"S"},"enteredBy":{"id":"S"}}}}"#;
    assert_eq!(id(explicit.to_owned()), AppointmentIdField::Both);
}

#[test]
fn reply_section_is_validated_with_pointers() {
    let p = Profile::from_json(
        r#"{"reply":{"hl7":{"version":"2.5.1","placerContact":{"id":"SMS"},"enteredBy":{"id":"SMS"}}}}"#,
    )
    .unwrap();
    assert_eq!(
        p.reply.hl7.as_ref().map(|h| h.version.as_str()),
        Some("2.5.1")
    );
    let e = Profile::from_json(r#"{"reply":{"maxBodyByte":1}}"#).unwrap_err();
    assert_eq!(e.code, ErrorCode::ProfileUnknownKey);
    assert_eq!(
        e.position.and_then(|p| p.pointer).as_deref(),
        Some("/reply")
    );
    let e = Profile::from_json(
        r#"{"reply":{"hl7":{"version":"9.9","placerContact":{"id":"S"},"enteredBy":{"id":"S"}}}}"#,
    )
    .unwrap_err();
    assert_eq!(
        e.position.and_then(|p| p.pointer).as_deref(),
        Some("/reply/hl7/version")
    );
    assert_eq!(
        Profile::from_json(r#"{"reply":[]}"#)
            .unwrap_err()
            .position
            .and_then(|p| p.pointer)
            .as_deref(),
        Some("/reply")
    );
}

fn err(json: &str) -> (String, String) {
    let e = Profile::from_json(json).unwrap_err();
    (
        e.code.as_str().to_owned(),
        e.position.and_then(|p| p.pointer).unwrap_or_default(),
    )
}

#[test]
fn all_presets_load() {
    for (name, _, _) in PRESETS {
        let p = Profile::preset(name).unwrap();
        assert_eq!(p.preset.as_deref(), Some(*name));
    }
}

#[test]
fn coded_errors_with_pointers() {
    assert_eq!(err("[]"), ("PROFILE_BAD_VALUE".into(), "".into()));
    assert_eq!(err("{"), ("JSON_INVALID".into(), "".into()));
    assert_eq!(
        err(r#"{"sender":{"timeZone":"Mars/Base"}}"#),
        ("PROFILE_BAD_TIMEZONE".into(), "/sender/timeZone".into())
    );
    assert_eq!(
        err(r#"{"sender":{"defaultCountry":"XX"}}"#),
        ("PROFILE_BAD_VALUE".into(), "/sender/defaultCountry".into())
    );
    assert_eq!(
        err(r#"{"hl7":{"fields":{"patient_phone":["PID-"]}}}"#),
        (
            "PROFILE_BAD_PATH".into(),
            "/hl7/fields/patient_phone/0".into()
        )
    );
    assert_eq!(
        err(r#"{"hl7":{"fields":{"patient_fone":"PID-13"}}}"#),
        (
            "PROFILE_UNKNOWN_KEY".into(),
            "/hl7/fields/patient_fone".into()
        )
    );
    assert_eq!(
        err(r#"{"hl7":{"events":{"S16":"DELETED"}}}"#),
        ("PROFILE_BAD_VALUE".into(), "/hl7/events/S16".into())
    );
    assert_eq!(
        err(r#"{"hl7":{"events":{"A01":"BOOKED"}}}"#),
        ("PROFILE_UNKNOWN_KEY".into(), "/hl7/events/A01".into())
    );
    assert_eq!(
        err(r#"{"sanitize":"lenient"}"#),
        ("PROFILE_BAD_VALUE".into(), "/sanitize".into())
    );
    assert_eq!(
        err(r#"{"phones":{"allowWork":"yes"}}"#),
        ("PROFILE_BAD_VALUE".into(), "/phones/allowWork".into())
    );
    assert_eq!(
        err(r#"{"preset":"epic"}"#),
        ("PROFILE_UNKNOWN_PRESET".into(), "/preset".into())
    );
    assert_eq!(
        err(r#"{"defaults":{"appointmentLocation":"Owl Clinic, Suite 5"}}"#),
        (
            "PROFILE_BAD_VALUE".into(),
            "/defaults/appointmentLocation".into()
        )
    );
    assert_eq!(
        err(r#"{"studio":{"flowSid":"FW123","from":"+15017122661"}}"#),
        ("PROFILE_BAD_VALUE".into(), "/studio/flowSid".into())
    );
    assert_eq!(
        err(r#"{"filters":{"smsConsent":{"values":["Y"]}}}"#).0,
        "PROFILE_BAD_VALUE"
    );
}

#[test]
fn preset_merge() {
    let p = Profile::from_json(
        r#"{"preset":"athenahealth","hl7":{"fields":{"provider_callback_phone":[]}},"sender":{"timeZone":"America/New_York"}}"#,
    )
    .unwrap();
    assert_eq!(p.sender.time_zone.as_deref(), Some("America/New_York"));
    assert_eq!(p.sender.default_country.as_deref(), Some("US"));
    assert!(p.field_override(Field::AppointmentLocation).is_some());
    assert_eq!(
        p.field_override(Field::ProviderCallbackPhone)
            .unwrap()
            .paths()
            .len(),
        0
    );
}

#[test]
fn json_sections_are_checked_with_pointers() {
    let p = Profile::from_json(
        r#"{"fhir":{"timeZone":"America/Chicago","firstName":"usual","events":{"Appointment.update":"skip"},
            "callbackFrom":["location"],"trustOffset":false},
           "redox":{"events":{"NoShow":"CANCELED"}},
           "json":{"fields":{"event_type":"/k","patient_phone":["/m","/h"]},"eventTime":"/t"},
           "filters":{"smsConsent":{"path":"/Patient/Consent"}}}"#,
    )
    .unwrap();
    assert_eq!(p.fhir.first_name, FirstNameUse::Usual);
    assert!(!p.fhir.trust_offset());
    assert_eq!(p.fhir.callback_from(), &[CallbackSource::Location]);
    assert!(p.json.configured());
    let j = serde_json::to_string(&p).unwrap();
    assert_eq!(Profile::from_json(&j).unwrap(), p);
    for (json, code, ptr) in [
        (
            r#"{"fhir":{"timeZone":"Mars/Base"}}"#,
            "PROFILE_BAD_TIMEZONE",
            "/fhir/timeZone",
        ),
        (
            r#"{"fhir":{"firstName":"nick"}}"#,
            "PROFILE_BAD_VALUE",
            "/fhir/firstName",
        ),
        (
            r#"{"fhir":{"events":{"S13":"MOVED"}}}"#,
            "PROFILE_BAD_VALUE",
            "/fhir/events/S13",
        ),
        (
            r#"{"fhir":{"callbackFrom":["fax"]}}"#,
            "PROFILE_BAD_VALUE",
            "/fhir/callbackFrom/0",
        ),
        (
            r#"{"fhir":{"timezone":"UTC"}}"#,
            "PROFILE_UNKNOWN_KEY",
            "/fhir/timezone",
        ),
        (
            r#"{"redox":{"events":{"Booked":"BOOKED"}}}"#,
            "PROFILE_UNKNOWN_KEY",
            "/redox/events/Booked",
        ),
        (
            r#"{"json":{"fields":{"event_type":"k"}}}"#,
            "PROFILE_BAD_PATH",
            "/json/fields/event_type/0",
        ),
        (
            r#"{"json":{"fields":{"event_type":"/k","patient_fone":"/p"}}}"#,
            "PROFILE_UNKNOWN_KEY",
            "/json/fields/patient_fone",
        ),
        (
            r#"{"json":{"fields":{"event_type":"/k","appointment_timezone":"/z"}}}"#,
            "PROFILE_BAD_VALUE",
            "/json/fields/appointment_timezone",
        ),
        (
            r#"{"json":{"fields":{"patient_id":"/p"}}}"#,
            "PROFILE_BAD_VALUE",
            "/json/fields",
        ),
        (
            r#"{"json":{"fields":{"event_type":"/k"},"eventTime":"/a~2"}}"#,
            "PROFILE_BAD_PATH",
            "/json/eventTime",
        ),
        (
            r#"{"filters":{"location":{"path":"/a~9"}}}"#,
            "PROFILE_BAD_PATH",
            "/filters/location/path",
        ),
    ] {
        assert_eq!(err(json), (code.into(), ptr.into()), "{json}");
    }
}

#[test]
fn round_trips_through_json() {
    let p = Profile::preset("renalware").unwrap();
    let j = serde_json::to_string(&p).unwrap();
    assert_eq!(Profile::from_json(&j).unwrap(), p);
}
