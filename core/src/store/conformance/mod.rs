//! The behaviour every store adapter owes the services, as one suite: run it against each
//! engine (`run_all`). Each check starts from records it creates itself. The checks are
//! filed by capability, under the names the port and each adapter use.

mod commit;
mod counts;
mod idempotency;
mod ledger;
mod members;
mod orders;
mod outbox;
mod reminders;
mod renewals;
mod sessions;
mod status;

pub use status::counted_from_the_lists;

use jiff::Timestamp;

use super::{
    Admission, CountRule, Expect, IdempotencyRecord, Place, ReceiptPlace, Store, StoreError, Write,
};
use crate::domain::{CustomerId, Email, Line, PersonName, Session, customer::Customer};
use crate::domain::{DuePlace, Mail, MailKind, MailStatus};

pub(super) fn at(second: i64) -> Timestamp {
    Timestamp::from_second(1_795_000_000 + second).expect("in range")
}

pub(super) fn customer(id: &CustomerId) -> Customer {
    Customer {
        customer_id: id.clone(),
        name: PersonName::parse("試験 太郎").expect("valid"),
        email: Email::parse("conformance@example.jp").expect("valid"),
        line: Line::FletsNext,
        access_key_hash: "hash".to_owned(),
        failed_logins: 0,
        locked_at: None,
        cancelled_at: None,
        services: Vec::new(),
        serials: Vec::new(),
        provider_settings: Vec::new(),
        readers: Vec::new(),
        unlock: Default::default(),
        applications: Default::default(),
        open_orders: Vec::new(),
        created_at: at(0),
        version: 0,
    }
}

/// A 12-month security-suite code, not redeemed.
pub(super) fn code_record(code: &crate::domain::RenewalCode) -> crate::domain::CodeRecord {
    crate::domain::CodeRecord {
        code: code.clone(),
        product: crate::domain::Product::SecuritySuite,
        term_months: 12,
        created_at: at(0),
        redeemed: None,
        version: 0,
    }
}

/// A new session of `customer_id`, opened and last seen at the epoch.
pub(super) fn session_of(customer_id: &CustomerId) -> Session {
    Session {
        token_digest: crate::secret::token_digest(&crate::domain::new_session_token(customer_id)),
        customer_id: customer_id.clone(),
        created_at: at(0),
        last_seen_at: at(0),
    }
}

pub(super) fn fresh_id() -> CustomerId {
    CustomerId::generate()
}

pub(super) fn is_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Conflict(_)))
}

/// Runs every check against one store.
pub async fn run_all(store: &dyn Store) {
    commit::versions_guard_every_replacement(store).await;
    commit::a_failing_write_leaves_nothing_of_its_commit(store).await;
    sessions::a_touch_never_brings_back_a_deleted_session(store).await;
    outbox::the_outbox_keeps_mails_until_they_are_marked_sent(store).await;
    outbox::a_failed_attempt_waits_without_holding_back_others(store).await;
    outbox::a_mail_failed_for_the_last_time_leaves_pending_and_is_listed(store).await;
    outbox::a_sent_mail_cannot_be_sent_again(store).await;
    outbox::a_mail_is_claimed_by_one_dispatcher_at_a_time(store).await;
    outbox::a_failed_mail_is_retried_or_abandoned_once(store).await;
    idempotency::claims_and_history_are_guarded(store).await;
    counts::a_client_count_gives_no_more_places_than_its_limit(store).await;
    counts::concurrent_attempts_take_no_more_places_than_the_limit(store).await;
    reminders::the_expiry_index_follows_each_licence(store).await;
    reminders::the_expiry_index_is_read_a_page_at_a_time(store).await;
    commit::codes_receipts_providers_and_reminders_are_written_once(store).await;
    sessions::every_session_of_a_member_ends_together(store).await;
    sessions::a_session_is_read_with_its_member_and_serials(store).await;
    sessions::a_session_view_follows_every_write_to_it(store).await;
    renewals::a_renewal_reads_its_code_serial_and_member_together(store).await;
    commit::concurrent_writers_on_one_version_have_one_winner(store).await;
    ledger::lists_are_read_a_page_at_a_time(store).await;
    members::stored_rows_read_without_todays_rules(store).await;
    orders::orders_are_listed_as_they_move(store).await;
    status::counters_follow_mails_orders_and_runs(store).await;
    status::the_counters_agree_with_the_lists(store).await;
}

pub(super) fn serial_record(
    customer_id: &CustomerId,
    expires_on: &str,
) -> crate::domain::SerialRecord {
    use crate::domain::{Billing, Plan, Product, SerialRecord, SerialStatus};
    SerialRecord {
        serial: crate::domain::Serial::generate(Product::SecuritySuite),
        customer_id: customer_id.clone(),
        product: Product::SecuritySuite,
        plan: Plan::Standard,
        billing: Billing::Term,
        expires_on: Some(expires_on.parse().expect("a date")),
        program_version: 18,
        product_key: "KEY".into(),
        status: SerialStatus::AwaitingInstall,
        device: None,
        events: 0,
        expired_notice_for: None,
        version: 0,
    }
}
