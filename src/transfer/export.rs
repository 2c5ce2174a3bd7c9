//! `insignia export`: one site as JSON lines (see [`super::jsonl`]), to a
//! file or stdout. A file is written under a temporary name and renamed
//! when complete, so an interrupted export never leaves a partial file
//! where a whole one is expected.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;

use super::jsonl;
use super::progress::Progress;
use super::stop::{Stop, Stopped};
use crate::domain::SiteId;
use crate::store::{ExportError, ExportItem, SqlStore};

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exported {
    pub badges: u64,
    pub pages: u64,
    pub webhooks: u64,
    pub clients: u64,
    pub assignments: u64,
}

impl Exported {
    pub fn rows(&self) -> u64 {
        self.badges + self.pages + self.webhooks + self.clients + self.assignments
    }
}

pub async fn export(store: &SqlStore, site: SiteId, out: Option<&Path>, stop: &Stop) -> anyhow::Result<Exported> {
    match out {
        None => write_site(store, site, BufWriter::with_capacity(1 << 20, std::io::stdout()), stop).await,
        Some(path) => {
            let partial = path.with_extension("partial");
            let file =
                std::fs::File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
            let written = write_site(store, site, BufWriter::with_capacity(1 << 20, file), stop).await;
            match written {
                Ok(counts) => {
                    std::fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))?;
                    Ok(counts)
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&partial);
                    Err(e)
                }
            }
        }
    }
}

async fn write_site<W: Write + Send>(
    store: &SqlStore,
    site: SiteId,
    mut out: W,
    stop: &Stop,
) -> anyhow::Result<Exported> {
    let mut progress = Progress::new("export", "rows", None);
    let mut counts = Exported::default();
    write_line(&mut out, &jsonl::header_line(site))?;
    let mut each = |item: ExportItem| -> anyhow::Result<()> {
        let line = match &item {
            ExportItem::Counts {
                badges,
                pages,
                webhooks,
                clients,
                assignments,
            } => {
                progress.set_total(badges + pages + webhooks + clients + assignments);
                return Ok(());
            }
            ExportItem::Badge { badge, position } => {
                counts.badges += 1;
                Some(jsonl::badge_line(badge, *position))
            }
            ExportItem::Page(page) => {
                counts.pages += 1;
                Some(jsonl::page_line(page))
            }
            ExportItem::Webhook(hook) => {
                counts.webhooks += 1;
                Some(jsonl::webhook_line(hook))
            }
            ExportItem::Client(client) => {
                counts.clients += 1;
                Some(jsonl::client_line(client))
            }
            ExportItem::Assignment(a) => {
                counts.assignments += 1;
                // Most of the lines: written straight from the row, no `Value` between.
                write_line(&mut out, &jsonl::assignment_line(a))?;
                None
            }
        };
        if let Some(line) = line {
            write_line(&mut out, &line)?;
        }
        // An export has no batches: it stops where it is, and leaves no file.
        if stop.requested() {
            return Err(Stopped {
                done: format!("{} rows", counts.rows()),
            }
            .into());
        }
        progress.advance(1, String::new);
        Ok(())
    };
    store.export_site(site, &mut each).await.map_err(|e| match e {
        ExportError::Store(e) => anyhow::Error::from(e).context("reading the site"),
        ExportError::Write(e) => e,
    })?;
    out.flush().context("writing the export")?;
    progress.finish(&format!(
        "{} badges, {} pages, {} webhooks, {} clients, {} assignments written",
        counts.badges, counts.pages, counts.webhooks, counts.clients, counts.assignments
    ));
    Ok(counts)
}

fn write_line(out: &mut impl Write, line: &impl serde::Serialize) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, line).context("writing the export")?;
    out.write_all(b"\n").context("writing the export")?;
    Ok(())
}
