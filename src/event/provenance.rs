//! Where each value came from: [`PathRef`], [`Source`], [`Provenance`] and the per-key
//! [`ProvenanceMap`].

use super::Field;
use serde::{Serialize, Serializer};
use std::borrow::Cow;

/// A path into an HL7 message, stored compactly (rendered only when shown): `SEG[occ]-F[rep].C.S`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathRef {
    /// Segment name.
    pub seg: [u8; 3],
    /// 1-based segment occurrence, shown when non-zero.
    pub occ: u16,
    /// Field.
    pub field: u16,
    /// Repetition, shown when non-zero.
    pub rep: u16,
    /// Component, shown when non-zero.
    pub comp: u16,
    /// Subcomponent, shown when non-zero (and a component is).
    pub sub: u16,
}

impl PathRef {
    /// `SEG-field`.
    pub fn new(seg: &str, field: usize) -> PathRef {
        let mut s = [b'?'; 3];
        for (d, b) in s.iter_mut().zip(seg.bytes()) {
            *d = b;
        }
        PathRef {
            seg: s,
            occ: 0,
            field: u16::try_from(field).unwrap_or(u16::MAX),
            rep: 0,
            comp: 0,
            sub: 0,
        }
    }
    /// With a segment occurrence (shown when `total > 1`).
    pub fn occ(mut self, occ: usize, total: usize) -> PathRef {
        if total > 1 {
            self.occ = u16::try_from(occ).unwrap_or(u16::MAX);
        }
        self
    }
    /// With a repetition.
    pub fn rep(mut self, rep: Option<usize>) -> PathRef {
        self.rep = rep.map_or(0, |r| u16::try_from(r).unwrap_or(u16::MAX));
        self
    }
    /// With a component.
    pub fn comp(mut self, c: Option<usize>) -> PathRef {
        self.comp = c.map_or(0, |c| u16::try_from(c).unwrap_or(u16::MAX));
        self
    }
    /// With a subcomponent.
    pub fn subcomp(mut self, s: usize) -> PathRef {
        self.sub = u16::try_from(s).unwrap_or(u16::MAX);
        self
    }
}

impl std::fmt::Display for PathRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write;
        for &b in &self.seg {
            f.write_char(char::from(b))?;
        }
        if self.occ > 0 {
            write!(f, "[{}]", self.occ)?;
        }
        write!(f, "-{}", self.field)?;
        if self.rep > 0 {
            write!(f, "[{}]", self.rep)?;
        }
        if self.comp > 0 {
            write!(f, ".{}", self.comp)?;
            if self.sub > 0 {
                write!(f, ".{}", self.sub)?;
            }
        }
        Ok(())
    }
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An element of the input, as written by a profile or a rule (`PID-13[2]`, `MSH-9.2`).
    Path(Cow<'static, str>),
    /// An element of the input (`AIL[2]-3.9`), stored compactly.
    At(PathRef),
    /// A profile setting (`profile.defaults.appointmentLocation`, `profile.sender.timeZone`).
    Profile(&'static str),
    /// A built-in default (e.g. UTC when nothing else is known).
    Default,
    /// No source: the value is empty.
    None,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Path(p) => f.write_str(p),
            Source::At(p) => p.fmt(f),
            Source::Profile(p) => f.write_str(p),
            Source::Default => f.write_str("default"),
            Source::None => f.write_str("none"),
        }
    }
}

impl From<&'static str> for Source {
    fn from(s: &'static str) -> Self {
        Source::Path(Cow::Borrowed(s))
    }
}
impl From<String> for Source {
    fn from(s: String) -> Self {
        Source::Path(Cow::Owned(s))
    }
}
impl From<Cow<'static, str>> for Source {
    fn from(s: Cow<'static, str>) -> Self {
        Source::Path(s)
    }
}
impl From<PathRef> for Source {
    fn from(p: PathRef) -> Self {
        Source::At(p)
    }
}

impl Serialize for Source {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The provenance of one output value: its source and the rule that picked it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// Where the value came from.
    pub source: Source,
    /// Which rule picked it (human text, stable per rule; never contains input values).
    pub rule: &'static str,
}

impl Provenance {
    /// A value read from the input at `path`.
    pub fn path(path: impl Into<Source>, rule: &'static str) -> Self {
        Provenance {
            source: path.into(),
            rule,
        }
    }
    /// A value taken from the profile.
    pub fn profile(setting: &'static str, rule: &'static str) -> Self {
        Provenance {
            source: Source::Profile(setting),
            rule,
        }
    }
    /// A built-in default.
    pub fn default_value(rule: &'static str) -> Self {
        Provenance {
            source: Source::Default,
            rule,
        }
    }
    /// No source.
    pub fn none(rule: &'static str) -> Self {
        Provenance {
            source: Source::None,
            rule,
        }
    }
}

/// Provenance of every key, serialized as an object keyed by Table B name in Table B order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProvenanceMap([Option<Provenance>; 14]);

impl ProvenanceMap {
    /// Record the provenance of a key (replaces an earlier one).
    pub fn set(&mut self, f: Field, p: Provenance) {
        if let Some(slot) = self.0.get_mut(f.index()) {
            *slot = Some(p);
        }
    }
    /// The provenance of a key.
    pub fn get(&self, f: Field) -> Option<&Provenance> {
        self.0.get(f.index()).and_then(Option::as_ref)
    }
}

impl Serialize for ProvenanceMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.iter().filter(|p| p.is_some()).count()))?;
        for f in Field::ALL {
            if let Some(p) = self.get(f) {
                m.serialize_entry(f.name(), p)?;
            }
        }
        m.end()
    }
}
