//! Sessions (docs/login.md): a bearer token is valid until 13 idle minutes or 12 hours pass, or
//! the member logs out.
//!
//! Idleness is measured from the recorded `last_seen_at`, which is refreshed at most once a
//! minute; a session can therefore end up to a minute early, but never outlives the rule.

use std::sync::Arc;

use super::{Context, Error};
use crate::domain::token_member;
use crate::domain::{Customer, SerialRecord, Session};
use crate::secret::token_digest;
use crate::store::{SessionKey, SessionView, ViewAnswers, Write};

/// The session behind a bearer token, or 401.
pub async fn authenticate(ctx: &Context, token: &str) -> Result<Session, Error> {
    Ok(authenticate_view(ctx, token, false).await?.session)
}

/// A live session with its member, who is neither locked nor cancelled, and the member's
/// serials when they were asked for.
pub struct Authenticated {
    pub session: Session,
    pub member: Arc<Customer>,
    pub serials: Arc<[SerialRecord]>,
    /// The answers made from this view, kept with it (`store::ViewAnswers`); None when
    /// nothing keeps the view.
    pub answers: Option<Arc<ViewAnswers>>,
}

/// The session behind a bearer token with its member (and the member's serials when
/// `with_serials`), read in one trip to the store; or 401.
pub async fn authenticate_view(
    ctx: &Context,
    token: &str,
    with_serials: bool,
) -> Result<Authenticated, Error> {
    // Anything this service never issued is not looked up.
    let Ok(member) = token_member(token) else {
        return Err(Error::Unauthorized);
    };
    let digest = token_digest(token);
    let key = SessionKey {
        token_digest: &digest,
        member: member.as_ref(),
    };
    let Some(SessionView {
        session,
        member,
        serials,
        answers,
    }) = ctx.store.session_view(key, with_serials).await?
    else {
        return Err(Error::Unauthorized);
    };
    let now = ctx.clock.now();
    let settings = &ctx.settings;
    let idle_until = session.last_seen_at + settings.session_idle_timeout;
    let lifetime_until = session.created_at + settings.session_lifetime;
    if now >= idle_until || now >= lifetime_until {
        ctx.store
            .commit(vec![Write::DeleteSession {
                customer_id: session.customer_id,
                token_digest: digest,
            }])
            .await?;
        return Err(Error::Unauthorized);
    }
    // Locking, a new access key and cancellation end every session in the commit that makes
    // them; a member who is locked or cancelled is refused here as well, so that no session
    // can outlive them whatever a store's deletion missed.
    let Some(member) = member.filter(|m| !m.is_locked() && !m.is_cancelled()) else {
        return Err(Error::Unauthorized);
    };
    // Refresh `last_seen_at` at most once per interval, so that most reads stay reads.
    if now.duration_since(session.last_seen_at) >= settings.session_touch_interval {
        ctx.store.touch_session(key, now).await?;
    }
    Ok(Authenticated {
        session,
        member,
        serials,
        answers,
    })
}

/// `DELETE /v1/sessions/current`: the token is dead from now on.
pub async fn log_out(ctx: &Context, session: &Session) -> Result<(), Error> {
    ctx.store
        .commit(vec![Write::DeleteSession {
            customer_id: session.customer_id.clone(),
            token_digest: session.token_digest.clone(),
        }])
        .await?;
    tracing::info!(customer_id = %session.customer_id, "logged out");
    Ok(())
}
