//! API integration tests: the real router over a fresh database per test,
//! on SQLite and (when `INSIGNIA_TEST_DATABASE_URL` is set) PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod access_props;
mod admin;
mod assignments;
mod auth_matrix;
mod badges;
mod body_fuzz;
mod edge;
mod errors;
mod events;
mod helpers;
mod identity;
mod jobs;
mod legacy;
mod nginx;
mod ordering;
mod pages;
mod queries;
mod reads;
mod tenancy;
mod webhooks;
