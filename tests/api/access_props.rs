//! The access check against a naive evaluator written here from the rules
//! of the issue, over random sites: pages and their badges, badges and their
//! `permissionsEnabled`, members and their badges, URLs; then random
//! changes (flags switched, badges unassigned or deleted, pages removed),
//! each followed by checking again. Runs through the real router, on both
//! backends.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;

use crate::backend_test;
use crate::helpers::{Site, TestApp, MANAGE};
use crate::pages::{badge, protect};

/// Random sites checked per backend.
const CASES: u32 = 24;

/// Few segment names, so pages and URLs overlap often (`a` vs `ab` tests whole segments).
fn segments(max: usize) -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(prop::sample::select(vec!["a", "ab", "b", "c"]), 0..=max)
}

#[derive(Debug, Clone)]
struct Case {
    /// `permissionsEnabled` of each badge.
    flags: Vec<bool>,
    /// Page path segments, and the indexes of its badges.
    pages: Vec<(Vec<&'static str>, Vec<usize>)>,
    /// The badges each member holds.
    members: Vec<Vec<usize>>,
    /// URLs: segments, and how to spell them (extra slashes, a trailing slash).
    urls: Vec<(Vec<&'static str>, bool, bool)>,
    /// Changes: (kind, a number choosing what to change).
    changes: Vec<(u8, usize)>,
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..6).prop_flat_map(|badges| {
        (
            prop::collection::vec(any::<bool>(), badges),
            prop::collection::vec((segments(3), prop::collection::vec(0..badges, 0..3)), 0..7),
            prop::collection::vec(prop::collection::vec(0..badges, 0..4), 1..4),
            prop::collection::vec((segments(4), any::<bool>(), any::<bool>()), 1..8),
            prop::collection::vec((0u8..4, any::<usize>()), 0..4),
        )
            .prop_map(|(flags, pages, members, urls, changes)| Case {
                flags,
                pages,
                members,
                urls,
                changes,
            })
    })
}

/// The site as the rules see it.
#[derive(Debug, Clone, Default)]
struct Model {
    flags: BTreeMap<usize, bool>,
    pages: BTreeMap<Vec<&'static str>, BTreeSet<usize>>,
    held: Vec<BTreeSet<usize>>,
}

impl Model {
    /// The rules, read literally: the longest protected path that
    /// is a whole-segment prefix of the URL decides; a member is let in by
    /// holding one of its badges whose permissions are enabled.
    fn decide(&self, member: usize, url: &[&str]) -> (bool, &'static str) {
        let deciding = self
            .pages
            .iter()
            .filter(|(path, _)| path.len() <= url.len() && url[..path.len()] == path[..])
            .max_by_key(|(path, _)| path.len());
        let Some((_, badges)) = deciding else {
            return (true, "NOT_PROTECTED");
        };
        let held: Vec<&usize> = badges.iter().filter(|b| self.held[member].contains(b)).collect();
        if held.iter().any(|b| self.flags[b]) {
            (true, "HOLDS_GRANTING_BADGE")
        } else if !held.is_empty() {
            (false, "PERMISSIONS_DISABLED")
        } else {
            (false, "NO_GRANTING_BADGE")
        }
    }
}

fn spell(segments: &[&str], doubled: bool, trailing: bool) -> String {
    let sep = if doubled { "//" } else { "/" };
    let mut url = format!("/{}", segments.join(sep));
    if trailing && !segments.is_empty() {
        url.push('/');
    }
    url
}

async fn compare(app: &TestApp, site: &Site, model: &Model, members: &[String], case: &Case, when: &str) {
    let urls: Vec<String> = case.urls.iter().map(|(s, d, t)| spell(s, *d, *t)).collect();
    for (m, member) in members.iter().enumerate() {
        let reply = app
            .call(
                site,
                "POST",
                "/insignia/v1/access/check",
                Some(json!({"memberId": member, "pages": urls})),
            )
            .await;
        let results = reply.ok()["results"].as_array().unwrap().clone();
        for ((segments, _, _), (url, result)) in case.urls.iter().zip(urls.iter().zip(&results)) {
            let (allowed, reason) = model.decide(m, segments);
            assert_eq!(
                (result["allowed"].as_bool().unwrap(), result["reason"].as_str().unwrap()),
                (allowed, reason),
                "{when}: member {m} at {url}\nmodel: {model:?}\ncase: {case:?}\nresult: {result}"
            );
        }
    }
}

async fn run_case(app: &TestApp, case: &Case) {
    let site = app.site(&[MANAGE]).await;
    let mut model = Model::default();
    let mut badge_ids = Vec::new();
    for (i, flag) in case.flags.iter().enumerate() {
        badge_ids.push(badge(app, &site, &format!("B{i}"), *flag).await);
        model.flags.insert(i, *flag);
    }
    let mut page_ids = Vec::new();
    for (segments, badges) in &case.pages {
        if model.pages.contains_key(segments) {
            continue;
        }
        let badges: BTreeSet<usize> = badges.iter().copied().collect();
        let ids: Vec<&str> = badges.iter().map(|b| badge_ids[*b].as_str()).collect();
        let page = protect(app, &site, &spell(segments, false, false), &ids).await;
        page_ids.push((segments.clone(), page["id"].as_str().unwrap().to_owned()));
        model.pages.insert(segments.clone(), badges);
    }
    let members: Vec<String> = case.members.iter().map(|_| uuid::Uuid::new_v4().to_string()).collect();
    for (m, held) in case.members.iter().enumerate() {
        let held: BTreeSet<usize> = held.iter().copied().collect();
        for b in &held {
            app.call(
                &site,
                "POST",
                &format!("/members/v3/badges/{}/members", badge_ids[*b]),
                Some(json!({"memberIds": [members[m]]})),
            )
            .await
            .ok();
        }
        model.held.push(held);
    }
    compare(app, &site, &model, &members, case, "before any change").await;

    for (step, (kind, pick)) in case.changes.iter().enumerate() {
        let alive: Vec<usize> = model.flags.keys().copied().collect();
        match kind {
            // Switch a badge's permissions (older API: no revision needed).
            0 if !alive.is_empty() => {
                let b = alive[pick % alive.len()];
                let flag = !model.flags[&b];
                app.call(
                    &site,
                    "PATCH",
                    &format!("/members/v3/badges/{}", badge_ids[b]),
                    Some(json!({"badge": {"permissionsEnabled": flag}})),
                )
                .await
                .ok();
                model.flags.insert(b, flag);
            }
            // Unassign a badge from a member.
            1 => {
                let m = pick % members.len();
                if let Some(b) = model.held[m].iter().copied().nth(pick / members.len() % 4) {
                    app.call(
                        &site,
                        "DELETE",
                        &format!("/members/v3/badges/{}/members?memberIds={}", badge_ids[b], members[m]),
                        None,
                    )
                    .await
                    .ok();
                    model.held[m].remove(&b);
                }
            }
            // Delete a badge: off every page, from every member.
            2 if !alive.is_empty() => {
                let b = alive[pick % alive.len()];
                app.call(&site, "DELETE", &format!("/badges/v4/badges/{}", badge_ids[b]), None)
                    .await
                    .ok();
                model.flags.remove(&b);
                for badges in model.pages.values_mut() {
                    badges.remove(&b);
                }
                for held in &mut model.held {
                    held.remove(&b);
                }
            }
            // Remove a page.
            3 if !page_ids.is_empty() => {
                let (segments, id) = page_ids.remove(pick % page_ids.len());
                app.call(&site, "DELETE", &format!("/insignia/v1/pages/{id}"), None)
                    .await
                    .ok();
                model.pages.remove(&segments);
            }
            _ => continue,
        }
        compare(app, &site, &model, &members, case, &format!("after change {step}")).await;
    }
}

backend_test!(the_check_agrees_with_a_naive_evaluator, |backend| async move {
    let app = TestApp::new(backend).await;
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        ..Config::default()
    });
    let strategy = case();
    for _ in 0..CASES {
        let case = strategy.new_tree(&mut runner).expect("a random case").current();
        run_case(&app, &case).await;
    }
});
