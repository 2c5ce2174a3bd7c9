//! The route table: every route with its method, path and access rule, in
//! one list that the router is built from. The auth-matrix test walks the
//! same list, so a route added here is tested with every kind of wrong key,
//! and a route cannot be added without naming who may call it.

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{on, MethodFilter};
use axum::Router;

use super::AppState;
use crate::domain::Scope;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: probes and metrics.
    Public,
    /// An API key of the site with this scope (a manage key reads too).
    Key(Scope),
    /// A front-end (visitor or member) token from `/oauth2/token`; the
    /// identity tests cover these routes.
    FrontEndToken,
    /// The token endpoint: the OAuth client id in the body names the site
    /// (and `authorized_client` also takes an API key).
    ClientId,
    /// A signed-in admin browser (cookie session with CSRF checks, see
    /// `web`); API keys play no part, so the API key matrix does not apply.
    AdminSession,
}

/// One route of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: Method,
    /// The path template (`/badges/v4/badges/{id}`).
    pub path: String,
    pub access: Access,
}

/// Routes and their table entries, built together.
pub struct Routes {
    router: Router<AppState>,
    table: Vec<RouteInfo>,
}

impl Default for Routes {
    fn default() -> Self {
        Self::new()
    }
}

impl Routes {
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    /// Serves `handler` at `method path`, for callers allowed by `access`.
    pub fn add<H, T>(mut self, method: Method, path: &str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("a method the router knows");
        self.router = self.router.route(path, on(filter, handler));
        self.table.push(RouteInfo {
            method,
            path: path.to_owned(),
            access,
        });
        self
    }

    /// A route needing `SCOPE.DC-MEMBERS.READ-BADGES`.
    pub fn read<H: Handler<T, AppState>, T: 'static>(self, method: Method, path: &str, handler: H) -> Self {
        self.add(method, path, Access::Key(Scope::ReadBadges), handler)
    }

    /// A route needing `SCOPE.DC-MEMBERS.MANAGE-BADGES`.
    pub fn manage<H: Handler<T, AppState>, T: 'static>(self, method: Method, path: &str, handler: H) -> Self {
        self.add(method, path, Access::Key(Scope::ManageBadges), handler)
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    /// Routes whose access is checked elsewhere (the admin page's sessions),
    /// listed under one entry per path prefix.
    pub fn merge_router(mut self, prefix: &str, access: Access, router: Router<AppState>) -> Self {
        self.router = self.router.merge(router);
        self.table.push(RouteInfo {
            method: Method::GET,
            path: prefix.to_owned(),
            access,
        });
        self
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<RouteInfo>) {
        (self.router, self.table)
    }
}

/// Every API route (the admin page's included, as one entry).
pub(super) fn api() -> Routes {
    Routes::new()
        .merge(super::v4::badges::routes())
        .merge(super::v4::assignments::routes())
        .merge(super::v3::routes())
        .merge(super::insignia::routes())
        .merge(super::oauth::routes())
        .merge_router("/admin", Access::AdminSession, crate::web::routes())
}

/// Routes outside the request limits: they must answer while the API is saturated.
pub(super) const PROBES: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// The whole table: every route the router serves.
pub fn table() -> Vec<RouteInfo> {
    let (_, mut table) = api().into_parts();
    table.extend(PROBES.iter().map(|path| RouteInfo {
        method: Method::GET,
        path: (*path).to_owned(),
        access: Access::Public,
    }));
    table
}
