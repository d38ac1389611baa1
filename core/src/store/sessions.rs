//! Sessions: one by its token's digest, the view a member's request reads before its
//! answer, and the refresh of `last_seen_at` (at most once a minute, docs/login.md#sessions).

use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;

use crate::domain::{Customer, CustomerId, SerialRecord, Session};
use crate::store::{Members, StoreError, ViewAnswers};

/// How a store finds a session: its token's digest, and the member the token names
/// (`domain::token_member`). A token issued before tokens named their member names none.
#[derive(Debug, Clone, Copy)]
pub struct SessionKey<'a> {
    pub token_digest: &'a str,
    pub member: Option<&'a CustomerId>,
}

impl Session {
    /// How a store finds this session, made from a token that names its member (every
    /// session written since tokens name their member).
    pub fn key(&self) -> SessionKey<'_> {
        SessionKey {
            token_digest: &self.token_digest,
            member: Some(&self.customer_id),
        }
    }
}

/// A session as one read sees it: the session, its member (None once deleted), and the
/// member's serials when they were asked for. Not `Debug`: the member holds the key's hash.
/// The member and serials are shared: a view kept in memory (the redb store's) is answered
/// again without copying them.
#[derive(Clone)]
pub struct SessionView {
    pub session: Session,
    pub member: Option<Arc<Customer>>,
    pub serials: Arc<[SerialRecord]>,
    /// The answers made from this view, kept while the view is (`answers.rs`); None for a
    /// view nothing keeps.
    pub answers: Option<Arc<ViewAnswers>>,
}

#[async_trait]
pub trait Sessions: Members + Send + Sync {
    /// A session filed by its token's digest alone: on redb every session; on DynamoDB only
    /// one of a token that names no member (core/src/store/README.md#sessions). A member's
    /// request finds its session with `session_view`.
    async fn session(&self, token_digest: &str) -> Result<Option<Session>, StoreError>;

    /// A session with its member, and with the member's serials when `with_serials`, read
    /// together: what a member's request needs before its answer (docs/login.md's checks, and
    /// the whole of the usage answer's) in one trip to the store. redb reads it in one read
    /// transaction, DynamoDB in one Query of the member's partition; by default it is the
    /// reads one after another.
    async fn session_view(
        &self,
        key: SessionKey<'_>,
        with_serials: bool,
    ) -> Result<Option<SessionView>, StoreError> {
        self.session_view_in_turn(key.token_digest, with_serials)
            .await
    }

    /// The session, then its member (and serials): two reads, one after the other.
    async fn session_view_in_turn(
        &self,
        token_digest: &str,
        with_serials: bool,
    ) -> Result<Option<SessionView>, StoreError> {
        let Some(session) = self.session(token_digest).await? else {
            return Ok(None);
        };
        let (member, serials) = if with_serials {
            match self.customer_with_serials(&session.customer_id).await? {
                Some((member, serials)) => (Some(member), serials),
                None => (None, Vec::new()),
            }
        } else {
            (self.customer(&session.customer_id).await?, Vec::new())
        };
        Ok(Some(SessionView {
            session,
            member: member.map(Arc::new),
            serials: serials.into(),
            answers: None,
        }))
    }

    /// Refreshes `last_seen_at` of a session that still exists. One conditional write of its
    /// own, never part of a commit: a session already gone means nothing to do, so a touch
    /// racing a logout cannot bring the session back.
    async fn touch_session(&self, key: SessionKey<'_>, at: Timestamp) -> Result<(), StoreError>;
}
