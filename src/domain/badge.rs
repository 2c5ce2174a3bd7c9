use super::{BadgeId, Color, FieldViolation, Image, SiteId, Slug, Timestamp};

/// The most badges one site may have: the answers that cover every badge of
/// a site (reordering, member counts, the older API's list) stay within it.
pub const MAX_BADGES_PER_SITE: i64 = 10_000;

/// A badge title: 1–50 characters (Unicode scalar values), not only spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgeTitle(String);

impl BadgeTitle {
    pub const MAX_LEN: usize = 50;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldViolation> {
        super::reject_nul(field, raw)?;
        let len = raw.chars().count();
        if raw.trim().is_empty() {
            return Err(FieldViolation::new(
                field,
                "REQUIRED_FIELD",
                format!("`{field}` must not be empty"),
            ));
        }
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

/// A badge description: at most 1,500 characters; empty means none.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BadgeDescription(String);

impl BadgeDescription {
    pub const MAX_LEN: usize = 1500;

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

/// A badge as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Badge {
    pub id: BadgeId,
    pub site_id: SiteId,
    pub revision: i64,
    pub title: BadgeTitle,
    pub description: BadgeDescription,
    pub background_color: Color,
    pub text_color: Color,
    pub icon: Option<Image>,
    pub permissions_enabled: bool,
    pub slug: Slug,
    pub display_order: i64,
    pub member_count: i64,
    pub created_date: Timestamp,
    pub updated_date: Timestamp,
}

/// Everything needed to create a badge; ids, slug, order and dates are the store's.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBadge {
    pub title: BadgeTitle,
    pub description: BadgeDescription,
    pub background_color: Color,
    pub text_color: Color,
    pub icon: Option<Image>,
    pub permissions_enabled: bool,
}

/// The fields an update changes; `None` leaves a field as it is.
/// `icon: Some(None)` removes the icon.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BadgePatch {
    pub title: Option<BadgeTitle>,
    pub description: Option<BadgeDescription>,
    pub background_color: Option<Color>,
    pub text_color: Option<Color>,
    pub icon: Option<Option<Image>>,
    pub permissions_enabled: Option<bool>,
}

impl BadgePatch {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The badge as it is after the patch (revision and dates are the store's).
    pub fn apply_to(&self, badge: &Badge) -> Badge {
        let mut next = badge.clone();
        if let Some(title) = &self.title {
            next.title = title.clone();
        }
        if let Some(description) = &self.description {
            next.description = description.clone();
        }
        if let Some(color) = &self.background_color {
            next.background_color = color.clone();
        }
        if let Some(color) = &self.text_color {
            next.text_color = color.clone();
        }
        if let Some(icon) = &self.icon {
            next.icon = icon.clone();
        }
        if let Some(enabled) = self.permissions_enabled {
            next.permissions_enabled = enabled;
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_is_one_to_fifty_characters() {
        assert!(BadgeTitle::parse("t", "").is_err());
        assert!(BadgeTitle::parse("t", "   ").is_err());
        assert!(BadgeTitle::parse("t", &"x".repeat(50)).is_ok());
        assert!(BadgeTitle::parse("t", &"é".repeat(50)).is_ok());
        assert_eq!(BadgeTitle::parse("t", &"x".repeat(51)).unwrap_err().rule, "MAX_LENGTH");
        assert_eq!(BadgeTitle::parse("t", "a\0b").unwrap_err().rule, "FORMAT");
    }

    #[test]
    fn description_is_at_most_1500_characters() {
        assert!(BadgeDescription::parse("d", "").is_ok());
        assert!(BadgeDescription::parse("d", &"x".repeat(1500)).is_ok());
        assert!(BadgeDescription::parse("d", &"x".repeat(1501)).is_err());
        assert!(BadgeDescription::parse("d", "\0").is_err());
    }
}
