//! Moving sites in and out: export and import round trips on both
//! backends, refused input, a backup taken under writes, and a Wix site
//! (played by a second `insignia serve`) copied over HTTP.

#[path = "../common/mod.rs"]
mod common;

mod backup;
mod helpers;
mod refused;
mod round_trip;
mod stop;
mod wix;
