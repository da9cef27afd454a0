//! The patient's phone and the callback number: one policy for every input format ([`Tier`]:
//! classify, filter, choose, warn), the candidates of a JSON input ([`PhoneCand`], [`Mark`]), and
//! the outcome of the choice ([`PhonePick`]).

use super::Cx;
use crate::event::{skip_codes, AppointmentEvent, Field, Provenance};
use crate::phone::{self, LineKind, Note, PhoneNumber};
use crate::profile::{CallbackFormat, Phones};

impl Cx<'_> {
    fn phone_notes(&mut self, notes: phone::Notes, f: Field, ptr: &str) {
        for n in notes.iter() {
            if n == Note::DefaultCountryUsed {
                if !self.country_configured {
                    self.warn_at(
                        "PHONE_DEFAULT_COUNTRY_ASSUMED",
                        "the number has no country code and the profile has no sender.defaultCountry: read as US",
                        f,
                        ptr.to_owned(),
                    );
                }
                continue;
            }
            self.warn_at(n.code(), n.message(), f, ptr.to_owned());
        }
    }

    /// Choose `patient_phone` among candidates in source order (see [`PhoneCand`]). An invalid
    /// number is never chosen: it is reported at its source and the next valid allowed candidate
    /// is used; the result says why none was (the caller skips with [`PhonePick::skip`]).
    pub fn pick_patient_phone(
        &mut self,
        e: &mut AppointmentEvent,
        cands: &[PhoneCand<'_>],
    ) -> PhonePick {
        let f = Field::PatientPhone;
        let country = self.country;
        let mut ok: Vec<(Tier, PhoneNumber, phone::Notes, usize)> = Vec::with_capacity(cands.len());
        let mut invalid = false;
        for (i, c) in cands.iter().enumerate() {
            match phone::normalize(c.text, Some(country)) {
                Ok((n, notes)) => {
                    let tier = Tier::of(c.mark == Mark::Mobile, c.mark == Mark::Work, n.kind);
                    ok.push((tier, n, notes, i));
                }
                Err(err) => {
                    invalid |= err.is_invalid_number();
                    self.warn_at(err.code(), err.message(), f, c.src.clone());
                }
            }
        }
        let ph = &self.profile.phones;
        let chosen = Tier::choose(ok.iter().map(|c| c.0), ph);
        let Some((tier, number, notes, ci)) = chosen.and_then(|i| ok.get(i)).cloned() else {
            for (tier, _, _, ci) in &ok {
                if let Some((code, m)) = tier.not_used_warning() {
                    let src = cands.get(*ci).map(|c| c.src.clone()).unwrap_or_default();
                    self.warn_at(code, m, f, src);
                }
            }
            self.prov(f, Provenance::none("no usable mobile number"));
            return PhonePick::none(invalid, !ok.is_empty());
        };
        let Some(c) = cands.get(ci) else {
            return PhonePick::NoneUsable;
        };
        let rule = tier.rule(c.mark == Mark::Mobile, c.mobile_rule);
        if let Some((code, m)) = tier.used_warning() {
            self.warn_at(code, format!("the number used {m}"), f, c.src.clone());
        }
        self.phone_notes(notes, f, &c.src);
        e.patient_phone = number.e164;
        self.prov(f, Provenance::path(c.src.clone(), rule));
        PhonePick::Chosen
    }

    /// Normalize a callback number and render it per `phones.callbackFormat`. Invalid numbers
    /// (by their numbering plan) are reported (at `ptr`) and rejected rather than guessed: the
    /// caller tries its next source, then the profile default, else leaves the value empty. Any
    /// valid type is accepted (a clinic's toll-free number is a fine callback number).
    pub fn callback_number(&mut self, raw: &str, ptr: &str) -> Option<String> {
        let f = Field::ProviderCallbackPhone;
        match phone::normalize(raw, Some(self.country)) {
            Ok((n, notes)) => {
                let home_cc = phone::country(self.country).map_or("1", |c| c.calling_code);
                for note in notes.iter() {
                    if note == Note::ExtensionDropped {
                        self.warn_at(note.code(), note.message(), f, ptr.to_owned());
                    }
                }
                Some(match self.profile.phones.callback_format {
                    CallbackFormat::National => n.display(home_cc),
                    CallbackFormat::E164 => n.e164,
                })
            }
            Err(err) => {
                self.warn_at(err.code(), err.message(), f, ptr.to_owned());
                None
            }
        }
    }
}

/// How a phone candidate is marked by the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    /// Marked mobile (`use: mobile`, `system: sms`, Redox `Mobile`).
    Mobile,
    /// Marked home.
    Home,
    /// Marked work / office (used only with `phones.allowWork`).
    Work,
    /// No marking.
    Unknown,
}

/// How fit a patient phone candidate is for SMS, best first. One policy for every input format:
/// the SIU mapper and the JSON mappers classify, filter, choose and warn through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Tier {
    /// In a mobile range, or marked mobile where the plan does not tell (NANP).
    Mobile,
    /// Home or unmarked, and the plan does not tell (NANP fixed-line-or-mobile, VoIP, personal).
    Unknown,
    /// Marked work (or read from a work-only source such as PID-14), not in a fixed-line range.
    Work,
    /// In a fixed-line range, whatever the marking.
    Landline,
    /// In a range that cannot receive an SMS (toll free, premium rate, shared cost, UAN, pager,
    /// voicemail): never used.
    NotSms,
}

impl Tier {
    /// The numbering plan decides where it is conclusive (mobile, fixed line, no SMS); the source's
    /// marking (mobile / work) decides where it is not (NANP numbers, VoIP, personal numbers). A
    /// work number in a mobile range stays a work number.
    pub fn of(marked_mobile: bool, marked_work: bool, kind: LineKind) -> Tier {
        match kind {
            LineKind::NotSms => Tier::NotSms,
            LineKind::Landline => Tier::Landline,
            LineKind::Mobile if marked_work => Tier::Work,
            LineKind::Mobile => Tier::Mobile,
            LineKind::Unknown if marked_mobile => Tier::Mobile,
            LineKind::Unknown if marked_work => Tier::Work,
            LineKind::Unknown => Tier::Unknown,
        }
    }

    /// Whether the profile's `phones` section lets a number of this tier be texted.
    pub fn allowed(self, ph: &Phones) -> bool {
        match self {
            Tier::Mobile => true,
            Tier::Unknown => !ph.require_mobile,
            Tier::Work => ph.allow_work,
            Tier::Landline => ph.allow_landline,
            Tier::NotSms => false,
        }
    }

    /// The first candidate of the best allowed tier (source order breaks ties).
    pub fn choose(tiers: impl Iterator<Item = Tier>, ph: &Phones) -> Option<usize> {
        tiers
            .enumerate()
            .filter(|&(_, t)| t.allowed(ph))
            .min_by_key(|&(_, t)| t)
            .map(|(i, _)| i)
    }

    /// The warning for a number of this tier that the profile did not allow (none for mobiles).
    pub fn not_used_warning(self) -> Option<(&'static str, &'static str)> {
        match self {
            Tier::Work => Some((
                "MAP_PHONE_WORK_SKIPPED",
                "a work number was not used (phones.allowWork is off)",
            )),
            Tier::Landline => Some((
                "MAP_PHONE_LANDLINE_SKIPPED",
                "a number in a landline range was not used (phones.allowLandline is off)",
            )),
            Tier::Unknown => Some((
                "MAP_PHONE_UNMARKED_SKIPPED",
                "a number not marked mobile was not used (phones.requireMobile is on)",
            )),
            Tier::NotSms => Some((
                "MAP_PHONE_NOT_SMS_CAPABLE",
                "a toll-free, premium-rate, shared-cost, UAN, pager or voicemail number was not used (it cannot receive an SMS)",
            )),
            Tier::Mobile => None,
        }
    }

    /// The warning when the chosen number is of this tier: a code and a predicate the caller puts
    /// after its subject ("PID-13 …", "the number used …"). None for mobiles.
    pub fn used_warning(self) -> Option<(&'static str, &'static str)> {
        match self {
            Tier::Unknown => Some((
                "MAP_PHONE_NOT_MARKED_MOBILE",
                "is not marked as a mobile number; it may not receive SMS (set phones.requireMobile to skip such numbers)",
            )),
            Tier::Work => Some(("MAP_PHONE_WORK_USED", "is a work number")),
            Tier::Landline => Some((
                "MAP_PHONE_LANDLINE_USED",
                "is in a landline range and may not receive SMS",
            )),
            Tier::Mobile | Tier::NotSms => None,
        }
    }

    /// The provenance rule of a chosen number of this tier; `marked_rule` names the source's
    /// mobile marking.
    pub fn rule(self, marked: bool, marked_rule: &'static str) -> &'static str {
        match (self, marked) {
            (Tier::Mobile, true) => marked_rule,
            (Tier::Mobile, false) => "first number in a mobile range",
            (Tier::Unknown, _) => "no number marked mobile: first home/unmarked number",
            (Tier::Work, _) => "no mobile or home number: work number (phones.allowWork)",
            (Tier::Landline, _) => "no mobile number: landline (phones.allowLandline)",
            (Tier::NotSms, _) => "never chosen",
        }
    }
}

/// The outcome of choosing the patient's phone: one of the mappers' skip reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PhonePick {
    /// A valid, allowed number was chosen.
    Chosen,
    /// No number, or valid numbers the profile does not allow → `SKIP_NO_MOBILE_PHONE`.
    NoneUsable,
    /// Numbers were given but none is valid by its numbering plan → `SKIP_INVALID_PHONE`.
    AllInvalid,
}

impl PhonePick {
    /// No candidate was chosen: `invalid` — some candidate failed validation; `valid` — some
    /// candidate was valid (but not allowed).
    pub fn none(invalid: bool, valid: bool) -> PhonePick {
        if invalid && !valid {
            PhonePick::AllInvalid
        } else {
            PhonePick::NoneUsable
        }
    }

    /// The skip (code, reason, rule) this outcome calls for.
    pub fn skip(self) -> Option<(&'static str, String, Option<String>)> {
        let (code, reason) = match self {
            PhonePick::Chosen => return None,
            PhonePick::NoneUsable => (
                skip_codes::NO_MOBILE_PHONE,
                "no usable mobile number for the patient (see the phone warnings): the flow cannot text nobody",
            ),
            PhonePick::AllInvalid => (
                skip_codes::INVALID_PHONE,
                "the patient's numbers are all invalid by their numbering plans (see the phone warnings): none can be texted",
            ),
        };
        Some((code, reason.into(), Some("patient_phone".into())))
    }
}

/// A patient phone candidate, in source order.
pub(crate) struct PhoneCand<'a> {
    pub text: &'a str,
    pub mark: Mark,
    pub src: String,
    /// The provenance rule when this candidate is chosen as a marked mobile.
    pub mobile_rule: &'static str,
}
