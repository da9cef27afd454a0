//! [`PhoneReader`]: the numbers of one input, read with one default country, each classified
//! once (a small memo of classifications).

use super::parse::{normalize_text, parts};
use super::plan::{self, Region};
use super::{Notes, NumberType, PhoneError, PhoneNumber};

/// [`normalize`] and [`from_parts`] for the numbers of one input: the default country is looked
/// up once, and each number is classified once however often it appears (the XTN text and its
/// components, the patient's work number and the callback number): classification — matching
/// the national number against its plan's patterns — is most of the cost of a number. The results
/// are those of [`normalize`] and [`from_parts`].
///
/// ```
/// use ehr_studio_bridge::phone::{normalize, PhoneReader};
/// let mut r = PhoneReader::new(Some("US"));
/// let a = r.normalize("(617)555-0142").unwrap();
/// let b = r.from_parts(Some("1"), Some("617"), "5550142", None).unwrap();
/// assert_eq!(a.0.e164, b.0.e164);
/// assert_eq!(a, normalize("(617)555-0142", Some("US")).unwrap());
/// ```
pub struct PhoneReader {
    /// The default country's region: `None` when none is given, `Some(None)` when it is unknown.
    pub(super) home: Option<Option<&'static Region>>,
    pub(super) memo: Memo,
}

impl PhoneReader {
    /// A reader with `default_country` (ISO alpha-2, or `None`).
    pub fn new(default_country: Option<&str>) -> Self {
        PhoneReader {
            home: default_country.map(plan::by_iso),
            memo: Memo::default(),
        }
    }

    /// [`normalize`] with this reader's default country.
    pub fn normalize(&mut self, raw: &str) -> Result<(PhoneNumber, Notes), PhoneError> {
        normalize_text(raw, self)
    }

    /// [`from_parts`] with this reader's default country.
    pub fn from_parts(
        &mut self,
        country_code: Option<&str>,
        area: Option<&str>,
        local: &str,
        extension: Option<&str>,
    ) -> Result<(PhoneNumber, Notes), PhoneError> {
        parts(country_code, area, local, extension, self)
    }
}

/// Classifications already made: (calling code, national number) → region and type.
#[derive(Default)]
pub(super) struct Memo {
    /// Key: the calling code's length, then its digits and the national number's (at most 15).
    keys: [[u8; 16]; MEMO_SIZE],
    vals: [Option<(&'static Region, NumberType)>; MEMO_SIZE],
    len: usize,
}

const MEMO_SIZE: usize = 4;

impl Memo {
    fn key(cc: &str, nsn: &str) -> Option<[u8; 16]> {
        let mut k = [0u8; 16];
        let (first, rest) = k.split_first_mut()?;
        *first = u8::try_from(cc.len()).ok()?;
        let digits = cc.bytes().chain(nsn.bytes());
        if cc.len() + nsn.len() > rest.len() {
            return None;
        }
        for (d, b) in rest.iter_mut().zip(digits) {
            *d = b;
        }
        Some(k)
    }

    /// [`plan::classify`], remembered.
    pub(super) fn classify(
        &mut self,
        cc: &str,
        nsn: &str,
    ) -> Option<(&'static Region, NumberType)> {
        let Some(key) = Self::key(cc, nsn) else {
            return plan::classify(cc, nsn);
        };
        let n = self.len.min(MEMO_SIZE);
        if let Some(i) = self.keys.iter().take(n).position(|k| *k == key) {
            return self.vals.get(i).copied().flatten();
        }
        let v = plan::classify(cc, nsn);
        // The first numbers are kept (an input has a handful).
        if let (Some(k), Some(slot)) = (self.keys.get_mut(n), self.vals.get_mut(n)) {
            *k = key;
            *slot = v;
            self.len = n + 1;
        }
        v
    }
}
