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

use icu_casemap::CaseMapper;

/// The simple case folding of `text`, character by character.
pub fn fold_case(text: &str) -> String {
    let folder = CaseMapper::new();
    text.chars().map(|c| folder.simple_fold(c)).collect()
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

    proptest! {
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
