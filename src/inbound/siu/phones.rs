//! Phone selection, as one unit: `patient_phone` (PID-40 / PID-13 / PID-14 XTNs ranked by marker
//! and profile policy) and `provider_callback_phone`.

use super::apply_default;
use super::view::{path_of, pos, query, val, El, Idx};
use super::Ctx;
use crate::error::Position;
use crate::event::{AppointmentEvent, Field, Provenance, Source};
use crate::hl7::{Level, Message, Path};
use crate::inbound::common::PhonePick;
use crate::inbound::common::Tier;
use crate::inbound::siu_map::{self, How};
use crate::phone::{self, Note, PhoneNumber, PhoneReader};
use crate::profile::CallbackFormat;
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Marker {
    Mobile,
    Home,
    Work,
    Excluded,
    Unknown,
}

pub(super) fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

pub(super) fn classify_text(t: &str) -> Marker {
    let has = |k: &str| contains_ci(t, k);
    let mut buf = [0u8; 8];
    let key: &str = if t.len() <= buf.len() {
        for (d, s) in buf.iter_mut().zip(t.bytes()) {
            *d = s.to_ascii_uppercase();
        }
        std::str::from_utf8(buf.get(..t.len()).unwrap_or(&[])).unwrap_or("")
    } else {
        ""
    };
    match key {
        "CP" => return Marker::Mobile,
        "FX" | "BP" | "NET" | "BPN" | "X.400" | "INTERNET" | "TDD" | "TTY" | "EMR" | "ASN" => {
            return Marker::Excluded
        }
        "WPN" => return Marker::Work,
        "PRN" | "ORN" | "VHN" | "PRS" | "PH" | "MD" | "SAT" => return Marker::Home,
        _ => {}
    }
    if has("MOB") || has("CELL") || has("GSM") || has("PORTABLE") || has("SMS") {
        Marker::Mobile
    } else if has("MAIL") || has("FAX") || has("PAGER") || has("BEEP") || has("INTERNET") {
        Marker::Excluded
    } else if has("WORK") || has("BUS") || has("OFFICE") || has("TRAVAIL") {
        Marker::Work
    } else if has("HOME") || has("DOM") || has("TEL") || has("RES") {
        Marker::Home
    } else {
        Marker::Unknown
    }
}

pub(super) fn combine(a: Marker, b: Marker) -> Marker {
    use Marker::*;
    match (a, b) {
        (Mobile, _) | (_, Mobile) => Mobile,
        (Excluded, _) | (_, Excluded) => Excluded,
        (Work, _) | (_, Work) => Work,
        (Home, _) | (_, Home) => Home,
        _ => Unknown,
    }
}

pub(super) struct Xtn<'m> {
    pub(super) marker: Marker,
    pub(super) text: Option<Cow<'m, str>>,
    pub(super) cc: Option<Cow<'m, str>>,
    pub(super) area: Option<Cow<'m, str>>,
    pub(super) local: Option<Cow<'m, str>>,
    pub(super) ext: Option<Cow<'m, str>>,
    pub(super) unformatted: Option<Cow<'m, str>>,
    pub(super) email_only: bool,
}

pub(super) fn read_xtn<'m>(r: El<'m>) -> Xtn<'m> {
    let parts = r.parts::<12>();
    let c = |n: usize| val(parts.get(n.wrapping_sub(1)).copied().flatten());
    let text = c(1);
    let m_use = c(2).map_or(Marker::Unknown, |u| classify_text(&u));
    let m_eq = c(3).map_or(Marker::Unknown, |u| classify_text(&u));
    let local = c(7);
    let unformatted = c(12);
    let email = c(4);
    let email_only = text.is_none()
        && local.is_none()
        && unformatted.is_none()
        && email.as_deref().is_some_and(|x| x.contains('@'));
    let mut marker = combine(m_use, m_eq);
    if text.as_deref().is_some_and(|t| t.contains('@')) {
        marker = Marker::Excluded;
    }
    Xtn {
        marker,
        text,
        cc: c(5),
        area: c(6),
        local,
        ext: c(8),
        unformatted,
        email_only,
    }
}

pub(super) type Normalized = std::result::Result<(PhoneNumber, phone::Notes), phone::PhoneError>;

/// Normalize an XTN in version order. Returns the first success (or the first error) and whether
/// two representations of the number (XTN-1 text vs components) disagree.
pub(super) fn xtn_number(
    x: &Xtn<'_>,
    structured_first: bool,
    reader: &mut PhoneReader,
) -> Option<(Normalized, bool)> {
    let structured = x
        .local
        .as_ref()
        .map(|l| reader.from_parts(x.cc.as_deref(), x.area.as_deref(), l, x.ext.as_deref()));
    let unformatted = x.unformatted.as_ref().map(|u| reader.normalize(u));
    let text = x.text.as_ref().map(|t| reader.normalize(t));
    let order = if structured_first {
        [structured, unformatted, text]
    } else {
        [text, structured, unformatted]
    };
    let mut first_err = None;
    let mut ok: Option<(PhoneNumber, phone::Notes)> = None;
    let mut disagree = false;
    for r in order.into_iter().flatten() {
        match r {
            Ok(n) => match &ok {
                None => ok = Some(n),
                Some(o) => disagree |= o.0.e164 != n.0.e164,
            },
            Err(e) => {
                if first_err.is_none() {
                    first_err = Some(e);
                }
            }
        }
    }
    match (ok, first_err) {
        (Some(n), _) => Some((Ok(n), disagree)),
        (None, Some(e)) => Some((Err(e), false)),
        (None, None) => None,
    }
}

pub(super) struct PhoneCand {
    pub(super) tier: Tier,
    pub(super) number: PhoneNumber,
    pub(super) notes: phone::Notes,
    pub(super) disagree: bool,
    pub(super) path: Source,
    pub(super) marked: bool,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn consider(
    cx: &mut Ctx<'_>,
    cands: &mut Vec<PhoneCand>,
    r: El<'_>,
    path: Source,
    at: (&str, usize, Option<usize>),
    work_source: bool,
    structured_first: bool,
    invalid: &mut bool,
) {
    let f = Field::PatientPhone;
    if r.is_null() || r.is_empty() {
        return;
    }
    let x = read_xtn(r);
    if x.email_only || x.marker == Marker::Excluded {
        return;
    }
    let Some((res, disagree)) = xtn_number(&x, structured_first, &mut cx.phones) else {
        return;
    };
    match res {
        Err(err) => {
            *invalid |= err.is_invalid_number();
            cx.warn_at(err.code(), err.message(), f, || pos(at.0, at.1, at.2))
        }
        Ok((number, notes)) => {
            let marked = x.marker == Marker::Mobile;
            let tier = Tier::of(marked, x.marker == Marker::Work || work_source, number.kind);
            cands.push(PhoneCand {
                tier,
                number,
                notes,
                disagree,
                path,
                marked,
            });
        }
    }
}

pub(super) fn map_phone(
    cx: &mut Ctx<'_>,
    msg: &Message<'_>,
    idx: &Idx<'_>,
    e: &mut AppointmentEvent,
) -> PhonePick {
    let f = Field::PatientPhone;
    let structured_first = cx.band >= 1;
    let mut cands: Vec<PhoneCand> = Vec::with_capacity(8);
    let mut invalid = false;
    match cx.profile.field_override(f) {
        Some(list) => {
            for p in list.paths() {
                let Ok(pp) = Path::parse(p) else { continue };
                let Some(el) = query(msg, &pp) else { continue };
                match el.level() {
                    Level::Field => {
                        let n = el.children().count();
                        for (i, r) in el.children().enumerate() {
                            let path = if n > 1 {
                                format!("{p}[{}]", i + 1)
                            } else {
                                p.clone()
                            };
                            consider(
                                cx,
                                &mut cands,
                                r,
                                path.into(),
                                (pp.segment_name(), pp.field, Some(i + 1)),
                                false,
                                structured_first,
                                &mut invalid,
                            );
                        }
                    }
                    Level::Repetition => consider(
                        cx,
                        &mut cands,
                        el,
                        p.clone().into(),
                        (pp.segment_name(), pp.field, pp.repetition),
                        false,
                        structured_first,
                        &mut invalid,
                    ),
                    _ => {
                        if let Some(v) = val(Some(el)) {
                            match cx.phones.normalize(&v) {
                                Ok((number, notes)) => {
                                    let tier = Tier::of(false, false, number.kind);
                                    cands.push(PhoneCand {
                                        tier,
                                        number,
                                        notes,
                                        disagree: false,
                                        path: p.clone().into(),
                                        marked: false,
                                    });
                                }
                                Err(err) => {
                                    invalid |= err.is_invalid_number();
                                    cx.warn(err.code(), err.message(), f)
                                }
                            }
                        }
                    }
                }
            }
        }
        None => {
            if let Some(pid) = idx.pid.as_ref() {
                for c in siu_map::candidates(f, cx.band) {
                    let Some(field) = pid.field(c.field) else {
                        continue;
                    };
                    let n = field.children().count();
                    for (i, r) in field.children().enumerate() {
                        let path = path_of("PID", 1, 1, c.field, (n > 1).then_some(i + 1), None);
                        consider(
                            cx,
                            &mut cands,
                            r,
                            path.into(),
                            ("PID", c.field, Some(i + 1)),
                            c.field == 14,
                            structured_first,
                            &mut invalid,
                        );
                    }
                }
            }
        }
    }
    let chosen = Tier::choose(cands.iter().map(|c| c.tier), &cx.profile.phones);
    let Some(ci) = chosen else {
        for c in &cands {
            if let Some((code, m)) = c.tier.not_used_warning() {
                cx.warn_with(code, f, || format!("{}: {m}", c.path));
            }
        }
        cx.prov(f, Provenance::none("no usable mobile number"));
        return PhonePick::none(invalid, !cands.is_empty());
    };
    let Some(c) = cands.get(ci) else {
        return PhonePick::NoneUsable;
    };
    let rule = c.tier.rule(
        c.marked,
        "first number marked mobile (XTN-3 CP or a mobile use text)",
    );
    let path = c.path.clone();
    let number = c.number.e164.clone();
    let notes = c.notes;
    let tier = c.tier;
    if c.disagree {
        cx.warn_with("MAP_PHONE_COMPONENTS_DISAGREE", f, || format!("{path}: the number in XTN-1 and the one in the components differ; the version's preferred form was used"));
    }
    if let Some((code, m)) = tier.used_warning() {
        cx.warn_with(code, f, || format!("{path} {m}"));
    }
    for n in notes.iter() {
        if n == Note::DefaultCountryUsed {
            if !cx.country_configured {
                cx.warn(
                    "PHONE_DEFAULT_COUNTRY_ASSUMED",
                    "the number has no country code and the profile has no sender.defaultCountry: read as US",
                    f,
                );
            }
            continue;
        }
        cx.warn(n.code(), n.message(), f);
    }
    e.patient_phone = number;
    cx.prov(f, Provenance::path(path, rule));
    PhonePick::Chosen
}

pub(super) fn map_callback(
    cx: &mut Ctx<'_>,
    msg: &Message<'_>,
    idx: &Idx<'_>,
    e: &mut AppointmentEvent,
) {
    let f = Field::ProviderCallbackPhone;
    let country: &str = cx.country;
    let home_cc = phone::country(country).map_or("1", |c| c.calling_code);
    let fmt = cx.profile.phones.callback_format;
    let render = |n: &PhoneNumber| match fmt {
        CallbackFormat::National => n.display(home_cc),
        CallbackFormat::E164 => n.e164.clone(),
    };
    let mut elements: Vec<(El<'_>, Source, &str, usize)> = Vec::with_capacity(4);
    let over = cx.profile.field_override(f);
    match over {
        Some(list) => {
            for p in list.paths() {
                let Ok(pp) = Path::parse(p) else { continue };
                if let Some(el) = query(msg, &pp) {
                    let el = if el.level() == Level::Field {
                        el.child(1).unwrap_or(el)
                    } else {
                        el
                    };
                    elements.push((el, p.clone().into(), "", 0));
                }
            }
        }
        None => {
            if let Some(sch) = idx.sch.as_ref() {
                for c in siu_map::candidates(f, cx.band) {
                    if c.how != How::XtnCallback {
                        continue;
                    }
                    if let Some(field) = sch.field(c.field) {
                        let n = field.children().count();
                        for (i, r) in field.children().enumerate() {
                            elements.push((
                                r,
                                path_of("SCH", 1, 1, c.field, (n > 1).then_some(i + 1), None)
                                    .into(),
                                "SCH",
                                c.field,
                            ));
                        }
                    }
                }
            }
        }
    }
    for (el, path, seg, field) in elements {
        if el.is_null() || el.is_empty() {
            continue;
        }
        let res = if el.level() == Level::Repetition {
            let x = read_xtn(el);
            if x.email_only || x.marker == Marker::Excluded {
                continue;
            }
            xtn_number(&x, cx.band >= 1, &mut cx.phones).map(|(r, _)| r)
        } else {
            val(Some(el)).map(|v| cx.phones.normalize(&v))
        };
        match res {
            Some(Ok((n, _))) => {
                e.provider_callback_phone = render(&n);
                cx.prov(
                    f,
                    Provenance::path(
                        path,
                        "first valid contact number (SCH-17 filler, then SCH-13 placer)",
                    ),
                );
                return;
            }
            Some(Err(err)) => {
                cx.warn_at(err.code(), err.message(), f, || {
                    if seg.is_empty() {
                        Position::default()
                    } else {
                        pos(seg, field, None)
                    }
                });
            }
            None => {}
        }
    }
    apply_default(cx, f, e, "no contact phone in the message");
}
