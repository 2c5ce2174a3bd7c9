//! Settings of the edge: connections, requests, per-site rates and probes.
//! Every one has a default that suits a small instance; `README.md`
//! ("Operating Insignia") lists them with what each limit answers.

use std::time::Duration;

use clap::Args;

use crate::api::limits::RequestLimits;
use crate::api::rate::RateSettings;
use crate::api::Edge;
use crate::server::ConnectionLimits;

#[derive(Debug, Clone, Args)]
pub struct EdgeArgs {
    /// Open connections at most; more wait in the listen backlog. Keep it
    /// below the process's file-descriptor limit (`ulimit -n`).
    #[arg(long, env = "INSIGNIA_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// Time for a client to send a request head, and for a kept-alive
    /// connection to start its next request, in milliseconds.
    #[arg(long, env = "INSIGNIA_HEADER_TIMEOUT_MS", default_value_t = 10_000)]
    pub header_timeout_ms: u64,
    /// Time to receive a whole request body, in milliseconds (408 after; 0: none).
    #[arg(long, env = "INSIGNIA_BODY_TIMEOUT_MS", default_value_t = 10_000)]
    pub body_timeout_ms: u64,
    /// Time to answer a whole request, in milliseconds (504 after; 0: none).
    #[arg(long, env = "INSIGNIA_REQUEST_TIMEOUT_MS", default_value_t = 30_000)]
    pub request_timeout_ms: u64,
    /// API requests handled at once; more are answered 503 at once (0: no cap).
    #[arg(long, env = "INSIGNIA_MAX_IN_FLIGHT", default_value_t = 512)]
    pub max_in_flight: usize,
    /// At shutdown, how long requests in flight may take to finish, in milliseconds.
    #[arg(long, env = "INSIGNIA_DRAIN_TIMEOUT_MS", default_value_t = 10_000)]
    pub drain_timeout_ms: u64,
    /// Requests per second one site may make (429 above; 0: no limit). Set
    /// it when several sites share an instance, so that one cannot starve
    /// the others.
    #[arg(long, env = "INSIGNIA_SITE_RATE", default_value_t = 0)]
    pub site_rate: u32,
    /// Requests one site may make at once after a quiet spell (at least the rate).
    #[arg(long, env = "INSIGNIA_SITE_BURST", default_value_t = 0)]
    pub site_burst: u32,
    /// How long `/readyz` waits for the database, in milliseconds.
    #[arg(long, env = "INSIGNIA_READY_TIMEOUT_MS", default_value_t = 2_000)]
    pub ready_timeout_ms: u64,
}

impl EdgeArgs {
    pub fn connection_limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            max_connections: self.max_connections,
            header_timeout: Duration::from_millis(self.header_timeout_ms),
            drain_timeout: Duration::from_millis(self.drain_timeout_ms),
        }
    }

    pub fn edge(&self) -> Edge {
        let mut edge = Edge::new(
            RequestLimits {
                max_in_flight: self.max_in_flight,
                request_timeout: Duration::from_millis(self.request_timeout_ms),
                body_timeout: Duration::from_millis(self.body_timeout_ms),
            },
            RateSettings {
                per_second: self.site_rate,
                burst: self.site_burst,
            },
        );
        edge.ready_timeout = Duration::from_millis(self.ready_timeout_ms);
        edge
    }
}
