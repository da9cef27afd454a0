//! The profile schema: the type of every key (for unknown keys and wrong types, with JSON
//! pointers), the TypeScript declaration and the Markdown table generated from it, and the value
//! checks shared by sections (HL7 paths, JSON pointers, event rules).
//!
//! Each section's keys live next to the section (`sender::SCHEMA`, …); the root's `ROOT` lists the
//! sections.

use super::ROOT;
use crate::error::{Error, ErrorCode, Result};
use crate::hl7::Path;
use crate::pointer::escape;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One path or a list of paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathList {
    /// A single path.
    One(String),
    /// Ordered candidates.
    Many(Vec<String>),
}

impl PathList {
    /// The paths in order.
    pub fn paths(&self) -> &[String] {
        match self {
            PathList::One(s) => std::slice::from_ref(s),
            PathList::Many(v) => v,
        }
    }
}

/// The type of one profile key.
#[derive(Clone, Copy)]
pub(super) enum Ty {
    Str,
    NullableStr,
    Bool,
    StrList,
    StrOrList,
    Enum(&'static [&'static str]),
    EnumList(&'static [&'static str]),
    Obj(&'static [(&'static str, Ty)]),
    MapOf(&'static Ty),
    /// A section with its own typed validation (e.g. `reply`, see [`crate::reply::ReplyConfig`]),
    /// named by its TypeScript type.
    Section(&'static str),
}

/// A `PROFILE_BAD_VALUE` error at `ptr`.
pub(super) fn bad(ptr: &str, msg: &str) -> Error {
    Error::new(ErrorCode::ProfileBadValue, msg.to_owned()).at_pointer(ptr.to_owned())
}

/// Check `v` against `ty` (keys and types only; the sections check the values).
pub(super) fn check(v: &Value, ty: Ty, ptr: &str) -> Result<()> {
    match ty {
        Ty::Str => v
            .as_str()
            .map(|_| ())
            .ok_or_else(|| bad(ptr, "expected a string")),
        Ty::NullableStr => {
            if v.is_null() || v.is_string() {
                Ok(())
            } else {
                Err(bad(ptr, "expected a string or null"))
            }
        }
        Ty::Bool => v
            .as_bool()
            .map(|_| ())
            .ok_or_else(|| bad(ptr, "expected true or false")),
        Ty::StrList => {
            let a = v
                .as_array()
                .ok_or_else(|| bad(ptr, "expected an array of strings"))?;
            for (i, x) in a.iter().enumerate() {
                check(x, Ty::Str, &format!("{ptr}/{i}"))?;
            }
            Ok(())
        }
        Ty::StrOrList => {
            if v.is_string() {
                Ok(())
            } else {
                check(v, Ty::StrList, ptr)
            }
        }
        Ty::Enum(opts) => {
            let s = v.as_str().ok_or_else(|| bad(ptr, "expected a string"))?;
            if opts.contains(&s) {
                Ok(())
            } else {
                Err(bad(ptr, &format!("expected one of: {}", opts.join(", "))))
            }
        }
        Ty::EnumList(opts) => {
            let a = v
                .as_array()
                .ok_or_else(|| bad(ptr, "expected an array of strings"))?;
            for (i, x) in a.iter().enumerate() {
                check(x, Ty::Enum(opts), &format!("{ptr}/{i}"))?;
            }
            Ok(())
        }
        Ty::Obj(keys) => {
            let o = v
                .as_object()
                .ok_or_else(|| bad(ptr, "expected an object"))?;
            for (k, x) in o {
                let p = format!("{ptr}/{}", escape(k));
                match keys.iter().find(|(n, _)| n == k) {
                    Some((_, t)) => check(x, *t, &p)?,
                    None => {
                        let known: Vec<&str> = keys.iter().map(|(n, _)| *n).collect();
                        return Err(Error::new(
                            ErrorCode::ProfileUnknownKey,
                            format!("unknown key; expected one of: {}", known.join(", ")),
                        )
                        .at_pointer(p));
                    }
                }
            }
            Ok(())
        }
        Ty::MapOf(t) => {
            let o = v
                .as_object()
                .ok_or_else(|| bad(ptr, "expected an object"))?;
            for (k, x) in o {
                check(x, *t, &format!("{ptr}/{}", escape(k)))?;
            }
            Ok(())
        }
        Ty::Section(_) => v
            .is_object()
            .then_some(())
            .ok_or_else(|| bad(ptr, "expected an object")),
    }
}

/// The TypeScript declaration of the profile JSON (`export interface Profile`), generated from the
/// schema tables, so the `.d.ts` cannot drift from what [`super::Profile::from_json`] accepts.
/// Sections with their own types (`reply`) are referenced by name.
pub fn typescript_declaration() -> String {
    let mut out = String::from(
        "/** A mapping profile (see docs/profiles.md). Every key is optional; unknown keys are rejected. */\nexport interface Profile ",
    );
    ts_object(&mut out, ROOT, 0);
    out.push('\n');
    out
}

fn ts_object(out: &mut String, fields: &[(&str, Ty)], depth: usize) {
    out.push_str("{\n");
    for (k, ty) in fields {
        out.push_str(&"  ".repeat(depth + 1));
        out.push_str(k);
        out.push_str("?: ");
        ts_type(out, *ty, depth + 1);
        out.push_str(";\n");
    }
    out.push_str(&"  ".repeat(depth));
    out.push('}');
}

fn ts_type(out: &mut String, ty: Ty, depth: usize) {
    match ty {
        Ty::Str => out.push_str("string"),
        Ty::NullableStr => out.push_str("string | null"),
        Ty::Bool => out.push_str("boolean"),
        Ty::StrList => out.push_str("string[]"),
        Ty::StrOrList => out.push_str("string | string[]"),
        Ty::Enum(values) => {
            let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
            out.push_str(&quoted.join(" | "));
        }
        Ty::EnumList(values) => {
            let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
            out.push('(');
            out.push_str(&quoted.join(" | "));
            out.push_str(")[]");
        }
        Ty::Obj(fields) => ts_object(out, fields, depth),
        Ty::MapOf(t) => {
            out.push_str("{ [key: string]: ");
            ts_type(out, *t, depth);
            out.push_str(" }");
        }
        Ty::Section(name) => out.push_str(name),
    }
}

/// Render the profile schema (every key, its JSON pointer and type) as Markdown: the generated
/// "Schema" part of `docs/profiles.md`.
pub fn render_schema_markdown() -> String {
    fn ty_text(t: Ty) -> String {
        match t {
            Ty::Str => "string".into(),
            Ty::NullableStr => "string or null".into(),
            Ty::Bool => "boolean".into(),
            Ty::StrList => "array of strings".into(),
            Ty::StrOrList => "string or array of strings".into(),
            Ty::Enum(o) => format!("one of `{}`", o.join("`, `")),
            Ty::EnumList(o) => format!("array of `{}`", o.join("`, `")),
            Ty::Obj(_) => "object".into(),
            Ty::MapOf(t) => format!("object of {}", ty_text(*t)),
            Ty::Section(_) => "object (own schema, see the section docs)".into(),
        }
    }
    fn walk(keys: &[(&str, Ty)], prefix: &str, out: &mut String) {
        for (k, t) in keys {
            let p = format!("{prefix}/{k}");
            out.push_str(&format!("| `{p}` | {} |\n", ty_text(*t)));
            if let Ty::Obj(sub) = t {
                walk(sub, &p, out);
            }
        }
    }
    let mut s = String::from("| pointer | type |\n|---|---|\n");
    walk(ROOT, "", &mut s);
    s
}

/// An event rule: a non-empty key and an event type (`BOOKED`…) or `skip`.
pub(super) fn event_rule(k: &str, v: &str, ptr: String) -> Result<()> {
    if k.trim().is_empty() {
        return Err(bad(&ptr, "an empty key matches nothing"));
    }
    if !v.eq_ignore_ascii_case("skip") && crate::event::EventType::parse(v).is_none() {
        return Err(bad(
            &ptr,
            "expected BOOKED, RESCHEDULED, MODIFIED, CONFIRMED, CANCELED, NOSHOWED or skip",
        ));
    }
    Ok(())
}

/// A JSON pointer source (`/appointment/start`).
pub(super) fn check_pointer(p: &str, ptr: &str) -> Result<()> {
    if p.starts_with('/') && crate::pointer::valid(p) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::ProfileBadPath,
            "not a JSON pointer like /appointment/start (RFC 6901: starts with /, ~0 and ~1 escapes)",
        )
        .at_pointer(ptr.to_owned()))
    }
}

/// A filter path: an HL7 path (`PD1-12`) for HL7 inputs, or a JSON pointer (`/Patient/Consent`)
/// for JSON inputs.
pub(super) fn check_filter_path(p: &str, ptr: &str) -> Result<()> {
    if p.starts_with('/') {
        check_pointer(p, ptr)
    } else {
        check_path(p, ptr)
    }
}

/// An HL7 path source (`PID-13[2].1`).
pub(super) fn check_path(p: &str, ptr: &str) -> Result<()> {
    Path::parse(p).map(|_| ()).map_err(|e| {
        Error::new(
            ErrorCode::ProfileBadPath,
            format!("not a path like PID-13[2].1: {}", e.message),
        )
        .at_pointer(ptr.to_owned())
    })
}
