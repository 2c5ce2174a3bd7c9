//! Change notices for the in-memory caches of other instances.
//!
//! Every write that changes what a cache holds (the access check's rules
//! and badge sets, the read caches' badges and members' assignments) records
//! a notice in its site write (`SqlStore::notify`). When the write commits,
//! its notices reach this process's caches at once, before the writer
//! answers ([`LocalNotices`]): an instance always reads its own writes.
//!
//! On PostgreSQL the same notices are sent with `pg_notify` inside the
//! transaction, so they are delivered exactly when the change commits and
//! never for a change that rolled back. Instances listen on [`CHANNEL`]
//! (see `cache::follower`). One channel serves every schema of a database,
//! so each notice starts with the schema it was written in. On SQLite one
//! process serves a database file, and nothing is sent.

use std::sync::{RwLock, Weak};

use sqlx::postgres::PgListener;
use sqlx::AnyConnection;

use super::{StoreError, StoreResult};
use crate::domain::{MemberId, SiteId};
use crate::query::Dialect;

/// The PostgreSQL channel notices travel on.
pub const CHANNEL: &str = "insignia_changes";

/// A notice names at most this many members; a larger change names the site.
const MAX_MEMBERS: usize = 100;

/// A notice names at most this many revoked sessions (33 bytes each; a
/// PostgreSQL notice holds under 8,000).
const MAX_SESSIONS: usize = 100;

/// What changed, as far as cached access rules and badge sets care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeNotice {
    /// The site's pages, or the permissions of badges, changed.
    Pages(SiteId),
    /// Some of the site's badges changed or went (their fields, their order).
    Badges(SiteId),
    /// These members gained or lost badges.
    Members(SiteId, Vec<MemberId>),
    /// Any member of the site may have gained or lost badges.
    AllMembers(SiteId),
    /// These front-end sessions were revoked: their access tokens must be
    /// refused from now on.
    Sessions(SiteId, Vec<String>),
}

impl ChangeNotice {
    /// A notice for the members whose badges changed (the site, when many).
    pub fn members(site: SiteId, members: impl IntoIterator<Item = MemberId>) -> Self {
        let mut members: Vec<MemberId> = members.into_iter().collect();
        members.sort();
        members.dedup();
        if members.len() > MAX_MEMBERS {
            ChangeNotice::AllMembers(site)
        } else {
            ChangeNotice::Members(site, members)
        }
    }

    /// A notice per [`MAX_SESSIONS`] revoked sessions (a payload stays small).
    pub fn sessions(site: SiteId, ids: &[String]) -> Vec<Self> {
        ids.chunks(MAX_SESSIONS)
            .map(|chunk| ChangeNotice::Sessions(site, chunk.to_vec()))
            .collect()
    }

    /// The payload after the schema: `pages SITE`, `badges SITE`, `members SITE M1 M2 …`,
    /// `all-members SITE`, `sessions SITE S1 S2 …`.
    pub fn encode(&self) -> String {
        match self {
            ChangeNotice::Pages(site) => format!("pages {site}"),
            ChangeNotice::Badges(site) => format!("badges {site}"),
            ChangeNotice::AllMembers(site) => format!("all-members {site}"),
            ChangeNotice::Members(site, members) => {
                let mut text = format!("members {site}");
                for member in members {
                    text.push(' ');
                    text.push_str(&member.to_string());
                }
                text
            }
            ChangeNotice::Sessions(site, ids) => format!("sessions {site} {}", ids.join(" ")),
        }
    }

    pub fn decode(text: &str) -> Option<Self> {
        let mut words = text.split(' ');
        let kind = words.next()?;
        let site = SiteId::parse("site", words.next()?).ok()?;
        match kind {
            "pages" => Some(ChangeNotice::Pages(site)),
            "badges" => Some(ChangeNotice::Badges(site)),
            "all-members" => Some(ChangeNotice::AllMembers(site)),
            "members" => words
                .map(|w| MemberId::parse("member", w).ok())
                .collect::<Option<Vec<_>>>()
                .map(|members| ChangeNotice::Members(site, members)),
            "sessions" => Some(ChangeNotice::Sessions(site, words.map(str::to_owned).collect())),
            _ => None,
        }
    }
}

/// What forgets what a notice names: the caches of this process.
pub trait NoticeSink: Send + Sync {
    fn apply(&self, notice: &ChangeNotice);
}

/// This process's caches, told of each notice as soon as its write commits.
#[derive(Default)]
pub struct LocalNotices {
    sinks: RwLock<Vec<Weak<dyn NoticeSink>>>,
}

impl LocalNotices {
    /// `sink` hears every notice committed from now on, while it lives.
    pub fn subscribe(&self, sink: Weak<dyn NoticeSink>) {
        let mut sinks = self.sinks.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        sinks.retain(|s| s.strong_count() > 0);
        sinks.push(sink);
    }

    /// Called after a write committed, with the notices it recorded.
    pub(super) fn publish(&self, notices: &[ChangeNotice]) {
        if notices.is_empty() {
            return;
        }
        let sinks = self.sinks.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        for sink in sinks.iter().filter_map(Weak::upgrade) {
            for notice in notices {
                sink.apply(notice);
            }
        }
    }
}

/// Sends `notice` when the transaction on `conn` commits (PostgreSQL only).
pub(super) async fn notify(conn: &mut AnyConnection, dialect: Dialect, notice: &ChangeNotice) -> StoreResult<()> {
    if dialect != Dialect::Postgres {
        return Ok(());
    }
    sqlx::query("SELECT pg_notify($1, current_schema() || ' ' || $2)")
        .bind(CHANNEL)
        .bind(notice.encode())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Where notices of one database are heard: the server, and the schema
/// whose notices count.
#[derive(Debug, Clone)]
pub(super) struct NoticeSource {
    pub url: String,
    pub schema: Option<String>,
}

/// A connection listening for the notices of one schema.
pub struct NoticeListener {
    listener: PgListener,
    schema: String,
}

impl NoticeListener {
    /// Connects and listens; notices of changes committed from now on arrive.
    pub(super) async fn connect(source: &NoticeSource) -> StoreResult<Self> {
        let mut listener = PgListener::connect(&source.url).await?;
        let schema = match &source.schema {
            Some(schema) => schema.clone(),
            None => {
                sqlx::query_scalar::<_, String>("SELECT current_schema()")
                    .fetch_one(&mut listener)
                    .await?
            }
        };
        listener.listen(CHANNEL).await?;
        Ok(Self { listener, schema })
    }

    /// The next notice of this schema. `Err` when the connection was lost:
    /// notices may have been missed, and this listener is done.
    pub async fn next(&mut self) -> StoreResult<ChangeNotice> {
        loop {
            let Some(notification) = self.listener.try_recv().await? else {
                return Err(StoreError::Config("change notices connection lost".into()));
            };
            let Some((schema, rest)) = notification.payload().split_once(' ') else {
                continue;
            };
            if schema != self.schema {
                continue;
            }
            if let Some(notice) = ChangeNotice::decode(rest) {
                return Ok(notice);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_round_trip_and_many_members_name_the_site() {
        let site = SiteId::from_uuid(uuid::Uuid::new_v4());
        let members: Vec<MemberId> = (0..3).map(|_| MemberId::from_uuid(uuid::Uuid::new_v4())).collect();
        for notice in [
            ChangeNotice::Pages(site),
            ChangeNotice::Badges(site),
            ChangeNotice::AllMembers(site),
            ChangeNotice::members(site, members.clone()),
            ChangeNotice::Sessions(site, vec!["0f".repeat(16), "a1".repeat(16)]),
        ] {
            assert_eq!(ChangeNotice::decode(&notice.encode()), Some(notice));
        }
        let many = (0..=MAX_MEMBERS).map(|_| MemberId::from_uuid(uuid::Uuid::new_v4()));
        assert_eq!(ChangeNotice::members(site, many), ChangeNotice::AllMembers(site));
        assert_eq!(ChangeNotice::decode("members nonsense"), None);
        assert_eq!(ChangeNotice::decode(""), None);
        let ids: Vec<String> = (0..=MAX_SESSIONS).map(|i| format!("{i:032x}")).collect();
        let notices = ChangeNotice::sessions(site, &ids);
        assert_eq!(notices.len(), 2);
        assert!(
            notices.iter().all(|n| n.encode().len() < 8_000),
            "fits a PostgreSQL notice"
        );
    }
}
