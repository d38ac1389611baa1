//! What each problem and field code says, in Japanese and in English. Every code has its
//! own text: the matches are exhaustive, so a new code cannot go out without one.

use super::{Lang, ProblemCode};
use crate::domain::FieldCode;

/// Title and detail of each `code`, in both languages.
pub(super) fn texts(code: ProblemCode, lang: Lang) -> (&'static str, &'static str) {
    use ProblemCode as C;
    let (ja, en) = match code {
        C::ValidationFailed => (
            (
                "入力内容に誤りがあります",
                "各項目の入力内容をご確認ください。",
            ),
            (
                "The input is not valid",
                "Check the fields listed in `errors`.",
            ),
        ),
        C::MalformedJson => (
            (
                "リクエストを読み取れません",
                "本文が正しいJSONではありません。",
            ),
            ("The request cannot be read", "The body is not valid JSON."),
        ),
        C::UnsupportedMediaType => (
            (
                "対応していない形式です",
                "本文は application/json で送信してください。",
            ),
            (
                "Unsupported media type",
                "Send the body as application/json.",
            ),
        ),
        C::PayloadTooLarge => (
            (
                "リクエストが大きすぎます",
                "本文は64KiB以内にしてください。",
            ),
            ("The request is too large", "Bodies are limited to 64 KiB."),
        ),
        C::InvalidCredentials => (
            (
                "ログインできません",
                "お客さまIDまたはアクセスキーが正しくありません。アクセスキーは大文字と小文字を区別します。アクセスキーを10回続けてまちがえると、アカウントがロックされます。",
            ),
            (
                "Login failed",
                "The customer ID or access key is not correct. Access keys are case-sensitive. Ten wrong access keys in a row lock the account.",
            ),
        ),
        C::AccountLocked => (
            (
                "アカウントがロックされています",
                "アクセスキーの誤入力が10回続いたため、アカウントをロックしました。アカウントロック解除の画面で、登録メールアドレスに届く確認コードを入力すると、ロックを解除できます。",
            ),
            (
                "The account is locked",
                "Too many wrong access keys were entered. Unlock the account with the code mailed to the registered address.",
            ),
        ),
        C::InvalidUnlockCode => (
            (
                "確認コードが正しくありません",
                "確認コードが違うか、有効期限（30分）が過ぎているか、すでに使われています。アカウントロック解除をもう一度お申し込みください。",
            ),
            (
                "The unlock code is not valid",
                "The code is wrong, has expired (after 30 minutes) or was already used. Ask for a new code.",
            ),
        ),
        C::TooManyAttempts => (
            (
                "試行回数が多すぎます",
                "しばらく時間をおいてから、もう一度お試しください。",
            ),
            ("Too many attempts", "Wait a while before trying again."),
        ),
        C::TooManyApplications => (
            (
                "本日のお申し込み件数が上限に達しました",
                "お申し込みは1日10件までです。日付が変わってから（日本時間）、もう一度お申し込みください。",
            ),
            (
                "Too many applications today",
                "At most 10 applications can be submitted a day. Apply again after midnight, Japan time.",
            ),
        ),
        C::MembershipCancelled | C::AlreadyCancelled => (
            ("ご解約済みです", "このお客さまIDは解約されています。"),
            (
                "Membership cancelled",
                "This membership has been cancelled.",
            ),
        ),
        C::Unauthorized => (
            (
                "ログインが必要です",
                "ログインしていないか、一定時間操作がなかったためログアウトしました。もう一度ログインしてください。",
            ),
            (
                "Login required",
                "You are not logged in, or the session ended after a period of inactivity. Log in again.",
            ),
        ),
        C::NotFound => (
            ("見つかりません", "ご指定のものは見つかりませんでした。"),
            ("Not found", "Nothing was found at this address."),
        ),
        C::MethodNotAllowed => (
            (
                "この操作はできません",
                "このアドレスはこのメソッドに対応していません。",
            ),
            (
                "Method not allowed",
                "This address does not support this method.",
            ),
        ),
        C::SerialUnavailable => (
            (
                "このシリアル番号は利用不可です",
                "このシリアル番号はご利用の回線では利用できません。",
            ),
            (
                "This serial is unavailable",
                "This serial cannot be used on your line.",
            ),
        ),
        C::LicenseExpired => (
            (
                "有効期限が切れています",
                "このシリアル番号は有効期限を過ぎています。更新ユーザー登録を行ってください。",
            ),
            (
                "The licence has expired",
                "This serial is past its expiry date. Renew it first.",
            ),
        ),
        C::ConsentRequired => (
            (
                "同意が必要です",
                "最新の同意事項をお読みいただき、同意のうえお申し込みください。",
            ),
            (
                "Consent required",
                "Read the current terms and agree to them to apply.",
            ),
        ),
        C::ProviderNotFound => (
            (
                "サービス提供者が見つかりません",
                "ご指定のサービス提供者コードは登録されていません。",
            ),
            (
                "Provider not found",
                "No service provider is registered under this code.",
            ),
        ),
        C::NoChange => (
            (
                "変更がありません",
                "ご指定の通知可否設定は、すでに現在の設定と同じです。",
            ),
            (
                "Nothing to change",
                "A change asks for the setting the provider already has.",
            ),
        ),
        C::ChangePending => (
            (
                "変更中です",
                "このサービス提供者の通知可否設定は変更の工事中です。工事が完了してから、あらためてお申し込みください。",
            ),
            (
                "Change pending",
                "A change to this provider's setting is still being carried out. Apply again once it is completed.",
            ),
        ),
        C::ApplicationPending => (
            (
                "お申し込みの手続き中です",
                "このサービスは、先にお申し込みいただいた内容の工事中です。工事が完了してから、あらためてお申し込みください。",
            ),
            (
                "Application pending",
                "An earlier application for this service is still being carried out.",
            ),
        ),
        C::NotApplicable => (
            (
                "お申し込みいただけません",
                "このサービスは、現在のご利用状況ではご指定のお手続きを承っていません。",
            ),
            (
                "Not applicable",
                "The service does not offer this action in its current state.",
            ),
        ),
        C::InvalidTransition => (
            (
                "この状態からは変更できません",
                "ご注文はすでに進んでいるか、完了または不成立となっているため、この操作はできません。",
            ),
            (
                "Invalid transition",
                "The order cannot make this move: it is backwards, or the order has already completed or failed.",
            ),
        ),
        C::ProviderExists => (
            (
                "登録済みです",
                "このサービス提供者コードはすでに登録されています。",
            ),
            (
                "Already registered",
                "This provider code is already registered.",
            ),
        ),
        C::InvalidCodeFormat => (
            (
                "購入コードの形式が正しくありません",
                "購入コードは英数字20文字（XXXXX-XXXXX-XXXXX-XXXXX）です。U は使われていません（I・L は 1、O は 0 として読み取ります）。",
            ),
            (
                "The code is not well-formed",
                "A code has 20 letters and digits (XXXXX-XXXXX-XXXXX-XXXXX); U is not used (I and L are read as 1, O as 0).",
            ),
        ),
        C::CodeChecksumMismatch => (
            (
                "購入コードに入力誤りがあります",
                "購入コードをご確認ください。2とZ、5とS、8とB、UとVなど、似た文字の入力誤りがないかご確認ください。",
            ),
            (
                "The code has a typo",
                "Check the code: look-alike characters such as 2 and Z, 5 and S, 8 and B, U and V are easily mistaken.",
            ),
        ),
        C::CodeNotFound => (
            (
                "購入コードが見つかりません",
                "ご入力の購入コードは登録されていません。",
            ),
            ("Code not found", "This purchase code is not registered."),
        ),
        C::SerialOrEmailMismatch => (
            (
                "シリアル番号またはメールアドレスが一致しません",
                "現在ご利用中のシリアル番号と、ユーザー登録に使用しているメールアドレスをご確認ください。",
            ),
            (
                "Serial or email does not match",
                "Check the serial in use and the email address it is registered with.",
            ),
        ),
        C::CodeAlreadyRedeemed => (
            (
                "この購入コードは使用済みです",
                "購入コードは一度だけご利用いただけます。",
            ),
            (
                "Code already redeemed",
                "A purchase code can be redeemed once only.",
            ),
        ),
        C::CodeProductMismatch => (
            (
                "製品が一致しません",
                "この購入コードは、ご指定のシリアル番号の製品には使えません。",
            ),
            (
                "Wrong product",
                "This purchase code is for another product than the serial's.",
            ),
        ),
        C::RenewalNotNeeded => (
            (
                "更新は不要です",
                "月額サービスは更新不要です。自動的に継続されます。",
            ),
            ("No renewal needed", "Monthly licences renew themselves."),
        ),
        C::UpgradeRequired => (
            (
                "バージョンアップが必要です",
                "ご利用のプログラムは更新の対象外です。最新バージョンにバージョンアップしてから更新してください。",
            ),
            (
                "Upgrade required",
                "This program version cannot be renewed. Upgrade to the current version first.",
            ),
        ),
        C::ReaderTypeUnavailable => (
            (
                "お申し込みいただけません",
                "このICカードリーダーは、現在お申し込みを受け付けていません。",
            ),
            (
                "Not orderable",
                "This card reader type cannot be ordered yet.",
            ),
        ),
        C::ReaderLimitReached => (
            (
                "上限に達しています",
                "ICカードリーダーはお一人さま5台までです（スターターキットの1台を含みます）。",
            ),
            (
                "Limit reached",
                "A member can have at most 5 card readers, the starter-kit reader included.",
            ),
        ),
        C::UnsupportedPaymentMethod => (
            (
                "お支払い方法をご確認ください",
                "ICカードリーダーの有償貸与は、電子マネー（ちょコム）でのお支払いのみです。",
            ),
            (
                "Unsupported payment method",
                "Rented card readers are paid with e-money (chocom) only.",
            ),
        ),
        C::IdempotencyKeyReused => (
            (
                "Idempotency-Key が再利用されています",
                "同じ Idempotency-Key で内容の異なる申込みが送られました。新しいキーで送信してください。",
            ),
            (
                "Idempotency-Key reused",
                "This Idempotency-Key was used for a different request. Send it with a new key.",
            ),
        ),
        C::DateInFuture => (
            (
                "未来の日付では実行できません",
                "今日（日本時間）より後の日付では実行できません。期限切れの誤ったお知らせが送られるためです。",
            ),
            (
                "The date is in the future",
                "The job cannot run for a day after today (Japan time): it would send false expiry notices.",
            ),
        ),
        C::IdempotencyKeyInUse => (
            (
                "処理中です",
                "同じ Idempotency-Key の申込みを処理しています。少し時間をおいてから、もう一度お試しください。",
            ),
            (
                "Still in progress",
                "A request with this Idempotency-Key is still being processed. Try again in a moment.",
            ),
        ),
        C::Busy => (
            (
                "ただいま混み合っています",
                "少し時間をおいてから、もう一度お試しください。",
            ),
            ("The service is busy", "Try again in a moment."),
        ),
        C::InternalError => (
            (
                "システムエラーが発生しました",
                "時間をおいてもう一度お試しください。",
            ),
            ("Something went wrong", "Try again later."),
        ),
    };
    match lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

/// The message of each field `code`, in the request's language.
pub(super) fn field_message(code: FieldCode, lang: Lang) -> &'static str {
    use FieldCode as F;
    let (ja, en) = match code {
        F::Required => ("入力してください。", "This field is required."),
        F::TooLong => ("文字数が多すぎます。", "This value is too long."),
        F::ForbiddenCharacter => (
            "使用できない文字が含まれています。",
            "This value contains a character that is not allowed.",
        ),
        F::InvalidCustomerId => (
            "お客さまIDは「CAF」と数字7桁の10文字です。",
            "A customer ID is CAF followed by 7 digits.",
        ),
        F::InvalidAccessKey => (
            "アクセスキーは半角英数記号で入力してください。",
            "An access key is printable ASCII.",
        ),
        F::InvalidLength => (
            "アクセスキーは8〜64文字です。",
            "An access key has 8 to 64 characters.",
        ),
        F::InvalidEmail => (
            "メールアドレスの形式が正しくありません。",
            "This is not a valid email address.",
        ),
        F::InvalidSerial => (
            "シリアル番号の形式が正しくありません。",
            "This is not a valid serial number.",
        ),
        F::InvalidDeviceId => (
            "端末IDは半角英数記号64文字以内です。",
            "A device ID is up to 64 visible ASCII characters.",
        ),
        F::InvalidDate => (
            "日付は YYYY-MM-DD の形式で入力してください。",
            "Dates are written YYYY-MM-DD.",
        ),
        F::InvalidValue => (
            "選択できない値です。",
            "This value is not one of the allowed ones.",
        ),
        F::InvalidType => (
            "値の型が正しくありません。",
            "This value has the wrong type.",
        ),
        F::NameTooLong => (
            "お名前は20文字以内で入力してください。",
            "A name has at most 20 characters.",
        ),
        F::InvalidPhone => (
            "電話番号は数字とハイフンで、10桁または11桁で入力してください。",
            "A phone number has 10 or 11 digits, with optional hyphens.",
        ),
        F::MobileEmailNotAllowed => (
            "携帯電話のメールアドレスは工事完了通知にご利用になれません。",
            "Mobile carrier addresses cannot receive the completion mail.",
        ),
        F::ConfirmationRequired => (
            "保護が外れる端末を確認し、了承のうえお申し込みください。",
            "Confirm that the devices named lose their protection.",
        ),
        F::InvalidProviderCode => (
            "サービス提供者コードの形式が正しくありません。",
            "This is not a valid provider code.",
        ),
        F::DuplicateProvider => (
            "同じサービス提供者が複数指定されています。",
            "The same provider is listed twice.",
        ),
        F::InvalidLimit => (
            "件数は1から200までの数で指定してください。",
            "The limit is a number from 1 to 200.",
        ),
        F::InvalidCursor => (
            "一覧の続きを読み込めません。最初のページから読み直してください。",
            "This cursor cannot be read: start again from the first page.",
        ),
        F::OutOfRange => (
            "指定できる範囲を超えています。",
            "This value is out of range.",
        ),
        F::InvalidIdempotencyKey => (
            "Idempotency-Key は半角英数記号255文字以内です。",
            "An Idempotency-Key is 1 to 255 visible ASCII characters.",
        ),
        F::UnknownField => (
            "この項目は受け付けていません。",
            "This field is not accepted.",
        ),
        F::MoreThanOneStandard => (
            "標準装備のシリアル番号は1つまでです。",
            "A line has at most one standard serial.",
        ),
        F::NotAllowedForMonthly => (
            "月額のライセンスには有効期限を指定できません。",
            "Monthly licences have no expiry date.",
        ),
    };
    match lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FieldError;
    use crate::http::problem::Problem;

    /// `InvalidCustomerId` → `invalid_customer_id`.
    fn snake_case(name: &str) -> String {
        let mut out = String::new();
        for c in name.chars() {
            if c.is_ascii_uppercase() && !out.is_empty() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    }

    #[test]
    fn every_problem_code_has_words_in_both_languages_and_its_wire_name() {
        for &code in ProblemCode::ALL {
            // The one deliberate alias: changing a cancelled membership is 409, not 403.
            let wire = match code {
                ProblemCode::AlreadyCancelled => "membership_cancelled".to_owned(),
                _ => snake_case(&format!("{code:?}")),
            };
            assert_eq!(code.as_str(), wire);
            for lang in [Lang::Ja, Lang::En] {
                let (title, detail) = texts(code, lang);
                assert!(!title.is_empty() && !detail.is_empty(), "{code:?} {lang:?}");
                let body = Problem::new(code).body(lang);
                assert_eq!(
                    (body.code.as_str(), body.status, body.kind.as_str()),
                    (
                        wire.as_str(),
                        code.status().as_u16(),
                        format!("urn:madoguchi:problem:{wire}").as_str()
                    )
                );
            }
        }
    }

    #[test]
    fn codes_that_share_a_wire_name_share_their_words() {
        for &a in ProblemCode::ALL {
            for &b in ProblemCode::ALL {
                if a != b && a.as_str() == b.as_str() {
                    for lang in [Lang::Ja, Lang::En] {
                        assert_eq!(texts(a, lang), texts(b, lang), "{a:?} {b:?}");
                    }
                }
            }
        }
        let mut wires: Vec<_> = ProblemCode::ALL.iter().map(|c| c.as_str()).collect();
        wires.sort_unstable();
        wires.dedup();
        assert_eq!(wires.len(), ProblemCode::ALL.len() - 1);
    }

    #[test]
    fn every_field_code_has_a_message_in_both_languages_and_its_wire_name() {
        let mut wires: Vec<_> = FieldCode::ALL.iter().map(|c| c.as_str()).collect();
        wires.sort_unstable();
        wires.dedup();
        assert_eq!(wires.len(), FieldCode::ALL.len());
        for &code in FieldCode::ALL {
            assert_eq!(code.as_str(), snake_case(&format!("{code:?}")));
            for lang in [Lang::Ja, Lang::En] {
                assert!(!field_message(code, lang).is_empty(), "{code:?} {lang:?}");
                let refusal = Problem::validation(vec![FieldError {
                    field: "f".to_owned(),
                    code,
                }]);
                assert_eq!(refusal.body(lang).errors[0].code, code.as_str());
            }
        }
    }
}
