//! `appointment_location` (AIL / PV1 PL values, codes recognized) and `appointment_id` (SCH
//! placer / filler per profile).

use super::view::{path_of, val, El, Idx, SegView};
use super::Ctx;
use super::{apply_default, apply_override};
use crate::event::{AppointmentEvent, EntityId, Field, PathRef, Provenance};
use crate::hl7::Message;
use crate::inbound::siu_map::{self, How};
use crate::profile::AppointmentIdChoice;
use std::borrow::Cow;

pub(super) fn descriptive(s: &str) -> bool {
    (s.contains(' ') && s.chars().any(char::is_alphabetic))
        || (s.chars().all(char::is_alphabetic) && s.chars().any(char::is_lowercase))
}

/// A PL value and the (component, subcomponent) it came from.
pub(super) fn pl_value<'m>(r: El<'m>) -> Option<(Cow<'m, str>, (usize, usize))> {
    let pl1 = val(r.child(1).and_then(|c| c.child(1)));
    let pl9 = val(r.child(9));
    let pl4 = val(r.child(4).and_then(|c| c.child(1)));
    let opts = [(pl1, (1, 0)), (pl9, (9, 0)), (pl4, (4, 1))];
    if let Some(i) = opts
        .iter()
        .position(|(v, _)| v.as_deref().is_some_and(descriptive))
    {
        let [a, b, c] = opts;
        return [a, b, c]
            .into_iter()
            .nth(i)
            .and_then(|(v, s)| v.map(|v| (v, s)));
    }
    opts.into_iter().find_map(|(v, s)| v.map(|v| (v, s)))
}

pub(super) fn map_location(
    cx: &mut Ctx<'_>,
    msg: &Message<'_>,
    idx: &Idx<'_>,
    e: &mut AppointmentEvent,
) {
    let f = Field::AppointmentLocation;
    if apply_override(cx, msg, f, e) {
        return;
    }
    for c in siu_map::candidates(f, cx.band) {
        if c.how != How::Pl {
            continue;
        }
        let segs = idx.segs(c.seg);
        let mut chosen: Option<(String, PathRef)> = None;
        let mut disagree = false;
        for (i, s) in segs.iter().enumerate() {
            let Some(r) = s.field(c.field).and_then(|x| x.child(1)) else {
                continue;
            };
            if r.is_null() {
                continue;
            }
            let Some((v, suffix)) = pl_value(r) else {
                continue;
            };
            match &chosen {
                None => {
                    let p = path_of(c.seg, i + 1, segs.len(), c.field, None, Some(suffix.0))
                        .subcomp(suffix.1);
                    chosen = Some((v.into_owned(), p));
                }
                Some((v0, _)) => disagree |= *v0 != v,
            }
        }
        if let Some((v, p)) = chosen {
            if disagree {
                cx.warn_with("MAP_RESOURCES_DISAGREE", f, || format!("several {} segments (resource groups) name different locations; the first was used", c.seg));
            }
            if !descriptive(&v) {
                cx.warn_with("MAP_LOCATION_IS_CODE", f, || format!("{p} looks like a code rather than a place name; the SMS prints it as is (set defaults.appointmentLocation or hl7.fields.appointment_location)"));
            }
            e.appointment_location = v;
            cx.prov(
                f,
                Provenance::path(p, "first location: PL-1 if descriptive, else PL-9, PL-4.1"),
            );
            return;
        }
    }
    apply_default(cx, f, e, "no location in the message");
}

pub(super) fn ei<'m>(
    seg: &SegView<'m>,
    field: usize,
) -> Option<(Cow<'m, str>, Option<Cow<'m, str>>)> {
    let r = seg.field(field)?.child(1)?;
    if r.is_null() {
        return None;
    }
    let id = val(r.child(1))?;
    Some((id, val(r.child(2))))
}

pub(super) fn map_appointment_id(
    cx: &mut Ctx<'_>,
    msg: &Message<'_>,
    idx: &Idx<'_>,
    e: &mut AppointmentEvent,
) {
    let f = Field::AppointmentId;
    let placer = idx.sch.as_ref().and_then(|s| ei(s, 1));
    let filler = idx.sch.as_ref().and_then(|s| ei(s, 2));
    if cx.full() {
        let entity = |(i, n): &(Cow<'_, str>, Option<Cow<'_, str>>)| EntityId {
            id: i.to_string(),
            namespace: n.as_deref().map(str::to_owned),
        };
        cx.r.ids.placer_appointment_id = placer.as_ref().map(entity);
        cx.r.ids.filler_appointment_id = filler.as_ref().map(entity);
    }
    if apply_override(cx, msg, f, e) {
        return;
    }
    #[allow(clippy::type_complexity)]
    let order: [(
        &Option<(Cow<'_, str>, Option<Cow<'_, str>>)>,
        &str,
        &'static str,
    ); 2] = match cx.profile.hl7.appointment_id {
        AppointmentIdChoice::Filler => [
            (
                &filler,
                "SCH-2.1",
                "filler appointment id (hl7.appointmentId = filler)",
            ),
            (&placer, "SCH-1.1", "no filler id: placer appointment id"),
        ],
        AppointmentIdChoice::Placer => [
            (
                &placer,
                "SCH-1.1",
                "placer appointment id (hl7.appointmentId = placer)",
            ),
            (&filler, "SCH-2.1", "no placer id: filler appointment id"),
        ],
    };
    for (v, path, rule) in order {
        if let Some((id, _)) = v {
            e.appointment_id = id.to_string();
            cx.prov(f, Provenance::path(path, rule));
            return;
        }
    }
    cx.prov(f, Provenance::none("no appointment id (SCH-1/SCH-2)"));
}
