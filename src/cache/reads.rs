//! The read caches: badges by id (GetBadge), and each member's assignments
//! (the query "badges of one member"), from memory where that is correct.
//!
//! Both live in one least-recently-used map with a budget in bytes, spread
//! over a few locks. Changes are applied by forgetting:
//!
//! - a badge's fields, its order and its holder count change with badge
//!   writes and with every assignment write of its site, so any such notice
//!   forgets all the site's badges at once: the site's *badge generation* is
//!   part of every badge key, and a notice moves it on (old entries can no
//!   longer be found and age out of the map);
//! - a member's assignments change only with that member's assignment
//!   writes, which name the member: those entries are forgotten one by one;
//!   a notice for "any member of the site" moves the site's *member
//!   generation* on.
//!
//! A load that began before a change finished must not put the old value
//! back: it stores only under the generation it read before loading (one
//! the change has since left behind), and only if no entry of its lock was
//! forgotten meanwhile (the map's epoch, see `weighted`).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use super::weighted::{lock, Weighted};
use crate::domain::{Badge, BadgeAssignment, BadgeId, MemberId, SiteId};
use crate::store::notices::ChangeNotice;
use crate::store::{Store, StoreResult};

/// Entries are spread over this many locks, so concurrent reads rarely wait.
const SHARDS: usize = 16;
/// What one entry costs besides its value: key, LRU node and map slot, the
/// shared value's header (an estimate).
const ENTRY_OVERHEAD: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ReadKey {
    Badge {
        site: SiteId,
        generation: u64,
        id: BadgeId,
    },
    Member {
        site: SiteId,
        generation: u64,
        member: MemberId,
    },
}

#[derive(Clone)]
enum Cached {
    Badge(Arc<Badge>),
    Assignments(Arc<[BadgeAssignment]>),
}

/// Where a site's badge and member entries are at (see the module).
#[derive(Default)]
struct Generations {
    badges: AtomicU64,
    members: AtomicU64,
}

type Shard = Mutex<Weighted<ReadKey, Cached>>;

/// Badges and members' assignments, shared by every request of one instance.
pub struct ReadCache {
    shards: Box<[Shard]>,
    /// Only sites that changed since this instance started are here; the
    /// others are at generation 0.
    generations: RwLock<HashMap<SiteId, Arc<Generations>>>,
    /// False while changes made elsewhere cannot be followed: then every
    /// read goes to the store, and nothing is kept.
    following: AtomicBool,
}

impl ReadCache {
    /// `budget`: bytes for everything kept.
    pub fn new(budget: usize, following: bool) -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(Weighted::new(budget / SHARDS)))
                .collect(),
            generations: RwLock::default(),
            following: AtomicBool::new(following),
        }
    }

    fn shard(&self, key: &ReadKey) -> &Shard {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut hasher);
        &self.shards[(hasher.finish() as usize) % SHARDS]
    }

    fn generations_of(&self, site: SiteId) -> Option<Arc<Generations>> {
        let map = self.generations.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        map.get(&site).cloned()
    }

    fn badge_key(&self, site: SiteId, id: BadgeId) -> ReadKey {
        let generation = self
            .generations_of(site)
            .map_or(0, |g| g.badges.load(Ordering::Acquire));
        ReadKey::Badge { site, generation, id }
    }

    fn member_key(&self, site: SiteId, member: MemberId) -> ReadKey {
        let generation = self
            .generations_of(site)
            .map_or(0, |g| g.members.load(Ordering::Acquire));
        ReadKey::Member {
            site,
            generation,
            member,
        }
    }

    /// Moves a site's generations on; every entry under the old one is gone.
    fn advance(&self, site: SiteId, badges: bool, members: bool) {
        let generations = match self.generations_of(site) {
            Some(g) => g,
            None => {
                let mut map = self
                    .generations
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                map.entry(site).or_default().clone()
            }
        };
        if badges {
            generations.badges.fetch_add(1, Ordering::AcqRel);
        }
        if members {
            generations.members.fetch_add(1, Ordering::AcqRel);
        }
    }

    fn following(&self) -> bool {
        self.following.load(Ordering::Acquire)
    }

    /// The entry under `key`, or the shard's epoch to load it under.
    fn lookup(&self, key: &ReadKey) -> Result<Cached, u64> {
        let mut shard = lock(self.shard(key));
        match shard.get(key) {
            Some(found) => Ok(found),
            None => Err(shard.epoch),
        }
    }

    fn keep(&self, key: ReadKey, value: Cached, weight: usize, epoch: u64) {
        if self.following() {
            lock(self.shard(&key)).put(key, value, ENTRY_OVERHEAD + weight, epoch);
        }
    }

    /// The badge, from memory or the store (a missing badge is not kept).
    pub async fn badge(&self, store: &dyn Store, site: SiteId, id: BadgeId) -> StoreResult<Option<Arc<Badge>>> {
        if !self.following() {
            return Ok(store.get_badge(site, id).await?.map(Arc::new));
        }
        let key = self.badge_key(site, id);
        let epoch = match self.lookup(&key) {
            Ok(Cached::Badge(badge)) => return Ok(Some(badge)),
            Ok(Cached::Assignments(_)) => unreachable!("a badge key holds a badge"),
            Err(epoch) => epoch,
        };
        let Some(badge) = store.get_badge(site, id).await? else {
            return Ok(None);
        };
        let badge = Arc::new(badge);
        self.keep(key, Cached::Badge(badge.clone()), badge_weight(&badge), epoch);
        Ok(Some(badge))
    }

    /// The member's assignments in the store's default order, from memory
    /// or from `load`. `load` answers `None` when the member holds more than
    /// it reads at once: such a list is not kept.
    pub async fn member_assignments<F, Fut>(
        &self,
        site: SiteId,
        member: MemberId,
        load: F,
    ) -> StoreResult<Option<Arc<[BadgeAssignment]>>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = StoreResult<Option<Vec<BadgeAssignment>>>>,
    {
        let key = self.member_key(site, member);
        let epoch = if self.following() {
            match self.lookup(&key) {
                Ok(Cached::Assignments(list)) => return Ok(Some(list)),
                Ok(Cached::Badge(_)) => unreachable!("a member key holds assignments"),
                Err(epoch) => Some(epoch),
            }
        } else {
            None
        };
        let Some(list) = load().await? else {
            return Ok(None);
        };
        let list: Arc<[BadgeAssignment]> = list.into();
        if let Some(epoch) = epoch {
            let weight = list.iter().map(assignment_weight).sum();
            self.keep(key, Cached::Assignments(list.clone()), weight, epoch);
        }
        Ok(Some(list))
    }

    /// Forgets what `notice` says changed (see the module).
    pub fn apply(&self, notice: &ChangeNotice) {
        match notice {
            ChangeNotice::Pages(_) | ChangeNotice::Sessions(..) => {}
            ChangeNotice::Badges(site) => self.advance(*site, true, false),
            ChangeNotice::Members(site, members) => {
                // Holder counts moved.
                self.advance(*site, true, false);
                for member in members {
                    let key = self.member_key(*site, *member);
                    lock(self.shard(&key)).forget(&key);
                }
            }
            ChangeNotice::AllMembers(site) => self.advance(*site, true, true),
        }
    }

    /// Forgets everything, and keeps nothing until [`resume`](Self::resume).
    pub fn suspend(&self) {
        self.following.store(false, Ordering::Release);
        self.forget_all();
    }

    /// Changes made elsewhere are followed again: forget what may have been
    /// missed, and cache again.
    pub fn resume(&self) {
        self.forget_all();
        self.following.store(true, Ordering::Release);
    }

    fn forget_all(&self) {
        for shard in self.shards.iter() {
            lock(shard).clear();
        }
    }

    /// What the cache holds: `(entries, bytes)`.
    pub fn usage(&self) -> (usize, usize) {
        self.shards.iter().fold((0, 0), |(n, bytes), shard| {
            let shard = lock(shard);
            (n + shard.entries.len(), bytes + shard.weight)
        })
    }
}

fn badge_weight(badge: &Badge) -> usize {
    std::mem::size_of::<Badge>()
        + badge.title.as_str().len()
        + badge.description.as_str().len()
        + badge.slug.as_str().len()
        + badge.icon.as_ref().map_or(0, |icon| {
            icon.id.as_ref().map_or(0, String::len) + icon.url.as_ref().map_or(0, String::len) + 64
        })
}

fn assignment_weight(assignment: &BadgeAssignment) -> usize {
    let tags = &assignment.tags;
    let tag_bytes: usize = [&tags.public, &tags.private]
        .iter()
        .flat_map(|ids| ids.as_slice())
        .map(|tag| std::mem::size_of::<String>() + tag.len())
        .sum();
    // A JSON value takes a few times its text in memory.
    let extended = assignment
        .extended_fields
        .as_ref()
        .map_or(0, |v| v.to_string().len() * 4);
    std::mem::size_of::<BadgeAssignment>() + tag_bytes + extended
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AssignmentId, Tags, Timestamp};

    fn assignment(site_member: MemberId) -> BadgeAssignment {
        BadgeAssignment {
            id: AssignmentId::generate(),
            badge_id: BadgeId::generate(),
            member_id: site_member,
            tags: Tags::default(),
            extended_fields: None,
            created_date: Timestamp::now(),
            updated_date: Timestamp::now(),
        }
    }

    /// Reads the member's list through the cache; `loads` counts store reads.
    async fn read(
        cache: &ReadCache,
        site: SiteId,
        member: MemberId,
        store: &[BadgeAssignment],
        loads: &mut u32,
    ) -> usize {
        let list = cache
            .member_assignments(site, member, || {
                *loads += 1;
                let rows = store.to_vec();
                async move { Ok(Some(rows)) }
            })
            .await
            .unwrap()
            .unwrap();
        list.len()
    }

    #[tokio::test]
    async fn a_members_list_is_kept_until_a_notice_names_the_member_or_the_site() {
        let cache = ReadCache::new(1 << 20, true);
        let site = SiteId::from_uuid(uuid::Uuid::new_v4());
        let (member, other) = (
            MemberId::from_uuid(uuid::Uuid::new_v4()),
            MemberId::from_uuid(uuid::Uuid::new_v4()),
        );
        let mut store = vec![assignment(member)];
        let mut loads = 0;
        assert_eq!(read(&cache, site, member, &store, &mut loads).await, 1);
        assert_eq!(read(&cache, site, member, &store, &mut loads).await, 1);
        assert_eq!(loads, 1, "the second read comes from memory");

        cache.apply(&ChangeNotice::members(site, [other]));
        assert_eq!(read(&cache, site, member, &store, &mut loads).await, 1);
        assert_eq!(loads, 1, "another member's change keeps this list");

        store.push(assignment(member));
        cache.apply(&ChangeNotice::members(site, [member]));
        assert_eq!(read(&cache, site, member, &store, &mut loads).await, 2);
        assert_eq!(loads, 2);

        store.push(assignment(member));
        cache.apply(&ChangeNotice::AllMembers(site));
        assert_eq!(read(&cache, site, member, &store, &mut loads).await, 3);
        assert_eq!(loads, 3);
    }

    #[tokio::test]
    async fn a_load_that_a_change_overtook_is_not_kept() {
        let cache = ReadCache::new(1 << 20, true);
        let site = SiteId::from_uuid(uuid::Uuid::new_v4());
        let member = MemberId::from_uuid(uuid::Uuid::new_v4());
        let old = vec![assignment(member)];
        // The change commits (and is applied) while the load is reading the old rows.
        let raced = cache
            .member_assignments(site, member, || {
                cache.apply(&ChangeNotice::members(site, [member]));
                let rows = old.clone();
                async move { Ok(Some(rows)) }
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(raced.len(), 1);
        let mut loads = 0;
        assert_eq!(read(&cache, site, member, &[], &mut loads).await, 0);
        assert_eq!(loads, 1, "the old rows were not kept");
    }

    #[tokio::test]
    async fn nothing_is_kept_while_changes_cannot_be_followed() {
        let cache = ReadCache::new(1 << 20, true);
        let site = SiteId::from_uuid(uuid::Uuid::new_v4());
        let member = MemberId::from_uuid(uuid::Uuid::new_v4());
        let store = vec![assignment(member)];
        let mut loads = 0;
        read(&cache, site, member, &store, &mut loads).await;
        cache.suspend();
        read(&cache, site, member, &store, &mut loads).await;
        read(&cache, site, member, &store, &mut loads).await;
        assert_eq!((loads, cache.usage().0), (3, 0));
        cache.resume();
        read(&cache, site, member, &store, &mut loads).await;
        read(&cache, site, member, &store, &mut loads).await;
        assert_eq!(loads, 4);
    }

    #[tokio::test]
    async fn the_budget_bounds_what_is_kept() {
        // Room for a few lists per lock, not for a thousand members.
        let cache = ReadCache::new(SHARDS * 4 * (ENTRY_OVERHEAD + 200), true);
        let site = SiteId::from_uuid(uuid::Uuid::new_v4());
        for _ in 0..1000 {
            let member = MemberId::from_uuid(uuid::Uuid::new_v4());
            let mut loads = 0;
            read(&cache, site, member, &[assignment(member)], &mut loads).await;
        }
        let (entries, bytes) = cache.usage();
        assert!(
            entries < 1000 && bytes <= SHARDS * 4 * (ENTRY_OVERHEAD + 200),
            "{entries} entries, {bytes} bytes"
        );
    }
}
