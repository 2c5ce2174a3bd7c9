//! `$startsWith` as a range of an index. In code-point order (SQLite's
//! BINARY collation, PostgreSQL's `COLLATE "C"`, and the byte order of GUID
//! blobs) the values starting with a prefix are exactly one contiguous run,
//! so both backends read it as an index range with bound parameters, which
//! a prepared `LIKE` cannot promise on PostgreSQL.

/// The least text greater than every text that starts with `prefix`: the
/// prefix with its last character moved to the next one (dropping trailing
/// characters that have no next). `None` when no text is greater (the prefix
/// is empty or all U+10FFFF), i.e. the range has no upper end.
pub fn text_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = next_char(last) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

fn next_char(c: char) -> Option<char> {
    match c {
        // The surrogates are not characters: the next one after U+D7FF is U+E000.
        '\u{D7FF}' => Some('\u{E000}'),
        char::MAX => None,
        _ => char::from_u32(c as u32 + 1),
    }
}

/// The 16-byte GUIDs whose canonical text (`8-4-4-4-12` lower-case hex)
/// starts with `prefix`, in any letter case, as an inclusive byte range.
/// `None` when no GUID does (a character that is not a hex digit, a hyphen
/// out of place, or more than 36 characters).
pub fn guid_range(prefix: &str) -> Option<([u8; 16], [u8; 16])> {
    const HYPHENS: [usize; 4] = [8, 13, 18, 23];
    if prefix.len() > 36 {
        return None;
    }
    let mut nibbles = Vec::with_capacity(32);
    for (i, c) in prefix.chars().enumerate() {
        if HYPHENS.contains(&i) {
            if c != '-' {
                return None;
            }
        } else {
            nibbles.push(c.to_digit(16)? as u8);
        }
    }
    let fill = |pad: u8| {
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            let hi = nibbles.get(2 * i).copied().unwrap_or(pad);
            let lo = nibbles.get(2 * i + 1).copied().unwrap_or(pad);
            *byte = (hi << 4) | lo;
        }
        out
    };
    Some((fill(0x0), fill(0xf)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn upper_bounds() {
        assert_eq!(text_upper_bound("ab").as_deref(), Some("ac"));
        assert_eq!(text_upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(text_upper_bound("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(text_upper_bound(""), None);
        assert_eq!(text_upper_bound("\u{10FFFF}"), None);
    }

    #[test]
    fn guid_prefixes() {
        let (lo, hi) = guid_range("1B2c").unwrap();
        assert_eq!(&lo[..3], &[0x1b, 0x2c, 0x00]);
        assert_eq!(&hi[..3], &[0x1b, 0x2c, 0xff]);
        let (lo, hi) = guid_range("1b2c3d4e-5").unwrap();
        assert_eq!(&lo[..5], &[0x1b, 0x2c, 0x3d, 0x4e, 0x50]);
        assert_eq!(&hi[..5], &[0x1b, 0x2c, 0x3d, 0x4e, 0x5f]);
        assert_eq!(guid_range(""), Some(([0; 16], [0xff; 16])));
        for none in ["g", "1b2c3d4e5", "1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0a", "-", "é"] {
            assert_eq!(guid_range(none), None, "{none}");
        }
    }

    proptest! {
        #[test]
        fn the_range_holds_exactly_the_texts_with_the_prefix(prefix in "[a\u{D7FF}\u{E000}\u{10FFFF}b]{0,4}", text in "[a\u{D7FF}\u{E000}\u{10FFFF}b]{0,5}") {
            let above_low = text.as_str() >= prefix.as_str();
            let below_high = text_upper_bound(&prefix).is_none_or(|hi| text < hi);
            prop_assert_eq!(above_low && below_high, text.starts_with(&prefix));
        }

        #[test]
        fn the_range_holds_exactly_the_guids_with_the_prefix(bytes: [u8; 16], cut in 0usize..37, upper: bool) {
            let text = uuid::Uuid::from_bytes(bytes).hyphenated().to_string();
            let prefix: String = text.chars().take(cut).collect();
            let prefix = if upper { prefix.to_uppercase() } else { prefix };
            let (lo, hi) = guid_range(&prefix).unwrap();
            prop_assert!(lo <= bytes && bytes <= hi);
            // And a GUID just outside either end does not carry the prefix.
            if let Some(below) = u128::from_be_bytes(lo).checked_sub(1) {
                let other = uuid::Uuid::from_u128(below).hyphenated().to_string();
                prop_assert!(!other.starts_with(&prefix.to_lowercase()));
            }
            if let Some(above) = u128::from_be_bytes(hi).checked_add(1) {
                let other = uuid::Uuid::from_u128(above).hyphenated().to_string();
                prop_assert!(!other.starts_with(&prefix.to_lowercase()));
            }
        }
    }
}
