//! Badges V4 and Badge Assignments.

pub mod assignments;
pub mod badges;
