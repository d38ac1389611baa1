//! お問い合わせ先 (docs/support.md): who a member can call and when, where a purchase code
//! (購入コード) is bought and where a newer program is downloaded. Operators configure it
//! (local-dev's settings, the template's parameters); the portal's footer and every mail
//! say it.

use lettre::message::Mailbox;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Support {
    /// The service's name in Japanese: the mails' sender name and subject prefix.
    #[schema(example = "会員サポート窓口")]
    pub service_name: String,
    /// The desk members call.
    #[schema(example = "会員サポートセンター")]
    pub desk_name: String,
    #[schema(example = "0120-000-000")]
    pub phone: String,
    #[schema(example = "9:00〜18:00（年末年始を除く）")]
    pub hours: String,
    /// The help pages.
    pub url: String,
    /// Where a 購入コード is bought.
    pub purchase_url: String,
    /// Where a newer version of the program is downloaded.
    pub upgrade_url: String,
}

/// The demo's desk, on names reserved for examples; each is replaced by its setting.
pub mod demo {
    pub const SERVICE_NAME: &str = "会員サポート窓口";
    pub const DESK_NAME: &str = "会員サポートセンター";
    pub const PHONE: &str = "0120-000-000";
    pub const HOURS: &str = "9:00〜18:00（年末年始を除く）";
    pub const URL: &str = "https://support.example.jp/";
    pub const PURCHASE_URL: &str = "https://shop.example.jp/security/code";
    pub const UPGRADE_URL: &str = "https://support.example.jp/download";
}

/// The settings' names, in the environment of local-dev and of the functions that answer
/// `GET /v1/support` or deliver mail.
pub mod env {
    pub const SERVICE_NAME: &str = "MADOGUCHI_SUPPORT_SERVICE_NAME";
    pub const DESK_NAME: &str = "MADOGUCHI_SUPPORT_DESK_NAME";
    pub const PHONE: &str = "MADOGUCHI_SUPPORT_PHONE";
    pub const HOURS: &str = "MADOGUCHI_SUPPORT_HOURS";
    pub const URL: &str = "MADOGUCHI_SUPPORT_URL";
    pub const PURCHASE_URL: &str = "MADOGUCHI_SUPPORT_PURCHASE_URL";
    pub const UPGRADE_URL: &str = "MADOGUCHI_SUPPORT_UPGRADE_URL";
}

impl Default for Support {
    fn default() -> Self {
        Self {
            service_name: demo::SERVICE_NAME.to_owned(),
            desk_name: demo::DESK_NAME.to_owned(),
            phone: demo::PHONE.to_owned(),
            hours: demo::HOURS.to_owned(),
            url: demo::URL.to_owned(),
            purchase_url: demo::PURCHASE_URL.to_owned(),
            upgrade_url: demo::UPGRADE_URL.to_owned(),
        }
    }
}

/// A setting that cannot be what it names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} {reason}")]
pub struct Malformed {
    pub name: &'static str,
    pub reason: &'static str,
}

impl Support {
    /// The desk from settings looked up by name (the environment), each unset one the
    /// demo's.
    pub fn from_settings(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Malformed> {
        let demo = Self::default();
        let text = |name: &'static str, fallback: String| match lookup(name) {
            None => Ok(fallback),
            Some(value) => {
                let value = value.trim().to_owned();
                if value.is_empty() || value.chars().count() > 100 || value.contains('\n') {
                    Err(Malformed {
                        name,
                        reason: "must be one line of 1 to 100 characters",
                    })
                } else {
                    Ok(value)
                }
            }
        };
        let url = |name: &'static str, fallback: String| {
            let value = text(name, fallback)?;
            if value.starts_with("https://") || value.starts_with("http://") {
                Ok(value)
            } else {
                Err(Malformed {
                    name,
                    reason: "must be an http(s) URL",
                })
            }
        };
        Ok(Self {
            service_name: text(env::SERVICE_NAME, demo.service_name)?,
            desk_name: text(env::DESK_NAME, demo.desk_name)?,
            phone: text(env::PHONE, demo.phone)?,
            hours: text(env::HOURS, demo.hours)?,
            url: url(env::URL, demo.url)?,
            purchase_url: url(env::PURCHASE_URL, demo.purchase_url)?,
            upgrade_url: url(env::UPGRADE_URL, demo.upgrade_url)?,
        })
    }
}

impl Support {
    /// The sender of every mail: the configured address, under the service's name.
    pub fn sender(&self, address: &Mailbox) -> Mailbox {
        Mailbox::new(Some(self.service_name.clone()), address.email.clone())
    }

    /// The lines every mail ends with: the desk, its phone and its hours.
    pub fn signature(&self) -> String {
        format!(
            "\n--\n{service}\nお問い合わせ: {desk} {phone}\n受付時間: {hours}\n{url}\n本メールは送信専用です。ご返信いただいてもお答えできません。",
            service = self.service_name,
            desk = self.desk_name,
            phone = self.phone,
            hours = self.hours,
            url = self.url,
        )
    }
}
