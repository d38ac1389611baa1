//! Members and serials as stored: rows written under older rules still read.

use super::*;

/// A row written under older rules still reads when today's would refuse it as input: a
/// name past today's 40 characters with a character now forbidden, an address on a
/// single-label domain, a code whose check symbol does not match. Rules hold at the HTTP
/// edge; a tightened one must not turn stored rows into 500s.
pub(super) async fn stored_rows_read_without_todays_rules(store: &dyn Store) {
    use crate::domain::{CodeRecord, RenewalCode};
    let id = fresh_id();
    let name = format!("{}%~", "長".repeat(60));
    assert!(PersonName::parse(&name).is_err() && Email::parse("old@localhost").is_err());
    let mut old = serde_json::to_value(customer(&id)).expect("json");
    old["name"] = name.clone().into();
    old["email"] = "old@localhost".into();
    let old: Customer = serde_json::from_value(old).expect("a row as once stored");
    store
        .commit(vec![Write::put_customer(old, Expect::Absent)])
        .await
        .expect("stored");
    let read = store.customer(&id).await.expect("read").expect("kept");
    assert_eq!(
        (read.name.as_str(), read.email.as_str()),
        (name.as_str(), "old@localhost")
    );
    let (with_serials, _) = store
        .customer_with_serials(&id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(with_serials.name.as_str(), name);

    let written = RenewalCode::generate().to_string();
    let last = written.chars().last().expect("a check symbol");
    let mismatched = format!(
        "{}{}",
        &written[..written.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    assert!(RenewalCode::parse(&mismatched).is_err());
    let code: CodeRecord = serde_json::from_value(serde_json::json!({
        "code": mismatched, "product": "security-suite", "term_months": 12,
        "created_at": at(0), "redeemed": null, "version": 0
    }))
    .expect("a code as once stored");
    store
        .commit(vec![Write::put_code(code.clone(), Expect::Absent)])
        .await
        .expect("stored");
    let read = store.code(&code.code).await.expect("read").expect("kept");
    assert_eq!(read.code.to_string(), mismatched);
}
