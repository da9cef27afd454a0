use super::*;
use crate::error::ErrorCode;

const SIU: &str = "MSH|^~\\&|SEND|FAC|RECV|RFAC|20250305143012-0500||SIU^S12^SIU_S12|CTRL1|P|2.5.1\rSCH|PL1^EHR|FL1^EHR|||||||||^^^20250310083000\rPID|1||111^^^H^PI~MRN1^^^H^MR||DOE^JANE^^^^^L~DOE^J^^^^^A||19800101|F|||||^PRN^PH^^1^617^5550100~^PRN^CP^^1^617^5550142\rAIL|1||Cardiology \\T\\ Vascular^^^^^^^^Clinic\r";

#[test]
fn msh_numbering() {
    let m = Message::parse_str(SIU).unwrap();
    let msh = m.segment("MSH").unwrap();
    assert_eq!(msh.field(1).unwrap().raw(), "|");
    assert_eq!(msh.field(2).unwrap().raw(), "^~\\&");
    assert_eq!(msh.field(3).unwrap().raw(), "SEND");
    assert_eq!(msh.field(7).unwrap().raw(), "20250305143012-0500");
    assert_eq!(m.get("MSH-9.2").unwrap().raw(), "S12");
    assert_eq!(m.get("MSH-12").unwrap().raw(), "2.5.1");
    assert_eq!(m.version().unwrap(), "2.5.1");
    // MSH-2 is never split or unescaped even though it contains every delimiter.
    assert!(!msh.field(2).unwrap().has_children());
    assert_eq!(msh.field(2).unwrap().decoded(), "^~\\&");
    assert!(msh.field(13).is_none());
    assert_eq!(msh.field_count(), 12);
}

#[test]
fn ordinary_numbering_and_children() {
    let m = Message::parse_str(SIU).unwrap();
    let pid = m.segment("PID").unwrap();
    assert_eq!(pid.field(1).unwrap().raw(), "1");
    assert!(pid.field(2).unwrap().is_empty());
    let f3 = pid.field(3).unwrap();
    assert_eq!(f3.children().count(), 2);
    assert_eq!(m.get("PID-3[2].1").unwrap().raw(), "MRN1");
    assert_eq!(m.get("PID-3[2].5").unwrap().raw(), "MR");
    assert_eq!(m.get("PID-3.1").unwrap().raw(), "111");
    assert!(m.get("PID-3[3]").is_none());
    assert_eq!(m.get("PID-5.1.1").unwrap().raw(), "DOE");
    assert_eq!(m.get("PID.5.2").unwrap().raw(), "JANE");
    assert_eq!(m.get("PID-13[2].3").unwrap().raw(), "CP");
    assert_eq!(m.get("SCH-11.4").unwrap().raw(), "20250310083000");
    assert_eq!(m.get("AIL-3.1").unwrap().decoded(), "Cardiology & Vascular");
    assert_eq!(m.get("AIL-3.9").unwrap().decoded(), "Clinic");
    assert!(m.get("ZZZ-1").is_none());
    assert!(m.get("PID-99").is_none());
}

#[test]
fn field_iteration_matches_random_access() {
    let m = Message::parse_str(SIU).unwrap();
    for seg in m.segments() {
        let fields: Vec<_> = seg.fields().collect();
        assert_eq!(fields.len(), seg.field_count(), "{}", seg.name());
        for (n, f) in fields {
            assert_eq!(
                seg.field(n).unwrap().range(),
                f.range(),
                "{}-{n}",
                seg.name()
            );
        }
    }
}

#[test]
fn ranges_point_into_text() {
    let m = Message::parse_str(SIU).unwrap();
    let e = m.get("PID-5.2").unwrap();
    assert_eq!(&m.text()[e.range()], "JANE");
}

#[test]
fn separators_policy() {
    let lf = "MSH|^~\\&|A\nPID|1\n\nPV1|1\n";
    let m = Message::parse_str(lf).unwrap();
    assert_eq!(
        m.segments().map(|s| s.name()).collect::<Vec<_>>(),
        ["MSH", "PID", "PV1"]
    );
    let crlf = "MSH|^~\\&|A\r\nPID|1\r\n";
    let m = Message::parse_str(crlf).unwrap();
    assert_eq!(
        m.segments().map(|s| s.raw()).collect::<Vec<_>>(),
        ["MSH|^~\\&|A", "PID|1"]
    );
    // CR present: an LF inside NTE text is data.
    let mixed = "MSH|^~\\&|A\rNTE|1||line1\nline2\r";
    let m = Message::parse_str(mixed).unwrap();
    assert_eq!(m.segment_count(), 2);
    assert_eq!(m.get("NTE-3").unwrap().raw(), "line1\nline2");
    // LF-separated file whose last segment ends with a stray CR: the CR separates nothing.
    let m = Message::parse_str("MSH|^~\\&|A\nPID|1\r").unwrap();
    assert_eq!(
        m.segments().map(|s| s.raw()).collect::<Vec<_>>(),
        ["MSH|^~\\&|A", "PID|1"]
    );
    // A single CR-terminated segment.
    let m = Message::parse_str("MSH|^~\\&|A\r").unwrap();
    assert_eq!(
        m.segments().map(|s| s.raw()).collect::<Vec<_>>(),
        ["MSH|^~\\&|A"]
    );
}

#[test]
fn nulls_vs_empty() {
    let m = Message::parse_str("MSH|^~\\&|A\rPID|1|\"\"||\"\"^X").unwrap();
    let f2 = m.get("PID-2").unwrap();
    assert!(f2.is_null());
    assert!(!f2.is_empty());
    assert_eq!(f2.value(), None);
    assert!(m.get("PID-3").unwrap().is_empty());
    assert!(m.get("PID-4.1").unwrap().is_null());
    assert_eq!(m.get("PID-4.2").unwrap().value().as_deref(), Some("X"));
}

#[test]
fn nondefault_delimiters() {
    // hapi: field ^, component ~, repetition |
    let m = Message::parse_str("MSH^~|\\&^SENDER^^^^20120918^^ADT~A24^1^P^2.4\rPID^1^^A~B|C~D")
        .unwrap();
    assert_eq!(m.delimiters().field, b'^');
    assert_eq!(m.get("MSH-9.2").unwrap().raw(), "A24");
    assert_eq!(m.get("PID-3[2].2").unwrap().raw(), "D");
}

#[test]
fn five_char_and_doubled_escape() {
    let m = Message::parse_str("MSH|^~\\&#|A|B|||||||2.7\rNTE|1||a\\P\\b").unwrap();
    assert_eq!(m.delimiters().truncation, Some(b'#'));
    assert_eq!(m.get("NTE-3").unwrap().decoded(), "a#b");
    assert_eq!(m.get("MSH-3").unwrap().raw(), "A");
    let m = Message::parse_str("MSH|^~\\\\&|A|B\rPID|1").unwrap();
    assert_eq!(m.delimiters().subcomponent, Some(b'&'));
    assert_eq!(m.get("MSH-2").unwrap().raw(), "^~\\\\&");
    assert_eq!(m.get("MSH-3").unwrap().raw(), "A");
    assert_eq!(
        m.warnings().first().map(|w| w.code),
        Some("HL7_DOUBLED_ESCAPE_CHAR")
    );
}

#[test]
fn bad_headers() {
    assert_eq!(
        Message::parse_str("PID|1").unwrap_err().code,
        ErrorCode::Hl7NoMsh
    );
    assert_eq!(
        Message::parse_str("").unwrap_err().code,
        ErrorCode::EmptyInput
    );
    assert_eq!(
        Message::parse_str("\x0b\x1c\r").unwrap_err().code,
        ErrorCode::EmptyInput
    );
    assert_eq!(
        Message::parse_str("MSH").unwrap_err().code,
        ErrorCode::Hl7BadEncodingChars
    );
    assert_eq!(
        Message::parse_str("MSH||A").unwrap_err().code,
        ErrorCode::Hl7BadEncodingChars
    );
    assert_eq!(
        Message::parse_str("MSHA^~\\&A").unwrap_err().code,
        ErrorCode::Hl7BadEncodingChars
    );
    assert_eq!(
        Message::parse_str("MSH|^^\\&|").unwrap_err().code,
        ErrorCode::Hl7BadEncodingChars
    );
    assert_eq!(
        Message::parse_str("MSH|^~\\&#!|").unwrap_err().code,
        ErrorCode::Hl7BadEncodingChars
    );
}

#[test]
fn mllp_framing_is_stripped() {
    let m = Message::parse(b"\x0bMSH|^~\\&|A\rPID|1\r\x1c\r").unwrap();
    assert_eq!(m.segment_count(), 2);
    let m = Message::parse(b"MSH|^~\\&|A\rPID|1\r\x1c\r").unwrap();
    assert_eq!(m.segment_count(), 2);
}

#[test]
fn short_message_without_terminator() {
    let m = Message::parse_str("MSH|^~\\&").unwrap();
    assert_eq!(m.segment_count(), 1);
    assert_eq!(m.get("MSH-2").unwrap().raw(), "^~\\&");
    assert!(m.get("MSH-3").is_none());
    let fields: Vec<_> = m.segment("MSH").unwrap().fields().map(|(n, _)| n).collect();
    assert_eq!(fields, [1, 2]);
}

#[test]
fn batch_ranges() {
    let t =
        "FHS|^~\\&|A\rBHS|^~\\&|A\rMSH|^~\\&|A|||||||1\rPID|1\rMSH|^~\\&|B|||||||2\rBTS|2\rFTS|1";
    let m = Message::parse_str(t).unwrap();
    let r = m.message_ranges();
    assert_eq!(r.len(), 2);
    assert_eq!(&m.text()[r[0].clone()], "MSH|^~\\&|A|||||||1\rPID|1");
    assert_eq!(m.get("FHS-2").unwrap().raw(), "^~\\&");
}
