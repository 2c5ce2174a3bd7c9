//! Per-site rate limits: each site has its own token bucket (a GCRA, from
//! the `governor` crate), so one noisy site is answered 429 while the others
//! are served as usual. Checked right after the API key is, so the site is
//! the key's.

use std::num::NonZeroU32;

use axum::http::StatusCode;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::error::ApiError;
use crate::domain::SiteId;

/// Sites remembered before idle ones are forgotten.
const SITES_KEPT: usize = 10_000;

/// Requests per second a site may make, and how many it may make at once
/// after a quiet spell.
#[derive(Debug, Clone, Copy)]
pub struct RateSettings {
    /// Sustained requests per second per site (0: no limit).
    pub per_second: u32,
    /// Requests a site may make in a burst.
    pub burst: u32,
}

/// No limit by default: an instance that serves one site (the common case)
/// would only be slowed by one; an instance shared by sites sets a rate.
impl Default for RateSettings {
    fn default() -> Self {
        Self {
            per_second: 0,
            burst: 0,
        }
    }
}

/// The per-site limiter; `None` inside when rates are unlimited.
pub struct SiteRates {
    limiter: Option<DefaultKeyedRateLimiter<SiteId>>,
}

impl SiteRates {
    pub fn new(settings: RateSettings) -> Self {
        let limiter = NonZeroU32::new(settings.per_second).map(|rate| {
            let burst = NonZeroU32::new(settings.burst.max(settings.per_second)).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        Self { limiter }
    }

    /// Takes one request from `site`'s allowance, or answers 429.
    pub fn check(&self, site: SiteId) -> Result<(), ApiError> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if limiter.len() > SITES_KEPT {
            limiter.retain_recent();
        }
        limiter.check_key(&site).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RESOURCE_EXHAUSTED",
                "this site is over its request rate; try again shortly",
            )
            .with_retry_after(wait.as_secs_f64().ceil() as u64)
        })
    }
}
