//! The Appointment's own values: ids (`appointment_id` and the ids kept beside), the event time,
//! the zone and start (`appointment_datetime`, `appointment_timezone`), and
//! `appointment_location`. Each step records provenance and warnings on the context.

use super::fields::{self, Ident};
use super::index::Res;
use super::job::{fetch_item, Appt, Found, Shared};
use super::plan::Job;
use super::table::{self, Role};
use crate::error::Result;
use crate::event::{AppointmentEvent, EntityId, FetchItem, Field, Provenance, Source};
use crate::inbound::common::{parse_iso, Cx, Iso, ZoneChoice};
use crate::inbound::json::{obj_at, str_at};
use crate::pointer::Ptr;
use crate::profile::IdSource;
use chrono::NaiveDateTime;
use serde_json::Value;

impl<'a, 'v> Shared<'a, 'v> {
    /// The Appointment's reference, version and identifiers (filler, placer, other) in `ids`; the
    /// identifiers, for `appointment_id`.
    pub(super) fn record_ids(
        &self,
        cx: &mut Cx<'_>,
        a: &Res<'v>,
        ap: &Ptr<'_>,
    ) -> Result<Vec<Ident<'v>>> {
        if let Some(id) = a.id {
            cx.r.ids.appointment_ref = Some(format!("Appointment/{id}"));
        }
        cx.r.ids.appointment_version = a.version.map(str::to_owned);
        let appt_ids = fields::identifiers(a.v, ap)?;
        for i in &appt_ids {
            let ent = EntityId {
                id: i.value.clone(),
                namespace: i.system.map(str::to_owned),
            };
            if i.types.iter().any(|t| t.eq_ignore_ascii_case("FILL")) {
                cx.r.ids.filler_appointment_id.get_or_insert(ent);
            } else if i.types.iter().any(|t| t.eq_ignore_ascii_case("PLAC")) {
                cx.r.ids.placer_appointment_id.get_or_insert(ent);
            } else {
                cx.r.ids.appointment_identifier.get_or_insert(ent);
            }
        }
        Ok(appt_ids)
    }

    /// `event_datetime_utc`: the notification's timestamp, else `meta.lastUpdated`, else the
    /// Bundle's timestamp, else the host's clock.
    pub(super) fn event_time(
        &self,
        cx: &mut Cx<'_>,
        e: &mut AppointmentEvent,
        job: &Job<'v>,
        a: &Res<'v>,
        ap: &Ptr<'_>,
    ) -> Result<()> {
        let last_updated = match obj_at(a.v, "meta", ap)? {
            Some(m) => str_at(m, "lastUpdated", &ap.key("meta"))?
                .map(|t| (t, ap.key("meta").key("lastUpdated").render())),
            None => None,
        };
        if let Some((t, p)) = &job.event_time {
            cx.event_time(e, t, p.clone(), table::EVENT_TIME_NOTIFICATION.rule);
        } else if let Some((t, p)) = &last_updated {
            cx.event_time(e, t, p.clone(), table::EVENT_TIME_LAST_UPDATED.rule);
        } else if let Some((t, p)) = &self.bundle_ts {
            cx.event_time(e, t, p.clone(), table::EVENT_TIME_BUNDLE.rule);
        } else if !self.opts.now_ms.is_some_and(|n| cx.event_time_now(e, n)) {
            cx.no_event_time();
        }
        Ok(())
    }

    /// The date that expires names and phones: the host's clock, else the event, else the start.
    pub(super) fn as_of(&self, e: &AppointmentEvent, start: Option<Iso>) -> Option<NaiveDateTime> {
        self.opts
            .now_ms
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|t| t.naive_utc())
            .or_else(|| parse_iso(&e.event_datetime_utc).map(|t| t.local))
            .or_else(|| start.map(|s| s.utc().unwrap_or(s.local)))
    }

    /// `appointment_id`: the logical id, or the identifier the profile chooses.
    pub(super) fn appointment_id(
        &self,
        cx: &mut Cx<'_>,
        e: &mut AppointmentEvent,
        appt: &Appt<'_, 'v>,
        appt_ids: &[Ident<'v>],
    ) {
        let fhir = &self.profile.fhir;
        match fhir.appointment_id {
            IdSource::Id => match appt.res.id {
                Some(id) => cx.set(
                    e,
                    Field::AppointmentId,
                    id,
                    appt.ptr().key("id").render(),
                    table::APPOINTMENT_ID_LOGICAL.rule,
                ),
                None => cx.prov(
                    Field::AppointmentId,
                    Provenance::none("the Appointment has no id"),
                ),
            },
            IdSource::Identifier => {
                let types: Vec<&str> = match &fhir.appointment_id_types {
                    Some(t) => t.iter().map(String::as_str).collect(),
                    None => vec!["FILL", "PLAC"],
                };
                match fields::choose_identifier(
                    appt_ids,
                    &types,
                    fhir.appointment_id_system.as_deref(),
                ) {
                    Some(i) => cx.set(
                        e,
                        Field::AppointmentId,
                        i.value.clone(),
                        i.ptr.clone(),
                        table::APPOINTMENT_ID_IDENTIFIER.rule,
                    ),
                    None => {
                        cx.warn("FHIR_IDENTIFIER_NOT_FOUND", "no Appointment identifier matches fhir.appointmentIdTypes / appointmentIdSystem", Field::AppointmentId);
                        cx.prov(
                            Field::AppointmentId,
                            Provenance::none("no matching appointment identifier"),
                        );
                    }
                }
            }
        }
    }

    /// The location participant's resource, when the input carries it.
    pub(super) fn location_resource(&self, appt: &Appt<'_, 'v>) -> Found<'a, 'v> {
        let ix = self.ix;
        appt.parts
            .iter()
            .find(|p| p.role == Some(Role::Location))
            .and_then(|p| p.resolved)
            .and_then(|i| ix.get(i).map(|r| (i, r)))
    }

    /// The zone that applies: the Location's time-zone extension, else `fhir.timeZone`, else
    /// `sender.timeZone`.
    pub(super) fn zone(
        &self,
        cx: &mut Cx<'_>,
        loc_res: Found<'a, 'v>,
    ) -> Result<Option<ZoneChoice>> {
        if let Some((_, lr)) = loc_res {
            let lp = Ptr::root(&lr.ptr);
            if let Some((z, zp)) = fields::location_zone(lr.v, &lp)? {
                match crate::time::parse_zone(z) {
                    Some(tz) => {
                        return Ok(Some(ZoneChoice {
                            tz,
                            src: Source::from(zp),
                            start_rule: table::START_ZONED.rule,
                        }))
                    }
                    None => cx.warn_at("FHIR_BAD_TIMEZONE", "the Location's time-zone extension is not an IANA zone name; the profile's zone is used", Field::AppointmentTimezone, zp),
                }
            }
        }
        let from_profile = [
            (
                self.profile.fhir.time_zone.as_deref(),
                "profile.fhir.timeZone",
            ),
            (
                self.profile.sender.time_zone.as_deref(),
                "profile.sender.timeZone",
            ),
        ];
        for (z, name) in from_profile {
            if let Some(tz) = z.and_then(crate::time::parse_zone) {
                return Ok(Some(ZoneChoice {
                    tz,
                    src: Source::Profile(name),
                    start_rule: table::START_ZONED.rule,
                }));
            }
        }
        Ok(None)
    }

    /// `appointment_datetime` and `appointment_timezone` from `start` in the zone.
    pub(super) fn start(
        &self,
        cx: &mut Cx<'_>,
        e: &mut AppointmentEvent,
        appt: &Appt<'_, 'v>,
        zone: Option<ZoneChoice>,
    ) {
        let ap = appt.ptr();
        match (appt.start_raw, appt.start) {
            (Some(_), Some(iso)) => cx.localize_start(
                e,
                iso,
                ap.key("start").render(),
                zone,
                self.profile.fhir.trust_offset(),
            ),
            (Some(_), None) => {
                cx.warn_at(
                    "MAP_BAD_DATETIME",
                    "Appointment.start is not an ISO 8601 instant",
                    Field::AppointmentDatetime,
                    ap.key("start").render(),
                );
                cx.prov(
                    Field::AppointmentDatetime,
                    Provenance::none("unparseable start"),
                );
            }
            (None, _) => cx.prov(
                Field::AppointmentDatetime,
                Provenance::none("the Appointment has no start"),
            ),
        }
    }

    /// `appointment_location`: the Location's name, else the participant's display, else the
    /// HealthcareService's name; a Location not in the input is fetched (required when its zone
    /// is needed).
    pub(super) fn location(
        &self,
        cx: &mut Cx<'_>,
        e: &mut AppointmentEvent,
        appt: &Appt<'_, 'v>,
        loc_res: Found<'a, 'v>,
        zone_needed: bool,
        needs: &mut Vec<FetchItem>,
    ) -> Result<()> {
        let loc_part = appt.parts.iter().find(|p| p.role == Some(Role::Location));
        let name_done = match loc_res {
            Some((_, lr)) => match str_at(lr.v, "name", &Ptr::root(&lr.ptr))? {
                Some(n) => {
                    cx.set(
                        e,
                        Field::AppointmentLocation,
                        n,
                        format!("{}/name", lr.ptr),
                        table::LOCATION_NAME.rule,
                    );
                    true
                }
                None => false,
            },
            None => false,
        };
        if !name_done {
            self.location_from_display(cx, e, appt);
        }
        if let Some(lp) = loc_part {
            if lp.resolved.is_none() && lp.actor.fetchable() {
                let required = zone_needed;
                if !required {
                    cx.warn_at("FHIR_REFERENCE_UNRESOLVED", "the Location is not in the input: its display text (or the profile default) is used", Field::AppointmentLocation, lp.actor_ptr.clone());
                }
                needs.extend(fetch_item(
                    &lp.actor,
                    required,
                    if required {
                        "the Location: its time zone (none in the profile and the start is in UTC) and its name"
                    } else {
                        "the Location: its name, time zone and phone"
                    },
                ));
            }
        }
        Ok(())
    }

    /// `appointment_location` without a Location name: the participant's display, else the
    /// HealthcareService's name (or display), else the profile default.
    fn location_from_display(
        &self,
        cx: &mut Cx<'_>,
        e: &mut AppointmentEvent,
        appt: &Appt<'_, 'v>,
    ) {
        let ix = self.ix;
        let loc_part = appt.parts.iter().find(|p| p.role == Some(Role::Location));
        let display = loc_part.and_then(|p| p.actor.display.map(|d| (d, p.actor_ptr.clone())));
        let service = appt
            .parts
            .iter()
            .find(|p| p.role == Some(Role::Service))
            .and_then(|p| {
                p.resolved
                    .and_then(|i| ix.get(i))
                    .and_then(|r| {
                        r.v.get("name")
                            .and_then(Value::as_str)
                            .map(|n| (n, format!("{}/name", r.ptr)))
                    })
                    .or_else(|| {
                        p.actor
                            .display
                            .map(|d| (d, format!("{}/display", p.actor_ptr)))
                    })
            });
        if let Some((d, p)) = display {
            cx.set(
                e,
                Field::AppointmentLocation,
                d,
                format!("{p}/display"),
                table::LOCATION_DISPLAY.rule,
            );
        } else if let Some((n, p)) = service {
            cx.set(
                e,
                Field::AppointmentLocation,
                n,
                p,
                table::LOCATION_SERVICE.rule,
            );
        } else {
            cx.default_or_none(e, Field::AppointmentLocation, "no location participant");
        }
    }
}
