//! [`Element`] and its [`Level`]: a field, repetition, component or subcomponent, and the walk
//! down to its children.

use super::Message;
use crate::hl7::escape;
use std::borrow::Cow;
use std::ops::Range;

/// The level of an [`Element`] in the field → repetition → component → subcomponent hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A whole field (all repetitions).
    Field,
    /// One repetition.
    Repetition,
    /// One component.
    Component,
    /// One subcomponent.
    Subcomponent,
}

impl Level {
    fn child(self) -> Option<Level> {
        match self {
            Level::Field => Some(Level::Repetition),
            Level::Repetition => Some(Level::Component),
            Level::Component => Some(Level::Subcomponent),
            Level::Subcomponent => None,
        }
    }
}

/// A field, repetition, component or subcomponent: a range of the message text.
#[derive(Debug, Clone, Copy)]
pub struct Element<'m> {
    pub(super) msg: &'m Message<'m>,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) level: Level,
    /// MSH-1/MSH-2: never split or unescaped.
    pub(super) literal: bool,
}

impl<'m> Element<'m> {
    /// The raw (still escaped) text.
    pub fn raw(&self) -> &'m str {
        self.msg.text.get(self.start..self.end).unwrap_or("")
    }

    /// Byte range in [`Message::text`].
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    /// Level in the hierarchy.
    pub fn level(&self) -> Level {
        self.level
    }

    /// MSH-1 / MSH-2: taken as written, never split or unescaped.
    pub(crate) fn is_literal(&self) -> bool {
        self.literal
    }

    /// Empty (not sent).
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Present but null: the value is exactly `""` ("delete the stored value").
    pub fn is_null(&self) -> bool {
        !self.literal && self.raw() == "\"\""
    }

    /// The decoded value (escape sequences resolved). A null (`""`) decodes to the empty string;
    /// check [`Element::is_null`] first when the difference matters.
    pub fn decoded(&self) -> Cow<'m, str> {
        if self.literal {
            return Cow::Borrowed(self.raw());
        }
        if self.is_null() {
            return Cow::Borrowed("");
        }
        escape::decode(self.raw(), &self.msg.delimiters)
    }

    /// The decoded value, or `None` when empty or null.
    pub fn value(&self) -> Option<Cow<'m, str>> {
        if self.is_empty() || self.is_null() {
            None
        } else {
            Some(self.decoded())
        }
    }

    /// The separator that splits this element into children, if any.
    fn separator(&self) -> Option<u8> {
        if self.literal {
            None
        } else {
            self.msg.delimiters.separator_for(self.level)
        }
    }

    /// Whether this element has more than one child (repetitions, components or subcomponents).
    pub fn has_children(&self) -> bool {
        self.separator()
            .is_some_and(|s| memchr::memchr(s, self.raw().as_bytes()).is_some())
    }

    /// Child `n` (1-based): a repetition of a field, a component of a repetition, a subcomponent of
    /// a component. Child 1 of an element without separators is the element itself (one level down).
    pub fn child(&self, n: usize) -> Option<Element<'m>> {
        let level = self.level.child()?;
        if n == 0 {
            return None;
        }
        let bytes = self.raw().as_bytes();
        let Some(sep) = self.separator() else {
            return (n == 1).then_some(Element { level, ..*self });
        };
        let mut start = 0usize;
        let mut idx = 1usize;
        for p in memchr::memchr_iter(sep, bytes) {
            if idx == n {
                return Some(Element {
                    msg: self.msg,
                    start: self.start + start,
                    end: self.start + p,
                    level,
                    literal: false,
                });
            }
            idx += 1;
            start = p + 1;
        }
        (idx == n).then_some(Element {
            msg: self.msg,
            start: self.start + start,
            end: self.end,
            level,
            literal: false,
        })
    }

    /// All children in order (at least one).
    pub fn children(&self) -> impl Iterator<Item = Element<'m>> + 'm {
        let this = *self;
        let level = this.level.child();
        let sep = this.separator();
        let bytes = this.raw().as_bytes();
        let mut start = Some(0usize);
        std::iter::from_fn(move || {
            let level = level?;
            let s = start?;
            let end = match sep {
                Some(sep) => bytes
                    .get(s..)
                    .and_then(|r| memchr::memchr(sep, r))
                    .map(|p| s + p),
                None => None,
            };
            let e = end.unwrap_or(bytes.len());
            start = end.map(|p| p + 1);
            Some(Element {
                msg: this.msg,
                start: this.start + s,
                end: this.start + e,
                level,
                literal: this.literal && sep.is_none(),
            })
        })
    }

    /// Shorthand: component `c` of the first repetition (for a field), or of this repetition.
    pub fn component(&self, c: usize) -> Option<Element<'m>> {
        match self.level {
            Level::Field => self.child(1)?.child(c),
            Level::Repetition => self.child(c),
            _ => None,
        }
    }

    /// Decoded component `c` (of the first repetition), or `None` when empty/null/absent.
    pub fn component_value(&self, c: usize) -> Option<Cow<'m, str>> {
        self.component(c).and_then(|e| e.value())
    }
}
