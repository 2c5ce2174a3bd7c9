use super::fields::Field;

/// A checked filter: every field exists in the entity and every value has the field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Matches every row (the empty filter).
    All,
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Compare {
        field: &'static Field,
        op: Op,
        value: Value,
    },
}

impl Filter {
    /// Whether the filter, as written, states no condition that could leave
    /// a row out: `{}`, `{"$and": [{}]}`, `{"$or": [{}, …]}`. (It does not
    /// look at values: `{"$or": [{"x": 1}, {"x": {"$ne": 1}}]}` is not
    /// caught.)
    pub fn matches_everything(&self) -> bool {
        match self {
            Filter::All => true,
            Filter::And(parts) => parts.iter().all(Filter::matches_everything),
            Filter::Or(parts) => parts.iter().any(Filter::matches_everything),
            Filter::Not(_) | Filter::Compare { .. } => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    In,
    Nin,
    Exists,
    /// Absent, or an empty string / an empty set.
    IsEmpty,
    StartsWith,
    HasSome,
    HasAll,
}

impl Op {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "$eq" => Op::Eq,
            "$ne" => Op::Ne,
            "$gt" => Op::Gt,
            "$gte" => Op::Gte,
            "$lt" => Op::Lt,
            "$lte" => Op::Lte,
            "$in" => Op::In,
            "$nin" => Op::Nin,
            "$exists" => Op::Exists,
            "$isEmpty" => Op::IsEmpty,
            "$startsWith" => Op::StartsWith,
            "$hasSome" => Op::HasSome,
            "$hasAll" => Op::HasAll,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Op::Eq => "$eq",
            Op::Ne => "$ne",
            Op::Gt => "$gt",
            Op::Gte => "$gte",
            Op::Lt => "$lt",
            Op::Lte => "$lte",
            Op::In => "$in",
            Op::Nin => "$nin",
            Op::Exists => "$exists",
            Op::IsEmpty => "$isEmpty",
            Op::StartsWith => "$startsWith",
            Op::HasSome => "$hasSome",
            Op::HasAll => "$hasAll",
        }
    }
}

/// A typed value, already converted to the form the store keeps.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Value {
    /// Only in `$eq`/`$ne`: the field is absent.
    Null,
    Text(String),
    /// A GUID as its 16 bytes (hex in cursors, to keep them short).
    Guid(#[serde(with = "hex_bytes")] Vec<u8>),
    /// Milliseconds since the epoch.
    Date(i64),
    Bool(bool),
    Int(i64),
    List(Vec<Value>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub field: &'static Field,
    pub order: Order,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Paging {
    Offset {
        limit: u32,
        offset: u64,
    },
    /// `after` holds the sort-key values of the row the page starts after
    /// (or, when `backward`, before).
    Cursor {
        limit: u32,
        after: Option<Vec<Value>>,
        backward: bool,
    },
}

/// A parsed query. `sort` always ends with the entity's id, so the order is total.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub filter: Filter,
    pub sort: Vec<SortKey>,
    pub paging: Paging,
    /// The filter and sort as received, canonical JSON: what a cursor carries.
    pub shape: serde_json::Value,
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        if text.len() % 2 != 0 || text.len() > 64 {
            return Err(serde::de::Error::custom("bad hex"));
        }
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(text.get(i..i + 2).unwrap_or("zz"), 16).map_err(serde::de::Error::custom))
            .collect()
    }
}

impl Query {
    /// The query "the row with this id" (one row, no cursor).
    pub fn by_id(entity: &'static super::fields::Entity, id: uuid::Uuid) -> Query {
        Query {
            filter: Filter::Compare {
                field: entity.id,
                op: Op::Eq,
                value: Value::Guid(id.as_bytes().to_vec()),
            },
            sort: vec![SortKey {
                field: entity.id,
                order: Order::Asc,
            }],
            paging: Paging::Offset { limit: 1, offset: 0 },
            shape: serde_json::Value::Null,
        }
    }

    /// The rows among `ids` that exist, in id order (at most one page of them).
    pub fn by_ids(entity: &'static super::fields::Entity, ids: &[uuid::Uuid]) -> Query {
        Query {
            filter: Filter::Compare {
                field: entity.id,
                op: Op::In,
                value: Value::List(ids.iter().map(|id| Value::Guid(id.as_bytes().to_vec())).collect()),
            },
            paging: Paging::Offset {
                limit: u32::try_from(ids.len()).unwrap_or(u32::MAX).max(1),
                offset: 0,
            },
            ..Query::by_id(entity, uuid::Uuid::nil())
        }
    }
}
