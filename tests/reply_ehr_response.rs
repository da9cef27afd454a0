//! EHR answers: the ACKs of the corpus (tests/fixtures/corpus), our own SRM control ids echoed in
//! an SRR, and FHIR HTTP responses.

use ehr_studio_bridge::reply::{parse_ehr_response, parse_fhir_response};
use ehr_studio_bridge::ErrorCode;

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(format!("tests/fixtures/corpus/{name}")).expect(name)
}

/// (file, code, accepted, retryable, control id, errors, text)
type AckCase = (
    &'static str,
    &'static str,
    bool,
    bool,
    &'static str,
    usize,
    Option<&'static str>,
);

#[test]
fn corpus_acks() {
    let cases: [AckCase; 6] = [
        (
            "synthetic/syn_ack_ae_with_err_v251.hl7",
            "AE",
            false,
            false,
            "SYN0001",
            1,
            Some("Phone number could not be normalised"),
        ),
        (
            "synthetic/syn_ack_ca_enhanced_v251.hl7",
            "CA",
            true,
            false,
            "SYN0001",
            0,
            None,
        ),
        (
            "hapi_ack_ar_utf8.hl7",
            "AR",
            false,
            true,
            "I\u{2665}HAPI",
            0,
            None,
        ),
        (
            "hapi_ack_ar_with_err.hl7",
            "AR",
            false,
            true,
            "LABGL1199510021852632",
            1,
            None,
        ),
        (
            "medplum_ack_aa_v261.hl7",
            "AA",
            true,
            false,
            "9B38584D",
            0,
            Some("Everything was okay dokay!"),
        ),
        (
            "medplum_ack_underscore_field_sep.hl7",
            "AA",
            true,
            false,
            "9B38584D",
            0,
            Some("Everything was okay dokay!"),
        ),
    ];
    for (file, code, accepted, retryable, control, errors, text) in cases {
        let o = parse_ehr_response(&corpus(file)).expect(file);
        assert_eq!(o.kind, "hl7");
        assert_eq!(o.code, Some(code), "{file}");
        assert_eq!(o.accepted, accepted, "{file}");
        assert_eq!(o.retryable, retryable, "{file}");
        assert_eq!(o.control_id.as_deref(), Some(control), "{file}");
        assert_eq!(o.errors.len(), errors, "{file}");
        assert_eq!(o.text.as_deref(), text, "{file}");
    }
    let e = parse_ehr_response(&corpus("synthetic/syn_ack_ae_with_err_v251.hl7")).expect("ae");
    assert_eq!(e.errors[0].hl7_code.as_deref(), Some("102"));
    assert_eq!(e.errors[0].location.as_deref(), Some("PID[1]-13[1].5"));
    assert_eq!(e.errors[0].severity.as_deref(), Some("E"));
    let hapi = parse_ehr_response(&corpus("hapi_ack_ar_with_err.hl7")).expect("hapi");
    assert_eq!(hapi.errors[0].hl7_code.as_deref(), Some("2"));
    assert_eq!(hapi.message_type.as_deref(), Some("ACK"));
}

#[test]
fn malformed_corpus_ack_is_a_coded_error() {
    // python-hl7's test writes a literal backslash-r, so MSH and MSA are one segment
    let e = parse_ehr_response(&corpus("pythonhl7_ack_mllp_literal_backslash_r.hl7"))
        .expect_err("no MSA");
    assert_eq!(e.code, ErrorCode::EhrResponseUnparseable);
}

#[test]
fn every_corpus_message_without_msa_is_rejected_not_panicking() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "hl7") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(std::path::Path::new("tests/fixtures/corpus"), &mut files);
    for f in files {
        let bytes = std::fs::read(&f).expect("read");
        match parse_ehr_response(&bytes) {
            Ok(o) => assert!(o.code.is_some(), "{}", f.display()),
            Err(e) => assert_eq!(e.code, ErrorCode::EhrResponseUnparseable, "{}", f.display()),
        }
    }
}

#[test]
fn srr_echoes_our_control_id_without_phi() {
    let srr = "MSH|^~\\&|SCHED_SYS|NORTHSIDE|TWILIO_PAM|PAM|20250305143013+0000||SRR^S04^SRR_S01|R1|P|2.5.1\rMSA|AA|SRMS04251\rSCH|A1001^PAM|A1001^SCHED_SYS|||||||||||||||||||||||Cancelled\rPID|1||MRN00042^^^NORTHSIDE^MR||DOE^JANE\rRGS|1\r";
    let o = parse_ehr_response(srr.as_bytes()).expect("srr");
    assert!(o.accepted);
    assert_eq!(o.control_id.as_deref(), Some("SRMS04251"));
    assert_eq!(o.message_type.as_deref(), Some("SRR^S04"));
    let j = serde_json::to_string(&o).expect("json");
    assert!(!j.contains("MRN00042") && !j.contains("DOE"), "{j}");
    // MLLP-framed
    let framed = [b"\x0b".as_slice(), srr.as_bytes(), b"\x1c\r"].concat();
    assert_eq!(
        parse_ehr_response(&framed)
            .expect("mllp")
            .control_id
            .as_deref(),
        Some("SRMS04251")
    );
}

#[test]
fn fhir_responses() {
    let ok = parse_fhir_response(200, b"").expect("ok");
    assert!(ok.accepted && !ok.retryable && !ok.needs_reread);
    let oo = br#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"business-rule","diagnostics":"Patient DOE has ...","expression":["Appointment.status"]}]}"#;
    let rule = parse_fhir_response(422, oo).expect("422");
    assert!(!rule.accepted && !rule.retryable);
    assert_eq!(rule.errors[0].fhir_code.as_deref(), Some("business-rule"));
    assert_eq!(
        rule.errors[0].location.as_deref(),
        Some("Appointment.status")
    );
    assert!(!serde_json::to_string(&rule).expect("json").contains("DOE"));
    assert!(parse_fhir_response(409, b"").expect("409").needs_reread);
    assert!(parse_fhir_response(412, b"").expect("412").needs_reread);
    assert!(parse_fhir_response(429, b"").expect("429").retryable);
    assert!(parse_fhir_response(423, b"").expect("423").retryable);
    let body_only = parse_ehr_response(oo).expect("body only");
    assert_eq!(body_only.kind, "fhir");
    assert!(!body_only.accepted);
    let warn = br#"{"resourceType":"OperationOutcome","issue":[{"severity":"warning","code":"informational"}]}"#;
    assert!(parse_fhir_response(200, warn).expect("warn").accepted);
    assert_eq!(
        parse_fhir_response(200, b"{not json")
            .expect_err("bad")
            .code,
        ErrorCode::EhrResponseUnparseable
    );
}
