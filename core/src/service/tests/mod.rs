//! The middle tier between unit and end-to-end tests: the rules of docs/ through the service
//! functions themselves, over an in-memory redb store and a clock the test moves. There is
//! no socket and no HTTP, so a rule with many cases runs in milliseconds, and a failure
//! points at the service that broke it.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use jiff::SignedDuration;
use jiff::civil::Date;

use super::activation::DeviceRequest;
use super::admin::{self, NewCustomer, NewLicense};
use super::login::{LoggedIn, log_in};
use super::renewal::RenewalRequest;
use super::terms::{Consent, TermsKind, current};
use super::{Context, Error};
use crate::clock::ManualClock;
use crate::domain::{AccessKey, Billing, Customer, CustomerId, DeviceId, DeviceName, Email};
use crate::domain::{Line, Os, PersonName, Plan};
use crate::domain::{Mail, MailKind};
use crate::domain::{Product, RenewalCode, Serial};
use crate::settings::Settings;
use crate::store::redb::RedbStore;

/// Asserts that a service call was refused with the given error.
macro_rules! assert_refused {
    ($result:expr, $refusal:pat) => {
        match $result {
            Err($refusal) => {}
            Err(other) => panic!("refused with {other:?}, not {}", stringify!($refusal)),
            Ok(_) => panic!("accepted, not refused with {}", stringify!($refusal)),
        }
    };
}

mod activation;
mod cancellation;
pub(crate) mod failing_store;
mod login;
mod orders;
mod providers;
mod reader;
mod reminders;
mod renewal;
mod services;
mod voice;
mod voice_rules;

/// The client address the tests call from, unless they say otherwise.
const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));

/// A member as the tests know them.
pub(crate) struct Member {
    pub(crate) id: CustomerId,
    pub(crate) access_key: String,
    pub(crate) email: Email,
    pub(crate) serials: Vec<Serial>,
}

/// madoguchi with nobody else at the counter: an empty in-memory store with the seeded
/// providers, and a clock that stands at 2026-11-22 09:00 in Japan until a test moves it.
pub(crate) struct Counter {
    pub(crate) ctx: Context,
    pub(crate) clock: Arc<ManualClock>,
}

impl Counter {
    pub(crate) async fn open() -> Self {
        Self::with(Settings::default()).await
    }

    async fn with(settings: Settings) -> Self {
        let clock = Arc::new(ManualClock::new(
            "2026-11-22T00:00:00Z".parse().expect("an instant"),
        ));
        let store = RedbStore::in_memory().expect("an in-memory database");
        let ctx = Context::new(Arc::new(store), clock.clone(), settings);
        admin::seed_providers(&ctx).await.expect("providers seeded");
        Self { ctx, clock }
    }

    fn advance(&self, by: SignedDuration) {
        self.clock.advance(by);
    }

    /// A member on a flets_next line with these licences (the line adds a monthly standard
    /// one when none is given).
    pub(crate) async fn member(&self, licenses: Vec<NewLicense>) -> Member {
        let email = Email::parse(&format!(
            "member.{}@example.jp",
            crate::secret::random_digits(8)
        ))
        .expect("an address");
        let new = NewCustomer {
            name: PersonName::parse("山田 太郎").expect("a name"),
            email: email.clone(),
            line: Line::FletsNext,
            licenses,
            services: Vec::new(),
        };
        let created = admin::create_customer(&self.ctx, new, None)
            .await
            .expect("a member");
        Member {
            id: created.customer_id,
            access_key: created.access_key,
            email,
            serials: created.serials.into_iter().map(|s| s.serial).collect(),
        }
    }

    async fn log_in_with(
        &self,
        member: &Member,
        access_key: &str,
        client: IpAddr,
    ) -> Result<LoggedIn, Error> {
        let key = AccessKey::parse(access_key).expect("a well-formed key");
        log_in(&self.ctx, member.id.clone(), key, client).await
    }

    /// A session token of the member's.
    pub(crate) async fn token(&self, member: &Member) -> String {
        self.log_in_with(member, &member.access_key, CLIENT)
            .await
            .expect("the right key logs in")
            .token
    }

    /// The member as stored.
    pub(crate) async fn stored(&self, member: &Member) -> Customer {
        self.ctx
            .store
            .customer(&member.id)
            .await
            .expect("a read")
            .expect("the member exists")
    }

    /// A member whose standard licence is a term one ending on `expires_on`.
    async fn member_until(&self, expires_on: &str) -> Member {
        self.member(vec![term(Plan::Standard, expires_on)]).await
    }

    /// The mails of one kind queued to the member, oldest first.
    /// The first page of a serial's history (oldest first), as the member reads it.
    async fn history(&self, member: &Member, serial: &Serial) -> Vec<crate::domain::HistoryEvent> {
        super::activation::history(&self.ctx, &member.id, serial, Default::default())
            .await
            .expect("the member's history")
            .events
    }

    async fn mails(&self, to: &Member, kind: MailKind) -> Vec<Mail> {
        let mut mails = self.ctx.store.mails_to(&to.email).await.expect("a read");
        mails.retain(|m| m.kind == kind);
        mails
    }

    async fn mail_count(&self, to: &Member, kind: MailKind) -> usize {
        self.mails(to, kind).await.len()
    }

    /// Fresh purchase codes for security-suite.
    async fn codes(&self, term_months: u32, count: usize) -> Vec<RenewalCode> {
        admin::issue_codes(&self.ctx, Product::SecuritySuite, term_months, count, None)
            .await
            .expect("codes issued")
            .codes
    }
}

/// A renewal of the member's `serial`-th licence with `code`, consent given.
fn renewal(code: &RenewalCode, member: &Member, serial: usize, dry_run: bool) -> RenewalRequest {
    RenewalRequest {
        code: code.clone(),
        serial: Some(member.serials[serial].clone()),
        email: Some(member.email.clone()),
        consent: Consent {
            terms_version: current(TermsKind::Renewal).version.to_owned(),
            agreed: true,
        },
        dry_run,
    }
}

/// A device asking for protection.
fn device(id: &str, os: Os, name: &str) -> DeviceRequest {
    DeviceRequest {
        device_id: DeviceId::parse(id).expect("a device id"),
        os,
        name: DeviceName::parse(name).expect("a device name"),
    }
}

fn date(text: &str) -> Date {
    text.parse().expect("a date")
}

/// A security-suite term licence of `plan` whose last day is `expires_on`.
fn term(plan: Plan, expires_on: &str) -> NewLicense {
    NewLicense {
        product: Product::SecuritySuite,
        plan,
        billing: Billing::Term,
        expires_on: Some(date(expires_on)),
        version: None,
    }
}
