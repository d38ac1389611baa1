//! 受付番号 (docs/api.md): every submission gets a receipt the member can quote.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::japan;

/// `R-20261122-7K3M9Q`: the Japan date of acceptance and six random symbols without
/// look-alikes. Uniqueness is enforced by the store.
pub fn new_receipt_no(at: Timestamp) -> String {
    format!(
        "R-{}-{}",
        japan::date_of(at).strftime("%Y%m%d"),
        crate::secret::random_string(b"0123456789ABCDEFGHJKMNPQRSTVWXYZ", 6)
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptKind {
    LineNotification,
    /// サービスの申込・変更・廃止 (docs/services.md).
    ServiceApplication,
    Renewal,
    ReaderOrder,
    Cancellation,
}

/// One entry of a member's ledger.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Receipt {
    pub receipt_no: String,
    #[serde(with = "japan::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub accepted_at: Timestamp,
    pub kind: ReceiptKind,
    /// One line in Japanese: what was accepted.
    pub summary: String,
    /// The order it placed (docs/orders.md), when it placed one.
    #[serde(default)]
    pub order_no: Option<String>,
}
