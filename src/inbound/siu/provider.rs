//! `provider_id`, `provider_first_name`, `provider_last_name`: AIP, AIG, PV1 and SCH sources in
//! table order, usernames recognized.

use super::view::{path_of, val, El, Idx, SegView};
use super::Ctx;
use super::{apply_default, apply_override};
use crate::event::{AppointmentEvent, Field, PathRef, Provenance};
use crate::hl7::Message;
use crate::inbound::siu_map::{self, How};
use std::borrow::Cow;

/// A person a provider source names.
struct Person<'m> {
    id: Option<Cow<'m, str>>,
    last: Option<Cow<'m, str>>,
    first: Option<Cow<'m, str>>,
    at: Place,
    /// Read from free text (`Last, First`) rather than an XCN.
    text: bool,
}

/// Where a person was read: the source's segment and field, the occurrence of the segment.
#[derive(Clone, Copy)]
struct Place {
    seg: &'static str,
    field: usize,
    occ: usize,
    total: usize,
}

impl Place {
    fn path(self, comp: Option<usize>) -> PathRef {
        path_of(self.seg, self.occ, self.total, self.field, None, comp)
    }
}

fn looks_like_username(s: &str) -> bool {
    !s.contains(' ') && s.chars().any(|c| c.is_ascii_digit()) && s.chars().any(char::is_alphabetic)
}

fn xcn<'m>(seg: &SegView<'m>, field: usize) -> Option<El<'m>> {
    seg.field(field)?.child(1)
}

/// The provider: the people named by the table's sources (usernames set aside), then
/// `provider_id` from the record (the first XCN source with an id or a name) and the names from
/// the record or the next source that has them; profile overrides and defaults apply.
pub(super) fn map_provider(
    cx: &mut Ctx<'_>,
    msg: &Message<'_>,
    idx: &Idx<'_>,
    e: &mut AppointmentEvent,
) {
    let found = collect_people(cx.band, idx);
    if found.username_seen {
        cx.warn(
            "MAP_PROVIDER_USERNAME_ONLY",
            "the provider is identified only by a user name, which is not a name to print after \"Dr.\"; set defaults.providerLastName or hl7.fields.provider_last_name",
            Field::ProviderLastName,
        );
    }
    if found.aip_disagree {
        cx.warn(
            "MAP_RESOURCES_DISAGREE",
            "several AIP segments (resource groups) name different providers; the first was used",
            Field::ProviderId,
        );
    }
    let people = &found.people;
    let rec = people
        .iter()
        .position(|p| !p.text && (p.id.is_some() || p.last.is_some()))
        .and_then(|i| people.get(i));
    if !apply_override(cx, msg, Field::ProviderId, e) {
        provider_id(cx, e, rec);
    }
    // Names: from the record if it has them, else the next source that has them.
    let name_src = rec
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
        if !apply_override(cx, msg, f, e) {
            provider_name(cx, e, f, comp, name_src);
        }
    }
}

/// The rule of values read from the record.
const RULE_RECORD: &str = "first personnel source with an id or a name (AIP-3, SCH-12, PV1-7)";

/// What the sources say about the provider.
struct People<'m> {
    /// The first person of each source that names one, in table order.
    people: Vec<Person<'m>>,
    /// A source held only a user name.
    username_seen: bool,
    /// Several AIP segments name different providers.
    aip_disagree: bool,
}

/// The first person of each provider source of the table (for the message's version band).
fn collect_people<'m>(band: usize, idx: &Idx<'m>) -> People<'m> {
    let mut found = People {
        people: Vec::with_capacity(4),
        username_seen: false,
        aip_disagree: false,
    };
    for c in siu_map::candidates(Field::ProviderLastName, band) {
        let segs = idx.segs(c.seg);
        // (id, family name) of the first person of this source.
        type Key<'k> = (Option<Cow<'k, str>>, Option<Cow<'k, str>>);
        let mut first_key: Option<Key<'_>> = None;
        for (i, s) in segs.iter().enumerate() {
            let at = Place {
                seg: c.seg,
                field: c.field,
                occ: i + 1,
                total: segs.len(),
            };
            let person = match c.how {
                How::Xcn => person_from_xcn(s, at, &mut found.username_seen),
                How::PersonText => person_from_text(s, at, &mut found.username_seen),
                _ => None,
            };
            let Some(person) = person else { continue };
            if person.id.is_none() && person.last.is_none() && person.first.is_none() {
                continue;
            }
            match &first_key {
                None => {
                    first_key = Some((person.id.clone(), person.last.clone()));
                    found.people.push(person);
                }
                Some((id, last)) => {
                    if (id, last) != (&person.id, &person.last) && c.seg == "AIP" {
                        found.aip_disagree = true;
                    }
                }
            }
        }
    }
    found
}

/// A person from an XCN (id, family name, given name); a family name that is a user name is
/// dropped with the given name.
fn person_from_xcn<'m>(s: &SegView<'m>, at: Place, username_seen: &mut bool) -> Option<Person<'m>> {
    let r = xcn(s, at.field)?;
    if r.is_null() {
        return None;
    }
    let id = val(r.child(1));
    let mut last = val(r.child(2).and_then(|x| x.child(1)));
    let mut first = val(r.child(3));
    if last.as_deref().is_some_and(looks_like_username) {
        *username_seen = true;
        last = None;
        first = None;
    }
    Some(Person {
        id,
        last,
        first,
        at,
        text: false,
    })
}

/// A person from a free-text resource name (`Last, First`, or one name); a user name is none.
fn person_from_text<'m>(
    s: &SegView<'m>,
    at: Place,
    username_seen: &mut bool,
) -> Option<Person<'m>> {
    let rep = s.field(at.field)?.child(1);
    let t = val(rep.and_then(|r| r.child(2))).or_else(|| val(rep.and_then(|r| r.child(1))))?;
    if looks_like_username(&t) {
        *username_seen = true;
        return None;
    }
    let (last, first) = match t.split_once(',') {
        Some((l, f)) => (
            Some(Cow::Owned(l.trim().to_owned())),
            Some(Cow::<str>::Owned(f.trim().to_owned())).filter(|x| !x.is_empty()),
        ),
        None => (Some(t), None),
    };
    Some(Person {
        id: None,
        last,
        first,
        at,
        text: true,
    })
}

/// `provider_id`: the record's id, else the default.
fn provider_id(cx: &mut Ctx<'_>, e: &mut AppointmentEvent, rec: Option<&Person<'_>>) {
    match rec.and_then(|p| p.id.as_ref().map(|id| (p, id))) {
        Some((p, id)) => {
            e.provider_id = id.to_string();
            let path = p.at.path(Some(1));
            cx.prov(Field::ProviderId, Provenance::path(path, RULE_RECORD));
        }
        None => apply_default(cx, Field::ProviderId, e, "no provider id"),
    }
}

/// A provider name (XCN component `comp`: 2 family, 3 given) from `src`, else the default.
fn provider_name(
    cx: &mut Ctx<'_>,
    e: &mut AppointmentEvent,
    f: Field,
    comp: usize,
    src: Option<&Person<'_>>,
) {
    let v = src.and_then(|p| {
        let v = if comp == 2 {
            p.last.as_ref()
        } else {
            p.first.as_ref()
        };
        v.map(|v| (p, v))
    });
    let Some((p, v)) = v else {
        apply_default(cx, f, e, "no provider name");
        return;
    };
    *e.get_mut(f) = v.to_string();
    let (path, rule) = if p.text {
        (p.at.path(None), "free-text resource name (\"Last, First\")")
    } else {
        let mut s = p.at.path(Some(comp));
        if comp == 2 {
            s = s.subcomp(1);
        }
        (s, RULE_RECORD)
    };
    cx.prov(f, Provenance::path(path, rule));
}
