//! The matcher for the numbering-plan patterns compiled by `examples/gen_phonedata.rs`.
//!
//! A pattern is pre-order byte code over digits (the only input the plans describe):
//!
//! | node | bytes |
//! |---|---|
//! | one digit of a set | `1 mask_lo mask_hi` (bit `d` = digit `d`) |
//! | `$` | `2` |
//! | sequence | `3 n len_lo len_hi` then `n` nodes (`len` bytes) |
//! | alternation | `4 n len_lo len_hi` then `n` nodes |
//! | `child{min,max}` | `5 min max len_lo len_hi` then the child (`len` bytes) |
//! | capturing group | `6 index len_lo len_hi` then the child |
//!
//! Matching is backtracking with Java's semantics (leftmost alternative first, greedy
//! repetitions), which is what libphonenumber's `lookingAt` and group captures depend on. The
//! input is at most 17 digits and every step is counted: a pattern that would take more than
//! [`BUDGET`] steps does not match (none of the metadata's patterns comes near it; the test suite
//! checks that the budget is never reached on the metadata's examples).

const T_CLASS: u8 = 1;
const T_END: u8 = 2;
const T_SEQ: u8 = 3;
const T_ALT: u8 = 4;
const T_REP: u8 = 5;
const T_CAP: u8 = 6;

/// Step budget of one match.
pub(crate) const BUDGET: u32 = 200_000;
/// Capturing groups kept (the metadata uses at most 2 per pattern).
pub(crate) const MAX_CAPS: usize = 4;

/// Spans of the capturing groups of a successful match (`None`: the group did not take part).
pub(crate) type Caps = [Option<(u8, u8)>; MAX_CAPS];

/// What was to be matched after a node.
enum Cont<'c> {
    /// The end of the pattern.
    Accept,
    /// `left` more nodes of a sequence, the first at `at`.
    Seq {
        at: usize,
        left: u8,
        next: &'c Cont<'c>,
    },
    /// The next iteration of a repetition whose current one started at `start`.
    Rep {
        child: usize,
        min: u8,
        max: u8,
        count: u8,
        start: usize,
        next: &'c Cont<'c>,
    },
    /// The end of capturing group `idx`, opened at `start`.
    CapEnd {
        idx: u8,
        start: usize,
        next: &'c Cont<'c>,
    },
}

struct Run<'a> {
    code: &'a [u8],
    input: &'a [u8],
    full: bool,
    steps: u32,
    end: usize,
    caps: Caps,
}

impl Run<'_> {
    fn byte(&self, at: usize) -> u8 {
        self.code.get(at).copied().unwrap_or(0)
    }
    fn u16_at(&self, at: usize) -> usize {
        usize::from(u16::from_le_bytes([self.byte(at), self.byte(at + 1)]))
    }
    /// The size in bytes of the node at `at`.
    fn size(&self, at: usize) -> usize {
        match self.byte(at) {
            T_CLASS => 3,
            T_END => 1,
            T_SEQ | T_ALT => 4 + self.u16_at(at + 2),
            T_REP => 5 + self.u16_at(at + 3),
            T_CAP => 4 + self.u16_at(at + 2),
            _ => 1,
        }
    }

    fn node(&mut self, at: usize, pos: usize, k: &Cont<'_>) -> bool {
        self.steps += 1;
        if self.steps > BUDGET {
            return false;
        }
        match self.byte(at) {
            T_CLASS => self.class_matches(at, pos) && self.cont(pos + 1, k),
            T_END => pos == self.input.len() && self.cont(pos, k),
            T_SEQ => {
                let n = self.byte(at + 1);
                self.seq(at + 4, n, pos, k)
            }
            T_ALT => {
                let n = self.byte(at + 1);
                let mut child = at + 4;
                for _ in 0..n {
                    if !self.cannot_start(child, pos) && self.node(child, pos, k) {
                        return true;
                    }
                    child += self.size(child);
                }
                false
            }
            T_REP => {
                let (min, max) = (self.byte(at + 1), self.byte(at + 2));
                self.rep(at + 5, min, max, 0, pos, k)
            }
            T_CAP => {
                let idx = self.byte(at + 1);
                self.node(
                    at + 4,
                    pos,
                    &Cont::CapEnd {
                        idx,
                        start: pos,
                        next: k,
                    },
                )
            }
            _ => false,
        }
    }

    /// Whether the node at `at` must begin by consuming the digit at `pos` with a digit class
    /// that does not contain it (so it cannot match there). Alternations over the leading digits
    /// (`2(?:0[1-35-9]|1[02-9]|…)|3(?:…)`, the NANP area codes) are skipped this way without a
    /// step per alternative. Looks through sequences, groups and repetitions with a minimum of at
    /// least one; anything else (an alternation, `$`, an optional part first) is "may match".
    fn cannot_start(&self, mut at: usize, pos: usize) -> bool {
        loop {
            match self.byte(at) {
                T_CLASS => return !self.class_matches(at, pos),
                T_SEQ if self.byte(at + 1) > 0 => at += 4,
                T_REP if self.byte(at + 1) > 0 => at += 5,
                T_CAP => at += 4,
                _ => return false,
            }
        }
    }

    /// Whether the digit at `pos` is in the class at `at`.
    fn class_matches(&self, at: usize, pos: usize) -> bool {
        let mask = self.u16_at(at + 1);
        matches!(
            self.input.get(pos),
            Some(&c) if c.is_ascii_digit() && mask & (1 << (c - b'0')) != 0
        )
    }

    fn seq(&mut self, mut at: usize, mut left: u8, mut pos: usize, k: &Cont<'_>) -> bool {
        // Leading digit classes have no alternatives to backtrack into: match them in place.
        while left > 0 && self.byte(at) == T_CLASS {
            if !self.class_matches(at, pos) {
                return false;
            }
            at += 3;
            pos += 1;
            left -= 1;
        }
        match left {
            0 => self.cont(pos, k),
            1 => self.node(at, pos, k),
            _ => {
                let next = at + self.size(at);
                self.node(
                    at,
                    pos,
                    &Cont::Seq {
                        at: next,
                        left: left - 1,
                        next: k,
                    },
                )
            }
        }
    }

    fn rep(&mut self, child: usize, min: u8, max: u8, count: u8, pos: usize, k: &Cont<'_>) -> bool {
        if self.byte(child) == T_CLASS {
            return self.rep_class(child, min, max, count, pos, k);
        }
        if count < max
            && self.node(
                child,
                pos,
                &Cont::Rep {
                    child,
                    min,
                    max,
                    count: count.saturating_add(1),
                    start: pos,
                    next: k,
                },
            )
        {
            return true;
        }
        count >= min && self.cont(pos, k)
    }

    /// [`Run::rep`] of a single digit class (`\d{6}`, `[2-9]\d{2,3}`: most repetitions of the
    /// metadata). Each iteration consumes exactly one digit, so the greedy backtracking of the
    /// general case — try one more iteration, else continue here — amounts to: take the longest
    /// run of digits in the class (at most `max - count`), then try the continuation after it,
    /// one digit shorter each time, down to `min - count`. Same matches, same order, one step per
    /// continuation tried instead of three calls per digit.
    fn rep_class(
        &mut self,
        class: usize,
        min: u8,
        max: u8,
        count: u8,
        pos: usize,
        k: &Cont<'_>,
    ) -> bool {
        let room = usize::from(max.saturating_sub(count));
        let mut n = 0usize;
        while n < room && self.class_matches(class, pos + n) {
            n += 1;
        }
        let need = usize::from(min.saturating_sub(count));
        let mut j = n;
        while j >= need {
            self.steps += 1;
            if self.steps > BUDGET {
                return false;
            }
            if self.cont(pos + j, k) {
                return true;
            }
            match j.checked_sub(1) {
                Some(x) => j = x,
                None => break,
            }
        }
        false
    }

    fn cont(&mut self, pos: usize, k: &Cont<'_>) -> bool {
        match *k {
            Cont::Accept => {
                if self.full && pos != self.input.len() {
                    return false;
                }
                self.end = pos;
                true
            }
            Cont::Seq { at, left, next } => self.seq(at, left, pos, next),
            Cont::Rep {
                child,
                min,
                max,
                count,
                start,
                next,
            } => {
                if pos == start {
                    // An empty iteration: stop repeating (it would loop forever).
                    return count >= min && self.cont(pos, next);
                }
                self.rep(child, min, max, count, pos, next)
            }
            Cont::CapEnd { idx, start, next } => {
                let slot = usize::from(idx);
                let saved = self.caps.get(slot).copied().flatten();
                let span = (
                    u8::try_from(start).unwrap_or(u8::MAX),
                    u8::try_from(pos).unwrap_or(u8::MAX),
                );
                if let Some(c) = self.caps.get_mut(slot) {
                    *c = Some(span);
                }
                if self.cont(pos, next) {
                    return true;
                }
                if let Some(c) = self.caps.get_mut(slot) {
                    *c = saved;
                }
                false
            }
        }
    }
}

fn run(code: &[u8], input: &[u8], full: bool) -> Option<(usize, Caps)> {
    let mut r = Run {
        code,
        input,
        full,
        steps: 0,
        end: 0,
        caps: [None; MAX_CAPS],
    };
    if code.is_empty() {
        return None;
    }
    r.node(0, 0, &Cont::Accept).then_some((r.end, r.caps))
}

/// Whether the whole of `input` matches (Java `matches()`).
pub(crate) fn full_match(code: &[u8], input: &[u8]) -> bool {
    run(code, input, true).is_some()
}

/// The match at the start of `input`, as Java's `lookingAt()` finds it: its end and the groups.
pub(crate) fn looking_at(code: &[u8], input: &[u8]) -> Option<(usize, Caps)> {
    run(code, input, false)
}

/// The size in bytes of the pattern that starts `code` (its root node).
pub(crate) fn pattern_len(code: &[u8]) -> usize {
    let r = Run {
        code,
        input: &[],
        full: true,
        steps: 0,
        end: 0,
        caps: [None; MAX_CAPS],
    };
    r.size(0).min(code.len())
}

/// The number of capturing groups in a pattern.
pub(crate) fn group_count(code: &[u8]) -> u8 {
    let mut n = 0;
    let mut i = 0;
    let end = pattern_len(code);
    while let Some(&t) = code.get(i).filter(|_| i < end) {
        match t {
            T_CLASS => i += 3,
            T_END => i += 1,
            T_SEQ | T_ALT => i += 4,
            T_REP => i += 5,
            T_CAP => {
                n = n.max(code.get(i + 1).copied().unwrap_or(0));
                i += 4;
            }
            _ => break,
        }
    }
    n
}
