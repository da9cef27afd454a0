//! `provider_id`, `provider_first_name`, `provider_last_name`: AIP, AIG, PV1 and SCH sources in
//! table order, usernames recognized.

use super::view::{path_of, val, El, Idx, SegView};
use super::Ctx;
use super::{apply_default, apply_override};
use crate::event::{AppointmentEvent, Field, Provenance};
use crate::hl7::Message;
use crate::inbound::siu_map::{self, How};
use std::borrow::Cow;

pub(super) struct Person<'m> {
    pub(super) id: Option<Cow<'m, str>>,
    pub(super) last: Option<Cow<'m, str>>,
    pub(super) first: Option<Cow<'m, str>>,
    pub(super) seg: &'static str,
    pub(super) field: usize,
    pub(super) occ: usize,
    pub(super) total: usize,
    pub(super) text: bool,
}

pub(super) fn looks_like_username(s: &str) -> bool {
    !s.contains(' ') && s.chars().any(|c| c.is_ascii_digit()) && s.chars().any(char::is_alphabetic)
}

pub(super) fn xcn<'m>(seg: &SegView<'m>, field: usize) -> Option<El<'m>> {
    seg.field(field)?.child(1)
}

pub(super) fn map_provider(
    cx: &mut Ctx<'_>,
    msg: &Message<'_>,
    idx: &Idx<'_>,
    e: &mut AppointmentEvent,
) {
    let mut people: Vec<Person<'_>> = Vec::with_capacity(4);
    let mut username_seen = false;
    let mut aip_disagree = false;
    for c in siu_map::candidates(Field::ProviderLastName, cx.band) {
        let segs = idx.segs(c.seg);
        // (id, family name) of the first person of this source.
        type Key<'k> = (Option<Cow<'k, str>>, Option<Cow<'k, str>>);
        let mut first_key: Option<Key<'_>> = None;
        for (i, s) in segs.iter().enumerate() {
            let person = match c.how {
                How::Xcn => {
                    let Some(r) = xcn(s, c.field) else { continue };
                    if r.is_null() {
                        continue;
                    }
                    let id = val(r.child(1));
                    let mut last = val(r.child(2).and_then(|x| x.child(1)));
                    let mut first = val(r.child(3));
                    if last.as_deref().is_some_and(looks_like_username) {
                        username_seen = true;
                        last = None;
                        first = None;
                    }
                    Person {
                        id,
                        last,
                        first,
                        seg: c.seg,
                        field: c.field,
                        occ: i + 1,
                        total: segs.len(),
                        text: false,
                    }
                }
                How::PersonText => {
                    let Some(f) = s.field(c.field) else { continue };
                    let rep = f.child(1);
                    let t = val(rep.and_then(|r| r.child(2)))
                        .or_else(|| val(rep.and_then(|r| r.child(1))));
                    let Some(t) = t else { continue };
                    if looks_like_username(&t) {
                        username_seen = true;
                        continue;
                    }
                    let (last, first) = match t.split_once(',') {
                        Some((l, f)) => (
                            Some(Cow::Owned(l.trim().to_owned())),
                            Some(Cow::<str>::Owned(f.trim().to_owned())).filter(|x| !x.is_empty()),
                        ),
                        None => (Some(t), None),
                    };
                    Person {
                        id: None,
                        last,
                        first,
                        seg: c.seg,
                        field: c.field,
                        occ: i + 1,
                        total: segs.len(),
                        text: true,
                    }
                }
                _ => continue,
            };
            if person.id.is_none() && person.last.is_none() && person.first.is_none() {
                continue;
            }
            match &first_key {
                None => {
                    first_key = Some((person.id.clone(), person.last.clone()));
                    people.push(person);
                }
                Some((id, last)) => {
                    if (id, last) != (&person.id, &person.last) && c.seg == "AIP" {
                        aip_disagree = true;
                    }
                }
            }
        }
    }
    if username_seen {
        cx.warn(
            "MAP_PROVIDER_USERNAME_ONLY",
            "the provider is identified only by a user name, which is not a name to print after \"Dr.\"; set defaults.providerLastName or hl7.fields.provider_last_name",
            Field::ProviderLastName,
        );
    }
    if aip_disagree {
        cx.warn(
            "MAP_RESOURCES_DISAGREE",
            "several AIP segments (resource groups) name different providers; the first was used",
            Field::ProviderId,
        );
    }
    // The record: the first person with an id or a name from an XCN source.
    let rec = people
        .iter()
        .position(|p| !p.text && (p.id.is_some() || p.last.is_some()));
    let rule_rec = "first personnel source with an id or a name (AIP-3, SCH-12, PV1-7)";
    // provider_id
    if !apply_override(cx, msg, Field::ProviderId, e) {
        match rec
            .and_then(|i| people.get(i))
            .and_then(|p| p.id.as_ref().map(|id| (p, id)))
        {
            Some((p, id)) => {
                e.provider_id = id.to_string();
                let path = path_of(p.seg, p.occ, p.total, p.field, None, Some(1));
                cx.prov(Field::ProviderId, Provenance::path(path, rule_rec));
            }
            None => apply_default(cx, Field::ProviderId, e, "no provider id"),
        }
    }
    // names: from the record if it has them, else the next source that has them.
    let name_src = rec
        .and_then(|i| people.get(i))
        .filter(|p| p.last.is_some() || p.first.is_some())
        .or_else(|| {
            people
                .iter()
                .find(|p| p.last.is_some() || p.first.is_some())
        });
    for (f, comp) in [
        (Field::ProviderLastName, 2usize),
        (Field::ProviderFirstName, 3usize),
    ] {
        if apply_override(cx, msg, f, e) {
            continue;
        }
        let v = name_src.and_then(|p| {
            let v = if comp == 2 {
                p.last.as_ref()
            } else {
                p.first.as_ref()
            };
            v.map(|v| (p, v))
        });
        match v {
            Some((p, v)) => {
                *e.get_mut(f) = v.to_string();
                let (path, rule) = if p.text {
                    (
                        path_of(p.seg, p.occ, p.total, p.field, None, None),
                        "free-text resource name (\"Last, First\")",
                    )
                } else {
                    let mut s = path_of(p.seg, p.occ, p.total, p.field, None, Some(comp));
                    if comp == 2 {
                        s = s.subcomp(1);
                    }
                    (s, rule_rec)
                };
                cx.prov(f, Provenance::path(path, rule));
            }
            None => apply_default(cx, f, e, "no provider name"),
        }
    }
}
