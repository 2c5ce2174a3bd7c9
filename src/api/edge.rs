//! The edge's one layer around every routed request: it counts and times
//! the request (`metrics`) and holds API requests to the limits (`limits`:
//! shedding above the cap, the body and request deadlines). Probes and
//! `/metrics` are only counted, so they answer while the API is saturated.
//!
//! One hand-written layer rather than an axum `from_fn` per concern: each
//! `from_fn` boxes the rest of the stack, and its future, for every request;
//! three of them cost a cached read about a sixth of its instructions.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::Response;
use tower::{Layer, Service};

use super::limits::Limits;
use super::metrics::Tracked;
use super::routes::PROBES;

#[derive(Clone)]
pub(super) struct EdgeLayer {
    limits: Limits,
}

impl EdgeLayer {
    pub(super) fn new(limits: Limits) -> Self {
        Self { limits }
    }
}

impl<S> Layer<S> for EdgeLayer {
    type Service = Edge<S>;

    fn layer(&self, inner: S) -> Edge<S> {
        Edge {
            inner,
            limits: self.limits.clone(),
        }
    }
}

#[derive(Clone)]
pub(super) struct Edge<S> {
    inner: S,
    limits: Limits,
}

impl<S> Service<Request> for Edge<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let tracked = Tracked::start(&request);
        let probe = PROBES.contains(&request.uri().path());
        // `inner` was made ready for this call; a clone takes its place.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let limits = self.limits.clone();
        Box::pin(async move {
            let run = |request| async move {
                let Ok(response) = inner.call(request).await;
                response
            };
            let response = if probe {
                run(request).await
            } else {
                limits.apply(request, run).await
            };
            tracked.finish(&response);
            Ok(response)
        })
    }
}
