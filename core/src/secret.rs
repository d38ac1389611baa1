//! Secrets: access-key hashing (argon2id), session tokens and random identifiers.
//!
//! Nothing here logs, and the types that hold a secret redact themselves in `Debug`.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use sha2::{Digest, Sha256};

/// docs/login.md: OWASP's argon2id parameters, m=19 MiB, t=2, p=1.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes an access key into a PHC string. CPU-bound for tens of milliseconds: call it off
/// the async runtime (`spawn_blocking`).
pub fn hash_access_key(key: &str) -> String {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2()
        .hash_password(key.as_bytes(), &salt)
        .expect("argon2 hashing with valid parameters")
        .to_string()
}

/// Verifies an access key against a stored PHC string; `None` verifies against a dummy hash
/// with the same parameters, so an unknown customer ID costs the same time as a known one.
pub fn verify_access_key(key: &str, stored: Option<&str>) -> bool {
    let phc = stored.unwrap_or(DUMMY_HASH);
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let matched = argon2().verify_password(key.as_bytes(), &parsed).is_ok();
    matched && stored.is_some()
}

/// A well-formed hash with the parameters above (a test checks they still agree) whose salt
/// and output were chosen at random: no key is known to match it, and the dummy verify needs
/// no hashing at start-up.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRmb3JkdW1teQ$kC4vFJ0y6GQ3cD5Ls3GmEM2vE+Rj0XUKCsZ9c5Y2pWo";

const KEY_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

/// A fresh access key: 20 characters without look-alikes (about 115 bits).
pub fn new_access_key() -> String {
    random_string(KEY_ALPHABET, 20)
}

pub fn random_string(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

pub fn random_digits(len: usize) -> String {
    random_string(b"0123456789", len)
}

/// 256 random bits, URL-safe base64 (43 characters).
pub fn random_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The form in which tokens are stored and looked up: a leaked table holds no usable token.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two secrets without leaking where they differ.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    Sha256::digest(a.as_bytes())
        .ct_eq(&Sha256::digest(b.as_bytes()))
        .into()
}

/// The server's own key for sealing stored answers (docs/api.md): answers that hold secrets
/// are never sealed with a key derived only from what a client sends. Locally a random
/// secret kept in the data dir; in the cloud a secret the template provides.
#[derive(Clone)]
pub struct SealingKey(std::sync::Arc<[u8; 32]>);

impl SealingKey {
    /// The fewest characters a configured secret may have.
    pub const MIN_SECRET_LEN: usize = 32;

    /// A fresh random secret, in the form `from_secret` takes (to be saved and reused).
    pub fn new_secret() -> String {
        random_secret()
    }

    pub fn from_secret(secret: &str) -> Result<Self, String> {
        let secret = secret.trim();
        if secret.chars().count() < Self::MIN_SECRET_LEN {
            return Err(format!(
                "at least {} characters are needed",
                Self::MIN_SECRET_LEN
            ));
        }
        Ok(Self(std::sync::Arc::new(
            Sha256::digest(secret.as_bytes()).into(),
        )))
    }

    /// A key of its own: a random secret nobody else holds (tests, one-off servers).
    pub fn generate() -> Self {
        Self::from_secret(&Self::new_secret()).expect("a new secret is long enough")
    }

    /// HMAC-SHA-256 over the length-delimited parts: one key per purpose and slot, which
    /// only the holder of this key can compute.
    pub fn derive(&self, parts: &[&str]) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<Sha256>::new_from_slice(self.0.as_slice()).expect("any key length");
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_key_verifies_and_a_wrong_one_does_not() {
        let hash = hash_access_key("Correct-Horse-9");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_access_key("Correct-Horse-9", Some(&hash)));
        assert!(!verify_access_key("correct-horse-9", Some(&hash)));
    }

    #[test]
    fn the_dummy_hash_uses_the_current_parameters_and_never_matches() {
        let parsed = PasswordHash::new(DUMMY_HASH).expect("dummy hash parses");
        let dummy = Params::try_from(&parsed).expect("dummy hash has params");
        let current = argon2().params().clone();
        let costs = |p: &Params| (p.m_cost(), p.t_cost(), p.p_cost());
        assert_eq!(costs(&dummy), costs(&current));
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert!(!verify_access_key("anything", None));
    }

    #[test]
    fn secrets_are_long_random_and_tokens_stored_as_digests() {
        let a = random_secret();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_secret());
        assert_eq!(token_digest(&a).len(), 64);
        assert_ne!(token_digest(&a), a);
    }

    #[test]
    fn sealing_keys_come_from_long_secrets_and_differ_per_secret() {
        assert!(SealingKey::from_secret("too short").is_err());
        let a = SealingKey::generate();
        let b = SealingKey::generate();
        assert_ne!(a.derive(&["x"]), b.derive(&["x"]));
        assert_ne!(a.derive(&["a b", "c"]), a.derive(&["a", "b c"]));
        assert_eq!(format!("{a:?}"), "SealingKey(..)");
    }
}
