//! The request a piece of work was done for (docs/operations.md#request-ids): API Gateway's
//! `requestId` in the cloud, one generated here otherwise. The HTTP layer runs each request
//! inside [`scope`]; what the request creates (a mail, an order) records [`current`], so
//! that one member's complaint can be followed from the request to the mail's delivery and
//! the order's completion, through the logs that name the same id.

use std::future::Future;

use axum::http::HeaderValue;

tokio::task_local! {
    static REQUEST_ID: RequestId;
}

/// A request's id: 1–64 characters of letters, digits, `-`, `_` and `=`, so that it can go
/// into a header and a log line as it is. Kept as the header's value: the answer's
/// `x-request-id` is then this id's bytes shared, not copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(HeaderValue);

impl RequestId {
    /// A fresh id, for a request no gateway named: 20 characters of base 32 (100 random
    /// bits).
    pub fn generate() -> Self {
        const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
        let mut bits: u128 = rand::random();
        let id: [u8; 20] = std::array::from_fn(|_| {
            let char = ALPHABET[(bits & 31) as usize];
            bits >>= 5;
            char
        });
        Self(HeaderValue::from_bytes(&id).expect("base 32 fits a header"))
    }

    /// An id another system gave (API Gateway's, the Lambda runtime's), if it is one.
    pub fn parse(given: &str) -> Option<Self> {
        let fits = (1..=64).contains(&given.len())
            && given
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'='));
        fits.then(|| Self(HeaderValue::from_str(given).expect("checked to fit a header")))
    }

    pub fn as_str(&self) -> &str {
        // Only the characters checked above were ever put in.
        self.0.to_str().unwrap_or_default()
    }

    /// The id as the value of a header.
    pub fn header_value(&self) -> HeaderValue {
        self.0.clone()
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Runs `work` as done for `id`.
pub async fn scope<F: Future>(id: RequestId, work: F) -> F::Output {
    REQUEST_ID.scope(id, work).await
}

/// The id of the request being served, if this task serves one.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(|id| id.as_str().to_owned()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ids_that_fit_a_header_and_a_log_line_are_taken() {
        assert!(RequestId::parse("Ab3-x_Y=").is_some());
        assert!(RequestId::parse("").is_none());
        assert!(RequestId::parse("a b").is_none());
        assert!(RequestId::parse("a\nlevel=error").is_none());
        assert!(RequestId::parse(&"a".repeat(65)).is_none());
        assert_eq!(RequestId::generate().as_str().len(), 20);
    }

    #[tokio::test]
    async fn the_id_is_known_inside_its_scope_only() {
        assert_eq!(current(), None);
        let id = RequestId::parse("req-1").unwrap();
        let inside = scope(id, async { current() }).await;
        assert_eq!(inside.as_deref(), Some("req-1"));
        assert_eq!(current(), None);
    }
}
