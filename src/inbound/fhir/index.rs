//! The resources of one input (the document, its Bundle entries and `contained` resources, and
//! the resources the host fetched) and reference resolution: `#contained`, relative `Type/id`,
//! absolute URLs, `urn:uuid:`/`urn:oid:` full URLs, versioned `…/_history/n`, and
//! identifier-only references.

use crate::error::{Error, ErrorCode, Result};
use crate::inbound::json::{arr_at, bad_type, obj_at, str_at};
use crate::pointer::Ptr;
use serde_json::Value;

/// Where a resource came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The input document itself.
    Root,
    /// A Bundle entry (entry number).
    Entry(usize),
    /// `contained` in the resource with this index.
    Contained(usize),
    /// The host's `resources` option.
    Fetched,
}

/// One resource.
pub(crate) struct Res<'v> {
    pub v: &'v Value,
    pub rtype: &'v str,
    pub id: Option<&'v str>,
    pub version: Option<&'v str>,
    pub full_url: Option<&'v str>,
    /// JSON pointer of the resource (`/entry/1/resource`, `options.resources/0`).
    pub ptr: String,
    pub origin: Origin,
    /// `entry.search.mode` (`match`, `include`, `outcome`).
    pub search_mode: Option<&'v str>,
}

/// The resources of one input.
#[derive(Default)]
pub(crate) struct Index<'v> {
    pub res: Vec<Res<'v>>,
}

/// The most entries indexed per Bundle: beyond, the input is refused (`INPUT_TOO_LARGE`).
pub(crate) const MAX_ENTRIES: usize = 100_000;

/// A resource type name as FHIR defines them (`Patient`, `PractitionerRole`).
pub(crate) fn type_name_ok(t: &str) -> bool {
    let b = t.as_bytes();
    (1..=64).contains(&b.len())
        && b.first().is_some_and(u8::is_ascii_uppercase)
        && b.iter().all(u8::is_ascii_alphanumeric)
}

fn id_ok(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
}

impl<'v> Index<'v> {
    /// Add a resource (and its `contained` resources). Returns its index.
    pub fn add(
        &mut self,
        v: &'v Value,
        ptr: String,
        origin: Origin,
        full_url: Option<&'v str>,
        search_mode: Option<&'v str>,
    ) -> Result<usize> {
        let p = Ptr::root(&ptr);
        if !v.is_object() {
            return Err(bad_type(&p, "a resource (object)"));
        }
        let Some(rtype) = str_at(v, "resourceType", &p)? else {
            return Err(Error::new(
                ErrorCode::FhirMissingElement,
                "a resource without resourceType",
            )
            .at_pointer(p.key("resourceType").render()));
        };
        let meta = obj_at(v, "meta", &p)?;
        let mp = p.key("meta");
        let version = match meta {
            Some(m) => str_at(m, "versionId", &mp)?,
            None => None,
        };
        let me = self.res.len();
        self.res.push(Res {
            v,
            rtype,
            id: str_at(v, "id", &p)?,
            version,
            full_url,
            ptr: ptr.clone(),
            origin,
            search_mode,
        });
        if !matches!(origin, Origin::Contained(_)) {
            let cp = p.key("contained");
            for (i, c) in arr_at(v, "contained", &p)?.iter().enumerate() {
                let ci = cp.idx(i);
                self.add(c, ci.render(), Origin::Contained(me), None, None)?;
            }
        }
        Ok(me)
    }

    /// Add the entries of a Bundle.
    pub fn add_bundle(&mut self, b: &'v Value, ptr: &str, fetched: bool) -> Result<()> {
        let p = Ptr::root(ptr);
        let entries = arr_at(b, "entry", &p)?;
        if entries.len() > MAX_ENTRIES {
            return Err(Error::new(
                ErrorCode::InputTooLarge,
                format!("the Bundle has more than {MAX_ENTRIES} entries"),
            ));
        }
        let ep = p.key("entry");
        for (i, e) in entries.iter().enumerate() {
            let eip = ep.idx(i);
            if !e.is_object() {
                return Err(bad_type(&eip, "a Bundle entry (object)"));
            }
            let full_url = str_at(e, "fullUrl", &eip)?;
            let mode = match obj_at(e, "search", &eip)? {
                Some(s) => str_at(s, "mode", &eip.key("search"))?,
                None => None,
            };
            if let Some(r) = obj_at(e, "resource", &eip)? {
                let origin = if fetched {
                    Origin::Fetched
                } else {
                    Origin::Entry(i)
                };
                self.add(r, eip.key("resource").render(), origin, full_url, mode)?;
            }
        }
        Ok(())
    }

    /// The resource at an index.
    pub fn get(&self, i: usize) -> Option<&Res<'v>> {
        self.res.get(i)
    }

    /// Resolve a reference made from the resource `from`.
    pub fn resolve(&self, r: &Reference<'v>, from: Option<usize>) -> Option<usize> {
        match &r.kind {
            RefKind::Contained(id) => {
                let container = from.and_then(|f| match self.res.get(f)?.origin {
                    Origin::Contained(c) => Some(c),
                    _ => Some(f),
                })?;
                self.res
                    .iter()
                    .position(|x| x.origin == Origin::Contained(container) && x.id == Some(*id))
            }
            RefKind::Urn(u) => self.res.iter().position(|x| x.full_url == Some(*u)),
            RefKind::Literal {
                rtype,
                id,
                version,
                url,
            } => {
                if let Some(u) = url {
                    if let Some(i) = self
                        .res
                        .iter()
                        .position(|x| x.full_url.is_some_and(|f| f == *u) && x.rtype == *rtype)
                    {
                        return Some(i);
                    }
                }
                let mut best: Option<usize> = None;
                for (i, x) in self.res.iter().enumerate() {
                    if x.rtype != *rtype
                        || x.id != Some(*id)
                        || matches!(x.origin, Origin::Contained(_))
                    {
                        continue;
                    }
                    if version.is_some() && x.version == *version {
                        return Some(i);
                    }
                    // Without a version, the highest version wins (history Bundles).
                    let better = match best.and_then(|b| self.res.get(b)) {
                        None => true,
                        Some(b) => version_num(x.version) > version_num(b.version),
                    };
                    if better {
                        best = Some(i);
                    }
                }
                best
            }
            RefKind::Identifier { system, value } => self.res.iter().position(|x| {
                r.rtype().is_none_or(|t| t == x.rtype)
                    && !matches!(x.origin, Origin::Contained(_))
                    && has_identifier(x.v, *system, value)
            }),
            RefKind::DisplayOnly | RefKind::Malformed => None,
        }
    }
}

/// `meta.versionId` as a number (0 when absent or not numeric).
pub(crate) fn version_num(v: Option<&str>) -> u64 {
    v.and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
}

fn has_identifier(v: &Value, system: Option<&str>, value: &str) -> bool {
    v.get("identifier")
        .and_then(Value::as_array)
        .is_some_and(|ids| {
            ids.iter().any(|i| {
                i.get("value").and_then(Value::as_str) == Some(value)
                    && system.is_none_or(|s| i.get("system").and_then(Value::as_str) == Some(s))
            })
        })
}

/// What a reference points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RefKind<'v> {
    /// `#id`.
    Contained(&'v str),
    /// `urn:uuid:…` / `urn:oid:…` (matches `fullUrl`).
    Urn(&'v str),
    /// `Type/id[/_history/v]`, relative or absolute (`url` = the absolute URL without history).
    Literal {
        rtype: &'v str,
        id: &'v str,
        version: Option<&'v str>,
        url: Option<&'v str>,
    },
    /// `Reference.identifier` only.
    Identifier {
        system: Option<&'v str>,
        value: &'v str,
    },
    /// Only a display text.
    DisplayOnly,
    /// A reference string that is none of the above.
    Malformed,
}

/// A parsed FHIR Reference.
#[derive(Debug, Clone)]
pub(crate) struct Reference<'v> {
    /// `Reference.reference` as written.
    pub raw: Option<&'v str>,
    pub kind: RefKind<'v>,
    /// `Reference.type` (R4) when given.
    pub declared_type: Option<&'v str>,
    pub display: Option<&'v str>,
}

impl<'v> Reference<'v> {
    /// The resource type, when known.
    pub fn rtype(&self) -> Option<&'v str> {
        match self.kind {
            RefKind::Literal { rtype, .. } => Some(rtype),
            _ => self.declared_type,
        }
    }
    /// The logical id, when known.
    pub fn id(&self) -> Option<&'v str> {
        match self.kind {
            RefKind::Literal { id, .. } => Some(id),
            _ => None,
        }
    }
    /// `Type/id`, when known.
    pub fn relative(&self) -> Option<String> {
        match self.kind {
            RefKind::Literal { rtype, id, .. } => Some(format!("{rtype}/{id}")),
            _ => None,
        }
    }
    /// Whether the host could read it (a literal, urn or identifier reference).
    pub fn fetchable(&self) -> bool {
        matches!(
            self.kind,
            RefKind::Literal { .. } | RefKind::Identifier { .. }
        )
    }
}

/// Parse a reference string.
pub(crate) fn parse_reference_str(r: &str) -> RefKind<'_> {
    let r = r.trim();
    if let Some(id) = r.strip_prefix('#') {
        return if id_ok(id) {
            RefKind::Contained(id)
        } else {
            RefKind::Malformed
        };
    }
    if r.starts_with("urn:uuid:") || r.starts_with("urn:oid:") {
        return RefKind::Urn(r);
    }
    let absolute = r.contains("://");
    let no_query = r.split(['?', '#']).next().unwrap_or(r);
    let segs: Vec<&str> = no_query.split('/').filter(|s| !s.is_empty()).collect();
    let n = segs.len();
    let (t, id, ver) = if n >= 4 && segs.get(n - 2) == Some(&"_history") {
        (segs.get(n - 4), segs.get(n - 3), segs.get(n - 1).copied())
    } else if n >= 2 {
        (segs.get(n - 2), segs.get(n - 1), None)
    } else {
        return RefKind::Malformed;
    };
    match (t, id) {
        (Some(t), Some(id)) if type_name_ok(t) && id_ok(id) => {
            let url = if absolute {
                // The absolute URL up to the id (history suffix dropped).
                let end = no_query.find("/_history/").unwrap_or(no_query.len());
                no_query.get(..end)
            } else {
                None
            };
            RefKind::Literal {
                rtype: t,
                id,
                version: ver,
                url,
            }
        }
        _ => RefKind::Malformed,
    }
}

/// Read a Reference object at `v` (pointer `p`).
pub(crate) fn read_reference<'v>(v: &'v Value, p: &Ptr<'_>) -> Result<Reference<'v>> {
    if !v.is_object() {
        return Err(bad_type(p, "a Reference (object)"));
    }
    let raw = str_at(v, "reference", p)?;
    let declared_type = str_at(v, "type", p)?;
    let display = str_at(v, "display", p)?;
    let kind = match raw {
        Some(r) => parse_reference_str(r),
        None => match obj_at(v, "identifier", p)? {
            Some(i) => {
                let ip = p.key("identifier");
                match str_at(i, "value", &ip)? {
                    Some(value) => RefKind::Identifier {
                        system: str_at(i, "system", &ip)?,
                        value,
                    },
                    None => RefKind::DisplayOnly,
                }
            }
            None => RefKind::DisplayOnly,
        },
    };
    Ok(Reference {
        raw,
        kind,
        declared_type,
        display,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reference_forms() {
        assert_eq!(parse_reference_str("#p"), RefKind::Contained("p"));
        assert_eq!(
            parse_reference_str("Patient/P1"),
            RefKind::Literal {
                rtype: "Patient",
                id: "P1",
                version: None,
                url: None
            }
        );
        assert_eq!(
            parse_reference_str("https://x.org/fhir/r4/Appointment/A1/_history/3"),
            RefKind::Literal {
                rtype: "Appointment",
                id: "A1",
                version: Some("3"),
                url: Some("https://x.org/fhir/r4/Appointment/A1")
            }
        );
        assert_eq!(parse_reference_str("Patient/"), RefKind::Malformed);
        assert_eq!(parse_reference_str("patient/1"), RefKind::Malformed);
        assert_eq!(parse_reference_str("Patient/a b"), RefKind::Malformed);
        assert!(matches!(parse_reference_str("urn:uuid:1"), RefKind::Urn(_)));
    }

    #[test]
    fn resolution() {
        let b = json!({"resourceType": "Bundle", "entry": [
            {"fullUrl": "https://x.org/fhir/Appointment/A", "resource": {"resourceType": "Appointment", "id": "A",
              "contained": [{"resourceType": "Patient", "id": "p"}]}},
            {"fullUrl": "https://x.org/fhir/Patient/P1", "resource": {"resourceType": "Patient", "id": "P1", "meta": {"versionId": "2"}}},
            {"fullUrl": "urn:uuid:u1", "resource": {"resourceType": "Location", "id": "L", "identifier": [{"system": "s", "value": "v"}]}}
        ]});
        let mut ix = Index::default();
        ix.add_bundle(&b, "", false).unwrap();
        assert_eq!(ix.res.len(), 4);
        let r = |s: &'static str| Reference {
            raw: Some(s),
            kind: parse_reference_str(s),
            declared_type: None,
            display: None,
        };
        assert_eq!(ix.resolve(&r("#p"), Some(0)), Some(1));
        assert_eq!(ix.resolve(&r("#p"), Some(2)), None);
        assert_eq!(ix.resolve(&r("Patient/P1"), None), Some(2));
        assert_eq!(ix.resolve(&r("Patient/P1/_history/2"), None), Some(2));
        assert_eq!(
            ix.resolve(&r("https://x.org/fhir/Patient/P1/_history/9"), None),
            Some(2)
        );
        assert_eq!(ix.resolve(&r("urn:uuid:u1"), None), Some(3));
        let idr = Reference {
            raw: None,
            kind: RefKind::Identifier {
                system: Some("s"),
                value: "v",
            },
            declared_type: Some("Location"),
            display: None,
        };
        assert_eq!(ix.resolve(&idr, None), Some(3));
        let bad = json!({"resourceType": "Bundle", "entry": {}});
        assert_eq!(
            Index::default()
                .add_bundle(&bad, "", false)
                .unwrap_err()
                .code,
            ErrorCode::JsonBadType
        );
    }
}
