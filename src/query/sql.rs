//! AST -> SQL. Every value becomes a numbered parameter (`$n`, which both
//! SQLite and PostgreSQL accept); only column names from the entity's static
//! field list are ever written into the text.

use super::ast::{Filter, Op, Order, SortKey, Value};
use super::fields::{Entity, Kind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A value bound to a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlParam {
    Text(String),
    Blob(Vec<u8>),
    Int(i64),
    /// Text that may be absent (a NULL column value); filters never bind it.
    NullableText(Option<String>),
}

impl From<&Value> for SqlParam {
    fn from(v: &Value) -> Self {
        match v {
            Value::Text(s) => SqlParam::Text(s.clone()),
            Value::Guid(b) => SqlParam::Blob(b.clone()),
            Value::Date(ms) | Value::Int(ms) => SqlParam::Int(*ms),
            Value::Bool(b) => SqlParam::Int(i64::from(*b)),
            // Null and lists are written out by the compiler; never bound.
            Value::Null | Value::List(_) => SqlParam::Text(String::new()),
        }
    }
}

/// SQL text being built together with its parameters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SqlText {
    pub sql: String,
    pub params: Vec<SqlParam>,
}

impl SqlText {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a parameter and returns its placeholder.
    pub fn bind(&mut self, param: SqlParam) -> String {
        self.params.push(param);
        format!("${}", self.params.len())
    }

    /// Adds each value as a parameter; returns their placeholders as the
    /// inside of an `IN (…)` list, `$3, $4, …`.
    pub fn bind_list(&mut self, params: impl IntoIterator<Item = SqlParam>) -> String {
        params.into_iter().map(|p| self.bind(p)).collect::<Vec<_>>().join(", ")
    }

    pub fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }
}

/// Appends the filter as one parenthesised boolean expression.
pub fn compile_filter(dialect: Dialect, entity: &Entity, filter: &Filter, out: &mut SqlText) {
    let expr = expression(dialect, entity, filter, out);
    out.push(&expr);
}

fn expression(dialect: Dialect, entity: &Entity, filter: &Filter, out: &mut SqlText) -> String {
    match filter {
        Filter::All => "1=1".into(),
        Filter::And(parts) if parts.is_empty() => "1=1".into(),
        Filter::Or(parts) if parts.is_empty() => "1=0".into(),
        Filter::And(parts) => join(dialect, entity, parts, " AND ", out),
        Filter::Or(parts) => join(dialect, entity, parts, " OR ", out),
        Filter::Not(inner) => format!("(NOT {})", expression(dialect, entity, inner, out)),
        Filter::Compare { field, op, value } => compare(dialect, entity, field.column, field.kind, *op, value, out),
    }
}

fn join(dialect: Dialect, entity: &Entity, parts: &[Filter], sep: &str, out: &mut SqlText) -> String {
    let inner: Vec<String> = parts.iter().map(|p| expression(dialect, entity, p, out)).collect();
    format!("({})", inner.join(sep))
}

fn compare(
    dialect: Dialect,
    entity: &Entity,
    column: &str,
    kind: Kind,
    op: Op,
    value: &Value,
    out: &mut SqlText,
) -> String {
    if let Kind::TagSet {
        table,
        owner_column,
        value_column,
        kind_column,
        kind,
    } = kind
    {
        return tag_set(
            entity,
            table,
            owner_column,
            value_column,
            kind_column,
            kind,
            op,
            value,
            out,
        );
    }
    let list = |out: &mut SqlText| -> Vec<String> {
        match value {
            Value::List(items) => items.iter().map(|v| out.bind(v.into())).collect(),
            other => vec![out.bind(other.into())],
        }
    };
    match (op, value) {
        (Op::Eq, Value::Null) => return format!("({column} IS NULL)"),
        (Op::Ne, Value::Null) => return format!("({column} IS NOT NULL)"),
        _ => {}
    }
    match op {
        Op::Eq => format!("({column} = {})", out.bind(value.into())),
        // Wix's $ne also matches rows where the field is absent.
        Op::Ne => match dialect {
            Dialect::Sqlite => format!("({column} IS NOT {})", out.bind(value.into())),
            Dialect::Postgres => format!("({column} IS DISTINCT FROM {})", out.bind(value.into())),
        },
        Op::Gt => format!("({column} > {})", out.bind(value.into())),
        Op::Gte => format!("({column} >= {})", out.bind(value.into())),
        Op::Lt => format!("({column} < {})", out.bind(value.into())),
        Op::Lte => format!("({column} <= {})", out.bind(value.into())),
        Op::In => {
            let items = list(out);
            if items.is_empty() {
                "1=0".into()
            } else {
                format!("({column} IN ({}))", items.join(", "))
            }
        }
        Op::Nin => {
            let items = list(out);
            if items.is_empty() {
                "1=1".into()
            } else {
                format!("({column} IS NULL OR {column} NOT IN ({}))", items.join(", "))
            }
        }
        Op::Exists => match value {
            Value::Bool(false) => format!("({column} IS NULL)"),
            _ => format!("({column} IS NOT NULL)"),
        },
        Op::StartsWith => {
            let Value::Text(prefix) = value else {
                return "1=0".into();
            };
            // LIKE is case-sensitive in both dialects here (SQLite connections
            // set `case_sensitive_like`), so `%` and `_` are the only traps.
            let pattern = format!("{}%", escape_like(prefix));
            format!("({column} LIKE {} ESCAPE '\\')", out.bind(SqlParam::Text(pattern)))
        }
        Op::HasSome | Op::HasAll => "1=0".into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn tag_set(
    entity: &Entity,
    table: &str,
    owner_column: &str,
    value_column: &str,
    kind_column: &str,
    kind: &str,
    op: Op,
    value: &Value,
    out: &mut SqlText,
) -> String {
    let owner = entity.pk_column;
    let kind_param = out.bind(SqlParam::Text(kind.to_owned()));
    let base = format!("FROM {table} t WHERE t.{owner_column} = {owner} AND t.{kind_column} = {kind_param}");
    match (op, value) {
        (Op::Exists, Value::Bool(exists)) => {
            let sub = format!("EXISTS (SELECT 1 {base})");
            if *exists {
                sub
            } else {
                format!("(NOT {sub})")
            }
        }
        (Op::HasSome, Value::List(items)) | (Op::HasAll, Value::List(items)) => {
            let mut distinct: Vec<&Value> = items.iter().collect();
            distinct.sort();
            distinct.dedup();
            if distinct.is_empty() {
                // Every row has all of nothing; no row has some of nothing.
                return if op == Op::HasAll { "1=1".into() } else { "1=0".into() };
            }
            let params: Vec<String> = distinct.iter().map(|v| out.bind((*v).into())).collect();
            let within = format!("{base} AND t.{value_column} IN ({})", params.join(", "));
            if op == Op::HasSome {
                format!("EXISTS (SELECT 1 {within})")
            } else {
                format!(
                    "((SELECT COUNT(DISTINCT t.{value_column}) {within}) = {})",
                    distinct.len()
                )
            }
        }
        _ => "1=0".into(),
    }
}

/// Escapes LIKE's wildcards (and the escape character itself).
fn escape_like(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for ch in raw.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// `ORDER BY` terms; `backward` reverses every direction (for previous pages).
pub fn compile_order(sort: &[SortKey], backward: bool) -> String {
    sort.iter()
        .map(|k| {
            let asc = (k.order == Order::Asc) != backward;
            format!("{} {}", k.field.column, if asc { "ASC" } else { "DESC" })
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The condition "row comes after `key` in this order" (before it when
/// `backward`). When every key runs the same way it is a row-value
/// comparison, which both databases answer with one index seek.
pub fn compile_keyset(sort: &[SortKey], key: &[Value], backward: bool, out: &mut SqlText) -> String {
    let ascending = |k: &SortKey| (k.order == Order::Asc) != backward;
    let all_same = sort.iter().all(|k| ascending(k) == ascending(&sort[0]));
    if all_same {
        let columns: Vec<&str> = sort.iter().map(|k| k.field.column).collect();
        let params: Vec<String> = key.iter().map(|v| out.bind(v.into())).collect();
        let cmp = if ascending(&sort[0]) { ">" } else { "<" };
        return format!("(({}) {cmp} ({}))", columns.join(", "), params.join(", "));
    }
    // Mixed directions: (a > x) OR (a = x AND b < y) OR …
    let mut terms = Vec::with_capacity(sort.len());
    for i in 0..sort.len() {
        let mut parts = Vec::with_capacity(i + 1);
        for (k, v) in sort[..i].iter().zip(key) {
            parts.push(format!("{} = {}", k.field.column, out.bind(v.into())));
        }
        let cmp = if ascending(&sort[i]) { ">" } else { "<" };
        parts.push(format!("{} {cmp} {}", sort[i].field.column, out.bind((&key[i]).into())));
        terms.push(format!("({})", parts.join(" AND ")));
    }
    format!("({})", terms.join(" OR "))
}
