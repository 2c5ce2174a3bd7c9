use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A moment in UTC with millisecond precision, stored as milliseconds since
/// the Unix epoch and written on the wire as `2024-01-01T00:00:00.000Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn now() -> Self {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Self(ms)
    }

    pub fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub fn millis(&self) -> i64 {
        self.0
    }

    /// Parses an RFC 3339 date; precision below a millisecond is dropped.
    pub fn parse_rfc3339(raw: &str) -> Option<Self> {
        let parsed = OffsetDateTime::parse(raw, &Rfc3339).ok()?;
        let ms = parsed.unix_timestamp_nanos() / 1_000_000;
        i64::try_from(ms).ok().map(Self)
    }

    pub fn to_rfc3339(&self) -> String {
        self.to_string()
    }
}

/// `2024-01-01T00:00:00.000Z`, written straight into the output (answers
/// carry two per item); empty when out of range.
impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let nanos = i128::from(self.0) * 1_000_000;
        let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(nanos) else {
            return Ok(());
        };
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        )
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_utc_with_milliseconds() {
        let t = Timestamp::from_millis(1_714_557_600_123);
        assert_eq!(t.to_rfc3339(), "2024-05-01T10:00:00.123Z");
        assert_eq!(Timestamp::parse_rfc3339("2024-05-01T10:00:00.123Z"), Some(t));
        assert_eq!(Timestamp::parse_rfc3339("2024-05-01T12:00:00.123+02:00"), Some(t));
        assert_eq!(Timestamp::parse_rfc3339("yesterday"), None);
    }
}
