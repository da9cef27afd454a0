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
