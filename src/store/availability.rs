//! Which store failures mean "the database is away or busy, try again"
//! (answered 503 `UNAVAILABLE`) rather than "the server is broken" (500).

use super::StoreError;

impl StoreError {
    /// True when the database could not be reached, the pool had no free
    /// connection within its wait, or the database refused to wait longer
    /// for a lock; nothing was changed and a retry may succeed.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(e) => sqlx_unavailable(e),
            _ => false,
        }
    }
}

fn sqlx_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| unavailable_code(&code)),
        _ => false,
    }
}

/// SQLite: `SQLITE_BUSY` (5) and `SQLITE_LOCKED` (6), with their extended
/// codes (the low byte is the primary code). PostgreSQL: connection
/// exceptions (class 08), insufficient resources (53), operator
/// intervention such as a shutdown or a cancelled statement (57), and
/// `lock_not_available` (55P03) from `lock_timeout`.
/// A SQLSTATE has five characters; SQLite's codes have at most four digits.
fn unavailable_code(code: &str) -> bool {
    if code.len() < 5 {
        return code.parse::<i64>().is_ok_and(|n| matches!(n & 0xff, 5 | 6));
    }
    code.starts_with("08") || code.starts_with("53") || code.starts_with("57") || code == "55P03"
}

#[cfg(test)]
mod tests {
    use super::unavailable_code;

    #[test]
    fn busy_locked_and_connection_codes_are_unavailable() {
        for code in ["5", "6", "517", "262", "08006", "57P01", "57014", "53300", "55P03"] {
            assert!(unavailable_code(code), "{code}");
        }
        for code in ["19", "2067", "23505", "42P01", "22P02"] {
            assert!(!unavailable_code(code), "{code}");
        }
    }
}
