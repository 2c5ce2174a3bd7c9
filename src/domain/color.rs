use super::FieldViolation;

/// A `#RRGGBB` colour, kept in upper case whatever case it arrived in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Color(String);

impl Color {
    pub const DEFAULT_BACKGROUND: &'static str = "#796EFF";
    pub const DEFAULT_TEXT: &'static str = "#FFFFFF";

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldViolation> {
        let hex = raw.strip_prefix('#').unwrap_or("");
        if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(format!("#{}", hex.to_ascii_uppercase())))
        } else {
            Err(FieldViolation::new(
                field,
                "COLOR_HEX",
                format!("`{field}` must be a colour in the form #RRGGBB"),
            ))
        }
    }

    pub fn default_background() -> Self {
        Self(Self::DEFAULT_BACKGROUND.to_owned())
    }

    pub fn default_text() -> Self {
        Self(Self::DEFAULT_TEXT.to_owned())
    }

    /// For values read back from the store, which only ever holds parsed colours.
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
    fn stores_upper_case() {
        assert_eq!(Color::parse("c", "#a1b2c3").unwrap().as_str(), "#A1B2C3");
    }

    #[test]
    fn refuses_everything_but_six_hex_digits() {
        for raw in ["", "#", "#FFF", "FFFFFF", "#GGGGGG", "#FFFFFFF", "red", "#FFFFF\u{e9}"] {
            assert!(Color::parse("c", raw).is_err(), "{raw:?}");
        }
    }

    proptest! {
        #[test]
        fn any_valid_colour_round_trips_upper_case(r: u8, g: u8, b: u8) {
            let raw = format!("#{r:02x}{g:02x}{b:02X}");
            let parsed = Color::parse("c", &raw).unwrap();
            prop_assert_eq!(parsed.as_str(), raw.to_ascii_uppercase());
        }

        #[test]
        fn parser_never_panics(raw in ".*") {
            let _ = Color::parse("c", &raw);
        }
    }
}
