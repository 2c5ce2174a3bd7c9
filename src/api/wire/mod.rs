//! What both API generations share on the wire: the badge and assignment
//! JSON, badge input fields, paging metadata, and the "these badges first"
//! reorder. V4 and V3 import these, never each other's handlers.

pub mod assignment;
pub mod badge;
pub mod badge_input;
pub mod order;
pub mod paging;
