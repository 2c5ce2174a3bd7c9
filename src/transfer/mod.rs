//! Moving sites in and out: `insignia export`, `insignia import FILE`,
//! `insignia import wix` and `insignia backup`. Each long command shows
//! progress and stops cleanly at a batch boundary on Ctrl-C.

pub mod cli;
pub mod export;
pub mod import;
pub mod jsonl;
pub mod progress;
pub mod stop;
pub mod wix;
