//! Serials (シリアル番号) and the devices they protect (docs/usage.md).

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::customer::CustomerId;
use super::field_code::FieldCode;
use super::japan;
use super::text::{bounded_text, required, string_newtype};

/// A serial number: the product's three-letter prefix, a hyphen and eight digits
/// (`SSU-12345678`). Case- and width-insensitive on input.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Serial(String);
string_newtype!(Serial);

impl Serial {
    pub fn parse(input: &str) -> Result<Self, FieldCode> {
        let value = required(input)?.to_uppercase();
        let bytes = value.as_bytes();
        let shaped = bytes.len() == 12
            && bytes[..3].iter().all(u8::is_ascii_uppercase)
            && bytes[3] == b'-'
            && bytes[4..].iter().all(u8::is_ascii_digit);
        if shaped {
            Ok(Self(value))
        } else {
            Err(FieldCode::InvalidSerial)
        }
    }

    /// A fresh serial for a product; the store refuses it if it is already taken.
    pub fn generate(product: Product) -> Self {
        Self(format!(
            "{}-{}",
            product.serial_prefix(),
            crate::secret::random_digits(8)
        ))
    }
}

/// The products a serial can be for (docs/operators.md: seeded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Product {
    SecuritySuite,
    MobileSecurity,
}

impl Product {
    fn serial_prefix(self) -> &'static str {
        match self {
            Self::SecuritySuite => "SSU",
            Self::MobileSecurity => "MSE",
        }
    }

    /// The program version new licences get.
    pub fn current_version(self) -> u32 {
        match self {
            Self::SecuritySuite => 18,
            Self::MobileSecurity => 3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    /// The one serial every line includes: one device, one OS.
    Standard,
    /// セキュリティ機能ライセンス・プラス: extra serials.
    LicensePlus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    /// Has an expiry date and is renewed with a purchase code.
    Term,
    /// Renews itself; no expiry date.
    Monthly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SerialStatus {
    /// インストール待ち
    AwaitingInstall,
    /// 利用中
    InUse,
    /// 利用不可
    Unavailable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Os {
    Windows,
    Mac,
    Android,
}

/// The security tool's identifier for a device: 1–64 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceId(String);
string_newtype!(DeviceId);

impl DeviceId {
    pub fn parse(input: &str) -> Result<Self, FieldCode> {
        let value = required(input)?;
        if value.len() > 64 {
            return Err(FieldCode::TooLong);
        }
        if value.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(Self(value))
        } else {
            Err(FieldCode::InvalidDeviceId)
        }
    }
}

/// What the member calls the device ("リビングのPC"): 1–64 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceName(String);
string_newtype!(DeviceName);

impl DeviceName {
    pub fn parse(input: &str) -> Result<Self, FieldCode> {
        bounded_text(input, 64).map(Self)
    }
}

/// The device a serial protects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Device {
    pub device_id: DeviceId,
    pub os: Os,
    pub name: DeviceName,
    #[serde(with = "japan::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub activated_at: Timestamp,
}

/// The stored licence behind a serial.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SerialRecord {
    pub serial: Serial,
    pub customer_id: CustomerId,
    pub product: Product,
    pub plan: Plan,
    pub billing: Billing,
    /// The last day the licence is valid (Japan time); `None` for monthly billing.
    pub expires_on: Option<Date>,
    /// The program version the licence is for (docs/renewal.md: `upgrade_required`).
    pub program_version: u32,
    /// 製品認証キー: never changes, even on renewal.
    pub product_key: String,
    pub status: SerialStatus,
    pub device: Option<Device>,
    /// How many history events the serial has; the next event's sequence number.
    pub events: u64,
    /// The expiry date whose "expired" notice was mailed (docs/reminders.md); the licence then leaves
    /// the expiry index until a renewal gives it a new date.
    #[serde(default)]
    pub expired_notice_for: Option<Date>,
    pub version: u64,
}

impl SerialRecord {
    /// docs/usage.md: a term licence is expired once Japan's calendar is past `expires_on`.
    pub fn is_expired_on(&self, today: Date) -> bool {
        self.billing == Billing::Term && self.expires_on.is_some_and(|last| today > last)
    }
}

const PRODUCT_KEY_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// 製品認証キー: five groups of four characters.
pub fn new_product_key() -> String {
    (0..5)
        .map(|_| crate::secret::random_string(PRODUCT_KEY_ALPHABET, 4))
        .collect::<Vec<_>>()
        .join("-")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Installed on a device while awaiting install.
    Activated,
    /// Moved from another device, which lost protection.
    Moved,
    /// Activated again on the device that already held it. No longer recorded (docs/usage.md: that
    /// adds no event); kept so that histories written before still read.
    Reactivated,
    /// Released from its device; awaiting install again.
    Deactivated,
}

/// One entry of a serial's history. `device` is the device the event concerns: the new
/// holder for an activation or move, the released device for a deactivation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HistoryEvent {
    #[serde(with = "japan::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub kind: EventKind,
    pub device: Device,
    /// For a move, the device that held the serial just before.
    pub previous_device: Option<Device>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::keyword;

    #[test]
    fn serials_parse_in_any_case_and_width() {
        assert_eq!(
            Serial::parse("ssu-12345678").unwrap().as_str(),
            "SSU-12345678"
        );
        assert_eq!(
            Serial::parse("ＳＳＵ－１２３４５６７８").unwrap().as_str(),
            "SSU-12345678"
        );
        assert_eq!(Serial::parse("SSU12345678"), Err(FieldCode::InvalidSerial));
        assert!(
            Serial::generate(Product::MobileSecurity)
                .as_str()
                .starts_with("MSE-")
        );
    }

    #[test]
    fn device_fields_refuse_what_a_device_cannot_send() {
        assert_eq!(DeviceId::parse("pc 1"), Err(FieldCode::InvalidDeviceId));
        assert_eq!(DeviceId::parse(&"x".repeat(65)), Err(FieldCode::TooLong));
        assert_eq!(keyword::<Os>("Windows"), Ok(Os::Windows));
        assert_eq!(keyword::<Os>("ios"), Err(FieldCode::InvalidValue));
        assert_eq!(
            DeviceName::parse("居間\u{1b}[31m"),
            Err(FieldCode::ForbiddenCharacter)
        );
    }

    #[test]
    fn product_keys_have_five_groups() {
        let key = new_product_key();
        assert_eq!(key.len(), 24);
        assert_eq!(key.split('-').count(), 5);
    }
}
