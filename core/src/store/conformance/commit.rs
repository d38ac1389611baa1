//! Commits: all or nothing, versions and "not there yet" conditions, one winner among
//! concurrent writers.

use super::*;

pub(super) async fn versions_guard_every_replacement(store: &dyn Store) {
    let id = fresh_id();
    let put = |c: Customer, expect| vec![Write::put_customer(c, expect)];
    store
        .commit(put(customer(&id), Expect::Absent))
        .await
        .expect("create");
    assert!(
        is_conflict(store.commit(put(customer(&id), Expect::Absent)).await),
        "created twice"
    );
    let stored = store.customer(&id).await.expect("read").expect("exists");
    assert_eq!(stored.version, 1);
    assert!(
        is_conflict(store.commit(put(stored.clone(), Expect::Version(7))).await),
        "stale version"
    );
    store
        .commit(put(stored.clone(), Expect::Version(1)))
        .await
        .expect("current version");
    assert!(
        is_conflict(store.commit(put(stored, Expect::Version(1))).await),
        "lost update"
    );
    assert_eq!(
        store
            .customer(&id)
            .await
            .expect("read")
            .expect("exists")
            .version,
        2
    );
    let check = Write::CheckCustomer {
        customer_id: id.clone(),
        version: 1,
    };
    assert!(
        is_conflict(store.commit(vec![check]).await),
        "a check on an old version"
    );
}

pub(super) async fn a_failing_write_leaves_nothing_of_its_commit(store: &dyn Store) {
    let id = fresh_id();
    let key = format!("conformance:{id}");
    let claim = IdempotencyRecord {
        key: key.clone(),
        request_digest: "d".into(),
        created_at: at(0),
        response: None,
        version: 0,
    };
    let writes = vec![
        Write::put_idempotency(claim, Expect::Absent),
        Write::EnqueueMail(Mail::new(
            &Email::parse("atomic@example.jp").expect("valid"),
            MailKind::AccountLocked,
            "s".into(),
            "b".into(),
            at(1),
        )),
        // The customer does not exist: this condition fails the whole commit.
        Write::CheckCustomer {
            customer_id: id,
            version: 1,
        },
    ];
    assert!(is_conflict(store.commit(writes).await));
    assert!(
        store.idempotency(&key).await.expect("read").is_none(),
        "the claim was rolled back"
    );
    let mails = store
        .mails_to(&Email::parse("atomic@example.jp").expect("valid"))
        .await
        .expect("read");
    assert!(mails.is_empty(), "the mail was rolled back");
}

pub(super) async fn codes_receipts_providers_and_reminders_are_written_once(store: &dyn Store) {
    use crate::domain::{
        CodeRecord, Product, Provider, ProviderCode, Receipt, ReceiptKind, RenewalCode,
    };
    let code = RenewalCode::generate();
    let record = |version| CodeRecord {
        code: code.clone(),
        product: Product::SecuritySuite,
        term_months: 12,
        created_at: at(0),
        redeemed: None,
        version,
    };
    store
        .commit(vec![Write::put_code(record(0), Expect::Absent)])
        .await
        .expect("issued");
    assert!(is_conflict(
        store
            .commit(vec![Write::put_code(record(0), Expect::Absent)])
            .await
    ));
    store
        .commit(vec![Write::put_code(record(1), Expect::Version(1))])
        .await
        .expect("redeemed");
    assert!(
        is_conflict(
            store
                .commit(vec![Write::put_code(record(1), Expect::Version(1))])
                .await
        ),
        "redeemed twice"
    );
    assert_eq!(
        store
            .code(&code)
            .await
            .expect("read")
            .expect("kept")
            .version,
        2
    );

    let customer_id = fresh_id();
    let receipt = |no: &str, second| Write::PutReceipt {
        customer_id: customer_id.clone(),
        receipt: Receipt {
            receipt_no: no.to_owned(),
            accepted_at: at(second),
            kind: ReceiptKind::ReaderOrder,
            summary: "s".into(),
            order_no: None,
        },
    };
    let first = format!("R-CONF-{}", customer_id.as_str());
    let second = format!("R-CONF2-{}", customer_id.as_str());
    store.commit(vec![receipt(&first, 1)]).await.expect("first");
    store
        .commit(vec![receipt(&second, 2)])
        .await
        .expect("second");
    assert!(
        is_conflict(store.commit(vec![receipt(&first, 3)]).await),
        "numbers are unique"
    );
    let ledger: Vec<String> = store
        .receipts_of(&customer_id, None, 10)
        .await
        .expect("read")
        .items
        .into_iter()
        .map(|r| r.receipt_no)
        .collect();
    assert_eq!(ledger, [second, first], "newest first");

    let provider = Provider {
        provider_code: ProviderCode::parse(&format!("C{}", &customer_id.as_str()[3..]))
            .expect("valid"),
        provider_name: "p".into(),
        service_name: "s".into(),
    };
    store
        .commit(vec![Write::PutProvider(provider.clone())])
        .await
        .expect("registered");
    assert!(is_conflict(
        store
            .commit(vec![Write::PutProvider(provider.clone())])
            .await
    ));
    assert!(
        store
            .providers()
            .await
            .expect("read")
            .iter()
            .any(|p| p.provider_code == provider.provider_code)
    );

    let reminder = format!("conformance|{}|30", customer_id.as_str());
    assert!(!store.reminder_sent(&reminder).await.expect("read"));
    store
        .commit(vec![Write::RecordReminder {
            key: reminder.clone(),
        }])
        .await
        .expect("recorded");
    assert!(is_conflict(
        store
            .commit(vec![Write::RecordReminder {
                key: reminder.clone()
            }])
            .await
    ));
    assert!(store.reminder_sent(&reminder).await.expect("read"));
}

/// Many commits expecting the same version, at once: exactly one lands (this is what makes
/// one of 200 concurrent redemptions win, and one of 50 activations hold at a time).
pub(super) async fn concurrent_writers_on_one_version_have_one_winner(store: &dyn Store) {
    use crate::domain::RenewalCode;
    let code = RenewalCode::generate();
    let record = code_record(&code);
    store
        .commit(vec![Write::put_code(record.clone(), Expect::Absent)])
        .await
        .expect("issued");
    let attempts =
        (0..20).map(|_| store.commit(vec![Write::put_code(record.clone(), Expect::Version(1))]));
    let results = futures::future::join_all(attempts).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{results:?}");
    assert!(
        results
            .iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(StoreError::Conflict(_))))
    );
    assert_eq!(
        store
            .code(&code)
            .await
            .expect("read")
            .expect("kept")
            .version,
        2
    );
}
