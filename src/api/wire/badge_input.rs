//! Badge fields as both API generations send them. The older API sends the
//! icon as a URL string, V4 as an Image object; `Image::parse` takes both.

use serde_json::{Map, Value};

use crate::api::error::ApiError;
use crate::api::json::Fields;
use crate::domain::{BadgeDescription, BadgePatch, BadgeTitle, Color, Image, NewBadge};

/// What a create does with a colour it was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingColour {
    /// V4: the SDK marks both colours `@requiredField`, so Wix answers 400.
    Refuse,
    /// The older API documents `#796EFF` and `#FFFFFF` as the defaults.
    Default,
}

/// Read-only fields (`id`, `revision`, `slug`, dates, …) are ignored, as Wix does.
pub fn new_badge(obj: &Map<String, Value>, prefix: &str, missing: MissingColour) -> Result<NewBadge, ApiError> {
    let mut f = Fields::new(obj, prefix);
    let title = f.required_str("title").and_then(|t| {
        let path = f.path("title");
        f.check(BadgeTitle::parse(&path, t))
    });
    let description = description(&mut f).unwrap_or_default();
    let background_color = new_colour(&mut f, "backgroundColor", missing, Color::default_background);
    let text_color = new_colour(&mut f, "textColor", missing, Color::default_text);
    let icon = icon(&mut f).flatten();
    let permissions_enabled = f.bool("permissionsEnabled").unwrap_or(false);
    f.finish()?;
    Ok(NewBadge {
        title: title.ok_or_else(ApiError::internal)?,
        description,
        background_color: background_color.ok_or_else(ApiError::internal)?,
        text_color: text_color.ok_or_else(ApiError::internal)?,
        icon,
        permissions_enabled,
    })
}

/// Only the fields present change; `null` means "not sent".
pub fn badge_patch(obj: &Map<String, Value>, prefix: &str) -> Result<BadgePatch, ApiError> {
    let mut f = Fields::new(obj, prefix);
    let title = f.str("title").and_then(|t| {
        let path = f.path("title");
        f.check(BadgeTitle::parse(&path, t))
    });
    let patch = BadgePatch {
        title,
        description: description(&mut f),
        background_color: color(&mut f, "backgroundColor"),
        text_color: color(&mut f, "textColor"),
        icon: icon(&mut f),
        permissions_enabled: f.bool("permissionsEnabled"),
    };
    f.finish()?;
    Ok(patch)
}

fn description(f: &mut Fields) -> Option<BadgeDescription> {
    let raw = f.str("description")?;
    let path = f.path("description");
    f.check(BadgeDescription::parse(&path, raw))
}

/// A new badge's colour; `None` only when a violation was recorded.
fn new_colour(f: &mut Fields, name: &str, missing: MissingColour, default: fn() -> Color) -> Option<Color> {
    match missing {
        MissingColour::Refuse => {
            let raw = f.required_str(name)?;
            let path = f.path(name);
            f.check(Color::parse(&path, raw))
        }
        // An invalid colour records its violation and `finish` refuses the input.
        MissingColour::Default => Some(color(f, name).unwrap_or_else(default)),
    }
}

fn color(f: &mut Fields, name: &str) -> Option<Color> {
    let raw = f.str(name)?;
    let path = f.path(name);
    f.check(Color::parse(&path, raw))
}

/// `Some(None)` when the icon is cleared (an empty URL).
fn icon(f: &mut Fields) -> Option<Option<Image>> {
    let raw = f.get("icon")?;
    let path = f.path("icon");
    f.check(Image::parse(&path, raw))
}
