//! The SIU → Table B mapping **as data**: for each key, its ordered source candidates per HL7
//! version band. [`super::siu`] walks these lists; [`render_markdown`] renders them to
//! `docs/siu-mapping.md` (a test keeps the document in sync).
//!
//! A profile can replace any key's list with its own paths (`hl7.fields`).

use crate::event::Field;

/// How a candidate's element is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// MSH-9.2 trigger → event type (SCH-25 as consistency check).
    Trigger,
    /// The filler status (consistency check of the trigger; S14 → CONFIRMED).
    Status,
    /// A TS/DTM start time.
    Ts,
    /// CX repetitions: the one whose CX-5 type is in the profile's list (default MR, MRN), else the
    /// first non-null; CX-1 is the value.
    Cx,
    /// A plain id (first component).
    Id,
    /// XPN repetitions: the legal (XPN-7 = L), alphabetic (XPN-8 ≠ I/P) one; `.1.1` family, `.2` given.
    Xpn,
    /// XCN: `.1` id, `.2.1` family, `.3` given (all occurrences; first non-empty).
    Xcn,
    /// CE/CWE free text naming a person (`Stevens, Stanley`; a username such as `kmurphy2` is ignored).
    PersonText,
    /// XTN repetitions (patient mobile: see the phone rules).
    Xtn,
    /// XTN repetitions (a callback number).
    XtnCallback,
    /// PL: the first descriptive of `.1`, `.9`, `.4.1`, else the first non-empty.
    Pl,
    /// EI: `.1` id, `.2` namespace.
    Ei,
    /// Not a path: computed from other values (see the note).
    Computed,
}

/// One source candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Segment name (empty for [`How::Computed`]).
    pub seg: &'static str,
    /// Field number.
    pub field: usize,
    /// Component (0 = whole field / repetitions).
    pub comp: usize,
    /// How to read it.
    pub how: How,
    /// Short note for the documentation (what is selected).
    pub note: &'static str,
}

const fn p(
    seg: &'static str,
    field: usize,
    comp: usize,
    how: How,
    note: &'static str,
) -> Candidate {
    Candidate {
        seg,
        field,
        comp,
        how,
        note,
    }
}

const fn computed(note: &'static str) -> Candidate {
    Candidate {
        seg: "",
        field: 0,
        comp: 0,
        how: How::Computed,
        note,
    }
}

impl Candidate {
    /// The path as text (`TQ1-7`, `SCH-11.4`), or the note for computed candidates.
    pub fn path(&self) -> String {
        if self.how == How::Computed {
            return self.note.to_owned();
        }
        if self.comp == 0 {
            format!("{}-{}", self.seg, self.field)
        } else {
            format!("{}-{}.{}", self.seg, self.field, self.comp)
        }
    }
}

/// A version band: `(major, minor)` bounds, inclusive.
#[derive(Debug, Clone, Copy)]
pub struct Band {
    /// Label for the documentation.
    pub label: &'static str,
    /// Lowest version.
    pub from: (u8, u8),
    /// Highest version.
    pub to: (u8, u8),
}

/// The version bands. Messages with an unreadable MSH-12 use the v2.5–2.6 band.
pub const BANDS: [Band; 3] = [
    Band {
        label: "v2.2–2.4",
        from: (2, 0),
        to: (2, 4),
    },
    Band {
        label: "v2.5–2.6",
        from: (2, 5),
        to: (2, 6),
    },
    Band {
        label: "v2.7–2.8",
        from: (2, 7),
        to: (2, 99),
    },
];

/// The band index for a version.
pub fn band_of(version: (u8, u8)) -> usize {
    BANDS
        .iter()
        .position(|b| version >= b.from && version <= b.to)
        .unwrap_or(if version > (2, 99) { 2 } else { 1 })
}

/// The mapping of one Table B key.
#[derive(Debug, Clone, Copy)]
pub struct FieldMap {
    /// The key.
    pub field: Field,
    /// Candidates per band (index = [`BANDS`] index).
    pub bands: [&'static [Candidate]; 3],
    /// Rule notes for the documentation.
    pub notes: &'static str,
}

const EVENT: &[Candidate] = &[
    p("MSH", 9, 2, How::Trigger, "trigger: S12 BOOKED, S13 RESCHEDULED, S14 MODIFIED, S15 CANCELED, S26 NOSHOWED, S16/S17 CANCELED (warning) or skip"),
    p("SCH", 25, 0, How::Status, "filler status: consistency check (case-insensitive, coded or plain); S14 + a confirmed status → CONFIRMED"),
];
const EVENT_TIME: &[Candidate] = &[p(
    "MSH",
    7,
    1,
    How::Ts,
    "to UTC: its offset, else profile zone, else UTC (warning)",
)];
const PATIENT_ID_OLD: &[Candidate] = &[
    p(
        "PID",
        3,
        0,
        How::Cx,
        "CX-5 in profile types (MR, MRN), else first non-null",
    ),
    p(
        "PID",
        2,
        1,
        How::Id,
        "external id (old feeds; athena sends PID-2 = PID-3)",
    ),
];
const PATIENT_ID_NEW: &[Candidate] = &[p(
    "PID",
    3,
    0,
    How::Cx,
    "CX-5 in profile types (MR, MRN), else first non-null",
)];
const FIRST: &[Candidate] = &[p("PID", 5, 2, How::Xpn, "legal/alphabetic repetition")];
const LAST: &[Candidate] = &[p(
    "PID",
    5,
    1,
    How::Xpn,
    "legal/alphabetic repetition, first subcomponent",
)];
const PHONE_OLD: &[Candidate] = &[
    p(
        "PID",
        13,
        0,
        How::Xtn,
        "XTN-1 text first, then XTN-5/6/7, XTN-12",
    ),
    p(
        "PID",
        14,
        0,
        How::Xtn,
        "work: only with phones.allowWork (unless marked CP)",
    ),
];
const PHONE_MID: &[Candidate] = &[
    p(
        "PID",
        13,
        0,
        How::Xtn,
        "XTN-5/6/7 first, then XTN-12, XTN-1",
    ),
    p(
        "PID",
        14,
        0,
        How::Xtn,
        "work: only with phones.allowWork (unless marked CP)",
    ),
];
const PHONE_NEW: &[Candidate] = &[
    p("PID", 40, 0, How::Xtn, "XTN-5/6/7, XTN-12"),
    p("PID", 13, 0, How::Xtn, "deprecated in 2.7+, still read"),
    p(
        "PID",
        14,
        0,
        How::Xtn,
        "work: only with phones.allowWork (unless marked CP)",
    ),
];
const PROVIDER_ID: &[Candidate] = &[
    p("AIP", 3, 1, How::Xcn, "first AIP with an id or name"),
    p("SCH", 12, 1, How::Xcn, "placer contact person"),
    p("PV1", 7, 1, How::Xcn, "attending doctor"),
];
const PROVIDER_FIRST: &[Candidate] = &[
    p("AIP", 3, 3, How::Xcn, "same XCN as provider_id"),
    p("SCH", 12, 3, How::Xcn, ""),
    p("PV1", 7, 3, How::Xcn, ""),
    p(
        "AIG",
        3,
        0,
        How::PersonText,
        "free-text name `Last, First` (Renalware)",
    ),
];
const PROVIDER_LAST: &[Candidate] = &[
    p(
        "AIP",
        3,
        2,
        How::Xcn,
        "same XCN as provider_id; a username is not a name",
    ),
    p("SCH", 12, 2, How::Xcn, ""),
    p("PV1", 7, 2, How::Xcn, ""),
    p(
        "AIG",
        3,
        0,
        How::PersonText,
        "free-text name `Last, First` (Renalware)",
    ),
];
const CALLBACK: &[Candidate] = &[
    p("SCH", 17, 0, How::XtnCallback, "filler contact phone"),
    p("SCH", 13, 0, How::XtnCallback, "placer contact phone"),
    computed("profile.defaults.providerCallbackPhone"),
];
const LOCATION: &[Candidate] = &[
    p(
        "AIL",
        3,
        0,
        How::Pl,
        "first AIL; PL-1 if descriptive, else PL-9, PL-4.1",
    ),
    p("PV1", 3, 0, How::Pl, "assigned location"),
    computed("profile.defaults.appointmentLocation"),
];
const APPT_ID: &[Candidate] = &[
    p(
        "SCH",
        2,
        1,
        How::Ei,
        "filler id (profile hl7.appointmentId = filler, default)",
    ),
    p("SCH", 1, 1, How::Ei, "placer id"),
];
const START_OLD: &[Candidate] = &[
    p("SCH", 11, 4, How::Ts, "TQ start"),
    p("TQ1", 7, 1, How::Ts, "if sent"),
    p("AIS", 4, 1, How::Ts, ""),
    p("AIL", 6, 1, How::Ts, ""),
    p("AIP", 6, 1, How::Ts, ""),
    p("AIG", 8, 1, How::Ts, ""),
];
const START_MID: &[Candidate] = &[
    p("TQ1", 7, 1, How::Ts, ""),
    p("AIS", 4, 1, How::Ts, ""),
    p("SCH", 11, 4, How::Ts, "backward compatible"),
    p("AIL", 6, 1, How::Ts, ""),
    p("AIP", 6, 1, How::Ts, ""),
    p("AIG", 8, 1, How::Ts, ""),
];
const START_NEW: &[Candidate] = &[
    p("TQ1", 7, 1, How::Ts, ""),
    p("AIS", 4, 1, How::Ts, ""),
    p("AIL", 6, 1, How::Ts, ""),
    p("AIP", 6, 1, How::Ts, ""),
    p("AIG", 8, 1, How::Ts, ""),
    p("SCH", 11, 4, How::Ts, "withdrawn in 2.7; last resort"),
];
const TZ: &[Candidate] = &[
    computed("profile.sender.timeZone at the appointment instant (DST-aware)"),
    computed("offset written on the chosen start time"),
    computed("MSH-7 offset (warning)"),
    computed("+0000 (warning)"),
];

/// The table. Order = Table B order.
pub const SIU_MAP: [FieldMap; 14] = [
    FieldMap { field: Field::EventType, bands: [EVENT, EVENT, EVENT], notes: "hl7.events overrides per trigger; other triggers/types → SKIP_NOT_SCHEDULING_EVENT" },
    FieldMap { field: Field::EventDatetimeUtc, bands: [EVENT_TIME, EVENT_TIME, EVENT_TIME], notes: "`YYYY-MM-DDTHH:mm:ssZ`; empty (warning) when MSH-7 is missing" },
    FieldMap { field: Field::PatientId, bands: [PATIENT_ID_OLD, PATIENT_ID_OLD, PATIENT_ID_NEW], notes: "hl7.patientIdTypes / patientIdAuthority; missing → SKIP_MISSING_REQUIRED (no PID → SKIP_NO_PATIENT)" },
    FieldMap { field: Field::PatientFirstName, bands: [FIRST, FIRST, FIRST], notes: "first PID when several (warning)" },
    FieldMap { field: Field::PatientLastName, bands: [LAST, LAST, LAST], notes: "" },
    FieldMap { field: Field::PatientPhone, bands: [PHONE_OLD, PHONE_MID, PHONE_NEW], notes: "validated and typed by the numbering plan (docs/phone-numbers.md): invalid numbers never used; a mobile range, or marked mobile (XTN-3 CP, use text MOBILE/CELL) where the plan does not tell, first; then unmarked/home (warning), work/fixed-line only if allowed, toll-free/premium never; e-mail, fax, pager, TDD skipped; E.164 with sender.defaultCountry; none → SKIP_NO_MOBILE_PHONE, all invalid → SKIP_INVALID_PHONE" },
    FieldMap { field: Field::ProviderId, bands: [PROVIDER_ID, PROVIDER_ID, PROVIDER_ID], notes: "several AIP/RGS that disagree → warning, first used" },
    FieldMap { field: Field::ProviderFirstName, bands: [PROVIDER_FIRST, PROVIDER_FIRST, PROVIDER_FIRST], notes: "" },
    FieldMap { field: Field::ProviderLastName, bands: [PROVIDER_LAST, PROVIDER_LAST, PROVIDER_LAST], notes: "profile.defaults.providerLastName when none" },
    FieldMap { field: Field::ProviderCallbackPhone, bands: [CALLBACK, CALLBACK, CALLBACK], notes: "first valid number (invalid ones warned and skipped); `(608) 271-9000` for NANP (phones.callbackFormat), E.164 otherwise" },
    FieldMap { field: Field::AppointmentLocation, bands: [LOCATION, LOCATION, LOCATION], notes: "" },
    FieldMap { field: Field::AppointmentId, bands: [APPT_ID, APPT_ID, APPT_ID], notes: "both ids kept with namespaces in `ids`" },
    FieldMap { field: Field::AppointmentDatetime, bands: [START_OLD, START_MID, START_NEW], notes: "patient-local wall time `YYYY-MM-DDTHH:mm:ss`; sources that disagree → warning; minute precision or better preferred" },
    FieldMap { field: Field::AppointmentTimezone, bands: [TZ, TZ, TZ], notes: "`±HHMM`; a zoned start is converted to the profile zone; DST gap → moved forward, overlap → sender.ambiguousTime" },
];

/// The candidates of a key for a version band.
pub fn candidates(f: Field, band: usize) -> &'static [Candidate] {
    SIU_MAP
        .iter()
        .find(|m| m.field == f)
        .and_then(|m| m.bands.get(band).copied())
        .unwrap_or(&[])
}

/// Render the table as Markdown (the content of `docs/siu-mapping.md`).
pub fn render_markdown() -> String {
    let mut s = String::new();
    s.push_str("# SIU → Studio `Parameters` mapping\n\n");
    s.push_str("Generated from `src/inbound/siu_map.rs` (a test fails when this file is out of date; regenerate with\n`UPDATE_GOLDEN=1 cargo test --test siu_golden`). Candidates are tried left to right; the first usable value wins.\nA profile replaces a key's candidates with `hl7.fields.<key>` (an empty list means \"no source\", so `defaults` apply).\n\n");
    s.push_str("| key |");
    for b in BANDS {
        s.push(' ');
        s.push_str(b.label);
        s.push_str(" |");
    }
    s.push_str(" rules |\n|---|---|---|---|---|\n");
    for m in SIU_MAP {
        s.push_str("| `");
        s.push_str(m.field.name());
        s.push_str("` |");
        for band in m.bands {
            s.push(' ');
            let parts: Vec<String> = band
                .iter()
                .map(|c| {
                    if c.how == How::Computed {
                        c.note.to_owned()
                    } else {
                        format!("`{}`", c.path())
                    }
                })
                .collect();
            s.push_str(&parts.join(" → "));
            s.push_str(" |");
        }
        s.push(' ');
        s.push_str(m.notes);
        s.push_str(" |\n");
    }
    s.push_str("\n## Candidate notes\n\n| key | candidate | note |\n|---|---|---|\n");
    for m in SIU_MAP {
        let mut seen: Vec<String> = Vec::new();
        for band in m.bands {
            for c in band {
                if c.how == How::Computed || c.note.is_empty() {
                    continue;
                }
                let path = c.path();
                let key = format!("{path}{}", c.note);
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key);
                s.push_str(&format!(
                    "| `{}` | `{}` | {} |\n",
                    m.field.name(),
                    path,
                    c.note
                ));
            }
        }
    }
    s
}
