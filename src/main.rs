use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use insignia::config::{AdminCommand, Cli, ClientsCommand, Command, DatabaseArgs, KeysCommand, ServeArgs};
use insignia::domain::{Scope, SiteId};
use insignia::service::api_keys::ApiKeys;
use insignia::service::Services;
use insignia::store::{connect, SqlStore, Store};
use tracing_subscriber::EnvFilter;

/// A request allocates many small, short-lived blocks (JSON values, headers,
/// futures); mimalloc serves them from per-thread pages, which took a
/// quarter of the CPU of a cached read off the allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // Logs go to stderr so that stdout stays clean for `keys create`.
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("INSIGNIA_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Once, with every cause, and never a database password.
            eprintln!("insignia: {}", insignia::diagnostics::describe(&e));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Migrate(database) => {
            open(&database).await?.close().await;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Keys { command } => keys(command).await,
        Command::Admin { command } => admin(command).await,
        Command::Clients { command } => clients(command).await,
        Command::Webhooks { command } => webhooks(command).await,
        Command::Export(args) => insignia::transfer::cli::run_export(args).await,
        Command::Import(args) => insignia::transfer::cli::run_import(args).await,
        Command::Backup(args) => insignia::transfer::cli::run_backup(args).await,
    }
}

async fn open(database: &DatabaseArgs) -> anyhow::Result<SqlStore> {
    Ok(connect(&database.connect_options()).await?)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let store = open(&args.database).await?;
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    let addr = listener.local_addr()?;
    let session_ttl = std::time::Duration::from_secs(u64::from(args.admin_session_hours) * 3600);
    let state = insignia::api::AppState::with_caches(Arc::new(store.clone()), args.cache_settings())
        .await?
        .with_admin_session_ttl(session_ttl)
        .with_edge(args.edge.edge())
        .with_services(|services| {
            services
                .with_forward_auth_cookie(&args.identity.forward_auth_cookie)
                .allowing_private_webhook_urls(args.webhooks.allow_private_webhook_urls)
        });
    let events = insignia::events::background::start(Arc::new(store.clone()), &args.webhooks).await?;
    let jobs = insignia::jobs::start(Arc::new(store.clone()), args.jobs.settings());
    let session_sweep = tokio::spawn(insignia::service::frontend::sweep_sessions(state.services.clone()));
    tracing::info!(%addr, "insignia listening on http://{addr}");
    let app = insignia::api::router(state);
    insignia::server::serve(listener, app, args.edge.connection_limits(), shutdown_signal()).await?;
    jobs.stop().await;
    events.stop().await;
    session_sweep.abort();
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn webhooks(command: insignia::events::config::WebhooksCommand) -> anyhow::Result<()> {
    use insignia::events::config::WebhooksCommand;
    match command {
        WebhooksCommand::PublicKey { database } => {
            let store = open(&database).await?;
            let key = insignia::service::webhooks::signing_key(&store).await?;
            store.close().await;
            print!("{}", key.public_pem);
        }
        WebhooksCommand::RotateKey { database } => {
            let store = open(&database).await?;
            let key = insignia::events::signing::KeyPair::generate().map_err(anyhow::Error::msg)?;
            store.insert_signing_key(&key).await?;
            store.retire_signing_keys(&key.id).await?;
            store.close().await;
            print!("{}", key.public_pem);
        }
    }
    Ok(())
}

/// Resolves on SIGINT or SIGTERM; requests in flight are finished first,
/// within the drain timeout.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

async fn keys(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Create { site, scopes, database } => {
            let site = SiteId::parse("--site", &site).map_err(|v| anyhow::anyhow!(v.description))?;
            let scopes = scopes
                .iter()
                .map(|scope| {
                    Scope::parse(scope).ok_or_else(|| {
                        anyhow::anyhow!(
                            "unknown scope {scope:?}: use {} or {}",
                            Scope::MANAGE_BADGES,
                            Scope::READ_BADGES
                        )
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let store = open(&database).await?;
            let (_, secret) = ApiKeys::new(&store).create(site, &scopes).await?;
            store.close().await;
            println!("{secret}");
            Ok(())
        }
        KeysCommand::List { site, database } => {
            let site = site
                .map(|s| SiteId::parse("--site", &s).map_err(|v| anyhow::anyhow!(v.description)))
                .transpose()?;
            let store = open(&database).await?;
            for key in store.list_api_keys(site).await? {
                let revoked = key.revoked_at.map(|t| t.to_rfc3339()).unwrap_or_else(|| "-".into());
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    key.id,
                    key.site_id,
                    key.scopes.join(","),
                    key.created_at.to_rfc3339(),
                    revoked
                );
            }
            store.close().await;
            Ok(())
        }
        KeysCommand::Revoke { id, database } => {
            let store = open(&database).await?;
            let revoked = store.revoke_api_key(&id).await?;
            store.close().await;
            if !revoked {
                anyhow::bail!("no active key with id {id}");
            }
            eprintln!("key {id} revoked");
            Ok(())
        }
    }
}

async fn admin(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::LoginLink {
            site,
            base_url,
            database,
        } => {
            let site = SiteId::parse("--site", &site).map_err(|v| anyhow::anyhow!(v.description))?;
            let store = open(&database).await?;
            let services = Services::new(Arc::new(store.clone())).await?;
            let secret = services.admin_sessions().create_login_link(site).await?;
            store.close().await;
            println!("{}", insignia::web::login_link_url(&base_url, &secret));
            Ok(())
        }
    }
}

async fn clients(command: ClientsCommand) -> anyhow::Result<()> {
    let parse_site = |s: &str| SiteId::parse("--site", s).map_err(|v| anyhow::anyhow!(v.description));
    match command {
        ClientsCommand::Create {
            site,
            origins,
            database,
        } => {
            let site = parse_site(&site)?;
            let origins = origins
                .iter()
                .map(|o| insignia::service::frontend::parse_origin(o))
                .collect::<Result<Vec<_>, _>>()?;
            let store = open(&database).await?;
            let services = Services::new(Arc::new(store.clone())).await?;
            let id = services.front_end().create_client(site, &origins).await?;
            store.close().await;
            println!("{id}");
            Ok(())
        }
        ClientsCommand::List { site, database } => {
            let site = site.as_deref().map(parse_site).transpose()?;
            let store = open(&database).await?;
            for client in store.list_oauth_clients(site).await? {
                let revoked = client.revoked_at.map(|t| t.to_rfc3339()).unwrap_or_else(|| "-".into());
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    client.id,
                    client.site_id,
                    client.origins.join(","),
                    client.created_at.to_rfc3339(),
                    revoked
                );
            }
            store.close().await;
            Ok(())
        }
        ClientsCommand::Revoke { id, database } => {
            let store = open(&database).await?;
            let revoked = store.revoke_oauth_client(&id).await?;
            store.close().await;
            if !revoked {
                anyhow::bail!("no active client with id {id}");
            }
            eprintln!("client {id} revoked");
            Ok(())
        }
    }
}
