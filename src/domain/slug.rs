/// The URL-friendly name of a badge, derived from its title: lower case,
/// whitespace runs become one hyphen, every other character that is not a
/// letter, digit, hyphen or underscore is dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    /// Slugs are 1–255 characters; a title made only of symbols falls back to "badge".
    pub const MAX_LEN: usize = 255;

    pub fn from_title(title: &str) -> Self {
        let mut slug = String::with_capacity(title.len());
        let mut pending_hyphen = false;
        for ch in title.trim().chars() {
            if ch.is_whitespace() {
                pending_hyphen = true;
            } else if ch.is_alphanumeric() || ch == '-' || ch == '_' {
                if pending_hyphen && !slug.is_empty() {
                    slug.push('-');
                }
                pending_hyphen = false;
                slug.extend(ch.to_lowercase());
            }
        }
        if slug.is_empty() {
            slug.push_str("badge");
        }
        Self(slug)
    }

    /// The slug to try when `self` is taken: `-2`, `-3`, …
    pub fn with_suffix(&self, n: u32) -> Self {
        Self(format!("{}-{n}", self.0))
    }

    pub fn from_stored(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lower_cases_and_hyphenates() {
        assert_eq!(Slug::from_title("Top Contributor").as_str(), "top-contributor");
        assert_eq!(Slug::from_title("  Gold   Member!! ").as_str(), "gold-member");
        assert_eq!(Slug::from_title("C++ & Rust: 2024").as_str(), "c-rust-2024");
        assert_eq!(Slug::from_title("Équipe Été").as_str(), "équipe-été");
        assert_eq!(Slug::from_title("!!!").as_str(), "badge");
    }

    #[test]
    fn suffixes_count_from_two() {
        assert_eq!(Slug::from_title("VIP").with_suffix(2).as_str(), "vip-2");
    }

    proptest! {
        #[test]
        fn slugs_are_non_empty_lower_case_and_space_free(title in "\\PC{0,50}") {
            let slug = Slug::from_title(&title);
            prop_assert!(!slug.as_str().is_empty());
            prop_assert!(!slug.as_str().chars().any(char::is_whitespace));
            // A leading hyphen only comes from a hyphen in the title, never from whitespace.
            let first_kept = title.chars().find(|c| c.is_alphanumeric() || *c == '-' || *c == '_');
            prop_assert!(!slug.as_str().starts_with('-') || first_kept == Some('-'));
            prop_assert_eq!(slug.as_str().to_lowercase(), slug.as_str());
            prop_assert!(slug.as_str().chars().count() <= Slug::MAX_LEN);
        }
    }
}
