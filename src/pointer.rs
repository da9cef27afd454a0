//! JSON pointers (RFC 6901): escaping, validation, and [`Ptr`], a pointer built lazily on the stack.
//!
//! A floor below both the profile (which validates the pointers a `json` section configures) and
//! the inbound JSON mappers (which report where a wrong type is).

/// Escape one reference token (`~` → `~0`, `/` → `~1`).
pub fn escape_token(key: &str, out: &mut String) {
    for c in key.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

/// A JSON pointer built lazily: a chain of borrowed steps on the stack, rendered only when a value
/// is chosen or an error is reported.
#[derive(Clone, Copy)]
pub struct Ptr<'a> {
    parent: Option<&'a Ptr<'a>>,
    step: Step<'a>,
}

#[derive(Clone, Copy)]
enum Step<'a> {
    /// A prefix written as is (`""` for the document root, `options.resources/0` …).
    Root(&'a str),
    Key(&'a str),
    Idx(usize),
}

impl<'a> Ptr<'a> {
    /// A root with a literal prefix (`""` is the document itself).
    pub const fn root(prefix: &'a str) -> Ptr<'a> {
        Ptr {
            parent: None,
            step: Step::Root(prefix),
        }
    }
    /// The member `key` of this object.
    pub fn key(&'a self, key: &'a str) -> Ptr<'a> {
        Ptr {
            parent: Some(self),
            step: Step::Key(key),
        }
    }
    /// The element `i` of this array.
    pub fn idx(&'a self, i: usize) -> Ptr<'a> {
        Ptr {
            parent: Some(self),
            step: Step::Idx(i),
        }
    }
    /// Render (`/entry/0/resource/name/1/given/0`).
    pub fn render(&self) -> String {
        let mut s = String::with_capacity(48);
        self.write(&mut s);
        s
    }
    fn write(&self, s: &mut String) {
        if let Some(p) = self.parent {
            p.write(s);
        }
        match self.step {
            Step::Root(r) => s.push_str(r),
            Step::Key(k) => {
                s.push('/');
                escape_token(k, s);
            }
            Step::Idx(i) => {
                s.push('/');
                s.push_str(&i.to_string());
            }
        }
    }
}

impl std::fmt::Display for Ptr<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

/// One reference token, escaped (`a/b~c` → `a~1b~0c`).
pub fn escape(key: &str) -> String {
    let mut s = String::with_capacity(key.len());
    escape_token(key, &mut s);
    s
}

/// Validate an RFC 6901 pointer (`""` or `/a/b~1c/0`).
pub fn valid(p: &str) -> bool {
    if p.is_empty() {
        return true;
    }
    if !p.starts_with('/') {
        return false;
    }
    let b = p.as_bytes();
    b.iter()
        .enumerate()
        .all(|(i, &c)| c != b'~' || matches!(b.get(i + 1), Some(b'0') | Some(b'1')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_render_lazily_and_escape() {
        let r = Ptr::root("");
        let e = r.key("entry");
        let e0 = e.idx(0);
        let k = e0.key("a/b~c");
        assert_eq!(k.render(), "/entry/0/a~1b~0c");
        assert_eq!(k.to_string(), "/entry/0/a~1b~0c");
        assert_eq!(
            Ptr::root("options.resources").idx(2).render(),
            "options.resources/2"
        );
        assert_eq!(escape("a/b~c"), "a~1b~0c");
        assert_eq!(escape("plain"), "plain");
    }

    #[test]
    fn validates_rfc_6901() {
        assert!(valid("/a/b~0~1") && valid("") && valid("/"));
        assert!(!valid("a") && !valid("/a~2") && !valid("/a~"));
    }
}
