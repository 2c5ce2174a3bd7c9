//! AST -> SQL. Every value becomes a numbered parameter (`$n`, which both
//! SQLite and PostgreSQL accept); only column names from the entity's static
//! field list are ever written into the text.

use super::ast::{Filter, Op, Order, SortKey, Value};
use super::fields::{Entity, Field, Kind};
use super::prefix::{guid_range, text_upper_bound};
use crate::domain::{fold_case, unfolded_bounds};

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
    compile_filter_for_order(dialect, entity, filter, None, out);
}

/// The same, for rows read in the order of `leading` (the first sort key's
/// field): a case-insensitive prefix on that field also bounds the text
/// itself, so the index in that order can answer the page. Other prefixes
/// keep to the folded range alone, whose row count the planners estimate
/// well (two ranges on one text make PostgreSQL guess far too few rows).
pub fn compile_filter_for_order(
    dialect: Dialect,
    entity: &Entity,
    filter: &Filter,
    leading: Option<&Field>,
    out: &mut SqlText,
) {
    let compiler = Compiler {
        dialect,
        entity,
        leading,
    };
    let expr = compiler.expression(filter, out);
    out.push(&expr);
}

struct Compiler<'a> {
    dialect: Dialect,
    entity: &'a Entity,
    leading: Option<&'a Field>,
}

impl Compiler<'_> {
    fn expression(&self, filter: &Filter, out: &mut SqlText) -> String {
        match filter {
            Filter::All => "1=1".into(),
            Filter::And(parts) if parts.is_empty() => "1=1".into(),
            Filter::Or(parts) if parts.is_empty() => "1=0".into(),
            Filter::And(parts) => self.join(parts, " AND ", out),
            Filter::Or(parts) => self.join(parts, " OR ", out),
            Filter::Not(inner) => format!("(NOT {})", self.expression(inner, out)),
            Filter::Compare { field, op, value } => {
                let in_order = self.leading.is_some_and(|l| std::ptr::eq(l, *field));
                compare(self.dialect, self.entity, field, *op, value, in_order, out)
            }
        }
    }

    fn join(&self, parts: &[Filter], sep: &str, out: &mut SqlText) -> String {
        let inner: Vec<String> = parts.iter().map(|p| self.expression(p, out)).collect();
        format!("({})", inner.join(sep))
    }
}

/// One comparison; `in_order` when the rows are read in this field's order.
fn compare(
    dialect: Dialect,
    entity: &Entity,
    field: &Field,
    op: Op,
    value: &Value,
    in_order: bool,
    out: &mut SqlText,
) -> String {
    let column = field.column;
    if let Kind::TagSet {
        table,
        owner_column,
        value_column,
        kind_column,
        kind,
    } = field.kind
    {
        let side = SideTable {
            table,
            owner_column,
            value_column,
            kind_filter: Some((kind_column, kind)),
        };
        return set_condition(entity, side, op, value, out);
    }
    if let Kind::IdSet {
        table,
        owner_column,
        value_column,
    } = field.kind
    {
        let side = SideTable {
            table,
            owner_column,
            value_column,
            kind_filter: None,
        };
        return set_condition(entity, side, op, value, out);
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
        // Absent, or (text) the empty string; a GUID is never empty.
        Op::IsEmpty => match (value, field.kind) {
            (Value::Bool(false), Kind::Text) => format!("({column} IS NOT NULL AND {column} <> '')"),
            (Value::Bool(false), _) => format!("({column} IS NOT NULL)"),
            (_, Kind::Text) => format!("({column} IS NULL OR {column} = '')"),
            _ => format!("({column} IS NULL)"),
        },
        Op::StartsWith => match value {
            Value::Text(prefix) => starts_with(field, prefix, in_order, out),
            _ => "1=0".into(),
        },
        Op::HasSome | Op::HasAll => "1=0".into(),
    }
}

/// A prefix as a range of an index: text fields with a folded copy compare it
/// with the folded prefix (case-insensitive), others their own text;
/// GUIDs compare their bytes with the range of GUIDs whose text starts with the prefix.
/// `in_order`: the rows are read in this text's order, so bound the text itself too.
fn starts_with(field: &Field, prefix: &str, in_order: bool, out: &mut SqlText) -> String {
    if field.kind == Kind::Guid {
        let column = field.column;
        return match guid_range(prefix) {
            Some((lo, hi)) => format!(
                "({column} >= {} AND {column} <= {})",
                out.bind(SqlParam::Blob(lo.to_vec())),
                out.bind(SqlParam::Blob(hi.to_vec()))
            ),
            None => "1=0".into(),
        };
    }
    let Some(column) = field.folded else {
        // No folded copy (a page path, say): a case-sensitive prefix, one range of the text.
        if prefix.is_empty() {
            return format!("({} IS NOT NULL)", field.column);
        }
        let high = text_upper_bound(prefix);
        return format!("({})", text_range(field.column, prefix.to_owned(), high, out));
    };
    let low = fold_case(prefix);
    if low.is_empty() {
        return format!("({column} IS NOT NULL)");
    }
    let (unfolded_low, unfolded_high) = unfolded_bounds(&low);
    let high = text_upper_bound(&low);
    let folded = text_range(column, low, high, out);
    if !in_order {
        return format!("({folded})");
    }
    // The same rows bounded on the text itself: an index in the text's own
    // order reads them in that order, so a `title ASC` page stops after a
    // page of rows instead of sorting every match (or, on PostgreSQL,
    // walking every title before the prefix).
    let unfolded = text_range(field.column, unfolded_low, text_upper_bound(&unfolded_high), out);
    format!("({folded} AND {unfolded})")
}

/// `low <= column < high` (no upper end when `high` is `None`).
fn text_range(column: &str, low: String, high: Option<String>, out: &mut SqlText) -> String {
    let low = out.bind(SqlParam::Text(low));
    match high {
        Some(high) => format!("{column} >= {low} AND {column} < {}", out.bind(SqlParam::Text(high))),
        None => format!("{column} >= {low}"),
    }
}

/// The side table of a set-valued field: `(owner, value)` rows, and for
/// tags also the kind of tag each row is.
struct SideTable<'a> {
    table: &'a str,
    owner_column: &'a str,
    value_column: &'a str,
    kind_filter: Option<(&'a str, &'a str)>,
}

fn set_condition(entity: &Entity, side: SideTable, op: Op, value: &Value, out: &mut SqlText) -> String {
    let SideTable {
        table,
        owner_column,
        value_column,
        kind_filter,
    } = side;
    let owner = entity.pk_column;
    let mut base = format!("FROM {table} t WHERE t.{owner_column} = {owner}");
    if let Some((kind_column, kind)) = kind_filter {
        let kind_param = out.bind(SqlParam::Text(kind.to_owned()));
        base.push_str(&format!(" AND t.{kind_column} = {kind_param}"));
    }
    match (op, value) {
        // A set with a tag exists and is not empty.
        (Op::Exists | Op::IsEmpty, Value::Bool(flag)) => {
            let sub = format!("EXISTS (SELECT 1 {base})");
            if *flag == (op == Op::Exists) {
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
