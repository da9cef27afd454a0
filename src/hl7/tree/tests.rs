use super::*;
use crate::hl7::Message;

#[test]
fn shapes() {
    let m = Message::parse_str("MSH|^~\\&|A\rPID|1|\"\"|a&b|x^y&z").unwrap();
    let t = build(&m, Offsets::Bytes);
    let msh = &t.segments[0];
    assert_eq!(msh.fields[0].value.as_deref(), Some("|"));
    assert_eq!(msh.fields[1].value.as_deref(), Some("^~\\&"));
    let f = &t.segments[1].fields;
    assert_eq!(f[0].value.as_deref(), Some("1"));
    assert!(f[1].null);
    // a&b: one rep, one component, two subcomponents
    assert_eq!(f[2].subcomponents.as_ref().unwrap().len(), 2);
    // x^y&z: components, second has subcomponents
    let comps = f[3].components.as_ref().unwrap();
    assert_eq!(comps[0].value.as_deref(), Some("x"));
    assert_eq!(
        comps[1].subcomponents.as_ref().unwrap()[1].value.as_deref(),
        Some("z")
    );
}

#[test]
fn utf16_offsets() {
    let text = "\x0bMSH|^~\\&|Zoë\rPID|1||中文\r\x1c\r";
    let m = Message::parse(text.as_bytes()).unwrap();
    let t = build(&m, Offsets::Utf16);
    let utf16: Vec<u16> = text.encode_utf16().collect();
    let f = &t.segments[1].fields[1];
    let [s, e] = f.range;
    assert_eq!(String::from_utf16(&utf16[s..e]).unwrap(), "中文");
    let f = &t.segments[0].fields[2];
    let [s, e] = f.range;
    assert_eq!(String::from_utf16(&utf16[s..e]).unwrap(), "Zoë");
}
