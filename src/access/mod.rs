//! Badge permissions: which pages a badge unlocks, and the check "may
//! member M open page P", answered from memory.
//!
//! - [`rules`]: one site's pages, matched by path (longest covering path wins);
//! - [`decide`]: the rule, from a page and the member's badges to an answer
//!   with its reason;
//! - [`cache`]: sites' rules and members' badge sets in bounded LRU caches,
//!   forgotten when they change (by this instance at once, by others when
//!   their notices arrive, see `crate::cache`).

pub mod cache;
pub mod decide;
pub mod rules;

pub use cache::{AccessCache, CacheBudget};
pub use decide::{decide, Decision, Reason};
pub use rules::SiteRules;
