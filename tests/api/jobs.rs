//! update-tags-by-filter as a background job: the request answers a job id
//! at once, the runner re-tags batch by batch while other writes go
//! through, and an empty filter needs saying so.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use insignia::jobs::JobSettings;
use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::{Site, TestApp, MANAGE};

const BULK: &str = "/badges/v4/bulk/badge-assignments";
const TAGS_UPDATED: &str = "insignia.v1.badge_assignment_updated";

fn runner(batch_size: usize) -> JobSettings {
    JobSettings {
        batch_size,
        ..JobSettings::default()
    }
}

async fn badge(app: &TestApp, site: &Site, title: &str) -> String {
    app.create_badge(site, json!({ "title": title })).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Gives `badge` to `count` new members, 100 a call, each with `tags`.
async fn assign_many(app: &TestApp, site: &Site, badge: &str, count: usize, tags: &[&str]) {
    for start in (0..count).step_by(100) {
        let items: Vec<Value> = (start..count.min(start + 100))
            .map(|_| {
                json!({
                    "badgeId": badge,
                    "memberId": uuid::Uuid::new_v4().to_string(),
                    "tags": {"tags": {"tagIds": tags}},
                })
            })
            .collect();
        let reply = app
            .call(
                site,
                "POST",
                &format!("{BULK}/create"),
                Some(json!({ "badgeAssignments": items })),
            )
            .await;
        assert_eq!(reply.ok()["bulkActionMetadata"]["totalFailures"], 0);
    }
}

/// How many assignments of the site `filter` matches.
async fn count(app: &TestApp, site: &Site, filter: Value) -> u64 {
    let reply = app
        .call(
            site,
            "POST",
            "/badges/v4/badge-assignments/query",
            Some(json!({"query": {"filter": filter, "paging": {"limit": 1}}})),
        )
        .await;
    reply.ok()["pagingMetadata"]["total"].as_u64().unwrap()
}

/// Queues a job; returns its id.
async fn queue(app: &TestApp, site: &Site, body: Value) -> String {
    let reply = app
        .call(site, "POST", &format!("{BULK}/update-tags-by-filter"), Some(body))
        .await;
    assert_eq!(
        reply.ok().as_object().unwrap().len(),
        1,
        "only the job id: {}",
        reply.body
    );
    reply.body["jobId"].as_str().unwrap().to_owned()
}

/// Every event of these types in the site's feed.
async fn feed(app: &TestApp, site: &Site, types: &str) -> Vec<Value> {
    let mut cursor = String::new();
    let mut events = Vec::new();
    loop {
        let path = format!("/insignia/v1/events?cursor={cursor}&limit=1000&types={types}");
        let body = app.call(site, "GET", &path, None).await.ok().clone();
        events.extend(body["events"].as_array().unwrap().iter().cloned());
        cursor = body["pagingMetadata"]["cursors"]["next"].as_str().unwrap().to_owned();
        if !body["pagingMetadata"]["hasNext"].as_bool().unwrap() {
            return events;
        }
    }
}

fn entity_id(event: &Value) -> String {
    let data: Value = serde_json::from_str(event["data"].as_str().unwrap()).unwrap();
    data["entityId"].as_str().unwrap().to_owned()
}

/// The assignment ids `filter` matches.
async fn ids(app: &TestApp, site: &Site, filter: Value) -> HashSet<String> {
    let mut ids = HashSet::new();
    let mut query = json!({"query": {"filter": filter, "cursorPaging": {"limit": 100}}});
    loop {
        let reply = app
            .call(site, "POST", "/badges/v4/badge-assignments/query", Some(query))
            .await;
        let body = reply.ok();
        for a in body["badgeAssignments"].as_array().unwrap() {
            ids.insert(a["id"].as_str().unwrap().to_owned());
        }
        match body["pagingMetadata"]["cursors"]["next"].as_str() {
            Some(next) => query = json!({"query": {"cursorPaging": {"limit": 100, "cursor": next}}}),
            None => return ids,
        }
    }
}

backend_test!(a_job_re_tags_thousands_in_the_background, |backend| async move {
    let app = TestApp::with_jobs(backend, runner(300)).await;
    let site = app.site(&[MANAGE]).await;
    let (target, other) = (badge(&app, &site, "Target").await, badge(&app, &site, "Other").await);
    assign_many(&app, &site, &target, 2_000, &["old"]).await;
    assign_many(&app, &site, &target, 400, &[]).await;
    assign_many(&app, &site, &other, 150, &["old"]).await;
    let matched = ids(&app, &site, json!({ "badgeId": target })).await;

    let job_id = queue(
        &app,
        &site,
        json!({
            "filter": {"badgeId": target},
            "assignTags": {"tags": {"tagIds": ["club"]}},
            "unassignTags": {"tags": {"tagIds": ["old"]}},
        }),
    )
    .await;
    let job = app.finished_job(&site, &job_id).await;
    assert_eq!(job["status"], "FINISHED", "{job}");
    assert_eq!(job["kind"], "BULK_UPDATE_BADGE_ASSIGNMENT_TAGS");
    assert_eq!(
        (&job["totalItems"], &job["succeededItems"], &job["failedItems"]),
        (&json!(2_400), &json!(2_400), &json!(0))
    );

    let club = json!({"tags.tags.tagIds": {"$hasSome": ["club"]}});
    assert_eq!(
        ids(&app, &site, club.clone()).await,
        matched,
        "every matched row, and only those"
    );
    assert_eq!(
        count(
            &app,
            &site,
            json!({"badgeId": target, "tags.tags.tagIds": {"$hasSome": ["old"]}})
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &app,
            &site,
            json!({"badgeId": other, "tags.tags.tagIds": {"$hasAll": ["old"]}})
        )
        .await,
        150,
        "rows outside the filter are untouched"
    );

    // One tag-update event per re-tagged row, made by the caller.
    let events = feed(&app, &site, TAGS_UPDATED).await;
    assert_eq!(events.len(), 2_400);
    assert_eq!(events.iter().map(entity_id).collect::<HashSet<_>>(), matched);
    let creator = feed(&app, &site, "wix.badges.v4.badge_assignment_created").await[0]["identity"].clone();
    assert!(creator.as_str().unwrap().contains("\"APP\""), "{creator}");
    assert!(events.iter().all(|e| e["identity"] == creator));
});

backend_test!(other_writes_go_through_while_a_job_runs, |backend| async move {
    // Small batches: the job takes hundreds of transactions.
    let app = TestApp::with_jobs(backend, runner(5)).await;
    let site = app.site(&[MANAGE]).await;
    let target = badge(&app, &site, "Target").await;
    assign_many(&app, &site, &target, 3_000, &[]).await;

    let job_id = queue(
        &app,
        &site,
        json!({"filter": {"badgeId": target}, "assignTags": {"tags": {"tagIds": ["club"]}}}),
    )
    .await;
    let mut slowest = Duration::ZERO;
    for i in 0..10 {
        let started = Instant::now();
        app.create_badge(&site, json!({ "title": format!("During {i}") })).await;
        let assigned = app
            .call(
                &site,
                "POST",
                "/badges/v4/badge-assignments",
                Some(json!({"badgeAssignment": {"badgeId": target, "memberId": uuid::Uuid::new_v4().to_string()}})),
            )
            .await;
        assigned.ok();
        slowest = slowest.max(started.elapsed());
    }
    let record = app.call(&site, "GET", &format!("/jobs/v1/jobs/{job_id}"), None).await;
    let during = record.ok()["job"].clone();
    assert_eq!(
        during["status"], "IN_PROGRESS",
        "the writes were made while the job ran: {during}"
    );
    assert!(
        during["succeededItems"].as_i64().unwrap() > 0,
        "the job had started: {during}"
    );
    assert!(
        slowest < Duration::from_secs(2),
        "a write took {slowest:?} beside the job"
    );

    let done = app.finished_job(&site, &job_id).await;
    assert_eq!(done["status"], "FINISHED");
    // The ten made during the run may or may not have been reached; the 3,000 were.
    let total = done["totalItems"].as_i64().unwrap();
    assert!((3_000..=3_010).contains(&total), "{done}");
    assert_eq!(done["succeededItems"], done["totalItems"]);
    assert_eq!(feed(&app, &site, TAGS_UPDATED).await.len() as i64, total);
});

backend_test!(an_empty_filter_needs_saying_so, |backend| async move {
    let app = TestApp::new(backend).await;
    let site = app.site(&[MANAGE]).await;
    let (gold, silver) = (badge(&app, &site, "Gold").await, badge(&app, &site, "Silver").await);
    assign_many(&app, &site, &gold, 3, &[]).await;
    assign_many(&app, &site, &silver, 2, &[]).await;
    let tags = json!({"tags": {"tagIds": ["all"]}});

    for (body, field) in [
        (json!({ "assignTags": tags }), "filter"),
        (json!({ "filter": null, "assignTags": tags }), "filter"),
        (json!({ "filter": {}, "assignTags": tags }), "filter"),
        (json!({ "filter": "{}", "assignTags": tags }), "filter"),
        (json!({ "filter": {"$and": [{}, {}]}, "assignTags": tags }), "filter"),
        (
            json!({ "filter": {}, "allowEmptyFilter": false, "assignTags": tags }),
            "filter",
        ),
        (
            json!({ "filter": {}, "allowEmptyFilter": "yes", "assignTags": tags }),
            "allowEmptyFilter",
        ),
    ] {
        let reply = app
            .call(
                &site,
                "POST",
                &format!("{BULK}/update-tags-by-filter"),
                Some(body.clone()),
            )
            .await;
        reply.expect(400, "INVALID_ARGUMENT");
        assert_eq!(reply.violated_fields(), [field], "{body}");
    }
    assert_eq!(app.count_rows("jobs").await, 0, "nothing was stored");

    // Said so: every assignment of the site, with or without `filter`.
    let job_id = queue(
        &app,
        &site,
        json!({ "filter": {}, "allowEmptyFilter": true, "assignTags": tags }),
    )
    .await;
    assert_eq!(app.finished_job(&site, &job_id).await["totalItems"], 5);
    assert_eq!(
        count(&app, &site, json!({"tags.tags.tagIds": {"$hasAll": ["all"]}})).await,
        5
    );
    let job_id = queue(
        &app,
        &site,
        json!({ "allowEmptyFilter": true, "assignTags": {"tags": {"tagIds": ["x"]}} }),
    )
    .await;
    assert_eq!(app.finished_job(&site, &job_id).await["succeededItems"], 5);
    // What the SDK can send instead (it drops fields it does not know): a condition every row meets.
    let job_id = queue(
        &app,
        &site,
        json!({ "filter": {"badgeId": {"$exists": true}}, "assignTags": {"tags": {"tagIds": ["e"]}} }),
    )
    .await;
    assert_eq!(app.finished_job(&site, &job_id).await["totalItems"], 5);
    // With a condition the flag changes nothing.
    let job_id = queue(
        &app,
        &site,
        json!({ "filter": {"badgeId": gold}, "allowEmptyFilter": true, "assignTags": {"tags": {"tagIds": ["g"]}} }),
    )
    .await;
    assert_eq!(app.finished_job(&site, &job_id).await["totalItems"], 3);
});
