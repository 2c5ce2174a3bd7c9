/// What an API key may do. Managing implies reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    ManageBadges,
    ReadBadges,
}

impl Scope {
    pub const MANAGE_BADGES: &'static str = "SCOPE.DC-MEMBERS.MANAGE-BADGES";
    pub const READ_BADGES: &'static str = "SCOPE.DC-MEMBERS.READ-BADGES";

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            Self::MANAGE_BADGES => Some(Scope::ManageBadges),
            Self::READ_BADGES => Some(Scope::ReadBadges),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ManageBadges => Self::MANAGE_BADGES,
            Scope::ReadBadges => Self::READ_BADGES,
        }
    }

    /// Does holding `self` allow what `needed` guards?
    pub fn covers(self, needed: Scope) -> bool {
        self == needed || (self == Scope::ManageBadges && needed == Scope::ReadBadges)
    }
}
