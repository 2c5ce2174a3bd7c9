//! Schema fuzz, generated from the route table: every write route gets
//! mutated bodies (valid shapes with fields dropped, retyped, nested or
//! blown up, and random JSON) and answers each with a 2xx or a Wix-shaped
//! 4xx, never a 5xx. `INSIGNIA_FUZZ_BODIES` sets how many bodies per route
//! (CI runs 60; 5,000 is the full run).

use axum::http::Method;
use insignia::api::limits::RequestLimits;
use insignia::api::rate::RateSettings;
use insignia::api::routes::{table, Access};
use insignia::api::Edge;
use insignia::domain::Scope;
use serde_json::{json, Map, Value};

use crate::backend_test;
use crate::helpers::{TestApp, MANAGE};

/// A small deterministic generator (xorshift64*), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Bodies of the right shape for the routes, to start mutating from.
fn seeds(badge: &str, member: &str) -> Vec<Value> {
    vec![
        json!({"badge": {"title": "Gold", "backgroundColor": "#796EFF", "textColor": "#FFFFFF", "revision": "1",
                          "description": "d", "permissionsEnabled": true, "icon": {"url": "https://x/y.png"}}}),
        json!({"badgeAssignment": {"badgeId": badge, "memberId": member, "tags": {"tagIds": ["a"]},
                                    "extendedFields": {"k": 1}}}),
        json!({"badgeAssignments": [{"badgeId": badge, "memberId": member}]}),
        json!({"badgeAssignmentIds": [badge], "assignTags": {"tagIds": ["a"]}, "unassignTags": {"privateTags": {"tagIds": ["b"]}}}),
        json!({"filter": {"badgeId": badge}, "assignTags": {"tagIds": ["a"]}}),
        json!({"ids": [badge], "badgeIds": [badge], "memberIds": [member], "memberId": member}),
        json!({"moveBadgeRequest": {"position": "AFTER", "badgeId": badge}, "position": "BEFORE", "referenceBadgeId": badge}),
        json!({"page": {"path": "/a", "title": "A", "badgeIds": [badge], "revision": "1"}}),
        json!({"memberId": member, "pages": ["/a", "/b"]}),
        json!({"title": "Old", "backgroundColor": "#000", "textColor": "#fff", "icon": "https://x/y.png"}),
        json!({"query": {"filter": {"title": {"$startsWith": "G"}}, "sort": [{"fieldName": "title"}], "cursorPaging": {"limit": 5}}}),
    ]
}

fn scalar(rng: &mut Rng, badge: &str) -> Value {
    match rng.below(14) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(-1),
        3 => json!(i64::MAX),
        4 => json!(1e308),
        5 => json!(""),
        6 => json!("x".repeat(rng.below(3000))),
        7 => json!(badge),
        8 => json!("00000000-0000-0000-0000-000000000000"),
        9 => json!("\u{0}\u{202e}ß🎖"),
        10 => json!("#GGGGGG"),
        11 => json!("2024-13-45T99:99:99Z"),
        12 => json!({"$in": [1, "a", null]}),
        _ => json!(rng.next().to_string()),
    }
}

fn random_value(rng: &mut Rng, badge: &str, depth: usize) -> Value {
    match rng.below(if depth > 3 { 1 } else { 4 }) {
        0 => scalar(rng, badge),
        1 => Value::Array((0..rng.below(4)).map(|_| random_value(rng, badge, depth + 1)).collect()),
        2 => Value::Array(vec![scalar(rng, badge); rng.below(1_500)]),
        _ => {
            let keys = [
                "badge", "title", "id", "filter", "tags", "tagIds", "$or", "revision", "paging", "limit",
            ];
            let mut map = Map::new();
            for _ in 0..rng.below(4) {
                map.insert((*rng.pick(&keys)).to_owned(), random_value(rng, badge, depth + 1));
            }
            Value::Object(map)
        }
    }
}

/// Changes one place in `value`: drops, retypes or replaces a field, or an item.
fn mutate(rng: &mut Rng, value: &mut Value, badge: &str) {
    match value {
        Value::Object(map) if !map.is_empty() && rng.below(4) != 0 => {
            let key = map.keys().nth(rng.below(map.len())).cloned().unwrap_or_default();
            match rng.below(4) {
                0 => {
                    map.remove(&key);
                }
                1 => {
                    map.insert(key, random_value(rng, badge, 2));
                }
                _ => {
                    if let Some(inner) = map.get_mut(&key) {
                        mutate(rng, inner, badge);
                    }
                }
            }
        }
        Value::Array(items) if !items.is_empty() && rng.below(4) != 0 => {
            let i = rng.below(items.len());
            mutate(rng, &mut items[i], badge);
        }
        other => *other = random_value(rng, badge, 1),
    }
}

backend_test!(mutated_bodies_never_answer_5xx, |backend| async move {
    let per_route: usize = std::env::var("INSIGNIA_FUZZ_BODIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(60);
    // No rate limit: every body reaches its handler.
    let unlimited = RateSettings {
        per_second: 0,
        burst: 0,
    };
    let app = TestApp::with_edge(backend, Edge::new(RequestLimits::default(), unlimited)).await;
    let site = app.site(&[MANAGE]).await;
    let badge = app.create_badge(&site, json!({"title": "Seed"})).await;
    let badge = badge["id"].as_str().unwrap().to_owned();
    let member = uuid::Uuid::new_v4().to_string();
    let seeds = seeds(&badge, &member);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let writes: Vec<_> = table()
        .into_iter()
        .filter(|r| r.access == Access::Key(Scope::ManageBadges) && [Method::POST, Method::PATCH].contains(&r.method))
        .collect();
    assert!(writes.len() > 30, "every write route");
    for route in writes {
        let path = route.path.replace("{id}", &badge);
        for _ in 0..per_route {
            let mut body = rng.pick(&seeds).clone();
            for _ in 0..=rng.below(3) {
                mutate(&mut rng, &mut body, &badge);
            }
            let bytes = body.to_string().into_bytes();
            let reply = app
                .raw(
                    route.method.as_str(),
                    &path,
                    &[("authorization", &site.key), ("wix-site-id", &site.id)],
                    Some(bytes),
                )
                .await;
            assert!(
                reply.status.as_u16() < 500,
                "{} {path} with {body}: {} {}",
                route.method,
                reply.status,
                reply.body
            );
            if !reply.status.is_success() {
                assert!(
                    reply.body["message"].is_string(),
                    "{} {path}: {}",
                    route.method,
                    reply.body
                );
            }
        }
    }
});
