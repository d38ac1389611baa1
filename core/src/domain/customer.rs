//! Members (docs/login.md, docs/operators.md): who they are, how they log in, what their line carries.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::field_code::FieldCode;
use super::provider::{ProviderCode, ProviderSetting, Setting};
use super::reader::Reader;
use super::serial::Serial;
use super::text::{bounded_text, has_control_character, required, string_newtype};

/// お客さまID: `CAF` + 7 digits; case-insensitive and width-insensitive on input.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CustomerId(String);
string_newtype!(CustomerId);

impl CustomerId {
    pub fn parse(input: &str) -> Result<Self, FieldCode> {
        let value = required(input)?.to_uppercase();
        let digits = value.strip_prefix("CAF").unwrap_or("");
        if digits.len() == 7 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(value))
        } else {
            Err(FieldCode::InvalidCustomerId)
        }
    }

    /// A fresh, random ID; the store refuses it if it is already taken.
    pub fn generate() -> Self {
        Self(format!("CAF{}", crate::secret::random_digits(7)))
    }
}

impl std::fmt::Debug for CustomerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// アクセスキー: case-sensitive, 8–64 printable ASCII characters. A secret: it has no
/// `Display`, its `Debug` is redacted, and it is never serialised.
#[derive(Clone)]
pub struct AccessKey(String);

impl AccessKey {
    pub fn parse(input: &str) -> Result<Self, FieldCode> {
        // NFKC turns a full-width key typed on a Japanese keyboard into the ASCII it means;
        // it does not fold case, so the key stays case-sensitive.
        let value = required(input)?;
        if has_control_character(&value) {
            return Err(FieldCode::ForbiddenCharacter);
        }
        if !value.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(FieldCode::InvalidAccessKey);
        }
        if !(8..=64).contains(&value.len()) {
            return Err(FieldCode::InvalidLength);
        }
        Ok(Self(value))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessKey(<redacted>)")
    }
}

/// A person's name as the member gives it: 1–40 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);
string_newtype!(PersonName);

impl PersonName {
    pub fn parse(input: &str) -> Result<Self, FieldCode> {
        bounded_text(input, 40).map(Self)
    }
}

/// An email address. Its `Debug` is masked: full addresses never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Email(String);
string_newtype!(Email);

impl Email {
    pub fn parse(input: &str) -> Result<Self, FieldCode> {
        let value = required(input)?;
        let invalid = FieldCode::InvalidEmail;
        if value.len() > 254 || has_control_character(&value) {
            return Err(invalid);
        }
        let (local, domain) = value.split_once('@').ok_or(invalid)?;
        let local_ok = (1..=64).contains(&local.len())
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let domain = domain.to_ascii_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if local_ok && domain_ok {
            Ok(Self(format!("{local}@{domain}")))
        } else {
            Err(invalid)
        }
    }

    /// `t***@example.jp`: enough for an operator to recognise, not enough to leak.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.split_once('@').unwrap_or(("", &self.0));
        let first = local.chars().next().unwrap_or('*');
        format!("{first}***@{domain}")
    }
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

/// The kind of line the member has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Line {
    /// フレッツ 光ネクスト: the standard security serial comes with the line.
    FletsNext,
    /// コラボ光 (a collaboration line): the standard security tool is not offered.
    Collab,
}

/// The services a line can carry (docs/usage.md), in the order the overview lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    LineNotification,
    Security,
    RemoteSupport,
    SessionPlus,
    VpnWide,
}

impl Service {
    pub const ALL: [Service; 5] = [
        Service::LineNotification,
        Service::Security,
        Service::RemoteSupport,
        Service::SessionPlus,
        Service::VpnWide,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    /// 利用中
    InUse,
    /// 未契約
    NotContracted,
    /// 登録中
    Registering,
    /// 変更中
    Changing,
    /// 廃止中
    Terminating,
}

/// One application (申込み) for a service; a service may have several at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceApplication {
    pub service: Service,
    pub status: ServiceStatus,
}

/// What the overview shows for one service. docs/usage.md ※: when applications are
/// in different states at once, the overview shows 利用中. Without one in use, the state
/// that is still moving wins (changing, then registering, then terminating).
pub fn overview_status(applications: impl IntoIterator<Item = ServiceStatus>) -> ServiceStatus {
    let rank = |s: ServiceStatus| match s {
        ServiceStatus::InUse => 5,
        ServiceStatus::Changing => 4,
        ServiceStatus::Registering => 3,
        ServiceStatus::Terminating => 2,
        ServiceStatus::NotContracted => 1,
    };
    applications
        .into_iter()
        .max_by_key(|s| rank(*s))
        .unwrap_or(ServiceStatus::NotContracted)
}

/// How many times something happened on one Japan day; a count of an earlier day is zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    pub on: Option<jiff::civil::Date>,
    pub count: u32,
}

impl DayCount {
    pub fn count_on(&self, day: jiff::civil::Date) -> u32 {
        if self.on == Some(day) { self.count } else { 0 }
    }

    pub fn add_one(&mut self, day: jiff::civil::Date) {
        self.count = self.count_on(day) + 1;
        self.on = Some(day);
    }
}

/// The stored member. Not `Debug`: it holds the access-key hash and the email address.
#[derive(Clone, Serialize, Deserialize)]
pub struct Customer {
    pub customer_id: CustomerId,
    pub name: PersonName,
    pub email: Email,
    pub line: Line,
    pub access_key_hash: String,
    /// Consecutive failed logins since the last success (docs/login.md).
    pub failed_logins: u32,
    pub locked_at: Option<Timestamp>,
    pub cancelled_at: Option<Timestamp>,
    pub services: Vec<ServiceApplication>,
    pub serials: Vec<Serial>,
    /// Settings that differ from the initial 通知する (docs/line-notification.md).
    #[serde(default)]
    pub provider_settings: Vec<ProviderSetting>,
    /// The starter-kit reader and any rentals (docs/readers.md).
    #[serde(default)]
    pub readers: Vec<Reader>,
    /// Self-service unlock (docs/login.md#self-service-unlock): the mailed code, if any, and the codes sent lately.
    #[serde(default)]
    pub unlock: super::Unlock,
    /// Line-notification applications submitted on the day they were last counted (docs/line-notification.md:
    /// at most 10 a day). On the member's record, so the count is checked and raised in the
    /// same versioned commit as the application itself.
    #[serde(default)]
    pub applications: DayCount,
    /// Orders not yet completed or failed (docs/orders.md), kept in step with the orders.
    #[serde(default)]
    pub open_orders: Vec<super::order::OpenOrder>,
    pub created_at: Timestamp,
    /// Optimistic-concurrency version: every write expects the version it read.
    pub version: u64,
}

impl Customer {
    pub fn is_locked(&self) -> bool {
        self.locked_at.is_some()
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled_at.is_some()
    }

    /// The member's setting for a provider: 通知する until changed.
    pub fn setting_for(&self, provider: &ProviderCode) -> Option<&ProviderSetting> {
        self.provider_settings
            .iter()
            .find(|s| &s.provider_code == provider)
    }

    /// The open order that will change a provider's setting, and the setting it will set.
    pub fn pending_setting(
        &self,
        provider: &ProviderCode,
    ) -> Option<(Setting, &super::order::OrderNo)> {
        self.open_orders
            .iter()
            .find_map(|open| match &open.details {
                super::order::OrderDetails::LineNotification { changes, .. } => changes
                    .iter()
                    .find(|c| &c.provider_code == provider)
                    .map(|c| (c.after, &open.order_no)),
                _ => None,
            })
    }

    /// Whether an open order removes this serial (a change of the ライセンスプラス count).
    pub fn is_removing(&self, serial: &Serial) -> bool {
        self.open_orders.iter().any(|open| match &open.details {
            super::order::OrderDetails::Service {
                license_plus: Some(change),
                ..
            } => change.remove.contains(serial),
            _ => false,
        })
    }

    /// Keeps the record in step with one of its orders: the open order of the same number
    /// replaced while it is open and removed once it is not, and a rental reader's status
    /// following its order (a reader whose order failed is no reader of the member's; one
    /// a cancellation asked back stays to be returned).
    pub fn follow_order(&mut self, order: &super::order::Order) {
        use super::order::OrderStatus as O;
        self.open_orders.retain(|o| o.order_no != order.order_no);
        if order.is_open() {
            self.open_orders.push(order.as_open());
        }
        let super::order::OrderDetails::Reader { reader_id, .. } = &order.details else {
            return;
        };
        if order.status == O::Failed {
            self.readers.retain(|r| &r.reader_id != reader_id);
            return;
        }
        let Some(reader) = self.readers.iter_mut().find(|r| &r.reader_id == reader_id) else {
            return;
        };
        if reader.status == super::ReaderStatus::ToBeReturned {
            return;
        }
        reader.status = match order.status {
            O::AwaitingPayment | O::Accepted => super::ReaderStatus::AwaitingPayment,
            O::Paid | O::InProgress => super::ReaderStatus::Paid,
            O::Shipped => super::ReaderStatus::Shipped,
            O::Completed | O::Failed => super::ReaderStatus::Delivered,
        };
    }

    pub fn current_setting(&self, provider: &ProviderCode) -> Setting {
        self.setting_for(provider)
            .map_or(self.initial_setting(), |s| s.setting)
    }

    /// A provider's setting before any change: 通知する on a live line. After cancellation
    /// every provider is 通知しない, even one registered later (docs/cancellation.md).
    pub fn initial_setting(&self) -> Setting {
        if self.is_cancelled() {
            Setting::DoNotNotify
        } else {
            Setting::Notify
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_ids_fold_case_and_width() {
        assert_eq!(
            CustomerId::parse("caf1234567").unwrap().as_str(),
            "CAF1234567"
        );
        assert_eq!(
            CustomerId::parse("ＣＡＦ１２３４５６７").unwrap().as_str(),
            "CAF1234567"
        );
        assert_eq!(
            CustomerId::parse("CAF123456"),
            Err(FieldCode::InvalidCustomerId)
        );
        assert_eq!(
            CustomerId::parse("CAF12345678"),
            Err(FieldCode::InvalidCustomerId)
        );
        assert_eq!(
            CustomerId::parse("CAF123456７x"),
            Err(FieldCode::InvalidCustomerId)
        );
        assert_eq!(CustomerId::parse(""), Err(FieldCode::Required));
    }

    #[test]
    fn access_keys_keep_case_and_refuse_non_ascii() {
        assert_eq!(AccessKey::parse("AbCdEfGh").unwrap().expose(), "AbCdEfGh");
        assert_eq!(
            AccessKey::parse("ＡｂＣｄＥｆＧｈ").unwrap().expose(),
            "AbCdEfGh"
        );
        assert_eq!(
            AccessKey::parse("short").unwrap_err(),
            FieldCode::InvalidLength
        );
        assert_eq!(
            AccessKey::parse("あいうえおかきく").unwrap_err(),
            FieldCode::InvalidAccessKey
        );
        assert_eq!(
            AccessKey::parse("abcd\u{0}efgh").unwrap_err(),
            FieldCode::ForbiddenCharacter
        );
        assert_eq!(
            format!("{:?}", AccessKey::parse("Secret-123").unwrap()),
            "AccessKey(<redacted>)"
        );
    }

    #[test]
    fn emails_parse_lower_the_domain_and_mask_in_debug() {
        let email = Email::parse(" Taro.Yamada@Example.JP ").unwrap();
        assert_eq!(email.as_str(), "Taro.Yamada@example.jp");
        assert_eq!(format!("{email:?}"), "T***@example.jp");
        for bad in [
            "no-at",
            "a@b",
            "a@@b.jp",
            ".a@b.jp",
            "a..b@c.jp",
            "a b@c.jp",
            "a@-b.jp",
        ] {
            assert_eq!(Email::parse(bad), Err(FieldCode::InvalidEmail), "{bad}");
        }
    }

    #[test]
    fn the_overview_shows_in_use_when_any_application_is_in_use() {
        use ServiceStatus::*;
        assert_eq!(overview_status([Registering, InUse, Terminating]), InUse);
        assert_eq!(overview_status([Terminating, Changing]), Changing);
        assert_eq!(overview_status([]), NotContracted);
    }
}
