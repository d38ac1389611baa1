//! Checks of `Orders` (the port is `store/orders.rs`).

use super::{at, customer, fresh_id, is_conflict};
use crate::domain::{Order, OrderDetails, OrderStatus, order::reason};
use crate::store::{Expect, OrderPlace, PublishPlace, Store, Write};

/// A moment of this check's own, far from every other check's, so that the lists by
/// status (shared by every member) hold this check's orders alone around it.
fn own_moment() -> i64 {
    let digits: String = crate::secret::random_digits(8);
    1_000_000 + digits.parse::<i64>().expect("digits") * 1_000
}

/// An order is written once under its number, read back by it, moved only from the
/// version read, and listed under its member and its status as it moves; its hand-over
/// is listed while pending and from when it is due.
pub(super) async fn orders_are_listed_as_they_move(store: &dyn Store) {
    let id = fresh_id();
    let base = own_moment();
    store
        .commit(vec![Write::put_customer(customer(&id), Expect::Absent)])
        .await
        .expect("a member");
    let first = Order::place(&id, "R-1", OrderDetails::LineTermination, at(base));
    let second = Order::place(&id, "R-2", OrderDetails::LineTermination, at(base + 1));
    for order in [&first, &second] {
        store
            .commit(vec![Write::place_order(order.clone())])
            .await
            .expect("placed");
    }
    assert!(
        is_conflict(store.commit(vec![Write::place_order(first.clone())]).await),
        "an order number is written once"
    );
    let stored = store
        .order(&first.order_no)
        .await
        .expect("read")
        .expect("the order");
    assert_eq!(stored.version, 1);
    assert_eq!(stored.status, OrderStatus::Accepted);
    assert_eq!(stored.details, OrderDetails::LineTermination);

    // The member's orders, newest first, a page at a time.
    let page = store.orders_of(&id, None, 1).await.expect("a page");
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].order_no, second.order_no);
    let next = page.next.expect("more follow");
    assert_eq!(next, OrderPlace::of(&second));
    let last = store.orders_of(&id, Some(&next), 1).await.expect("a page");
    assert_eq!(last.items[0].order_no, first.order_no);
    assert!(last.next.is_none(), "the last page says so");

    // The hand-over list holds both, from when they were placed.
    let due = store
        .orders_to_publish(at(base + 1), None, 1_000)
        .await
        .expect("the hand-overs due");
    assert!(due.contains(&PublishPlace::of(&first).expect("pending")));
    assert!(due.contains(&PublishPlace::of(&second).expect("pending")));
    let not_yet = store
        .orders_to_publish(at(base), None, 1_000)
        .await
        .expect("the hand-overs due");
    assert!(!not_yet.iter().any(|p| p.order_no == second.order_no));

    // Published, then moved: off the hand-over list, from one status list to the next.
    let both = store.orders_of(&id, None, 2).await.expect("a page");
    assert_eq!(both.items[1].status, OrderStatus::Accepted);
    let mut moved = stored.clone();
    moved.publication.pending = false;
    moved
        .advance(Some("e-1"), OrderStatus::InProgress, None, at(base + 2))
        .expect("a move on its track");
    store
        .commit(vec![Write::move_order(moved.clone(), &stored)])
        .await
        .expect("moved");
    assert!(
        is_conflict(
            store
                .commit(vec![Write::move_order(moved.clone(), &stored)])
                .await
        ),
        "a move from a version no longer stored conflicts"
    );
    let both = store.orders_of(&id, None, 2).await.expect("a page");
    assert_eq!(
        both.items[1].status,
        OrderStatus::InProgress,
        "a page read before the move is not answered after it"
    );
    let after_ours = OrderPlace {
        placed_at: at(base + 2),
        order_no: first.order_no.clone(),
    };
    let in_progress = store
        .orders_in(OrderStatus::InProgress, Some(&after_ours), 1)
        .await
        .expect("a page");
    assert_eq!(in_progress.items[0].order_no, first.order_no);
    let accepted = store
        .orders_in(OrderStatus::Accepted, Some(&after_ours), 1)
        .await
        .expect("a page");
    assert_eq!(
        accepted.items[0].order_no, second.order_no,
        "the moved order left the list of its old status"
    );
    let due = store
        .orders_to_publish(at(base + 10), None, 1_000)
        .await
        .expect("the hand-overs due");
    assert!(!due.iter().any(|p| p.order_no == first.order_no));

    // Withdrawn: pending again, to tell the back office.
    let read_second = store
        .order(&second.order_no)
        .await
        .expect("read")
        .expect("the order");
    let mut withdrawn = read_second.clone();
    withdrawn.publication.pending = false;
    withdrawn
        .withdraw(reason::WITHDRAWN, at(base + 3))
        .expect("withdrawable");
    store
        .commit(vec![Write::move_order(withdrawn.clone(), &read_second)])
        .await
        .expect("withdrawn");
    let due = store
        .orders_to_publish(at(base + 3), None, 1_000)
        .await
        .expect("the hand-overs due");
    assert_eq!(
        due.iter().filter(|p| p.order_no == second.order_no).count(),
        1,
        "listed once, under its new due time"
    );
    let failed = store
        .orders_in(OrderStatus::Failed, Some(&after_ours), 1)
        .await
        .expect("a page");
    assert_eq!(failed.items[0].order_no, second.order_no);
    assert_eq!(failed.items[0].reason(), Some(reason::WITHDRAWN));

    // The order longest in a status is read in one go: one placed before every other
    // check's orders (in 2001) heads its list.
    let earliest = Order::place(&id, "R-3", OrderDetails::LineTermination, at(-794_000_000));
    store
        .commit(vec![Write::place_order(earliest.clone())])
        .await
        .expect("placed");
    assert_eq!(
        store
            .oldest_in(OrderStatus::Accepted)
            .await
            .expect("the oldest"),
        Some(OrderPlace::of(&earliest))
    );
}
