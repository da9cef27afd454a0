//! Reading FHIR datatypes: HumanName selection, ContactPoint selection, identifiers,
//! participants and their roles.

use super::index::{read_reference, Index, Reference};
use super::table::Role;
use crate::error::Result;
use crate::inbound::common::{parse_iso, Mark};
use crate::inbound::json::{arr_at, bad_type, id_at, obj_at, str_at};
use crate::pointer::Ptr;
use chrono::NaiveDateTime;
use serde_json::Value;

/// Whether a `period` has ended before `at` (never, when `at` is unknown).
fn expired(v: &Value, p: &Ptr<'_>, at: Option<NaiveDateTime>) -> Result<bool> {
    let Some(period) = obj_at(v, "period", p)? else {
        return Ok(false);
    };
    let Some(end) = str_at(period, "end", &p.key("period"))? else {
        return Ok(false);
    };
    let Some(at) = at else { return Ok(false) };
    Ok(parse_iso(end).is_some_and(|e| {
        // A date-only end covers the whole day.
        let end = if e.prec == crate::inbound::common::Prec::Day {
            e.local
                .checked_add_signed(chrono::Duration::days(1))
                .unwrap_or(e.local)
        } else {
            e.utc().unwrap_or(e.local)
        };
        end <= at
    }))
}

/// A chosen name part with its pointer.
pub(crate) type Part<'v> = Option<(&'v str, String)>;

/// The names chosen from a resource's `name` array.
#[derive(Default)]
pub(crate) struct NamePick<'v> {
    pub family: Part<'v>,
    pub given: Part<'v>,
    /// A name split from `text` (owned parts).
    pub text_split: Option<(Option<String>, Option<String>, String)>,
    /// The given name of the current usual name (for `fhir.firstName = usual`).
    pub usual_given: Part<'v>,
    /// All names were expired or old; the best of them was used.
    pub only_expired: bool,
}

/// Choose a name (docs/fhir-mapping.md): current names only (old/maiden/anonymous and expired
/// dropped, unless nothing else exists); complete (family and given) first, then official, usual,
/// no `use`, others; `given[0]` and `family`; else split `text`.
pub(crate) fn pick_name<'v>(
    res: &'v Value,
    base: &Ptr<'_>,
    at: Option<NaiveDateTime>,
) -> Result<NamePick<'v>> {
    struct C<'v> {
        i: usize,
        family: Option<&'v str>,
        given: Option<&'v str>,
        text: Option<&'v str>,
        rank: u8,
        current: bool,
    }
    let np = base.key("name");
    let mut cands: Vec<C<'v>> = Vec::new();
    let mut usual_given: Part<'v> = None;
    for (i, n) in arr_at(res, "name", base)?.iter().enumerate() {
        let ip = np.idx(i);
        if !n.is_object() {
            return Err(bad_type(&ip, "a HumanName (object)"));
        }
        let use_ = str_at(n, "use", &ip)?;
        let family = str_at(n, "family", &ip)?;
        let mut given = None;
        for (j, g) in arr_at(n, "given", &ip)?.iter().enumerate() {
            match g {
                Value::String(s) if !s.trim().is_empty() => {
                    given = Some(s.trim());
                    break;
                }
                Value::String(_) | Value::Null => {}
                _ => return Err(bad_type(&ip.key("given").idx(j), "a string")),
            }
        }
        let text = str_at(n, "text", &ip)?;
        let old = matches!(use_, Some("old" | "maiden" | "anonymous"));
        let current = !old && !expired(n, &ip, at)?;
        let rank = match use_ {
            Some("official") => 0,
            Some("usual") => 1,
            None => 2,
            _ => 3,
        };
        if current && use_ == Some("usual") && usual_given.is_none() {
            if let Some(g) = given {
                usual_given = Some((g, ip.key("given").idx(0).render()));
            }
        }
        cands.push(C {
            i,
            family,
            given,
            text,
            rank,
            current,
        });
    }
    let key = |c: &C<'_>| {
        (
            !c.current,
            !(c.family.is_some() && c.given.is_some()),
            c.family.is_none() && c.given.is_none(),
            c.rank,
            c.i,
        )
    };
    let best = cands
        .iter()
        .filter(|c| c.family.is_some() || c.given.is_some() || c.text.is_some())
        .min_by_key(|c| key(c));
    let mut pick = NamePick {
        usual_given,
        ..Default::default()
    };
    let Some(b) = best else { return Ok(pick) };
    pick.only_expired = !b.current;
    let ip = np.idx(b.i);
    if b.family.is_none() && b.given.is_none() {
        if let Some(t) = b.text {
            let (family, given) = split_name_text(t);
            pick.text_split = Some((family, given, ip.key("text").render()));
        }
        return Ok(pick);
    }
    pick.family = b.family.map(|f| (f, ip.key("family").render()));
    pick.given = b.given.map(|g| (g, ip.key("given").idx(0).render()));
    Ok(pick)
}

const HONORIFICS: &[&str] = &[
    "dr", "dr.", "doctor", "prof", "prof.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "miss", "mx",
    "mx.",
];

/// Split a free-text name: `Family, Given …` or `[Dr.] Given … Family`. Returns (family, given).
pub(crate) fn split_name_text(t: &str) -> (Option<String>, Option<String>) {
    let t = t.trim();
    if let Some((fam, rest)) = t.split_once(',') {
        let given = rest.split_whitespace().next().map(str::to_owned);
        let fam = fam.trim();
        return ((!fam.is_empty()).then(|| fam.to_owned()), given);
    }
    let words: Vec<&str> = t
        .split_whitespace()
        .filter(|w| !HONORIFICS.contains(&w.to_ascii_lowercase().as_str()))
        .collect();
    match words.as_slice() {
        [] => (None, None),
        [one] => (Some((*one).to_owned()), None),
        [first, .., last] => (Some((*last).to_owned()), Some((*first).to_owned())),
    }
}

/// One ContactPoint.
pub(crate) struct Tel<'v> {
    pub system: Option<&'v str>,
    pub value: &'v str,
    pub use_: Option<&'v str>,
    pub rank: u64,
    pub ptr: String,
    pub i: usize,
}

/// The current phone-capable ContactPoints of a resource (`system` phone/sms or absent, a value,
/// `use` not old, `period` not ended).
pub(crate) fn phones<'v>(
    res: &'v Value,
    base: &Ptr<'_>,
    at: Option<NaiveDateTime>,
) -> Result<Vec<Tel<'v>>> {
    let tp = base.key("telecom");
    let mut out = Vec::new();
    for (i, t) in arr_at(res, "telecom", base)?.iter().enumerate() {
        let ip = tp.idx(i);
        if !t.is_object() {
            return Err(bad_type(&ip, "a ContactPoint (object)"));
        }
        let system = str_at(t, "system", &ip)?;
        if !matches!(system, None | Some("phone") | Some("sms")) {
            continue;
        }
        let Some(value) = str_at(t, "value", &ip)? else {
            continue;
        };
        let use_ = str_at(t, "use", &ip)?;
        if use_ == Some("old") || expired(t, &ip, at)? {
            continue;
        }
        let rank = match t.get("rank") {
            None | Some(Value::Null) => u64::MAX,
            Some(Value::Number(n)) => n.as_u64().unwrap_or(u64::MAX),
            Some(_) => return Err(bad_type(&ip.key("rank"), "a positive integer")),
        };
        out.push(Tel {
            system,
            value,
            use_,
            rank,
            ptr: ip.key("value").render(),
            i,
        });
    }
    Ok(out)
}

/// Patient phone order (§1.5): sms / mobile first, then home/unmarked/temp, then work; by rank
/// within each class, then document order. With the mark each one carries.
pub(crate) fn patient_phone_order<'a, 'v>(tels: &'a [Tel<'v>]) -> Vec<(&'a Tel<'v>, Mark)> {
    let mut v: Vec<(&Tel<'_>, Mark, u8)> = tels
        .iter()
        .map(|t| {
            let (mark, class) = match (t.system, t.use_) {
                (Some("sms"), _) | (_, Some("mobile")) => (Mark::Mobile, 0),
                (_, Some("home")) => (Mark::Home, 1),
                (_, Some("work")) => (Mark::Work, 2),
                _ => (Mark::Unknown, 1),
            };
            (t, mark, class)
        })
        .collect();
    v.sort_by_key(|(t, _, c)| (*c, t.rank, t.i));
    v.into_iter().map(|(t, m, _)| (t, m)).collect()
}

/// Callback order: work, then no use, mobile, temp (home dropped); by rank, then document order.
pub(crate) fn callback_order<'a, 'v>(tels: &'a [Tel<'v>]) -> Vec<&'a Tel<'v>> {
    let mut v: Vec<(&Tel<'_>, u8)> = tels
        .iter()
        .filter(|t| t.system != Some("sms"))
        .filter_map(|t| {
            let class = match t.use_ {
                Some("work") => 0,
                None => 1,
                Some("mobile") => 2,
                Some("temp") => 3,
                _ => return None,
            };
            Some((t, class))
        })
        .collect();
    v.sort_by_key(|(t, c)| (*c, t.rank, t.i));
    v.into_iter().map(|(t, _)| t).collect()
}

/// One Identifier.
pub(crate) struct Ident<'v> {
    pub system: Option<&'v str>,
    pub value: String,
    pub types: Vec<&'v str>,
    pub ptr: String,
}

/// The identifiers of a resource (those with a value).
pub(crate) fn identifiers<'v>(res: &'v Value, base: &Ptr<'_>) -> Result<Vec<Ident<'v>>> {
    let ipp = base.key("identifier");
    let mut out = Vec::new();
    for (i, id) in arr_at(res, "identifier", base)?.iter().enumerate() {
        let ip = ipp.idx(i);
        if !id.is_object() {
            return Err(bad_type(&ip, "an Identifier (object)"));
        }
        let Some(value) = id_at(id, "value", &ip)? else {
            continue;
        };
        let mut types = Vec::new();
        if let Some(t) = obj_at(id, "type", &ip)? {
            let tp = ip.key("type");
            let cp = tp.key("coding");
            for (j, c) in arr_at(t, "coding", &tp)?.iter().enumerate() {
                if let Some(code) = str_at(c, "code", &cp.idx(j))? {
                    types.push(code);
                }
            }
            if let Some(txt) = str_at(t, "text", &tp)? {
                types.push(txt);
            }
        }
        out.push(Ident {
            system: str_at(id, "system", &ip)?,
            value,
            types,
            ptr: ip.key("value").render(),
        });
    }
    Ok(out)
}

/// The first identifier whose type is in `types` (in preference order) and, when given, whose
/// system is `system`. With no `types`, any type.
pub(crate) fn choose_identifier<'a, 'v>(
    ids: &'a [Ident<'v>],
    types: &[&str],
    system: Option<&str>,
) -> Option<&'a Ident<'v>> {
    let sys_ok = |i: &Ident<'_>| system.is_none_or(|s| i.system == Some(s));
    if types.is_empty() {
        return ids.iter().find(|i| sys_ok(i));
    }
    for t in types {
        if let Some(i) = ids
            .iter()
            .find(|i| sys_ok(i) && i.types.iter().any(|x| x.eq_ignore_ascii_case(t)))
        {
            return Some(i);
        }
    }
    // A system match alone is enough when a system was asked for.
    system.and_then(|_| ids.iter().find(|i| sys_ok(i)))
}

/// One participant (or the R5 `subject`).
pub(crate) struct Participant<'v> {
    pub role: Option<Role>,
    pub actor: Reference<'v>,
    /// Pointer of the actor Reference.
    pub actor_ptr: String,
    /// The resolved resource.
    pub resolved: Option<usize>,
    pub status: Option<&'v str>,
    /// `participant.type` codes.
    pub types: Vec<&'v str>,
}

/// The role of a resource type.
pub(crate) fn role_of(t: &str) -> Option<Role> {
    match t {
        "Patient" => Some(Role::Patient),
        "Practitioner" | "PractitionerRole" => Some(Role::Provider),
        "Location" => Some(Role::Location),
        "HealthcareService" => Some(Role::Service),
        _ => None,
    }
}

/// The participants of an Appointment (plus the R5 `subject` as a patient), resolved in `ix`
/// from the resource `from`.
pub(crate) fn participants<'v>(
    appt: &'v Value,
    base: &Ptr<'_>,
    ix: &Index<'v>,
    from: Option<usize>,
) -> Result<Vec<Participant<'v>>> {
    let mut out = Vec::new();
    let pp = base.key("participant");
    for (i, prt) in arr_at(appt, "participant", base)?.iter().enumerate() {
        let ip = pp.idx(i);
        if !prt.is_object() {
            return Err(bad_type(&ip, "a participant (object)"));
        }
        let mut types = Vec::new();
        let tp = ip.key("type");
        for (j, t) in arr_at(prt, "type", &ip)?.iter().enumerate() {
            let tjp = tp.idx(j);
            let cp = tjp.key("coding");
            for (k, c) in arr_at(t, "coding", &tjp)?.iter().enumerate() {
                if let Some(code) = str_at(c, "code", &cp.idx(k))? {
                    types.push(code);
                }
            }
        }
        let Some(actor) = obj_at(prt, "actor", &ip)? else {
            continue;
        };
        let ap = ip.key("actor");
        let r = read_reference(actor, &ap)?;
        let resolved = ix.resolve(&r, from);
        let rtype = resolved
            .and_then(|x| ix.get(x))
            .map(|x| x.rtype)
            .or_else(|| r.rtype());
        out.push(Participant {
            role: rtype.and_then(role_of),
            actor: r,
            actor_ptr: ap.render(),
            resolved,
            status: str_at(prt, "status", &ip)?,
            types,
        });
    }
    if let Some(subj) = obj_at(appt, "subject", base)? {
        let sp = base.key("subject");
        let r = read_reference(subj, &sp)?;
        let resolved = ix.resolve(&r, from);
        let rtype = resolved
            .and_then(|x| ix.get(x))
            .map(|x| x.rtype)
            .or_else(|| r.rtype());
        if rtype.is_none_or(|t| t == "Patient") {
            // The subject is the patient; skip it when a patient participant names the same one.
            let dup = out.iter().any(|p| {
                p.role == Some(Role::Patient)
                    && ((p.resolved.is_some() && p.resolved == resolved)
                        || (p.actor.relative().is_some() && p.actor.relative() == r.relative()))
            });
            if !dup {
                out.push(Participant {
                    role: Some(Role::Patient),
                    actor: r,
                    actor_ptr: sp.render(),
                    resolved,
                    status: None,
                    types: Vec::new(),
                });
            }
        }
    }
    Ok(out)
}

/// The IANA zone name of a Location (`timezone` extension, or the deprecated `tz-code`), with the
/// pointer of its value.
pub(crate) fn location_zone<'v>(
    loc: &'v Value,
    base: &Ptr<'_>,
) -> Result<Option<(&'v str, String)>> {
    let ep = base.key("extension");
    for (i, x) in arr_at(loc, "extension", base)?.iter().enumerate() {
        let ip = ep.idx(i);
        if !x.is_object() {
            return Err(bad_type(&ip, "an Extension (object)"));
        }
        let url = str_at(x, "url", &ip)?.unwrap_or("");
        if url == "http://hl7.org/fhir/StructureDefinition/timezone"
            || url == "http://hl7.org/fhir/StructureDefinition/tz-code"
        {
            if let Some(z) = str_at(x, "valueCode", &ip)? {
                return Ok(Some((z, ip.key("valueCode").render())));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_names() {
        assert_eq!(
            split_name_text("England, Brad N"),
            (Some("England".into()), Some("Brad".into()))
        );
        assert_eq!(
            split_name_text("Dr. Alex Smith"),
            (Some("Smith".into()), Some("Alex".into()))
        );
        assert_eq!(split_name_text("Smith"), (Some("Smith".into()), None));
        assert_eq!(split_name_text("  "), (None, None));
    }
}
