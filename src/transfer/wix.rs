//! `insignia import wix`: copies a Wix site's badges and assignments into
//! an Insignia site through Wix's public REST APIs (the wire Insignia
//! serves too): badges from `POST /badges/v4/badges/query` (every field,
//! the icon as an Image), put in the site's display order, which only the
//! older API's list tells (`GET /members/v3/badges`, in display order;
//! V4 queries default to newest first); assignments from
//! `POST /badges/v4/assignments/query`, oldest first, a page at a time.
//!
//! Every row copied is recorded in the id map (`wix:<site id>`) in the
//! transaction that writes it, so a re-run copies only what is missing and
//! an interrupted run, run again, continues where it stopped. Source ids
//! are kept where the target has none of them. What cannot be copied is
//! listed with the reason, and the rest is copied anyway.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::{json, Map, Value};

use super::jsonl::{parse_assignment, parse_badge};
use super::progress::Progress;
use super::stop::{Stop, Stopped};
use crate::domain::{AssignmentId, BadgeId, SiteId};
use crate::store::{ImportBatch, Mapped, SqlStore};

/// Wix's own API host.
pub const WIX_API: &str = "https://www.wixapis.com";

/// Badges and assignments per request: the most both APIs allow.
const PAGE_SIZE: u32 = 100;

/// How often a failed request is tried before the run gives up.
const ATTEMPTS: u32 = 5;

#[derive(Debug, Clone)]
pub struct WixOptions {
    /// The Wix site (a GUID) to copy from.
    pub source_site: String,
    pub api_key: String,
    pub base_url: String,
    /// The Insignia site to copy into.
    pub site: SiteId,
    /// Assignments per request (and per transaction), at most 100.
    pub page_size: u32,
}

/// What a run copied, and what it could not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WixReport {
    pub badges: u64,
    pub assignments: u64,
    /// Rows an earlier run copied.
    pub already: u64,
    /// What was not copied, and why, one line each.
    pub failures: Vec<String>,
}

struct Wix {
    http: reqwest::Client,
    options: WixOptions,
}

impl Wix {
    async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.call(path, Some(body)).await
    }

    /// POST with a JSON body, or GET without one; transient failures are retried.
    async fn call(&self, path: &str, body: Option<&Value>) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.options.base_url.trim_end_matches('/'));
        let mut wait = Duration::from_millis(250);
        for attempt in 1..=ATTEMPTS {
            let request = match body {
                Some(body) => self.http.post(&url).json(body),
                None => self.http.get(&url),
            };
            let sent = request
                .header("authorization", &self.options.api_key)
                .header("wix-site-id", &self.options.source_site)
                .send()
                .await;
            let retry = match sent {
                Ok(res) if res.status().is_success() => {
                    return res
                        .json()
                        .await
                        .with_context(|| format!("{url} answered with something other than JSON"));
                }
                // Too many requests, or the server's trouble: wait and try again.
                Ok(res) if res.status().as_u16() == 429 || res.status().is_server_error() => {
                    format!("{url} answered {}", res.status())
                }
                Ok(res) => {
                    let status = res.status();
                    let text = res.text().await.unwrap_or_default();
                    bail!(
                        "{url} answered {status}: {}",
                        text.chars().take(500).collect::<String>()
                    );
                }
                Err(e) if e.is_connect() || e.is_timeout() => format!("{url}: {e}"),
                Err(e) => return Err(anyhow::Error::from(e).context(format!("calling {url}"))),
            };
            if attempt == ATTEMPTS {
                bail!("{retry} ({ATTEMPTS} attempts)");
            }
            tracing::warn!("{retry}; trying again in {wait:?}");
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
        unreachable!("the last attempt returns")
    }
}

pub async fn import_wix(store: &SqlStore, options: WixOptions, stop: &Stop) -> anyhow::Result<WixReport> {
    if options.api_key.trim().is_empty() {
        bail!("--api-key is empty");
    }
    let site = options.site;
    let source = format!("wix:{}", options.source_site);
    let wix = Wix {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .context("starting the HTTP client")?,
        options,
    };
    let mut report = WixReport::default();

    let badge_map = copy_badges(store, &wix, site, &source, &mut report).await?;
    if stop.requested() {
        return Err(Stopped {
            done: "the badges".into(),
        }
        .into());
    }
    copy_assignments(store, &wix, site, &source, &badge_map, &mut report, stop).await?;
    Ok(report)
}

/// Copies the badges the map does not have yet, in the source's display
/// order after the target's own; returns source -> target for every badge.
async fn copy_badges(
    store: &SqlStore,
    wix: &Wix,
    site: SiteId,
    source: &str,
    report: &mut WixReport,
) -> anyhow::Result<HashMap<BadgeId, BadgeId>> {
    let mut listed: Vec<Map<String, Value>> = Vec::new();
    loop {
        let body = json!({ "query": { "paging": { "offset": listed.len(), "limit": PAGE_SIZE } } });
        let page = wix.post("/badges/v4/badges/query", &body).await?;
        let badges = items(&page, "badges")?;
        let got = badges.len();
        listed.extend(badges);
        let has_next = page["pagingMetadata"]["hasNext"].as_bool().unwrap_or(false);
        if got == 0 || !has_next {
            break;
        }
    }
    let order = display_order(wix).await?;
    // Stable: a badge the older list did not name (created meanwhile) goes last.
    listed.sort_by_key(|b| {
        b.get("id")
            .and_then(Value::as_str)
            .and_then(|id| order.get(id).copied())
            .unwrap_or(usize::MAX)
    });

    let existing = store.badge_ids(site).await?;
    let mut known: HashSet<BadgeId> = existing.clone();
    let mapped = store.mapped_ids(site, source, "badge").await?;
    let mut map: HashMap<BadgeId, BadgeId> = HashMap::new();
    let mut batch = ImportBatch::default();
    for raw in &listed {
        let shown = describe(raw, "title");
        let mut badge = match parse_badge(raw) {
            Ok(badge) => badge,
            Err(why) => {
                report.failures.push(format!("badge {shown}: {why}"));
                continue;
            }
        };
        let source_id = badge.id;
        if let Some(target) = mapped.get(&source_id.as_uuid()).map(|t| BadgeId::from_uuid(*t)) {
            // Copied before, and still there: nothing to do. A badge deleted in
            // the target since is copied again.
            if existing.contains(&target) {
                report.already += 1;
                map.insert(source_id, target);
                continue;
            }
        }
        if known.contains(&badge.id) {
            badge.id = BadgeId::generate();
        }
        known.insert(badge.id);
        map.insert(source_id, badge.id);
        batch.mapped.push(Mapped {
            kind: "badge",
            source: source_id.as_uuid(),
            target: badge.id.as_uuid(),
        });
        batch.badges.push(badge);
    }
    report.badges = batch.badges.len() as u64;
    store
        .import_batch(site, source, &batch)
        .await
        .context("writing the badges")?;
    eprintln!(
        "import wix: {} badges copied, {} copied before",
        report.badges, report.already
    );
    Ok(map)
}

/// Badge id -> place in the site's display order, from the older API's list.
async fn display_order(wix: &Wix) -> anyhow::Result<HashMap<String, usize>> {
    let mut order = HashMap::new();
    loop {
        let path = format!(
            "/members/v3/badges?paging.limit={PAGE_SIZE}&paging.offset={}",
            order.len()
        );
        let page = wix.call(&path, None).await?;
        let badges = items(&page, "badges")?;
        let got = badges.len();
        for badge in badges {
            if let Some(id) = badge.get("id").and_then(Value::as_str) {
                let next = order.len();
                order.entry(id.to_owned()).or_insert(next);
            }
        }
        if got < PAGE_SIZE as usize {
            break;
        }
    }
    Ok(order)
}

async fn copy_assignments(
    store: &SqlStore,
    wix: &Wix,
    site: SiteId,
    source: &str,
    badge_map: &HashMap<BadgeId, BadgeId>,
    report: &mut WixReport,
    stop: &Stop,
) -> anyhow::Result<()> {
    let limit = wix.options.page_size.clamp(1, PAGE_SIZE);
    let mut progress = Progress::new("import wix", "assignments", None);
    let mut cursor: Option<String> = None;
    loop {
        // The cursor carries the filter and sort of the first request.
        let body = match &cursor {
            None => json!({ "query": {
                "sort": [{ "fieldName": "createdDate", "order": "ASC" }],
                "cursorPaging": { "limit": limit },
            } }),
            Some(cursor) => json!({ "query": { "cursorPaging": { "limit": limit, "cursor": cursor } } }),
        };
        let page = wix.post("/badges/v4/assignments/query", &body).await?;
        let listed = items(&page, "badgeAssignments")?;
        let seen = listed.len() as u64;
        copy_page(store, site, source, badge_map, listed, report).await?;
        let (copied, already) = (report.assignments, report.already);
        progress.advance(seen, || format!("{copied} copied, {already} copied before"));
        cursor = page["pagingMetadata"]["cursors"]["next"].as_str().map(str::to_owned);
        if cursor.is_none() || seen == 0 {
            break;
        }
        if stop.requested() {
            return Err(Stopped {
                done: format!("{} assignments", report.assignments),
            }
            .into());
        }
    }
    progress.finish(&format!(
        "{} assignments copied, {} copied before, {} not copied",
        report.assignments,
        report.already,
        report.failures.len()
    ));
    Ok(())
}

/// One page of assignments, in one transaction with their map entries.
async fn copy_page(
    store: &SqlStore,
    site: SiteId,
    source: &str,
    badge_map: &HashMap<BadgeId, BadgeId>,
    listed: Vec<Map<String, Value>>,
    report: &mut WixReport,
) -> anyhow::Result<()> {
    let mut parsed = Vec::with_capacity(listed.len());
    for raw in &listed {
        match parse_assignment(raw) {
            Ok(a) => parsed.push(a),
            Err(why) => report
                .failures
                .push(format!("assignment {}: {why}", describe(raw, "memberId"))),
        }
    }
    let source_ids: Vec<uuid::Uuid> = parsed.iter().map(|a| a.id.as_uuid()).collect();
    let done = store.mapped_among(site, source, "assignment", &source_ids).await?;
    let mut fresh = Vec::with_capacity(parsed.len());
    for mut a in parsed {
        if done.contains(&a.id.as_uuid()) {
            report.already += 1;
            continue;
        }
        match badge_map.get(&a.badge_id) {
            Some(target) => a.badge_id = *target,
            None => {
                report.failures.push(format!(
                    "assignment {} (member {}): its badge {} was not copied",
                    a.id, a.member_id, a.badge_id
                ));
                continue;
            }
        }
        fresh.push(a);
    }
    let ids: Vec<AssignmentId> = fresh.iter().map(|a| a.id).collect();
    let taken = store.taken_assignment_ids(&ids).await?;
    let pairs: Vec<_> = fresh.iter().map(|a| (a.member_id, a.badge_id)).collect();
    let held = store.held_pairs(site, &pairs).await?;
    let mut batch = ImportBatch::default();
    for mut a in fresh {
        if held.contains(&(a.member_id, a.badge_id)) {
            report.failures.push(format!(
                "assignment {}: member {} holds badge {} in the target already",
                a.id, a.member_id, a.badge_id
            ));
            continue;
        }
        let source_id = a.id.as_uuid();
        if taken.contains(&a.id) {
            a.id = AssignmentId::generate();
        }
        batch.mapped.push(Mapped {
            kind: "assignment",
            source: source_id,
            target: a.id.as_uuid(),
        });
        batch.assignments.push(a);
    }
    store
        .import_batch(site, source, &batch)
        .await
        .context("writing assignments")?;
    report.assignments += batch.assignments.len() as u64;
    Ok(())
}

fn items(page: &Value, name: &str) -> anyhow::Result<Vec<Map<String, Value>>> {
    let Some(list) = page.get(name).and_then(Value::as_array) else {
        bail!("the answer has no `{name}` list");
    };
    Ok(list.iter().filter_map(|v| v.as_object().cloned()).collect())
}

/// `<id> ("<field>")` for a report line.
fn describe(raw: &Map<String, Value>, field: &str) -> String {
    let id = raw.get("id").and_then(Value::as_str).unwrap_or("(no id)");
    match raw.get(field).and_then(Value::as_str) {
        Some(v) => format!("{id} ({v:?})"),
        None => id.to_owned(),
    }
}
