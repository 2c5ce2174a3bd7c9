use std::fmt;

use uuid::Uuid;

use super::FieldViolation;

/// Parses a GUID the way Wix writes them (hyphenated, any case).
/// Anything else — braces, URNs, simple hex — is refused, so ids round-trip exactly.
pub fn parse_guid(field: &str, raw: &str) -> Result<Uuid, FieldViolation> {
    if raw.len() == 36 {
        if let Ok(id) = Uuid::try_parse(raw) {
            return Ok(id);
        }
    }
    Err(FieldViolation::new(
        field,
        "FORMAT",
        format!("`{field}` must be a GUID, got {:?}", truncate(raw)),
    ))
}

fn truncate(raw: &str) -> String {
    raw.chars().take(64).collect()
}

macro_rules! guid_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            pub fn parse(field: &str, raw: &str) -> Result<Self, FieldViolation> {
                parse_guid(field, raw).map(Self)
            }
            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
            /// The 16-byte form the store keeps: compact keys make small indexes.
            pub fn to_bytes(&self) -> Vec<u8> {
                self.0.as_bytes().to_vec()
            }
            pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
                Uuid::from_slice(bytes).ok().map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

guid_newtype!(
    /// The site (tenant) every row belongs to.
    SiteId
);
guid_newtype!(
    /// A badge's public id.
    BadgeId
);
guid_newtype!(
    /// A site member; Insignia does not own members, it only refers to them.
    MemberId
);

guid_newtype!(
    /// A badge assignment's public id.
    AssignmentId
);
guid_newtype!(
    /// A background job's id (bulk updates by filter).
    JobId
);
guid_newtype!(
    /// A protected page's id.
    PageId
);

macro_rules! time_ordered {
    ($($name:ident),*) => {$(
        impl $name {
            /// Time-ordered (v7) ids keep new rows at the right edge of the id index.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }
        }
    )*};
}
time_ordered!(BadgeId, AssignmentId, JobId, PageId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_hyphenated_guids_in_any_case() {
        let id = BadgeId::parse("id", "0D5C0A7E-1B7D-4C55-9A39-37D3F4C1A2B3").unwrap();
        assert_eq!(id.to_string(), "0d5c0a7e-1b7d-4c55-9a39-37d3f4c1a2b3");
    }

    #[test]
    fn refuses_other_forms() {
        for raw in [
            "",
            "abc",
            "0d5c0a7e1b7d4c559a3937d3f4c1a2b3",
            "{0d5c0a7e-1b7d-4c55-9a39-37d3f4c1a2b3}",
            "' OR 1=1 --",
        ] {
            assert!(BadgeId::parse("id", raw).is_err(), "{raw}");
        }
    }
}
