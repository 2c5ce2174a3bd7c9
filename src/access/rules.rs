//! One site's access rules in memory: its protected pages, found by path,
//! and whether each badge they name grants permissions.

use std::collections::HashMap;

use crate::domain::{BadgeId, PageId, PagePath, ProtectedPage};
use crate::store::AccessRules;

/// What a page costs in memory beyond its text and badges: the page value,
/// its two map slots and the path key's header (an estimate, for the budget).
const PAGE_OVERHEAD: usize = 256;

/// A site's pages, indexed by id and by normalised path.
#[derive(Debug, Default)]
pub struct SiteRules {
    pages: HashMap<PageId, ProtectedPage>,
    by_path: HashMap<String, PageId>,
    permissions: HashMap<BadgeId, bool>,
    weight: usize,
}

impl SiteRules {
    pub fn new(rules: AccessRules) -> Self {
        let mut weight = 0;
        let mut pages = HashMap::with_capacity(rules.pages.len());
        let mut by_path = HashMap::with_capacity(rules.pages.len());
        for page in rules.pages {
            weight += PAGE_OVERHEAD
                + 2 * page.path.as_str().len()
                + page.title.as_str().len()
                + 16 * page.badge_ids.as_slice().len();
            by_path.insert(page.path.as_str().to_owned(), page.id);
            pages.insert(page.id, page);
        }
        weight += 32 * rules.permissions.len();
        Self {
            pages,
            by_path,
            permissions: rules.permissions.into_iter().collect(),
            weight,
        }
    }

    pub fn page(&self, id: PageId) -> Option<&ProtectedPage> {
        self.pages.get(&id)
    }

    /// The page that decides access to `path`: the longest protected path
    /// that covers it by whole segments, if any.
    pub fn deciding_page(&self, path: &PagePath) -> Option<&ProtectedPage> {
        path.covering()
            .find_map(|prefix| self.by_path.get(prefix))
            .and_then(|id| self.pages.get(id))
    }

    /// Does holding `badge` grant permissions (its `permissionsEnabled`)?
    /// A badge no page names grants nothing here.
    pub fn grants(&self, badge: BadgeId) -> bool {
        self.permissions.get(&badge).copied().unwrap_or(false)
    }

    pub fn pages(&self) -> impl Iterator<Item = &ProtectedPage> {
        self.pages.values()
    }

    /// Pages in path order.
    pub fn pages_by_path(&self) -> Vec<&ProtectedPage> {
        let mut pages: Vec<&ProtectedPage> = self.pages.values().collect();
        pages.sort_by(|a, b| a.path.cmp(&b.path));
        pages
    }

    /// Roughly how many bytes these rules take in memory.
    pub fn weight(&self) -> usize {
        self.weight
    }
}
