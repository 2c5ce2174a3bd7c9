//! Protected pages: a normalised URL path of a site, a title, and the
//! badges whose holders may open it.
//!
//! Path rules (the same for a page's path and for a URL asked about in a
//! check, so both compare as plain strings):
//! - it starts with `/`; it has no query (`?`) or fragment (`#`);
//! - percent-escapes of unreserved characters (letters, digits, `-._~`) are
//!   decoded, every other escape is kept with upper-case hex; a character
//!   RFC 3986 does not allow in a path (a space, `é`, `"`, …) is escaped as
//!   UTF-8, so `/café` and `/caf%C3%A9` are one path;
//! - `%2F` and `%5C` (an escaped `/` or `\`), a raw `\`, control characters
//!   and a malformed `%` are refused: servers disagree on what they mean,
//!   and an access check must not guess;
//! - repeated slashes collapse, a trailing slash is dropped, `.` segments
//!   are removed and `..` removes the segment before it (`..` above the root
//!   is refused) — after decoding, so `%2E%2E` is `..` too;
//! - letters keep their case: `/Staff` and `/staff` are different paths;
//! - at most [`PagePath::MAX_BYTES`] bytes once normalised.
//!
//! `/` is the root: it protects the whole site.

use std::fmt::Write as _;

use super::{BadgeId, FieldViolation, PageId, Timestamp};

/// Most badges one page may list.
pub const MAX_BADGES_PER_PAGE: usize = 100;
/// Most protected pages one site may have.
pub const MAX_PAGES_PER_SITE: i64 = 10_000;

/// A normalised URL path (see the module comment).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PagePath(String);

impl PagePath {
    pub const MAX_BYTES: usize = 1024;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldViolation> {
        let refuse = |message: String| FieldViolation::new(field, "FORMAT", message);
        // Escaping can at most triple a character's size: anything longer cannot fit.
        if raw.len() > Self::MAX_BYTES * 3 {
            return Err(FieldViolation::new(
                field,
                "MAX_LENGTH",
                format!("`{field}` must be at most {} bytes", Self::MAX_BYTES),
            ));
        }
        let Some(rest) = raw.strip_prefix('/') else {
            return Err(refuse(format!("`{field}` must be a path starting with `/`")));
        };
        if raw.contains(['?', '#']) {
            return Err(refuse(format!(
                "`{field}` must be a path without a query (`?`) or fragment (`#`)"
            )));
        }
        let mut segments: Vec<String> = Vec::new();
        for raw_segment in rest.split('/') {
            let segment = normalise_segment(raw_segment).map_err(|why| refuse(format!("`{field}` {why}")))?;
            match segment.as_str() {
                "" | "." => {}
                ".." => {
                    if segments.pop().is_none() {
                        return Err(refuse(format!("`{field}` goes above the root with `..`")));
                    }
                }
                _ => segments.push(segment),
            }
        }
        let path = format!("/{}", segments.join("/"));
        if path.len() > Self::MAX_BYTES {
            return Err(FieldViolation::new(
                field,
                "MAX_LENGTH",
                format!("`{field}` must be at most {} bytes once normalised", Self::MAX_BYTES),
            ));
        }
        Ok(Self(path))
    }

    pub fn from_stored(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path and every path above it, longest first, ending with `/`:
    /// `/a/b` gives `/a/b`, `/a`, `/`. These are the pages that can cover it.
    pub fn covering(&self) -> impl Iterator<Item = &str> {
        let mut next = Some(self.0.as_str());
        std::iter::from_fn(move || {
            let current = next?;
            next = match current.rfind('/') {
                _ if current == "/" => None,
                Some(0) => Some("/"),
                Some(i) => Some(&current[..i]),
                None => None,
            };
            Some(current)
        })
    }

    /// Does this page's path cover `other` (itself or a path below it, by whole segments)?
    pub fn covers(&self, other: &PagePath) -> bool {
        self.0 == "/"
            || other.0 == self.0
            || (other.0.starts_with(&self.0) && other.0.as_bytes().get(self.0.len()) == Some(&b'/'))
    }
}

/// Unreserved characters (RFC 3986): never escaped.
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Other characters a path segment may hold as they are (sub-delims, `:` and `@`).
fn plain_in_segment(b: u8) -> bool {
    unreserved(b)
        || matches!(
            b,
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b':' | b'@'
        )
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn normalise_segment(raw: &str) -> Result<String, &'static str> {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let value = match (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (Some(high), Some(low)) => high * 16 + low,
                _ => return Err("has a `%` that is not followed by two hex digits"),
            };
            if value == b'/' || value == b'\\' {
                return Err("must not hold an escaped `/` or `\\` (`%2F`, `%5C`)");
            }
            if unreserved(value) {
                out.push(value as char);
            } else {
                let _ = write!(out, "%{value:02X}");
            }
            i += 3;
        } else if b == b'\\' {
            return Err("must not hold `\\`");
        } else if b.is_ascii_control() {
            return Err("must not hold control characters");
        } else if plain_in_segment(b) {
            out.push(b as char);
            i += 1;
        } else {
            // Any other byte (a space, `"`, or part of a non-ASCII character) is escaped.
            let _ = write!(out, "%{b:02X}");
            i += 1;
        }
    }
    Ok(out)
}

/// A page's title: at most 200 characters; empty means none.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageTitle(String);

impl PageTitle {
    pub const MAX_LEN: usize = 200;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldViolation> {
        super::reject_nul(field, raw)?;
        let len = raw.chars().count();
        if len > Self::MAX_LEN {
            return Err(FieldViolation::new(
                field,
                "MAX_LENGTH",
                format!("`{field}` must be at most {} characters, got {len}", Self::MAX_LEN),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn from_stored(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The badges of a page: 0–100 distinct ids, in the owner's order. A page
/// without badges is closed to every member.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageBadges(Vec<BadgeId>);

impl PageBadges {
    pub fn parse(field: &str, ids: Vec<BadgeId>) -> Result<Self, FieldViolation> {
        if ids.len() > MAX_BADGES_PER_PAGE {
            return Err(FieldViolation::new(
                field,
                "SIZE",
                format!(
                    "`{field}` may hold at most {MAX_BADGES_PER_PAGE} badges, got {}",
                    ids.len()
                ),
            ));
        }
        for (i, id) in ids.iter().enumerate() {
            if ids[..i].contains(id) {
                return Err(FieldViolation::new(
                    format!("{field}[{i}]"),
                    "UNIQUE",
                    format!("`{field}` names badge {id} more than once"),
                ));
            }
        }
        Ok(Self(ids))
    }

    pub fn from_stored(ids: Vec<BadgeId>) -> Self {
        Self(ids)
    }

    pub fn as_slice(&self) -> &[BadgeId] {
        &self.0
    }

    pub fn contains(&self, id: BadgeId) -> bool {
        self.0.contains(&id)
    }
}

/// A protected page as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtectedPage {
    pub id: PageId,
    pub revision: i64,
    pub path: PagePath,
    pub title: PageTitle,
    pub badge_ids: PageBadges,
    pub created_date: Timestamp,
    pub updated_date: Timestamp,
}

/// Everything needed to protect a page; id, revision and dates are the store's.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPage {
    pub path: PagePath,
    pub title: PageTitle,
    pub badge_ids: PageBadges,
}

/// The fields an update changes; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PagePatch {
    pub path: Option<PagePath>,
    pub title: Option<PageTitle>,
    pub badge_ids: Option<PageBadges>,
}

impl PagePatch {
    /// The page as it is after the patch (revision and dates are the store's).
    pub fn apply_to(&self, page: &ProtectedPage) -> ProtectedPage {
        let mut next = page.clone();
        if let Some(path) = &self.path {
            next.path = path.clone();
        }
        if let Some(title) = &self.title {
            next.title = title.clone();
        }
        if let Some(badges) = &self.badge_ids {
            next.badge_ids = badges.clone();
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(raw: &str) -> String {
        PagePath::parse("path", raw)
            .map(|p| p.0)
            .unwrap_or_else(|v| format!("ERR {}", v.description))
    }

    #[test]
    fn normalises_slashes_dots_and_escapes() {
        assert_eq!(norm("/"), "/");
        assert_eq!(norm("//"), "/");
        assert_eq!(norm("/staff/"), "/staff");
        assert_eq!(norm("//staff///rota//"), "/staff/rota");
        assert_eq!(norm("/staff/./rota"), "/staff/rota");
        assert_eq!(norm("/public/../staff"), "/staff");
        assert_eq!(norm("/public/%2e%2E/staff"), "/staff");
        assert_eq!(norm("/%7Euser/%41bc"), "/~user/Abc");
        assert_eq!(norm("/caf%c3%a9"), "/caf%C3%A9");
        assert_eq!(norm("/café"), "/caf%C3%A9");
        assert_eq!(norm("/a b"), "/a%20b");
        assert_eq!(norm("/Staff"), "/Staff");
        assert_eq!(norm("/a:b@c;d=e"), "/a:b@c;d=e");
    }

    #[test]
    fn refuses_what_servers_read_differently() {
        for raw in [
            "",
            "staff",
            "/staff?x=1",
            "/staff#top",
            "/a%2Fb",
            "/a%5cb",
            "/a\\b",
            "/a%zz",
            "/a%4",
            "/..",
            "/a/../..",
            "/a\u{7}b",
            "/a\tb",
        ] {
            assert!(norm(raw).starts_with("ERR"), "{raw:?} gave {}", norm(raw));
        }
        assert!(norm(&format!("/{}", "a".repeat(1023))).starts_with('/'));
        assert!(norm(&format!("/{}", "a".repeat(1024))).starts_with("ERR"));
    }

    #[test]
    fn covering_lists_whole_segment_prefixes_longest_first() {
        let path = PagePath::parse("p", "/courses/advanced/week-1").unwrap();
        let all: Vec<&str> = path.covering().collect();
        assert_eq!(all, ["/courses/advanced/week-1", "/courses/advanced", "/courses", "/"]);
        assert_eq!(PagePath::parse("p", "/").unwrap().covering().collect::<Vec<_>>(), ["/"]);
        let staff = PagePath::parse("p", "/staff").unwrap();
        assert!(staff.covers(&PagePath::parse("p", "/staff/rota").unwrap()));
        assert!(staff.covers(&staff));
        assert!(!staff.covers(&PagePath::parse("p", "/staffroom").unwrap()));
        assert!(PagePath::parse("p", "/").unwrap().covers(&staff));
    }

    #[test]
    fn badges_are_distinct_and_at_most_a_hundred() {
        let ids: Vec<BadgeId> = (0..101).map(|_| BadgeId::generate()).collect();
        assert!(PageBadges::parse("b", ids[..100].to_vec()).is_ok());
        assert_eq!(PageBadges::parse("b", ids.clone()).unwrap_err().rule, "SIZE");
        assert_eq!(PageBadges::parse("b", vec![ids[0], ids[0]]).unwrap_err().rule, "UNIQUE");
    }
}
