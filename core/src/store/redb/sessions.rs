//! RedbStore's `Sessions` (the port is `store/sessions.rs`).

use std::sync::Arc;

use async_trait::async_trait;
use redb::WriteTransaction;

use super::change::Change;
use jiff::Timestamp;
use redb::{ReadableDatabase, ReadableTable};

use super::tables::{CUSTOMERS, SESSIONS};
use super::{RedbStore, decode, encode, read_row, read_serials_of};
use crate::domain::Session;
use crate::store::{SessionKey, SessionView, Sessions, StoreError};

#[async_trait]
impl Sessions for RedbStore {
    /// redb files a session by its digest alone, and needs not the member the token names.
    async fn session_view(
        &self,
        key: SessionKey<'_>,
        with_serials: bool,
    ) -> Result<Option<SessionView>, StoreError> {
        let token_digest = key.token_digest;
        if let Some(view) = self.views.get(token_digest, with_serials) {
            return Ok(Some(view));
        }
        // Taken before the read: a write committed meanwhile keeps the view from being kept.
        let seq = self.views.seq();
        let token_digest = token_digest.to_owned();
        let view = self
            .blocking(move |db| {
                // One read transaction, one trip to a reader thread: the session, its
                // member and their serials are one snapshot.
                let txn = db.begin_read()?;
                let Some(bytes) = txn.open_table(SESSIONS)?.get(token_digest.as_str())? else {
                    return Ok(None);
                };
                let session: Session = decode(bytes.value())?;
                let member = read_row(&txn, CUSTOMERS, session.customer_id.as_str())?;
                let serials = match (with_serials, &member) {
                    (true, Some(member)) => read_serials_of(&txn, member)?,
                    _ => Vec::new(),
                };
                Ok(Some(SessionView {
                    session,
                    member: member.map(Arc::new),
                    serials: serials.into(),
                    // Kept with the view, if the view is kept.
                    answers: Some(Arc::default()),
                }))
            })
            .await?;
        if let Some(view) = &view {
            self.views.keep(seq, view, with_serials);
        }
        Ok(view)
    }

    async fn session(&self, token_digest: &str) -> Result<Option<Session>, StoreError> {
        self.get(SESSIONS, token_digest.to_owned()).await
    }

    async fn touch_session(&self, key: SessionKey<'_>, at: Timestamp) -> Result<(), StoreError> {
        let token_digest = key.token_digest.to_owned();
        self.writer
            .apply(Change::TouchSession { token_digest, at })
            .await
            .map(|_| ())
    }
}

/// Refreshes a session's `last_seen_at`, if it is still there: a touch racing a logout
/// cannot bring the session back.
pub(super) fn touch(
    txn: &WriteTransaction,
    token_digest: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    let mut table = txn.open_table(SESSIONS)?;
    let stored = match table.get(token_digest)? {
        Some(bytes) => Some(decode::<Session>(bytes.value())?),
        None => None,
    };
    if let Some(mut session) = stored {
        session.last_seen_at = at;
        table.insert(token_digest, encode(&session)?.as_slice())?;
    }
    Ok(())
}
