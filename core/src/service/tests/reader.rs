//! docs/readers.md: paid card readers, five at most, at 2,777 yen each.

use super::{Counter, Member};
use crate::domain::MailKind;
use crate::domain::OrderStatus;
use crate::domain::{PaymentMethod, Price, Reader, ReaderStatus, ReaderType};
use crate::service::Error;
use crate::service::reader::{OrderRequest, Outcome, order, readers};

/// docs/readers.md: base 2,500 + tax 250 + fee 27 (1% of 2,750, rounded down).
const RENTAL: Price = Price {
    base: 2_500,
    tax: 250,
    fee: 27,
    total: 2_777,
};

async fn place(
    counter: &Counter,
    member: &Member,
    reader_type: ReaderType,
    dry_run: bool,
) -> Result<Outcome, Error> {
    let request = OrderRequest {
        reader_type,
        payment_method: PaymentMethod::Chocom,
        dry_run,
    };
    order(&counter.ctx, &member.id, request, None).await
}

async fn held(counter: &Counter, member: &Member) -> Vec<Reader> {
    readers(&counter.ctx, &member.id).await.unwrap().readers
}

/// docs/readers.md: the starter-kit reader counts towards the five, so four rentals fill them;
/// a dry run quotes and orders nothing; an order awaits payment and is mailed.
#[tokio::test]
async fn four_rentals_fill_the_five_places_with_the_starter_reader() {
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    let before = held(&counter, &member).await;
    assert_eq!(before.len(), 1);
    assert!(!before[0].rental);
    assert_eq!(before[0].status, ReaderStatus::Delivered);

    let quoted = place(&counter, &member, ReaderType::UsbMac, true).await;
    let Ok(Outcome::Quote(quote)) = quoted else {
        panic!("a dry run did not quote");
    };
    assert_eq!(quote.price, RENTAL);
    assert_eq!(held(&counter, &member).await.len(), 1);

    for n in 1..=4 {
        let placed = place(&counter, &member, ReaderType::UsbWindows, false).await;
        let Ok(Outcome::Ordered(ordered)) = placed else {
            panic!("order {n} was not placed");
        };
        assert_eq!(ordered.price, RENTAL);
        assert!(matches!(ordered.status, OrderStatus::AwaitingPayment));
        assert!(ordered.reader.rental);
        assert_eq!(ordered.reader.status, ReaderStatus::AwaitingPayment);
    }
    let sixth = place(&counter, &member, ReaderType::UsbWindows, false).await;
    assert_refused!(sixth, Error::ReaderLimitReached);
    let quote_past_the_limit = place(&counter, &member, ReaderType::UsbMac, true).await;
    assert_refused!(quote_past_the_limit, Error::ReaderLimitReached);
    assert_eq!(held(&counter, &member).await.len(), 5);
    let mails = counter.mails(&member, MailKind::ReaderOrdered).await;
    assert_eq!(mails.len(), 4);
    assert!(mails.iter().all(|m| m.body.contains("2,777円")));
}

/// docs/readers.md: the PC card reader is announced but not orderable.
#[tokio::test]
async fn an_announced_reader_type_cannot_be_ordered() {
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    let catalog = readers(&counter.ctx, &member.id).await.unwrap().catalog;
    let announced = catalog
        .iter()
        .find(|entry| entry.reader_type == ReaderType::PcCardWindows)
        .expect("listed");
    assert!(!announced.available);
    let refused = place(&counter, &member, ReaderType::PcCardWindows, true).await;
    assert_refused!(refused, Error::ReaderTypeUnavailable);
}

/// docs/readers.md, docs/orders.md: a rental's status follows its order: paid, shipped (with
/// its mail), delivered. An order that fails (unpaid by its due date) takes the reader off
/// the member's list and frees its place; one withdrawn before it ships, too.
#[tokio::test]
async fn a_rental_follows_its_order_from_payment_to_delivery() {
    use crate::service::orders::{self, Progress};
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    let Ok(Outcome::Ordered(ordered)) =
        place(&counter, &member, ReaderType::UsbWindows, false).await
    else {
        panic!("an order");
    };
    assert!(ordered.order_no.as_str().starts_with("OD-"));
    assert_eq!(ordered.payment.amount, 2_777);
    assert!(ordered.payment.url.contains(ordered.order_no.as_str()));
    assert!(ordered.payment.url.contains("2777"));
    assert_eq!(
        ordered.payment.due_on,
        counter.ctx.today() + jiff::Span::new().days(7)
    );
    let mail = &counter.mails(&member, MailKind::ReaderOrdered).await[0];
    assert!(mail.body.contains(&ordered.payment.url));
    assert!(mail.body.contains(ordered.order_no.as_str()));

    let status_of = |readers: Vec<Reader>, id: &str| {
        readers
            .into_iter()
            .find(|r| r.reader_id == id)
            .map(|r| r.status)
    };
    let id = ordered.reader.reader_id.clone();
    for (step, (status, reader)) in [
        (OrderStatus::Paid, ReaderStatus::Paid),
        (OrderStatus::Shipped, ReaderStatus::Shipped),
        (OrderStatus::Completed, ReaderStatus::Delivered),
    ]
    .into_iter()
    .enumerate()
    {
        let progress = Progress {
            event_id: format!("bo-{step}"),
            status,
            reason: None,
        };
        orders::report(&counter.ctx, &ordered.order_no, &progress)
            .await
            .unwrap();
        assert_eq!(status_of(held(&counter, &member).await, &id), Some(reader));
    }
    assert_eq!(
        counter.mails(&member, MailKind::ReaderShipped).await.len(),
        1
    );

    // Unpaid by its due date: the back office fails it, and the place is free again.
    let Ok(Outcome::Ordered(unpaid)) = place(&counter, &member, ReaderType::UsbMac, false).await
    else {
        panic!("an order");
    };
    let expired = Progress {
        event_id: "bo-expired".into(),
        status: OrderStatus::Failed,
        reason: Some(crate::domain::order::reason::PAYMENT_EXPIRED.into()),
    };
    orders::report(&counter.ctx, &unpaid.order_no, &expired)
        .await
        .unwrap();
    assert_eq!(
        status_of(held(&counter, &member).await, &unpaid.reader.reader_id),
        None
    );
    let failed = counter.mails(&member, MailKind::OrderFailed).await;
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0].body.contains("ご入金が確認できませんでした"),
        "{}",
        failed[0].body
    );

    // Withdrawn while paid but not shipped.
    let Ok(Outcome::Ordered(withdrawn)) = place(&counter, &member, ReaderType::UsbMac, false).await
    else {
        panic!("an order");
    };
    let paid = Progress {
        event_id: "bo-paid".into(),
        status: OrderStatus::Paid,
        reason: None,
    };
    orders::report(&counter.ctx, &withdrawn.order_no, &paid)
        .await
        .unwrap();
    orders::withdraw(&counter.ctx, &member.id, &withdrawn.order_no, None)
        .await
        .unwrap();
    let left = held(&counter, &member).await;
    assert_eq!(left.len(), 2, "the starter kit and the delivered rental");
}

/// docs/readers.md#payment: the daily job fails an order still unpaid after its due date,
/// once, mails why and frees its place; an order paid, or still within its days, stays.
#[tokio::test]
async fn the_daily_job_fails_orders_unpaid_after_their_due_date() {
    use crate::service::orders::{self, Progress};
    use crate::service::reader::expire_unpaid;
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    let (counter, member) = (&counter, &member);
    let ordered = |reader_type| async move {
        match place(counter, member, reader_type, false).await {
            Ok(Outcome::Ordered(ordered)) => ordered,
            Ok(Outcome::Quote(_)) => panic!("quoted, not ordered"),
            Err(error) => panic!("no order: {error:?}"),
        }
    };
    // Placed on 2026-11-22 (Japan): due on 2026-11-29.
    let unpaid = ordered(ReaderType::UsbMac).await;
    assert_eq!(unpaid.payment.due_on, super::date("2026-11-29"));
    let paid = ordered(ReaderType::UsbWindows).await;
    let payment = Progress {
        event_id: "bo-paid".into(),
        status: OrderStatus::Paid,
        reason: None,
    };
    orders::report(&counter.ctx, &paid.order_no, &payment)
        .await
        .unwrap();
    counter.advance(jiff::SignedDuration::from_hours(24));
    let later = ordered(ReaderType::UsbMac).await;

    // On its due date it may still be paid.
    assert_eq!(
        expire_unpaid(&counter.ctx, super::date("2026-11-29"))
            .await
            .unwrap(),
        0
    );
    // The day after, it fails; the one placed a day later is due that day and stays.
    assert_eq!(
        expire_unpaid(&counter.ctx, super::date("2026-11-30"))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        expire_unpaid(&counter.ctx, super::date("2026-11-30"))
            .await
            .unwrap(),
        0
    );

    let status = |order_no| async move {
        orders::order_of(&counter.ctx, &member.id, order_no)
            .await
            .unwrap()
    };
    let failed = status(&unpaid.order_no).await;
    assert_eq!(failed.status, OrderStatus::Failed);
    assert_eq!(failed.reason.as_deref(), Some("payment_expired"));
    let stored = counter.ctx.store.order(&unpaid.order_no).await.unwrap();
    assert!(
        stored.is_some_and(|o| o.publication.pending),
        "the back office is told, and closes the payment"
    );
    // Listed as unpaid, then paid before the job's commit: the payment stands.
    assert!(
        !orders::expire_payment(&counter.ctx, &paid.order_no)
            .await
            .unwrap()
    );
    assert_eq!(status(&paid.order_no).await.status, OrderStatus::Paid);
    assert_eq!(
        status(&later.order_no).await.status,
        OrderStatus::AwaitingPayment
    );
    let left = held(counter, member).await;
    assert!(left.iter().all(|r| r.reader_id != unpaid.reader.reader_id));
    assert_eq!(
        left.len(),
        3,
        "the starter kit, the paid one and the later one"
    );
    let mails = counter.mails(member, MailKind::OrderFailed).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].body.contains("ご入金が確認できませんでした"));
}
