//! Store conformance suite: the semantics every `Store` backend must share,
//! written once against the trait and run on SQLite always and on
//! PostgreSQL when `INSIGNIA_TEST_DATABASE_URL` is set (each test in a fresh
//! database or schema, dropped afterwards).

#[path = "../common/mod.rs"]
mod common;

mod admin;
mod assignments;
mod badges;
mod group_commit;
mod keys;
mod ordering;
mod queries;
mod support;
mod tenancy;
