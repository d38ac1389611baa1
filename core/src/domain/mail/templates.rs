//! The text of each mail, in Japanese (docs/mail.md): each names the serial and dates concerned.

use jiff::Timestamp;

use super::{Mail, MailKind};
use crate::domain::japan::{format_date_for_people, format_for_people, format_yen};
use crate::domain::order::reason;
use crate::domain::reader::Payment;
use crate::domain::{
    Customer, Device, Email, OpenOrder, Order, OrderNo, Price, Reader, Serial, SerialRecord,
    SettingChange,
};

impl Mail {
    /// docs/login.md: 10 consecutive failures lock the account (結果コード58).
    pub fn account_locked(customer: &Customer, at: Timestamp) -> Self {
        let body = format!(
            "{name} 様\n\n\
             お客さまID {id} で、アクセスキーの誤入力が10回続いたため、{at} にアカウントをロックしました。\n\
             ご本人による操作でない場合も、アクセスキーが他人に知られた可能性があります。\n\
             ログインを再開するには、ログイン画面の「アカウントロック解除」からお申し込みください。\
             登録メールアドレスに確認コード（8桁、30分間有効）をお送りします。入力するとロックが解除され、\
             アクセスキーはそのままお使いいただけます。\n\
             アクセスキーがわからない場合は、このメールの末尾のお問い合わせ先に再発行をお申し込みください。",
            name = customer.name,
            id = customer.customer_id,
            at = format_for_people(at),
        );
        Self::new(
            &customer.email,
            MailKind::AccountLocked,
            "アカウントをロックしました".to_owned(),
            body,
            at,
        )
    }

    /// docs/login.md#self-service-unlock: the one-time code that lifts the lock.
    pub fn unlock_code(
        customer: &Customer,
        code: &crate::domain::UnlockCode,
        valid_until: Timestamp,
        at: Timestamp,
    ) -> Self {
        let body = format!(
            "{name} 様\n\n\
             お客さまID {id} のアカウントロック解除のお申し込みを受け付けました。\n\n\
             確認コード: {code}\n\
             有効期限: {until}（30分間）\n\n\
             アカウントロック解除の画面で、お客さまIDとこの確認コードを入力してください。\
             ロックが解除され、これまでのアクセスキーでログインできます。\n\
             お心当たりのない場合は、このメールを破棄してください。コードは5回まちがえると無効になります。",
            name = customer.name,
            id = customer.customer_id,
            code = code.expose(),
            until = format_for_people(valid_until),
        );
        Self::new(
            &customer.email,
            MailKind::UnlockCode,
            "アカウントロック解除の確認コード".to_owned(),
            body,
            at,
        )
    }

    /// docs/usage.md: a serial moved to another device, which lost protection.
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
             お心当たりのない場合は、このメールの末尾のお問い合わせ先にご連絡ください。",
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
            format!("シリアル番号 {serial} の利用端末が切り替わりました"),
            body,
            at,
        )
    }

    /// docs/orders.md: 工事完了通知 of a line-notification order, to the applicant's address:
    /// the 工事 is done, and which provider is now 通知する or 通知しない.
    pub fn works_completed(
        to: &Email,
        applicant: &str,
        order: &Order,
        changes: &[SettingChange],
        at: Timestamp,
    ) -> Self {
        let lines: Vec<String> = changes
            .iter()
            .map(|c| {
                format!(
                    "・{}（{}）: {}",
                    c.provider_name,
                    c.provider_code,
                    c.after.name_ja()
                )
            })
            .collect();
        let body = format!(
            "{applicant} 様\n\n\
             お申し込みいただいた回線情報通知の通知可否設定の変更工事が、{at} に完了しました。\n\
             受付番号: {receipt_no}\n注文番号: {order_no}\n\n\
             現在の設定は次のとおりです。\n{}",
            lines.join("\n"),
            at = format_for_people(at),
            receipt_no = order.receipt_no,
            order_no = order.order_no,
        );
        Self::new(
            to,
            MailKind::WorksCompleted,
            "工事完了のお知らせ（回線情報通知）".to_owned(),
            body,
            at,
        )
    }

    /// docs/services.md: 工事完了通知 of a service application, to the applicant's address.
    pub fn service_works_completed(
        to: &Email,
        applicant: &str,
        order: &Order,
        service_name: &str,
        at: Timestamp,
    ) -> Self {
        let what = match &order.details {
            crate::domain::OrderDetails::Service {
                action,
                license_plus: Some(change),
                ..
            } => format!(
                "{service_name}の{}（ライセンスプラス {}台 → {}台）",
                action.name_ja(),
                change.from,
                change.to
            ),
            crate::domain::OrderDetails::Service { action, .. } => {
                format!("{service_name}の{}", action.name_ja())
            }
            _ => service_name.to_owned(),
        };
        let body = format!(
            "{applicant} 様\n\n\
             お申し込みいただいた{what}の工事が、{at} に完了しました。\n\
             受付番号: {receipt_no}\n注文番号: {order_no}\n\n\
             ご利用状況は会員ポータルの「ご利用状況」でご確認いただけます。",
            at = format_for_people(at),
            receipt_no = order.receipt_no,
            order_no = order.order_no,
        );
        Self::new(
            to,
            MailKind::WorksCompleted,
            format!("工事完了のお知らせ（{service_name}）"),
            body,
            at,
        )
    }

    /// docs/orders.md: an order the back office did not carry out, and why; nothing it
    /// would have changed has changed.
    pub fn order_failed(customer: &Customer, order: &Order, at: Timestamp) -> Self {
        let reason = order
            .reason()
            .map_or_else(|| "理由は記録されていません。".to_owned(), reason::name_ja);
        let body = format!(
            "{name} 様\n\n\
             お申し込みいただいた{what}は、お手続きを完了できませんでした。\n\
             受付番号: {receipt_no}\n注文番号: {order_no}\n理由: {reason}\n\n\
             {unchanged}\
             あらためてお申し込みいただくか、このメールの末尾のお問い合わせ先にご連絡ください。",
            name = customer.name,
            unchanged = match order.kind() {
                crate::domain::OrderKind::LineTermination => "",
                crate::domain::OrderKind::Reader => "ICカードリーダーは発送されません。\n",
                _ => "ご注文による変更は行われておらず、設定やご契約はお申し込み前のままです。\n",
            },
            what = order.kind().name_ja(),
            receipt_no = order.receipt_no,
            order_no = order.order_no,
        );
        Self::new(
            &customer.email,
            MailKind::OrderFailed,
            format!("{}を完了できませんでした", order.kind().name_ja()),
            body,
            at,
        )
    }

    /// docs/renewal.md: the renewed licence: serial, product key and the new expiry date.
    pub fn renewal_completed(
        customer: &Customer,
        serial: &SerialRecord,
        receipt_no: &str,
        at: Timestamp,
    ) -> Self {
        let expires = serial
            .expires_on
            .map_or_else(String::new, format_date_for_people);
        let body = format!(
            "{name} 様\n\n\
             更新ユーザー登録が完了しました（受付番号 {receipt_no}）。\n\n\
             シリアル番号: {serial}\n\
             製品認証キー: {key}\n\
             新しい有効期限: {expires}\n\n\
             シリアル番号と製品認証キーは変わりません。引き続きそのままご利用いただけます。",
            name = customer.name,
            serial = serial.serial,
            key = serial.product_key,
        );
        Self::new(
            &customer.email,
            MailKind::RenewalCompleted,
            format!("シリアル番号 {} の更新が完了しました", serial.serial),
            body,
            at,
        )
    }

    /// docs/readers.md: a rented card reader was ordered and awaits payment.
    pub fn reader_ordered(
        customer: &Customer,
        reader: &Reader,
        order_no: &OrderNo,
        price: &Price,
        payment: &Payment,
        at: Timestamp,
    ) -> Self {
        let body = format!(
            "{name} 様\n\n\
             ICカードリーダーの追加お申し込みを受け付けました（注文番号 {order_no}）。\n\n\
             機種: {kind}\n\
             料金: {total}（本体 {base}、消費税 {tax}、決済手数料 {fee}）\n\
             お支払い: 電子マネー（ちょコム）\n\
             お支払いページ: {url}\n\
             お支払い期限: {due}\n\n\
             お支払いの確認後に発送いたします。期限までにお支払いが確認できない場合、\
             お申し込みは取り消しとなります。",
            name = customer.name,
            kind = reader.reader_type.name_ja(),
            total = format_yen(price.total),
            base = format_yen(price.base),
            tax = format_yen(price.tax),
            fee = format_yen(price.fee),
            url = payment.url,
            due = format_date_for_people(payment.due_on),
        );
        Self::new(
            &customer.email,
            MailKind::ReaderOrdered,
            "ICカードリーダーのお申し込みを受け付けました".to_owned(),
            body,
            at,
        )
    }

    /// docs/readers.md: a rental reader has shipped.
    pub fn reader_shipped(
        customer: &Customer,
        order: &Order,
        reader_type: crate::domain::ReaderType,
        at: Timestamp,
    ) -> Self {
        let body = format!(
            "{name} 様\n\n\
             お申し込みいただいたICカードリーダー（{kind}）を発送しました。\n\
             注文番号: {order_no}\n受付番号: {receipt_no}\n\n\
             お届けまで数日かかる場合があります。",
            name = customer.name,
            kind = reader_type.name_ja(),
            order_no = order.order_no,
            receipt_no = order.receipt_no,
        );
        Self::new(
            &customer.email,
            MailKind::ReaderShipped,
            "ICカードリーダーを発送しました".to_owned(),
            body,
            at,
        )
    }

    /// docs/cancellation.md: the membership ended, with what it changed.
    pub fn membership_cancelled(
        customer: &Customer,
        serials: &[Serial],
        readers_to_return: &[&Reader],
        orders_withdrawn: &[&OpenOrder],
        receipt_no: &str,
        at: Timestamp,
    ) -> Self {
        let serial_lines: Vec<String> = serials.iter().map(|s| format!("・{s}")).collect();
        let withdrawn = if orders_withdrawn.is_empty() {
            String::new()
        } else {
            let lines: Vec<String> = orders_withdrawn
                .iter()
                .map(|o| {
                    format!(
                        "・{}（注文番号 {}）",
                        o.details.kind().name_ja(),
                        o.order_no
                    )
                })
                .collect();
            format!(
                "\nお申し込み中だった次のご注文は、ご解約にともない取り下げとなります。\n{}\n",
                lines.join("\n")
            )
        };
        let returns = if readers_to_return.is_empty() {
            String::new()
        } else {
            let ids: Vec<&str> = readers_to_return
                .iter()
                .map(|r| r.reader_id.as_str())
                .collect();
            format!(
                "\n貸与中のICカードリーダー（{}）をご返却ください。後日お届けする返却キットでご返送いただけます。\n",
                ids.join("、")
            )
        };
        let body = format!(
            "{name} 様\n\n\
             ご解約を {day} に承りました（受付番号 {receipt_no}）。\n\n\
             次のシリアル番号は本日から利用不可となりました。\n{serials}\n\n\
             回線情報通知はすべてのサービス提供者について「通知しない」となりました。\n{withdrawn}{returns}\
             年会費は中途解約による返金はございません。",
            name = customer.name,
            day = format_for_people(at),
            serials = serial_lines.join("\n"),
        );
        Self::new(
            &customer.email,
            MailKind::MembershipCancelled,
            "ご解約を承りました".to_owned(),
            body,
            at,
        )
    }

    /// docs/reminders.md: the licence expires in `days_left` days; `renewal` is the portal's
    /// page that renews this very serial, when the portal's address is known.
    pub fn expiry_reminder(
        customer: &Customer,
        serial: &SerialRecord,
        days_left: i64,
        renewal: Option<&str>,
        at: Timestamp,
    ) -> Self {
        let expires = serial
            .expires_on
            .map_or_else(String::new, format_date_for_people);
        let body = format!(
            "{name} 様\n\n\
             シリアル番号 {serial} の有効期限は {expires} です（あと{days_left}日）。\n\
             引き続きご利用いただくには、購入コードで更新ユーザー登録を行ってください。\n\
             更新しても、残りの期間が失われることはありません。{renewal}",
            name = customer.name,
            serial = serial.serial,
            renewal = renewal_link(renewal),
        );
        Self::new(
            &customer.email,
            MailKind::ExpiryReminder,
            format!("シリアル番号 {} の有効期限が近づいています", serial.serial),
            body,
            at,
        )
    }

    /// docs/reminders.md: the licence has expired; `renewal` as for the reminder.
    pub fn license_expired(
        customer: &Customer,
        serial: &SerialRecord,
        renewal: Option<&str>,
        at: Timestamp,
    ) -> Self {
        let expires = serial
            .expires_on
            .map_or_else(String::new, format_date_for_people);
        let body = format!(
            "{name} 様\n\n\
             シリアル番号 {serial} の有効期限（{expires}）が過ぎ、セキュリティ機能がご利用いただけなく\
             なりました。\n\
             購入コードで更新ユーザー登録を行うと、本日から新しい期間でご利用いただけます。{renewal}",
            name = customer.name,
            serial = serial.serial,
            renewal = renewal_link(renewal),
        );
        Self::new(
            &customer.email,
            MailKind::LicenseExpired,
            format!("シリアル番号 {} の有効期限が切れました", serial.serial),
            body,
            at,
        )
    }
}

/// The line that links a reminder to the renewal of its serial, when there is a link.
fn renewal_link(renewal: Option<&str>) -> String {
    renewal.map_or_else(String::new, |url| {
        format!("\n\nこのシリアル番号の更新ユーザー登録: {url}")
    })
}
