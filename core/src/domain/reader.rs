//! ICカードリーダー (docs/readers.md): the starter-kit reader and paid rentals.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReaderType {
    UsbWindows,
    UsbMac,
    /// Announced, not yet orderable.
    PcCardWindows,
}

impl ReaderType {
    pub const ALL: [ReaderType; 3] = [
        ReaderType::UsbWindows,
        ReaderType::UsbMac,
        ReaderType::PcCardWindows,
    ];

    pub fn orderable(self) -> bool {
        !matches!(self, ReaderType::PcCardWindows)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            ReaderType::UsbWindows => "USBタイプ（Windows版）",
            ReaderType::UsbMac => "USBタイプ（Mac版）",
            ReaderType::PcCardWindows => "PCカードタイプ（Windows版）",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReaderStatus {
    /// お届け済み: the starter kit's, or a rental whose order completed.
    Delivered,
    /// Ordered; waiting for the e-money payment (入金待ち).
    AwaitingPayment,
    /// Paid; waiting to ship (入金済み).
    Paid,
    /// On its way (発送済み).
    Shipped,
    /// A rental to send back after cancellation.
    ToBeReturned,
}

impl ReaderStatus {
    /// In the member's hands, or on the way there: what a cancellation asks back.
    pub fn is_shipped(self) -> bool {
        matches!(
            self,
            ReaderStatus::Shipped | ReaderStatus::Delivered | ReaderStatus::ToBeReturned
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// ちょコム (e-money): the only way to pay for a rental.
    Chocom,
}

/// Whole yen, rounded down at each step (docs/readers.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct Price {
    pub base: u64,
    pub tax: u64,
    pub fee: u64,
    pub total: u64,
}

impl Price {
    /// 有償貸与: 2,500 JPY before tax, shipping included; tax 10%; the e-money fee is 1%
    /// of the taxed amount: 2,500 + 250 + 27 = 2,777.
    pub fn rental() -> Self {
        let base = 2_500;
        let tax = base * 10 / 100;
        let fee = (base + tax) / 100;
        Self {
            base,
            tax,
            fee,
            total: base + tax + fee,
        }
    }
}

/// One reader of a member.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Reader {
    pub reader_id: String,
    #[serde(rename = "type")]
    pub reader_type: ReaderType,
    pub status: ReaderStatus,
    /// `false` for the starter-kit reader, `true` for a paid rental.
    pub rental: bool,
    /// The day it was ordered; for the starter-kit reader, the day the line started (the
    /// day it was shipped is not known to madoguchi).
    #[schema(value_type = String, format = Date)]
    pub ordered_on: Date,
    /// The order that ships a rental (docs/orders.md); null for the starter-kit reader.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub order_no: Option<super::OrderNo>,
}

/// How a rental is paid (docs/readers.md#payment): the payment page of this order, the
/// amount, and the last day to pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Payment {
    pub url: String,
    pub amount: u64,
    #[schema(value_type = String, format = Date)]
    pub due_on: Date,
}

/// Days a member has to pay for a rental; an order not paid by then fails
/// (`payment_expired`).
pub const PAYMENT_DAYS: i16 = 7;

impl Payment {
    /// The payment of an order placed on `on`: the page from `template` (its `{order_no}`
    /// and `{amount}` filled in), due `PAYMENT_DAYS` later.
    pub fn for_order(template: &str, order_no: &super::OrderNo, amount: u64, on: Date) -> Self {
        Self {
            url: template
                .replace("{order_no}", order_no.as_str())
                .replace("{amount}", &amount.to_string()),
            amount,
            due_on: on.saturating_add(jiff::Span::new().days(PAYMENT_DAYS)),
        }
    }
}

/// `RD-` and eight symbols: names one reader in the member's list.
pub fn new_reader_id() -> String {
    format!(
        "RD-{}",
        crate::secret::random_string(b"0123456789ABCDEFGHJKMNPQRSTVWXYZ", 8)
    )
}

/// At most this many readers per member, the starter-kit reader included.
pub const READER_LIMIT: usize = 5;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rental_price_is_rounded_down_at_each_step() {
        assert_eq!(
            Price::rental(),
            Price {
                base: 2500,
                tax: 250,
                fee: 27,
                total: 2777
            }
        );
    }
}
