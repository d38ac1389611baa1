//! The text of each mail, in Japanese (SPEC §9): each names the serial and dates concerned.

use jiff::Timestamp;

use super::{Mail, MailKind};
use crate::domain::japan::format_for_people;
use crate::domain::{Customer, Device, Serial};

const SIGNATURE: &str = "\n--\nmadoguchi サポートセンター\n本メールは送信専用です。";

impl Mail {
    /// SPEC §2: 10 consecutive failures lock the account (結果コード58).
    pub fn account_locked(customer: &Customer, at: Timestamp) -> Self {
        let body = format!(
            "{name} 様\n\n\
             お客さまID {id} で、アクセスキーの誤入力が続いたため、{at} にログインを停止しました\
             （結果コード58）。\n\
             ご本人による操作でない場合も、アクセスキーが他人に知られた可能性があります。\n\
             ログインを再開するには、サポートセンターにアクセスキーの再発行をお申し込みください。\n{SIGNATURE}",
            name = customer.name,
            id = customer.customer_id,
            at = format_for_people(at),
        );
        Self::new(
            &customer.email,
            MailKind::AccountLocked,
            "【madoguchi】ログインを停止しました".to_owned(),
            body,
            at,
        )
    }

    /// SPEC §3: a serial moved to another device, which lost protection.
    pub fn serial_moved(
        customer: &Customer,
        serial: &Serial,
        to: &Device,
        from: &Device,
        at: Timestamp,
    ) -> Self {
        let body = format!(
            "{name} 様\n\n\
             シリアル番号 {serial} のご利用端末が {at} に切り替わりました。\n\n\
             新しい端末: {to_name}（{to_id}）\n\
             これまでの端末: {from_name}（{from_id}）\n\n\
             これまでの端末ではセキュリティ機能がご利用いただけなくなりました。\n\
             お心当たりのない場合は、サポートセンターにご連絡ください。\n{SIGNATURE}",
            name = customer.name,
            at = format_for_people(at),
            to_name = to.name,
            to_id = to.device_id,
            from_name = from.name,
            from_id = from.device_id,
        );
        Self::new(
            &customer.email,
            MailKind::SerialMoved,
            format!("【madoguchi】シリアル番号 {serial} の利用端末が切り替わりました"),
            body,
            at,
        )
    }
}
