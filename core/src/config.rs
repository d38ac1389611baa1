//! Configuration from the environment, in one place (README.md#running-locally, docs/cloud.md): a Lambda function and
//! local-dev read each variable the same way, and a missing or malformed one stops the
//! start with a message that names it.

use std::env::VarError;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

pub const TABLE: &str = "MADOGUCHI_TABLE";
pub const REMINDER_DAYS: &str = "MADOGUCHI_REMINDER_DAYS";
pub const ADMIN_TOKEN: &str = "MADOGUCHI_ADMIN_TOKEN";
pub const SMTP_URL: &str = "MADOGUCHI_SMTP_URL";
pub const MAIL_FROM: &str = "MADOGUCHI_MAIL_FROM";
pub const SEALING_KEY: &str = "MADOGUCHI_SEALING_KEY";
pub const EDGE_SECRET: &str = "MADOGUCHI_EDGE_SECRET";
/// The e-money payment page of a reader order, with `{order_no}` and `{amount}`
/// (docs/readers.md#payment).
pub const PAYMENT_URL: &str = "MADOGUCHI_PAYMENT_URL";
/// The EventBridge bus orders are handed to (docs/orders.md): its name or ARN.
pub const ORDER_BUS: &str = "MADOGUCHI_ORDER_BUS";
/// The members' portal, where the reminder mails link (docs/reminders.md).
pub const PORTAL_URL: &str = "MADOGUCHI_PORTAL_URL";
/// In the cloud the two secrets are not in a function's configuration: it names the
/// Secrets Manager secret, and reads it at its start (docs/cloud.md).
pub const SEALING_KEY_SECRET_ARN: &str = "MADOGUCHI_SEALING_KEY_SECRET_ARN";
pub const EDGE_SECRET_ARN: &str = "MADOGUCHI_EDGE_SECRET_ARN";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name} is malformed: {reason}")]
    Malformed { name: &'static str, reason: String },
}

/// What a Lambda function reads at start (docs/cloud.md). Not `Debug`: it holds the admin token.
#[derive(Clone)]
pub struct Config {
    /// The table the template created; a function never creates one.
    pub table: TableName,
    pub reminder_days: ReminderDays,
    /// Operators may also use this bearer token (the local emulator, tests); in the cloud
    /// they are IAM callers and it is unset.
    pub admin_token: Option<AdminToken>,
    /// The secret stored answers are sealed with (docs/api.md); the HTTP functions need it.
    pub sealing_key: Option<crate::secret::SealingKey>,
    /// What the portal's CloudFront adds to every request it passes on (docs/portal.md); unset
    /// where the API is reached directly.
    pub edge_secret: Option<EdgeSecret>,
    /// The Secrets Manager secrets that hold them, where they are not given as values.
    pub sealing_key_secret: Option<SecretArn>,
    pub edge_secret_secret: Option<SecretArn>,
    pub payment_url: PaymentUrl,
    /// The desk members are sent to (docs/support.md): `MADOGUCHI_SUPPORT_*`.
    pub support: crate::support::Support,
    /// `MADOGUCHI_PORTAL_URL`: an `http(s)://` address.
    pub portal_url: Option<String>,
}

/// The payment page's address with `{order_no}` in it (and `{amount}` where the page takes
/// it): an `https://` (or, for a local stand-in, `http://`) URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentUrl(pub String);

impl Default for PaymentUrl {
    fn default() -> Self {
        Self(crate::settings::DEFAULT_PAYMENT_URL.to_owned())
    }
}

impl FromStr for PaymentUrl {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        let value = value.trim();
        let web = value.starts_with("https://") || value.starts_with("http://");
        if web && value.contains("{order_no}") && !value.chars().any(char::is_whitespace) {
            Ok(Self(value.to_owned()))
        } else {
            Err(format!(
                "`{value}` is no http(s) URL with `{{order_no}}` in it"
            ))
        }
    }
}

/// The ARN of a Secrets Manager secret a function reads at its start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretArn(String);

impl FromStr for SecretArn {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value.starts_with("arn:") && value.contains(":secretsmanager:") {
            Ok(Self(value.to_owned()))
        } else {
            Err(format!(
                "`{value}` is not the ARN of a Secrets Manager secret"
            ))
        }
    }
}

impl SecretArn {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name))
    }

    /// The same, from any source of variables (tests use a map, not the process's
    /// environment, which every test shares).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Result<String, VarError>,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            table: parse(TABLE, required(&lookup, TABLE)?)?,
            reminder_days: optional(&lookup, REMINDER_DAYS)?
                .map(|value| parse(REMINDER_DAYS, value))
                .transpose()?
                .unwrap_or_default(),
            admin_token: admin_token(optional(&lookup, ADMIN_TOKEN)?)?,
            sealing_key: sealing_key(optional(&lookup, SEALING_KEY)?)?,
            edge_secret: optional(&lookup, EDGE_SECRET)?
                .map(|value| parse(EDGE_SECRET, value))
                .transpose()?,
            sealing_key_secret: optional(&lookup, SEALING_KEY_SECRET_ARN)?
                .map(|value| parse(SEALING_KEY_SECRET_ARN, value))
                .transpose()?,
            edge_secret_secret: optional(&lookup, EDGE_SECRET_ARN)?
                .map(|value| parse(EDGE_SECRET_ARN, value))
                .transpose()?,
            payment_url: optional(&lookup, PAYMENT_URL)?
                .map(|value| parse(PAYMENT_URL, value))
                .transpose()?
                .unwrap_or_default(),
            // A blank one is refused, not taken for unset: a desk without a phone is no desk.
            support: crate::support::Support::from_settings(|name| lookup(name).ok()).map_err(
                |malformed| ConfigError::Malformed {
                    name: malformed.name,
                    reason: malformed.reason.to_owned(),
                },
            )?,
            portal_url: optional(&lookup, PORTAL_URL)?
                .map(|value| web_address(PORTAL_URL, value))
                .transpose()?,
        })
    }

    /// The sealing key, which every HTTP function requires.
    pub fn required_sealing_key(&self) -> Result<crate::secret::SealingKey, ConfigError> {
        self.sealing_key
            .clone()
            .ok_or(ConfigError::Missing(SEALING_KEY))
    }
}

/// How mail leaves (docs/mail.md, docs/cloud.md): over SMTP when `MADOGUCHI_SMTP_URL` is set (lettre's URL
/// form), else through SES. Not `Debug`: an SMTP URL may hold a password.
#[derive(Clone)]
pub struct MailConfig {
    pub smtp_url: Option<String>,
    /// The sender; SES sends only from a verified identity, so without SMTP it is required.
    pub from: Option<String>,
}

impl MailConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name))
    }

    pub fn from_lookup(
        lookup: impl Fn(&str) -> Result<String, VarError>,
    ) -> Result<Self, ConfigError> {
        let config = Self {
            smtp_url: optional(&lookup, SMTP_URL)?,
            from: optional(&lookup, MAIL_FROM)?,
        };
        if config.smtp_url.is_none() && config.from.is_none() {
            return Err(ConfigError::Missing(MAIL_FROM));
        }
        Ok(config)
    }
}

/// The bus the cloud's dispatcher hands orders to (`MADOGUCHI_ORDER_BUS`, required there).
pub fn order_bus(lookup: impl Fn(&str) -> Result<String, VarError>) -> Result<String, ConfigError> {
    required(&lookup, ORDER_BUS).map(|bus| bus.trim().to_owned())
}

/// `MADOGUCHI_ADMIN_TOKEN` however it was given (local-dev also takes it as a flag); blank
/// is unset.
pub fn admin_token(value: Option<String>) -> Result<Option<AdminToken>, ConfigError> {
    value
        .filter(|value| !value.trim().is_empty())
        .map(|value| parse(ADMIN_TOKEN, value))
        .transpose()
}

/// `MADOGUCHI_SEALING_KEY` however it was given; blank is unset.
pub fn sealing_key(
    value: Option<String>,
) -> Result<Option<crate::secret::SealingKey>, ConfigError> {
    value
        .filter(|value| !value.trim().is_empty())
        .map(|value| {
            crate::secret::SealingKey::from_secret(&value).map_err(|reason| {
                ConfigError::Malformed {
                    name: SEALING_KEY,
                    reason,
                }
            })
        })
        .transpose()
}

fn required(
    lookup: &impl Fn(&str) -> Result<String, VarError>,
    name: &'static str,
) -> Result<String, ConfigError> {
    optional(lookup, name)?.ok_or(ConfigError::Missing(name))
}

/// A variable set to nothing counts as unset, as a template's empty parameter would be.
/// An `http(s)://` address without spaces.
fn web_address(name: &'static str, value: String) -> Result<String, ConfigError> {
    let value = value.trim().to_owned();
    let web = value.starts_with("https://") || value.starts_with("http://");
    if web && !value.chars().any(char::is_whitespace) {
        Ok(value)
    } else {
        Err(ConfigError::Malformed {
            name,
            reason: "not an http(s) address".to_owned(),
        })
    }
}

fn optional(
    lookup: &impl Fn(&str) -> Result<String, VarError>,
    name: &'static str,
) -> Result<Option<String>, ConfigError> {
    match lookup(name) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(VarError::NotPresent) => Ok(None),
        Err(VarError::NotUnicode(_)) => Err(ConfigError::Malformed {
            name,
            reason: "not valid UTF-8".to_owned(),
        }),
    }
}

fn parse<T: FromStr<Err = String>>(name: &'static str, value: String) -> Result<T, ConfigError> {
    value
        .parse()
        .map_err(|reason| ConfigError::Malformed { name, reason })
}

/// A DynamoDB table name (3–255 of `A-Z a-z 0-9 _ - .`) or a table's ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableName(String);

impl FromStr for TableName {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        let value = value.trim();
        let name_chars = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
        let is_name = (3..=255).contains(&value.len()) && value.chars().all(name_chars);
        if is_name || value.starts_with("arn:") {
            Ok(Self(value.to_owned()))
        } else {
            Err(format!(
                "`{value}` is not a DynamoDB table name (3–255 of A-Z a-z 0-9 _ - .)"
            ))
        }
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TableName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// docs/reminders.md: the days before expiry that get a reminder, written `30,14,7,1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderDays(pub Vec<u32>);

impl Default for ReminderDays {
    fn default() -> Self {
        Self(crate::Settings::default().reminder_thresholds)
    }
}

impl FromStr for ReminderDays {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        if value.trim().is_empty() {
            return Err("expected days before expiry, comma-separated, e.g. 30,14,7,1".to_owned());
        }
        value
            .split(',')
            .map(|day| {
                let day = day.trim();
                day.parse()
                    .map_err(|_| format!("`{day}` is not a whole number of days (e.g. 30,14,7,1)"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl fmt::Display for ReminderDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days: Vec<String> = self.0.iter().map(u32::to_string).collect();
        f.write_str(&days.join(","))
    }
}

/// The operators' bearer token (docs/operators.md): it travels in an `Authorization` header, so it
/// is visible ASCII. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(Arc<str>);

impl FromStr for AdminToken {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("expected visible ASCII characters without spaces".to_owned());
        }
        Ok(Self(value.into()))
    }
}

/// The secret that proves a request came through the portal's CloudFront, which alone may
/// say who the viewer is (`x-madoguchi-viewer-ip`). Not `Debug`-printable.
#[derive(Clone)]
pub struct EdgeSecret(Arc<str>);

impl FromStr for EdgeSecret {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value.len() < 32 || !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("expected at least 32 visible ASCII characters".to_owned());
        }
        Ok(Self(value.into()))
    }
}

impl fmt::Debug for EdgeSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EdgeSecret(…)")
    }
}

impl EdgeSecret {
    /// Compared in constant time: the header is the client's to choose.
    pub fn matches(&self, given: &[u8]) -> bool {
        use subtle::ConstantTimeEq as _;
        given.len() == self.0.len() && bool::from(given.ct_eq(self.0.as_bytes()))
    }
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(…)")
    }
}

impl AdminToken {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_shared(self) -> Arc<str> {
        self.0
    }
}

#[cfg(feature = "dynamodb")]
pub use self::aws::aws;

#[cfg(feature = "dynamodb")]
mod aws {
    use aws_config::{BehaviorVersion, SdkConfig};

    use super::ConfigError;

    const ENDPOINT: &str = "AWS_ENDPOINT_URL_DYNAMODB";
    /// The one file of root certificates TLS trusts (docs/cloud.md#certificates). Where it is
    /// set, the SDK's TLS loads it and nothing else; unset, it reads every file of the
    /// system's certificate directory as well, once per cold start.
    const CERT_FILE: &str = "SSL_CERT_FILE";

    /// The AWS SDK's configuration from the standard variables (`AWS_REGION`,
    /// `AWS_ENDPOINT_URL_DYNAMODB`, credentials…). The SDK's behaviour is pinned, so that
    /// an upgrade changes no default (retries, timeouts) without a change here.
    pub async fn aws() -> Result<SdkConfig, ConfigError> {
        if let Ok(endpoint) = std::env::var(ENDPOINT) {
            check_endpoint(&endpoint)?;
        }
        check_cert_file(std::env::var_os(CERT_FILE).as_deref())?;
        let sdk = aws_config::defaults(BehaviorVersion::v2026_01_12())
            .retry_config(retries())
            .load()
            .await;
        if sdk.region().is_none() {
            return Err(ConfigError::Missing("AWS_REGION"));
        }
        Ok(sdk)
    }

    /// The SDK's standard retries (three tries), from a 50 ms first pause instead of its
    /// default second: a DynamoDB call answers in milliseconds and a function has ten
    /// seconds, so a throttled or lost call is tried again soon, and the store's own retries
    /// (with their growing pauses) take over from there.
    fn retries() -> aws_config::retry::RetryConfig {
        aws_config::retry::RetryConfig::standard()
            .with_max_attempts(3)
            .with_initial_backoff(std::time::Duration::from_millis(50))
            .with_max_backoff(std::time::Duration::from_secs(1))
    }

    fn check_endpoint(endpoint: &str) -> Result<(), ConfigError> {
        let uri: axum::http::Uri = endpoint.parse().map_err(|_| malformed(endpoint))?;
        match (uri.scheme_str(), uri.authority()) {
            (Some("http" | "https"), Some(_)) => Ok(()),
            _ => Err(malformed(endpoint)),
        }
    }

    /// A certificate file that is not there would leave TLS with no roots, and every call
    /// to AWS failing: the start stops here instead, naming the variable.
    fn check_cert_file(path: Option<&std::ffi::OsStr>) -> Result<(), ConfigError> {
        match path.map(std::path::Path::new) {
            Some(path) if !path.is_file() => Err(ConfigError::Malformed {
                name: CERT_FILE,
                reason: format!("{} is not a file", path.display()),
            }),
            _ => Ok(()),
        }
    }

    fn malformed(endpoint: &str) -> ConfigError {
        ConfigError::Malformed {
            name: ENDPOINT,
            reason: format!("`{endpoint}` is not an http(s) URL"),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn an_endpoint_is_an_http_url() {
            assert!(check_endpoint("http://127.0.0.1:8000").is_ok());
            assert!(check_endpoint("https://dynamodb.ap-northeast-1.amazonaws.com").is_ok());
            for bad in ["127.0.0.1:8000", "localhost", "ftp://x", "/path"] {
                let error = check_endpoint(bad).unwrap_err();
                assert!(error.to_string().starts_with(ENDPOINT), "{bad}: {error}");
            }
        }

        #[test]
        fn a_certificate_file_that_is_not_there_stops_the_start_by_name() {
            assert!(check_cert_file(None).is_ok());
            let bundle = tempfile::NamedTempFile::new().unwrap();
            assert!(check_cert_file(Some(bundle.path().as_os_str())).is_ok());
            let error = check_cert_file(Some("/etc/pki/no-such-bundle.crt".as_ref())).unwrap_err();
            assert_eq!(
                error.to_string(),
                "SSL_CERT_FILE is malformed: /etc/pki/no-such-bundle.crt is not a file"
            );
            let directory = tempfile::tempdir().unwrap();
            assert!(check_cert_file(Some(directory.path().as_os_str())).is_err());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned().ok_or(VarError::NotPresent))
    }

    fn mail(vars: &[(&'static str, &'static str)]) -> Result<MailConfig, ConfigError> {
        let vars: HashMap<&str, &str> = vars.iter().copied().collect();
        MailConfig::from_lookup(|name| {
            vars.get(name)
                .map(|v| v.to_string())
                .ok_or(VarError::NotPresent)
        })
    }

    #[test]
    fn ses_needs_a_sender_and_smtp_does_not() {
        let error = mail(&[]).err().unwrap();
        assert_eq!(error, ConfigError::Missing(MAIL_FROM));
        assert!(error.to_string().contains("MADOGUCHI_MAIL_FROM"));
        let smtp = mail(&[(SMTP_URL, "smtp://127.0.0.1:2525")]).unwrap();
        assert_eq!(smtp.smtp_url.as_deref(), Some("smtp://127.0.0.1:2525"));
        assert!(smtp.from.is_none());
        let ses = mail(&[(MAIL_FROM, "madoguchi <no-reply@example.jp>")]).unwrap();
        assert!(ses.smtp_url.is_none());
    }

    #[test]
    fn the_table_is_required_and_named_when_missing() {
        let error = config(&[]).err().unwrap();
        assert_eq!(error, ConfigError::Missing(TABLE));
        assert_eq!(error.to_string(), "MADOGUCHI_TABLE is not set");
        assert_eq!(
            config(&[(TABLE, "  ")]).err().unwrap(),
            ConfigError::Missing(TABLE)
        );
    }

    #[test]
    fn defaults_apply_to_what_is_not_set() {
        let config = config(&[(TABLE, "madoguchi-Table-1ABC")]).unwrap();
        assert_eq!(config.table.as_str(), "madoguchi-Table-1ABC");
        assert_eq!(config.reminder_days, ReminderDays(vec![30, 14, 7, 1]));
        assert!(config.admin_token.is_none());
        assert_eq!(admin_token(Some(" ".to_owned())), Ok(None));
    }

    #[test]
    fn the_edge_secret_is_optional_but_never_short() {
        assert!(
            config(&[(TABLE, "madoguchi")])
                .unwrap()
                .edge_secret
                .is_none()
        );
        let long = "k".repeat(48);
        let set = config(&[(TABLE, "madoguchi"), (EDGE_SECRET, &long)]).unwrap();
        assert!(set.edge_secret.unwrap().matches(long.as_bytes()));
        let error = config(&[(TABLE, "madoguchi"), (EDGE_SECRET, "short")])
            .err()
            .unwrap();
        assert!(
            error.to_string().contains("MADOGUCHI_EDGE_SECRET"),
            "{error}"
        );
    }

    #[test]
    fn every_variable_is_read() {
        let config = config(&[
            (TABLE, "madoguchi"),
            (REMINDER_DAYS, "60, 30,1"),
            (ADMIN_TOKEN, "s3cret-token"),
        ])
        .unwrap();
        assert_eq!(config.reminder_days, ReminderDays(vec![60, 30, 1]));
        assert_eq!(config.admin_token.unwrap().as_str(), "s3cret-token");
    }

    #[test]
    fn a_malformed_variable_is_named() {
        for (vars, name) in [
            (vec![(TABLE, "a b")], TABLE),
            (vec![(TABLE, "x")], TABLE),
            (
                vec![(TABLE, "madoguchi"), (REMINDER_DAYS, "30,fourteen")],
                REMINDER_DAYS,
            ),
            (
                vec![(TABLE, "madoguchi"), (REMINDER_DAYS, "30,-1")],
                REMINDER_DAYS,
            ),
            (
                vec![(TABLE, "madoguchi"), (ADMIN_TOKEN, "two words")],
                ADMIN_TOKEN,
            ),
        ] {
            let error = config(&vars).err().unwrap();
            assert!(
                matches!(&error, ConfigError::Malformed { name: n, .. } if *n == name),
                "{vars:?}: {error}"
            );
            assert!(error.to_string().starts_with(name), "{error}");
        }
    }

    #[test]
    fn a_variable_that_is_not_unicode_is_malformed() {
        let error = Config::from_lookup(|name| match name {
            TABLE => Err(VarError::NotUnicode("\u{fffd}".into())),
            _ => Err(VarError::NotPresent),
        })
        .err()
        .unwrap();
        assert!(matches!(error, ConfigError::Malformed { name: TABLE, .. }));
    }

    #[test]
    fn reminder_days_read_back_as_written() {
        let days: ReminderDays = "30,14,7,1".parse().unwrap();
        assert_eq!(days.to_string(), "30,14,7,1");
        assert!("".parse::<ReminderDays>().is_err());
        assert!("30,,7".parse::<ReminderDays>().is_err());
    }

    #[test]
    fn the_admin_token_never_shows_in_debug() {
        let token: AdminToken = "s3cret-token".parse().unwrap();
        assert!(!format!("{token:?}").contains("s3cret"));
    }

    #[test]
    fn the_sealing_key_is_required_by_http_functions_and_must_be_long() {
        let without = config(&[(TABLE, "madoguchi")]).unwrap();
        assert_eq!(
            without.required_sealing_key().err(),
            Some(ConfigError::Missing(SEALING_KEY))
        );
        let short = config(&[(TABLE, "madoguchi"), (SEALING_KEY, "short")]);
        assert!(matches!(
            short.err(),
            Some(ConfigError::Malformed {
                name: SEALING_KEY,
                ..
            })
        ));
        let long = "a-sealing-key-of-more-than-32-characters";
        let with = config(&[(TABLE, "madoguchi"), (SEALING_KEY, long)]).unwrap();
        assert!(with.required_sealing_key().is_ok());
    }
}
