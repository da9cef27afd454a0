//! [`unpack_to_json`]: the Rust mirror of the JS decoder of the packed tree, for tests.

use super::packed::{Packed, KIND_VALUE, TAG_NULL};

/// Decode a [`Packed`] tree into the JSON value of the [`build`] tree: the Rust mirror of the JS
/// decoder (`js/glue/hl7-tree.js`), for tests. Malformed input gives `null` parts, never a panic.
///
/// [`build`]: super::build
#[doc(hidden)]
pub fn unpack_to_json(p: &Packed) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let pool: Vec<u16> = String::from_utf8_lossy(&p.pool).encode_utf16().collect();
    let slice = |a: u32, b: u32| -> Value {
        Value::String(String::from_utf16_lossy(
            pool.get(a as usize..b as usize).unwrap_or(&[]),
        ))
    };
    let mut w = p.words.iter().copied();
    let mut next = || w.next().unwrap_or(0);
    fn nodes(
        count: u32,
        next: &mut dyn FnMut() -> u32,
        slice: &dyn Fn(u32, u32) -> Value,
    ) -> Value {
        let mut out = Vec::new();
        for _ in 0..count {
            let (n, r0, r1, tag) = (next(), next(), next(), next());
            let mut o = Map::new();
            o.insert("n".into(), json!(n));
            o.insert("range".into(), json!([r0, r1]));
            let kind = tag & 7;
            if kind == KIND_VALUE {
                let (a, b) = (next(), next());
                o.insert("value".into(), slice(a, b));
            }
            if tag & TAG_NULL != 0 {
                o.insert("null".into(), Value::Bool(true));
            }
            if kind >= 2 {
                let c = next();
                let key = match kind {
                    2 => "reps",
                    3 => "components",
                    _ => "subcomponents",
                };
                o.insert(key.into(), nodes(c, next, slice));
            }
            out.push(Value::Object(o));
        }
        Value::Array(out)
    }
    let seg_count = next();
    let mut segments = Vec::new();
    for _ in 0..seg_count {
        let (a, b, index, r0, r1, fc) = (next(), next(), next(), next(), next(), next());
        segments.push(json!({
            "name": slice(a, b),
            "index": index,
            "range": [r0, r1],
            "fields": nodes(fc, &mut next, &slice),
        }));
    }
    let head: Value = serde_json::from_str(&p.head).unwrap_or(Value::Null);
    let get = |k: &str| head.get(k).cloned().unwrap_or(Value::Null);
    json!({
        "charset": get("charset"),
        "declaredCharset": get("declaredCharset"),
        "delimiters": get("delimiters"),
        "version": get("version"),
        "messageType": get("messageType"),
        "controlId": get("controlId"),
        "segments": segments,
        "warnings": get("warnings"),
    })
}
