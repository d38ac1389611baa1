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
            ReaderType::UsbWindows => "USB接続タイプ（Windows）",
            ReaderType::UsbMac => "USB接続タイプ（Mac）",
            ReaderType::PcCardWindows => "PCカードタイプ（Windows）",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReaderStatus {
    /// Delivered with the starter kit.
    Delivered,
    /// Ordered; waiting for the e-money payment.
    AwaitingPayment,
    /// A rental to send back after cancellation.
    ToBeReturned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// ちょコム (e-money): the only way to pay for a rental.
    Chocom,
}

/// Whole yen, rounded down at each step (docs/readers.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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
    #[schema(value_type = String, format = Date)]
    pub ordered_on: Date,
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
