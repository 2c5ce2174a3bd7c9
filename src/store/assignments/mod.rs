//! Badge assignment storage. Multi-row writes are one transaction each;
//! uniqueness of (site, member, badge) is the primary key's job. Each write
//! moves `badges.member_count` by what it changed, in its own transaction, so
//! the counts are exact at every commit. New assignments write their tag
//! index rows in the same transaction; a database trigger (see the
//! migrations) keeps them in step when tags change. Every statement names
//! the site, even where the ids it touches are fresh.

mod counts;
mod delete;
mod insert;
mod locks;
mod query;
mod tags;
