//! The edge's one middleware around every routed request: it counts and
//! times the request (`metrics`) and holds API requests to the limits
//! (`limits`: shedding above the cap, the body and request deadlines).
//! Probes and `/metrics` are only counted, so they answer while the API is
//! saturated.
//!
//! One middleware rather than one per concern: each axum `from_fn` layer
//! boxes the rest of the stack for every request, and three of them cost a
//! cached read about a sixth of its instructions.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use super::limits::Limits;
use super::metrics::Tracked;
use super::routes::PROBES;

pub(super) async fn edge(limits: Limits, request: Request, next: Next) -> Response {
    let tracked = Tracked::start(&request);
    let probe = PROBES.contains(&request.uri().path());
    let response = if probe {
        next.run(request).await
    } else {
        limits.apply(request, next).await
    };
    tracked.finish(&response);
    response
}
