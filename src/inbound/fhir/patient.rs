//! The patient: `patient_id` (logical id, identifier, contained patients), the names (also the
//! provider's: [`Shared::names`]) and `patient_phone`; a patient the input does not carry is
//! fetched.

use super::fields::{self, Ident, Participant};
use super::index::{Origin, Res};
use super::job::{fetch_item, Appt, Shared};
use super::table::{self, Role};
use crate::error::Result;
use crate::event::{AppointmentEvent, EntityId, FetchItem, Field, Provenance};
use crate::inbound::common::{Cx, PhoneCand};
use crate::pointer::Ptr;
use crate::profile::{FirstNameUse, IdSource};
use chrono::NaiveDateTime;
use serde_json::Value;

impl<'v> Shared<'_, 'v> {
    /// The patient: `patient_id`, names and mobile phone from the Patient resource, or the id and
    /// display of a reference the input does not resolve (then fetched). Returns whether a
    /// Patient was read and whether a phone the flow can text was found.
    pub(super) fn patient(
        &self,
        cx: &mut Cx<'_>,
        e: &mut AppointmentEvent,
        appt: &Appt<'_, 'v>,
        needs: &mut Vec<FetchItem>,
    ) -> Result<(bool, crate::inbound::common::PhonePick)> {
        let pats: Vec<&Participant<'_>> = appt
            .parts
            .iter()
            .filter(|p| p.role == Some(Role::Patient))
            .collect();
        if pats.len() > 1 {
            cx.warn(
                "MAP_MULTIPLE_PATIENTS",
                "the appointment has several patient participants; the first is used",
                Field::PatientId,
            );
        }
        let pat = pats.first().copied();
        let Some(pr) = pat.and_then(|p| p.resolved).and_then(|i| self.ix.get(i)) else {
            if let Some(p) = pat {
                self.patient_from_reference(cx, e, p, needs);
            }
            cx.prov(
                Field::PatientPhone,
                Provenance::none("the Patient is not in the input"),
            );
            return Ok((false, crate::inbound::common::PhonePick::NoneUsable));
        };
        let pp = Ptr::root(&pr.ptr);
        if let Some(id) = pr.id.filter(|_| !matches!(pr.origin, Origin::Contained(_))) {
            cx.r.ids.patient_ref = Some(format!("Patient/{id}"));
        }
        self.patient_id(cx, e, pr, pat.and_then(|p| p.actor.id()))?;
        self.names(cx, e, pr.v, &pp, appt.at, true, None)?;
        let tels = fields::phones(pr.v, &pp, appt.at)?;
        let cands: Vec<PhoneCand<'_>> = fields::patient_phone_order(&tels)
            .into_iter()
            .map(|(t, mark)| PhoneCand {
                text: t.value,
                mark,
                src: t.ptr.clone(),
                mobile_rule: table::PATIENT_PHONE.rule,
            })
            .collect();
        let phone_ok = cx.pick_patient_phone(e, &cands);
        Ok((true, phone_ok))
    }

    /// `patient_id` of a Patient in the input: its logical id (an identifier when it is
    /// contained), or the identifier the profile chooses; the chosen identifier is kept in `ids`.
    fn patient_id(
        &self,
        cx: &mut Cx<'_>,
        e: &mut AppointmentEvent,
        pr: &Res<'v>,
        reference_id: Option<&str>,
    ) -> Result<()> {
        let fhir = &self.profile.fhir;
        let ids = fields::identifiers(pr.v, &Ptr::root(&pr.ptr))?;
        let types: Vec<&str> = match &fhir.patient_id_types {
            Some(t) => t.iter().map(String::as_str).collect(),
            None => vec!["MR"],
        };
        let chosen = fields::choose_identifier(&ids, &types, fhir.patient_id_system.as_deref());
        cx.r.ids.patient_identifier = chosen.map(|i| EntityId {
            id: i.value.clone(),
            namespace: i.system.map(str::to_owned),
        });
        cx.r.ids.patient_id_type = chosen.and_then(|i| i.types.first().map(|t| (*t).to_owned()));
        match fhir.patient_id {
            IdSource::Id if matches!(pr.origin, Origin::Contained(_)) => {
                contained_patient_id(cx, e, chosen.or(ids.first()));
            }
            IdSource::Id => match pr.id.or(reference_id) {
                Some(id) => cx.set(
                    e,
                    Field::PatientId,
                    id,
                    format!("{}/id", pr.ptr),
                    table::PATIENT_ID_LOGICAL.rule,
                ),
                None => cx.prov(Field::PatientId, Provenance::none("the Patient has no id")),
            },
            IdSource::Identifier => match chosen {
                Some(i) => cx.set(
                    e,
                    Field::PatientId,
                    i.value.clone(),
                    i.ptr.clone(),
                    table::PATIENT_ID_IDENTIFIER.rule,
                ),
                None => {
                    cx.warn(
                        "FHIR_IDENTIFIER_NOT_FOUND",
                        "no Patient identifier matches fhir.patientIdTypes / patientIdSystem",
                        Field::PatientId,
                    );
                    cx.prov(
                        Field::PatientId,
                        Provenance::none("no matching patient identifier"),
                    );
                }
            },
        }
        Ok(())
    }

    /// A patient reference the input does not resolve: the id and the display name it carries;
    /// the Patient is fetched.
    fn patient_from_reference(
        &self,
        cx: &mut Cx<'_>,
        e: &mut AppointmentEvent,
        p: &Participant<'v>,
        needs: &mut Vec<FetchItem>,
    ) {
        if self.profile.fhir.patient_id == IdSource::Id {
            if let Some(id) = p.actor.id() {
                cx.set(
                    e,
                    Field::PatientId,
                    id,
                    format!("{}/reference", p.actor_ptr),
                    table::PATIENT_ID_LOGICAL.rule,
                );
                cx.r.ids.patient_ref = p.actor.relative();
            }
        }
        if let Some(d) = p.actor.display {
            let (fam, giv) = fields::split_name_text(d);
            let src = format!("{}/display", p.actor_ptr);
            if let Some(f) = fam {
                cx.set(
                    e,
                    Field::PatientLastName,
                    f,
                    src.clone(),
                    table::NAME_DISPLAY.rule,
                );
            }
            if let Some(g) = giv {
                cx.set(e, Field::PatientFirstName, g, src, table::NAME_DISPLAY.rule);
            }
        }
        needs.extend(fetch_item(
            &p.actor,
            true,
            "the patient: name and mobile phone",
        ));
    }

    /// Names of a Patient (`patient`) or Practitioner.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn names(
        &self,
        cx: &mut Cx<'_>,
        e: &mut AppointmentEvent,
        res: &Value,
        base: &Ptr<'_>,
        at: Option<NaiveDateTime>,
        patient: bool,
        display: Option<(&str, String)>,
    ) -> Result<()> {
        let (ff, lf, src) = if patient {
            (
                Field::PatientFirstName,
                Field::PatientLastName,
                table::PATIENT_NAME,
            )
        } else {
            (
                Field::ProviderFirstName,
                Field::ProviderLastName,
                table::PROVIDER_NAME,
            )
        };
        let pick = fields::pick_name(res, base, at)?;
        if pick.only_expired {
            cx.warn(
                "FHIR_NAME_EXPIRED",
                "every name is old or has an ended period; the best of them was used",
                lf,
            );
        }
        type NamePart = Option<(String, String, &'static str)>;
        let (mut family, mut given): (NamePart, NamePart) = (
            pick.family.map(|(f, p)| (f.to_owned(), p, src.rule)),
            pick.given.map(|(g, p)| (g.to_owned(), p, src.rule)),
        );
        if let Some((f, g, p)) = pick.text_split {
            cx.warn_at(
                "FHIR_NAME_FROM_TEXT",
                "the name has no family/given parts: it was split from its text",
                lf,
                p.clone(),
            );
            family = f.map(|f| (f, p.clone(), table::NAME_TEXT.rule));
            given = g.map(|g| (g, p, table::NAME_TEXT.rule));
        }
        if family.is_none() && given.is_none() {
            if let Some((d, p)) = display {
                let (f, g) = fields::split_name_text(d);
                cx.warn_at(
                    "FHIR_NAME_FROM_DISPLAY",
                    "the resource has no name: it was parsed from the reference display",
                    lf,
                    p.clone(),
                );
                family = f.map(|f| (f, p.clone(), table::NAME_DISPLAY.rule));
                given = g.map(|g| (g, p, table::NAME_DISPLAY.rule));
            }
        }
        if patient && self.profile.fhir.first_name == FirstNameUse::Usual {
            if let Some((g, p)) = pick.usual_given {
                given = Some((g.to_owned(), p, table::PATIENT_FIRST_USUAL.rule));
            }
        }
        let none = if patient {
            "no patient name"
        } else {
            "no provider name"
        };
        match family {
            Some((v, p, rule)) => cx.set(e, lf, v, p, rule),
            None if patient => cx.prov(lf, Provenance::none(none)),
            None => cx.default_or_none(e, lf, none),
        }
        match given {
            Some((v, p, rule)) => cx.set(e, ff, v, p, rule),
            None if patient => cx.prov(ff, Provenance::none(none)),
            None => cx.default_or_none(e, ff, none),
        }
        Ok(())
    }
}

/// `patient_id` of a contained Patient: its id is local to the Appointment, so an identifier is
/// used (the chosen one, else the first); none leaves it empty.
fn contained_patient_id(cx: &mut Cx<'_>, e: &mut AppointmentEvent, ident: Option<&Ident<'_>>) {
    match ident {
        Some(i) => {
            cx.warn_at("FHIR_CONTAINED_ID", "the Patient is contained: its id is local to the Appointment, so an identifier was used", Field::PatientId, i.ptr.clone());
            cx.set(
                e,
                Field::PatientId,
                i.value.clone(),
                i.ptr.clone(),
                table::PATIENT_ID_CONTAINED.rule,
            );
        }
        None => {
            cx.warn("FHIR_CONTAINED_ID", "the Patient is contained and has no identifier: patient_id is empty (a contained id is not a server id)", Field::PatientId);
            cx.prov(
                Field::PatientId,
                Provenance::none("contained patient without identifier"),
            );
        }
    }
}
