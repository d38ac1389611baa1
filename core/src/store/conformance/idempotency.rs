//! The guards idempotency records and activation history stand on.

use super::*;

/// The guards idempotency and activation history stand on.
pub(super) async fn claims_and_history_are_guarded(store: &dyn Store) {
    let key = format!("conformance-claim-{}", fresh_id());
    let claim = |expect| {
        Write::put_idempotency(
            IdempotencyRecord {
                key: key.clone(),
                request_digest: "d".into(),
                created_at: at(0),
                response: None,
                version: 0,
            },
            expect,
        )
    };
    store
        .commit(vec![claim(Expect::Absent)])
        .await
        .expect("first claim");
    assert!(
        is_conflict(store.commit(vec![claim(Expect::Absent)]).await),
        "second claim"
    );
    assert_eq!(
        store
            .idempotency(&key)
            .await
            .expect("read")
            .expect("kept")
            .version,
        1
    );
    store
        .release_claim(&key, 7)
        .await
        .expect("releasing another claim is a no-op");
    assert!(store.idempotency(&key).await.expect("read").is_some());
    store.release_claim(&key, 1).await.expect("release");
    assert!(store.idempotency(&key).await.expect("read").is_none());
    store
        .commit(vec![claim(Expect::Absent)])
        .await
        .expect("claimed again after release");

    let serial = crate::domain::Serial::generate(crate::domain::Product::SecuritySuite);
    let device = crate::domain::Device {
        device_id: crate::domain::DeviceId::parse("pc-1").expect("valid"),
        os: crate::domain::Os::Windows,
        name: crate::domain::DeviceName::parse("PC").expect("valid"),
        activated_at: at(0),
    };
    let event = |seq| Write::AppendHistory {
        serial: serial.clone(),
        seq,
        event: crate::domain::HistoryEvent {
            at: at(seq as i64),
            kind: crate::domain::EventKind::Activated,
            device: device.clone(),
            previous_device: None,
        },
    };
    store.commit(vec![event(0)]).await.expect("event 0");
    assert!(
        is_conflict(store.commit(vec![event(0)]).await),
        "event 0 twice"
    );
    store.commit(vec![event(1)]).await.expect("event 1");
    let history = store.history(&serial, None, 10).await.expect("read");
    assert_eq!(history.items.len(), 2);
}
