//! What a renewal reads: the code, the serial and its member, together.

use super::*;

/// docs/renewal.md: a renewal's reads, as one view; nothing past an unknown code, no member past
/// an unknown serial.
pub(super) async fn a_renewal_reads_its_code_serial_and_member_together(store: &dyn Store) {
    use crate::domain::{Product, RenewalCode, Serial};
    let id = fresh_id();
    let serial = serial_record(&id, "2031-02-28");
    let mut member = customer(&id);
    member.serials = vec![serial.serial.clone()];
    let code = RenewalCode::generate();
    let record = code_record(&code);
    store
        .commit(vec![
            Write::put_customer(member, Expect::Absent),
            Write::put_serial(serial.clone(), Expect::Absent),
            Write::put_code(record, Expect::Absent),
        ])
        .await
        .expect("a member, a serial and a code");

    let view = store
        .renewal_view(&code, &serial.serial, None)
        .await
        .expect("read");
    assert_eq!(view.code.expect("the code").code, code);
    assert_eq!(view.serial.expect("the serial").serial, serial.serial);
    assert_eq!(view.member.expect("the member").customer_id, id);

    // With a session: the caller's own serial reads as without one; another member's
    // serial reads as not there, and so does its member.
    let view = store
        .renewal_view(&code, &serial.serial, Some(&id))
        .await
        .expect("read");
    assert_eq!(view.code.expect("the code").code, code);
    assert_eq!(view.serial.expect("the serial").serial, serial.serial);
    assert_eq!(view.member.expect("the member").customer_id, id);
    let someone_else = fresh_id();
    store
        .commit(vec![Write::put_customer(
            customer(&someone_else),
            Expect::Absent,
        )])
        .await
        .expect("another member");
    let view = store
        .renewal_view(&code, &serial.serial, Some(&someone_else))
        .await
        .expect("read");
    assert!(view.code.is_some() && view.serial.is_none() && view.member.is_none());

    let unknown_serial = Serial::generate(Product::SecuritySuite);
    let view = store
        .renewal_view(&code, &unknown_serial, None)
        .await
        .expect("read");
    assert!(view.code.is_some() && view.serial.is_none() && view.member.is_none());

    let view = store
        .renewal_view(&RenewalCode::generate(), &serial.serial, Some(&id))
        .await
        .expect("read");
    assert!(view.code.is_none() && view.serial.is_none() && view.member.is_none());
}
