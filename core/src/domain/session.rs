//! A logged-in session (docs/login.md) and its bearer token. Only the token's digest is
//! stored.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::customer::CustomerId;
use crate::secret::random_secret;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// SHA-256 of the token, hex: the key the session is stored under.
    pub token_digest: String,
    pub customer_id: CustomerId,
    pub created_at: Timestamp,
    /// Refreshed at most once per `Settings::session_touch_interval`.
    pub last_seen_at: Timestamp,
}

/// A session token (docs/login.md#sessions): the member's ID, a dot, and 256 random bits.
/// The ID lets a store find the session beside the member's own items, all in one read;
/// the random part is the secret.
pub fn new_session_token(member: &CustomerId) -> String {
    format!("{member}.{}", random_secret())
}

/// The member a bearer token names: `Some` for a token as issued now, `None` for one issued
/// before tokens named their member (the 43 random characters alone, live for at most the
/// 12 hours of a session's lifetime after the change). `Err` for anything this service never
/// issued, which no store is asked about.
pub fn token_member(token: &str) -> Result<Option<CustomerId>, NotAToken> {
    let (member, random) = match token.split_once('.') {
        // An ID is `CAF` and 7 digits: anything longer is not parsed at all.
        Some((member, random)) if member.len() == 10 => {
            let id = CustomerId::parse(member).map_err(|_| NotAToken)?;
            // Only the form issued: upper case, as the ID is stored.
            if id.as_str() != member {
                return Err(NotAToken);
            }
            (Some(id), random)
        }
        Some(_) => return Err(NotAToken),
        None => (None, token),
    };
    let random_part = random.len() == 43
        && random
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if random_part {
        Ok(member)
    } else {
        Err(NotAToken)
    }
}

/// A bearer token this service never issued.
#[derive(Debug, PartialEq, Eq)]
pub struct NotAToken;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_stored_as_digests() {
        let member = CustomerId::parse("CAF1234567").unwrap();
        let a = new_session_token(&member);
        let b = new_session_token(&member);
        assert_eq!(a.len(), "CAF1234567.".len() + 43);
        assert!(a.starts_with("CAF1234567."));
        assert_ne!(a, b);
        assert_eq!(crate::secret::token_digest(&a).len(), 64);
        assert_ne!(crate::secret::token_digest(&a), a);
        assert_eq!(token_member(&a), Ok(Some(member)));
    }

    #[test]
    fn a_token_names_its_member_or_is_of_the_earlier_form_or_is_none() {
        let random = random_secret();
        assert_eq!(token_member(&random), Ok(None));
        for never_issued in [
            String::new(),
            format!("caf1234567.{random}"),
            format!("CAF123.{random}"),
            format!("CAF1234567.{}", &random[1..]),
            format!("CAF1234567.{random}x"),
            format!("CAF1234567.{}+", &random[1..]),
            format!("CAF1234567..{}", &random[1..]),
            format!(".{random}"),
            format!("{}.{random}", "CAF1234567".repeat(100)),
            "A".repeat(44),
        ] {
            assert_eq!(
                token_member(&never_issued),
                Err(NotAToken),
                "{never_issued}"
            );
        }
    }
}
