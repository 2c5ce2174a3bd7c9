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

use crate::store::ConnectOptions;

/// The database settings of `export`, `import` and `backup`. Each runs in
/// a process of its own and reads or writes a whole site through one or two
/// connections, so SQLite gets what `serve` shares out thinly among many:
/// a page cache that holds a whole import batch's changed pages (a batch of
/// random member ids changes a page of each member index per row; with the
/// small default cache they were written out and read back within the
/// batch), and a map of the whole file for reading.
pub fn tune(options: &mut ConnectOptions) {
    options.max_connections = options.max_connections.min(2);
    options.sqlite_cache_kib = options.sqlite_cache_kib.max(256 << 10);
    options.sqlite_mmap_bytes = options.sqlite_mmap_bytes.max(8 << 30);
}
