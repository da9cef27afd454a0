//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the native smoke test
//! (`tests/fuzz_smoke.rs`, which runs on stable in CI). Each function exercises a whole pipeline on
//! arbitrary bytes and checks invariants with `assert!` — a panic here is a bug found.

use crate::hl7::{ack, escape, mllp, tree, Message, Path};

/// Parse, walk every element, decode, build the preview tree, query a path derived from the
/// input, build an ACK, split MLLP, and check escape round trips.
pub fn hl7_everything(data: &[u8]) {
    let _ = mllp::split(data, true);
    let _ = mllp::split(data, false);
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
/// 14 keys and passes the PAM validator; a skip never carries an event.
pub fn map_everything(data: &[u8]) {
    use crate::profile::Profile;
    use crate::studio::{build_studio_execution, params, StudioConfig};
    let profiles = [
        Ok(Profile::default()),
        Profile::from_json(
            r#"{"sender":{"timeZone":"America/New_York","defaultCountry":"US"},"sanitize":"strict"}"#,
        ),
        Profile::from_json(
            r#"{"preset":"athenahealth","sender":{"timeZone":"Europe/Paris","defaultCountry":"FR"},
                "filters":{"smsConsent":{"path":"PD1-12","values":["Y"],"whenMissing":"send"},"facility":{"deny":["X"]}},
                "phones":{"allowWork":true,"allowLandline":true}}"#,
        ),
    ];
    let cfg = StudioConfig::new("FW0123456789abcdef0123456789abcdef", "+15017122661");
    for p in profiles.iter().flatten() {
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
