use serde_json::{Map, Value as Json};

use super::ast::{Filter, Op, Order, Paging, Query, SortKey, Value};
use super::cursor::CursorCodec;
use super::fields::{Entity, Field, Kind};
use crate::domain::{parse_guid, Timestamp};

/// How deep `$and`/`$or`/`$not` may nest, and how many conditions a filter may hold:
/// enough for any real query, small enough that no filter can exhaust the server.
/// Every object counts as a condition, empty ones (`{"$or": [{}, {}, …]}`)
/// too: each becomes a term of the SQL expression, and SQLite refuses an
/// expression tree deeper than 1,000.
const MAX_DEPTH: usize = 12;
pub const MAX_CONDITIONS: usize = 200;
const MAX_LIST_LEN: usize = 1000;
/// The values one filter may bind, over all its lists and conditions. A
/// condition binds at most 4 parameters and a list value 1, so a filter
/// binds at most 4 × 200 + 2,000 parameters: far below SQLite's 32,766 and
/// PostgreSQL's 65,535, and cheap enough to plan and run.
pub const MAX_FILTER_VALUES: usize = 2000;
const MAX_SORT_KEYS: usize = 8;
/// The largest `paging.offset` accepted.
pub const MAX_OFFSET: u64 = 1_000_000_000;

/// A query the language cannot accept; answered with 400 naming the field and operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    /// Where in the request the problem is, e.g. `query.filter.title`.
    pub field: String,
    pub message: String,
}

impl QueryError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Page-size rules of one endpoint.
#[derive(Debug, Clone, Copy)]
pub struct PageLimits {
    pub default_limit: u32,
    pub max_limit: u32,
    pub default_cursor_limit: u32,
    pub max_cursor_limit: u32,
}

/// Parses `{filter, sort, paging | cursorPaging, fields, fieldsets}`.
/// `prefix` names the object in errors (`query` for V4, empty for legacy bodies).
pub fn parse_query(
    entity: &'static Entity,
    raw: &Json,
    prefix: &str,
    limits: PageLimits,
    cursors: &CursorCodec,
) -> Result<Query, QueryError> {
    let at = |name: &str| {
        if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}.{name}")
        }
    };
    let empty = Map::new();
    let obj = match raw {
        Json::Null => &empty,
        Json::Object(map) => map,
        _ => return Err(QueryError::new(prefix, "must be an object")),
    };
    for projection in ["fields", "fieldsets"] {
        match obj.get(projection) {
            None | Some(Json::Null) => {}
            Some(Json::Array(items)) if items.is_empty() => {}
            Some(_) => {
                return Err(QueryError::new(
                    at(projection),
                    format!("projection is not supported on {}", entity.name),
                ))
            }
        }
    }
    let paging = obj.get("paging").filter(|v| !v.is_null());
    let cursor_paging = obj.get("cursorPaging").filter(|v| !v.is_null());
    if paging.is_some() && cursor_paging.is_some() {
        return Err(QueryError::new(
            at("paging"),
            "send either `paging` or `cursorPaging`, not both",
        ));
    }

    if let Some(cp) = cursor_paging {
        let cp = as_object(cp, &at("cursorPaging"))?;
        let limit = parse_limit(
            cp.get("limit"),
            &at("cursorPaging.limit"),
            limits.default_cursor_limit,
            limits.max_cursor_limit,
        )?;
        let cursor = match cp.get("cursor") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) if s.is_empty() => None,
            Some(Json::String(s)) => Some(s.as_str()),
            Some(_) => return Err(QueryError::new(at("cursorPaging.cursor"), "must be a string")),
        };
        if let Some(token) = cursor {
            // A cursor continues the query it came from: its own filter and sort win.
            let position = cursors
                .decode(token)
                .map_err(|e| QueryError::new(at("cursorPaging.cursor"), e.to_string()))?;
            let filter = parse_filter(
                entity,
                position.shape.get("filter").unwrap_or(&Json::Null),
                &at("filter"),
            )?;
            let sort = parse_sort(entity, position.shape.get("sort").unwrap_or(&Json::Null), &at("sort"))?;
            check_key(&sort, &position.key).map_err(|m| QueryError::new(at("cursorPaging.cursor"), m))?;
            return Ok(Query {
                filter,
                sort,
                paging: Paging::Cursor {
                    limit,
                    after: Some(position.key),
                    backward: position.backward,
                },
                shape: position.shape,
            });
        }
        let (filter, sort, shape) = parse_shape(entity, obj, &at)?;
        return Ok(Query {
            filter,
            sort,
            paging: Paging::Cursor {
                limit,
                after: None,
                backward: false,
            },
            shape,
        });
    }

    let (limit, offset) = match paging {
        None => (limits.default_limit, 0),
        Some(p) => {
            let p = as_object(p, &at("paging"))?;
            let limit = parse_limit(
                p.get("limit"),
                &at("paging.limit"),
                limits.default_limit,
                limits.max_limit,
            )?;
            let offset = match p.get("offset") {
                None | Some(Json::Null) => 0,
                // Databases take 64-bit signed offsets; anything near that is no real page.
                Some(v) => as_u64(v).filter(|o| *o <= MAX_OFFSET).ok_or_else(|| {
                    QueryError::new(
                        at("paging.offset"),
                        format!("must be an integer from 0 to {MAX_OFFSET}"),
                    )
                })?,
            };
            (limit, offset)
        }
    };
    let (filter, sort, shape) = parse_shape(entity, obj, &at)?;
    Ok(Query {
        filter,
        sort,
        paging: Paging::Offset { limit, offset },
        shape,
    })
}

fn parse_shape(
    entity: &'static Entity,
    obj: &Map<String, Json>,
    at: &dyn Fn(&str) -> String,
) -> Result<(Filter, Vec<SortKey>, Json), QueryError> {
    let raw_filter = obj.get("filter").cloned().unwrap_or(Json::Null);
    let raw_sort = obj.get("sort").cloned().unwrap_or(Json::Null);
    let filter = parse_filter(entity, &raw_filter, &at("filter"))?;
    let sort = parse_sort(entity, &raw_sort, &at("sort"))?;
    let shape = serde_json::json!({ "filter": raw_filter, "sort": sort_shape(&raw_sort) });
    Ok((filter, sort, shape))
}

/// The sort as a cursor carries it: only `fieldName` and `order` of each
/// entry, so keys the parser ignores cannot bloat the cursor or nest it
/// deeper than it can be read back.
fn sort_shape(raw: &Json) -> Json {
    let Json::Array(items) = raw else {
        return raw.clone();
    };
    let entries = items.iter().map(|item| {
        let kept = ["fieldName", "order"]
            .into_iter()
            .filter_map(|key| item.get(key).map(|v| (key.to_owned(), v.clone())));
        Json::Object(kept.collect())
    });
    Json::Array(entries.collect())
}

/// The values a cursor carries must fit the sort they continue.
fn check_key(sort: &[SortKey], key: &[Value]) -> Result<(), String> {
    if sort.len() != key.len() {
        return Err("cursor does not match its query".into());
    }
    for (k, v) in sort.iter().zip(key) {
        let fits = matches!(
            (k.field.kind, v),
            (Kind::Text, Value::Text(_))
                | (Kind::Guid, Value::Guid(_))
                | (Kind::Date, Value::Date(_))
                | (Kind::Bool, Value::Bool(_))
                | (Kind::Int, Value::Int(_))
        );
        if !fits {
            return Err("cursor does not match its query".into());
        }
    }
    Ok(())
}

fn parse_limit(raw: Option<&Json>, at: &str, default: u32, max: u32) -> Result<u32, QueryError> {
    let Some(raw) = raw.filter(|v| !v.is_null()) else {
        return Ok(default);
    };
    match as_u64(raw) {
        Some(n) if n >= 1 && n <= u64::from(max) => Ok(n as u32),
        Some(0) => Ok(default),
        _ => Err(QueryError::new(at, format!("must be an integer from 1 to {max}"))),
    }
}

/// Accepts a JSON number or a numeric string (int64s travel as strings).
fn as_u64(v: &Json) -> Option<u64> {
    match v {
        Json::Number(n) => n.as_u64(),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn as_object<'a>(v: &'a Json, at: &str) -> Result<&'a Map<String, Json>, QueryError> {
    v.as_object().ok_or_else(|| QueryError::new(at, "must be an object"))
}

/// Parses and checks a filter object. `null` and `{}` match everything.
pub fn parse_filter(entity: &'static Entity, raw: &Json, at: &str) -> Result<Filter, QueryError> {
    let mut parser = FilterParser {
        entity,
        budget: MAX_CONDITIONS,
        values: MAX_FILTER_VALUES,
    };
    let filter = match raw {
        Json::Null => return Ok(Filter::All),
        // Some clients send the filter as a JSON string.
        Json::String(text) => {
            let parsed: Json =
                serde_json::from_str(text).map_err(|_| QueryError::new(at, "must be a filter object"))?;
            parser.object(&parsed, at, 0)?
        }
        _ => parser.object(raw, at, 0)?,
    };
    Ok(filter)
}

struct FilterParser {
    entity: &'static Entity,
    /// Conditions (objects and operators) still allowed.
    budget: usize,
    /// List values still allowed.
    values: usize,
}

impl FilterParser {
    fn spend_condition(&mut self, at: &str) -> Result<(), QueryError> {
        self.budget = self
            .budget
            .checked_sub(1)
            .ok_or_else(|| QueryError::new(at, format!("filter has more than {MAX_CONDITIONS} conditions")))?;
        Ok(())
    }

    fn object(&mut self, raw: &Json, at: &str, depth: usize) -> Result<Filter, QueryError> {
        if depth > MAX_DEPTH {
            return Err(QueryError::new(
                at,
                format!("filter nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        let obj = as_object(raw, at)?;
        // An object without a field condition of its own (`{}`, `{"$or": …}`)
        // is still a term of the SQL expression, so it counts as one; the
        // top-level object is the query itself.
        if depth > 0 && obj.keys().all(|k| k.starts_with('$')) {
            self.spend_condition(at)?;
        }
        let mut parts = Vec::with_capacity(obj.len());
        for (key, value) in obj {
            let part = match key.as_str() {
                "$and" | "$or" => {
                    let items = value
                        .as_array()
                        .ok_or_else(|| QueryError::new(format!("{at}.{key}"), "must be an array of filters"))?;
                    let mut children = Vec::with_capacity(items.len());
                    for (i, item) in items.iter().enumerate() {
                        children.push(self.object(item, &format!("{at}.{key}[{i}]"), depth + 1)?);
                    }
                    if key == "$and" {
                        Filter::And(children)
                    } else {
                        Filter::Or(children)
                    }
                }
                "$not" => Filter::Not(Box::new(self.object(value, &format!("{at}.$not"), depth + 1)?)),
                other if other.starts_with('$') => {
                    return Err(QueryError::new(
                        format!("{at}.{other}"),
                        format!("unknown logical operator `{other}`"),
                    ))
                }
                name => self.field(name, value, &format!("{at}.{name}"))?,
            };
            parts.push(part);
        }
        Ok(match parts.len() {
            0 => Filter::All,
            1 => parts.pop().unwrap_or(Filter::All),
            _ => Filter::And(parts),
        })
    }

    fn field(&mut self, name: &str, raw: &Json, at: &str) -> Result<Filter, QueryError> {
        let field = self.entity.field(name).filter(|f| f.filterable).ok_or_else(|| {
            QueryError::new(
                at,
                format!("`{name}` is not a filterable field of {}", self.entity.name),
            )
        })?;
        let operators = match raw {
            Json::Object(map) if map.keys().any(|k| k.starts_with('$')) && !is_date_literal(raw) => map.clone(),
            // `{field: value}` is equality.
            other => {
                let mut m = Map::new();
                m.insert("$eq".into(), other.clone());
                m
            }
        };
        let mut parts = Vec::with_capacity(operators.len());
        for (op_name, value) in &operators {
            let op = Op::parse(op_name)
                .ok_or_else(|| QueryError::new(format!("{at}.{op_name}"), format!("unknown operator `{op_name}`")))?;
            self.spend_condition(at)?;
            if let Some(items) = value.as_array() {
                self.values = self.values.checked_sub(items.len()).ok_or_else(|| {
                    QueryError::new(
                        format!("{at}.{op_name}"),
                        format!("filter has more than {MAX_FILTER_VALUES} values in its lists"),
                    )
                })?;
            }
            let value = typed_value(field, op, value).map_err(|m| QueryError::new(format!("{at}.{op_name}"), m))?;
            parts.push(Filter::Compare {
                field,
                op: effective_op(field, op),
                value,
            });
        }
        Ok(match parts.len() {
            1 => parts.pop().unwrap_or(Filter::All),
            _ => Filter::And(parts),
        })
    }
}

/// `{"$date": "…"}` is how some clients write a date value.
fn is_date_literal(raw: &Json) -> bool {
    raw.as_object().is_some_and(|m| m.len() == 1 && m.contains_key("$date"))
}

/// Whether a field takes an operator: those the SDK's query typings allow
/// for its type (`StringOperators`, `BooleanOperators`, … in
/// `@wix/sdk-types`), plus `$hasSome` on a scalar, which the Wix docs list
/// for these fields and which means `$in` there. GUIDs are strings to the
/// SDK: they compare, and match prefixes, as their canonical lower-case text.
fn allows(field: &Field, op: Op) -> bool {
    const ORDERED: &[Op] = &[
        Op::Eq,
        Op::Ne,
        Op::Gt,
        Op::Gte,
        Op::Lt,
        Op::Lte,
        Op::In,
        Op::Nin,
        Op::HasSome,
        Op::Exists,
    ];
    match field.kind {
        // A prefix reads the folded copy (case-insensitive) when the field has one, else the text itself.
        Kind::Text => ORDERED.contains(&op) || matches!(op, Op::IsEmpty | Op::StartsWith),
        Kind::Guid => ORDERED.contains(&op) || matches!(op, Op::IsEmpty | Op::StartsWith),
        Kind::Date | Kind::Int => ORDERED.contains(&op),
        Kind::Bool => matches!(op, Op::Eq | Op::Ne | Op::In | Op::Nin | Op::HasSome | Op::Exists),
        Kind::TagSet { .. } | Kind::IdSet { .. } => matches!(op, Op::HasSome | Op::HasAll | Op::Exists | Op::IsEmpty),
    }
}

/// The operator as the compiler sees it: `$hasSome` on a scalar is `$in`.
fn effective_op(field: &Field, op: Op) -> Op {
    match (op, field.kind) {
        (Op::HasSome, Kind::TagSet { .. } | Kind::IdSet { .. }) => Op::HasSome,
        (Op::HasSome, _) => Op::In,
        _ => op,
    }
}

fn typed_value(field: &Field, op: Op, raw: &Json) -> Result<Value, String> {
    let name = field.name();
    if !allows(field, op) {
        return Err(format!("operator `{}` is not supported on `{name}`", op.name()));
    }
    // `eq(f, null)` / `isEmpty(f)` and `ne(f, null)` / `isNotEmpty(f)` test for absence.
    if raw.is_null() && matches!(op, Op::Eq | Op::Ne) && !field.kind.is_set() {
        return Ok(Value::Null);
    }
    match op {
        Op::Exists | Op::IsEmpty => raw
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| format!("`{}` on `{name}` takes true or false", op.name())),
        Op::In | Op::Nin | Op::HasSome | Op::HasAll => {
            let items = raw
                .as_array()
                .ok_or_else(|| format!("`{}` on `{name}` takes an array", op.name()))?;
            if items.len() > MAX_LIST_LEN {
                return Err(format!(
                    "`{}` on `{name}` takes at most {MAX_LIST_LEN} values",
                    op.name()
                ));
            }
            let scalar_kind = match field.kind {
                Kind::TagSet { .. } => Kind::Text,
                Kind::IdSet { .. } => Kind::Guid,
                other => other,
            };
            items
                .iter()
                .map(|item| scalar(scalar_kind, name, item))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::List)
        }
        // A prefix of a GUID is any text: it is matched against the GUID's canonical form.
        Op::StartsWith => scalar(Kind::Text, name, raw),
        _ => scalar(field.kind, name, raw),
    }
}

fn scalar(kind: Kind, name: &str, raw: &Json) -> Result<Value, String> {
    let wrong = |what: &str| format!("`{name}` takes {what}, got {}", type_name(raw));
    match kind {
        Kind::Text | Kind::TagSet { .. } => {
            let s = raw.as_str().ok_or_else(|| wrong("a string"))?;
            // No stored text holds NUL (PostgreSQL cannot); refusing it keeps both backends alike.
            if s.contains('\0') {
                return Err(format!("`{name}` takes text without the NUL character (U+0000)"));
            }
            Ok(Value::Text(s.to_owned()))
        }
        Kind::Guid | Kind::IdSet { .. } => {
            let s = raw.as_str().ok_or_else(|| wrong("a GUID string"))?;
            parse_guid(name, s)
                .map(|id| Value::Guid(id.as_bytes().to_vec()))
                .map_err(|v| v.description)
        }
        Kind::Date => {
            let s = match raw {
                Json::String(s) => s.as_str(),
                Json::Object(m) => m.get("$date").and_then(Json::as_str).ok_or_else(|| wrong("a date"))?,
                _ => return Err(wrong("an RFC 3339 date string")),
            };
            Timestamp::parse_rfc3339(s)
                .map(|t| Value::Date(t.millis()))
                .ok_or_else(|| format!("`{name}` takes an RFC 3339 date, got {s:?}"))
        }
        Kind::Bool => raw.as_bool().map(Value::Bool).ok_or_else(|| wrong("true or false")),
        Kind::Int => match raw {
            Json::Number(n) => n.as_i64().map(Value::Int).ok_or_else(|| wrong("an integer")),
            Json::String(s) => s.parse().map(Value::Int).map_err(|_| wrong("an integer")),
            _ => Err(wrong("an integer")),
        },
    }
}

fn type_name(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// Parses `[{fieldName, order}]` and makes the order total: the entity's
/// default sort when none is given, then the id as the last tie-breaker.
pub fn parse_sort(entity: &'static Entity, raw: &Json, at: &str) -> Result<Vec<SortKey>, QueryError> {
    let items: &[Json] = match raw {
        Json::Null => &[],
        Json::Array(items) => items,
        _ => return Err(QueryError::new(at, "must be an array of {fieldName, order}")),
    };
    if items.len() > MAX_SORT_KEYS {
        return Err(QueryError::new(at, format!("at most {MAX_SORT_KEYS} sort fields")));
    }
    let mut sort: Vec<SortKey> = Vec::with_capacity(items.len() + 2);
    for (i, item) in items.iter().enumerate() {
        let here = format!("{at}[{i}]");
        let obj = as_object(item, &here)?;
        let name = obj
            .get("fieldName")
            .and_then(Json::as_str)
            .ok_or_else(|| QueryError::new(format!("{here}.fieldName"), "must be a field name"))?;
        let field = entity.field(name).filter(|f| f.sortable).ok_or_else(|| {
            QueryError::new(
                format!("{here}.fieldName"),
                format!("`{name}` is not a sortable field of {}", entity.name),
            )
        })?;
        let order = match obj.get("order") {
            None | Some(Json::Null) => Order::Asc,
            Some(Json::String(s)) if s.eq_ignore_ascii_case("ASC") => Order::Asc,
            Some(Json::String(s)) if s.eq_ignore_ascii_case("DESC") => Order::Desc,
            Some(_) => return Err(QueryError::new(format!("{here}.order"), "must be ASC or DESC")),
        };
        if !sort.iter().any(|k| std::ptr::eq(k.field, field)) {
            sort.push(SortKey { field, order });
        }
    }
    if sort.is_empty() {
        sort.extend(
            entity
                .default_sort
                .iter()
                .map(|&(field, order)| SortKey { field, order }),
        );
    }
    // The id breaks ties, running the same way as the last key: a sort that
    // runs one way throughout is answered by one index scan, with no sort step.
    if !sort.iter().any(|k| std::ptr::eq(k.field, entity.id)) {
        let order = sort.last().map_or(Order::Asc, |k| k.order);
        sort.push(SortKey {
            field: entity.id,
            order,
        });
    }
    Ok(sort)
}
