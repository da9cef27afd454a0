//! Property: for any message built with the writer, `parse(write(x)) == x` — every leaf value
//! (text, including delimiters, escape characters, CR/LF and non-ASCII; explicit nulls; empties)
//! comes back identical, for random delimiter sets too.

#![cfg(not(target_arch = "wasm32"))] // native only: reads fixtures from disk

use ehr_studio_bridge::hl7::write::{Leaf, MessageBuilder, SegmentBuilder};
use ehr_studio_bridge::hl7::{Delimiters, Message};
use proptest::prelude::*;

fn delimiters() -> impl Strategy<Value = Delimiters> {
    // Five distinct punctuation characters for field, component, repetition, escape, subcomponent,
    // and optionally a sixth for truncation.
    let pool: Vec<u8> = b"|^~\\&#!$%*@?+=/:;,<>_{}".to_vec();
    (Just(pool).prop_shuffle(), any::<bool>()).prop_map(|(p, trunc)| Delimiters {
        field: p[0],
        component: Some(p[1]),
        repetition: Some(p[2]),
        escape: Some(p[3]),
        subcomponent: Some(p[4]),
        truncation: trunc.then_some(p[5]),
    })
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ]{0,12}",
        "[|^~\\\\&#!$%*@?\r\n\"]{1,6}",
        "\\PC{0,8}",
        Just("\"\"".to_owned()),
        Just("\\X0D\\".to_owned()),
    ]
}

fn leaf() -> impl Strategy<Value = Leaf> {
    prop_oneof![3 => text().prop_map(Leaf::Text), 1 => Just(Leaf::Null), 1 => Just(Leaf::Empty)]
}

type Field = Vec<Vec<Vec<Leaf>>>;

fn field() -> impl Strategy<Value = Field> {
    prop::collection::vec(
        prop::collection::vec(prop::collection::vec(leaf(), 1..3), 1..4),
        1..3,
    )
}

fn segment() -> impl Strategy<Value = (String, Vec<Field>)> {
    ("Z[A-Z0-9]{2}", prop::collection::vec(field(), 0..6))
}

/// What a leaf reads back as: (decoded text, is_null).
fn expect(l: &Leaf) -> (String, bool) {
    match l {
        Leaf::Text(t) | Leaf::Raw(t) => (t.clone(), false),
        Leaf::Null => (String::new(), true),
        Leaf::Empty => (String::new(), false),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn parse_of_write_is_identity(d in delimiters(), segs in prop::collection::vec(segment(), 1..4)) {
        let mut b = MessageBuilder::new(d);
        b.msh().set(9, 1, "ZZZ").set(12, 1, "2.5.1");
        for (name, fields) in &segs {
            let mut s = SegmentBuilder::new(name);
            for (fi, f) in fields.iter().enumerate() {
                s.set_field(fi + 1, f.clone());
            }
            b.push(s);
        }
        let text = b.build().unwrap();
        let m = Message::parse_str(&text).unwrap();
        prop_assert_eq!(m.delimiters(), &d);
        prop_assert_eq!(m.segment_count(), segs.len() + 1);
        for (si, (name, fields)) in segs.iter().enumerate() {
            let seg = m.segment_at(si + 1).unwrap();
            prop_assert_eq!(seg.name(), name.as_str());
            for (fi, f) in fields.iter().enumerate() {
                for (ri, rep) in f.iter().enumerate() {
                    for (ci, comp) in rep.iter().enumerate() {
                        for (ki, l) in comp.iter().enumerate() {
                            let (want, null) = expect(l);
                            let got = seg.field(fi + 1).and_then(|e| e.child(ri + 1)).and_then(|e| e.child(ci + 1)).and_then(|e| e.child(ki + 1));
                            match got {
                                Some(e) => {
                                    prop_assert_eq!(e.decoded().into_owned(), want);
                                    prop_assert_eq!(e.is_null(), null);
                                }
                                // Trailing empties are not written.
                                None => prop_assert!(want.is_empty() && !null),
                            }
                        }
                    }
                }
            }
        }
    }
}
