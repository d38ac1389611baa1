//! The store conformance suite on DynamoDB Local (the same suite redb passes in core's unit
//! tests). `scripts/test` starts DynamoDB Local and runs these.

use madoguchi_core::store::conformance;

use crate::support::fresh_dynamodb_table;

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn dynamodb_passes_the_store_conformance_suite() {
    let store = fresh_dynamodb_table().await;
    conformance::run_all(&store).await;
}

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn dynamodb_creates_its_table_once_however_often_asked() {
    let store = fresh_dynamodb_table().await;
    store.ensure_table().await.unwrap();
    store.ensure_table().await.unwrap();
}

/// SPEC §1, §3: "a request costs the same however long the history grows". A page is one
/// Query of the page's items, whatever lies beyond it: the capacity DynamoDB reports for a
/// page of a long history (or ledger) is what a page of a short one costs.
#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn a_page_costs_the_same_however_long_the_list() {
    use madoguchi_core::domain::{
        CustomerId, Device, DeviceId, DeviceName, EventKind, HistoryEvent, Os, Product, Receipt,
        ReceiptKind, Serial,
    };
    use madoguchi_core::store::{Store, Write};

    let (store, meter) = fresh_dynamodb_table().await.metered();
    let at: jiff::Timestamp = "2026-11-22T00:00:00Z".parse().unwrap();
    let device = Device {
        device_id: DeviceId::parse("pc-1").unwrap(),
        os: Os::Windows,
        name: DeviceName::parse("居間のPC").unwrap(),
        activated_at: at,
    };
    let history_of = |events: u64| {
        let serial = Serial::generate(Product::SecuritySuite);
        let writes: Vec<Write> = (0..events)
            .map(|seq| Write::AppendHistory {
                serial: serial.clone(),
                seq,
                event: HistoryEvent {
                    at,
                    kind: EventKind::Moved,
                    device: device.clone(),
                    previous_device: Some(device.clone()),
                },
            })
            .collect();
        (serial, writes)
    };
    let ledger_of = |receipts: usize| {
        let owner = CustomerId::generate();
        let writes: Vec<Write> = (0..receipts)
            .map(|n| Write::PutReceipt {
                customer_id: owner.clone(),
                receipt: Receipt {
                    receipt_no: format!("R-{}-{n:06}", &owner.as_str()[3..]),
                    accepted_at: at + jiff::SignedDuration::from_secs(n as i64),
                    kind: ReceiptKind::Renewal,
                    summary: "セキュリティ対策ツールの更新（12か月）".into(),
                },
            })
            .collect();
        (owner, writes)
    };
    let (short_serial, short_history) = history_of(6);
    let (long_serial, long_history) = history_of(600);
    let (short_owner, short_ledger) = ledger_of(6);
    let (long_owner, long_ledger) = ledger_of(600);
    for writes in [short_history, long_history, short_ledger, long_ledger] {
        for chunk in writes.chunks(40) {
            store.commit(chunk.to_vec()).await.unwrap();
        }
    }
    let cost = |before: (f64, u64)| {
        let after = meter.read();
        (after.0 - before.0, after.1 - before.1)
    };

    let before = meter.read();
    let short = store.history(&short_serial, None, 5).await.unwrap();
    let short_cost = cost(before);
    let before = meter.read();
    let long = store.history(&long_serial, Some(300), 5).await.unwrap();
    let long_cost = cost(before);
    assert_eq!((short.items.len(), long.items.len()), (5, 5));
    assert_eq!(short_cost, long_cost, "a page of 6 events, a page of 600");
    assert_eq!(short_cost.1, 1, "one Query");

    let before = meter.read();
    let short = store.receipts_of(&short_owner, None, 5).await.unwrap();
    let short_cost = cost(before);
    let before = meter.read();
    let long = store.receipts_of(&long_owner, None, 5).await.unwrap();
    let long_cost = cost(before);
    assert_eq!((short.items.len(), long.items.len()), (5, 5));
    assert_eq!(short_cost, long_cost, "a page of 6 receipts, a page of 600");
    assert_eq!(short_cost.1, 1, "one Query");
}
