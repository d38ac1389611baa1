//! 回線情報通知 (docs/line-notification.md): the service providers a line's identifier may be notified to,
//! the member's setting for each, and the applicant of a change.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::field_code::FieldCode;
use super::text::{has_control_character, required, string_newtype};

/// サービス提供者コード: 1–10 letters and digits (`W0099`, `060000`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProviderCode(String);
string_newtype!(ProviderCode);

impl ProviderCode {
    pub fn parse(input: &str) -> Result<Self, FieldCode> {
        let value = required(input)?.to_uppercase();
        if value.len() <= 10 && value.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(value))
        } else {
            Err(FieldCode::InvalidProviderCode)
        }
    }
}

/// A registered service provider.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Provider {
    pub provider_code: ProviderCode,
    pub provider_name: String,
    pub service_name: String,
}

/// 通知可否設定.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    /// 通知する
    Notify,
    /// 通知しない
    DoNotNotify,
}

impl Setting {
    pub fn name_ja(self) -> &'static str {
        match self {
            Setting::Notify => "通知する",
            Setting::DoNotNotify => "通知しない",
        }
    }
}

/// 設定方法: how a setting came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SetVia {
    /// The member's own application on the web.
    Web,
    /// The line's cancellation ended notification.
    Cancellation,
}

/// A member's setting for one provider, once it differs from the initial `notify`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProviderSetting {
    pub provider_code: ProviderCode,
    pub setting: Setting,
    pub set_on: Date,
    pub set_via: SetVia,
}

/// お名前 of an applicant: 1–20 characters, none of `~ ～ | ｜ & %` nor control characters
/// (the original portal: 特殊な文字は使用できません).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicantName(String);
string_newtype!(ApplicantName);

impl ApplicantName {
    pub fn parse(input: &str) -> Result<Self, FieldCode> {
        // NFKC already turns ～ and ｜ into ~ and |; the wave dash 〜 is refused too, as it
        // looks the same to a member.
        let value = required(input)?;
        if has_control_character(&value) || value.chars().any(|c| "~|&%〜".contains(c)) {
            return Err(FieldCode::ForbiddenCharacter);
        }
        if value.chars().count() > 20 {
            return Err(FieldCode::NameTooLong);
        }
        Ok(Self(value))
    }
}

/// ご連絡先電話番号: a Japanese number, digits with optional hyphens, 10–11 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);
string_newtype!(Phone);

impl Phone {
    pub fn parse(input: &str) -> Result<Self, FieldCode> {
        // NFKC makes full-width digits and the full-width hyphen-minus plain; the long
        // vowel mark and other dashes members type are accepted as hyphens too, and so are
        // the brackets and spaces of 06(1234)5678 or 06 1234 5678 (docs/glossary.md).
        let mut value = String::new();
        for c in required(input)?.chars() {
            let separator = "‐‑‒–—―−ー-()".contains(c) || c.is_whitespace();
            if !separator {
                value.push(c);
            } else if !value.is_empty() && !value.ends_with('-') {
                value.push('-');
            }
        }
        let value = value.trim_end_matches('-').to_owned();
        let digits = value.chars().filter(char::is_ascii_digit).count();
        // A Japanese number has at most three groups (06-1234-5678, 0120-000-000).
        let shaped = value.chars().all(|c| c.is_ascii_digit() || c == '-')
            && value.starts_with('0')
            && value.matches('-').count() <= 2
            && (10..=11).contains(&digits);
        if shaped {
            Ok(Self(value))
        } else {
            Err(FieldCode::InvalidPhone)
        }
    }
}

/// Mobile carriers' mail domains: their phones refuse the completion mail (the original portal:
/// 携帯電話のメールアドレスはご利用になれません).
const MOBILE_CARRIER_DOMAINS: [&str; 6] = [
    "docomo.ne.jp",
    "ezweb.ne.jp",
    "au.com",
    "softbank.ne.jp",
    "i.softbank.jp",
    "ymobile.ne.jp",
];

pub fn is_mobile_carrier(email: &super::Email) -> bool {
    let domain = email.as_str().rsplit('@').next().unwrap_or("");
    MOBILE_CARRIER_DOMAINS
        .iter()
        .any(|d| domain == *d || domain.ends_with(&format!(".{d}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Email;

    #[test]
    fn applicant_names_refuse_the_special_characters() {
        assert_eq!(
            ApplicantName::parse(" 西日本 太郎 ").unwrap().as_str(),
            "西日本 太郎"
        );
        for bad in [
            "西日本~太郎",
            "西日本～太郎",
            "A|B",
            "A｜B",
            "A&B",
            "100%",
            "波〜",
            "a\tb",
        ] {
            assert_eq!(
                ApplicantName::parse(bad),
                Err(FieldCode::ForbiddenCharacter),
                "{bad}"
            );
        }
        assert_eq!(
            ApplicantName::parse(&"あ".repeat(21)),
            Err(FieldCode::NameTooLong)
        );
        assert!(ApplicantName::parse(&"あ".repeat(20)).is_ok());
        assert_eq!(ApplicantName::parse(""), Err(FieldCode::Required));
    }

    #[test]
    fn phones_have_ten_or_eleven_digits() {
        assert!(Phone::parse("06-0000-0000").is_ok());
        assert!(Phone::parse("090-1234-5678").is_ok());
        assert!(Phone::parse("０９０１２３４５６７８").is_ok());
        assert!(Phone::parse("090ー1234ー5678").is_ok());
        // Brackets and spaces are written as hyphens are (docs/glossary.md).
        for written in [
            "06(1234)5678",
            "06 1234 5678",
            "(06) 1234-5678",
            "０６（１２３４）５６７８",
        ] {
            assert_eq!(
                Phone::parse(written).map(|p| p.as_str().to_owned()),
                Ok("06-1234-5678".to_owned()),
                "{written}"
            );
        }
        for bad in [
            "123456789",
            "06-0000-000",
            "090-1234-56789",
            "+81-90-1234-5678",
            "06-(0000)",
            "0 9 0 1 2 3 4 5 6 7 8",
            "abc",
        ] {
            assert_eq!(Phone::parse(bad), Err(FieldCode::InvalidPhone), "{bad}");
        }
    }

    #[test]
    fn mobile_carrier_domains_are_recognised() {
        let mobile = |s| is_mobile_carrier(&Email::parse(s).unwrap());
        assert!(mobile("taro@docomo.ne.jp"));
        assert!(mobile("taro@i.softbank.jp"));
        assert!(mobile("taro@t.vodafone.softbank.ne.jp"));
        assert!(!mobile("taro@example.jp"));
        assert!(!mobile("taro@notdocomo.ne.jp"));
    }
}
