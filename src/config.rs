//! Command-line configuration, with environment fallbacks. Loaded once at
//! start and passed down; there is no global state.

use clap::{Args, Parser, Subcommand};

mod edge;
mod jobs;
pub use edge::EdgeArgs;
pub use jobs::JobArgs;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://insignia.db";

#[derive(Debug, Parser)]
#[command(
    name = "insignia",
    version,
    about = "A self-hosted member-badges service speaking the Wix Members Badges APIs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (migrations are applied on start).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DatabaseArgs),
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Manage the front-end OAuth clients of sites (for the SDK's OAuthStrategy).
    Clients {
        #[command(subcommand)]
        command: ClientsCommand,
    },
    /// The admin page served at /admin.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Webhook signing keys.
    Webhooks {
        #[command(subcommand)]
        command: crate::events::config::WebhooksCommand,
    },
    /// Write one site as JSON lines (badges, pages, assignments; never a secret).
    Export(crate::transfer::cli::ExportArgs),
    /// Read an export into a site, or copy a Wix site (`import wix`).
    Import(crate::transfer::cli::ImportArgs),
    /// Copy a live SQLite database to a file (safe while `serve` runs).
    Backup(crate::transfer::cli::BackupArgs),
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://PATH` (created if missing) or `postgres://USER@HOST:PORT/DB`.
    #[arg(long = "database", env = "INSIGNIA_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub url: String,
    /// Database connections per instance.
    #[arg(long, env = "INSIGNIA_DATABASE_POOL_SIZE", default_value_t = 8)]
    pub pool_size: u32,
    /// PostgreSQL statement timeout in milliseconds (0: none).
    #[arg(long, env = "INSIGNIA_STATEMENT_TIMEOUT_MS", default_value_t = 30_000)]
    pub statement_timeout_ms: u64,
    /// PostgreSQL schema to keep Insignia's tables in (default: the connection's own).
    #[arg(long, env = "INSIGNIA_DATABASE_SCHEMA")]
    pub schema: Option<String>,
    /// Longest wait for the database, in milliseconds: for a pooled
    /// connection, for a lock (SQLite's busy timeout, PostgreSQL's
    /// `lock_timeout`); past it the request is answered 503.
    #[arg(long, env = "INSIGNIA_DATABASE_WAIT_MS", default_value_t = 2_000)]
    pub wait_ms: u64,
    /// SQLite: memory-mapped reads, in MiB, shared out among the connections
    /// (the most of the file that the process maps).
    #[arg(long, env = "INSIGNIA_SQLITE_MMAP_MB", default_value_t = 128)]
    pub sqlite_mmap_mb: u64,
    /// SQLite: page cache per connection, in KiB.
    #[arg(long, env = "INSIGNIA_SQLITE_CACHE_KB", default_value_t = 2048)]
    pub sqlite_cache_kb: u64,
}

impl DatabaseArgs {
    pub fn connect_options(&self) -> crate::store::ConnectOptions {
        crate::store::ConnectOptions {
            url: self.url.clone(),
            max_connections: self.pool_size,
            statement_timeout_ms: self.statement_timeout_ms,
            schema: self.schema.clone(),
            wait: std::time::Duration::from_millis(self.wait_ms),
            sqlite_mmap_bytes: self.sqlite_mmap_mb << 20,
            sqlite_cache_kib: self.sqlite_cache_kb,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "INSIGNIA_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// How long an admin page sign-in lasts, in hours.
    #[arg(long, env = "INSIGNIA_ADMIN_SESSION_HOURS", default_value_t = 12)]
    pub admin_session_hours: u32,
    /// Memory for members' badge sets (the access check's LRU cache), in MiB.
    #[arg(long, env = "INSIGNIA_ACCESS_MEMBER_CACHE_MB", default_value_t = 64)]
    pub access_member_cache_mb: usize,
    /// Memory for sites' protected pages (the access check's LRU cache), in MiB.
    #[arg(long, env = "INSIGNIA_ACCESS_PAGE_CACHE_MB", default_value_t = 64)]
    pub access_page_cache_mb: usize,
    /// Memory for badges and members' assignments read from memory
    /// (GetBadge, the badges of one member), in MiB; 0 turns it off.
    #[arg(long, env = "INSIGNIA_READ_CACHE_MB", default_value_t = 64)]
    pub read_cache_mb: usize,
    /// How long a known API key is trusted without a lookup, in seconds:
    /// a key revoked elsewhere stops working here within this time (0: look
    /// up every request).
    #[arg(long, env = "INSIGNIA_KEY_CACHE_SECONDS", default_value_t = 5)]
    pub key_cache_seconds: u64,
    #[command(flatten)]
    pub edge: EdgeArgs,
    #[command(flatten)]
    pub identity: IdentityArgs,
    #[command(flatten)]
    pub webhooks: crate::events::config::WebhookArgs,
    #[command(flatten)]
    pub jobs: JobArgs,
}

impl ServeArgs {
    pub fn cache_settings(&self) -> crate::service::CacheSettings {
        crate::service::CacheSettings {
            access: crate::access::CacheBudget {
                member_bytes: self.access_member_cache_mb << 20,
                page_bytes: self.access_page_cache_mb << 20,
            },
            reads: self.read_cache_mb << 20,
            key_ttl: std::time::Duration::from_secs(self.key_cache_seconds),
            tokens: crate::service::auth::TokenSettings {
                access_token_ttl: std::time::Duration::from_secs(self.identity.access_token_seconds.max(1)),
                leeway: std::time::Duration::from_secs(self.identity.access_token_leeway_seconds),
                visitor_session_ttl: std::time::Duration::from_secs(
                    self.identity.visitor_session_days.max(1) * 24 * 3600,
                ),
            },
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Print a one-time link that signs a browser in to the site's admin page
    /// (valid for 15 minutes, usable once).
    LoginLink {
        /// The site (a GUID) to manage.
        #[arg(long)]
        site: String,
        /// Where browsers reach `insignia serve`.
        #[arg(long, env = "INSIGNIA_ADMIN_BASE_URL", default_value = "http://127.0.0.1:8080")]
        base_url: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create an API key for a site; prints the key, and nothing else, on stdout.
    Create {
        /// The site (a GUID) the key acts for.
        #[arg(long)]
        site: String,
        /// SCOPE.DC-MEMBERS.MANAGE-BADGES or SCOPE.DC-MEMBERS.READ-BADGES (repeatable).
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List keys (never the keys themselves): id, site, scopes, created, revoked.
    List {
        /// Only the keys of this site.
        #[arg(long)]
        site: Option<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a key by the id `keys list` shows.
    Revoke {
        id: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// Front-end tokens and the forward-auth gate.
#[derive(Debug, Clone, Args)]
pub struct IdentityArgs {
    /// How long a visitor or member access token lasts, in seconds (the SDK
    /// renews it with its refresh token when it expires).
    #[arg(long, env = "INSIGNIA_ACCESS_TOKEN_SECONDS", default_value_t = 900)]
    pub access_token_seconds: u64,
    /// How long past its expiry an access token is still accepted, in seconds
    /// (clocks of browsers and servers differ).
    #[arg(long, env = "INSIGNIA_ACCESS_TOKEN_LEEWAY_SECONDS", default_value_t = 60)]
    pub access_token_leeway_seconds: u64,
    /// How many days a visitor's session lasts; after that the visitor's
    /// refresh token is refused (the SDK then starts a new visitor) and the
    /// session is deleted. Members' sessions last until revoked.
    #[arg(long, env = "INSIGNIA_VISITOR_SESSION_DAYS", default_value_t = 30)]
    pub visitor_session_days: u64,
    /// The cookie `/insignia/v1/forward-auth` reads a member token from.
    #[arg(long, env = "INSIGNIA_FORWARD_AUTH_COOKIE", default_value = crate::service::DEFAULT_FORWARD_AUTH_COOKIE)]
    pub forward_auth_cookie: String,
}

#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// Create a front-end OAuth client for a site; prints the client id, and nothing else.
    Create {
        /// The site (a GUID) whose badges the client's pages read.
        #[arg(long)]
        site: String,
        /// A browser origin the site's pages run on, e.g. https://example.com (repeatable).
        #[arg(long = "origin")]
        origins: Vec<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List clients: id, site, origins, created, revoked.
    List {
        /// Only the clients of this site.
        #[arg(long)]
        site: Option<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a client: its sessions can no longer be renewed, its origins lose CORS.
    Revoke {
        id: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}
