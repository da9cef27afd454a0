//! Telephone numbers → E.164, validated and classified by real numbering plans.
//!
//! [`normalize`] takes free text as EHRs write it (`(617)555-0142`, `555.555.9999`,
//! `(555)555-1234X22`, `07777 111111`, `+44 20 7946 0000`, `0033 1 23 45 67 89`, `011 44 …` from
//! the US) and [`from_parts`] takes the structured XTN components (country ^ area ^ local). Both
//! return a [`PhoneNumber`] plus [`Note`]s for every assumption, or a [`PhoneError`].
//!
//! Validity and type come from **libphonenumber's metadata** (release
//! [`metadata_version`], Apache-2.0), compiled at build time into `src/phone/plan_data.rs` by
//! `examples/gen_phonedata.rs` (≈ 250 regions, every territory and the non-geographic `+800`-style
//! entities), and matched by the small pattern engine in `src/phone/matcher.rs`
//! (`tests/phone_plans.rs` proves both against the `regex` and `phonenumber` crates). The parsing
//! follows libphonenumber's: the `+` or the default country's international prefix (`011` in the
//! US, `0011` in Australia; `00` is also tried when it yields a valid number), the calling code,
//! the national (trunk) prefix per the country's rule (`0` in GB/FR/DE/AU/IN, `1` in NANP, none in
//! IT/ES/MX …, transform rules such as Argentina's `15`), then:
//! * **valid** — the national significant number has a possible length for its region and lies in
//!   one of the plan's ranges; its [`NumberType`] (mobile, fixed line, fixed line or mobile, toll
//!   free, premium rate, shared cost, VoIP, personal number, pager, UAN, voicemail) is reported;
//! * **invalid** — [`PhoneError::TooShort`], [`PhoneError::TooLong`],
//!   [`PhoneError::InvalidLength`] (between the shortest and the longest but not a length the plan
//!   uses) or [`PhoneError::InvalidRange`] (a possible length, but in no range of the plan, e.g.
//!   the NANP area code `555`). An invalid number is an error, never a guess.
//!
//! Countries whose plan does not tell mobiles from fixed lines (NANP: `+1`) give
//! [`NumberType::FixedLineOrMobile`], i.e. [`LineKind::Unknown`].
//!
//! ## Where things are
//!
//! * `phone/number.rs` — [`PhoneNumber`], [`NumberType`], [`LineKind`];
//! * `phone/note.rs` — [`Note`], [`Notes`]; `phone/error.rs` — [`PhoneError`];
//! * `phone/parse.rs` — [`normalize`], [`from_parts`], [`validate_e164`] and the reading steps;
//! * `phone/reader.rs` — [`PhoneReader`] (one default country, each number classified once);
//! * `phone/plan.rs`, `phone/matcher.rs`, `phone/plan_data.rs` (generated) — the numbering plans.

mod error;
mod matcher;
mod note;
mod number;
mod parse;
mod plan;
#[rustfmt::skip]
mod plan_data;
mod reader;

pub use error::PhoneError;
pub use note::{Note, Notes};
pub use number::{LineKind, NumberType, PhoneNumber};
pub use parse::{from_parts, normalize, validate_e164};
pub use plan::Region;
pub use reader::PhoneReader;

/// The libphonenumber release of the numbering-plan metadata (e.g. `"9.0.33"`).
pub fn metadata_version() -> &'static str {
    plan_data::METADATA_VERSION
}

/// A territory's numbering plan by ISO alpha-2 (case-insensitive), e.g. to check
/// `sender.defaultCountry` or to read its `calling_code`.
pub fn country(iso: &str) -> Option<&'static Region> {
    plan::by_iso(iso)
}

/// Every territory's ISO alpha-2 code known to the metadata.
pub fn countries() -> impl Iterator<Item = &'static str> {
    plan_data::REGIONS
        .iter()
        .filter(|r| !r.non_geographic())
        .map(|r| r.iso)
}

/// Sizes of the generated tables: regions, distinct patterns, pattern byte code.
pub fn plan_table_size() -> (usize, usize, usize) {
    plan::table_size()
}

#[cfg(test)]
mod tests;
