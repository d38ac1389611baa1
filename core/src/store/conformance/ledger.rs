//! A member's lists read a page at a time: a serial's history and the receipts.

use super::*;

/// docs/api.md, docs/usage.md: a serial's history oldest first and a member's ledger newest first, a page
/// at a time from the place the previous page ended; the last page says nothing follows.
pub(super) async fn lists_are_read_a_page_at_a_time(store: &dyn Store) {
    use crate::domain::{
        Device, DeviceId, DeviceName, EventKind, HistoryEvent, Os, Product, Receipt, ReceiptKind,
        Serial,
    };
    let serial = Serial::generate(Product::SecuritySuite);
    let device = Device {
        device_id: DeviceId::parse("pc-1").expect("valid"),
        os: Os::Windows,
        name: DeviceName::parse("PC").expect("valid"),
        activated_at: at(0),
    };
    for seq in 0..7 {
        let event = HistoryEvent {
            at: at(seq as i64),
            kind: EventKind::Activated,
            device: device.clone(),
            previous_device: None,
        };
        store
            .commit(vec![Write::AppendHistory {
                serial: serial.clone(),
                seq,
                event,
            }])
            .await
            .expect("event");
    }
    let mut read = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let page = store.history(&serial, after, 3).await.expect("a page");
        assert!(page.items.len() <= 3);
        read.extend(page.items.iter().map(|e| e.at));
        pages += 1;
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        read,
        (0..7).map(at).collect::<Vec<_>>(),
        "oldest first, once each"
    );
    let whole = store.history(&serial, None, 7).await.expect("read");
    assert_eq!(
        (whole.items.len(), whole.next),
        (7, None),
        "an exact fit is the last page"
    );
    assert!(
        store
            .history(&serial, Some(6), 3)
            .await
            .expect("read")
            .items
            .is_empty()
    );
    assert!(
        store
            .history(&serial, Some(u64::MAX), 3)
            .await
            .expect("read")
            .items
            .is_empty()
    );

    // Receipts accepted within one second: their places keep the instant as filed, so a
    // page ends between them and the next one still finds the older.
    let customer_id = fresh_id();
    let other = fresh_id();
    let nanos = |n: i64| at(1) + jiff::SignedDuration::from_nanos(n);
    let filed = [
        (nanos(500), "B"),
        (nanos(200), "A"),
        (nanos(200), "C"),
        (at(3), "D"),
    ];
    for (accepted_at, suffix) in filed {
        for owner in [&customer_id, &other] {
            let receipt = Receipt {
                receipt_no: format!("R-PAGE-{}-{suffix}", owner.as_str()),
                accepted_at,
                kind: ReceiptKind::Renewal,
                summary: "s".into(),
                order_no: None,
            };
            store
                .commit(vec![Write::PutReceipt {
                    customer_id: owner.clone(),
                    receipt,
                }])
                .await
                .expect("filed");
        }
    }
    let mut read = Vec::new();
    let mut before: Option<ReceiptPlace> = None;
    loop {
        let page = store
            .receipts_of(&customer_id, before.as_ref(), 1)
            .await
            .expect("a page");
        read.extend(page.items.iter().map(|r| r.receipt_no.clone()));
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    let expected: Vec<String> = ["D", "B", "C", "A"]
        .iter()
        .map(|suffix| format!("R-PAGE-{}-{suffix}", customer_id.as_str()))
        .collect();
    assert_eq!(
        read, expected,
        "newest first, only the member's own, once each"
    );
}
