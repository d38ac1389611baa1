//! Set-up through the store itself, where the API would be slow or cannot go: many live
//! sessions, a member grown past what one commit creates.

use super::*;

impl TestApp {
    /// `count` live sessions of the member, stored as a login stores them (test setup that
    /// spares the argon2 verify of each login); their tokens.
    pub async fn sessions_of(&self, member: &Member, count: usize) -> Vec<String> {
        use madoguchi_core::domain::Session;
        use madoguchi_core::store::Write;
        let customer_id = CustomerId::parse(&member.customer_id).unwrap();
        let now = self.clock.now();
        let tokens: Vec<String> = (0..count)
            .map(|_| madoguchi_core::domain::new_session_token(&customer_id))
            .collect();
        for chunk in tokens.chunks(40) {
            let writes = chunk
                .iter()
                .map(|token| {
                    Write::PutSession(Session {
                        token_digest: madoguchi_core::secret::token_digest(token),
                        customer_id: customer_id.clone(),
                        created_at: now,
                        last_seen_at: now,
                    })
                })
                .collect();
            self.ctx.store.commit(writes).await.unwrap();
        }
        tokens
    }

    /// Grows the member by `count` term licences ending on `expires_on`, every other one
    /// in use (past what the API creates at once; see `store::fixtures`).
    pub async fn grow(&self, member: &mut Member, count: usize, expires_on: &str) {
        let customer_id = CustomerId::parse(&member.customer_id).unwrap();
        let grown = madoguchi_core::store::fixtures::grow_member(
            self.ctx.store.as_ref(),
            &customer_id,
            count,
            expires_on.parse().unwrap(),
            self.clock.now(),
        )
        .await
        .unwrap();
        member
            .serials
            .extend(grown.into_iter().map(|s| s.to_string()));
    }

    /// The member's serials as stored: how many are still usable, and how many history
    /// events say a device lost its licence.
    pub async fn usable_serials(&self, member: &Member) -> (usize, usize) {
        let customer_id = CustomerId::parse(&member.customer_id).unwrap();
        madoguchi_core::store::fixtures::usable_and_deactivated(
            self.ctx.store.as_ref(),
            &customer_id,
        )
        .await
        .unwrap()
    }
}
