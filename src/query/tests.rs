//! Parsing, validation and SQL generation of the query language, checked
//! without a database: the exact SQL text and bound parameters for both
//! dialects, and the error (field and message) of every kind of bad input.

use serde_json::{json, Value as Json};

use super::cursor::CursorPosition;
use super::*;

const LIMITS: PageLimits = PageLimits {
    default_limit: 50,
    max_limit: 100,
    default_cursor_limit: 50,
    max_cursor_limit: 100,
};

const GUID: &str = "1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0";
const GUID_2: &str = "ffffffff-0000-4000-8000-000000000001";

fn guid_bytes(raw: &str) -> Vec<u8> {
    uuid::Uuid::parse_str(raw).unwrap().as_bytes().to_vec()
}

fn codec() -> CursorCodec {
    CursorCodec::new(b"unit test secret", b"site-a")
}

fn field(name: &str) -> &'static Field {
    BADGES
        .field(name)
        .unwrap_or_else(|| panic!("badges have no field {name}"))
}

fn compare(name: &str, op: Op, value: Value) -> Filter {
    Filter::Compare {
        field: field(name),
        op,
        value,
    }
}

#[track_caller]
fn filter(raw: Json) -> Filter {
    parse_filter(&BADGES, &raw, "query.filter").unwrap_or_else(|e| panic!("{raw} was refused: {e:?}"))
}

#[track_caller]
fn refused(raw: Json) -> QueryError {
    match parse_filter(&BADGES, &raw, "query.filter") {
        Ok(f) => panic!("{raw} was accepted as {f:?}"),
        Err(e) => e,
    }
}

#[track_caller]
fn query(raw: Json) -> Query {
    parse_query(&BADGES, &raw, "query", LIMITS, &codec()).unwrap_or_else(|e| panic!("{raw} was refused: {e:?}"))
}

#[track_caller]
fn query_refused(raw: Json) -> QueryError {
    match parse_query(&BADGES, &raw, "query", LIMITS, &codec()) {
        Ok(q) => panic!("{raw} was accepted as {q:?}"),
        Err(e) => e,
    }
}

fn sort_of(entity: &'static Entity, raw: Json) -> Vec<(&'static str, Order)> {
    parse_sort(entity, &raw, "query.sort")
        .unwrap_or_else(|e| panic!("{raw} was refused: {e:?}"))
        .iter()
        .map(|k| (k.field.name(), k.order))
        .collect()
}

fn compiled(dialect: Dialect, entity: &'static Entity, raw: &Json) -> SqlText {
    let parsed = parse_filter(entity, raw, "filter").unwrap_or_else(|e| panic!("{raw} was refused: {e:?}"));
    let mut out = SqlText::new();
    compile_filter(dialect, entity, &parsed, &mut out);
    out
}

/// Both dialects produce `sqlite` / `postgres` text with the same parameters.
#[track_caller]
fn sql_is(entity: &'static Entity, raw: Json, sqlite: &str, postgres: &str, params: &[SqlParam]) {
    for (dialect, expected) in [(Dialect::Sqlite, sqlite), (Dialect::Postgres, postgres)] {
        let out = compiled(dialect, entity, &raw);
        assert_eq!(out.sql, expected, "{dialect:?} SQL for {raw}");
        assert_eq!(out.params, params, "{dialect:?} parameters for {raw}");
    }
}

/// The same text on both dialects.
#[track_caller]
fn badge_sql_is(raw: Json, sql: &str, params: &[SqlParam]) {
    sql_is(&BADGES, raw, sql, sql, params);
}

fn text(s: &str) -> SqlParam {
    SqlParam::Text(s.to_owned())
}

const MAY_1: &str = "2024-05-01T10:00:00.123Z";
const MAY_1_MS: i64 = 1_714_557_600_123;

// ---------------------------------------------------------------- parsing

#[test]
fn implicit_equality_is_eq() {
    let expected = compare("title", Op::Eq, Value::Text("Gold".into()));
    assert_eq!(filter(json!({"title": "Gold"})), expected);
    assert_eq!(filter(json!({"title": {"$eq": "Gold"}})), expected);
}

#[test]
fn values_take_the_type_of_their_field() {
    assert_eq!(
        filter(json!({"id": GUID})),
        compare("id", Op::Eq, Value::Guid(guid_bytes(GUID)))
    );
    // GUIDs are accepted in any case and compared as bytes.
    assert_eq!(
        filter(json!({"id": GUID.to_uppercase()})),
        compare("id", Op::Eq, Value::Guid(guid_bytes(GUID)))
    );
    assert_eq!(
        filter(json!({"createdDate": {"$gt": MAY_1}})),
        compare("createdDate", Op::Gt, Value::Date(MAY_1_MS))
    );
    // Another offset names the same instant; `{"$date": …}` is the same date too.
    assert_eq!(
        filter(json!({"createdDate": {"$gt": "2024-05-01T12:00:00.123+02:00"}})),
        compare("createdDate", Op::Gt, Value::Date(MAY_1_MS))
    );
    assert_eq!(
        filter(json!({"createdDate": {"$gt": {"$date": MAY_1}}})),
        compare("createdDate", Op::Gt, Value::Date(MAY_1_MS))
    );
    assert_eq!(
        filter(json!({"createdDate": {"$date": MAY_1}})),
        compare("createdDate", Op::Eq, Value::Date(MAY_1_MS))
    );
    assert_eq!(
        filter(json!({"permissionsEnabled": true})),
        compare("permissionsEnabled", Op::Eq, Value::Bool(true))
    );
    assert_eq!(
        filter(json!({"title": {"$in": ["a", "b"]}})),
        compare(
            "title",
            Op::In,
            Value::List(vec![Value::Text("a".into()), Value::Text("b".into())])
        )
    );
    assert_eq!(
        filter(json!({"id": {"$nin": [GUID]}})),
        compare("id", Op::Nin, Value::List(vec![Value::Guid(guid_bytes(GUID))]))
    );
    assert_eq!(
        filter(json!({"slug": {"$exists": false}})),
        compare("slug", Op::Exists, Value::Bool(false))
    );
    assert_eq!(
        filter(json!({"title": {"$startsWith": "Go"}})),
        compare("title", Op::StartsWith, Value::Text("Go".into()))
    );
    // `eq(f, null)` and `ne(f, null)` test for absence.
    assert_eq!(filter(json!({"title": null})), compare("title", Op::Eq, Value::Null));
    assert_eq!(
        filter(json!({"title": {"$ne": null}})),
        compare("title", Op::Ne, Value::Null)
    );
}

#[test]
fn sdk_and_rest_names_are_the_same_field() {
    for (sdk, rest) in [
        ("_id", "id"),
        ("_createdDate", "createdDate"),
        ("_updatedDate", "updatedDate"),
    ] {
        assert!(std::ptr::eq(field(sdk), field(rest)), "{sdk} and {rest}");
    }
    assert_eq!(filter(json!({"_id": GUID})), filter(json!({"id": GUID})));
    assert_eq!(
        filter(json!({"_updatedDate": {"$lte": MAY_1}})),
        filter(json!({"updatedDate": {"$lte": MAY_1}}))
    );
}

#[test]
fn empty_filters_match_everything() {
    assert_eq!(filter(Json::Null), Filter::All);
    assert_eq!(filter(json!({})), Filter::All);
    assert_eq!(filter(json!("{}")), Filter::All);
}

#[test]
fn filters_without_a_condition_are_told_apart() {
    for raw in [
        json!({}),
        json!({"$and": []}),
        json!({"$and": [{}, {"$and": [{}]}]}),
        json!({"$or": [{"title": "Gold"}, {}]}),
    ] {
        assert!(filter(raw.clone()).matches_everything(), "{raw}");
    }
    for raw in [
        json!({"title": "Gold"}),
        json!({"$and": [{}, {"title": "Gold"}]}),
        json!({"$or": []}),
        json!({"$not": {}}),
    ] {
        assert!(!filter(raw.clone()).matches_everything(), "{raw}");
    }
}

#[test]
fn a_filter_sent_as_a_json_string_is_parsed() {
    assert_eq!(
        filter(json!(r#"{"title": {"$startsWith": "G"}}"#)),
        compare("title", Op::StartsWith, Value::Text("G".into()))
    );
    let e = refused(json!("{{"));
    assert_eq!(e.field, "query.filter");
    let e = refused(json!("[1]"));
    assert_eq!(e.field, "query.filter");
}

#[test]
fn several_fields_or_operators_in_one_object_all_apply() {
    let Filter::And(parts) = filter(json!({"title": {"$gte": "A", "$lt": "M"}, "slug": "x"})) else {
        panic!("expected a conjunction");
    };
    assert_eq!(parts.len(), 2);
    assert!(parts.contains(&compare("slug", Op::Eq, Value::Text("x".into()))));
    assert!(parts.contains(&Filter::And(vec![
        compare("title", Op::Gte, Value::Text("A".into())),
        compare("title", Op::Lt, Value::Text("M".into())),
    ])));
}

#[test]
fn logical_operators_build_the_tree() {
    let gold = compare("title", Op::Eq, Value::Text("Gold".into()));
    let silver = compare("title", Op::Eq, Value::Text("Silver".into()));
    assert_eq!(
        filter(json!({"$and": [{"title": "Gold"}, {"title": "Silver"}]})),
        Filter::And(vec![gold.clone(), silver.clone()])
    );
    assert_eq!(
        filter(json!({"$or": [{"title": "Gold"}, {"title": "Silver"}]})),
        Filter::Or(vec![gold.clone(), silver.clone()])
    );
    assert_eq!(
        filter(json!({"$not": {"title": "Gold"}})),
        Filter::Not(Box::new(gold.clone()))
    );
    assert_eq!(
        filter(json!({"$or": [{"$not": {"title": "Gold"}}, {"$and": [{"title": "Silver"}]}]})),
        Filter::Or(vec![Filter::Not(Box::new(gold)), Filter::And(vec![silver])])
    );
    assert_eq!(filter(json!({"$and": []})), Filter::And(vec![]));
    assert_eq!(filter(json!({"$or": []})), Filter::Or(vec![]));
    let e = refused(json!({"$and": {"title": "Gold"}}));
    assert_eq!(e.field, "query.filter.$and");
    assert!(e.message.contains("array"), "{e:?}");
    let e = refused(json!({"$or": [{"title": "Gold"}, 7]}));
    assert_eq!(e.field, "query.filter.$or[1]");
}

fn nested_not(levels: usize) -> Json {
    let mut f = json!({"title": "Gold"});
    for _ in 0..levels {
        f = json!({"$not": f});
    }
    f
}

fn nested_and(levels: usize) -> Json {
    let mut f = json!({"title": "Gold"});
    for _ in 0..levels {
        f = json!({"$and": [f]});
    }
    f
}

#[test]
fn nesting_is_capped_at_twelve_levels() {
    // Twelve logical levels around a condition are fine, in any mix.
    let mut expected = compare("title", Op::Eq, Value::Text("Gold".into()));
    for _ in 0..12 {
        expected = Filter::Not(Box::new(expected));
    }
    assert_eq!(filter(nested_not(12)), expected);
    filter(nested_and(12));
    filter(json!({"$or": [nested_not(11)]}));

    let e = refused(nested_not(13));
    assert_eq!(e.field, format!("query.filter{}", ".$not".repeat(13)));
    assert_eq!(e.message, "filter nests deeper than 12 levels");
    let e = refused(nested_and(13));
    assert_eq!(e.field, format!("query.filter{}", ".$and[0]".repeat(13)));
    assert_eq!(e.message, "filter nests deeper than 12 levels");
    // As deep as a JSON body can be (serde_json stops at 128 levels): refused the same way.
    assert_eq!(refused(nested_not(120)).message, "filter nests deeper than 12 levels");
}

#[test]
fn a_filter_holds_at_most_two_hundred_conditions() {
    let conditions = |n: usize| (0..n).map(|i| json!({"title": format!("t{i}")})).collect::<Vec<_>>();
    let Filter::Or(parts) = filter(json!({"$or": conditions(200)})) else {
        panic!("expected a disjunction");
    };
    assert_eq!(parts.len(), 200);
    let e = refused(json!({"$or": conditions(201)}));
    assert_eq!(e.field, "query.filter.$or[200].title");
    assert_eq!(e.message, "filter has more than 200 conditions");
    // Operators on one field count one each.
    let many_ops: Vec<Json> = (0..101)
        .map(|i| json!({"title": {"$gt": format!("a{i}"), "$lt": "z"}}))
        .collect();
    assert!(refused(json!({"$and": many_ops})).message.contains("200 conditions"));
}

#[test]
fn empty_sub_filters_count_as_conditions() {
    let empties = |n: usize| vec![json!({}); n];
    filter(json!({"$or": empties(200)}));
    let e = refused(json!({"$or": empties(999)}));
    assert_eq!(e.message, "filter has more than 200 conditions");
    assert_eq!(e.field, "query.filter.$or[200]");
    let nots: Vec<Json> = (0..201).map(|_| json!({"$not": {"title": "a"}})).collect();
    assert!(refused(json!({"$and": nots})).message.contains("200 conditions"));
}

#[test]
fn a_filter_binds_at_most_two_thousand_list_values() {
    let values = |n: usize| (0..n).map(|i| format!("t{i}")).collect::<Vec<_>>();
    filter(json!({"$or": [{"title": {"$in": values(1000)}}, {"slug": {"$in": values(1000)}}]}));
    let e = refused(json!({"$or": [
        {"title": {"$in": values(1000)}},
        {"slug": {"$in": values(1000)}},
        {"title": {"$nin": ["x"]}},
    ]}));
    assert_eq!(e.message, "filter has more than 2000 values in its lists");
    assert_eq!(e.field, "query.filter.$or[2].title.$nin");
}

#[test]
fn lists_hold_at_most_a_thousand_values() {
    let values = |n: usize| (0..n).map(|i| format!("t{i}")).collect::<Vec<_>>();
    filter(json!({"title": {"$in": values(1000)}}));
    let e = refused(json!({"title": {"$nin": values(1001)}}));
    assert_eq!(e.field, "query.filter.title.$nin");
    assert_eq!(e.message, "`$nin` on `title` takes at most 1000 values");
}

#[test]
fn an_unknown_field_is_named() {
    let e = refused(json!({"colour": "red"}));
    assert_eq!(e.field, "query.filter.colour");
    assert_eq!(e.message, "`colour` is not a filterable field of badge");
    let e = refused(json!({"$or": [{"title": "a"}, {"$not": {"colour": {"$eq": "red"}}}]}));
    assert_eq!(e.field, "query.filter.$or[1].$not.colour");
    // A known field that is not filterable is refused the same way.
    let e = refused(json!({"displayOrder": 1}));
    assert_eq!(e.field, "query.filter.displayOrder");
    assert_eq!(e.message, "`displayOrder` is not a filterable field of badge");
    // Field names are exact: no other case, no SDK alias that does not exist.
    assert_eq!(refused(json!({"Title": "a"})).field, "query.filter.Title");
    assert_eq!(refused(json!({"_title": "a"})).field, "query.filter._title");
}

#[test]
fn an_unknown_operator_is_named() {
    let e = refused(json!({"title": {"$regex": ".*"}}));
    assert_eq!(e.field, "query.filter.title.$regex");
    assert_eq!(e.message, "unknown operator `$regex`");
    let e = refused(json!({"$where": "1"}));
    assert_eq!(e.field, "query.filter.$where");
    assert_eq!(e.message, "unknown logical operator `$where`");
    // A comparison operator is not a logical one.
    let e = refused(json!({"$eq": {"title": "a"}}));
    assert_eq!(e.field, "query.filter.$eq");
}

#[test]
fn an_operator_the_field_does_not_support_names_both() {
    let cases: &[(&Entity, &str, &str, Json)] = &[
        (&BADGES, "title", "$hasAll", json!(["a"])),
        (&BADGES, "createdDate", "$startsWith", json!("2024")),
        (&BADGES, "createdDate", "$isEmpty", json!(true)),
        (&BADGES, "permissionsEnabled", "$gt", json!(false)),
        (&BADGES, "permissionsEnabled", "$startsWith", json!("t")),
        (&BADGES, "permissionsEnabled", "$isEmpty", json!(false)),
        (&ASSIGNMENTS, "tags.tags.tagIds", "$eq", json!("a")),
        (&ASSIGNMENTS, "tags.privateTags.tagIds", "$in", json!(["a"])),
        (&ASSIGNMENTS, "tags.tags.tagIds", "$startsWith", json!("a")),
        (&ASSIGNMENTS, "badgeId", "$hasAll", json!([GUID])),
    ];
    for (entity, name, op, value) in cases {
        let raw = json!({ *name: { *op: value } });
        let e = parse_filter(entity, &raw, "query.filter").expect_err(&raw.to_string());
        assert_eq!(e.field, format!("query.filter.{name}.{op}"), "{raw}");
        let canonical = entity.field(name).unwrap().name();
        assert_eq!(
            e.message,
            format!("operator `{op}` is not supported on `{canonical}`"),
            "{raw}"
        );
    }
}

#[test]
fn a_wrong_typed_value_names_field_and_operator() {
    let cases: &[(Json, &str, &str)] = &[
        (
            json!({"title": 5}),
            "query.filter.title.$eq",
            "`title` takes a string, got a number",
        ),
        (
            json!({"title": {"$gt": true}}),
            "query.filter.title.$gt",
            "`title` takes a string, got a boolean",
        ),
        (
            json!({"title": {"not": "an operator"}}),
            "query.filter.title.$eq",
            "`title` takes a string, got an object",
        ),
        (
            json!({"slug": {"$startsWith": ["a"]}}),
            "query.filter.slug.$startsWith",
            "`slug` takes a string, got an array",
        ),
        (
            json!({"title": {"$in": "Gold"}}),
            "query.filter.title.$in",
            "`$in` on `title` takes an array",
        ),
        (
            json!({"title": {"$in": ["Gold", 1]}}),
            "query.filter.title.$in",
            "`title` takes a string, got a number",
        ),
        (
            json!({"title": {"$exists": "yes"}}),
            "query.filter.title.$exists",
            "`$exists` on `title` takes true or false",
        ),
        (
            json!({"id": "not-a-guid"}),
            "query.filter.id.$eq",
            "`id` must be a GUID, got \"not-a-guid\"",
        ),
        (
            json!({"_id": {"$in": [GUID, 7]}}),
            "query.filter._id.$in",
            "`id` takes a GUID string, got a number",
        ),
        (
            json!({"createdDate": {"$gt": "yesterday"}}),
            "query.filter.createdDate.$gt",
            "`createdDate` takes an RFC 3339 date, got \"yesterday\"",
        ),
        (
            json!({"createdDate": {"$lt": 1714557600123_i64}}),
            "query.filter.createdDate.$lt",
            "`createdDate` takes an RFC 3339 date string, got a number",
        ),
        (
            json!({"permissionsEnabled": "true"}),
            "query.filter.permissionsEnabled.$eq",
            "`permissionsEnabled` takes true or false, got a string",
        ),
        (
            json!({"permissionsEnabled": {"$ne": 1}}),
            "query.filter.permissionsEnabled.$ne",
            "`permissionsEnabled` takes true or false, got a number",
        ),
    ];
    for (raw, at, message) in cases {
        let e = refused(raw.clone());
        assert_eq!(&e.field, at, "{raw}");
        assert_eq!(&e.message, message, "{raw}");
    }
    let e = parse_filter(
        &ASSIGNMENTS,
        &json!({"tags.tags.tagIds": {"$hasAll": ["a", 1]}}),
        "query.filter",
    )
    .unwrap_err();
    assert_eq!(e.field, "query.filter.tags.tags.tagIds.$hasAll");
    assert_eq!(e.message, "`tags.tags.tagIds` takes a string, got a number");
    // `null` is only absence under $eq / $ne.
    assert_eq!(refused(json!({"title": {"$gt": null}})).field, "query.filter.title.$gt");
    assert_eq!(
        refused(json!({"createdDate": {"$in": [null]}})).field,
        "query.filter.createdDate.$in"
    );
}

// ---------------------------------------------------------------- sorting

#[test]
fn sorting_on_several_keys_ends_with_the_id() {
    use Order::{Asc, Desc};
    let badge_sort = |raw: Json| sort_of(&BADGES, raw);
    assert_eq!(
        badge_sort(json!([{"fieldName": "title", "order": "ASC"}, {"fieldName": "createdDate", "order": "DESC"}])),
        [("title", Asc), ("createdDate", Desc), ("id", Desc)]
    );
    assert_eq!(
        badge_sort(json!([{"fieldName": "slug", "order": "DESC"}, {"fieldName": "_updatedDate"}])),
        [("slug", Desc), ("updatedDate", Asc), ("id", Asc)]
    );
    // The order may be any case; a missing order is ASC.
    assert_eq!(
        badge_sort(json!([{"fieldName": "title", "order": "desc"}])),
        [("title", Desc), ("id", Desc)]
    );
    assert_eq!(
        badge_sort(json!([{"fieldName": "title", "order": null}])),
        [("title", Asc), ("id", Asc)]
    );
    // A repeated field keeps its first direction; `_createdDate` is `createdDate`.
    assert_eq!(
        badge_sort(json!([
            {"fieldName": "createdDate", "order": "DESC"},
            {"fieldName": "_createdDate", "order": "ASC"},
            {"fieldName": "title"}
        ])),
        [("createdDate", Desc), ("title", Asc), ("id", Asc)]
    );
    // An id already in the sort is not added again, wherever it is.
    assert_eq!(
        badge_sort(json!([{"fieldName": "id", "order": "DESC"}, {"fieldName": "title"}])),
        [("id", Desc), ("title", Asc)]
    );
    assert_eq!(badge_sort(json!([{"fieldName": "_id"}])), [("id", Asc)]);
    // No sort: newest first, badges and assignments alike (the SDK's documented default).
    assert_eq!(badge_sort(Json::Null), [("createdDate", Desc), ("id", Desc)]);
    assert_eq!(badge_sort(json!([])), [("createdDate", Desc), ("id", Desc)]);
    assert_eq!(sort_of(&ASSIGNMENTS, Json::Null), [("createdDate", Desc), ("id", Desc)]);
    // Every field the SDK declares sorts, both ways.
    assert_eq!(
        badge_sort(json!([{"fieldName": "permissionsEnabled", "order": "DESC"}, {"fieldName": "description"}])),
        [("permissionsEnabled", Desc), ("description", Asc), ("id", Asc)]
    );
    // Display order sorts too (an extension: no badge shape carries it).
    assert_eq!(
        badge_sort(json!([{"fieldName": "displayOrder"}])),
        [("displayOrder", Asc), ("id", Asc)]
    );
}

#[test]
fn bad_sorts_are_named() {
    let refused_sort = |raw: Json| parse_sort(&BADGES, &raw, "query.sort").expect_err(&raw.to_string());
    let e = refused_sort(json!([{"fieldName": "backgroundColor"}]));
    assert_eq!(e.field, "query.sort[0].fieldName");
    assert_eq!(e.message, "`backgroundColor` is not a sortable field of badge");
    let e = refused_sort(json!([{"fieldName": "title"}, {"fieldName": "colour"}]));
    assert_eq!(e.field, "query.sort[1].fieldName");
    assert_eq!(e.message, "`colour` is not a sortable field of badge");
    let e = refused_sort(json!([{"fieldName": "title", "order": "UP"}]));
    assert_eq!(e.field, "query.sort[0].order");
    assert_eq!(e.message, "must be ASC or DESC");
    assert_eq!(refused_sort(json!([{"order": "ASC"}])).field, "query.sort[0].fieldName");
    assert_eq!(refused_sort(json!([{"fieldName": 3}])).field, "query.sort[0].fieldName");
    assert_eq!(refused_sort(json!(["title"])).field, "query.sort[0]");
    assert_eq!(refused_sort(json!({"fieldName": "title"})).field, "query.sort");
    let nine: Vec<Json> = (0..9).map(|_| json!({"fieldName": "title"})).collect();
    let e = refused_sort(Json::Array(nine));
    assert_eq!(e.field, "query.sort");
    assert_eq!(e.message, "at most 8 sort fields");
}

// ---------------------------------------------------------------- paging and whole queries

#[test]
fn paging_defaults_and_limits() {
    let q = query(Json::Null);
    assert_eq!(q.paging, Paging::Offset { limit: 50, offset: 0 });
    assert_eq!(q.filter, Filter::All);
    assert_eq!(q.sort.len(), 2);
    assert_eq!(q.shape, json!({"filter": null, "sort": null}));

    let q = query(json!({"paging": {"limit": 10, "offset": "20"}}));
    assert_eq!(q.paging, Paging::Offset { limit: 10, offset: 20 });
    assert_eq!(
        query(json!({"paging": {"limit": "100"}})).paging,
        Paging::Offset { limit: 100, offset: 0 }
    );
    // A limit of 0 means "the default", as Wix treats unset int32s.
    assert_eq!(
        query(json!({"paging": {"limit": 0}})).paging,
        Paging::Offset { limit: 50, offset: 0 }
    );
    assert_eq!(
        query(json!({"paging": {"offset": 1_000_000_000}})).paging,
        Paging::Offset {
            limit: 50,
            offset: 1_000_000_000
        }
    );
    assert_eq!(
        query(json!({"cursorPaging": {"limit": 5}})).paging,
        Paging::Cursor {
            limit: 5,
            after: None,
            backward: false
        }
    );
    assert_eq!(
        query(json!({"cursorPaging": {"cursor": ""}})).paging,
        Paging::Cursor {
            limit: 50,
            after: None,
            backward: false
        }
    );

    let bad = [
        (json!({"paging": {"limit": 101}}), "query.paging.limit"),
        (json!({"paging": {"limit": -1}}), "query.paging.limit"),
        (json!({"paging": {"limit": 2.5}}), "query.paging.limit"),
        (json!({"paging": {"offset": -1}}), "query.paging.offset"),
        (json!({"paging": {"offset": 1_000_000_001}}), "query.paging.offset"),
        (json!({"paging": {"offset": "many"}}), "query.paging.offset"),
        (json!({"paging": 5}), "query.paging"),
        (json!({"cursorPaging": {"limit": 101}}), "query.cursorPaging.limit"),
        (json!({"cursorPaging": {"cursor": 5}}), "query.cursorPaging.cursor"),
        (
            json!({"cursorPaging": {"cursor": "garbage"}}),
            "query.cursorPaging.cursor",
        ),
        (json!({"paging": {}, "cursorPaging": {}}), "query.paging"),
        (json!({"fields": ["title"]}), "query.fields"),
        (json!({"fieldsets": ["FULL"]}), "query.fieldsets"),
        (json!({"filter": {"colour": 1}}), "query.filter.colour"),
        (json!({"sort": [{"fieldName": "colour"}]}), "query.sort[0].fieldName"),
        (json!([]), "query"),
    ];
    for (raw, at) in bad {
        assert_eq!(query_refused(raw.clone()).field, at, "{raw}");
    }
    // Empty projections are no projection.
    query(json!({"fields": [], "fieldsets": null}));
}

#[test]
fn the_shape_is_the_filter_and_sort_as_received() {
    let filter = json!({"title": {"$startsWith": "G"}});
    let sort = json!([{"fieldName": "title", "order": "DESC"}]);
    let q = query(json!({"filter": filter, "sort": sort, "cursorPaging": {"limit": 3}}));
    assert_eq!(q.shape, json!({"filter": filter, "sort": sort}));
}

#[test]
fn a_cursor_continues_its_own_query() {
    let shape = json!({"filter": {"title": {"$ne": "Silver"}}, "sort": [{"fieldName": "title", "order": "DESC"}]});
    let key = vec![Value::Text("Gold".into()), Value::Guid(guid_bytes(GUID))];
    let token = codec().encode(&CursorPosition {
        shape: shape.clone(),
        key: key.clone(),
        backward: true,
    });
    // The request's own filter and sort are ignored.
    let q = query(json!({
        "filter": {"title": "Bronze"},
        "sort": [{"fieldName": "createdDate"}],
        "cursorPaging": {"cursor": token, "limit": 7}
    }));
    assert_eq!(q.filter, compare("title", Op::Ne, Value::Text("Silver".into())));
    assert_eq!(
        q.sort.iter().map(|k| (k.field.name(), k.order)).collect::<Vec<_>>(),
        [("title", Order::Desc), ("id", Order::Desc)]
    );
    assert_eq!(
        q.paging,
        Paging::Cursor {
            limit: 7,
            after: Some(key),
            backward: true
        }
    );
    assert_eq!(q.shape, shape);
}

#[test]
fn a_bad_cursor_is_refused() {
    let shape = json!({"filter": null, "sort": [{"fieldName": "title"}]});
    let good_key = vec![Value::Text("Gold".into()), Value::Guid(guid_bytes(GUID))];
    let encode = |codec: &CursorCodec, key: Vec<Value>| {
        codec.encode(&CursorPosition {
            shape: shape.clone(),
            key,
            backward: false,
        })
    };
    let at = "query.cursorPaging.cursor";
    let refused_cursor = |token: String| query_refused(json!({"cursorPaging": {"cursor": token}}));

    // Another site's cursor, or a changed one, fails its signature.
    let other_site = CursorCodec::new(b"unit test secret", b"site-b");
    let e = refused_cursor(encode(&other_site, good_key.clone()));
    assert_eq!(
        (e.field.as_str(), e.message.as_str()),
        (at, "cursor is not valid for this query")
    );
    let token = encode(&codec(), good_key.clone());
    let (payload, tag) = token.split_once('.').unwrap();
    let mut flipped = payload.as_bytes().to_vec();
    flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
    let e = refused_cursor(format!("{}.{tag}", String::from_utf8(flipped).unwrap()));
    assert_eq!(e.field, at);
    assert_eq!(refused_cursor("no-dot".into()).message, "cursor is malformed");

    // A signed cursor whose key does not fit its sort is refused too.
    for key in [
        vec![Value::Text("Gold".into())],
        vec![Value::Date(1), Value::Guid(guid_bytes(GUID))],
        vec![Value::Text("Gold".into()), Value::Text(GUID.into())],
        vec![Value::Text("Gold".into()), Value::Guid(guid_bytes(GUID)), Value::Int(1)],
    ] {
        let e = refused_cursor(encode(&codec(), key.clone()));
        assert_eq!(e.field, at, "{key:?}");
        assert_eq!(e.message, "cursor does not match its query", "{key:?}");
    }
    query(json!({"cursorPaging": {"cursor": encode(&codec(), good_key)}}));
}

// ---------------------------------------------------------------- SQL

#[test]
fn every_comparison_operator_compiles_to_bound_sql() {
    badge_sql_is(json!({"title": "Gold"}), "(title = $1)", &[text("Gold")]);
    badge_sql_is(json!({"title": {"$eq": "Gold"}}), "(title = $1)", &[text("Gold")]);
    // $ne also matches rows without the field: NULL-safe inequality in each dialect.
    sql_is(
        &BADGES,
        json!({"title": {"$ne": "Gold"}}),
        "(title IS NOT $1)",
        "(title IS DISTINCT FROM $1)",
        &[text("Gold")],
    );
    badge_sql_is(json!({"title": {"$gt": "G"}}), "(title > $1)", &[text("G")]);
    badge_sql_is(json!({"title": {"$gte": "G"}}), "(title >= $1)", &[text("G")]);
    badge_sql_is(json!({"title": {"$lt": "G"}}), "(title < $1)", &[text("G")]);
    badge_sql_is(json!({"title": {"$lte": "G"}}), "(title <= $1)", &[text("G")]);
    badge_sql_is(
        json!({"slug": {"$in": ["a", "b", "a"]}}),
        "(slug IN ($1, $2, $3))",
        &[text("a"), text("b"), text("a")],
    );
    badge_sql_is(
        json!({"slug": {"$nin": ["a", "b"]}}),
        "(slug IS NULL OR slug NOT IN ($1, $2))",
        &[text("a"), text("b")],
    );
    // Empty lists: nothing is in nothing; everything is outside it.
    badge_sql_is(json!({"slug": {"$in": []}}), "1=0", &[]);
    badge_sql_is(json!({"slug": {"$nin": []}}), "1=1", &[]);
    badge_sql_is(json!({"title": {"$exists": true}}), "(title IS NOT NULL)", &[]);
    badge_sql_is(json!({"title": {"$exists": false}}), "(title IS NULL)", &[]);
    badge_sql_is(json!({"title": null}), "(title IS NULL)", &[]);
    badge_sql_is(json!({"title": {"$eq": null}}), "(title IS NULL)", &[]);
    badge_sql_is(json!({"title": {"$ne": null}}), "(title IS NOT NULL)", &[]);
    // A case-insensitive prefix is a range of the folded copy.
    badge_sql_is(
        json!({"title": {"$startsWith": "Go"}}),
        "(title_folded >= $1 AND title_folded < $2)",
        &[text("go"), text("gp")],
    );
    badge_sql_is(
        json!({"description": {"$isEmpty": true}}),
        "(description IS NULL OR description = '')",
        &[],
    );
    badge_sql_is(
        json!({"description": {"$isEmpty": false}}),
        "(description IS NOT NULL AND description <> '')",
        &[],
    );
    // `$hasSome` on a scalar is `$in`.
    badge_sql_is(
        json!({"description": {"$hasSome": ["a", "b"]}}),
        "(description IN ($1, $2))",
        &[text("a"), text("b")],
    );
}

#[test]
fn each_field_binds_its_stored_form() {
    badge_sql_is(json!({"_id": GUID}), "(id = $1)", &[SqlParam::Blob(guid_bytes(GUID))]);
    badge_sql_is(
        json!({"id": {"$in": [GUID, GUID_2]}}),
        "(id IN ($1, $2))",
        &[SqlParam::Blob(guid_bytes(GUID)), SqlParam::Blob(guid_bytes(GUID_2))],
    );
    sql_is(
        &BADGES,
        json!({"id": {"$ne": GUID}}),
        "(id IS NOT $1)",
        "(id IS DISTINCT FROM $1)",
        &[SqlParam::Blob(guid_bytes(GUID))],
    );
    badge_sql_is(
        json!({"createdDate": {"$gte": MAY_1}}),
        "(created_at >= $1)",
        &[SqlParam::Int(MAY_1_MS)],
    );
    badge_sql_is(
        json!({"_updatedDate": {"$lt": {"$date": MAY_1}}}),
        "(updated_at < $1)",
        &[SqlParam::Int(MAY_1_MS)],
    );
    badge_sql_is(
        json!({"createdDate": {"$nin": [MAY_1]}}),
        "(created_at IS NULL OR created_at NOT IN ($1))",
        &[SqlParam::Int(MAY_1_MS)],
    );
    badge_sql_is(
        json!({"permissionsEnabled": true}),
        "(permissions_enabled = $1)",
        &[SqlParam::Int(1)],
    );
    sql_is(
        &BADGES,
        json!({"permissionsEnabled": {"$ne": false}}),
        "(permissions_enabled IS NOT $1)",
        "(permissions_enabled IS DISTINCT FROM $1)",
        &[SqlParam::Int(0)],
    );
    badge_sql_is(
        json!({"permissionsEnabled": {"$in": [true]}}),
        "(permissions_enabled IN ($1))",
        &[SqlParam::Int(1)],
    );
    badge_sql_is(
        json!({"permissionsEnabled": {"$nin": [false]}}),
        "(permissions_enabled IS NULL OR permissions_enabled NOT IN ($1))",
        &[SqlParam::Int(0)],
    );
    // GUIDs order as their canonical text does: byte for byte.
    badge_sql_is(
        json!({"_id": {"$gt": GUID.to_uppercase(), "$lte": GUID_2}}),
        "((id > $1) AND (id <= $2))",
        &[SqlParam::Blob(guid_bytes(GUID)), SqlParam::Blob(guid_bytes(GUID_2))],
    );
    badge_sql_is(json!({"id": {"$isEmpty": false}}), "(id IS NOT NULL)", &[]);
    // Assignment columns are qualified (the query joins).
    sql_is(
        &ASSIGNMENTS,
        json!({"memberId": GUID, "badgeId": {"$ne": GUID_2}}),
        "((badge_assignments.badge_id IS NOT $1) AND (badge_assignments.member_id = $2))",
        "((badge_assignments.badge_id IS DISTINCT FROM $1) AND (badge_assignments.member_id = $2))",
        &[SqlParam::Blob(guid_bytes(GUID_2)), SqlParam::Blob(guid_bytes(GUID))],
    );
}

#[test]
fn starts_with_is_a_case_insensitive_range() {
    let range = "(title_folded >= $1 AND title_folded < $2)";
    // LIKE's wildcards are ordinary characters in a range.
    badge_sql_is(
        json!({"title": {"$startsWith": "100%"}}),
        range,
        &[text("100%"), text("100&")],
    );
    badge_sql_is(
        json!({"title": {"$startsWith": "a_B"}}),
        range,
        &[text("a_b"), text("a_c")],
    );
    badge_sql_is(
        json!({"title": {"$startsWith": "ÉTÉ "}}),
        range,
        &[text("été "), text("été!")],
    );
    // Σ folds to σ wherever it stands.
    badge_sql_is(
        json!({"title": {"$startsWith": "ΟΔΟΣ"}}),
        range,
        &[text("οδοσ"), text("οδοτ")],
    );
    // The empty prefix matches every badge; one with no text above it has no upper end.
    badge_sql_is(json!({"title": {"$startsWith": ""}}), "(title_folded IS NOT NULL)", &[]);
    badge_sql_is(
        json!({"title": {"$startsWith": "\u{10FFFF}"}}),
        "(title_folded >= $1)",
        &[text("\u{10FFFF}")],
    );
    badge_sql_is(
        json!({"slug": {"$startsWith": "it's"}}),
        "(slug_folded >= $1 AND slug_folded < $2)",
        &[text("it's"), text("it't")],
    );
    badge_sql_is(
        json!({"description": {"$startsWith": "A"}}),
        "(description_folded >= $1 AND description_folded < $2)",
        &[text("a"), text("b")],
    );
}

#[test]
fn a_prefix_on_the_sort_field_also_bounds_the_text_itself() {
    // Read in title order, a title prefix also bounds `title` by every case of
    // the prefix, so the title index answers the page in its own order.
    let compiled_for = |raw: Json, leading: &str| {
        let parsed = parse_filter(&BADGES, &raw, "filter").unwrap();
        let mut out = SqlText::new();
        compile_filter_for_order(Dialect::Postgres, &BADGES, &parsed, Some(field(leading)), &mut out);
        out
    };
    let out = compiled_for(json!({"title": {"$startsWith": "Go"}}), "title");
    assert_eq!(
        out.sql,
        "(title_folded >= $1 AND title_folded < $2 AND title >= $3 AND title < $4)"
    );
    assert_eq!(out.params, [text("go"), text("gp"), text("GO"), text("gp")]);
    // ſ (long s) folds to s too, so the slug range ends just after it.
    let out = compiled_for(json!({"slug": {"$startsWith": "it's"}}), "slug");
    assert_eq!(
        out.params,
        [text("it's"), text("it't"), text("IT'S"), text("it'\u{0180}")]
    );
    // A prefix on another field keeps to the folded range.
    let out = compiled_for(json!({"title": {"$startsWith": "Go"}}), "createdDate");
    assert_eq!(out.sql, "(title_folded >= $1 AND title_folded < $2)");
}

#[test]
fn starts_with_on_an_id_is_a_range_of_guids() {
    let mut lo = vec![0u8; 16];
    let mut hi = vec![0xffu8; 16];
    lo[..2].copy_from_slice(&[0x1b, 0x2c]);
    hi[..2].copy_from_slice(&[0x1b, 0x2c]);
    badge_sql_is(
        json!({"_id": {"$startsWith": "1B2C"}}),
        "(id >= $1 AND id <= $2)",
        &[SqlParam::Blob(lo.clone()), SqlParam::Blob(hi.clone())],
    );
    sql_is(
        &ASSIGNMENTS,
        json!({"memberId": {"$startsWith": "1b2c"}}),
        "(badge_assignments.member_id >= $1 AND badge_assignments.member_id <= $2)",
        "(badge_assignments.member_id >= $1 AND badge_assignments.member_id <= $2)",
        &[SqlParam::Blob(lo), SqlParam::Blob(hi)],
    );
    // No GUID starts with text that is not hex in the GUID's layout.
    badge_sql_is(json!({"id": {"$startsWith": "bob"}}), "1=0", &[]);
    badge_sql_is(json!({"id": {"$startsWith": "1b2c3d4e5"}}), "1=0", &[]);
}

#[test]
fn values_never_reach_the_sql_text() {
    let nasty = "x' OR '1'='1'; DROP TABLE badges; --";
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        let out = compiled(
            dialect,
            &BADGES,
            &json!({"$or": [{"title": nasty}, {"slug": {"$startsWith": nasty}}, {"title": {"$in": [nasty]}}]}),
        );
        assert!(!out.sql.contains("DROP"), "{}", out.sql);
        assert!(!out.sql.contains("'1'"), "{}", out.sql);
        // The prefix is bound twice: the low and the high end of its range.
        assert_eq!(out.params.len(), 4);
    }
}

#[test]
fn logical_operators_compile_to_parenthesised_sql() {
    badge_sql_is(Json::Null, "1=1", &[]);
    badge_sql_is(json!({"$and": []}), "1=1", &[]);
    badge_sql_is(json!({"$or": []}), "1=0", &[]);
    badge_sql_is(
        json!({"$and": [{"title": "a"}, {"slug": "b"}]}),
        "((title = $1) AND (slug = $2))",
        &[text("a"), text("b")],
    );
    badge_sql_is(
        json!({"$or": [{"title": "a"}, {"slug": "b"}]}),
        "((title = $1) OR (slug = $2))",
        &[text("a"), text("b")],
    );
    badge_sql_is(json!({"$not": {"title": "a"}}), "(NOT (title = $1))", &[text("a")]);
    badge_sql_is(json!({"$not": {"$or": []}}), "(NOT 1=0)", &[]);
    sql_is(
        &BADGES,
        json!({"$and": [
            {"title": {"$startsWith": "G"}},
            {"$or": [{"slug": {"$ne": "gold"}}, {"$not": {"createdDate": {"$gt": MAY_1}}}]}
        ]}),
        "((title_folded >= $1 AND title_folded < $2) AND ((slug IS NOT $3) OR (NOT (created_at > $4))))",
        "((title_folded >= $1 AND title_folded < $2) AND ((slug IS DISTINCT FROM $3) OR (NOT (created_at > $4))))",
        &[text("g"), text("h"), text("gold"), SqlParam::Int(MAY_1_MS)],
    );
    // Several operators on one field are one conjunction.
    badge_sql_is(
        json!({"title": {"$gte": "A", "$lt": "M"}}),
        "((title >= $1) AND (title < $2))",
        &[text("A"), text("M")],
    );
}

#[test]
fn placeholders_continue_after_earlier_parameters() {
    // The store binds the site first; the filter's placeholders follow it.
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        let mut out = SqlText::new();
        let site = out.bind(SqlParam::Blob(vec![7; 16]));
        assert_eq!(site, "$1");
        out.push(&format!("site_id = {site} AND "));
        compile_filter(
            dialect,
            &BADGES,
            &filter(json!({"title": {"$in": ["a", "b"]}})),
            &mut out,
        );
        assert_eq!(out.sql, "site_id = $1 AND (title IN ($2, $3))");
        assert_eq!(out.params, [SqlParam::Blob(vec![7; 16]), text("a"), text("b")]);
    }
}

#[test]
fn tag_sets_compile_to_sub_queries() {
    let tags = "FROM badge_assignment_tags t WHERE t.assignment_id = badge_assignments.id AND t.kind = $1";
    // Values are de-duplicated and sorted, so $hasAll counts distinct tags.
    sql_is(
        &ASSIGNMENTS,
        json!({"tags.tags.tagIds": {"$hasSome": ["red", "blue", "red"]}}),
        &format!("EXISTS (SELECT 1 {tags} AND t.tag IN ($2, $3))"),
        &format!("EXISTS (SELECT 1 {tags} AND t.tag IN ($2, $3))"),
        &[text("public"), text("blue"), text("red")],
    );
    let has_all = format!("((SELECT COUNT(DISTINCT t.tag) {tags} AND t.tag IN ($2, $3)) = 2)");
    sql_is(
        &ASSIGNMENTS,
        json!({"tags.privateTags.tagIds": {"$hasAll": ["b", "a", "b"]}}),
        &has_all,
        &has_all,
        &[text("private"), text("a"), text("b")],
    );
    let exists = format!("EXISTS (SELECT 1 {tags})");
    sql_is(
        &ASSIGNMENTS,
        json!({"tags.tags.tagIds": {"$exists": true}}),
        &exists,
        &exists,
        &[text("public")],
    );
    let missing = format!("(NOT EXISTS (SELECT 1 {tags}))");
    sql_is(
        &ASSIGNMENTS,
        json!({"tags.privateTags.tagIds": {"$exists": false}}),
        &missing,
        &missing,
        &[text("private")],
    );
    // Every row has all of no tags; none has some of them.
    let f = |op: &str| parse_filter(&ASSIGNMENTS, &json!({"tags.tags.tagIds": {op: []}}), "f").unwrap();
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        let mut out = SqlText::new();
        compile_filter(dialect, &ASSIGNMENTS, &f("$hasAll"), &mut out);
        assert_eq!(out.sql, "1=1");
        let mut out = SqlText::new();
        compile_filter(dialect, &ASSIGNMENTS, &f("$hasSome"), &mut out);
        assert_eq!(out.sql, "1=0");
    }
}

fn sort(raw: Json) -> Vec<SortKey> {
    parse_sort(&BADGES, &raw, "query.sort").unwrap()
}

#[test]
fn order_by_follows_the_sort_and_reverses_for_previous_pages() {
    let s = sort(json!([{"fieldName": "title"}, {"fieldName": "createdDate", "order": "DESC"}]));
    assert_eq!(compile_order(&s, false), "title ASC, created_at DESC, id DESC");
    assert_eq!(compile_order(&s, true), "title DESC, created_at ASC, id ASC");
    assert_eq!(compile_order(&sort(Json::Null), false), "created_at DESC, id DESC");
    let assignments = parse_sort(&ASSIGNMENTS, &json!([{"fieldName": "memberId"}]), "s").unwrap();
    assert_eq!(
        compile_order(&assignments, false),
        "badge_assignments.member_id ASC, badge_assignments.id ASC"
    );
}

#[test]
fn keyset_with_one_direction_is_a_row_comparison() {
    let key = vec![Value::Text("Gold".into()), Value::Guid(guid_bytes(GUID))];
    let params = [text("Gold"), SqlParam::Blob(guid_bytes(GUID))];
    let cases = [
        (json!([{"fieldName": "title"}]), false, "((title, id) > ($1, $2))"),
        (json!([{"fieldName": "title"}]), true, "((title, id) < ($1, $2))"),
        (
            json!([{"fieldName": "title", "order": "DESC"}]),
            false,
            "((title, id) < ($1, $2))",
        ),
        (
            json!([{"fieldName": "title", "order": "DESC"}]),
            true,
            "((title, id) > ($1, $2))",
        ),
    ];
    for (raw, backward, expected) in cases {
        let mut out = SqlText::new();
        assert_eq!(
            compile_keyset(&sort(raw.clone()), &key, backward, &mut out),
            expected,
            "{raw}"
        );
        assert_eq!(out.params, params);
    }
    // Three keys, and placeholders numbered after the ones already bound.
    let s = sort(json!([{"fieldName": "createdDate", "order": "DESC"}, {"fieldName": "slug", "order": "DESC"}]));
    let mut out = SqlText::new();
    out.bind(SqlParam::Blob(vec![1; 16]));
    let key = vec![
        Value::Date(MAY_1_MS),
        Value::Text("gold".into()),
        Value::Guid(guid_bytes(GUID)),
    ];
    assert_eq!(
        compile_keyset(&s, &key, false, &mut out),
        "((created_at, slug, id) < ($2, $3, $4))"
    );
    assert_eq!(
        out.params,
        [
            SqlParam::Blob(vec![1; 16]),
            SqlParam::Int(MAY_1_MS),
            text("gold"),
            SqlParam::Blob(guid_bytes(GUID))
        ]
    );
}

#[test]
fn keyset_with_mixed_directions_expands_to_or_terms() {
    let s = sort(json!([{"fieldName": "title"}, {"fieldName": "createdDate", "order": "DESC"}]));
    let key = vec![
        Value::Text("Gold".into()),
        Value::Date(MAY_1_MS),
        Value::Guid(guid_bytes(GUID)),
    ];
    let mut out = SqlText::new();
    assert_eq!(
        compile_keyset(&s, &key, false, &mut out),
        "((title > $1) OR (title = $2 AND created_at < $3) OR (title = $4 AND created_at = $5 AND id < $6))"
    );
    let blob = SqlParam::Blob(guid_bytes(GUID));
    let date = SqlParam::Int(MAY_1_MS);
    assert_eq!(
        out.params,
        [
            text("Gold"),
            text("Gold"),
            date.clone(),
            text("Gold"),
            date.clone(),
            blob.clone()
        ]
    );
    // Backward flips every comparison.
    let mut out = SqlText::new();
    assert_eq!(
        compile_keyset(&s, &key, true, &mut out),
        "((title < $1) OR (title = $2 AND created_at > $3) OR (title = $4 AND created_at = $5 AND id > $6))"
    );
    assert_eq!(
        out.params,
        [text("Gold"), text("Gold"), date.clone(), text("Gold"), date, blob]
    );
}
