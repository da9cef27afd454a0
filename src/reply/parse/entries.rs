//! The reply body as JSON: its top-level entries in document order (duplicates kept, so that a
//! repeated key can be rejected), JSON pointers to its keys, and serde_json's errors without the
//! input they may quote.

use crate::error::{Error, ErrorCode};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::fmt;

/// The JSON pointer of a top-level key.
pub(super) fn pointer_for(key: &str) -> String {
    let mut p = String::with_capacity(key.len() + 1);
    p.push('/');
    for c in key.chars() {
        match c {
            '~' => p.push_str("~0"),
            '/' => p.push_str("~1"),
            c => p.push(c),
        }
    }
    p
}

/// Map a serde_json error without its message (which can quote input).
pub(super) fn json_error(e: &serde_json::Error) -> Error {
    use serde_json::error::Category;
    let where_ = format!("(line {}, column {})", e.line(), e.column());
    let msg = e.to_string();
    match e.classify() {
        _ if msg.contains("recursion limit") => Error::new(
            ErrorCode::JsonTooDeep,
            format!("the JSON nests too deeply {where_}"),
        ),
        Category::Data => Error::new(
            ErrorCode::JsonBadType,
            format!("the JSON document must be an object {where_}"),
        ),
        Category::Io | Category::Syntax | Category::Eof => Error::new(
            ErrorCode::JsonInvalid,
            format!("the body is not valid JSON {where_}"),
        ),
    }
}

/// Top-level object entries in document order, duplicates kept.
pub(super) struct Entries(pub(super) Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Entries, A::Error> {
                let mut v = Vec::new();
                while let Some((k, val)) = map.next_entry::<String, Value>()? {
                    v.push((k, val));
                }
                Ok(Entries(v))
            }
        }
        d.deserialize_map(V)
    }
}
