//! アカウントロック解除 (docs/login.md#self-service-unlock): a one-time code mailed to a locked member.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::CustomerId;
use super::text::normalise;

/// The 8-digit code a locked member types. A secret: no `Display`, a redacted `Debug`.
#[derive(Clone)]
pub struct UnlockCode(String);

impl UnlockCode {
    pub const DIGITS: usize = 8;

    /// What was typed, if it can be a code at all (full-width digits are digits).
    pub fn parse(input: &str) -> Option<Self> {
        let value = normalise(input);
        (value.len() == Self::DIGITS && value.bytes().all(|b| b.is_ascii_digit()))
            .then_some(Self(value))
    }

    pub fn generate() -> Self {
        Self(crate::secret::random_digits(Self::DIGITS))
    }

    /// The form the code is stored in: bound to its member, so one digest never fits
    /// another member's code.
    pub fn digest(&self, customer_id: &CustomerId) -> String {
        crate::secret::token_digest(&format!("unlock {customer_id} {}", self.0))
    }

    /// The code itself, for the mail that carries it and nowhere else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for UnlockCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnlockCode(..)")
    }
}

/// A member's self-service unlock state, kept on the member so that issuing, trying and
/// using a code each change one record with the lock itself.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Unlock {
    /// The digest of the one valid code; `None` when there is none (used, void, replaced
    /// by nothing yet).
    pub code_digest: Option<String>,
    pub code_expires_at: Option<Timestamp>,
    /// Wrong tries against the current code; the fifth voids it.
    pub wrong_tries: u32,
    /// When codes were mailed, within the last hour (at most 3 an hour).
    pub codes_sent: Vec<Timestamp>,
}

impl Unlock {
    /// Forgets the current code (used, or the lock was lifted another way).
    pub fn void_code(&mut self) {
        self.code_digest = None;
        self.code_expires_at = None;
        self.wrong_tries = 0;
    }
}
