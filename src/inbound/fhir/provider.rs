//! The provider: the participant, its PractitionerRole and Practitioner, `provider_id`, the
//! names, and `provider_callback_phone` (role, location, practitioner, organization, in the
//! profile's order); a provider the input does not carry is fetched (not required).

use super::fields::{self, Participant, Tel};
use super::index::{read_reference, Origin};
use super::job::{fetch_item, Appt, Found, Shared};
use super::table::{self, Role};
use crate::error::Result;
use crate::event::{AppointmentEvent, FetchItem, Field};
use crate::inbound::common::Cx;
use crate::inbound::json::obj_at;
use crate::pointer::Ptr;
use crate::profile::CallbackSource;
use chrono::NaiveDateTime;

impl<'a, 'v> Shared<'a, 'v> {
    /// The provider: the participant (a performer type first), its PractitionerRole and
    /// Practitioner, `provider_id` and the names; a provider not in the input is fetched (not
    /// required). Returns the role and practitioner found, for the callback phone.
    #[allow(clippy::type_complexity)]
    pub(super) fn provider(
        &self,
        cx: &mut Cx<'_>,
        e: &mut AppointmentEvent,
        appt: &Appt<'_, 'v>,
        needs: &mut Vec<FetchItem>,
    ) -> Result<(Found<'a, 'v>, Found<'a, 'v>)> {
        let provs: Vec<&Participant<'_>> = appt
            .parts
            .iter()
            .filter(|p| p.role == Some(Role::Provider))
            .collect();
        let prov = provs
            .iter()
            .find(|p| {
                p.types
                    .iter()
                    .any(|t| matches!(*t, "PPRF" | "ATND" | "SPRF"))
            })
            .or(provs.first())
            .copied();
        let (role_res, prac_res) = match prov {
            Some(p) => self.provider_resources(cx, p)?,
            None => (None, None),
        };
        self.provider_id(cx, e, prov, role_res, prac_res)?;
        self.provider_names(cx, e, prov, prac_res, appt.at)?;
        if let Some(p) = prov {
            if p.resolved.is_none() && p.actor.fetchable() {
                needs.extend(fetch_item(
                    &p.actor,
                    false,
                    "the provider: name and callback phone",
                ));
            }
        }
        Ok((role_res, prac_res))
    }

    /// The provider participant's PractitionerRole (and its Practitioner) or Practitioner, as far
    /// as the input carries them; an unresolved Practitioner's reference is kept in `ids`.
    #[allow(clippy::type_complexity)]
    fn provider_resources(
        &self,
        cx: &mut Cx<'_>,
        p: &Participant<'v>,
    ) -> Result<(Found<'a, 'v>, Found<'a, 'v>)> {
        let ix = self.ix;
        let (mut role_res, mut prac_res) = (None, None);
        match p.resolved.and_then(|i| ix.get(i).map(|r| (i, r))) {
            Some((ri, r)) if r.rtype == "PractitionerRole" => {
                role_res = Some((ri, r));
                let rp = Ptr::root(&r.ptr);
                if let Some(pref) = obj_at(r.v, "practitioner", &rp)? {
                    let rf = read_reference(pref, &rp.key("practitioner"))?;
                    prac_res = ix
                        .resolve(&rf, Some(ri))
                        .and_then(|i| ix.get(i).map(|x| (i, x)));
                    if prac_res.is_none() {
                        if let Some(id) = rf.id() {
                            cx.r.ids.provider_ref = Some(format!("Practitioner/{id}"));
                        }
                    }
                }
            }
            Some((ri, r)) => prac_res = Some((ri, r)),
            None => {}
        }
        Ok((role_res, prac_res))
    }

    /// `provider_id`, first that applies: the Practitioner identifier of
    /// `fhir.providerIdSystem`; a contained Practitioner's NPI (or first identifier); the
    /// Practitioner's logical id; the PractitionerRole's id; the reference's id; the default.
    fn provider_id(
        &self,
        cx: &mut Cx<'_>,
        e: &mut AppointmentEvent,
        prov: Option<&Participant<'v>>,
        role_res: Found<'a, 'v>,
        prac_res: Found<'a, 'v>,
    ) -> Result<()> {
        let fhir = &self.profile.fhir;
        if let (Some(sys), Some((_, pr))) = (fhir.provider_id_system.as_deref(), prac_res) {
            let ids = fields::identifiers(pr.v, &Ptr::root(&pr.ptr))?;
            if let Some(i) = ids.iter().find(|i| i.system == Some(sys)) {
                cx.set(
                    e,
                    Field::ProviderId,
                    i.value.clone(),
                    i.ptr.clone(),
                    table::PROVIDER_ID_IDENTIFIER.rule,
                );
                record_practitioner_ref(cx, prac_res);
                return Ok(());
            }
        }
        if let Some((_, pr)) = prac_res.filter(|(_, r)| matches!(r.origin, Origin::Contained(_))) {
            let ids = fields::identifiers(pr.v, &Ptr::root(&pr.ptr))?;
            let npi = ids
                .iter()
                .find(|i| i.system == Some("http://hl7.org/fhir/sid/us-npi"));
            if let Some(i) = npi.or(ids.first()) {
                cx.warn_at("FHIR_CONTAINED_ID", "the Practitioner is contained: its id is local to the Appointment, so an identifier was used", Field::ProviderId, i.ptr.clone());
                cx.set(
                    e,
                    Field::ProviderId,
                    i.value.clone(),
                    i.ptr.clone(),
                    table::PROVIDER_ID_CONTAINED.rule,
                );
                return Ok(());
            }
        }
        if let Some((_, pr)) = prac_res.filter(|(_, r)| !matches!(r.origin, Origin::Contained(_))) {
            if let Some(id) = pr.id {
                cx.r.ids.provider_ref = Some(format!("Practitioner/{id}"));
                cx.set(
                    e,
                    Field::ProviderId,
                    id,
                    format!("{}/id", pr.ptr),
                    table::PROVIDER_ID_LOGICAL.rule,
                );
                return Ok(());
            }
        }
        if let Some(p) = prov {
            let role_id = role_res.and_then(|(_, r)| r.id.map(|id| (id, format!("{}/id", r.ptr))));
            if let Some((id, src)) = role_id {
                cx.r.ids
                    .provider_ref
                    .get_or_insert_with(|| format!("PractitionerRole/{id}"));
                cx.set(e, Field::ProviderId, id, src, table::PROVIDER_ID_ROLE.rule);
                return Ok(());
            }
            if let Some(id) = p.actor.id() {
                cx.r.ids.provider_ref = p.actor.relative();
                let rule = if p.actor.rtype() == Some("PractitionerRole") {
                    table::PROVIDER_ID_ROLE.rule
                } else {
                    table::PROVIDER_ID_LOGICAL.rule
                };
                cx.set(
                    e,
                    Field::ProviderId,
                    id,
                    format!("{}/reference", p.actor_ptr),
                    rule,
                );
                return Ok(());
            }
        }
        cx.default_or_none(e, Field::ProviderId, "no provider participant");
        Ok(())
    }

    /// The provider's names: the Practitioner's, else parsed from the reference display, else
    /// the profile defaults.
    fn provider_names(
        &self,
        cx: &mut Cx<'_>,
        e: &mut AppointmentEvent,
        prov: Option<&Participant<'v>>,
        prac_res: Found<'a, 'v>,
        at: Option<NaiveDateTime>,
    ) -> Result<()> {
        let display = prov.and_then(|p| {
            p.actor
                .display
                .map(|d| (d, format!("{}/display", p.actor_ptr)))
        });
        if let Some((_, pr)) = prac_res {
            return self.names(cx, e, pr.v, &Ptr::root(&pr.ptr), at, false, display);
        }
        let Some((d, src)) = display else {
            cx.default_or_none(e, Field::ProviderLastName, "no provider name");
            cx.default_or_none(e, Field::ProviderFirstName, "no provider name");
            return Ok(());
        };
        let (fam, giv) = fields::split_name_text(d);
        cx.warn_at("FHIR_NAME_FROM_DISPLAY", "the provider's Practitioner is not in the input: the name was parsed from the reference display", Field::ProviderLastName, src.clone());
        match fam {
            Some(f) => cx.set(
                e,
                Field::ProviderLastName,
                f,
                src.clone(),
                table::NAME_DISPLAY.rule,
            ),
            None => cx.default_or_none(e, Field::ProviderLastName, "no provider name"),
        }
        match giv {
            Some(g) => cx.set(
                e,
                Field::ProviderFirstName,
                g,
                src,
                table::NAME_DISPLAY.rule,
            ),
            None => cx.default_or_none(e, Field::ProviderFirstName, "no provider name"),
        }
        Ok(())
    }

    /// `provider_callback_phone`: the first usable number of the sources in
    /// `fhir.callbackFrom` order (PractitionerRole, Location, Practitioner, Organization — the
    /// role's organization or the location's managing organization), else the default.
    pub(super) fn callback(
        &self,
        cx: &mut Cx<'_>,
        e: &mut AppointmentEvent,
        appt: &Appt<'_, 'v>,
        [role_res, loc_res, prac_res]: [Found<'a, 'v>; 3],
    ) -> Result<()> {
        let ix = self.ix;
        let org = role_res
            .and_then(|(ri, r)| {
                r.v.get("organization")
                    .map(|o| (ri, o, format!("{}/organization", r.ptr)))
            })
            .or_else(|| {
                loc_res.and_then(|(li, l)| {
                    l.v.get("managingOrganization")
                        .map(|o| (li, o, format!("{}/managingOrganization", l.ptr)))
                })
            })
            .and_then(|(from, o, p)| {
                let rf = read_reference(o, &Ptr::root(&p)).ok()?;
                ix.resolve(&rf, Some(from)).and_then(|i| ix.get(i))
            });
        for src in self.profile.fhir.callback_from() {
            let (res, s) = match src {
                CallbackSource::PractitionerRole => {
                    (role_res.map(|(_, r)| r), table::CALLBACK_ROLE)
                }
                CallbackSource::Location => (loc_res.map(|(_, r)| r), table::CALLBACK_LOCATION),
                CallbackSource::Practitioner => {
                    (prac_res.map(|(_, r)| r), table::CALLBACK_PRACTITIONER)
                }
                CallbackSource::Organization => (org, table::CALLBACK_ORGANIZATION),
            };
            let Some(r) = res else { continue };
            let tels: Vec<Tel<'_>> = fields::phones(r.v, &Ptr::root(&r.ptr), appt.at)?;
            for t in fields::callback_order(&tels) {
                if let Some(num) = cx.callback_number(t.value, &t.ptr) {
                    cx.set(e, Field::ProviderCallbackPhone, num, t.ptr.clone(), s.rule);
                    return Ok(());
                }
            }
        }
        cx.default_or_none(
            e,
            Field::ProviderCallbackPhone,
            "no phone on the provider, location or organization",
        );
        Ok(())
    }
}

/// The Practitioner's reference in `ids`, when it is a server resource with an id.
fn record_practitioner_ref(cx: &mut Cx<'_>, prac_res: Found<'_, '_>) {
    if let Some((_, pr)) = prac_res.filter(|(_, r)| !matches!(r.origin, Origin::Contained(_))) {
        if let Some(id) = pr.id {
            cx.r.ids.provider_ref = Some(format!("Practitioner/{id}"));
        }
    }
}
