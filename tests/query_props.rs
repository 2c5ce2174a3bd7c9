//! Differential property tests of badge queries.
//!
//! Random badge sets are created through the real store (SQLite always,
//! PostgreSQL too when `INSIGNIA_TEST_DATABASE_URL` is set), then random
//! filters and sorts are run against the database and against a small
//! evaluator written from the query-language rules:
//! - `{field: value}` is equality; several fields or operators in one object all apply;
//! - text compares case-sensitively by code point (byte order of UTF-8);
//! - `$startsWith` ignores case: the text's simple case folding (Unicode
//!   `CaseFolding.txt`, statuses C and S, character by character) starts
//!   with the prefix's (`%` and `_` are ordinary characters); an id matches
//!   when its canonical lower-case text does;
//! - ids compare as their canonical text (byte order of the GUID);
//! - `$ne` and `$nin` match rows whose value differs; `$eq: null` matches a
//!   field that is absent (never, for badges), `$ne: null` one that is present;
//! - `$isEmpty: true` matches an absent field or empty text; `$hasSome` on a
//!   scalar is `$in`;
//! - the sort is the listed keys (a repeated field keeps its first direction),
//!   `createdDate DESC` when none is given, then the id, running the same way
//!   as the last key, so the order is total.
//!
//! Both must give the same rows in the same order, and paging through any
//! result (offset paging, cursor paging forward, and backward from the last
//! page) with any page size must visit every row exactly once, in order.
//!
//! `QUERY_PROPS_CASES` sets the number of cases (64 by default).

#[path = "common/mod.rs"]
mod common;

use std::cmp::Ordering;

use common::{Backend, TestDb, PG_VAR};
use icu_casemap::CaseMapper;
use insignia::domain::{BadgeDescription, BadgeTitle, Color, NewBadge, SiteId, Timestamp};
use insignia::query::cursor::CursorPosition;
use insignia::query::{parse_query, CursorCodec, PageLimits, Paging, Query, BADGES};
use insignia::store::{Page, Store};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use serde_json::{json, Value as Json};
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use uuid::Uuid;

/// The page-size rules of `POST /badges/v4/badges/query`.
const LIMITS: PageLimits = PageLimits {
    default_limit: 50,
    max_limit: 100,
    default_cursor_limit: 50,
    max_cursor_limit: 100,
};

// ---------------------------------------------------------------- generated data

/// Characters that trip up SQL text handling: LIKE wildcards and their escape,
/// quotes, case pairs, non-ASCII letters whose lower case differs, and
/// characters outside the Basic Multilingual Plane. U+0000 is not among them:
/// PostgreSQL text cannot hold it, so the backends do not agree on it.
const PIECES: &[&str] = &[
    "a", "A", "b", "B", "z", "%", "_", "\\", " ", "é", "É", "ß", "ẞ", "Σ", "σ", "ς", "\u{212A}", "k", "日", "🎖", "'",
    "0", "-",
];

/// Instants chosen so that many badges share one, with neighbours 1 ms apart
/// and one before the epoch.
const INSTANTS: &[i64] = &[
    -1,
    0,
    1_714_557_600_000,
    1_714_557_600_001,
    1_714_557_600_999,
    1_714_557_601_000,
    1_893_456_000_000,
];

fn word() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 1..5).prop_map(|pieces| pieces.concat())
}

#[derive(Debug, Clone)]
struct SeedBadge {
    title: String,
    description: String,
    permissions_enabled: bool,
    created: i64,
    updated: i64,
}

fn badge_set() -> impl Strategy<Value = Vec<SeedBadge>> {
    // A few titles shared by several badges (equal titles, and slugs that need
    // a numeric suffix), plus titles of their own.
    let titles = prop::collection::vec(word(), 1..5);
    titles.prop_flat_map(|pool| {
        let title = prop_oneof![
            3 => prop::sample::select(pool.clone()),
            2 => word(),
        ]
        .prop_map(|t| if t.trim().is_empty() { format!("x{t}") } else { t });
        // Descriptions are often empty (`$isEmpty`), else a word of their own.
        let description = prop_oneof![1 => Just(String::new()), 2 => word()];
        let badge = (
            title,
            description,
            any::<bool>(),
            prop::sample::select(INSTANTS),
            prop::sample::select(&[0_i64, 0, 1, 500, 86_400_000][..]),
        )
            .prop_map(|(title, description, permissions_enabled, created, delta)| SeedBadge {
                title,
                description,
                permissions_enabled,
                created,
                updated: created + delta,
            });
        prop::collection::vec(badge, 0..20)
    })
}

/// The badges as stored, which is what the evaluator reads.
#[derive(Debug, Clone)]
struct Row {
    id: Uuid,
    title: String,
    slug: String,
    description: String,
    permissions_enabled: bool,
    created: i64,
    updated: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldName {
    Id,
    Title,
    Slug,
    Description,
    Created,
    Updated,
    Permissions,
}

impl FieldName {
    /// The wire name; `sdk` picks the SDK spelling where one exists.
    fn wire(self, sdk: bool) -> &'static str {
        match (self, sdk) {
            (FieldName::Id, false) => "id",
            (FieldName::Id, true) => "_id",
            (FieldName::Title, _) => "title",
            (FieldName::Slug, _) => "slug",
            (FieldName::Description, _) => "description",
            (FieldName::Created, false) => "createdDate",
            (FieldName::Created, true) => "_createdDate",
            (FieldName::Updated, false) => "updatedDate",
            (FieldName::Updated, true) => "_updatedDate",
            (FieldName::Permissions, _) => "permissionsEnabled",
        }
    }
}

/// A filter value, chosen relative to the badge set so that it often matches.
#[derive(Debug, Clone)]
enum Lit {
    Null,
    /// The value of the field in badge `i % n`.
    Of(usize),
    /// The first `k` characters of the field (text, or an id's canonical
    /// text) in badge `i % n`, in the given letter case.
    PrefixOf(usize, usize, LetterCase),
    /// The field (date) of badge `i % n`, moved by some milliseconds.
    Near(usize, i64),
    Word(String),
    Instant(i64),
    Guid(u128),
    Bool(bool),
}

/// How a prefix is written: as stored, or all upper or lower case.
#[derive(Debug, Clone, Copy)]
enum LetterCase {
    Same,
    Upper,
    Lower,
}

impl LetterCase {
    fn apply(self, text: &str) -> String {
        match self {
            LetterCase::Same => text.to_owned(),
            LetterCase::Upper => text.to_uppercase(),
            LetterCase::Lower => text.to_lowercase(),
        }
    }
}

#[derive(Debug, Clone)]
enum Cond {
    Eq(Lit),
    Ne(Lit),
    Gt(Lit),
    Gte(Lit),
    Lt(Lit),
    Lte(Lit),
    In(Vec<Lit>),
    Nin(Vec<Lit>),
    Exists(bool),
    IsEmpty(bool),
    HasSome(Vec<Lit>),
    StartsWith(Lit),
}

impl Cond {
    fn op(&self) -> &'static str {
        match self {
            Cond::Eq(_) => "$eq",
            Cond::Ne(_) => "$ne",
            Cond::Gt(_) => "$gt",
            Cond::Gte(_) => "$gte",
            Cond::Lt(_) => "$lt",
            Cond::Lte(_) => "$lte",
            Cond::In(_) => "$in",
            Cond::Nin(_) => "$nin",
            Cond::Exists(_) => "$exists",
            Cond::IsEmpty(_) => "$isEmpty",
            Cond::HasSome(_) => "$hasSome",
            Cond::StartsWith(_) => "$startsWith",
        }
    }
}

/// Conditions on one field: `{field: value}` when `bare`, else `{field: {$op: value, …}}`.
#[derive(Debug, Clone)]
struct FieldFilter {
    field: FieldName,
    sdk_name: bool,
    bare: bool,
    conds: Vec<Cond>,
}

#[derive(Debug, Clone)]
enum F {
    /// One object with one or more field keys (all apply).
    Fields(Vec<FieldFilter>),
    And(Vec<F>),
    Or(Vec<F>),
    Not(Box<F>),
}

fn lit_for(field: FieldName) -> BoxedStrategy<Lit> {
    let row = any::<prop::sample::Index>().prop_map(|i| i.index(1 << 16));
    let case = prop::sample::select(&[LetterCase::Same, LetterCase::Upper, LetterCase::Lower][..]);
    match field {
        FieldName::Title | FieldName::Slug | FieldName::Description => prop_oneof![
            3 => row.clone().prop_map(Lit::Of),
            2 => (row, 0_usize..4, case).prop_map(|(i, k, c)| Lit::PrefixOf(i, k, c)),
            2 => word().prop_map(Lit::Word),
        ]
        .boxed(),
        FieldName::Id => prop_oneof![
            3 => row.clone().prop_map(Lit::Of),
            1 => any::<u128>().prop_map(Lit::Guid),
        ]
        .boxed(),
        FieldName::Created | FieldName::Updated => prop_oneof![
            2 => row.clone().prop_map(Lit::Of),
            2 => (row, -1_i64..=1).prop_map(|(i, d)| Lit::Near(i, d)),
            2 => prop::sample::select(INSTANTS).prop_map(Lit::Instant),
        ]
        .boxed(),
        FieldName::Permissions => any::<bool>().prop_map(Lit::Bool).boxed(),
    }
}

fn cond_for(field: FieldName) -> BoxedStrategy<Cond> {
    let lit = lit_for(field);
    let list = prop::collection::vec(lit.clone(), 0..4);
    let null = prop_oneof![Just(Cond::Eq(Lit::Null)), Just(Cond::Ne(Lit::Null))];
    let exists = any::<bool>().prop_map(Cond::Exists);
    let equality = prop_oneof![lit.clone().prop_map(Cond::Eq), lit.clone().prop_map(Cond::Ne),];
    let sets = prop_oneof![
        2 => list.clone().prop_map(Cond::In),
        2 => list.clone().prop_map(Cond::Nin),
        1 => list.prop_map(Cond::HasSome),
    ];
    match field {
        FieldName::Permissions => prop_oneof![4 => equality, 2 => sets, 1 => exists, 1 => null].boxed(),
        FieldName::Created
        | FieldName::Updated
        | FieldName::Title
        | FieldName::Slug
        | FieldName::Description
        | FieldName::Id => {
            let ordered = prop_oneof![
                lit.clone().prop_map(Cond::Gt),
                lit.clone().prop_map(Cond::Gte),
                lit.clone().prop_map(Cond::Lt),
                lit.clone().prop_map(Cond::Lte),
            ];
            // Dates take neither a prefix nor `$isEmpty`.
            let (starts, empty) = match field {
                FieldName::Created | FieldName::Updated => (lit.prop_map(Cond::Eq).boxed(), exists.clone().boxed()),
                FieldName::Id => {
                    // An id's prefix: the start of a badge's id in some letter case.
                    let prefix = (
                        any::<prop::sample::Index>(),
                        0_usize..37,
                        prop::sample::select(&[LetterCase::Upper, LetterCase::Lower][..]),
                    )
                        .prop_map(|(i, k, c)| Cond::StartsWith(Lit::PrefixOf(i.index(1 << 16), k, c)));
                    (prefix.boxed(), any::<bool>().prop_map(Cond::IsEmpty).boxed())
                }
                _ => (
                    lit.prop_map(Cond::StartsWith).boxed(),
                    any::<bool>().prop_map(Cond::IsEmpty).boxed(),
                ),
            };
            prop_oneof![
                4 => equality,
                4 => ordered,
                4 => sets,
                1 => exists,
                1 => null,
                4 => starts,
                1 => empty,
            ]
            .boxed()
        }
    }
}

fn field_filter() -> impl Strategy<Value = FieldFilter> {
    prop::sample::select(
        &[
            FieldName::Id,
            FieldName::Title,
            FieldName::Slug,
            FieldName::Description,
            FieldName::Created,
            FieldName::Updated,
            FieldName::Permissions,
        ][..],
    )
    .prop_flat_map(|field| {
        (
            any::<bool>(),
            any::<bool>(),
            prop::collection::vec(cond_for(field), 1..3),
        )
            .prop_map(move |(sdk_name, bare, conds)| {
                // One key per operator; `{field: value}` only for a single equality.
                let mut seen = Vec::new();
                let conds: Vec<Cond> = conds
                    .into_iter()
                    .filter(|c| {
                        !seen.contains(&c.op()) && {
                            seen.push(c.op());
                            true
                        }
                    })
                    .collect();
                let bare = bare && conds.len() == 1 && matches!(conds[0], Cond::Eq(_));
                FieldFilter {
                    field,
                    sdk_name,
                    bare,
                    conds,
                }
            })
    })
}

fn filter() -> impl Strategy<Value = F> {
    let leaf = prop::collection::vec(field_filter(), 1..3).prop_map(|fields| {
        // One key per wire name in an object.
        let mut seen = Vec::new();
        F::Fields(
            fields
                .into_iter()
                .filter(|f| {
                    let name = f.field.wire(f.sdk_name);
                    !seen.contains(&name) && {
                        seen.push(name);
                        true
                    }
                })
                .collect(),
        )
    });
    leaf.prop_recursive(3, 12, 3, |inner| {
        // Empty `$and`/`$or` now and then: all rows, and none.
        let items = prop_oneof![
            1 => Just(Vec::new()),
            8 => prop::collection::vec(inner.clone(), 1..4),
        ];
        prop_oneof![
            2 => items.clone().prop_map(F::And),
            2 => items.prop_map(F::Or),
            1 => inner.prop_map(|f| F::Not(Box::new(f))),
        ]
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Asc,
    Desc,
}

/// A sort entry as sent: field, SDK spelling or not, and `order` as written (None: left out).
#[derive(Debug, Clone)]
struct SortEntry {
    field: FieldName,
    sdk_name: bool,
    order: Option<&'static str>,
}

fn sort() -> impl Strategy<Value = Vec<SortEntry>> {
    let entry = (
        prop::sample::select(
            &[
                FieldName::Id,
                FieldName::Title,
                FieldName::Slug,
                FieldName::Description,
                FieldName::Created,
                FieldName::Updated,
                FieldName::Permissions,
            ][..],
        ),
        any::<bool>(),
        prop::sample::select(&[None, Some("ASC"), Some("DESC"), Some("asc"), Some("desc")][..]),
    )
        .prop_map(|(field, sdk_name, order)| SortEntry { field, sdk_name, order });
    prop::collection::vec(entry, 0..4)
}

#[derive(Debug, Clone)]
struct QuerySpec {
    filter: Option<F>,
    sort: Option<Vec<SortEntry>>,
    page_size: u32,
}

#[derive(Debug, Clone)]
struct Case {
    badges: Vec<SeedBadge>,
    queries: Vec<QuerySpec>,
}

fn case() -> impl Strategy<Value = Case> {
    let spec = (
        prop::option::weighted(0.85, filter()),
        prop::option::weighted(0.85, sort()),
        1_u32..8,
    )
        .prop_map(|(filter, sort, page_size)| QuerySpec {
            filter,
            sort,
            page_size,
        });
    (badge_set(), prop::collection::vec(spec, 1..6)).prop_map(|(badges, queries)| Case { badges, queries })
}

// ---------------------------------------------------------------- rendering and evaluation

/// A resolved value as the evaluator compares it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum V {
    Null,
    Text(String),
    Id([u8; 16]),
    Date(i64),
    Bool(bool),
}

fn field_value(row: &Row, field: FieldName) -> V {
    match field {
        FieldName::Id => V::Id(*row.id.as_bytes()),
        FieldName::Title => V::Text(row.title.clone()),
        FieldName::Slug => V::Text(row.slug.clone()),
        FieldName::Description => V::Text(row.description.clone()),
        FieldName::Created => V::Date(row.created),
        FieldName::Updated => V::Date(row.updated),
        FieldName::Permissions => V::Bool(row.permissions_enabled),
    }
}

fn date_json(ms: i64) -> Json {
    Json::String(Timestamp::from_millis(ms).to_rfc3339())
}

/// The JSON sent and the value the evaluator compares with.
fn resolve(lit: &Lit, field: FieldName, rows: &[Row]) -> (Json, V) {
    let row = |i: usize| rows.get(i % rows.len().max(1));
    let to_json = |v: &V| match v {
        V::Null => Json::Null,
        V::Text(s) => Json::String(s.clone()),
        V::Id(b) => Json::String(Uuid::from_bytes(*b).to_string()),
        V::Date(ms) => date_json(*ms),
        V::Bool(b) => Json::Bool(*b),
    };
    let v = match lit {
        Lit::Null => V::Null,
        Lit::Of(i) => match row(*i) {
            Some(r) => field_value(r, field),
            // No badges: any value of the field's type.
            None => match field {
                FieldName::Id => V::Id([0; 16]),
                FieldName::Title | FieldName::Slug | FieldName::Description => V::Text("a".into()),
                FieldName::Created | FieldName::Updated => V::Date(0),
                FieldName::Permissions => V::Bool(true),
            },
        },
        Lit::PrefixOf(i, k, case) => match row(*i).map(|r| field_value(r, field)) {
            Some(V::Text(s)) => V::Text(case.apply(&s.chars().take(*k).collect::<String>())),
            Some(V::Id(b)) => V::Text(case.apply(&Uuid::from_bytes(b).to_string()[..*k])),
            _ => V::Text(String::new()),
        },
        Lit::Near(i, delta) => match row(*i).map(|r| field_value(r, field)) {
            Some(V::Date(ms)) => V::Date(ms + delta),
            _ => V::Date(*delta),
        },
        Lit::Word(w) => V::Text(w.clone()),
        Lit::Instant(ms) => V::Date(*ms),
        Lit::Guid(g) => V::Id(g.to_be_bytes()),
        Lit::Bool(b) => V::Bool(*b),
    };
    (to_json(&v), v)
}

fn cond_json(cond: &Cond, field: FieldName, rows: &[Row]) -> Json {
    let one = |lit: &Lit| resolve(lit, field, rows).0;
    match cond {
        Cond::Eq(l) | Cond::Ne(l) | Cond::Gt(l) | Cond::Gte(l) | Cond::Lt(l) | Cond::Lte(l) | Cond::StartsWith(l) => {
            one(l)
        }
        Cond::In(ls) | Cond::Nin(ls) | Cond::HasSome(ls) => Json::Array(ls.iter().map(one).collect()),
        Cond::Exists(b) | Cond::IsEmpty(b) => Json::Bool(*b),
    }
}

fn filter_json(f: &F, rows: &[Row]) -> Json {
    match f {
        F::Fields(fields) => {
            let mut obj = serde_json::Map::new();
            for ff in fields {
                let value = if ff.bare {
                    cond_json(&ff.conds[0], ff.field, rows)
                } else {
                    let ops = ff
                        .conds
                        .iter()
                        .map(|c| (c.op().to_owned(), cond_json(c, ff.field, rows)))
                        .collect();
                    Json::Object(ops)
                };
                obj.insert(ff.field.wire(ff.sdk_name).to_owned(), value);
            }
            Json::Object(obj)
        }
        F::And(items) => json!({"$and": items.iter().map(|i| filter_json(i, rows)).collect::<Vec<_>>()}),
        F::Or(items) => json!({"$or": items.iter().map(|i| filter_json(i, rows)).collect::<Vec<_>>()}),
        F::Not(inner) => json!({"$not": filter_json(inner, rows)}),
    }
}

fn cond_holds(cond: &Cond, field: FieldName, row: &Row, rows: &[Row]) -> bool {
    let have = field_value(row, field);
    let want = |lit: &Lit| resolve(lit, field, rows).1;
    // Badge fields are never absent, so a null only matches through `$ne`.
    match cond {
        Cond::Eq(l) => have == want(l),
        Cond::Ne(l) => have != want(l),
        Cond::Gt(l) => have > want(l),
        Cond::Gte(l) => have >= want(l),
        Cond::Lt(l) => have < want(l),
        Cond::Lte(l) => have <= want(l),
        Cond::In(ls) | Cond::HasSome(ls) => ls.iter().any(|l| have == want(l)),
        Cond::Nin(ls) => ls.iter().all(|l| have != want(l)),
        Cond::Exists(b) => *b,
        Cond::IsEmpty(b) => *b == matches!(&have, V::Text(t) if t.is_empty()),
        Cond::StartsWith(l) => match (&have, want(l)) {
            (V::Text(h), V::Text(p)) => folded(h).starts_with(&folded(&p)),
            (V::Id(id), V::Text(p)) => folded(&Uuid::from_bytes(*id).to_string()).starts_with(&folded(&p)),
            _ => false,
        },
    }
}

/// Unicode simple case folding, character by character.
fn folded(text: &str) -> String {
    let mapper = CaseMapper::new();
    text.chars().map(|c| mapper.simple_fold(c)).collect()
}

fn matches(f: &F, row: &Row, rows: &[Row]) -> bool {
    match f {
        F::Fields(fields) => fields
            .iter()
            .all(|ff| ff.conds.iter().all(|c| cond_holds(c, ff.field, row, rows))),
        F::And(items) => items.iter().all(|i| matches(i, row, rows)),
        F::Or(items) => items.iter().any(|i| matches(i, row, rows)),
        F::Not(inner) => !matches(inner, row, rows),
    }
}

fn sort_json(entries: &[SortEntry]) -> Json {
    Json::Array(
        entries
            .iter()
            .map(|e| {
                let mut o = json!({"fieldName": e.field.wire(e.sdk_name)});
                if let Some(order) = e.order {
                    o["order"] = json!(order);
                }
                o
            })
            .collect(),
    )
}

/// The total order the rules give: listed keys (first direction of a repeated
/// field), `createdDate DESC` by default, then the id the way the last key runs.
fn effective_sort(entries: &[SortEntry]) -> Vec<(FieldName, Dir)> {
    let mut keys: Vec<(FieldName, Dir)> = Vec::new();
    for e in entries {
        let dir = match e.order {
            Some(o) if o.eq_ignore_ascii_case("DESC") => Dir::Desc,
            _ => Dir::Asc,
        };
        if !keys.iter().any(|(f, _)| *f == e.field) {
            keys.push((e.field, dir));
        }
    }
    if keys.is_empty() {
        keys.push((FieldName::Created, Dir::Desc));
    }
    if !keys.iter().any(|(f, _)| *f == FieldName::Id) {
        let last = keys.last().map_or(Dir::Asc, |k| k.1);
        keys.push((FieldName::Id, last));
    }
    keys
}

fn expected(spec: &QuerySpec, rows: &[Row]) -> Vec<Uuid> {
    let mut hits: Vec<&Row> = rows
        .iter()
        .filter(|r| spec.filter.as_ref().is_none_or(|f| matches(f, r, rows)))
        .collect();
    let keys = effective_sort(spec.sort.as_deref().unwrap_or(&[]));
    hits.sort_by(|a, b| {
        keys.iter()
            .map(|(field, dir)| {
                let o = field_value(a, *field).cmp(&field_value(b, *field));
                if *dir == Dir::Desc {
                    o.reverse()
                } else {
                    o
                }
            })
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
    hits.iter().map(|r| r.id).collect()
}

// ---------------------------------------------------------------- running a case

struct Backed {
    db: TestDb,
    /// A second connection to the same database, to set dates the store does not take.
    raw: AnyPool,
    badges_table: String,
    codec_secret: Vec<u8>,
}

impl Backed {
    async fn open(backend: Backend) -> Option<Backed> {
        let db = TestDb::new(backend).await?;
        let raw = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&db.url)
            .await
            .expect("second connection");
        let badges_table = match &db.schema {
            Some(schema) => format!("{schema}.badges"),
            None => "badges".to_owned(),
        };
        let codec_secret = db.store.server_secret().await.expect("secret");
        Some(Backed {
            db,
            raw,
            badges_table,
            codec_secret,
        })
    }

    async fn seed(&self, site: SiteId, badges: &[SeedBadge]) -> Vec<Row> {
        let mut rows = Vec::with_capacity(badges.len());
        for seed in badges {
            let new = NewBadge {
                title: BadgeTitle::parse("title", &seed.title).expect("generated titles are valid"),
                description: BadgeDescription::parse("description", &seed.description)
                    .expect("generated descriptions are valid"),
                background_color: Color::default_background(),
                text_color: Color::default_text(),
                icon: None,
                permissions_enabled: seed.permissions_enabled,
            };
            let badge = self.db.store.create_badge(site, &new).await.expect("create badge");
            // Badges are created "now"; the test needs chosen (and equal) dates.
            let sql = format!(
                "UPDATE {} SET created_at = $1, updated_at = $2 WHERE site_id = $3 AND id = $4",
                self.badges_table
            );
            sqlx::query(&sql)
                .bind(seed.created)
                .bind(seed.updated)
                .bind(site.to_bytes())
                .bind(badge.id.to_bytes())
                .execute(&self.raw)
                .await
                .expect("set dates");
            rows.push(Row {
                id: badge.id.as_uuid(),
                title: badge.title.as_str().to_owned(),
                slug: badge.slug.as_str().to_owned(),
                description: badge.description.as_str().to_owned(),
                permissions_enabled: badge.permissions_enabled,
                created: seed.created,
                updated: seed.updated,
            });
        }
        rows
    }
}

async fn fetch(store: &dyn Store, site: SiteId, query: &Query) -> Result<Page<Uuid>, TestCaseError> {
    let page = store
        .query_badges(site, query)
        .await
        .map_err(|e| TestCaseError::fail(format!("query failed: {e}")))?;
    let items = page.items.iter().map(|b| b.id.as_uuid()).collect();
    Ok(page.with_items(items))
}

fn parse(raw: &Json, codec: &CursorCodec) -> Result<Query, TestCaseError> {
    parse_query(&BADGES, raw, "query", LIMITS, codec).map_err(|e| TestCaseError::fail(format!("{raw} refused: {e:?}")))
}

fn cursor(codec: &CursorCodec, query: &Query, key: Vec<insignia::query::Value>, backward: bool) -> String {
    codec.encode(&CursorPosition {
        shape: query.shape.clone(),
        key,
        backward,
    })
}

async fn check_case(backed: &Backed, case: &Case) -> Result<(), TestCaseError> {
    let store = backed.db.store.as_ref();
    // Every case is its own site in a shared database: other cases' badges must never show.
    let site = SiteId::from_uuid(Uuid::new_v4());
    let codec = CursorCodec::new(&backed.codec_secret, site.as_uuid().as_bytes());
    let rows = backed.seed(site, &case.badges).await;

    for spec in &case.queries {
        let want = expected(spec, &rows);
        let filter = spec.filter.as_ref().map_or(Json::Null, |f| filter_json(f, &rows));
        let sort = spec.sort.as_ref().map_or(Json::Null, |s| sort_json(s));
        let context = format!("filter {filter} sort {sort}");
        let base = json!({"filter": filter, "sort": sort});

        // Everything in one page.
        let mut all = base.clone();
        all["paging"] = json!({"limit": 100});
        let page = fetch(store, site, &parse(&all, &codec)?).await?;
        prop_assert_eq!(&page.items, &want, "rows and order, {}", context);
        prop_assert_eq!(page.total, Some(want.len() as u64), "total, {}", context);

        let k = spec.page_size as usize;
        let pages_at_most = want.len() / k + 2;

        // Offset paging: every page but the last is full; the total never changes.
        let mut query = parse(&base, &codec)?;
        let mut seen = Vec::new();
        for n in 0.. {
            prop_assert!(n <= pages_at_most, "offset paging does not end, {}", context);
            query.paging = Paging::Offset {
                limit: spec.page_size,
                offset: seen.len() as u64,
            };
            let page = fetch(store, site, &query).await?;
            prop_assert_eq!(
                page.total,
                Some(want.len() as u64),
                "total at offset {}, {}",
                seen.len(),
                context
            );
            let short = page.items.len() < k;
            seen.extend(page.items);
            if short {
                break;
            }
        }
        prop_assert_eq!(&seen, &want, "offset pages of {}, {}", k, context);

        // Cursor paging forward, each next page asked for with the cursor alone.
        let mut first = base.clone();
        first["cursorPaging"] = json!({"limit": spec.page_size});
        let mut query = parse(&first, &codec)?;
        let mut seen = Vec::new();
        let mut last_page_prev = None;
        for n in 0.. {
            prop_assert!(n <= pages_at_most, "cursor paging does not end, {}", context);
            let page = fetch(store, site, &query).await?;
            prop_assert_eq!(
                page.prev_key.is_some(),
                n > 0,
                "previous cursor on page {}, {}",
                n,
                context
            );
            prop_assert!(
                page.items.len() == k || page.next_key.is_none(),
                "short page {} has a next cursor, {}",
                n,
                context
            );
            prop_assert!(
                !page.items.is_empty() || n == 0,
                "a next cursor led to an empty page, {}",
                context
            );
            seen.extend(page.items.iter().copied());
            match page.next_key {
                Some(key) => {
                    let token = cursor(&codec, &query, key, false);
                    query = parse(
                        &json!({"cursorPaging": {"cursor": token, "limit": spec.page_size}}),
                        &codec,
                    )?;
                }
                None => {
                    last_page_prev = page.prev_key.map(|key| (cursor(&codec, &query, key, true), page.items));
                    break;
                }
            }
        }
        prop_assert_eq!(&seen, &want, "cursor pages of {}, {}", k, context);

        // And back from the last page to the first.
        if let Some((mut token, last_items)) = last_page_prev {
            let mut before: Vec<Uuid> = Vec::new();
            for n in 0.. {
                prop_assert!(n <= pages_at_most, "backward paging does not end, {}", context);
                let query = parse(
                    &json!({"cursorPaging": {"cursor": token, "limit": spec.page_size}}),
                    &codec,
                )?;
                let page = fetch(store, site, &query).await?;
                prop_assert!(page.next_key.is_some(), "a previous page has a next one, {}", context);
                prop_assert!(
                    !page.items.is_empty(),
                    "a previous cursor led to an empty page, {}",
                    context
                );
                let mut items = page.items;
                items.extend(before);
                before = items;
                match page.prev_key {
                    Some(key) => token = cursor(&codec, &query, key, true),
                    None => break,
                }
            }
            before.extend(last_items);
            prop_assert_eq!(&before, &want, "backward cursor pages of {}, {}", k, context);
        }
    }
    Ok(())
}

fn run(backend: Backend) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let Some(backed) = rt.block_on(Backed::open(backend)) else {
        eprintln!("{PG_VAR} is not set: PostgreSQL variant not run");
        return;
    };
    let cases = std::env::var("QUERY_PROPS_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_time: 120_000,
        ..Config::default()
    });
    let result = runner.run(&case(), |case| rt.block_on(check_case(&backed, &case)));
    rt.block_on(async {
        backed.raw.close().await;
        backed.db.store.close().await;
    });
    drop(backed);
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, case)) => panic!("{backend:?}: {reason}\nminimal case: {case:#?}"),
        Err(e) => panic!("{backend:?}: {e}"),
    }
}

#[test]
fn sqlite_queries_agree_with_the_rules() {
    run(Backend::Sqlite);
}

#[test]
fn postgres_queries_agree_with_the_rules() {
    run(Backend::Postgres);
}
