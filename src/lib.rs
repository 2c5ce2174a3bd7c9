//! Insignia: a self-hosted member-badges service that speaks the Wix Members
//! Badges APIs on the wire.

pub mod access;
pub mod api;
pub mod cache;
pub mod changes;
pub mod config;
pub mod diagnostics;
pub mod domain;
pub mod events;
pub mod jobs;
pub mod query;
pub mod server;
pub mod service;
pub mod store;
pub mod transfer;
pub mod web;
