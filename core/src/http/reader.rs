//! `GET /v1/readers`, `POST /v1/readers` (docs/readers.md).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Member;
use super::idempotency::Submission;
use super::json::JsonBody;
use super::openapi::IdempotencyKey;
use super::problem::Problem;
use crate::domain::text::keyword;
use crate::domain::{PaymentMethod, ReaderType};
use crate::service::Error;
use crate::service::reader::{self, OrderQuote, OrderRequest, Ordered, Outcome, Readers};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(readers, order))
}

/// The member's card readers and what can be ordered, priced to the yen.
#[utoipa::path(
    get, path = "/v1/readers", tag = "readers",
    security(("member" = [])),
    responses(
        (status = 200, description = "ICカードリーダー", body = Readers),
    )
)]
async fn readers(
    State(state): State<AppState>,
    Member(session): Member,
) -> Result<Json<Readers>, Problem> {
    Ok(Json(
        reader::readers(&state.ctx, &session.customer_id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRequestBody {
    /// `usb_windows` or `usb_mac` (`pc_card_windows` is announced, not orderable).
    #[serde(rename = "type")]
    #[schema(value_type = ReaderType, example = "usb_windows")]
    reader_type: String,
    /// `chocom` (e-money) is the only way to pay.
    #[schema(value_type = PaymentMethod, example = "chocom")]
    payment_method: String,
    #[serde(default)]
    dry_run: Option<bool>,
}

/// Order one more reader (有償貸与); with `dry_run`, the price only.
#[utoipa::path(
    post, path = "/v1/readers", tag = "readers",
    security(("member" = [])),
    request_body = OrderRequestBody,
    params(IdempotencyKey),
    responses(
        (status = 200, description = "確認画面 (dry run)", body = OrderQuote),
        (status = 201, description = "受付完了", body = Ordered),
        (status = 403, description = "`membership_cancelled`"),
        (status = 409, description = "`reader_type_unavailable`, `reader_limit_reached`"),
        (status = 422, description = "`unsupported_payment_method`, `validation_failed`"),
    )
)]
async fn order(
    State(state): State<AppState>,
    Member(session): Member,
    submission: Submission,
    JsonBody(request): JsonBody<OrderRequestBody>,
) -> Result<Response, Problem> {
    let reader_type: ReaderType =
        keyword(&request.reader_type).map_err(|invalid| Error::invalid_field("type", invalid))?;
    let payment_method: PaymentMethod =
        keyword(&request.payment_method).map_err(|_| Error::UnsupportedPaymentMethod)?;
    let request = OrderRequest {
        reader_type,
        payment_method,
        dry_run: request.dry_run == Some(true),
    };
    let outcome =
        reader::order(&state.ctx, &session.customer_id, request, submission.log()).await?;
    Ok(match outcome {
        Outcome::Quote(quote) => Json(quote).into_response(),
        Outcome::Ordered(ordered) => submission.created(ordered),
    })
}
