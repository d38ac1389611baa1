//! サービスの申込・変更・廃止 (docs/services.md): what each service offers in each state,
//! and the catalogue operators keep (name, description, monthly fee, the actions offered).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::customer::{Service, ServiceStatus};

/// What a member may apply for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceAction {
    /// 申込: a service not contracted.
    Subscribe,
    /// 変更: a service in use (セキュリティ機能's ライセンスプラス count).
    Change,
    /// 廃止: a service in use.
    Terminate,
}

impl ServiceAction {
    pub fn name_ja(self) -> &'static str {
        match self {
            ServiceAction::Subscribe => "お申し込み",
            ServiceAction::Change => "変更",
            ServiceAction::Terminate => "廃止",
        }
    }

    /// The overview's status while an order of this action is open.
    pub fn in_progress(self) -> ServiceStatus {
        match self {
            ServiceAction::Subscribe => ServiceStatus::Registering,
            ServiceAction::Change => ServiceStatus::Changing,
            ServiceAction::Terminate => ServiceStatus::Terminating,
        }
    }
}

/// The actions a service can take in a status, before the catalogue narrows them:
/// リモートサポート and セッションプラス are subscribed while 未契約 and terminated while
/// 利用中; セキュリティ機能 is changed while 利用中; VPN ワイド is status only (its
/// application is another menu) and 回線情報通知 has its own page.
pub fn actions_in(service: Service, status: ServiceStatus) -> Vec<ServiceAction> {
    use ServiceAction::*;
    match (service, status) {
        (Service::RemoteSupport | Service::SessionPlus, ServiceStatus::NotContracted) => {
            vec![Subscribe]
        }
        (Service::RemoteSupport | Service::SessionPlus, ServiceStatus::InUse) => vec![Terminate],
        (Service::Security, ServiceStatus::InUse) => vec![Change],
        _ => Vec::new(),
    }
}

/// A service's own name, as the seed portal writes it (the catalogue may show another).
pub fn service_name_ja(service: Service) -> &'static str {
    match service {
        Service::LineNotification => "回線情報通知",
        Service::Security => "セキュリティ機能",
        Service::RemoteSupport => "リモートサポートサービス",
        Service::SessionPlus => "フレッツ・セッションプラス",
        Service::VpnWide => "フレッツ・VPN ワイド",
    }
}

/// The most ライセンスプラス serials a change may ask for.
pub const MAX_LICENSE_PLUS: u8 = 5;

/// One service as operators describe it (`PUT /admin/v1/services/{service}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CatalogueEntry {
    pub service: Service,
    pub name: String,
    pub description: String,
    /// Whole yen a month, tax included.
    pub monthly_fee: u64,
    /// The actions offered at all; each is offered only in the states it fits.
    pub actions: Vec<ServiceAction>,
}

/// The catalogue until operators change it: demo values.
pub fn default_entry(service: Service) -> CatalogueEntry {
    let (name, description, monthly_fee, actions): (&str, &str, u64, &[ServiceAction]) =
        match service {
            Service::LineNotification => (
                "回線情報通知",
                "IPv6で接続する際に、回線ごとの識別番号をサービス提供者へ通知する機能です。通知の可否は「回線情報通知」の画面で変更できます。",
                0,
                &[],
            ),
            Service::Security => (
                "セキュリティ機能",
                "ウイルスや不正アクセスからパソコン・スマートフォンを守るセキュリティ対策ツールです。ライセンスプラスで、守る端末を5台まで追加できます（1台あたり月額330円）。",
                550,
                &[ServiceAction::Change],
            ),
            Service::RemoteSupport => (
                "リモートサポートサービス",
                "パソコンや周辺機器の設定・操作を、専門スタッフが遠隔操作でサポートします。",
                550,
                &[ServiceAction::Subscribe, ServiceAction::Terminate],
            ),
            Service::SessionPlus => (
                "フレッツ・セッションプラス",
                "同時に接続できるセッション数を追加し、複数のプロバイダーへ同時に接続できるようにします。",
                220,
                &[ServiceAction::Subscribe, ServiceAction::Terminate],
            ),
            Service::VpnWide => (
                "フレッツ・VPN ワイド",
                "拠点間を結ぶ閉域網サービスです。お申し込み・変更は法人向けの窓口で承ります。",
                1_650,
                &[],
            ),
        };
    CatalogueEntry {
        service,
        name: name.to_owned(),
        description: description.to_owned(),
        monthly_fee,
        actions: actions.to_vec(),
    }
}

/// The default entries, built once: every `GET /v1/services` shows them.
static DEFAULTS: std::sync::LazyLock<Vec<CatalogueEntry>> =
    std::sync::LazyLock::new(|| Service::ALL.into_iter().map(default_entry).collect());

/// Each service's entry, in `Service::ALL`'s order: the stored one where operators set it,
/// else the default. Borrowed, not copied: the names and descriptions are the longest part
/// of the services answer.
pub fn catalogue(stored: &[CatalogueEntry]) -> impl Iterator<Item = &CatalogueEntry> {
    DEFAULTS.iter().map(|default| {
        stored
            .iter()
            .find(|e| e.service == default.service)
            .unwrap_or(default)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_service_offers_what_its_state_allows() {
        use ServiceAction::*;
        use ServiceStatus::*;
        assert_eq!(
            actions_in(Service::RemoteSupport, NotContracted),
            [Subscribe]
        );
        assert_eq!(actions_in(Service::RemoteSupport, InUse), [Terminate]);
        assert_eq!(actions_in(Service::SessionPlus, InUse), [Terminate]);
        assert_eq!(actions_in(Service::Security, InUse), [Change]);
        assert!(actions_in(Service::Security, NotContracted).is_empty());
        assert!(actions_in(Service::VpnWide, InUse).is_empty());
        assert!(actions_in(Service::VpnWide, NotContracted).is_empty());
        assert!(actions_in(Service::LineNotification, InUse).is_empty());
        for service in Service::ALL {
            for status in [Registering, Changing, Terminating] {
                assert!(
                    actions_in(service, status).is_empty(),
                    "{service:?} {status:?}"
                );
            }
        }
    }

    #[test]
    fn a_stored_entry_replaces_the_default() {
        let mut remote = default_entry(Service::RemoteSupport);
        remote.monthly_fee = 770;
        let stored = [remote.clone()];
        let all: Vec<&CatalogueEntry> = catalogue(&stored).collect();
        assert_eq!(all.len(), Service::ALL.len());
        assert_eq!(all[2], &remote);
        assert_eq!(all[1], &default_entry(Service::Security));
    }
}
