//! Case-insensitive text matching (`$startsWith`): both the stored text and
//! the prefix asked for are compared in their case-folded form.
//!
//! Simple case folding (Unicode's `CaseFolding.txt`, statuses C and S) maps
//! every character to exactly one character, independently of its
//! neighbours. That makes folding a prefix give a prefix of the folded text,
//! which lowercasing does not promise: `str::to_lowercase` turns a final Σ
//! into ς but a medial one into σ, so "ΟΔΟΣ" would not start with the folded
//! form of "ΟΔΟΣ" once more letters follow. Full folding (ß → "ss") would let
//! "s" match a title that starts with "ß". The fold is computed here, in
//! Rust, for both backends alike: neither SQLite's `lower()` (ASCII only)
//! nor PostgreSQL's (collation-dependent) agrees with the other.

use icu_casemap::{CaseMapCloser, CaseMapper, ClosureSink};

/// The simple case folding of `text`, character by character.
pub fn fold_case(text: &str) -> String {
    let folder = CaseMapper::new();
    text.chars().map(|c| folder.simple_fold(c)).collect()
}

/// For a folded prefix, the character-by-character least and greatest
/// texts that fold to it: every text whose folding starts with `folded`
/// lies between `low` and the texts starting with `high`, in code-point
/// order. ("qx" gives "QX" and "qx"; "k" gives "K" and the Kelvin sign.)
/// An index in code-point order can read that range in its own order.
pub fn unfolded_bounds(folded: &str) -> (String, String) {
    let folder = CaseMapper::new();
    let closer = CaseMapCloser::new();
    let mut low = String::with_capacity(folded.len());
    let mut high = String::with_capacity(folded.len());
    for c in folded.chars() {
        let mut same = Chars(vec![c]);
        closer.add_case_closure_to(c, &mut same);
        let folds_to_c = same.0.into_iter().filter(|&x| folder.simple_fold(x) == c);
        let (least, greatest) = folds_to_c.fold((c, c), |(lo, hi), x| (lo.min(x), hi.max(x)));
        low.push(least);
        high.push(greatest);
    }
    (low, high)
}

/// The single characters of a case closure (its strings never fold to one character).
struct Chars(Vec<char>);

impl ClosureSink for Chars {
    fn add_char(&mut self, c: char) {
        self.0.push(c);
    }

    fn add_string(&mut self, _: &str) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_each_character_to_one() {
        assert_eq!(fold_case("Gold STAR"), "gold star");
        assert_eq!(fold_case("ÉLAN Élite"), "élan élite");
        // Final and medial sigma fold alike, so prefixes stay prefixes.
        assert_eq!(fold_case("ΟΔΟΣ"), "οδοσ");
        assert_eq!(fold_case("οδος"), "οδοσ");
        // Simple folding keeps ß one character (full folding would give "ss").
        assert_eq!(fold_case("Straße"), "straße");
        assert_eq!(fold_case("ẞ"), "ß");
        // The Kelvin sign is a K.
        assert_eq!(fold_case("\u{212A}"), "k");
        assert_eq!(fold_case("日本 🎖 100%_"), "日本 🎖 100%_");
    }

    #[test]
    fn bounds_span_every_case_of_a_prefix() {
        assert_eq!(unfolded_bounds("qx"), ("QX".into(), "qx".into()));
        assert_eq!(unfolded_bounds("k"), ("K".into(), "\u{212A}".into()));
        assert_eq!(unfolded_bounds("σ"), ("Σ".into(), "σ".into()));
        // Whatever folds to ß, the capital ẞ among them, lies between the bounds.
        let (low, high) = unfolded_bounds("ß");
        assert_eq!(low, "ß");
        assert!(high.as_str() >= "ẞ" && fold_case(&high) == "ß", "{high:?}");
        assert_eq!(unfolded_bounds("1-"), ("1-".into(), "1-".into()));
    }

    proptest! {
        #[test]
        fn a_text_lies_within_the_bounds_of_its_folded_prefix(text in "[a-zA-Z\u{212A}kKσςΣßẞé É0]{0,6}", cut in 0usize..7) {
            let prefix: String = fold_case(&text).chars().take(cut).collect();
            let (low, high) = unfolded_bounds(&prefix);
            prop_assert!(text.as_str() >= low.as_str(), "{text:?} < {low:?}");
            let head: String = text.chars().take(prefix.chars().count()).collect();
            prop_assert!(head <= high, "{head:?} > {high:?}");
        }

        #[test]
        fn a_folded_prefix_is_a_prefix_of_the_folded_text(text in "\\PC{0,12}", cut in 0usize..13) {
            let prefix: String = text.chars().take(cut).collect();
            prop_assert!(fold_case(&text).starts_with(&fold_case(&prefix)));
            prop_assert_eq!(fold_case(&text).chars().count(), text.chars().count());
        }

        #[test]
        fn folding_is_idempotent(text in "\\PC{0,12}") {
            prop_assert_eq!(fold_case(&fold_case(&text)), fold_case(&text));
        }
    }
}
