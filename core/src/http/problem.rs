//! RFC 9457 problem documents (SPEC §1): the one place where a refusal becomes a status
//! code, a stable `code` and human text in Japanese or English.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::FieldError;
use crate::service::Error;
use crate::store::StoreError;

/// A refusal, before it is put into words.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub code: &'static str,
    pub errors: Vec<FieldError>,
    pub retry_after_seconds: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str) -> Self {
        Self {
            status,
            code,
            errors: Vec::new(),
            retry_after_seconds: None,
        }
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self {
            errors,
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
        }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found")
    }
}

impl From<Error> for Problem {
    fn from(error: Error) -> Self {
        use StatusCode as S;
        match error {
            Error::Validation(errors) => Self::validation(errors.0),
            Error::InvalidCredentials => Self::new(S::UNAUTHORIZED, "invalid_credentials"),
            Error::AccountLocked => Self::new(S::LOCKED, "account_locked"),
            Error::TooManyAttempts {
                retry_after_seconds,
            } => Self {
                retry_after_seconds: Some(retry_after_seconds),
                ..Self::new(S::TOO_MANY_REQUESTS, "too_many_attempts")
            },
            Error::MembershipCancelled => Self::new(S::FORBIDDEN, "membership_cancelled"),
            Error::AlreadyCancelled => Self::new(S::CONFLICT, "membership_cancelled"),
            Error::Unauthorized => Self::new(S::UNAUTHORIZED, "unauthorized"),
            Error::NotFound => Self::not_found(),
            Error::SerialUnavailable => Self::new(S::CONFLICT, "serial_unavailable"),
            Error::LicenseExpired => Self::new(S::CONFLICT, "license_expired"),
            Error::ConsentRequired => Self::new(S::UNPROCESSABLE_ENTITY, "consent_required"),
            Error::ProviderNotFound => Self::new(S::NOT_FOUND, "provider_not_found"),
            Error::NoChange => Self::new(S::CONFLICT, "no_change"),
            Error::ProviderExists => Self::new(S::CONFLICT, "provider_exists"),
            Error::InvalidCodeFormat => Self::new(S::UNPROCESSABLE_ENTITY, "invalid_code_format"),
            Error::CodeChecksumMismatch => {
                Self::new(S::UNPROCESSABLE_ENTITY, "code_checksum_mismatch")
            }
            Error::CodeNotFound => Self::new(S::NOT_FOUND, "code_not_found"),
            Error::SerialOrEmailMismatch => Self::new(S::NOT_FOUND, "serial_or_email_mismatch"),
            Error::CodeAlreadyRedeemed => Self::new(S::CONFLICT, "code_already_redeemed"),
            Error::CodeProductMismatch => Self::new(S::CONFLICT, "code_product_mismatch"),
            Error::RenewalNotNeeded => Self::new(S::CONFLICT, "renewal_not_needed"),
            Error::UpgradeRequired => Self::new(S::CONFLICT, "upgrade_required"),
            Error::ReaderTypeUnavailable => Self::new(S::CONFLICT, "reader_type_unavailable"),
            Error::ReaderLimitReached => Self::new(S::CONFLICT, "reader_limit_reached"),
            Error::UnsupportedPaymentMethod => {
                Self::new(S::UNPROCESSABLE_ENTITY, "unsupported_payment_method")
            }
            Error::Busy => {
                tracing::warn!("write conflicts did not settle");
                Self {
                    retry_after_seconds: Some(1),
                    ..Self::new(S::SERVICE_UNAVAILABLE, "busy")
                }
            }
            Error::Store(StoreError::Conflict(what)) => {
                tracing::warn!(%what, "unsettled write conflict");
                Self::new(S::SERVICE_UNAVAILABLE, "busy")
            }
            Error::Store(error) => {
                tracing::error!(%error, "storage failure");
                Self::new(S::INTERNAL_SERVER_ERROR, "internal_error")
            }
        }
    }
}

/// The language of human text: Japanese unless the client prefers English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    /// Reads `Accept-Language`: English only when an `en` tag outranks every `ja` tag.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let Some(value) = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
        else {
            return Lang::Ja;
        };
        let (mut en, mut ja) = (0.0_f32, 0.0_f32);
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            match primary {
                "en" => en = en.max(q),
                "ja" => ja = ja.max(q),
                _ => {}
            }
        }
        if en > ja { Lang::En } else { Lang::Ja }
    }
}

/// The body of every error answer, as documented in the OpenAPI document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemBody {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// The stable machine value clients branch on.
    pub code: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl Problem {
    pub fn body(&self, lang: Lang) -> ProblemBody {
        let (title, detail) = texts(self.code, lang);
        let detail = match (self.retry_after_seconds, lang) {
            (Some(s), Lang::Ja) if self.code == "too_many_attempts" => {
                format!("{detail}（{s} 秒後に再度お試しください）")
            }
            (Some(s), Lang::En) if self.code == "too_many_attempts" => {
                format!("{detail} (try again in {s} seconds)")
            }
            _ => detail.to_owned(),
        };
        ProblemBody {
            kind: format!("urn:madoguchi:problem:{}", self.code),
            title: title.to_owned(),
            status: self.status.as_u16(),
            code: self.code.to_owned(),
            detail,
            errors: self
                .errors
                .iter()
                .map(|e| FieldProblem {
                    field: e.field.clone(),
                    code: e.code.to_owned(),
                    message: field_message(e.code, lang).to_owned(),
                })
                .collect(),
        }
    }

    fn render(&self, lang: Lang) -> Response {
        let body = serde_json::to_vec(&self.body(lang)).expect("problem bodies serialise");
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(match lang {
                Lang::Ja => "ja",
                Lang::En => "en",
            }),
        );
        if let Some(seconds) = self.retry_after_seconds {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl IntoResponse for Problem {
    /// Renders in Japanese and keeps the problem in the response, so that `localise` can
    /// put it into the language the request asked for.
    fn into_response(self) -> Response {
        let mut response = self.render(Lang::Ja);
        response.extensions_mut().insert(self);
        response
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}

/// Middleware: re-renders problem answers in the language of `Accept-Language`.
pub async fn localise(request: Request, next: Next) -> Response {
    let lang = Lang::from_headers(request.headers());
    let response = next.run(request).await;
    match (lang, response.extensions().get::<Problem>()) {
        (Lang::En, Some(problem)) => problem.render(Lang::En),
        _ => response,
    }
}

/// Title and detail of each `code`, in both languages.
fn texts(code: &str, lang: Lang) -> (&'static str, &'static str) {
    let (ja, en) = match code {
        "validation_failed" => (
            (
                "入力内容に誤りがあります",
                "各項目の入力内容をご確認ください。",
            ),
            (
                "The input is not valid",
                "Check the fields listed in `errors`.",
            ),
        ),
        "malformed_json" => (
            (
                "リクエストを読み取れません",
                "本文が正しいJSONではありません。",
            ),
            ("The request cannot be read", "The body is not valid JSON."),
        ),
        "unsupported_media_type" => (
            (
                "対応していない形式です",
                "本文は application/json で送信してください。",
            ),
            (
                "Unsupported media type",
                "Send the body as application/json.",
            ),
        ),
        "payload_too_large" => (
            (
                "リクエストが大きすぎます",
                "本文は64KiB以内にしてください。",
            ),
            ("The request is too large", "Bodies are limited to 64 KiB."),
        ),
        "invalid_credentials" => (
            (
                "ログインできません",
                "お客さまIDまたはアクセスキーが正しくありません。アクセスキーは大文字と小文字を区別します。",
            ),
            (
                "Login failed",
                "The customer ID or access key is not correct. Access keys are case-sensitive.",
            ),
        ),
        "account_locked" => (
            (
                "ログインを停止しています（結果コード58）",
                "アクセスキーの誤入力が続いたため、ログインを停止しました。サポートセンターにアクセスキーの再発行をお申し込みください。",
            ),
            (
                "Login is locked (result code 58)",
                "Too many wrong access keys were entered. Ask the support centre to reissue the access key.",
            ),
        ),
        "too_many_attempts" => (
            (
                "試行回数が多すぎます",
                "しばらく時間をおいてから、もう一度お試しください。",
            ),
            ("Too many attempts", "Wait a while before trying again."),
        ),
        "membership_cancelled" => (
            ("ご解約済みです", "このお客さまIDは解約されています。"),
            (
                "Membership cancelled",
                "This membership has been cancelled.",
            ),
        ),
        "unauthorized" => (
            (
                "ログインが必要です",
                "ログインしていないか、一定時間操作がなかったためログアウトしました。もう一度ログインしてください。",
            ),
            (
                "Login required",
                "You are not logged in, or the session ended after a period of inactivity. Log in again.",
            ),
        ),
        "not_found" => (
            ("見つかりません", "ご指定のものは見つかりませんでした。"),
            ("Not found", "Nothing was found at this address."),
        ),
        "method_not_allowed" => (
            (
                "この操作はできません",
                "このアドレスはこのメソッドに対応していません。",
            ),
            (
                "Method not allowed",
                "This address does not support this method.",
            ),
        ),
        "serial_unavailable" => (
            (
                "このシリアル番号は利用不可です",
                "このシリアル番号はご利用の回線では利用できません。",
            ),
            (
                "This serial is unavailable",
                "This serial cannot be used on your line.",
            ),
        ),
        "license_expired" => (
            (
                "有効期限が切れています",
                "このシリアル番号は有効期限を過ぎています。更新ユーザー登録を行ってください。",
            ),
            (
                "The licence has expired",
                "This serial is past its expiry date. Renew it first.",
            ),
        ),
        "consent_required" => (
            (
                "同意が必要です",
                "最新の同意事項をお読みいただき、同意のうえお申し込みください。",
            ),
            (
                "Consent required",
                "Read the current terms and agree to them to apply.",
            ),
        ),
        "provider_not_found" => (
            (
                "サービス提供者が見つかりません",
                "ご指定のサービス提供者コードは登録されていません。",
            ),
            (
                "Provider not found",
                "No service provider is registered under this code.",
            ),
        ),
        "no_change" => (
            (
                "変更がありません",
                "ご指定の通知可否設定は、すでに現在の設定と同じです。",
            ),
            (
                "Nothing to change",
                "A change asks for the setting the provider already has.",
            ),
        ),
        "provider_exists" => (
            (
                "登録済みです",
                "このサービス提供者コードはすでに登録されています。",
            ),
            (
                "Already registered",
                "This provider code is already registered.",
            ),
        ),
        "invalid_code_format" => (
            (
                "購入コードの形式が正しくありません",
                "購入コードは英数字20文字（XXXXX-XXXXX-XXXXX-XXXXX）です。I・L・O・U は使われていません。",
            ),
            (
                "The code is not well-formed",
                "A code has 20 letters and digits (XXXXX-XXXXX-XXXXX-XXXXX); I, L, O and U are not used.",
            ),
        ),
        "code_checksum_mismatch" => (
            (
                "購入コードに入力誤りがあります",
                "購入コードをご確認ください。2とZ、5とS、8とB、UとVなど、似た文字の入力誤りがないかご確認ください。",
            ),
            (
                "The code has a typo",
                "Check the code: look-alike characters such as 2 and Z, 5 and S, 8 and B, U and V are easily mistaken.",
            ),
        ),
        "code_not_found" => (
            (
                "購入コードが見つかりません",
                "ご入力の購入コードは登録されていません。",
            ),
            ("Code not found", "This purchase code is not registered."),
        ),
        "serial_or_email_mismatch" => (
            (
                "シリアル番号またはメールアドレスが一致しません",
                "現在ご利用中のシリアル番号と、ユーザー登録に使用しているメールアドレスをご確認ください。",
            ),
            (
                "Serial or email does not match",
                "Check the serial in use and the email address it is registered with.",
            ),
        ),
        "code_already_redeemed" => (
            (
                "この購入コードは使用済みです",
                "購入コードは一度だけご利用いただけます。",
            ),
            (
                "Code already redeemed",
                "A purchase code can be redeemed once only.",
            ),
        ),
        "code_product_mismatch" => (
            (
                "製品が一致しません",
                "この購入コードは、ご指定のシリアル番号の製品には使えません。",
            ),
            (
                "Wrong product",
                "This purchase code is for another product than the serial's.",
            ),
        ),
        "renewal_not_needed" => (
            (
                "更新は不要です",
                "月額サービスは更新不要です。自動的に継続されます。",
            ),
            ("No renewal needed", "Monthly licences renew themselves."),
        ),
        "upgrade_required" => (
            (
                "バージョンアップが必要です",
                "ご利用のプログラムは更新の対象外です。最新バージョンにバージョンアップしてから更新してください。",
            ),
            (
                "Upgrade required",
                "This program version cannot be renewed. Upgrade to the current version first.",
            ),
        ),
        "reader_type_unavailable" => (
            (
                "お申し込みいただけません",
                "このICカードリーダーは、現在お申し込みを受け付けていません。",
            ),
            (
                "Not orderable",
                "This card reader type cannot be ordered yet.",
            ),
        ),
        "reader_limit_reached" => (
            (
                "上限に達しています",
                "ICカードリーダーはお一人さま5台までです（スターターキットの1台を含みます）。",
            ),
            (
                "Limit reached",
                "A member can have at most 5 card readers, the starter-kit reader included.",
            ),
        ),
        "unsupported_payment_method" => (
            (
                "お支払い方法をご確認ください",
                "ICカードリーダーの有償貸与は、電子マネー（ちょコム）でのお支払いのみです。",
            ),
            (
                "Unsupported payment method",
                "Rented card readers are paid with e-money (chocom) only.",
            ),
        ),
        "idempotency_key_reused" => (
            (
                "Idempotency-Key が再利用されています",
                "同じ Idempotency-Key で内容の異なる申込みが送られました。新しいキーで送信してください。",
            ),
            (
                "Idempotency-Key reused",
                "This Idempotency-Key was used for a different request. Send it with a new key.",
            ),
        ),
        "idempotency_key_in_use" => (
            (
                "処理中です",
                "同じ Idempotency-Key の申込みを処理しています。少し時間をおいてから、もう一度お試しください。",
            ),
            (
                "Still in progress",
                "A request with this Idempotency-Key is still being processed. Try again in a moment.",
            ),
        ),
        "busy" => (
            (
                "ただいま混み合っています",
                "少し時間をおいてから、もう一度お試しください。",
            ),
            ("The service is busy", "Try again in a moment."),
        ),
        _ => (
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
fn field_message(code: &str, lang: Lang) -> &'static str {
    let (ja, en) = match code {
        "required" => ("入力してください。", "This field is required."),
        "too_long" => ("文字数が多すぎます。", "This value is too long."),
        "forbidden_character" => (
            "使用できない文字が含まれています。",
            "This value contains a character that is not allowed.",
        ),
        "invalid_customer_id" => (
            "お客さまIDは「CAF」と数字7桁の10文字です。",
            "A customer ID is CAF followed by 7 digits.",
        ),
        "invalid_access_key" => (
            "アクセスキーは半角英数記号で入力してください。",
            "An access key is printable ASCII.",
        ),
        "invalid_length" => (
            "アクセスキーは8〜64文字です。",
            "An access key has 8 to 64 characters.",
        ),
        "invalid_email" => (
            "メールアドレスの形式が正しくありません。",
            "This is not a valid email address.",
        ),
        "invalid_serial" => (
            "シリアル番号の形式が正しくありません。",
            "This is not a valid serial number.",
        ),
        "invalid_device_id" => (
            "端末IDは半角英数記号64文字以内です。",
            "A device ID is up to 64 visible ASCII characters.",
        ),
        "invalid_date" => (
            "日付は YYYY-MM-DD の形式で入力してください。",
            "Dates are written YYYY-MM-DD.",
        ),
        "invalid_value" => (
            "選択できない値です。",
            "This value is not one of the allowed ones.",
        ),
        "invalid_type" => (
            "値の型が正しくありません。",
            "This value has the wrong type.",
        ),
        "name_too_long" => (
            "お名前は20文字以内で入力してください。",
            "A name has at most 20 characters.",
        ),
        "invalid_phone" => (
            "電話番号は数字とハイフンで、10桁または11桁で入力してください。",
            "A phone number has 10 or 11 digits, with optional hyphens.",
        ),
        "mobile_email_not_allowed" => (
            "携帯電話のメールアドレスは工事完了通知にご利用になれません。",
            "Mobile carrier addresses cannot receive the completion mail.",
        ),
        "invalid_provider_code" => (
            "サービス提供者コードの形式が正しくありません。",
            "This is not a valid provider code.",
        ),
        "duplicate_provider" => (
            "同じサービス提供者が複数指定されています。",
            "The same provider is listed twice.",
        ),
        "out_of_range" => (
            "指定できる範囲を超えています。",
            "This value is out of range.",
        ),
        "invalid_idempotency_key" => (
            "Idempotency-Key は半角英数記号255文字以内です。",
            "An Idempotency-Key is 1 to 255 visible ASCII characters.",
        ),
        "unknown_field" => (
            "この項目は受け付けていません。",
            "This field is not accepted.",
        ),
        "more_than_one_standard" => (
            "標準装備のシリアル番号は1つまでです。",
            "A line has at most one standard serial.",
        ),
        "not_allowed_for_monthly" => (
            "月額のライセンスには有効期限を指定できません。",
            "Monthly licences have no expiry date.",
        ),
        _ => ("入力内容をご確認ください。", "Check this value."),
    };
    match lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(value: &str) -> Lang {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_str(value).unwrap(),
        );
        Lang::from_headers(&headers)
    }

    #[test]
    fn english_only_when_preferred_over_japanese() {
        assert_eq!(lang("en"), Lang::En);
        assert_eq!(lang("en-US,en;q=0.9"), Lang::En);
        assert_eq!(lang("ja,en;q=0.8"), Lang::Ja);
        assert_eq!(lang("en;q=0.5, ja;q=0.9"), Lang::Ja);
        assert_eq!(lang("fr"), Lang::Ja);
        assert_eq!(Lang::from_headers(&HeaderMap::new()), Lang::Ja);
    }
}
