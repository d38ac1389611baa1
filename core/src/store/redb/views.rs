//! Session views kept in memory: what `Store::session_view` read for a token, answered
//! again without a trip to a reader thread until a write changes it.
//!
//! Every authenticated request reads its session, its member and (for usage) the member's
//! serials; under load the trip to a reader thread and back was most of the read path's
//! cost (docs/performance.md). redb is opened by one process only and every change goes
//! through this store, so the process can know when a view it keeps goes stale:
//!
//! - Every write reaches the file as a `Change` (`change.rs`), and the writer forgets the
//!   views of every session and member the change touched (`Change::touched`), after its
//!   transaction is committed and before it is answered: a request that starts after a
//!   write was answered never sees a view from before it. (A request running in the moment
//!   between the commit and the forgetting may see the view from before, as it would had
//!   it read a moment earlier.)
//! - A view read while a write committed may be from before that write. Each forgetting
//!   counts one more change (`seq`); a view is kept only if no change was counted since
//!   before its read began, so a view from before a write is never kept after it.
//! - The sweep's batches are changes too: the sessions they remove are forgotten with them.
//!
//! The service catalogue is kept the same way: every member's `GET /v1/services` reads it,
//! and only an operator's change to an entry (`Write::PutCatalogueEntry`) makes it stale.
//! So is the first page of each member's orders (`GET /v1/orders` without a cursor): every
//! write of an order names its member, and forgets that member's page.
//!
//! At most `MOST_KEPT` views are kept; past that they are all forgotten, and the busy ones
//! come back with their next read.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::domain::catalogue::CatalogueEntry;
use crate::domain::{CustomerId, Order};
use crate::store::{OrderPlace, Page, SessionView, Write};

const MOST_KEPT: usize = 16_384;
/// The most orders the kept first pages hold together (an empty page counts as one): a
/// page may hold up to 200 orders, each with its steps, so the pages' count alone would
/// not bound their memory.
const MOST_ORDERS_KEPT: usize = 16_384;

#[derive(Default)]
pub(super) struct Views {
    kept: Mutex<Kept>,
    /// Set to keep nothing (`RedbStore::keep_session_views`).
    keeping_none: AtomicBool,
}

#[derive(Default)]
struct Kept {
    /// Changes counted so far.
    seq: u64,
    by_token: HashMap<String, View>,
    /// Each member's tokens with a view kept.
    by_member: HashMap<CustomerId, HashSet<String>>,
    catalogue: Option<Arc<[CatalogueEntry]>>,
    /// Each member's first page of orders, and the page size it was read with.
    first_orders: HashMap<CustomerId, (usize, Arc<OrderPage>)>,
    /// What the kept pages count toward `MOST_ORDERS_KEPT`.
    orders_kept: usize,
}

type OrderPage = Page<Order, OrderPlace>;

/// What a kept page counts toward `MOST_ORDERS_KEPT`: its orders, an empty page one.
fn weight_of(page: &OrderPage) -> usize {
    page.items.len().max(1)
}

/// Shared, so that a request clones a pointer under the lock and the view outside it.
#[derive(Clone)]
struct View {
    view: Arc<SessionView>,
    with_serials: bool,
}

/// The sessions and members a commit writes.
#[derive(Default)]
pub(super) struct Touched {
    sessions: Vec<String>,
    members: Vec<CustomerId>,
    catalogue: bool,
}

impl Touched {
    pub(super) fn by(writes: &[Write]) -> Self {
        let mut touched = Self::default();
        for write in writes {
            match write {
                Write::PutCustomer(customer) => {
                    touched.members.push(customer.record.customer_id.clone())
                }
                Write::PutSerial(serial) => {
                    touched.members.push(serial.record.customer_id.clone());
                }
                Write::PutSession(session) => {
                    touched.sessions.push(session.token_digest.clone());
                }
                Write::DeleteSession { token_digest, .. } => {
                    touched.sessions.push(token_digest.clone());
                }
                Write::DeleteSessionsOf { customer_id } => {
                    touched.members.push(customer_id.clone());
                }
                Write::PutCatalogueEntry(_) => touched.catalogue = true,
                Write::PutOrder { order, .. } => {
                    touched.members.push(order.record.customer_id.clone());
                }
                // Nothing a session view holds.
                Write::CheckSerial { .. }
                | Write::CheckCustomer { .. }
                | Write::AppendHistory { .. }
                | Write::PutProvider(_)
                | Write::PutCode(_)
                | Write::PutReceipt { .. }
                | Write::PutIdempotency(_)
                | Write::RecordReminder { .. }
                | Write::EnqueueMail(_)
                | Write::RecordReminderRun(_) => {}
            }
        }
        touched
    }

    pub(super) fn sessions(token_digests: Vec<String>) -> Self {
        Self {
            sessions: token_digests,
            ..Self::default()
        }
    }

    fn is_empty(&self) -> bool {
        self.sessions.is_empty() && self.members.is_empty() && !self.catalogue
    }
}

impl Views {
    /// The view kept for a token, if it holds what is asked for.
    pub(super) fn get(&self, token_digest: &str, with_serials: bool) -> Option<SessionView> {
        let kept = self.lock().by_token.get(token_digest).cloned()?;
        if with_serials && !kept.with_serials {
            return None;
        }
        let view = &kept.view;
        // Serials only when asked for, as a read gives them; and the answers kept with the
        // view only with them, so that no answer is ever made from a view without them.
        let (serials, answers) = if with_serials {
            (view.serials.clone(), view.answers.clone())
        } else {
            (Arc::default(), None)
        };
        Some(SessionView {
            session: view.session.clone(),
            member: view.member.clone(),
            serials,
            answers,
        })
    }

    /// The changes counted so far: taken before a read, given back to `keep`.
    pub(super) fn seq(&self) -> u64 {
        self.lock().seq
    }

    /// Whether views are kept; turned off, every kept view is forgotten.
    pub(super) fn keep_any(&self, keep: bool) {
        self.keeping_none.store(!keep, Ordering::Relaxed);
        if !keep {
            let mut kept = self.lock();
            // A change counted: a view read before this and kept after it is refused.
            kept.seq += 1;
            kept.catalogue = None;
            let forgotten = kept.take();
            let orders = kept.take_orders();
            drop(kept);
            drop((forgotten, orders));
        }
    }

    /// Keeps a view read after `seq` was taken, unless something changed since.
    pub(super) fn keep(&self, seq: u64, view: &SessionView, with_serials: bool) {
        if self.keeping_none.load(Ordering::Relaxed) {
            return;
        }
        let token = view.session.token_digest.clone();
        let member = view.session.customer_id.clone();
        let view = View {
            view: Arc::new(view.clone()),
            with_serials,
        };
        let mut kept = self.lock();
        if kept.seq != seq {
            return;
        }
        // Past the bound every view goes (dropped once the lock is let go); the busy ones
        // come back with their next read.
        let forgotten = (kept.by_token.len() >= MOST_KEPT).then(|| kept.take());
        kept.by_member
            .entry(member)
            .or_default()
            .insert(token.clone());
        kept.by_token.insert(token, view);
        drop(kept);
        drop(forgotten);
    }

    /// The catalogue, if kept.
    pub(super) fn catalogue(&self) -> Option<Arc<[CatalogueEntry]>> {
        self.lock().catalogue.clone()
    }

    /// Keeps the catalogue read after `seq` was taken, unless something changed since; the
    /// catalogue to answer with. One kept already (by a read that raced this one) stays and is
    /// answered, so that the answers made from it (`ViewAnswers`) stay the same.
    pub(super) fn keep_catalogue(
        &self,
        seq: u64,
        catalogue: Arc<[CatalogueEntry]>,
    ) -> Arc<[CatalogueEntry]> {
        if self.keeping_none.load(Ordering::Relaxed) {
            return catalogue;
        }
        let mut kept = self.lock();
        if kept.seq != seq {
            return catalogue;
        }
        Arc::clone(kept.catalogue.get_or_insert(catalogue))
    }

    /// A member's first page of orders of `limit`, if kept.
    pub(super) fn first_orders(&self, member: &CustomerId, limit: usize) -> Option<OrderPage> {
        let (kept_limit, page) = self.lock().first_orders.get(member).cloned()?;
        (kept_limit == limit).then(|| OrderPage::clone(&page))
    }

    /// Keeps a member's first page of orders read after `seq` was taken, unless something
    /// changed since.
    pub(super) fn keep_first_orders(
        &self,
        seq: u64,
        member: &CustomerId,
        limit: usize,
        page: &OrderPage,
    ) {
        if self.keeping_none.load(Ordering::Relaxed) {
            return;
        }
        let weight = weight_of(page);
        if weight > MOST_ORDERS_KEPT {
            return;
        }
        let page = Arc::new(page.clone());
        let mut kept = self.lock();
        if kept.seq != seq {
            return;
        }
        // Past the bound every page goes, as views do.
        let forgotten = (kept.orders_kept + weight > MOST_ORDERS_KEPT).then(|| kept.take_orders());
        let replaced = kept.first_orders.insert(member.clone(), (limit, page));
        kept.orders_kept += weight;
        if let Some((_, old)) = &replaced {
            kept.orders_kept -= weight_of(old);
        }
        drop(kept);
        drop((forgotten, replaced));
    }

    /// Forgets the views a commit made stale; called once it is committed, before its
    /// writes are answered.
    pub(super) fn forget(&self, touched: &Touched) {
        if touched.is_empty() {
            return;
        }
        let mut forgotten = Vec::new();
        let mut kept = self.lock();
        kept.seq += 1;
        if touched.catalogue {
            kept.catalogue = None;
        }
        for token in &touched.sessions {
            if let Some(view) = kept.by_token.remove(token) {
                let member = &view.view.session.customer_id;
                if let Some(tokens) = kept.by_member.get_mut(member) {
                    tokens.remove(token);
                    if tokens.is_empty() {
                        kept.by_member.remove(member);
                    }
                }
                forgotten.push(view);
            }
        }
        let mut pages = Vec::new();
        for member in &touched.members {
            for token in kept.by_member.remove(member).unwrap_or_default() {
                forgotten.extend(kept.by_token.remove(&token));
            }
            if let Some((_, page)) = kept.first_orders.remove(member) {
                kept.orders_kept -= weight_of(&page);
                pages.push(page);
            }
        }
        // The lock goes first, then what was forgotten.
        drop(kept);
        drop((forgotten, pages));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        // Nothing is left half-changed by a panic under this lock that a reader could
        // trust wrongly: at worst a view is missing, or a member lists a token too many.
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Kept {
    /// Every kept page of orders, taken out, to be dropped after the lock is let go.
    fn take_orders(&mut self) -> HashMap<CustomerId, (usize, Arc<OrderPage>)> {
        self.orders_kept = 0;
        std::mem::take(&mut self.first_orders)
    }

    /// Every view, taken out, to be dropped by the caller after the lock is let go.
    fn take(&mut self) -> (HashMap<String, View>, HashMap<CustomerId, HashSet<String>>) {
        (
            std::mem::take(&mut self.by_token),
            std::mem::take(&mut self.by_member),
        )
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::domain::Session;

    fn view_of(token: &str, member: &CustomerId) -> SessionView {
        SessionView {
            session: Session {
                token_digest: token.to_owned(),
                customer_id: member.clone(),
                created_at: Timestamp::UNIX_EPOCH,
                last_seen_at: Timestamp::UNIX_EPOCH,
            },
            member: None,
            serials: Arc::default(),
            answers: Some(Arc::default()),
        }
    }

    #[test]
    fn a_view_read_before_a_write_is_not_kept_after_it() {
        let member = CustomerId::parse("CAF1234567").unwrap();
        let views = Views::default();
        let seq = views.seq();
        views.forget(&Touched::by(&[Write::DeleteSessionsOf {
            customer_id: member.clone(),
        }]));
        views.keep(seq, &view_of("a", &member), true);
        assert!(views.get("a", false).is_none());

        let seq = views.seq();
        views.keep(seq, &view_of("a", &member), false);
        assert!(views.get("a", false).is_some());
        assert!(views.get("a", true).is_none(), "kept without the serials");
    }

    #[test]
    fn only_a_view_with_its_serials_shares_the_answers_kept_with_it() {
        let member = CustomerId::parse("CAF1234567").unwrap();
        let views = Views::default();
        views.keep(views.seq(), &view_of("a", &member), true);
        let with = views.get("a", true).unwrap().answers.unwrap();
        let again = views.get("a", true).unwrap().answers.unwrap();
        assert!(Arc::ptr_eq(&with, &again));
        assert!(views.get("a", false).unwrap().answers.is_none());
    }

    #[test]
    fn a_write_forgets_the_views_of_its_sessions_and_members_only() {
        let (one, other) = (
            CustomerId::parse("CAF1234567").unwrap(),
            CustomerId::parse("CAF7654321").unwrap(),
        );
        let views = Views::default();
        for (token, member) in [("a", &one), ("b", &one), ("c", &other), ("d", &other)] {
            views.keep(views.seq(), &view_of(token, member), true);
        }
        views.forget(&Touched::by(&[Write::DeleteSessionsOf {
            customer_id: one.clone(),
        }]));
        views.forget(&Touched::sessions(vec!["c".to_owned()]));
        let kept: Vec<_> = ["a", "b", "c", "d"]
            .into_iter()
            .filter(|token| views.get(token, true).is_some())
            .collect();
        assert_eq!(kept, ["d"]);
        // A forgotten session leaves its member's list too: touches (once a minute per
        // session) do not pile up.
        views.forget(&Touched::sessions(vec!["d".to_owned()]));
        assert!(views.lock().by_member.is_empty());
        // A write of nothing a view holds forgets nothing and counts no change.
        let seq = views.seq();
        views.forget(&Touched::by(&[Write::RecordReminder { key: "r".into() }]));
        assert_eq!(views.seq(), seq);
    }

    #[test]
    fn the_catalogue_is_kept_until_an_entry_is_written() {
        let views = Views::default();
        let entry = crate::domain::catalogue::default_entry(crate::domain::Service::Security);
        let seq = views.seq();
        views.forget(&Touched::by(&[Write::PutCatalogueEntry(entry.clone())]));
        views.keep_catalogue(seq, Arc::from([entry.clone()]));
        assert!(views.catalogue().is_none(), "read before a change to it");

        let kept = views.keep_catalogue(views.seq(), Arc::from([entry.clone()]));
        // A read that raced the first one is answered with the one kept.
        let raced = views.keep_catalogue(views.seq(), Arc::from([entry.clone()]));
        assert!(Arc::ptr_eq(&kept, &raced));
        views.forget(&Touched::sessions(vec!["a".to_owned()]));
        assert!(views.catalogue().is_some(), "a session's write leaves it");
        views.forget(&Touched::by(&[Write::PutCatalogueEntry(entry)]));
        assert!(views.catalogue().is_none());
    }

    #[test]
    fn a_members_first_orders_are_kept_until_an_order_of_theirs_is_written() {
        let member = CustomerId::parse("CAF1234567").unwrap();
        let other = CustomerId::parse("CAF7654321").unwrap();
        let page = |orders: Vec<Order>| OrderPage {
            items: orders,
            next: None,
        };
        let theirs = Order::place(
            &member,
            "R-1",
            crate::domain::OrderDetails::LineTermination,
            Timestamp::UNIX_EPOCH,
        );
        let placed = || Write::place_order(theirs.clone());
        let views = Views::default();

        let seq = views.seq();
        views.forget(&Touched::by(&[placed()]));
        views.keep_first_orders(seq, &member, 20, &page(Vec::new()));
        assert!(
            views.first_orders(&member, 20).is_none(),
            "read before an order of theirs was written"
        );

        views.keep_first_orders(views.seq(), &member, 20, &page(vec![theirs.clone()]));
        assert_eq!(views.first_orders(&member, 20).unwrap().items.len(), 1);
        assert!(
            views.first_orders(&member, 5).is_none(),
            "another page size"
        );
        views.forget(&Touched::by(&[Write::DeleteSessionsOf {
            customer_id: other.clone(),
        }]));
        assert!(
            views.first_orders(&member, 20).is_some(),
            "another member's write"
        );
        views.forget(&Touched::by(&[placed()]));
        assert!(views.first_orders(&member, 20).is_none());
        assert_eq!(
            views.lock().orders_kept,
            0,
            "a forgotten page counts no more"
        );
    }

    #[test]
    fn the_kept_pages_of_orders_hold_at_most_so_many_orders() {
        let views = Views::default();
        let members: Vec<CustomerId> = (0..3).map(|_| CustomerId::generate()).collect();
        let page = |n: usize| OrderPage {
            items: (0..n)
                .map(|i| {
                    Order::place(
                        &members[0],
                        &format!("R-{i}"),
                        crate::domain::OrderDetails::LineTermination,
                        Timestamp::UNIX_EPOCH,
                    )
                })
                .collect(),
            next: None,
        };
        let half = page(MOST_ORDERS_KEPT / 2);
        views.keep_first_orders(views.seq(), &members[0], 200, &half);
        views.keep_first_orders(views.seq(), &members[1], 200, &half);
        assert_eq!(views.lock().orders_kept, MOST_ORDERS_KEPT);
        views.keep_first_orders(views.seq(), &members[2], 200, &page(0));
        assert!(
            views.first_orders(&members[0], 200).is_none(),
            "past the bound"
        );
        assert!(views.first_orders(&members[2], 200).is_some());
        assert_eq!(views.lock().orders_kept, 1, "an empty page counts one");
    }

    #[test]
    fn views_turned_off_are_forgotten_and_none_is_kept_until_turned_on() {
        let member = CustomerId::parse("CAF1234567").unwrap();
        let views = Views::default();
        views.keep(views.seq(), &view_of("a", &member), true);
        views.keep_any(false);
        assert!(views.get("a", true).is_none(), "forgotten");
        views.keep(views.seq(), &view_of("a", &member), true);
        assert!(views.get("a", true).is_none(), "not kept");
        views.keep_any(true);
        views.keep(views.seq(), &view_of("a", &member), true);
        assert!(views.get("a", true).is_some());
    }
}
