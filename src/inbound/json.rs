//! JSON input plumbing shared by the FHIR, Redox and generic JSON mappers: parsing with limits and
//! coded errors, and typed access that reports a JSON pointer (RFC 6901) for every wrong type.
//!
//! Errors (never with an excerpt of the input — JSON values are PHI):
//! * `EMPTY_INPUT` — nothing but whitespace / a byte-order mark;
//! * `INPUT_TOO_LARGE` — more than [`MAX_BYTES`];
//! * `JSON_INVALID` — not JSON or not UTF-8, with line and column;
//! * `JSON_TOO_DEEP` — arrays/objects nested deeper than [`MAX_DEPTH`] (checked before parsing, so
//!   hostile input never reaches a recursive parser), with line and column;
//! * `JSON_BAD_TYPE` — an element the mapper reads has the wrong type, with its pointer.

use crate::error::{Error, ErrorCode, Result};
use crate::pointer::Ptr;
use serde_json::Value;

/// The deepest nesting accepted. FHIR resources inside a Bundle entry with `contained` resources
/// reach about 15 levels; serde_json's own limit is 128.
pub const MAX_DEPTH: usize = 64;

/// The largest JSON input accepted (16 MiB).
pub const MAX_BYTES: usize = 16 << 20;

/// Parse a JSON document (see the module docs for the errors).
pub fn parse(input: &[u8]) -> Result<Value> {
    let body = strip_bom(input);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::new(ErrorCode::EmptyInput, "the input is empty"));
    }
    if body.len() > MAX_BYTES {
        return Err(Error::new(
            ErrorCode::InputTooLarge,
            format!("the JSON input is larger than {MAX_BYTES} bytes"),
        ));
    }
    check_depth(body)?;
    serde_json::from_slice(body).map_err(|e| syntax_error(&e))
}

/// The input without a UTF-8 byte-order mark.
pub fn strip_bom(input: &[u8]) -> &[u8] {
    input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input)
}

fn syntax_error(e: &serde_json::Error) -> Error {
    let msg = e.to_string();
    let code = if msg.contains("recursion limit") {
        ErrorCode::JsonTooDeep
    } else {
        ErrorCode::JsonInvalid
    };
    Error::new(
        code,
        format!(
            "the input is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ),
    )
}

/// Reject nesting deeper than [`MAX_DEPTH`] with one linear scan (strings are skipped).
fn check_depth(b: &[u8]) -> Result<()> {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut esc = false;
    let (mut line, mut col) = (1usize, 0usize);
    for &c in b {
        if c == b'\n' {
            line += 1;
            col = 0;
        } else {
            col += 1;
        }
        if in_str {
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(Error::new(
                        ErrorCode::JsonTooDeep,
                        format!("the JSON nests deeper than {MAX_DEPTH} levels (line {line}, column {col})"),
                    ));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// A `JSON_BAD_TYPE` error at `p`.
pub fn bad_type(p: &Ptr<'_>, expected: &str) -> Error {
    Error::new(ErrorCode::JsonBadType, format!("expected {expected} here")).at_pointer(p.render())
}

/// Member `key` of an object (`None` when `v` is not an object, the key is absent, or it is null).
pub fn member<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.as_object()
        .and_then(|o| o.get(key))
        .filter(|x| !x.is_null())
}

/// A string member: absent/null → `None`, a string → trimmed `Some` (empty → `None`), anything
/// else → `JSON_BAD_TYPE`.
pub fn str_at<'v>(v: &'v Value, key: &str, p: &Ptr<'_>) -> Result<Option<&'v str>> {
    match member(v, key) {
        None => Ok(None),
        Some(Value::String(s)) => {
            let t = s.trim();
            Ok((!t.is_empty()).then_some(t))
        }
        Some(_) => Err(bad_type(&p.key(key), "a string")),
    }
}

/// A string or number member (ids that some senders write as numbers), as text.
pub fn id_at(v: &Value, key: &str, p: &Ptr<'_>) -> Result<Option<String>> {
    match member(v, key) {
        None => Ok(None),
        Some(Value::String(s)) => {
            let t = s.trim();
            Ok((!t.is_empty()).then(|| t.to_owned()))
        }
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(bad_type(&p.key(key), "a string or a number")),
    }
}

/// An array member: absent/null → empty, an array → its items, anything else → `JSON_BAD_TYPE`.
pub fn arr_at<'v>(v: &'v Value, key: &str, p: &Ptr<'_>) -> Result<&'v [Value]> {
    match member(v, key) {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a.as_slice()),
        Some(_) => Err(bad_type(&p.key(key), "an array")),
    }
}

/// An object member: absent/null → `None`, an object → `Some`, anything else → `JSON_BAD_TYPE`.
pub fn obj_at<'v>(v: &'v Value, key: &str, p: &Ptr<'_>) -> Result<Option<&'v Value>> {
    match member(v, key) {
        None => Ok(None),
        Some(x @ Value::Object(_)) => Ok(Some(x)),
        Some(_) => Err(bad_type(&p.key(key), "an object")),
    }
}

/// A boolean member (absent/null → `None`).
pub fn bool_at(v: &Value, key: &str, p: &Ptr<'_>) -> Result<Option<bool>> {
    match member(v, key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(bad_type(&p.key(key), "true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coded_errors_without_excerpts() {
        assert_eq!(parse(b"").unwrap_err().code, ErrorCode::EmptyInput);
        assert_eq!(
            parse(b"\xEF\xBB\xBF  \n").unwrap_err().code,
            ErrorCode::EmptyInput
        );
        let e = parse(b"{\"name\": \"Zqmark\",}").unwrap_err();
        assert_eq!(e.code, ErrorCode::JsonInvalid);
        assert!(!e.message.contains("Zqmark"), "{}", e.message);
        assert!(e.message.contains("line 1"));
        let deep = "[".repeat(65) + &"]".repeat(65);
        assert_eq!(
            parse(deep.as_bytes()).unwrap_err().code,
            ErrorCode::JsonTooDeep
        );
        let ok = "[".repeat(64) + &"]".repeat(64);
        assert!(parse(ok.as_bytes()).is_ok());
        // Brackets inside strings do not count.
        let s = format!("{{\"a\": \"{}\"}}", "[".repeat(500));
        assert!(parse(s.as_bytes()).is_ok());
        assert_eq!(parse(b"\xff\xfe").unwrap_err().code, ErrorCode::JsonInvalid);
    }

    #[test]
    fn typed_access_reports_pointers() {
        let r = Ptr::root("");
        let v: Value = serde_json::json!({"s": 1, "a": {}, "o": [], "n": null, "t": " x "});
        assert_eq!(str_at(&v, "t", &r).unwrap(), Some("x"));
        assert_eq!(str_at(&v, "n", &r).unwrap(), None);
        let err = str_at(&v, "s", &r).unwrap_err();
        assert_eq!(err.code, ErrorCode::JsonBadType);
        assert_eq!(err.position.unwrap().pointer.as_deref(), Some("/s"));
        assert!(arr_at(&v, "a", &r).is_err());
        assert!(obj_at(&v, "o", &r).is_err());
        assert_eq!(id_at(&v, "s", &r).unwrap().as_deref(), Some("1"));
    }
}
