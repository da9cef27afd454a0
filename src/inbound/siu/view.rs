//! Raw views of an SIU message: the segment index ([`Idx`]: MSH, SCH, TQ1, PID, PV1 and the
//! AIS/AIL/AIP/AIG resources, found once), segments split into fields once ([`SegView`]), elements
//! walked by byte scans ([`El`]), and the small value helpers every field rule uses.

use crate::error::Position;
use crate::event::PathRef;
use crate::hl7::{Delimiters, Level, Message, Path};
use std::borrow::Cow;

#[derive(Default)]
pub(super) struct Idx<'m> {
    pub(super) msh: Option<SegView<'m>>,
    pub(super) sch: Option<SegView<'m>>,
    pub(super) tq1: Option<SegView<'m>>,
    pub(super) pid: Option<SegView<'m>>,
    pub(super) pid_count: usize,
    pub(super) pv1: Option<SegView<'m>>,
    /// Every AIS, then every AIL, AIP and AIG (each kind in message order): one allocation.
    pub(super) resources: Vec<SegView<'m>>,
    /// Where each kind ends in `resources` (AIS, AIL, AIP, AIG).
    pub(super) resource_ends: [usize; 4],
}

/// The resource segments, in the order of [`Idx::resources`].
pub(super) const RESOURCE_SEGS: [&[u8; 3]; 4] = [b"AIS", b"AIL", b"AIP", b"AIG"];

impl<'m> Idx<'m> {
    pub(super) fn build(msg: &'m Message<'m>) -> Idx<'m> {
        let mut idx = Idx::default();
        let d = msg.delimiters();
        let mut counts = [0usize; 4];
        // (kind, segment index) of the first resource segments, so that they are not searched for
        // again below (messages with more fall back to a scan per kind).
        let mut seen = [(0u8, 0usize); 16];
        let mut n_seen = 0usize;
        for (i, s) in msg.segments().enumerate() {
            let name = s.name_bytes();
            let view = || Some(SegView::new(s.raw(), d));
            match name {
                b"SCH" if idx.sch.is_none() => idx.sch = view(),
                b"TQ1" if idx.tq1.is_none() => idx.tq1 = view(),
                b"PID" => {
                    idx.pid_count += 1;
                    if idx.pid.is_none() {
                        idx.pid = view();
                    }
                }
                // The PV1 of the first patient group.
                b"PV1" if idx.pv1.is_none() && idx.pid_count <= 1 => idx.pv1 = view(),
                _ => {
                    if let Some(k) = RESOURCE_SEGS.iter().position(|r| name == *r) {
                        if let Some(c) = counts.get_mut(k) {
                            *c += 1;
                        }
                        if let Some(slot) = seen.get_mut(n_seen) {
                            *slot = (k as u8, i);
                        }
                        n_seen += 1;
                    }
                }
            }
        }
        let total: usize = counts.iter().sum();
        idx.resources.reserve_exact(total);
        for (k, name) in RESOURCE_SEGS.iter().enumerate() {
            if n_seen <= seen.len() {
                for &(kind, i) in seen.iter().take(n_seen) {
                    if usize::from(kind) == k {
                        if let Some(s) = msg.segment_at(i) {
                            idx.resources.push(SegView::new(s.raw(), d));
                        }
                    }
                }
            } else if counts.get(k).copied().unwrap_or(0) > 0 {
                for s in msg.segments() {
                    if s.name_bytes() == *name {
                        idx.resources.push(SegView::new(s.raw(), d));
                    }
                }
            }
            if let Some(end) = idx.resource_ends.get_mut(k) {
                *end = idx.resources.len();
            }
        }
        idx
    }

    /// The segments a candidate reads: all occurrences for resource segments, else the first.
    pub(super) fn segs(&self, name: &str) -> &[SegView<'m>] {
        if let Some(k) = RESOURCE_SEGS.iter().position(|r| name.as_bytes() == *r) {
            let start = match k.checked_sub(1) {
                Some(prev) => self.resource_ends.get(prev).copied().unwrap_or(0),
                None => 0,
            };
            let end = self.resource_ends.get(k).copied().unwrap_or(0);
            return self.resources.get(start..end).unwrap_or(&[]);
        }
        match name {
            "MSH" => opt_slice(&self.msh),
            "SCH" => opt_slice(&self.sch),
            "TQ1" => opt_slice(&self.tq1),
            "PID" => opt_slice(&self.pid),
            "PV1" => opt_slice(&self.pv1),
            _ => &[],
        }
    }
}

pub(super) fn opt_slice<T>(o: &Option<T>) -> &[T] {
    match o {
        Some(s) => std::slice::from_ref(s),
        None => &[],
    }
}

// ---- raw views ----------------------------------------------------------------------------
//
// The mapper reads a handful of fields many times; these views split each indexed segment once
// and walk repetitions/components with a plain byte scan (fields are short), which is several
// times cheaper than re-scanning from the segment start on every access.

pub(super) const MAX_FIELDS: usize = 48;

/// Call `f` with the position of every `sep` byte in `b`, in order, until it returns false.
/// Word-at-a-time (SWAR): separators are dense in HL7, where one SIMD search per match costs more
/// than it saves, and a byte loop is slow on long segments.
pub(super) fn for_each_byte(b: &[u8], sep: u8, mut f: impl FnMut(usize) -> bool) {
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let pat = u64::from_ne_bytes([sep; 8]);
    let mut i = 0usize;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(c);
        let w = u64::from_le_bytes(word) ^ pat;
        // High bit set exactly for the zero bytes of w (no false positives).
        let mut zeros = !((((w & LO7).wrapping_add(LO7)) | w) | LO7);
        while zeros != 0 {
            let byte = (zeros.trailing_zeros() / 8) as usize;
            if !f(i + byte) {
                return;
            }
            zeros &= zeros - 1;
        }
        i += 8;
    }
    for (k, &x) in chunks.remainder().iter().enumerate() {
        if x == sep && !f(i + k) {
            return;
        }
    }
}

/// One segment split into fields once (no allocation: field boundaries in a fixed array; fields
/// past [`MAX_FIELDS`] and segments longer than 64 KiB are read by scanning).
pub(super) struct SegView<'m> {
    pub(super) raw: &'m str,
    /// `ends[n]` is the byte offset where field n ends (`ends[0]` ends the segment name).
    pub(super) ends: [u16; MAX_FIELDS + 1],
    pub(super) count: usize,
    /// Offsets do not fit in `u16`: fields are found by scanning.
    pub(super) long: bool,
    pub(super) header: bool,
    /// MSH-1 and MSH-2 as the parser reads them (never split).
    pub(super) msh12: [&'m str; 2],
    pub(super) d: &'m Delimiters,
}

impl<'m> SegView<'m> {
    pub(super) fn new(raw: &'m str, d: &'m Delimiters) -> Self {
        let mut ends = [0u16; MAX_FIELDS + 1];
        let mut count = 0usize;
        let long = raw.len() > usize::from(u16::MAX);
        if !long {
            for_each_byte(raw.as_bytes(), d.field, |i| {
                if let Some(slot) = ends.get_mut(count) {
                    *slot = u16::try_from(i).unwrap_or(u16::MAX);
                }
                count += 1;
                count <= MAX_FIELDS
            });
            if count <= MAX_FIELDS {
                if let Some(slot) = ends.get_mut(count) {
                    *slot = u16::try_from(raw.len()).unwrap_or(u16::MAX);
                }
            }
        }
        SegView {
            raw,
            ends,
            count,
            long,
            header: false,
            msh12: ["", ""],
            d,
        }
    }

    pub(super) fn header(s: crate::hl7::Segment<'m>, d: &'m Delimiters) -> Self {
        let mut v = SegView::new(s.raw(), d);
        v.header = true;
        v.msh12 = [
            s.field(1).map_or("", |e| e.raw()),
            s.field(2).map_or("", |e| e.raw()),
        ];
        v
    }

    pub(super) fn field(&self, n: usize) -> Option<El<'m>> {
        if n == 0 {
            return None;
        }
        let raw = if self.header {
            match n {
                1 | 2 => self.msh12.get(n - 1).copied(),
                // MSH-n follows the (n-1)-th separator.
                _ => self.nth(n - 1),
            }
        } else {
            self.nth(n)
        }?;
        Some(El {
            raw,
            level: 0,
            d: self.d,
        })
    }

    /// The text after the n-th field separator.
    pub(super) fn nth(&self, n: usize) -> Option<&'m str> {
        if !self.long && n < MAX_FIELDS {
            if n > self.count {
                return None;
            }
            let start = usize::from(*self.ends.get(n - 1)?) + 1;
            let end = usize::from(*self.ends.get(n)?);
            return self.raw.get(start..end);
        }
        self.raw.split(char::from(self.d.field)).nth(n)
    }
}

/// A field (level 0), repetition (1), component (2) or subcomponent (3), as raw text.
#[derive(Clone, Copy)]
pub(super) struct El<'m> {
    pub(super) raw: &'m str,
    pub(super) level: u8,
    pub(super) d: &'m Delimiters,
}

pub(super) fn nth_part(s: &str, sep: u8, n: usize) -> Option<&str> {
    if n == 0 {
        return None;
    }
    let b = s.as_bytes();
    let mut start = 0usize;
    for _ in 1..n {
        let p = crate::text::find_byte(b.get(start..)?, sep)?;
        start += p + 1;
    }
    let rest = b.get(start..)?;
    let end = crate::text::find_byte(rest, sep).map_or(b.len(), |p| start + p);
    s.get(start..end)
}

impl<'m> El<'m> {
    pub(super) fn of(e: crate::hl7::Element<'m>, d: &'m Delimiters) -> Self {
        let level = match e.level() {
            Level::Field => 0,
            Level::Repetition => 1,
            Level::Component => 2,
            Level::Subcomponent => 3,
        };
        El {
            raw: e.raw(),
            level,
            d,
        }
    }

    pub(super) fn sep(&self) -> Option<u8> {
        match self.level {
            0 => self.d.repetition,
            1 => self.d.component,
            2 => self.d.subcomponent,
            _ => None,
        }
    }

    pub(super) fn level(&self) -> Level {
        match self.level {
            0 => Level::Field,
            1 => Level::Repetition,
            2 => Level::Component,
            _ => Level::Subcomponent,
        }
    }

    pub(super) fn child(&self, n: usize) -> Option<El<'m>> {
        if n == 0 || self.level >= 3 {
            return None;
        }
        let raw = match self.sep() {
            Some(sep) => nth_part(self.raw, sep, n)?,
            None if n == 1 => self.raw,
            None => return None,
        };
        Some(El {
            raw,
            level: self.level + 1,
            d: self.d,
        })
    }

    pub(super) fn children(&self) -> impl Iterator<Item = El<'m>> + 'm {
        let this = *self;
        let sep = if self.level >= 3 { None } else { self.sep() };
        let mut rest = Some(self.raw);
        std::iter::from_fn(move || {
            let r = rest?;
            if this.level >= 3 {
                rest = None;
                return None;
            }
            let (head, tail) = match sep.and_then(|s| crate::text::find_byte(r.as_bytes(), s)) {
                Some(p) => (r.get(..p).unwrap_or(""), r.get(p + 1..)),
                None => (r, None),
            };
            rest = tail;
            Some(El {
                raw: head,
                level: this.level + 1,
                d: this.d,
            })
        })
    }

    /// The first `N` children, split in one pass (missing ones are `None`).
    pub(super) fn parts<const N: usize>(&self) -> [Option<El<'m>>; N] {
        let mut out = [None; N];
        for (slot, c) in out.iter_mut().zip(self.children()) {
            *slot = Some(c);
        }
        out
    }

    pub(super) fn component(&self, c: usize) -> Option<El<'m>> {
        match self.level {
            0 => self.child(1)?.child(c),
            1 => self.child(c),
            _ => None,
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    pub(super) fn is_null(&self) -> bool {
        self.raw == "\"\""
    }

    pub(super) fn value(&self) -> Option<Cow<'m, str>> {
        if self.is_empty() || self.is_null() {
            None
        } else {
            Some(crate::hl7::escape::decode(self.raw, self.d))
        }
    }
}

pub(super) fn query<'m>(msg: &'m Message<'m>, p: &Path) -> Option<El<'m>> {
    msg.query(p).map(|e| El::of(e, msg.delimiters()))
}

// ---- small helpers ------------------------------------------------------------------------

pub(super) fn trim_cow(c: Cow<'_, str>) -> Option<Cow<'_, str>> {
    match c {
        Cow::Borrowed(s) => {
            let t = crate::text::trim(s);
            (!t.is_empty()).then_some(Cow::Borrowed(t))
        }
        Cow::Owned(s) => {
            let t = crate::text::trim(&s);
            if t.is_empty() {
                None
            } else if t.len() == s.len() {
                Some(Cow::Owned(s))
            } else {
                Some(Cow::Owned(t.to_owned()))
            }
        }
    }
}

pub(super) fn val<'m>(e: Option<El<'m>>) -> Option<Cow<'m, str>> {
    e.and_then(|e| e.value()).and_then(trim_cow)
}

/// Descend to the first subcomponent (component 1 of repetition 1 …).
pub(super) fn leaf(mut e: El<'_>) -> El<'_> {
    while e.level() != Level::Subcomponent {
        match e.child(1) {
            Some(c) => e = c,
            None => break,
        }
    }
    e
}

pub(super) fn path_of(
    seg: &str,
    occ: usize,
    total: usize,
    field: usize,
    rep: Option<usize>,
    comp: Option<usize>,
) -> PathRef {
    PathRef::new(seg, field).occ(occ, total).rep(rep).comp(comp)
}

pub(super) fn pos(seg: &str, field: usize, rep: Option<usize>) -> Position {
    Position {
        segment: Some(seg.to_owned()),
        field: Some(field),
        repetition: rep,
        ..Default::default()
    }
}

/// MSH-12.1 read as `(major, minor)`; `(2, 5)` when unreadable.
pub(super) fn parse_version(msh: &SegView<'_>) -> (u8, u8) {
    // MSH-12, first repetition, first component (empty and `""` read as no version).
    let v = msh
        .field(12)
        .and_then(|f| f.child(1))
        .and_then(|r| r.child(1))
        .and_then(|c| c.value());
    let s = v.as_deref().unwrap_or("").trim();
    let mut it = s.split('.');
    let major = it.next().and_then(|x| x.trim().parse::<u8>().ok());
    let minor = it
        .next()
        .and_then(|x| x.trim().get(..1).and_then(|d| d.parse::<u8>().ok()));
    match (major, minor) {
        (Some(a), Some(b)) => (a, b),
        _ => (2, 5),
    }
}
