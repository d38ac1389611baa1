//! What an order asks for (docs/orders.md): per kind, enough to carry it out and to apply
//! its effect when it completes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::OrderKind;
use crate::domain::customer::Email;
use crate::domain::provider::{ProviderCode, Setting};

/// One provider's change, as an order of kind `line_notification` carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SettingChange {
    #[schema(value_type = String)]
    pub provider_code: ProviderCode,
    pub provider_name: String,
    pub before: Setting,
    pub after: Setting,
}

/// A change of the ライセンスプラス count: from and to, and the serials it removes (chosen
/// when the member applied, and confirmed by them when one was on a device).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LicensePlusChange {
    pub from: u8,
    pub to: u8,
    #[schema(value_type = Vec<String>)]
    pub remove: Vec<crate::domain::Serial>,
}

/// Where the 工事完了通知 goes, when the applicant asked for it. Not `Debug`-printed in
/// full: the address is masked.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionMail {
    pub to: Email,
    /// The applicant's name, for the salutation.
    pub name: String,
}

impl std::fmt::Debug for CompletionMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompletionMail")
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

/// What an order asks for: enough to carry it out and to apply its effect on completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OrderDetails {
    LineNotification {
        changes: Vec<SettingChange>,
        /// `None` unless the applicant asked for the 工事完了通知.
        #[serde(default)]
        completion_mail: Option<CompletionMail>,
    },
    LineTermination,
    /// サービスの申込・変更・廃止 (docs/services.md).
    Service {
        service: crate::domain::Service,
        action: crate::domain::catalogue::ServiceAction,
        /// セキュリティ機能's change: ライセンスプラス serials before and after.
        #[serde(default)]
        license_plus: Option<LicensePlusChange>,
        /// `None` unless the applicant asked for the 工事完了通知.
        #[serde(default)]
        completion_mail: Option<CompletionMail>,
    },
    /// A rental IC card reader to ship once paid (docs/readers.md).
    Reader {
        reader_id: String,
        reader_type: crate::domain::ReaderType,
        price: crate::domain::Price,
        payment: crate::domain::reader::Payment,
    },
}

impl OrderDetails {
    /// The service an open order of this kind is changing, and how the overview shows it
    /// meanwhile (docs/orders.md: 登録中, 変更中, 廃止中).
    pub fn service_status(&self) -> Option<(crate::domain::Service, crate::domain::ServiceStatus)> {
        match self {
            OrderDetails::LineNotification { .. } => Some((
                crate::domain::Service::LineNotification,
                crate::domain::ServiceStatus::Changing,
            )),
            OrderDetails::Service {
                service, action, ..
            } => Some((*service, action.in_progress())),
            OrderDetails::LineTermination | OrderDetails::Reader { .. } => None,
        }
    }

    pub fn kind(&self) -> OrderKind {
        match self {
            OrderDetails::LineNotification { .. } => OrderKind::LineNotification,
            OrderDetails::LineTermination => OrderKind::LineTermination,
            OrderDetails::Reader { .. } => OrderKind::Reader,
            OrderDetails::Service { action, .. } => match action {
                crate::domain::catalogue::ServiceAction::Subscribe => OrderKind::ServiceSubscribe,
                crate::domain::catalogue::ServiceAction::Change => OrderKind::ServiceChange,
                crate::domain::catalogue::ServiceAction::Terminate => OrderKind::ServiceTerminate,
            },
        }
    }
}
