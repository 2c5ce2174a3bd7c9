//! The Wix query language shared by every query endpoint: a JSON `filter`,
//! `sort` and `paging`/`cursorPaging` are parsed into a typed AST, checked
//! against the entity's field list, and compiled to parameterised SQL for
//! SQLite or PostgreSQL. Values are always bound, never pasted.

mod ast;
pub mod cursor;
mod entities;
mod fields;
mod page;
mod parse;
mod prefix;
mod sql;
#[cfg(test)]
mod tests;

pub use ast::{Filter, Op, Order, Paging, Query, SortKey, Value};
pub use cursor::{CursorCodec, CursorError, PageCursors};
pub use entities::{ASSIGNMENTS, BADGES, PAGES};
pub use fields::{Entity, Field, Kind};
pub use page::Page;
pub use parse::{parse_filter, parse_query, parse_sort, PageLimits, QueryError, MAX_OFFSET};
pub use sql::{compile_filter, compile_filter_for_order, compile_keyset, compile_order, Dialect, SqlParam, SqlText};
