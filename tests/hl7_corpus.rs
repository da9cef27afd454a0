//! Every message of the shared corpus (copied to tests/fixtures/corpus) must parse, and the parse
//! must be internally consistent. Specific expectations come from corpus/INDEX.md and
//! corpus/synthetic/README.md.

#![cfg(not(target_arch = "wasm32"))] // native only: reads fixtures from disk

mod common;

use ehr_studio_bridge::hl7::{ack, batch, mllp, tree, Message};
use std::path::PathBuf;

fn corpus_files() -> Vec<PathBuf> {
    let v = common::files_with_ext("tests/fixtures/corpus", "hl7");
    assert!(
        v.len() >= 68,
        "expected the whole corpus, found {}",
        v.len()
    );
    v
}

fn load(name: &str) -> &'static [u8] {
    Box::leak(
        std::fs::read(format!("tests/fixtures/corpus/{name}"))
            .expect(name)
            .into_boxed_slice(),
    )
}

/// Messages in a file: MLLP streams are split first.
fn messages(bytes: &[u8]) -> Vec<&[u8]> {
    let s = mllp::split(bytes, false).expect("split");
    if s.frames.len() > 1 {
        s.frames.iter().map(|r| &bytes[r.clone()]).collect()
    } else {
        vec![bytes]
    }
}

#[test]
fn every_corpus_message_parses_consistently() {
    for path in corpus_files() {
        let bytes = std::fs::read(&path).unwrap();
        for raw in messages(&bytes) {
            let m = Message::parse(raw).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(m.segment_count() >= 1);
            for seg in m.segments() {
                assert_eq!(&m.text()[seg.range()], seg.raw());
                let fields: Vec<_> = seg.fields().collect();
                assert_eq!(
                    fields.len(),
                    seg.field_count(),
                    "{} {}",
                    path.display(),
                    seg.name()
                );
                for (n, f) in &fields {
                    let again = seg.field(*n).expect("random access");
                    assert_eq!(
                        again.range(),
                        f.range(),
                        "{} {}-{n}",
                        path.display(),
                        seg.name()
                    );
                    assert_eq!(&m.text()[f.range()], f.raw());
                    for rep in f.children() {
                        for comp in rep.children() {
                            for sub in comp.children() {
                                assert_eq!(&m.text()[sub.range()], sub.raw());
                                let _ = sub.decoded();
                            }
                        }
                    }
                }
            }
            let t = tree::build(&m, tree::Offsets::Utf16);
            assert_eq!(t.segments.len(), m.segment_count());
            let out = ack::build_for_error(
                &m,
                &ehr_studio_bridge::Error::new(
                    ehr_studio_bridge::ErrorCode::MapMissingRequired,
                    "x",
                ),
                "C1",
                "20250101000000+0000",
            );
            if m.segment("MSH").is_some() {
                let a = out.unwrap();
                if let Some(text) = a.message {
                    let back = Message::parse_str(&text).unwrap();
                    assert_eq!(back.get("MSA-1").unwrap().raw(), a.ack_code);
                }
            }
        }
    }
}

#[test]
fn index_expectations() {
    // Non-default delimiters: field ^, component ~, repetition |.
    let b = load("hapi_adt_a24_nondefault_delims.hl7");
    let m = Message::parse(b).unwrap();
    assert_eq!(m.delimiters().field, b'^');
    assert_eq!(m.delimiters().component, Some(b'~'));
    assert_eq!(m.get("MSH-9.2").unwrap().raw(), "A24");
    assert_eq!(m.get("MSH-12").unwrap().raw(), "2.4");

    // Custom delimiters !$r?@ (MSH-9 is written with ^ and stays one component).
    let m = Message::parse_str(std::str::from_utf8(load("hl7apy_msh_custom_delims.hl7")).unwrap())
        .unwrap();
    assert_eq!(m.delimiters().field, b'!');
    assert_eq!(m.delimiters().escape, Some(b'?'));

    // Underscore field separator.
    let m = Message::parse(load("medplum_ack_underscore_field_sep.hl7")).unwrap();
    assert_eq!(m.delimiters().field, b'_');
    assert_eq!(m.get("MSA-1").unwrap().raw(), "AA");

    // 5-character MSH-2 (2.7 truncation char) and even in a 2.3.1 ORM.
    for f in [
        "hl7apy_rsp_k22_v27_truncation.hl7",
        "orm_o01_5char_msh2.hl7",
    ] {
        let m = Message::parse(load(f)).unwrap();
        assert_eq!(m.delimiters().truncation, Some(b'#'), "{f}");
    }
    // Doubled escape character in MSH-2: repaired with a warning.
    for f in [
        "lfh_adt_a01_crlf_bad_msh2.hl7",
        "lfh_adt_a01_lf_bad_msh2.hl7",
    ] {
        let m = Message::parse(load(f)).unwrap();
        assert_eq!(m.delimiters().subcomponent, Some(b'&'), "{f}");
        assert!(
            m.warnings()
                .iter()
                .any(|w| w.code == "HL7_DOUBLED_ESCAPE_CHAR"),
            "{f}"
        );
        assert_eq!(m.get("MSH-9.2").unwrap().raw(), "A01", "{f}");
    }

    // athenahealth: trailing 0x1C 0x0D without a start block.
    let m = Message::parse(load("athena_siu_s12_405.hl7")).unwrap();
    assert_eq!(m.get("MSH-9.2").unwrap().raw(), "S12");
    assert!(m.segments().all(|s| !s.raw().contains('\u{1c}')));

    // Declared 8859/1 but UTF-8 bytes: decoded as UTF-8 with a warning.
    let m = Message::parse(load("xplore_orbis_siu_s14_fr.hl7")).unwrap();
    assert!(m.text().contains("Pédiatrie"));
    assert!(m
        .warnings()
        .iter()
        .any(|w| w.code == "CHARSET_DECLARED_MISMATCH"));

    // Real Latin-1 bytes.
    let m = Message::parse(load("synthetic/syn_siu_s14_latin1_bytes.hl7")).unwrap();
    assert_eq!(m.charset().name(), "ISO-8859-1");
    assert!(m.text().contains("MÜLLER"));
    assert!(m.text().contains("JOSÉ"));

    // Escapes (synthetic README): family "VAN\DER&BERG", given "ANNE~MARIE".
    let m = Message::parse(load("synthetic/syn_siu_s12_v251_escapes.hl7")).unwrap();
    assert_eq!(m.get("PID-5.1").unwrap().decoded(), "VAN\\DER&BERG");
    assert_eq!(m.get("PID-5.2").unwrap().decoded(), "ANNE~MARIE");

    // Non-default delimiters in an SIU: component $, repetition !, escape %, subcomponent *.
    let m = Message::parse(load("synthetic/syn_siu_s26_nondefault_delims.hl7")).unwrap();
    assert_eq!(m.get("MSH-9.2").unwrap().raw(), "S26");
    assert_eq!(m.get("PID-5.1").unwrap().decoded(), "DOE");
    assert_eq!(m.get("PID-5.2").unwrap().decoded(), "JANE");
    let nte = m.segment("NTE").unwrap().field(3).unwrap().decoded();
    assert!(
        nte.contains('|') && nte.contains('*'),
        "NTE decodes %F% and %T%"
    );

    // MLLP stream with two frames.
    let b = load("synthetic/syn_mllp_stream_two_messages.hl7");
    let s = mllp::split(b, true).unwrap();
    assert_eq!(s.frames.len(), 2);
    let second = Message::parse(&b[s.frames[1].clone()]).unwrap();
    assert_eq!(second.get("MSH-9.2").unwrap().raw(), "S15");

    // MLLP-framed CRLF v2.3.
    let m = Message::parse(load("synthetic/syn_siu_s13_v23_mllp_crlf.hl7")).unwrap();
    assert_eq!(m.get("MSH-9.2").unwrap().raw(), "S13");
    assert!(m
        .segments()
        .all(|s| !s.raw().contains('\n') && !s.raw().contains('\r')));

    // Batches: several messages.
    let m = Message::parse(load("hapi_oml_o21_multi_message.hl7")).unwrap();
    assert_eq!(m.message_ranges().len(), 13);
    let m = Message::parse(load("pythonhl7_vic_file_batch.hl7")).unwrap();
    assert_eq!(m.message_ranges().len(), 3);
    // The byte-level splitter (batch::split) finds the same messages, and the trailers' counts.
    for name in [
        "hapi_oml_o21_multi_message.hl7",
        "pythonhl7_vic_file_batch.hl7",
        "wir_vxu_batch_fhs.hl7",
    ] {
        let bytes = load(name);
        let m = Message::parse(bytes).unwrap();
        let s = batch::split(bytes, true);
        let want: Vec<&str> = m
            .message_ranges()
            .into_iter()
            .map(|r| m.text()[r].trim_end())
            .collect();
        let have: Vec<&str> = s
            .messages
            .iter()
            .map(|r| std::str::from_utf8(&bytes[r.clone()]).unwrap().trim_end())
            .collect();
        assert_eq!(have, want, "{name}");
    }
    let s = batch::split(load("pythonhl7_vic_file_batch.hl7"), true);
    let trailers: Vec<_> = s.envelope.iter().map(|e| (e.segment, e.count)).collect();
    assert_eq!(
        trailers,
        [
            ("FHS", None),
            ("BHS", None),
            ("BTS", Some(2)),
            ("BHS", None),
            ("BTS", Some(1)),
            ("FTS", Some(2))
        ]
    );

    // Nulls and empty repetitions.
    let m = Message::parse(load("synthetic/syn_siu_s12_nulls_zseg_order.hl7")).unwrap();
    assert!(m.get("PID-5.1").unwrap().is_null() && m.get("PID-5.2").unwrap().is_null());
    assert!(m.get("SCH-2").unwrap().is_null());
    assert!(m.get("PID-13[2]").unwrap().is_empty());
    assert_eq!(m.get("PID-13[3].1").unwrap().decoded(), "(617)555-0143");
    assert_eq!(m.segments_named("ZSC").count(), 1);
    assert!(m.get("PID-3[1]").unwrap().is_null());

    // Two PATIENT groups, LF, no final terminator.
    let m = Message::parse(load("synthetic/syn_siu_s12_two_patients_lf.hl7")).unwrap();
    assert_eq!(m.segments_named("PID").count(), 2);

    // Very long message: all segments found.
    let m = Message::parse(load("synthetic/syn_siu_s12_very_long.hl7")).unwrap();
    assert!(m.segments_named("NTE").count() >= 300);
    assert!(m.segment("PID").is_some());
    assert!(m.segment("OBX").unwrap().raw().len() > 200_000);

    // Mixed CR/LF: CR mode.
    let m = Message::parse(load("cerner_oru_r01_elr.hl7")).unwrap();
    assert!(m.segment("OBX").is_some());

    // \H\ \N\ highlight escapes in MSH-8 are dropped from the decoded text.
    let m = Message::parse(load("hl7apy_msh_highlight_escapes.hl7")).unwrap();
    let v = m.get("MSH-8").unwrap();
    assert!(v.raw().contains("\\H\\"));
    assert!(!v.decoded().contains("\\H\\"));
}
