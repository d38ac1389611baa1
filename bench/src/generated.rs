//! Members written straight through the store's commits, for loads of thousands: every
//! member shares one access-key hash (argon2 per member would take hours), and their
//! sessions are stored as a login stores them.

use jiff::Timestamp;
use jiff::civil::Date;
use madoguchi_core::domain::{
    Billing, Customer, CustomerId, Email, Line, PersonName, Plan, Product, Serial, SerialRecord,
    SerialStatus, Session,
};
use madoguchi_core::store::{Expect, Store, Write};

/// Member `n` with one term licence: a new member's two records.
pub fn member_with_licence(
    n: usize,
    expires_on: Date,
    hash: &str,
    now: jiff::Timestamp,
) -> [Write; 2] {
    let customer_id = customer_id(n);
    let serial = Serial::parse(&format!("SSU-{n:08}")).expect("a serial");
    let member = Customer {
        customer_id: customer_id.clone(),
        name: PersonName::parse("生成 太郎").expect("a name"),
        email: Email::parse(&format!("member{n}@example.jp")).expect("an address"),
        line: Line::FletsNext,
        access_key_hash: hash.to_owned(),
        failed_logins: 0,
        locked_at: None,
        cancelled_at: None,
        services: Vec::new(),
        serials: vec![serial.clone()],
        provider_settings: Vec::new(),
        readers: Vec::new(),
        unlock: Default::default(),
        applications: Default::default(),
        open_orders: Vec::new(),
        created_at: now,
        version: 0,
    };
    let licence = SerialRecord {
        serial,
        customer_id,
        product: Product::SecuritySuite,
        plan: Plan::Standard,
        billing: Billing::Term,
        expires_on: Some(expires_on),
        program_version: 18,
        product_key: format!("GEN{n:010}"),
        status: SerialStatus::AwaitingInstall,
        device: None,
        events: 0,
        expired_notice_for: None,
        version: 0,
    };
    [
        Write::put_customer(member, Expect::Absent),
        Write::put_serial(licence, Expect::Absent),
    ]
}

/// A live session of member `n` (as `member_with_licence` numbers them): its token, and
/// the write that stores it.
pub fn session_of(n: usize, now: Timestamp) -> (String, Write) {
    let member = customer_id(n);
    let token = madoguchi_core::domain::new_session_token(&member);
    let session = Session {
        token_digest: madoguchi_core::secret::token_digest(&token),
        customer_id: member,
        created_at: now,
        last_seen_at: now,
    };
    (token, Write::PutSession(session))
}

fn customer_id(n: usize) -> CustomerId {
    CustomerId::parse(&format!("CAF{n:07}")).expect("≤ 10 million members")
}

/// `count` members, each with a term licence and a live session, written a thousand at a
/// time; their tokens go to `tokens`, one a line (what wrk's Lua rotates through).
pub async fn logged_in_members(store: &dyn Store, count: usize, tokens: &std::path::Path) {
    use std::io::Write as _;
    let hash = madoguchi_core::secret::hash_access_key("generated-access-key");
    let now = Timestamp::now();
    let expires_on = jiff::civil::date(2031, 3, 31);
    let mut file = std::io::BufWriter::new(std::fs::File::create(tokens).expect("tokens file"));
    for first in (0..count).step_by(1_000) {
        let mut writes = Vec::new();
        for n in first..(first + 1_000).min(count) {
            writes.extend(member_with_licence(n, expires_on, &hash, now));
            let (token, session) = session_of(n, now);
            writes.push(session);
            writeln!(file, "{token}").expect("a token written");
        }
        store.commit(writes).await.expect("members written");
    }
    file.flush().expect("tokens written");
}
