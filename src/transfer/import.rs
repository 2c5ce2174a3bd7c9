//! `insignia import FILE`: reads an export back into a site, in batches of
//! lines, each batch one transaction that also records how far the import
//! got. A bad line stops the import with its line number; the batches
//! before it stay, nothing of its own batch is written, and a re-run of the
//! (fixed) file continues after the last complete batch.
//!
//! Ids are kept. An id the target already has (for assignments, webhooks
//! and OAuth clients: any site of the database) is a clash and stops the
//! import, unless `--remap` is given: then the row gets a fresh id, the
//! rows that refer to it follow, and the map is kept so that a re-run of
//! the same file skips what it copied. A member who already holds a badge
//! is a clash too; with `--remap` the assignment is skipped.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::jsonl::{parse_line, Record};
use super::progress::Progress;
use super::stop::{Stop, Stopped};
use crate::domain::{AssignmentId, BadgeId, MemberId, PageBadges, PageId, SiteId};
use crate::store::{ImportAssignment, ImportBatch, Mapped, ResumePoint, SqlStore, StoreError};

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub site: SiteId,
    pub remap: bool,
    /// Lines per batch (and per transaction).
    pub batch_lines: usize,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    pub badges: u64,
    pub pages: u64,
    pub webhooks: u64,
    pub clients: u64,
    pub assignments: u64,
    /// Rows given fresh ids (`--remap`).
    pub remapped: u64,
    /// Rows not written: already copied by an earlier run, or (with
    /// `--remap`) an assignment the member held already.
    pub skipped: u64,
    /// The line an interrupted import continued after.
    pub resumed_after: u64,
}

/// A line the import refuses.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

fn refuse(line: u64, message: impl Into<String>) -> anyhow::Error {
    LineError {
        line,
        message: message.into(),
    }
    .into()
}

/// Lines of a file with their numbers and a running SHA-256 of every byte read.
struct Lines<R> {
    reader: R,
    number: u64,
    digest: Sha256,
    bytes: u64,
}

impl<R: BufRead> Lines<R> {
    fn next(&mut self) -> anyhow::Result<Option<String>> {
        let mut raw = Vec::new();
        let n = self.reader.read_until(b'\n', &mut raw).context("reading the file")?;
        if n == 0 {
            return Ok(None);
        }
        self.number += 1;
        self.bytes += n as u64;
        self.digest.update(&raw);
        let text = String::from_utf8(raw).map_err(|_| refuse(self.number, "not UTF-8 text"))?;
        Ok(Some(text.trim_end_matches(['\n', '\r']).to_owned()))
    }

    fn resume_point(&self) -> ResumePoint {
        ResumePoint {
            lines: self.number,
            digest: self.digest.clone().finalize().to_vec(),
        }
    }
}

fn open(path: &Path) -> anyhow::Result<(Lines<BufReader<std::fs::File>>, u64)> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let lines = Lines {
        reader: BufReader::with_capacity(1 << 20, file),
        number: 0,
        digest: Sha256::new(),
        bytes: 0,
    };
    Ok((lines, size))
}

/// What the import knows of the target while it runs: few rows (badges,
/// pages, webhooks, clients), never the assignments.
struct Target {
    badges: HashSet<BadgeId>,
    pages: HashSet<PageId>,
    paths: HashSet<String>,
    /// Webhook and client ids this run wrote (their ids are unique across
    /// sites, so the database is asked about the others).
    webhooks: HashSet<Uuid>,
    clients: HashSet<String>,
    /// `--remap`: source id -> target id of each kind, from this run and earlier ones.
    badge_map: HashMap<Uuid, Uuid>,
    page_map: HashMap<Uuid, Uuid>,
    webhook_map: HashMap<Uuid, Uuid>,
    client_map: HashMap<Uuid, Uuid>,
}

impl Target {
    /// With `--remap`, remembers that `source` became `target`, here and
    /// (through the batch) for the next run.
    fn map(
        &mut self,
        options: &ImportOptions,
        batch: &mut ImportBatch,
        kind: &'static str,
        source: Uuid,
        target: Uuid,
    ) {
        if !options.remap {
            return;
        }
        let map = match kind {
            "badge" => &mut self.badge_map,
            "page" => &mut self.page_map,
            "webhook" => &mut self.webhook_map,
            _ => &mut self.client_map,
        };
        map.insert(source, target);
        batch.mapped.push(Mapped { kind, source, target });
    }
}

pub async fn import_file(
    store: &SqlStore,
    path: &Path,
    options: &ImportOptions,
    stop: &Stop,
) -> anyhow::Result<Imported> {
    let site = options.site;
    let (mut lines, size) = open(path)?;
    let Some(first) = lines.next()? else {
        bail!("{} is empty: an export starts with its header line", path.display());
    };
    let source_site = match parse_line(&first).map_err(|m| refuse(1, m))? {
        Record::Header { site } => site,
        _ => {
            return Err(refuse(
                1,
                "an export starts with its header line ({\"type\":\"insignia-export\",…})",
            ))
        }
    };
    let source = format!("file:{source_site}");
    let mut imported = Imported::default();

    // Continue after the last complete batch of an interrupted run of this file.
    if let Some(resume) = store.resume_point(site, &source).await? {
        while lines.number < resume.lines && lines.next()?.is_some() {}
        if lines.resume_point() == resume {
            imported.resumed_after = resume.lines;
            eprintln!("import: continuing after line {}", resume.lines);
        } else {
            eprintln!(
                "import: the file differs from the interrupted import's first {} lines; starting from the top",
                resume.lines
            );
            (lines, _) = open(path)?;
            lines.next()?;
        }
    }

    let (pages, paths) = store.page_ids_and_paths(site).await?;
    let mapped = |kind: &'static str| {
        let source = &source;
        async move {
            if options.remap {
                store.mapped_ids(site, source, kind).await
            } else {
                Ok(HashMap::new())
            }
        }
    };
    let mut target = Target {
        badges: store.badge_ids(site).await?,
        pages,
        paths,
        webhooks: HashSet::new(),
        clients: HashSet::new(),
        badge_map: mapped("badge").await?,
        page_map: mapped("page").await?,
        webhook_map: mapped("webhook").await?,
        client_map: mapped("client").await?,
    };

    let mut progress = Progress::new("import", "bytes", Some(size));
    progress.advance(lines.bytes, String::new);
    let mut shown = lines.bytes;
    // Batch N is written on a task of its own (SQLite works on its own
    // thread) while batch N+1 is read and parsed here; N is settled before
    // anything N+1 brings (a bad line, Ctrl-C) is acted on.
    let mut writing: Option<tokio::task::JoinHandle<Written>> = None;
    let mut more = true;
    // The last line of the last batch written.
    let mut committed = lines.number;
    while more || writing.is_some() {
        let next = if more {
            Some(read_batch(store, &mut lines, &mut target, options, &mut imported, stop).await)
        } else {
            None
        };
        if let Some(handle) = writing.take() {
            let written = handle.await.context("the batch writer stopped")?;
            let done = settle(store, options, &source, written, &mut imported).await?;
            let (b, p, a) = (imported.badges, imported.pages, imported.assignments);
            progress.advance(done.bytes - shown, || format!("{b} badges, {p} pages, {a} assignments"));
            shown = done.bytes;
            committed = done.last_line;
            if stop.requested() && !done.at_end {
                return Err(Stopped {
                    done: format!("line {}", done.last_line),
                }
                .into());
            }
        }
        if let Some(next) = next {
            let parsed = next?;
            if parsed.cut {
                return Err(Stopped {
                    done: format!("line {committed}"),
                }
                .into());
            }
            more = !parsed.at_end;
            writing = Some(write(store, site, &source, parsed));
        }
    }
    store.clear_resume_point(site, &source).await?;
    progress.finish(&format!(
        "{} badges, {} pages, {} webhooks, {} clients, {} assignments imported ({} with new ids, {} skipped)",
        imported.badges,
        imported.pages,
        imported.webhooks,
        imported.clients,
        imported.assignments,
        imported.remapped,
        imported.skipped
    ));
    Ok(imported)
}

/// A batch read from the file, not yet written.
struct Parsed {
    batch: ImportBatch,
    /// The line of each of `batch.assignments`.
    assignment_lines: Vec<u64>,
    /// The batch's last line, and the bytes of the file up to its end.
    last_line: u64,
    bytes: u64,
    at_end: bool,
    /// Ctrl-C came while it was read: it is not to be written.
    cut: bool,
}

/// A batch's write, done: the batch back, and how it went.
type Written = (Parsed, Result<(), StoreError>);

/// Writes the batch on a task of its own.
fn write(store: &SqlStore, site: SiteId, source: &str, parsed: Parsed) -> tokio::task::JoinHandle<Written> {
    let (store, source) = (store.clone(), source.to_owned());
    tokio::spawn(async move {
        let result = store.import_batch(site, &source, &parsed.batch).await;
        (parsed, result)
    })
}

/// Sees a written batch through. Assignments are written without asking
/// first whether their ids or (member, badge) pairs are taken: the
/// database refuses them anyway, and asking costs as much as writing. When
/// it refuses, the batch was rolled back whole; the lines are then checked
/// one by one, to refuse the first with its number or (`--remap`) give it a
/// new id or skip it, and the batch is written again.
async fn settle(
    store: &SqlStore,
    options: &ImportOptions,
    source: &str,
    (mut parsed, result): Written,
    imported: &mut Imported,
) -> anyhow::Result<Parsed> {
    let failed = |e: StoreError, last_line: u64| match e {
        StoreError::PathTaken => {
            anyhow::anyhow!("lines up to {last_line}: a page's path is taken in the site (written meanwhile?)")
        }
        e => anyhow::Error::from(e).context(format!("writing the batch ending at line {last_line}")),
    };
    match result {
        Ok(()) => {}
        Err(e) if e.is_taken_assignment() => {
            let pending: Vec<(u64, ImportAssignment)> = std::mem::take(&mut parsed.assignment_lines)
                .into_iter()
                .zip(std::mem::take(&mut parsed.batch.assignments))
                .collect();
            check_assignments(store, options, pending, &mut parsed.batch, imported).await?;
            store
                .import_batch(options.site, source, &parsed.batch)
                .await
                .map_err(|e| failed(e, parsed.last_line))?;
        }
        Err(e) => return Err(failed(e, parsed.last_line)),
    }
    imported.assignments += parsed.batch.assignments.len() as u64;
    Ok(parsed)
}

/// Lines between two chances for the batch being written to go on (when
/// the runtime has one thread only) and two looks at Ctrl-C.
const YIELD_EVERY: usize = 2048;

/// Reads up to a batch of lines and checks them against what the import
/// knows of the target (assignments are checked by the write, see [`settle`]).
async fn read_batch<R: BufRead>(
    store: &SqlStore,
    lines: &mut Lines<R>,
    target: &mut Target,
    options: &ImportOptions,
    imported: &mut Imported,
    stop: &Stop,
) -> anyhow::Result<Parsed> {
    let mut batch = ImportBatch::default();
    let mut assignment_lines = Vec::new();
    let mut at_end = false;
    let mut cut = false;
    for n in 0..options.batch_lines.max(1) {
        if n % YIELD_EVERY == YIELD_EVERY - 1 {
            tokio::task::yield_now().await;
            if stop.requested() {
                cut = true;
                break;
            }
        }
        let Some(text) = lines.next()? else {
            at_end = true;
            break;
        };
        let line = lines.number;
        if text.trim().is_empty() {
            continue;
        }
        match parse_line(&text).map_err(|m| refuse(line, m))? {
            Record::Header { .. } => return Err(refuse(line, "a second header line")),
            Record::Badge(mut badge) => {
                let source_id = badge.id.as_uuid();
                if options.remap && target.badge_map.contains_key(&source_id) {
                    imported.skipped += 1;
                    continue;
                }
                if target.badges.contains(&badge.id) {
                    if !options.remap {
                        return Err(refuse(
                            line,
                            format!(
                                "badge {} exists in the site already (--remap imports it with a new id)",
                                badge.id
                            ),
                        ));
                    }
                    badge.id = BadgeId::generate();
                    imported.remapped += 1;
                }
                target.badges.insert(badge.id);
                target.map(options, &mut batch, "badge", source_id, badge.id.as_uuid());
                imported.badges += 1;
                batch.badges.push(badge);
            }
            Record::Page(mut page) => {
                let source_id = page.id.as_uuid();
                if options.remap && target.page_map.contains_key(&source_id) {
                    imported.skipped += 1;
                    continue;
                }
                let mut badges = Vec::with_capacity(page.badge_ids.as_slice().len());
                for badge in page.badge_ids.as_slice() {
                    let mapped = map_badge(target, options, *badge);
                    if !target.badges.contains(&mapped) {
                        return Err(refuse(line, unknown_badge("page", *badge)));
                    }
                    badges.push(mapped);
                }
                page.badge_ids = PageBadges::parse("page.badgeIds", badges).map_err(|v| refuse(line, v.description))?;
                if target.paths.contains(page.path.as_str()) {
                    if !options.remap {
                        return Err(refuse(
                            line,
                            format!("the site protects {} already", page.path.as_str()),
                        ));
                    }
                    imported.skipped += 1;
                    continue;
                }
                if target.pages.contains(&page.id) {
                    if !options.remap {
                        return Err(refuse(
                            line,
                            format!(
                                "page {} exists in the site already (--remap imports it with a new id)",
                                page.id
                            ),
                        ));
                    }
                    page.id = PageId::generate();
                    imported.remapped += 1;
                }
                target.pages.insert(page.id);
                target.paths.insert(page.path.as_str().to_owned());
                target.map(options, &mut batch, "page", source_id, page.id.as_uuid());
                imported.pages += 1;
                batch.pages.push(page);
            }
            Record::Webhook(mut hook) => {
                let source_id = hook.id;
                if options.remap && target.webhook_map.contains_key(&source_id) {
                    imported.skipped += 1;
                    continue;
                }
                if target.webhooks.contains(&hook.id) || store.webhook_id_taken(hook.id).await? {
                    if !options.remap {
                        return Err(refuse(line, clash("webhook", hook.id)));
                    }
                    hook.id = Uuid::now_v7();
                    imported.remapped += 1;
                }
                hook.site = options.site;
                target.webhooks.insert(hook.id);
                target.map(options, &mut batch, "webhook", source_id, hook.id);
                imported.webhooks += 1;
                batch.webhooks.push(hook);
            }
            Record::Client(mut client) => {
                // The record's id was read as a GUID.
                let source_id = Uuid::try_parse(&client.id).map_err(|_| refuse(line, "`client.id` is not a GUID"))?;
                if options.remap && target.client_map.contains_key(&source_id) {
                    imported.skipped += 1;
                    continue;
                }
                if target.clients.contains(&client.id) || store.client_id_taken(&client.id).await? {
                    if !options.remap {
                        return Err(refuse(line, clash("OAuth client", &client.id)));
                    }
                    client.id = Uuid::new_v4().to_string();
                    imported.remapped += 1;
                }
                client.site_id = options.site;
                target.clients.insert(client.id.clone());
                let new_id = Uuid::try_parse(&client.id).unwrap_or(source_id);
                target.map(options, &mut batch, "client", source_id, new_id);
                imported.clients += 1;
                batch.clients.push(client);
            }
            Record::Assignment(mut a) => {
                let original = a.badge_id;
                a.badge_id = map_badge(target, options, a.badge_id);
                if !target.badges.contains(&a.badge_id) {
                    return Err(refuse(line, unknown_badge("assignment", original)));
                }
                assignment_lines.push(line);
                batch.assignments.push(a);
            }
        }
    }
    batch.resume = Some(lines.resume_point());
    Ok(Parsed {
        batch,
        assignment_lines,
        last_line: lines.number,
        bytes: lines.bytes,
        at_end,
        cut,
    })
}

fn map_badge(target: &Target, options: &ImportOptions, badge: BadgeId) -> BadgeId {
    if options.remap {
        if let Some(mapped) = target.badge_map.get(&badge.as_uuid()) {
            return BadgeId::from_uuid(*mapped);
        }
    }
    badge
}

fn clash(what: &str, id: impl std::fmt::Display) -> String {
    format!("{what} {id} exists already (--remap imports it with a new id)")
}

fn unknown_badge(what: &str, badge: BadgeId) -> String {
    format!("the {what} names badge {badge}, which is neither on a line above nor in the site")
}

/// The checks that need the database, when the write found a clash: ids
/// other sites or rows took, and members who hold the badge already. With
/// `--remap` a taken id is replaced and a held badge skipped; without,
/// either stops the import. Counts what it changes, not what it keeps.
async fn check_assignments(
    store: &SqlStore,
    options: &ImportOptions,
    pending: Vec<(u64, ImportAssignment)>,
    batch: &mut ImportBatch,
    imported: &mut Imported,
) -> anyhow::Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let ids: Vec<AssignmentId> = pending.iter().map(|(_, a)| a.id).collect();
    let pairs: Vec<(MemberId, BadgeId)> = pending.iter().map(|(_, a)| (a.member_id, a.badge_id)).collect();
    let taken = store.taken_assignment_ids(&ids).await?;
    let held = store.held_pairs(options.site, &pairs).await?;
    let mut seen_ids: HashSet<AssignmentId> = HashSet::with_capacity(pending.len());
    let mut seen_pairs: HashSet<(MemberId, BadgeId)> = HashSet::with_capacity(pending.len());
    batch.assignments.reserve(pending.len());
    for (line, mut a) in pending {
        let pair = (a.member_id, a.badge_id);
        if held.contains(&pair) || !seen_pairs.insert(pair) {
            if options.remap {
                imported.skipped += 1;
                continue;
            }
            return Err(refuse(
                line,
                format!("member {} holds badge {} already", a.member_id, a.badge_id),
            ));
        }
        if taken.contains(&a.id) || !seen_ids.insert(a.id) {
            if !options.remap {
                return Err(refuse(line, clash("assignment", a.id)));
            }
            a.id = AssignmentId::generate();
            seen_ids.insert(a.id);
            imported.remapped += 1;
        }
        batch.assignments.push(a);
    }
    Ok(())
}
