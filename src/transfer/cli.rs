//! The command-line side of moving sites: arguments and what each command
//! prints. `main` hands each command here.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::export::export;
use super::import::{import_file, ImportOptions};
use super::stop::Stop;
use super::wix::{import_wix, WixOptions, WIX_API};
use crate::config::DatabaseArgs;
use crate::domain::SiteId;
use crate::store::{connect, SqlStore};

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// The site (a GUID) to export.
    #[arg(long)]
    pub site: String,
    /// Where to write the JSON lines (default: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// `insignia import FILE --site S [--remap]`, or `insignia import wix …`.
#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub from: Option<ImportFrom>,
    /// A file `insignia export` wrote.
    #[arg(required = true)]
    pub file: Option<PathBuf>,
    /// The site (a GUID) to import into.
    #[arg(long, required = true)]
    pub site: Option<String>,
    /// Give rows whose ids the target has already fresh ids (instead of stopping).
    #[arg(long)]
    pub remap: bool,
    /// Lines per batch; each batch is one transaction.
    #[arg(long, default_value_t = 100_000, hide = true)]
    pub batch_lines: usize,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ImportFrom {
    /// Copy a Wix site's badges and assignments into an Insignia site.
    Wix(WixArgs),
}

#[derive(Debug, Clone, Args)]
pub struct WixArgs {
    /// The Wix site (a GUID) to copy from.
    #[arg(long)]
    pub site_id: String,
    /// A Wix API key with the Read Badges permission for that site.
    #[arg(long, env = "INSIGNIA_WIX_API_KEY", hide_env_values = true)]
    pub api_key: String,
    /// Where Wix's REST APIs are.
    #[arg(long, default_value = WIX_API)]
    pub base_url: String,
    /// The Insignia site (a GUID) to copy into.
    #[arg(long)]
    pub site: String,
    /// Assignments per request and per transaction (at most 100).
    #[arg(long, default_value_t = 100, hide = true)]
    pub page_size: u32,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// The file to write (must not exist yet).
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

fn site(raw: &str) -> anyhow::Result<SiteId> {
    SiteId::parse("--site", raw).map_err(|v| anyhow::anyhow!(v.description))
}

async fn open(database: &DatabaseArgs) -> anyhow::Result<SqlStore> {
    let mut options = database.connect_options();
    super::tune(&mut options);
    Ok(connect(&options).await?)
}

pub async fn run_export(args: ExportArgs) -> anyhow::Result<()> {
    let site = site(&args.site)?;
    let store = open(&args.database).await?;
    let stop = Stop::on_signals();
    let result = export(&store, site, args.out.as_deref(), &stop).await;
    store.close().await;
    result.map(|_| ())
}

pub async fn run_import(args: ImportArgs) -> anyhow::Result<()> {
    if let Some(ImportFrom::Wix(wix)) = args.from {
        return run_wix(wix).await;
    }
    let (Some(file), Some(raw_site)) = (args.file, args.site) else {
        anyhow::bail!("usage: insignia import FILE --site SITE [--remap], or insignia import wix …");
    };
    let options = ImportOptions {
        site: site(&raw_site)?,
        remap: args.remap,
        batch_lines: args.batch_lines,
    };
    let store = open(&args.database).await?;
    let stop = Stop::on_signals();
    let result = import_file(&store, &file, &options, &stop).await;
    store.close().await;
    result.map(|_| ())
}

async fn run_wix(args: WixArgs) -> anyhow::Result<()> {
    let target = site(&args.site)?;
    SiteId::parse("--site-id", &args.site_id).map_err(|v| anyhow::anyhow!(v.description))?;
    let store = open(&args.database).await?;
    let stop = Stop::on_signals();
    let options = WixOptions {
        source_site: args.site_id,
        api_key: args.api_key,
        base_url: args.base_url,
        site: target,
        page_size: args.page_size,
    };
    let result = import_wix(&store, options, &stop).await;
    store.close().await;
    let report = result?;
    eprintln!(
        "import wix: {} badges and {} assignments copied, {} copied by an earlier run, {} not copied",
        report.badges,
        report.assignments,
        report.already,
        report.failures.len()
    );
    for failure in &report.failures {
        eprintln!("  not copied: {failure}");
    }
    Ok(())
}

pub async fn run_backup(args: BackupArgs) -> anyhow::Result<()> {
    let store = open(&args.database).await?;
    let result = store.backup_into(&args.out).await;
    store.close().await;
    result?;
    eprintln!("backup written to {}", args.out.display());
    Ok(())
}
