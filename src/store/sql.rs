//! Building statements: binding parameters, `VALUES` lists, and reading
//! constraint violations. Every store module writes its SQL through these.

use sqlx::any::AnyArguments;
use sqlx::query::Query as SqlxQuery;
use sqlx::Any;

use crate::query::{Dialect, SqlParam, SqlText};

/// Binds parameters in order to a statement.
pub(super) fn bind_all<'q>(
    mut query: SqlxQuery<'q, Any, AnyArguments<'q>>,
    params: &'q [SqlParam],
) -> SqlxQuery<'q, Any, AnyArguments<'q>> {
    for param in params {
        query = match param {
            SqlParam::Text(s) => query.bind(s.as_str()),
            SqlParam::Blob(b) => query.bind(b.as_slice()),
            SqlParam::Int(i) => query.bind(*i),
            SqlParam::NullableText(t) => query.bind(t.as_deref()),
        };
    }
    query
}

/// A statement built with [`SqlText`], ready to run.
pub(super) fn statement(text: &SqlText) -> SqlxQuery<'_, Any, AnyArguments<'_>> {
    bind_all(sqlx::query(&text.sql), &text.params)
}

/// `$first, $first+1, …` for `n` parameters.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `rows` tuples of `columns` placeholders each, for a `VALUES` list whose
/// parameters are all positional and in order. SQLite resolves each named
/// `$n` by a linear search of every name in the statement, which costs O(n²)
/// on a 900-parameter insert; its plain `?` takes the next position directly,
/// and every tuple is the same text.
pub(super) fn values_list(dialect: Dialect, rows: usize, columns: usize) -> String {
    match dialect {
        Dialect::Sqlite => {
            let tuple = format!("({})", vec!["?"; columns].join(", "));
            vec![tuple.as_str(); rows].join(", ")
        }
        Dialect::Postgres => (0..rows)
            .map(|i| format!("({})", placeholders(i * columns + 1, columns)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The placeholder of parameter `n` (from 1) of a statement written the
/// `values_list` way: positional `?` on SQLite, `$n` on PostgreSQL.
pub(super) fn positional(dialect: Dialect, n: usize) -> String {
    match dialect {
        Dialect::Sqlite => "?".to_owned(),
        Dialect::Postgres => format!("${n}"),
    }
}

/// Is this a violation of a unique index whose name or columns mention `hint`?
/// SQLite names the columns in its message; PostgreSQL names the index.
pub(super) fn is_unique_violation(err: &sqlx::Error, hint: &str) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                && (db.constraint().is_some_and(|c| c.contains(hint)) || db.message().contains(hint))
        }
        _ => false,
    }
}
