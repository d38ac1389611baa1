//! Which function serves which operations (docs/cloud.md). `infra/template.yaml` routes the same
//! paths to the same functions; a test holds the two together.

use utoipa_axum::router::OpenApiRouter;

use super::api_gateway::{self, LambdaApp};
use crate::config::EdgeSecret;
use crate::http::{
    self, AppState, activation, admin, cancellation, line_notification, login, orders, reader,
    receipts, renewal, services, support, terms, unlock, usage,
};

/// One HTTP function: its crate, package and binary are `functions/<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    Login,
    Usage,
    Activation,
    LineNotification,
    Renewal,
    Reader,
    Cancellation,
    Services,
    Admin,
}

impl Function {
    pub const ALL: [Function; 9] = [
        Function::Login,
        Function::Usage,
        Function::Activation,
        Function::LineNotification,
        Function::Renewal,
        Function::Reader,
        Function::Cancellation,
        Function::Services,
        Function::Admin,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Function::Login => "login",
            Function::Usage => "usage",
            Function::Activation => "activation",
            Function::LineNotification => "line-notification",
            Function::Renewal => "renewal",
            Function::Reader => "reader",
            Function::Cancellation => "cancellation",
            Function::Services => "services",
            Function::Admin => "admin",
        }
    }

    /// The routers this function mounts. A serial's history goes with activation, receipts
    /// with usage, terms with line notification, logout with login; a member's orders with
    /// services (docs/orders.md).
    #[inline(always)]
    pub fn operations(self) -> OpenApiRouter<AppState> {
        match self {
            Function::Login => login::router()
                .merge(unlock::router())
                .merge(support::router()),
            Function::Usage => usage::router().merge(receipts::router()),
            Function::Activation => activation::router(),
            Function::LineNotification => line_notification::router().merge(terms::router()),
            Function::Renewal => renewal::router(),
            Function::Reader => reader::router(),
            Function::Cancellation => cancellation::router(),
            Function::Services => services::router().merge(orders::router()),
            Function::Admin => admin::router(),
        }
    }

    /// The app this function serves: its operations in the app local-dev serves (so also
    /// `/openapi.json` of the whole API, and `/healthz`), reading API Gateway's request
    /// context. With the portal's `edge` secret, a request that carries it is counted by
    /// the viewer address CloudFront gives.
    pub fn app(self, state: AppState, edge: Option<EdgeSecret>) -> LambdaApp {
        Self::serve(self.operations(), state, edge)
    }

    /// The app serving `operations`, as `app` describes.
    pub(super) fn serve(
        operations: OpenApiRouter<AppState>,
        state: AppState,
        edge: Option<EdgeSecret>,
    ) -> LambdaApp {
        let router = http::app(operations, state);
        let router = match edge {
            Some(edge) => router.layer(axum::middleware::from_fn_with_state(
                edge,
                api_gateway::viewer_behind_edge,
            )),
            None => router,
        };
        api_gateway::serve(router)
    }
}
