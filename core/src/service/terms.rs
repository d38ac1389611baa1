//! 同意事項 (docs/line-notification.md, docs/renewal.md): the consent texts and their versions. A consent counts only for
//! the current version, so a change of terms asks every member again.

use serde::Serialize;
use utoipa::ToSchema;

use super::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TermsKind {
    LineNotification,
    Renewal,
    Services,
}

impl TermsKind {
    pub fn parse(path: &str) -> Option<Self> {
        match path {
            "line-notification" => Some(Self::LineNotification),
            "renewal" => Some(Self::Renewal),
            "services" => Some(Self::Services),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Terms {
    pub kind: TermsKind,
    pub version: &'static str,
    pub title: &'static str,
    pub body: &'static str,
}

pub fn current(kind: TermsKind) -> Terms {
    match kind {
        TermsKind::LineNotification => Terms {
            kind,
            // 2026-12: the change is carried out by 工事 after the application, no longer at once.
            version: "2026-12",
            title: "回線情報通知機能の通知可否設定に関する同意事項",
            body: "回線情報通知機能は、お客さまの回線がIPv6で接続する際に、回線ごとに固有の識別番号を\
                   接続先のサービス提供者へ通知する機能です。\n\
                   「通知する」に設定したサービス提供者には、接続のたびに識別番号が通知されます。\
                   「通知しない」に設定したサービス提供者には通知されず、その提供者のサービスの一部が\
                   ご利用いただけなくなる場合があります。\n\
                   お申込者情報（お名前、ご連絡先電話番号、ご連絡先メールアドレス）は、本申し込みの受付と\
                   工事完了のご連絡にのみ利用します。設定の変更は、お申し込みの受付後に工事（約1時間）を行い、\
                   工事の完了をもって反映されます。工事が完了するまでは、変更前の設定のままです。",
        },
        TermsKind::Services => Terms {
            kind,
            version: "2026-12",
            title: "サービスのお申し込み・変更・廃止に関する同意事項",
            body: "サービスのお申し込み・変更・廃止は、受付後に工事を行い、工事の完了をもって反映されます。\
                   工事が完了するまでは、お申し込み前のご契約内容のままです。月額料金は工事完了の翌月から\
                   変わります。\n\
                   セキュリティ機能のライセンスプラスを減らすと、お申し込み時にご確認いただいた端末では\
                   セキュリティ対策ツールがご利用いただけなくなります。\n\
                   お申込者情報（お名前、ご連絡先電話番号、ご連絡先メールアドレス）は、本申し込みの受付と\
                   工事完了のご連絡にのみ利用します。",
        },
        TermsKind::Renewal => Terms {
            kind,
            version: "2026-10",
            title: "更新ユーザー登録における個人情報の取り扱い",
            body: "ご入力いただいた購入コード、シリアル番号およびメールアドレスは、ライセンスの更新手続き\
                   と、更新完了のご連絡にのみ利用します。\n\
                   更新後もシリアル番号と製品認証キーは変わりません。新しい有効期限は、現在の有効期限\
                   （すでに過ぎている場合は本日）に購入コードの期間を加えた日となり、残りの期間が失われる\
                   ことはありません。購入コードは一度だけご利用いただけます。",
        },
    }
}

/// 同意: the version the member read, and whether they agreed to it.
#[derive(Debug, Clone)]
pub struct Consent {
    pub terms_version: String,
    pub agreed: bool,
}

impl Consent {
    /// docs/line-notification.md: 422 `consent_required` unless `agreed` is true for the current version.
    pub fn check(&self, kind: TermsKind) -> Result<(), Error> {
        if self.agreed && self.terms_version == current(kind).version {
            Ok(())
        } else {
            Err(Error::ConsentRequired)
        }
    }
}
