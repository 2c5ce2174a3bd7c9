//! Fuzzing the query-language parser with arbitrary JSON: whatever a client
//! sends — deep, wide, odd numbers, huge strings, near-miss queries, forged
//! or signed-but-strange cursors — parsing answers `Ok` or `Err`, never a
//! panic, and whatever it accepts compiles to SQL for both dialects whose
//! placeholders all have a bound value.
//!
//! `QUERY_FUZZ_CASES` sets the number of cases (4,000 by default, a few
//! seconds); set it to millions for a long run.

use insignia::query::cursor::CursorPosition;
use insignia::query::{
    compile_filter, compile_keyset, compile_order, parse_filter, parse_query, CursorCodec, Dialect, Entity, Kind,
    PageLimits, Paging, SqlText, Value, ASSIGNMENTS, BADGES,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Number, Value as Json};

const LIMITS: PageLimits = PageLimits {
    default_limit: 50,
    max_limit: 100,
    default_cursor_limit: 50,
    max_cursor_limit: 100,
};

fn cases() -> u32 {
    std::env::var("QUERY_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4_000)
}

/// Words the parser looks for, so generated input gets past the first checks.
const KEYS: &[&str] = &[
    "filter",
    "sort",
    "paging",
    "cursorPaging",
    "limit",
    "offset",
    "cursor",
    "fields",
    "fieldsets",
    "fieldName",
    "order",
    "$and",
    "$or",
    "$not",
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
    "$exists",
    "$startsWith",
    "$hasSome",
    "$hasAll",
    "$date",
    "$regex",
    "$",
    "id",
    "_id",
    "title",
    "slug",
    "createdDate",
    "_createdDate",
    "updatedDate",
    "_updatedDate",
    "permissionsEnabled",
    "displayOrder",
    "badgeId",
    "memberId",
    "tags.tags.tagIds",
    "tags.privateTags.tagIds",
    "",
];

const STRINGS: &[&str] = &[
    "",
    "ASC",
    "DESC",
    "desc",
    "2024-05-01T10:00:00.000Z",
    "2024-05-01T12:00:00.123456789+02:00",
    "9999-12-31T23:59:59.999Z",
    "0000-01-01T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0",
    "1B2C3D4E-5F60-4172-8394-A5B6C7D8E9F0",
    "{1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0}",
    "1b2c3d4e5f6041728394a5b6c7d8e9f0",
    "00000000-0000-0000-0000-000000000000",
    "99999999999999999999",
    "18446744073709551615",
    "-1",
    "0",
    "1e3",
    "NaN",
    "{\"title\": \"a\"}",
    "{\"$not\": {\"$not\": {}}}",
    "[",
    "%_\\",
    "é",
    "🎖",
    ".",
    "a.b",
    "e30.AAAA",
];

fn number() -> impl Strategy<Value = Json> {
    prop_oneof![
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        any::<f64>().prop_map(Json::from),
        prop::sample::select(
            &[
                0.0,
                -0.0,
                0.5,
                1.5,
                -1.0,
                1e308,
                -1e308,
                f64::MIN_POSITIVE,
                9_007_199_254_740_993.0,
                1e19,
                100.0,
            ][..]
        )
        .prop_map(Json::from),
        prop::sample::select(
            &[
                0,
                1,
                100,
                101,
                1000,
                1001,
                1_000_000_000,
                1_000_000_001,
                u32::MAX as u64,
                i64::MAX as u64,
                u64::MAX,
            ][..]
        )
        .prop_map(Json::from),
        Just(Json::Number(Number::from(i64::MIN))),
    ]
}

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(STRINGS).prop_map(str::to_owned),
        4 => prop::sample::select(KEYS).prop_map(str::to_owned),
        4 => "\\PC{0,24}",
        2 => any::<String>(),
        // Huge strings: long titles, long cursors, long dates.
        1 => (prop::sample::select(&["a", "%", "é", "🎖", "{", "9"][..]), 1_000_usize..40_000)
            .prop_map(|(piece, n)| piece.repeat(n)),
    ]
}

fn leaf() -> impl Strategy<Value = Json> {
    prop_oneof![
        1 => Just(Json::Null),
        1 => any::<bool>().prop_map(Json::Bool),
        3 => number(),
        4 => string().prop_map(Json::String),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => prop::sample::select(KEYS).prop_map(str::to_owned),
        1 => string(),
    ]
}

fn tree() -> impl Strategy<Value = Json> {
    leaf().prop_recursive(8, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Json::Array),
            prop::collection::vec((key(), inner), 0..8).prop_map(|kv| Json::Object(kv.into_iter().collect())),
        ]
    })
}

/// Any JSON value, mostly small, now and then deep.
fn json() -> impl Strategy<Value = Json> {
    prop_oneof![
        12 => tree(),
        1 => (tree(), wrappers()).prop_map(|(core, layers)| wrap(core, &layers)),
    ]
}

fn keyed(k: &str, v: Json) -> Json {
    let mut m = Map::new();
    m.insert(k.to_owned(), v);
    Json::Object(m)
}

/// Wider than any list, condition or sort limit.
fn wide() -> impl Strategy<Value = Json> {
    prop_oneof![
        (prop::sample::select(KEYS), prop::collection::vec(leaf(), 190..1_100))
            .prop_map(|(k, items)| keyed(k, Json::Array(items))),
        (prop::sample::select(KEYS), prop::collection::vec(tree(), 190..230))
            .prop_map(|(k, items)| keyed(k, Json::Array(items))),
    ]
}

/// Layers to wrap a value in: up to 120 (a JSON body can be no deeper than 128).
fn wrappers() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0_u8..6, 0..120)
}

fn wrap(core: Json, layers: &[u8]) -> Json {
    let one = |k: &str, v: Json| {
        let mut m = Map::new();
        m.insert(k.to_owned(), v);
        Json::Object(m)
    };
    layers.iter().fold(core, |inner, layer| match layer {
        0 => one("$not", inner),
        1 => one("$and", Json::Array(vec![inner])),
        2 => one("$or", Json::Array(vec![Json::Null, inner])),
        3 => Json::Array(vec![inner]),
        4 => one("title", inner),
        _ => one("filter", inner),
    })
}

/// Values that often have the right type for some field.
fn plausible() -> impl Strategy<Value = Json> {
    let scalar = prop_oneof![
        4 => prop::sample::select(STRINGS).prop_map(Json::from),
        1 => "\\PC{0,8}".prop_map(Json::from),
        1 => any::<bool>().prop_map(Json::Bool),
        1 => Just(Json::Null),
    ];
    prop_oneof![
        40 => scalar.clone(),
        20 => prop::collection::vec(scalar.clone(), 0..6).prop_map(Json::Array),
        10 => json(),
        // Longer than any list may be.
        1 => prop::collection::vec(scalar, 990..1_010).prop_map(Json::Array),
    ]
}

/// Something shaped like a filter: logical operators over field conditions.
fn filter_like() -> impl Strategy<Value = Json> {
    let field = prop::sample::select(&KEYS[29..]).prop_map(str::to_owned);
    let op = prop::sample::select(&KEYS[12..29]).prop_map(str::to_owned);
    let condition = prop_oneof![
        (field.clone(), plausible()).prop_map(|(f, v)| {
            let mut m = Map::new();
            m.insert(f, v);
            Json::Object(m)
        }),
        (field, prop::collection::vec((op, plausible()), 0..4)).prop_map(|(f, ops)| {
            let mut m = Map::new();
            m.insert(f, Json::Object(ops.into_iter().collect()));
            Json::Object(m)
        }),
    ];
    let nested = condition.clone().prop_recursive(14, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(|v| {
                let mut m = Map::new();
                m.insert("$and".into(), Json::Array(v));
                Json::Object(m)
            }),
            prop::collection::vec(inner.clone(), 0..6).prop_map(|v| {
                let mut m = Map::new();
                m.insert("$or".into(), Json::Array(v));
                Json::Object(m)
            }),
            inner.clone().prop_map(|v| {
                let mut m = Map::new();
                m.insert("$not".into(), v);
                Json::Object(m)
            }),
            prop::collection::vec(inner, 2..4).prop_map(|parts| {
                // Several keys in one object.
                let mut m = Map::new();
                for part in parts {
                    if let Json::Object(o) = part {
                        m.extend(o);
                    }
                }
                Json::Object(m)
            }),
        ]
    });
    prop_oneof![
        40 => nested,
        // Around the limit of conditions in one filter.
        1 => prop::collection::vec(condition, 195..210).prop_map(|v| keyed("$or", Json::Array(v))),
    ]
}

fn sort_like() -> impl Strategy<Value = Json> {
    let entry = (
        prop_oneof![4 => prop::sample::select(&KEYS[29..]).prop_map(Json::from), 1 => json()],
        prop_oneof![4 => prop::sample::select(&["ASC", "DESC", "asc", "Desc", "UP"][..]).prop_map(Json::from), 1 => json()],
        any::<bool>(),
    )
        .prop_map(|(name, order, with_order)| {
            let mut m = Map::new();
            m.insert("fieldName".into(), name);
            if with_order {
                m.insert("order".into(), order);
            }
            Json::Object(m)
        });
    prop_oneof![
        6 => prop::collection::vec(entry, 0..11).prop_map(Json::Array),
        1 => json(),
    ]
}

/// A limit or offset: usually a fitting small integer (or its string), sometimes anything.
fn count() -> impl Strategy<Value = Json> {
    prop_oneof![
        4 => (0_u64..=120).prop_map(Json::from),
        1 => (0_u64..=120).prop_map(|n| Json::from(n.to_string())),
        1 => Just(Json::Null),
        2 => number(),
        1 => json(),
    ]
}

fn paging_like() -> impl Strategy<Value = Json> {
    (count(), count()).prop_map(|(limit, offset)| {
        let mut m = Map::new();
        m.insert("limit".into(), limit);
        m.insert("offset".into(), offset);
        Json::Object(m)
    })
}

/// Something shaped like a query body.
fn query_like() -> impl Strategy<Value = Json> {
    (
        prop::option::of(
            prop_oneof![4 => filter_like(), 1 => json(), 1 => filter_like().prop_map(|f| Json::String(f.to_string()))],
        ),
        prop::option::of(sort_like()),
        prop::option::weighted(0.3, paging_like()),
        prop::option::weighted(0.3, prop_oneof![paging_like(), json()]),
        prop::option::weighted(0.1, json()),
    )
        .prop_map(|(filter, sort, paging, cursor_paging, fields)| {
            let mut m = Map::new();
            let mut put = |k: &str, v: Option<Json>| {
                if let Some(v) = v {
                    m.insert(k.to_owned(), v);
                }
            };
            put("filter", filter);
            put("sort", sort);
            put("paging", paging);
            put("cursorPaging", cursor_paging);
            put("fields", fields);
            Json::Object(m)
        })
}

fn key_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        string().prop_map(Value::Text),
        prop::collection::vec(any::<u8>(), 0..32).prop_map(Value::Guid),
        prop::collection::vec(any::<u8>(), 16..=16).prop_map(Value::Guid),
        any::<i64>().prop_map(Value::Date),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(Value::List)
    })
}

#[derive(Debug, Clone)]
enum Input {
    /// A whole `query` object.
    Query(Json),
    /// A filter on its own (bulk update-by-filter takes one).
    Filter(Json),
    /// A filter sent as JSON text, sometimes cut short.
    FilterText(String),
    /// A cursor signed by the server, carrying whatever shape and key. With
    /// `fit`, the key is rebuilt from `material` to match the shape's sort.
    SignedCursor {
        shape: Json,
        key: Vec<Value>,
        fit: bool,
        material: (String, i64, Vec<u8>, bool),
        backward: bool,
        limit: Json,
    },
    /// Any token in `cursorPaging.cursor`.
    Token(String),
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        20 => json().prop_map(Input::Query),
        80 => query_like().prop_map(Input::Query),
        1 => wide().prop_map(Input::Query),
        30 => prop_oneof![filter_like(), json()].prop_map(Input::Filter),
        1 => wide().prop_map(Input::Filter),
        10 => (filter_like(), any::<prop::sample::Index>(), any::<bool>()).prop_map(|(f, cut, whole)| {
            let text = f.to_string();
            let at = if whole { text.len() } else { cut.index(text.len() + 1) };
            // Cut on a character boundary at or before `at`.
            let at = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            Input::FilterText(text[..at].to_owned())
        }),
        40 => (
            prop_oneof![
                4 => (prop::option::of(filter_like()), prop::option::of(sort_like()))
                    .prop_map(|(filter, sort)| serde_json::json!({"filter": filter, "sort": sort})),
                1 => query_like(),
                1 => json(),
            ],
            prop::collection::vec(key_value(), 0..5),
            any::<bool>(),
            (string(), any::<i64>(), prop::collection::vec(any::<u8>(), 0..20), any::<bool>()),
            any::<bool>(),
            prop_oneof![4 => (1_u64..=100).prop_map(Json::from), 1 => count()],
        )
            .prop_map(|(shape, key, fit, material, backward, limit)| Input::SignedCursor {
                shape,
                key,
                fit,
                material,
                backward,
                limit,
            }),
        10 => string().prop_map(Input::Token),
    ]
}

/// Every `$n` in the text has a bound value.
fn placeholders_bound(text: &SqlText) -> bool {
    let bytes = text.sql.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let digits: String = text.sql[i + 1..].chars().take_while(char::is_ascii_digit).collect();
            match digits.parse::<usize>() {
                Ok(n) if n >= 1 && n <= text.params.len() => {}
                _ => return false,
            }
            i += 1 + digits.len();
        } else {
            i += 1;
        }
    }
    true
}

/// Compiles what was accepted, as the store would, in both dialects.
fn compile(entity: &'static Entity, query: &insignia::query::Query) -> Result<(), TestCaseError> {
    prop_assert!(
        query.sort.iter().any(|k| std::ptr::eq(k.field, entity.id)),
        "the sort is total"
    );
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        let mut text = SqlText::new();
        text.bind(insignia::query::SqlParam::Blob(vec![0; 16]));
        compile_filter(dialect, entity, &query.filter, &mut text);
        if let Paging::Cursor {
            after: Some(key),
            backward,
            ..
        } = &query.paging
        {
            let condition = compile_keyset(&query.sort, key, *backward, &mut text);
            text.push(&condition);
        }
        text.push(&compile_order(&query.sort, false));
        text.push(&compile_order(&query.sort, true));
        prop_assert!(placeholders_bound(&text), "unbound placeholder in {}", text.sql);
    }
    Ok(())
}

/// A key of the types the shape's sort needs, when the shape parses.
fn fitting_key(
    entity: &'static Entity,
    shape: &Json,
    (text, number, bytes, flag): &(String, i64, Vec<u8>, bool),
    codec: &CursorCodec,
) -> Option<Vec<Value>> {
    let query = parse_query(entity, shape, "", LIMITS, codec).ok()?;
    let key = query
        .sort
        .iter()
        .map(|k| match k.field.kind {
            Kind::Text | Kind::TagSet { .. } => Value::Text(text.clone()),
            Kind::Guid | Kind::IdSet { .. } => Value::Guid(bytes.clone()),
            Kind::Date => Value::Date(*number),
            Kind::Int => Value::Int(*number),
            Kind::Bool => Value::Bool(*flag),
        })
        .collect();
    Some(key)
}

fn check(input: &Input, entity: &'static Entity, prefix: &str) -> Result<(), TestCaseError> {
    let codec = CursorCodec::new(b"fuzz secret", b"fuzz site");
    let at = |name: &str| {
        if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}.{name}")
        }
    };
    let query = match input {
        Input::Query(raw) => parse_query(entity, raw, prefix, LIMITS, &codec),
        Input::Filter(raw) => parse_filter(entity, raw, &at("filter")).map(|filter| {
            let mut q = insignia::query::Query::by_id(entity, uuid::Uuid::nil());
            q.filter = filter;
            q
        }),
        Input::FilterText(text) => parse_filter(entity, &Json::String(text.clone()), &at("filter")).map(|filter| {
            let mut q = insignia::query::Query::by_id(entity, uuid::Uuid::nil());
            q.filter = filter;
            q
        }),
        Input::SignedCursor {
            shape,
            key,
            fit,
            material,
            backward,
            limit,
        } => {
            let fitted = if *fit {
                fitting_key(entity, shape, material, &codec)
            } else {
                None
            };
            let token = codec.encode(&CursorPosition {
                shape: shape.clone(),
                key: fitted.unwrap_or_else(|| key.clone()),
                backward: *backward,
            });
            let raw = serde_json::json!({"cursorPaging": {"cursor": token, "limit": limit}});
            parse_query(entity, &raw, prefix, LIMITS, &codec)
        }
        Input::Token(token) => {
            let raw = serde_json::json!({"cursorPaging": {"cursor": token}});
            parse_query(entity, &raw, prefix, LIMITS, &codec)
        }
    };
    match query {
        Ok(query) => compile(entity, &query),
        Err(e) => {
            // A refusal names where the problem is.
            prop_assert!(
                e.field.starts_with(prefix),
                "error field {:?} outside {prefix:?}",
                e.field
            );
            prop_assert!(!e.message.is_empty());
            Ok(())
        }
    }
}

/// Stack for the server's worker threads (tokio's default): parsing must fit in it.
const SERVER_STACK: usize = 2 << 20;

#[test]
fn the_parser_never_panics() {
    // Generating deeply nested values recurses through proptest's strategies,
    // which takes far more stack than parsing them; the runner gets plenty,
    // and each case is parsed on a thread with a server-sized stack.
    let started = std::time::Instant::now();
    let runner = std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(|| {
            let mut runner = TestRunner::new(Config {
                cases: cases(),
                failure_persistence: None,
                ..Config::default()
            });
            let strategy = (input(), any::<bool>(), any::<bool>());
            let result = runner.run(&strategy, |(input, badges, prefixed)| {
                let entity: &'static Entity = if badges { &BADGES } else { &ASSIGNMENTS };
                let prefix = if prefixed { "query" } else { "" };
                std::thread::scope(|scope| {
                    std::thread::Builder::new()
                        .stack_size(SERVER_STACK)
                        .spawn_scoped(scope, || check(&input, entity, prefix))
                        .expect("thread")
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
            });
            result.map_err(|e| e.to_string())
        })
        .expect("runner thread");
    let result = runner.join().expect("runner");
    eprintln!("{} cases in {:.1} s", cases(), started.elapsed().as_secs_f64());
    if let Err(e) = result {
        panic!("{e}");
    }
}
