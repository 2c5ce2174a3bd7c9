//! One page of a query's answer, as the store returns it.

use super::ast::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Offset paging: the number of rows the filter matches.
    pub total: Option<u64>,
    /// Cursor paging: the sort key of the last row, when a next page exists.
    pub next_key: Option<Vec<Value>>,
    /// Cursor paging: the sort key of the first row, when a previous page exists.
    pub prev_key: Option<Vec<Value>>,
}

impl<T> Page<T> {
    /// The same page metadata around other items.
    pub fn with_items<U>(self, items: Vec<U>) -> Page<U> {
        Page {
            items,
            total: self.total,
            next_key: self.next_key,
            prev_key: self.prev_key,
        }
    }
}
