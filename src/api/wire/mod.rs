//! What both API generations share on the wire: the badge and assignment
//! JSON, badge input fields, paging metadata, and the "these badges first"
//! reorder, query-string readers. V4, V3 and Insignia's own API import
//! these, never each other's handlers.

pub mod assignment;
pub mod badge;
pub mod badge_input;
pub mod order;
pub mod page;
pub mod paging;
pub mod query_params;
