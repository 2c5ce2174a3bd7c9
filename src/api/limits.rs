//! Limits on requests, applied to every API route (not to `/healthz`,
//! `/readyz` or `/metrics`, which must answer while the API is saturated):
//! - at most `max_in_flight` requests are handled at once; the next one is
//!   answered 503 `UNAVAILABLE` with `Retry-After` at once, not queued, so
//!   an overload costs clients a retry instead of every request a long wait;
//! - a request body must arrive whole within `body_timeout` (408), however
//!   slowly its bytes trickle in;
//! - the whole request must be answered within `request_timeout` (504). A
//!   request cut off here is dropped where it stands: an open transaction
//!   rolls back, so nothing is half-applied.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use http_body::{Body as _, Frame, SizeHint};
use tokio::sync::Semaphore;
use tokio::time::Sleep;

use super::error::ApiError;

/// Limits on requests, set once at start (see `config`).
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// Requests handled at once; more are shed with 503 (0: no cap).
    pub max_in_flight: usize,
    /// Time to answer a whole request (zero: none).
    pub request_timeout: Duration,
    /// Time to receive a whole request body (zero: none).
    pub body_timeout: Duration,
}

impl Default for RequestLimits {
    fn default() -> Self {
        Self {
            max_in_flight: 512,
            request_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(10),
        }
    }
}

/// The limits and the slots of requests in flight, shared by every request.
#[derive(Clone)]
pub(super) struct Limits {
    limits: RequestLimits,
    slots: Arc<Semaphore>,
}

impl Limits {
    pub(super) fn new(limits: RequestLimits) -> Self {
        let slots = match limits.max_in_flight {
            0 => Semaphore::MAX_PERMITS,
            n => n,
        };
        Self {
            limits,
            slots: Arc::new(Semaphore::new(slots)),
        }
    }

    /// Runs the request within the limits: shed above the cap, cut off at the deadlines.
    pub(super) async fn apply<F: Future<Output = Response>>(
        &self,
        request: Request,
        run: impl FnOnce(Request) -> F,
    ) -> Response {
        shed(&self.slots, deadline(self.limits, request, run)).await
    }
}

/// Sheds requests above the cap with a quick 503.
async fn shed(slots: &Semaphore, handle: impl Future<Output = Response>) -> Response {
    let Ok(_slot) = slots.try_acquire() else {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "the server is handling as many requests as it may; try again shortly",
        )
        .with_retry_after(1)
        .into_response();
    };
    handle.await
}

/// Answers 504 when the request takes longer than `limit`, and 408 when
/// its body did not arrive within `body_limit`.
async fn deadline<F: Future<Output = Response>>(
    limits: RequestLimits,
    request: Request,
    run: impl FnOnce(Request) -> F,
) -> Response {
    // A request without a body (most reads) needs no body clock.
    let (request, expired) = if limits.body_timeout.is_zero() || request.body().is_end_stream() {
        (request, None)
    } else {
        let expired = Arc::new(AtomicBool::new(false));
        let flag = expired.clone();
        let request = request.map(|body| {
            Body::new(DeadlineBody {
                inner: body,
                sleep: Box::pin(tokio::time::sleep(limits.body_timeout)),
                expired: flag,
            })
        });
        (request, Some(expired))
    };
    let response = if limits.request_timeout.is_zero() {
        run(request).await
    } else {
        match tokio::time::timeout(limits.request_timeout, run(request)).await {
            Ok(response) => response,
            Err(_) => {
                return ApiError::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    "DEADLINE_EXCEEDED",
                    format!(
                        "the request was not answered within {} ms",
                        limits.request_timeout.as_millis()
                    ),
                )
                .into_response()
            }
        }
    };
    if expired.is_some_and(|e| e.load(Ordering::Relaxed)) {
        return ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "REQUEST_TIMEOUT",
            format!(
                "the request body did not arrive within {} ms",
                limits.body_timeout.as_millis()
            ),
        )
        .into_response();
    }
    response
}

/// A request body that fails once its deadline has passed, and says so.
struct DeadlineBody {
    inner: Body,
    sleep: Pin<Box<Sleep>>,
    expired: Arc<AtomicBool>,
}

#[derive(Debug, thiserror::Error)]
#[error("request body deadline passed")]
struct BodyDeadlinePassed;

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.expired.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(BodyDeadlinePassed.into())));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
