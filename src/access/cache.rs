//! The caches behind the access check: each site's rules, and members'
//! badge sets, each a least-recently-used cache with a budget in bytes, so
//! memory stays bounded whatever the number of sites, pages, members or
//! assignments.
//!
//! Consistency: a change is applied by *forgetting* what it touched (see
//! [`AccessCache::apply`]); the next read loads it from the store again. A
//! load that began before a change finished must not put the old value back,
//! so every forget bumps an epoch, and a load stores its result only if the
//! epoch it started under is still current.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::rules::SiteRules;
use crate::cache::weighted::{lock, Weighted};
use crate::domain::{BadgeId, MemberId, SiteId};
use crate::store::notices::ChangeNotice;
use crate::store::{Store, StoreResult};

/// Memory budgets of the caches.
#[derive(Debug, Clone, Copy)]
pub struct CacheBudget {
    /// Bytes for members' badge sets.
    pub member_bytes: usize,
    /// Bytes for sites' pages.
    pub page_bytes: usize,
}

impl Default for CacheBudget {
    fn default() -> Self {
        Self {
            member_bytes: 64 << 20,
            page_bytes: 64 << 20,
        }
    }
}

/// What one cached badge set costs besides its ids: the key, the LRU's
/// node and map slot, and the shared slice's header (an estimate).
const MEMBER_OVERHEAD: usize = 112;
/// Member sets are spread over this many locks, so concurrent checks rarely wait.
const MEMBER_SHARDS: usize = 16;

/// One lock's share of members' badge sets.
type MemberShard = Mutex<Weighted<(SiteId, MemberId), Arc<[BadgeId]>>>;

/// Sites' rules and members' badge sets, shared by every request of one instance.
pub struct AccessCache {
    sites: Mutex<Weighted<SiteId, Arc<SiteRules>>>,
    members: Box<[MemberShard]>,
    /// Loads of one site's rules wait for each other rather than all read the store.
    site_loads: tokio::sync::Mutex<std::collections::HashMap<SiteId, Arc<tokio::sync::Mutex<()>>>>,
    /// False while changes made elsewhere cannot be followed (before the
    /// follower has connected, or after it lost its connection): then every
    /// read goes to the store, and nothing is kept.
    following: AtomicBool,
}

impl AccessCache {
    /// `following`: whether changes by other processes are followed from the
    /// start (true when nothing else writes the database).
    pub fn new(budget: CacheBudget, following: bool) -> Self {
        let shard_budget = budget.member_bytes / MEMBER_SHARDS;
        Self {
            sites: Mutex::new(Weighted::new(budget.page_bytes)),
            members: (0..MEMBER_SHARDS)
                .map(|_| Mutex::new(Weighted::new(shard_budget)))
                .collect(),
            site_loads: Default::default(),
            following: AtomicBool::new(following),
        }
    }

    fn shard(&self, member: MemberId) -> &MemberShard {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        member.hash(&mut hasher);
        &self.members[(hasher.finish() as usize) % MEMBER_SHARDS]
    }

    fn following(&self) -> bool {
        self.following.load(Ordering::Acquire)
    }

    /// The site's rules, from memory or loaded once from the store.
    pub async fn rules(&self, store: &dyn Store, site: SiteId) -> StoreResult<Arc<SiteRules>> {
        if !self.following() {
            return Ok(Arc::new(SiteRules::new(store.access_rules(site).await?)));
        }
        if let Some(rules) = lock(&self.sites).get(&site) {
            return Ok(rules);
        }
        let gate = {
            let mut loads = self.site_loads.lock().await;
            loads.entry(site).or_default().clone()
        };
        let _turn = gate.lock().await;
        if let Some(rules) = lock(&self.sites).get(&site) {
            return Ok(rules);
        }
        let epoch = lock(&self.sites).epoch;
        let loaded = store
            .access_rules(site)
            .await
            .map(|rules| Arc::new(SiteRules::new(rules)));
        if let Ok(rules) = &loaded {
            lock(&self.sites).put(site, rules.clone(), rules.weight(), epoch);
        }
        self.site_loads.lock().await.remove(&site);
        loaded
    }

    /// The badges `member` holds, sorted, from memory or the store.
    pub async fn member_badges(
        &self,
        store: &dyn Store,
        site: SiteId,
        member: MemberId,
    ) -> StoreResult<Arc<[BadgeId]>> {
        let following = self.following();
        let shard = self.shard(member);
        let epoch = {
            let mut shard = lock(shard);
            if following {
                if let Some(held) = shard.get(&(site, member)) {
                    return Ok(held);
                }
            }
            shard.epoch
        };
        let mut held = store.member_badges(site, member).await?;
        held.sort();
        let held: Arc<[BadgeId]> = held.into();
        if following {
            lock(shard).put((site, member), held.clone(), MEMBER_OVERHEAD + 16 * held.len(), epoch);
        }
        Ok(held)
    }

    /// Forgets what `notice` says changed; the next read loads it afresh.
    /// Called after this instance's own writes commit (so it reads its own
    /// writes), and for every notice of other instances.
    pub fn apply(&self, notice: &ChangeNotice) {
        match notice {
            ChangeNotice::Pages(site) => lock(&self.sites).forget(site),
            // Whether a badge opens pages comes with a `Pages` notice.
            ChangeNotice::Badges(_) => {}
            ChangeNotice::Sessions(..) => {}
            ChangeNotice::Members(site, members) => {
                for member in members {
                    lock(self.shard(*member)).forget(&(*site, *member));
                }
            }
            ChangeNotice::AllMembers(site) => {
                for shard in self.members.iter() {
                    lock(shard).forget_where(|(s, _)| s == site);
                }
            }
        }
    }

    /// Forgets everything, and keeps nothing until [`resume`](Self::resume):
    /// changes made elsewhere may be missed meanwhile.
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
        lock(&self.sites).clear();
        for shard in self.members.iter() {
            lock(shard).clear();
        }
    }

    /// What the caches hold: `(sites, site bytes, members, member bytes)`.
    pub fn usage(&self) -> (usize, usize, usize, usize) {
        let sites = lock(&self.sites);
        let (mut members, mut member_bytes) = (0, 0);
        for shard in self.members.iter() {
            let shard = lock(shard);
            members += shard.entries.len();
            member_bytes += shard.weight;
        }
        (sites.entries.len(), sites.weight, members, member_bytes)
    }
}
