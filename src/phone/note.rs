//! The assumptions made while normalizing: [`Note`] and the set [`Notes`].

/// An assumption made while normalizing (each becomes a warning upstream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Note {
    /// A national number was read with the default country's calling code.
    DefaultCountryUsed,
    /// The digits started with the default country's calling code but had no `+`/`00`.
    MissingPlus,
    /// The national number lacked the trunk prefix the country normally writes.
    NoTrunkPrefix,
    /// An extension was dropped from the dialable number (an SMS cannot reach an extension).
    ExtensionDropped,
    /// Text after the number (XTN `C` comment, `B` beeper code) was ignored.
    TrailingTextIgnored,
}

impl Note {
    /// Stable warning code.
    pub const fn code(self) -> &'static str {
        match self {
            Note::DefaultCountryUsed => "PHONE_DEFAULT_COUNTRY_USED",
            Note::MissingPlus => "PHONE_MISSING_PLUS",
            Note::NoTrunkPrefix => "PHONE_NO_TRUNK_PREFIX",
            Note::ExtensionDropped => "PHONE_EXTENSION_DROPPED",
            Note::TrailingTextIgnored => "PHONE_TEXT_IGNORED",
        }
    }
    /// Human text (no input values).
    pub const fn message(self) -> &'static str {
        match self {
            Note::DefaultCountryUsed => {
                "a national number was read with the profile's default country"
            }
            Note::MissingPlus => {
                "the number began with the country code but without '+'; read as international"
            }
            Note::NoTrunkPrefix => {
                "the national number had no trunk prefix; read as a national significant number"
            }
            Note::ExtensionDropped => {
                "the number had an extension, which an SMS cannot reach; the extension was dropped"
            }
            Note::TrailingTextIgnored => {
                "text after the number (comment or beeper code) was ignored"
            }
        }
    }
}

/// A set of [`Note`]s (a bit set: no allocation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Notes(u8);

impl Notes {
    const ALL: [Note; 5] = [
        Note::DefaultCountryUsed,
        Note::MissingPlus,
        Note::NoTrunkPrefix,
        Note::ExtensionDropped,
        Note::TrailingTextIgnored,
    ];
    fn bit(n: Note) -> u8 {
        1 << (n as u8)
    }
    /// Add a note.
    pub fn push(&mut self, n: Note) {
        self.0 |= Self::bit(n);
    }
    /// Whether a note is present.
    pub fn contains(&self, n: &Note) -> bool {
        self.0 & Self::bit(*n) != 0
    }
    /// The notes, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = Note> + '_ {
        Self::ALL.iter().copied().filter(|n| self.contains(n))
    }
}
