//! `patient_id` (CX type and authority rules) and `patient_first_name` / `patient_last_name`;
//! the CX type and assigning-authority rules of the profile.

use super::view::{path_of, val, El, Idx};
use super::{apply_override, Ctx};
use crate::event::{AppointmentEvent, Field, Provenance};
use crate::hl7::Message;
use crate::inbound::siu_map;
use std::borrow::Cow;

pub(super) fn map_patient_id(
    cx: &mut Ctx<'_>,
    msg: &Message<'_>,
    idx: &Idx<'_>,
    e: &mut AppointmentEvent,
) {
    let f = Field::PatientId;
    if apply_override(cx, msg, f, e) {
        return;
    }
    let Some(pid) = idx.pid.as_ref() else {
        cx.prov(f, Provenance::none("no PID segment"));
        return;
    };
    let profile = cx.profile;
    let authority = cx.profile.hl7.patient_id_authority.clone();
    struct Cand<'m> {
        rep: usize,
        id: Cow<'m, str>,
        ty: Option<Cow<'m, str>>,
        auth: Option<Cow<'m, str>>,
    }
    let mut cands: Vec<Cand<'_>> = Vec::with_capacity(4);
    if let Some(field) = pid.field(3) {
        for (i, r) in field.children().enumerate() {
            if r.is_null() {
                continue;
            }
            let Some(id) = val(r.child(1)) else { continue };
            let auth = val(r.child(4).and_then(|c| c.child(1)));
            if let Some(a) = &authority {
                if !auth.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(a)) {
                    continue;
                }
            }
            cands.push(Cand {
                rep: i + 1,
                id,
                ty: val(r.child(5)),
                auth,
            });
        }
    }
    let total = pid.field(3).map_or(0, |f| f.children().count());
    let mut chosen: Option<(usize, &'static str)> = None;
    for t in profile.patient_id_types() {
        if let Some(i) = cands
            .iter()
            .position(|c| c.ty.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(t)))
        {
            chosen = Some((
                i,
                "PID-3 repetition whose CX-5 type is the first of hl7.patientIdTypes present",
            ));
            break;
        }
    }
    if chosen.is_none() && !cands.is_empty() {
        chosen = Some((0, "first non-null PID-3 repetition (no CX-5 type match)"));
        if cands.len() > 1 || cands.first().is_some_and(|c| c.ty.is_some()) {
            cx.warn(
                "MAP_PATIENT_ID_NO_TYPE_MATCH",
                "no PID-3 repetition has an identifier type (CX-5) from hl7.patientIdTypes; the first non-null one was used",
                f,
            );
        }
    }
    if let Some((i, rule)) = chosen {
        if let Some(c) = cands.get(i) {
            e.patient_id = c.id.to_string();
            if cx.full() {
                cx.r.ids.patient_id_type = c.ty.as_deref().map(str::to_owned);
                cx.r.ids.patient_id_authority = c.auth.as_deref().map(str::to_owned);
            }
            let rep = (total > 1).then_some(c.rep);
            cx.prov(
                f,
                Provenance::path(path_of("PID", 1, 1, 3, rep, Some(1)), rule),
            );
            return;
        }
    }
    // Old feeds: PID-2 (external id), withdrawn in 2.8.
    if siu_map::candidates(f, cx.band)
        .iter()
        .any(|c| c.seg == "PID" && c.field == 2)
    {
        if let Some(v) = val(pid.field(2).and_then(|x| x.component(1))) {
            e.patient_id = v.into_owned();
            cx.warn(
                "MAP_PATIENT_ID_FROM_PID2",
                "PID-3 has no usable identifier; the external id in PID-2 was used",
                f,
            );
            cx.prov(
                f,
                Provenance::path("PID-2.1", "PID-3 empty: external patient id"),
            );
            return;
        }
    }
    cx.prov(f, Provenance::none("no patient identifier"));
}

pub(super) fn map_patient_name(
    cx: &mut Ctx<'_>,
    msg: &Message<'_>,
    idx: &Idx<'_>,
    e: &mut AppointmentEvent,
) {
    let first_over = apply_override(cx, msg, Field::PatientFirstName, e);
    let last_over = apply_override(cx, msg, Field::PatientLastName, e);
    if first_over && last_over {
        return;
    }
    let field = idx.pid.as_ref().and_then(|p| p.field(5));
    let mut best: Option<(usize, u8, El<'_>)> = None;
    if let Some(field) = field {
        for (i, r) in field.children().enumerate() {
            if r.is_null() || r.is_empty() {
                continue;
            }
            let has_family = val(r.child(1).and_then(|c| c.child(1))).is_some();
            let has_given = val(r.child(2)).is_some();
            if !has_family && !has_given {
                continue;
            }
            let ty = val(r.child(7));
            let repr = val(r.child(8));
            let legal = ty.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("L"));
            let alpha = !repr
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("I") || t.eq_ignore_ascii_case("P"));
            // Completeness first (a legal name with no given name is worse than a complete
            // display name), then legal, then alphabetic.
            let score =
                u8::from(has_family && has_given) * 4 + u8::from(legal) * 2 + u8::from(alpha);
            if best.as_ref().is_none_or(|b| score > b.1) {
                best = Some((i + 1, score, r));
            }
        }
    }
    let total = field.map_or(0, |f| f.children().count());
    let rule = "PID-5 repetition preferring complete, then legal (XPN-7 = L), then alphabetic (XPN-8 not I/P)";
    let (rep, r) = match best {
        Some((i, _, r)) => ((total > 1).then_some(i), Some(r)),
        None => (None, None),
    };
    if !last_over {
        match r.and_then(|r| val(r.child(1).and_then(|c| c.child(1)))) {
            Some(v) => {
                e.patient_last_name = v.into_owned();
                let p = path_of("PID", 1, 1, 5, rep, Some(1)).subcomp(1);
                cx.prov(Field::PatientLastName, Provenance::path(p, rule));
            }
            None => cx.prov(Field::PatientLastName, Provenance::none("no family name")),
        }
    }
    if !first_over {
        match r.and_then(|r| val(r.child(2))) {
            Some(v) => {
                e.patient_first_name = v.into_owned();
                cx.prov(
                    Field::PatientFirstName,
                    Provenance::path(path_of("PID", 1, 1, 5, rep, Some(2)), rule),
                );
            }
            None => cx.prov(Field::PatientFirstName, Provenance::none("no given name")),
        }
    }
}
