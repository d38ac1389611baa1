//! DynamoStore's `Sessions` (the port is `store/sessions.rs`). A session is filed in its
//! member's partition, after their serials, so that what a member's request reads before
//! its answer is one request (core/src/store/README.md#sessions): usage's session, member
//! and serials one Query; any other request's session and member one `BatchGetItem`.
//! Sessions of tokens that name no member were filed in a partition of their own; they are
//! read as before, in two requests.

use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;

use super::item::sort_key;
use super::members::in_members_order;
use super::{DynamoStore, keys, record};
use crate::domain::{CustomerId, Session};
use crate::store::{SessionKey, SessionView, Sessions, StoreError};

impl DynamoStore {
    /// The session and its member alone, by their keys in one `BatchGetItem`: what every
    /// request needs but those answered with the serials (usage, the services list), at a
    /// cost that does not grow with the member's serials or sessions, as the Query's would.
    async fn session_with_member(
        &self,
        owner: &CustomerId,
        token_digest: &str,
    ) -> Result<Option<SessionView>, StoreError> {
        let [session, member] = self
            .items_together([
                keys::member_session(owner, token_digest),
                keys::member(owner),
            ])
            .await?;
        let Some(session) = session
            .map(record::<Session>)
            .transpose()?
            .filter(|s| s.customer_id == *owner)
        else {
            return Ok(None);
        };
        Ok(Some(SessionView {
            session,
            member: member.map(record).transpose()?.map(Arc::new),
            serials: Arc::default(),
            answers: None,
        }))
    }
}

#[async_trait]
impl Sessions for DynamoStore {
    async fn session(&self, token_digest: &str) -> Result<Option<Session>, StoreError> {
        self.get(keys::legacy_session(token_digest)).await
    }

    async fn session_view(
        &self,
        key: SessionKey<'_>,
        with_serials: bool,
    ) -> Result<Option<SessionView>, StoreError> {
        let Some(owner) = key.member else {
            return self
                .session_view_in_turn(key.token_digest, with_serials)
                .await;
        };
        if !with_serials {
            return self.session_with_member(owner, key.token_digest).await;
        }
        let own = keys::member_session(owner, key.token_digest).sk;
        let (mut session, mut member, mut serials) = (None, None, Vec::new());
        for item in self
            .query_range(keys::session_view(owner, key.token_digest))
            .await?
        {
            match sort_key(&item) {
                sk if sk == own => session = Some(record::<Session>(item)?),
                sk if keys::is_member(sk) => member = Some(record(item)?),
                sk if keys::is_serial(sk) => serials.push(record(item)?),
                // Another session of the member's.
                _ => {}
            }
        }
        // The digest covers the whole token, ID included; a session of another member
        // under this key would be a store fault, and is no session of this token's.
        let Some(session) = session.filter(|s: &Session| s.customer_id == *owner) else {
            return Ok(None);
        };
        let (member, serials) = match member {
            Some(member) => {
                let (member, serials) = in_members_order(member, serials);
                (Some(Arc::new(member)), serials)
            }
            None => (None, Vec::new()),
        };
        Ok(Some(SessionView {
            session,
            member,
            serials: serials.into(),
            answers: None,
        }))
    }

    async fn touch_session(&self, key: SessionKey<'_>, at: Timestamp) -> Result<(), StoreError> {
        let item = match key.member {
            Some(owner) => keys::member_session(owner, key.token_digest),
            None => keys::legacy_session(key.token_digest),
        };
        let sent = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(item.attributes()))
            .condition_expression("attribute_exists(pk)")
            .update_expression("SET last_seen_at = :at")
            .expression_attribute_values(":at", serde_dynamo::to_attribute_value(at)?)
            .set_return_consumed_capacity(self.capacity())
            .send()
            .await;
        // The session gone means nothing to refresh.
        self.applied(sent, |o| &o.consumed_capacity)?;
        Ok(())
    }
}
