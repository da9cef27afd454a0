//! Boundary tests, run in Node by `cargo test --target wasm32-unknown-unknown --lib`
//! (runner: `wasm-bindgen-test-runner`, see `.cargo/config.toml`).

use super::*;
use crate::Position;
use js_sys::{Object, Reflect};
use wasm_bindgen_test::wasm_bindgen_test;

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).expect("Reflect.get")
}

fn u8array(bytes: &[u8]) -> Uint8Array {
    Uint8Array::from(bytes)
}

/// Samples that exercise the ASCII fast path, the second pass at every UTF-8 width, and pass
/// boundaries falling just before a multi-byte character.
const SAMPLES: &[&str] = &[
    "",
    "A",
    "MSH|^~\\&|EPIC|CLINIC|||20250101120000||SIU^S12|1|P|2.5.1\rPID|1||123^^^MRN\r",
    "é",
    "中",
    "😀",
    "Zoë Ünal^Renée|中文名|😀🎉|\\X0D\\",
    "abcé",
    "abc中",
    "abc😀",
    "ééééé",
    "😀😀😀",
    "a😀b中cé\u{0}d\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}",
];

#[wasm_bindgen_test]
fn string_and_uint8array_give_identical_utf8() {
    for s in SAMPLES {
        let from_string = input_bytes(&JsValue::from_str(s)).expect("string input");
        let from_array = input_bytes(&u8array(s.as_bytes()).into()).expect("Uint8Array input");
        assert_eq!(from_string, s.as_bytes(), "string input for {s:?}");
        assert_eq!(from_array, s.as_bytes(), "Uint8Array input for {s:?}");
    }
}

#[wasm_bindgen_test]
fn large_inputs_both_passes() {
    let ascii = "PID|1||123^^^MRN|\r".repeat(20_000);
    assert_eq!(
        input_bytes(&JsValue::from_str(&ascii)).unwrap(),
        ascii.as_bytes()
    );
    // ASCII prefix, then a large non-ASCII tail: the second pass reserves 3x of the remainder.
    let mixed = format!("{ascii}{}", "中😀é".repeat(10_000));
    let bytes = input_bytes(&JsValue::from_str(&mixed)).unwrap();
    assert_eq!(bytes.len(), mixed.len());
    assert_eq!(bytes, mixed.as_bytes());
}

#[wasm_bindgen_test]
fn lone_surrogates_become_replacement_character() {
    // "a" + lone high surrogate + "b": not representable as a Rust &str, build it in JS.
    let s = JsString::from_char_code3(0x61, 0xD800, 0x62);
    assert_eq!(input_bytes(&s.into()).unwrap(), "a\u{FFFD}b".as_bytes());
}

#[wasm_bindgen_test]
fn uint8array_subarray_and_node_buffer() {
    let whole = u8array(b"xxMSH|^~\\&|yy");
    let sub = whole.subarray(2, 11);
    assert_eq!(input_bytes(&sub.into()).unwrap(), b"MSH|^~\\&|");

    // Node's Buffer is a Uint8Array subclass (tests run in Node; skip silently elsewhere).
    let buffer = get(&js_sys::global(), "Buffer");
    if !buffer.is_undefined() {
        let from: js_sys::Function = get(&buffer, "from").unchecked_into();
        let buf = from
            .call1(&buffer, &JsValue::from_str("Zoë 中 😀"))
            .unwrap();
        assert_eq!(input_bytes(&buf).unwrap(), "Zoë 中 😀".as_bytes());
    }
}

#[wasm_bindgen_test]
fn other_inputs_are_bad_argument_errors() {
    let cases: Vec<(JsValue, &str)> = vec![
        (JsValue::from_f64(42.0), "number"),
        (JsValue::NULL, "null"),
        (JsValue::UNDEFINED, "undefined"),
        (Object::new().into(), "object"),
        (js_sys::ArrayBuffer::new(4).into(), "object"),
        (js_sys::Uint16Array::new_with_length(4).into(), "object"),
        (JsValue::from_bool(true), "boolean"),
    ];
    for (v, typ) in cases {
        let err = input_bytes(&v).expect_err("must reject");
        assert!(err.is_instance_of::<js_sys::Error>(), "instanceof Error");
        assert_eq!(get(&err, "code"), "BAD_ARGUMENT");
        assert_eq!(get(&err, "name"), ERROR_NAME);
        let msg = get(&err, "message").as_string().unwrap();
        assert!(msg.starts_with("BAD_ARGUMENT: "), "{msg}");
        assert!(msg.ends_with(&format!("got {typ}")), "{msg}");
    }
}

#[wasm_bindgen_test]
fn errors_are_real_errors_with_code_and_position() {
    let e = Error::new(ErrorCode::Hl7BadPath, "component must be a positive number").at(Position {
        segment: Some("PID".into()),
        field: Some(13),
        repetition: Some(2),
        component: Some(1),
        ..Default::default()
    });
    let js = to_js_error(e.clone());
    assert!(js.is_instance_of::<js_sys::Error>());
    let err: &js_sys::Error = js.unchecked_ref();
    assert_eq!(err.message(), e.to_string());
    assert_eq!(err.name(), "EhrStudioBridgeError");
    assert_eq!(get(&js, "code"), "HL7_BAD_PATH");
    let pos = get(&js, "position");
    assert!(pos.is_object());
    assert_eq!(
        Object::get_prototype_of(&pos),
        Object::get_prototype_of(&Object::new())
    );
    assert_eq!(get(&pos, "segment"), "PID");
    assert_eq!(get(&pos, "field").as_f64(), Some(13.0));
    assert_eq!(get(&pos, "repetition").as_f64(), Some(2.0));
    assert!(
        get(&pos, "offset").is_undefined(),
        "absent fields are omitted"
    );
    // The stack is the JS one, captured where the error was built.
    assert!(get(&js, "stack").is_string());

    let plain = to_js_error(Error::new(ErrorCode::EmptyInput, "no message"));
    assert!(get(&plain, "position").is_undefined());
    assert_eq!(get(&plain, "code"), "EMPTY_INPUT");
}

#[wasm_bindgen_test]
fn json_out_gives_plain_objects_and_null() {
    #[derive(serde::Serialize)]
    struct Out {
        name: &'static str,
        missing: Option<u32>,
        params: std::collections::BTreeMap<&'static str, &'static str>,
        list: Vec<u8>,
    }
    let out = Out {
        name: "Zoë 中",
        missing: None,
        params: [("appointment_id", "A1"), ("patient_phone", "+15555550100")]
            .into_iter()
            .collect(),
        list: vec![1, 2],
    };
    let v = json_out(&out).unwrap();
    let object_proto = Object::get_prototype_of(&Object::new());
    assert_eq!(Object::get_prototype_of(&v), object_proto);
    assert_eq!(get(&v, "name"), "Zoë 中");
    assert!(get(&v, "missing").is_null());
    let params = get(&v, "params");
    assert!(!params.is_instance_of::<js_sys::Map>());
    assert_eq!(Object::get_prototype_of(&params), object_proto);
    assert_eq!(get(&params, "patient_phone"), "+15555550100");
    assert!(js_sys::Array::is_array(&get(&v, "list")));
}

#[wasm_bindgen_test]
fn exports_version_and_error_codes() {
    assert_eq!(version(), crate::VERSION);
    let codes: Vec<String> = error_codes()
        .iter()
        .map(|c| c.as_string().unwrap())
        .collect();
    let expected: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(codes, expected);
}

#[wasm_bindgen_test]
fn typescript_declarations_match_rust_types() {
    for c in ErrorCode::ALL {
        assert!(
            ERROR_CODE_TS.contains(&format!("| \"{}\"", c.as_str())),
            "{c} missing in TS union"
        );
    }
    assert!(ERROR_CODE_TS.trim_end().ends_with(';'));
    // Every field of a fully populated Position must be declared in `ErrorPosition`.
    let full = Position {
        segment: Some("PID".into()),
        segment_index: Some(1),
        field: Some(1),
        repetition: Some(1),
        component: Some(1),
        subcomponent: Some(1),
        offset: Some(1),
        pointer: Some("/a".into()),
    };
    let json = serde_json::to_value(&full).unwrap();
    for key in json.as_object().unwrap().keys() {
        assert!(
            TS_SHARED.contains(&format!("  {key}?: ")),
            "ErrorPosition lacks `{key}`"
        );
    }
}

// ---- the exports, called through their JS-facing signatures ------------------------------------

const SIU: &str = "MSH|^~\\&|EHR|C|BR|T|20250305143012||SIU^S12^SIU_S12|M1|P|2.5.1\rSCH|PL1|FL1|||||||||^^^20250310083000\rPID|1||MRN1^^^H^MR||DOE^ZOË||||||||^PRN^CP^^1^617^5550142\rAIL|1||^^^^^^^^Clinic\r";

fn profile() -> JsValue {
    js_sys::JSON::parse(
        r#"{"sender":{"timeZone":"America/New_York","defaultCountry":"US"},
            "studio":{"flowSid":"FW0123456789abcdef0123456789abcdef","from":"+15017122661"},
            "reply":{"hl7":{"version":"2.5.1","placerContact":{"id":"S"},"enteredBy":{"id":"S"}}}}"#,
    )
    .unwrap()
}

#[wasm_bindgen_test]
fn hl7_exports_accept_strings_and_bytes_alike() {
    // parseHl7 returns the packed tree (decoded by the JS glue): compare its decoded form.
    super::hl7::parse_hl7(JsValue::from_str(SIU), None).unwrap();
    let s = super::hl7::last_tree_json();
    super::hl7::parse_hl7(u8array(SIU.as_bytes()).into(), None).unwrap();
    let b = super::hl7::last_tree_json();
    assert_eq!(s, b);
    let m = crate::hl7::Message::parse(SIU.as_bytes()).unwrap();
    let want = serde_json::to_value(crate::hl7::tree::build(
        &m,
        crate::hl7::tree::Offsets::Utf16,
    ));
    assert_eq!(s, want.unwrap());
    let v = super::hl7::query_hl7(JsValue::from_str(SIU), JsValue::from_str("PID-5.2")).unwrap();
    assert_eq!(get(&v, "value"), "ZOË");
    let err = super::hl7::query_hl7(JsValue::from_str(SIU), JsValue::from_str("PID-")).unwrap_err();
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(get(&err, "code"), "HL7_BAD_PATH");
}

#[wasm_bindgen_test]
fn mapper_maps_and_builds_the_request() {
    let m = super::map::Mapper::new(Some(profile())).unwrap();
    let out = m
        .studio_request(JsValue::from_str(SIU), None, None, None)
        .unwrap();
    let result = get(&out, "result");
    let event = get(&result, "event");
    assert_eq!(get(&event, "patient_phone"), "+16175550142");
    assert_eq!(get(&event, "appointment_timezone"), "-0400");
    let request = get(&out, "request");
    assert!(get(&request, "url")
        .as_string()
        .unwrap()
        .ends_with("/Executions"));
    let lean = m.execution(JsValue::from_str(SIU), None, None).unwrap();
    assert_eq!(get(&get(&lean, "request"), "body"), get(&request, "body"));
    let err = super::map::Mapper::new(Some(JsValue::from_str(
        r#"{"sender":{"timeZone":"Mars/Olympus"}}"#,
    )))
    .err()
    .unwrap();
    assert_eq!(get(&err, "code"), "PROFILE_BAD_TIMEZONE");
    assert_eq!(get(&get(&err, "position"), "pointer"), "/sender/timeZone");
}

#[wasm_bindgen_test]
fn reply_exports_round_trip() {
    let body = "{\n\"flow_sid\": \"FW0123456789abcdef0123456789abcdef\",\n\"event_type\": \"Confirm\",\n\"appointment_id\": \"FL1\",\n\"provider_id\": \"\",\n\"patient_id\": \"MRN1\"\n}";
    let reply = super::reply::parse_reply(u8array(body.as_bytes()).into(), None).unwrap();
    assert_eq!(get(&reply, "eventType"), "CONFIRM");
    let opts =
        js_sys::JSON::parse(r#"{"controlId":"C1","timestamp":"20250101000000+0000"}"#).unwrap();
    let srm = super::reply::reply_to_hl7(reply, profile(), Some(opts)).unwrap();
    assert!(srm.contains("|SRM^S03^SRM_S01|C1|"), "{srm}");
    let bad = super::reply::parse_reply(JsValue::from_str("{}"), None).unwrap_err();
    assert_eq!(get(&bad, "code"), "REPLY_MISSING_FIELD");
}

#[wasm_bindgen_test]
fn json_inputs_map_as_strings_objects_and_bytes() {
    let appt = r##"{"resourceType":"Appointment","id":"A1","status":"booked",
        "start":"2025-03-10T13:30:00Z","participant":[{"actor":{"reference":"#p"},"status":"accepted"}],
        "contained":[{"resourceType":"Patient","id":"p","identifier":[{"type":{"coding":[{"code":"MR"}]},"value":"MRN1"}],
          "name":[{"family":"Doe","given":["Jane"]}],"telecom":[{"system":"phone","use":"mobile","value":"(617) 555-0142"}]}]}"##;
    assert_eq!(
        super::map::detect_input(JsValue::from_str(appt)).unwrap(),
        "fhir"
    );
    let obj = js_sys::JSON::parse(appt).unwrap();
    assert_eq!(super::map::detect_input(obj.clone()).unwrap(), "fhir");
    let opts = js_sys::JSON::parse(r#"{"nowMs": 1741600000000}"#).unwrap();
    let a = super::map::map_fhir(obj, Some(profile()), Some(opts.clone())).unwrap();
    let b = super::map::map(u8array(appt.as_bytes()).into(), Some(profile()), Some(opts)).unwrap();
    assert_eq!(
        js_sys::JSON::stringify(&a).unwrap(),
        js_sys::JSON::stringify(&b).unwrap()
    );
    assert_eq!(
        get(&get(&a, "event"), "appointment_datetime"),
        "2025-03-10T09:30:00"
    );
    let bad = super::map::map(JsValue::from_str("{"), None, None).unwrap_err();
    assert_eq!(get(&bad, "code"), "JSON_INVALID");
}

#[wasm_bindgen_test]
fn free_functions_reuse_compiled_profiles_and_never_a_stale_one() {
    let tz = |p: &JsValue| {
        let r = super::map::map_hl7(JsValue::from_str(SIU), Some(p.clone())).unwrap();
        get(&get(&r, "event"), "appointment_timezone")
            .as_string()
            .unwrap()
    };
    let p = js_sys::JSON::parse(
        r#"{"sender":{"timeZone":"America/New_York","defaultCountry":"US"},"hl7":{"events":{"S12":"BOOKED"}}}"#,
    )
    .unwrap();
    let before = super::map::profile_cache_len();
    assert_eq!(tz(&p), "-0400");
    let after_first = super::map::profile_cache_len();
    assert!(
        after_first == before + 1 || after_first == 8,
        "{before} → {after_first}"
    );
    // The same object again (and the same text as a string): a hit, no new entry.
    assert_eq!(tz(&p), "-0400");
    let text = js_sys::JSON::stringify(&p).unwrap();
    assert_eq!(tz(&text.into()), "-0400");
    assert_eq!(super::map::profile_cache_len(), after_first);
    // Mutated in place: a different text, so a different compiled profile.
    Reflect::set(
        &get(&p, "sender"),
        &JsValue::from_str("timeZone"),
        &JsValue::from_str("America/Los_Angeles"),
    )
    .unwrap();
    assert_eq!(tz(&p), "-0700");
    // An invalid profile is an error every time, and is not kept.
    let bad = js_sys::JSON::parse(r#"{"sender":{"timeZone":"Mars/Olympus"}}"#).unwrap();
    let len = super::map::profile_cache_len();
    for _ in 0..2 {
        let err = super::map::map_hl7(JsValue::from_str(SIU), Some(bad.clone())).unwrap_err();
        assert_eq!(get(&err, "code"), "PROFILE_BAD_TIMEZONE");
    }
    assert_eq!(super::map::profile_cache_len(), len);
}

#[wasm_bindgen_test]
fn credentials_any_key_order_and_coded_errors_for_other_shapes() {
    let m = super::map::Mapper::new(Some(profile())).unwrap();
    let auth = |c: &str| {
        let creds = js_sys::JSON::parse(c).unwrap();
        let r = m.execution(JsValue::from_str(SIU), Some(creds), None);
        r.map(|v| get(&get(&get(&v, "request"), "headers"), "Authorization"))
    };
    let want = auth(r#"{"username":"SK0123456789abcdef0123456789abcdef","password":"p\u00e9\"x"}"#)
        .unwrap();
    assert_eq!(
        auth(r#"{"password":"p\u00e9\"x","username":"SK0123456789abcdef0123456789abcdef"}"#)
            .unwrap(),
        want
    );
    // Extra keys, wrong types and missing keys are still rejected by the JSON path.
    for bad in [
        r#"{"username":"SK0123456789abcdef0123456789abcdef","password":"x","extra":1}"#,
        r#"{"username":"SK0123456789abcdef0123456789abcdef","password":7}"#,
        r#"{"username":"SK0123456789abcdef0123456789abcdef"}"#,
    ] {
        let err = auth(bad).unwrap_err();
        assert_eq!(get(&err, "code"), "BAD_ARGUMENT", "{bad}");
    }
}
