//! The expiry index: one entry per licence that can still get reminders, read a page at
//! a time.

use super::*;

/// Every licence in the expiry index up to `until`, read a small page at a time, each
/// page checked for order and size.
pub(super) async fn all_expiring(
    store: &dyn Store,
    until: jiff::civil::Date,
) -> Vec<crate::store::ExpiryPlace> {
    use crate::store::ExpiryPlace;
    let mut found = Vec::new();
    let mut after: Option<ExpiryPlace> = None;
    loop {
        let page = store
            .serials_expiring(until, after.as_ref(), 7)
            .await
            .expect("a page of the expiry index");
        assert!(page.len() <= 7, "a page holds at most its limit");
        for place in &page {
            assert!(place.expires_on <= until);
            assert!(
                after.as_ref().is_none_or(|after| place > after),
                "in the index's order, once each"
            );
            after = Some(place.clone());
        }
        let full = page.len() == 7;
        found.extend(page);
        if !full {
            return found;
        }
    }
}

/// docs/reminders.md: a large due set is read a page at a time, in order, each licence once,
/// whether a day's licences fill several pages or a page spans several days.
pub(super) async fn the_expiry_index_is_read_a_page_at_a_time(store: &dyn Store) {
    let date = |s: &str| s.parse::<jiff::civil::Date>().expect("a date");
    let owner = fresh_id();
    let mut mine = Vec::new();
    for (day, count) in [("1999-02-01", 9), ("1999-02-02", 1), ("1999-02-05", 12)] {
        for _ in 0..count {
            let record = serial_record(&owner, day);
            mine.push((date(day), record.serial.clone()));
            store
                .commit(vec![Write::put_serial(record, Expect::Absent)])
                .await
                .expect("a licence");
        }
    }
    mine.sort();
    let is_mine = |place: &crate::store::ExpiryPlace| mine.iter().any(|(_, s)| *s == place.serial);
    let listed: Vec<_> = all_expiring(store, date("1999-02-28"))
        .await
        .into_iter()
        .filter(is_mine)
        .map(|place| (place.expires_on, place.serial))
        .collect();
    assert_eq!(listed, mine, "every licence once, by date then serial");
    let until_the_2nd: Vec<_> = all_expiring(store, date("1999-02-02"))
        .await
        .into_iter()
        .filter(is_mine)
        .collect();
    assert_eq!(until_the_2nd.len(), 10, "nothing after `until`");
}

/// docs/reminders.md: the job finds licences through the index, which follows every write.
pub(super) async fn the_expiry_index_follows_each_licence(store: &dyn Store) {
    // Dates far in the past keep this check clear of every other check's licences.
    let until = |s: &str| s.parse::<jiff::civil::Date>().expect("a date");
    let listed = |found: Vec<crate::store::ExpiryPlace>, serial: &crate::domain::Serial| {
        found.iter().any(|place| &place.serial == serial)
    };
    let mut record = serial_record(&fresh_id(), "2001-03-10");
    let serial = record.serial.clone();
    let put = |record: crate::domain::SerialRecord, expect| vec![Write::put_serial(record, expect)];
    store
        .commit(put(record.clone(), Expect::Absent))
        .await
        .expect("create");
    assert!(listed(
        all_expiring(store, until("2001-03-10")).await,
        &serial
    ));
    assert!(!listed(
        all_expiring(store, until("2001-03-09")).await,
        &serial
    ));

    record.version = 1;
    record.expires_on = Some(until("2001-09-10"));
    store
        .commit(put(record.clone(), Expect::Version(1)))
        .await
        .expect("renewed");
    assert!(
        !listed(all_expiring(store, until("2001-08-31")).await, &serial),
        "the old date left"
    );
    assert!(listed(
        all_expiring(store, until("2001-09-10")).await,
        &serial
    ));

    record.version = 2;
    record.expired_notice_for = record.expires_on;
    store
        .commit(put(record.clone(), Expect::Version(2)))
        .await
        .expect("notified");
    assert!(
        !listed(all_expiring(store, until("2001-12-31")).await, &serial),
        "notified licences leave"
    );

    let mut monthly = serial_record(&fresh_id(), "2001-03-10");
    monthly.billing = crate::domain::Billing::Monthly;
    let monthly_serial = monthly.serial.clone();
    store
        .commit(put(monthly, Expect::Absent))
        .await
        .expect("monthly");
    assert!(!listed(
        all_expiring(store, until("2001-12-31")).await,
        &monthly_serial
    ));

    let check = |version| {
        vec![Write::CheckSerial {
            serial: serial.clone(),
            customer_id: record.customer_id.clone(),
            version,
        }]
    };
    store.commit(check(3)).await.expect("current version");
    assert!(is_conflict(store.commit(check(2)).await));
}
