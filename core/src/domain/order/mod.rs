//! Orders (docs/orders.md): the work a submission hands to the provider's back office, on
//! the network (工事) or in the warehouse (発送), and its progress until the back office
//! reports its end. Which status may follow which is decided here, and only here.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

mod details;

pub use details::{CompletionMail, LicensePlusChange, OrderDetails, SettingChange};

use super::customer::CustomerId;
use super::text::string_newtype;

/// 注文番号: `OD-20261206-7K3M9Q`, the Japan date it was placed and six symbols without
/// look-alikes. The store refuses a number already taken, and the commit draws another.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderNo(String);
string_newtype!(OrderNo);

const SYMBOLS: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl OrderNo {
    pub fn generate(at: Timestamp) -> Self {
        Self(format!(
            "OD-{}-{}",
            super::japan::date_of(at).strftime("%Y%m%d"),
            crate::secret::random_string(SYMBOLS, 6)
        ))
    }

    /// Sorts before every number: a list read "before" a time with this number starts
    /// with the orders placed strictly before it.
    pub fn lowest() -> Self {
        Self(String::new())
    }

    /// A number as a client or the back office writes it (case folded); `None` when it
    /// cannot be one, so that a path of any other shape is simply not found.
    pub fn parse(input: &str) -> Option<Self> {
        let value = input.trim().to_ascii_uppercase();
        let mut parts = value.splitn(3, '-');
        let shaped = parts.next() == Some("OD")
            && parts
                .next()
                .is_some_and(|d| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()))
            && parts
                .next()
                .is_some_and(|s| s.len() == 6 && s.bytes().all(|b| SYMBOLS.contains(&b)));
        shaped.then_some(Self(value))
    }
}

/// What the back office is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// 回線情報通知の通知可否設定の変更 (工事).
    LineNotification,
    ServiceSubscribe,
    ServiceChange,
    ServiceTerminate,
    /// An IC card reader to ship (発送).
    Reader,
    /// The end of the line after a cancellation (解約).
    LineTermination,
}

impl OrderKind {
    /// The wire name, as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderKind::LineNotification => "line_notification",
            OrderKind::ServiceSubscribe => "service_subscribe",
            OrderKind::ServiceChange => "service_change",
            OrderKind::ServiceTerminate => "service_terminate",
            OrderKind::Reader => "reader",
            OrderKind::LineTermination => "line_termination",
        }
    }

    /// Work in a warehouse, paid before it ships; every other kind is work on the network.
    pub fn is_shipment(self) -> bool {
        matches!(self, OrderKind::Reader)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            OrderKind::LineNotification => "回線情報通知の通知可否設定の変更",
            OrderKind::ServiceSubscribe => "サービスのお申し込み",
            OrderKind::ServiceChange => "サービスの変更",
            OrderKind::ServiceTerminate => "サービスの廃止",
            OrderKind::Reader => "ICカードリーダーの発送",
            OrderKind::LineTermination => "回線のご解約",
        }
    }
}

/// Where an order stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// 受付済み: handed to the back office, not started.
    Accepted,
    /// 工事中.
    InProgress,
    /// A reader order waiting for its e-money payment (入金待ち).
    AwaitingPayment,
    /// 入金済み.
    Paid,
    /// 発送済み.
    Shipped,
    /// 完了: its effect is applied.
    Completed,
    /// Not carried out: nothing it would have changed has changed.
    Failed,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::Accepted,
        OrderStatus::InProgress,
        OrderStatus::AwaitingPayment,
        OrderStatus::Paid,
        OrderStatus::Shipped,
        OrderStatus::Completed,
        OrderStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Accepted => "accepted",
            OrderStatus::InProgress => "in_progress",
            OrderStatus::AwaitingPayment => "awaiting_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Completed => "completed",
            OrderStatus::Failed => "failed",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == input)
    }

    pub fn is_final(self) -> bool {
        matches!(self, OrderStatus::Completed | OrderStatus::Failed)
    }

    /// The status a new order of `kind` starts in.
    pub fn first(kind: OrderKind) -> Self {
        if kind.is_shipment() {
            OrderStatus::AwaitingPayment
        } else {
            OrderStatus::Accepted
        }
    }

    /// The order's place on its track: a status may only move to a later place. `None`:
    /// not a status of this kind of order (a reader is never 工事中).
    fn step(self, kind: OrderKind) -> Option<u8> {
        match (kind.is_shipment(), self) {
            (false, OrderStatus::Accepted) => Some(0),
            (false, OrderStatus::InProgress) => Some(1),
            (true, OrderStatus::AwaitingPayment) => Some(0),
            (true, OrderStatus::Paid) => Some(1),
            (true, OrderStatus::Shipped) => Some(2),
            (_, OrderStatus::Completed) => Some(9),
            (_, OrderStatus::Failed) => Some(9),
            (false, OrderStatus::AwaitingPayment | OrderStatus::Paid | OrderStatus::Shipped)
            | (true, OrderStatus::Accepted | OrderStatus::InProgress) => None,
        }
    }

    /// Whether an order of `kind` may move from `self` to `to`: forward along its track
    /// (a step may be skipped: a back office may report completion without 工事中), never
    /// back, never to where it is, and nothing after `completed` or `failed`.
    pub fn may_become(self, kind: OrderKind, to: OrderStatus) -> bool {
        match (self.step(kind), to.step(kind)) {
            (Some(from), Some(next)) => !self.is_final() && next > from,
            _ => false,
        }
    }

    /// Whether the member may still withdraw the order: before the work starts, or before
    /// a reader ships.
    pub fn withdrawable(self, kind: OrderKind) -> bool {
        match self.step(kind) {
            Some(step) => !self.is_final() && step < if kind.is_shipment() { 2 } else { 1 },
            None => false,
        }
    }

    /// TM Forum TMF622's `ProductOrder.state` for this status (docs/orders.md).
    pub fn tmf_state(self) -> &'static str {
        match self {
            OrderStatus::Accepted | OrderStatus::AwaitingPayment => "acknowledged",
            OrderStatus::InProgress | OrderStatus::Paid | OrderStatus::Shipped => "inProgress",
            OrderStatus::Completed => "completed",
            OrderStatus::Failed => "failed",
        }
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            OrderStatus::Accepted => "受付済み",
            OrderStatus::InProgress => "工事中",
            OrderStatus::AwaitingPayment => "入金待ち",
            OrderStatus::Paid => "入金済み",
            OrderStatus::Shipped => "発送済み",
            OrderStatus::Completed => "完了",
            OrderStatus::Failed => "不成立",
        }
    }
}

/// Why an order failed, when madoguchi decided it; the back office's own reasons are free
/// text.
pub mod reason {
    /// The member withdrew it before the work started.
    pub const WITHDRAWN: &str = "withdrawn";
    /// The membership ended first.
    pub const MEMBERSHIP_CANCELLED: &str = "membership_cancelled";
    /// A reader order not paid by its due date.
    pub const PAYMENT_EXPIRED: &str = "payment_expired";

    /// The reason in the member's words.
    pub fn name_ja(reason: &str) -> String {
        match reason {
            WITHDRAWN => "お客さまのお申し出により取り下げました。".to_owned(),
            MEMBERSHIP_CANCELLED => "ご解約にともない取り下げました。".to_owned(),
            PAYMENT_EXPIRED => "お支払い期限までにご入金が確認できませんでした。".to_owned(),
            other => other.to_owned(),
        }
    }
}

/// One step of an order's progress: where it moved, when, and why if it failed. An event
/// reported by the back office keeps its `event_id`, so the same report twice is one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderStep {
    pub status: OrderStatus,
    #[serde(with = "super::japan::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The hand-over of an order to the back office (docs/orders.md), kept on the order as a
/// mail's delivery is kept on the mail: an order is published at least once, and a stale
/// index or a stream record seen twice publishes nothing twice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    /// Something to publish: the placement, or a withdrawal the back office must learn of.
    pub pending: bool,
    /// Which event of the order is to publish: 1 for its placement, one more for each
    /// change made on madoguchi's side. Events may reach the back office out of order; it
    /// keeps the highest (docs/orders.md).
    #[serde(default)]
    pub sequence: u32,
    /// Failed publications of what is pending.
    pub attempts: u32,
    /// When the next publication is due; `None`: at once.
    pub due_at: Option<Timestamp>,
    /// A publisher's claim while it publishes, so that two at once do not both publish.
    pub claim: Option<String>,
    pub claimed_until: Option<Timestamp>,
    pub published_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

/// The stored order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Order {
    pub order_no: OrderNo,
    pub customer_id: CustomerId,
    pub status: OrderStatus,
    pub placed_at: Timestamp,
    pub updated_at: Timestamp,
    pub receipt_no: String,
    pub details: OrderDetails,
    /// Every move since it was placed, oldest first: at most one per status.
    pub steps: Vec<OrderStep>,
    #[serde(default)]
    pub publication: Publication,
    /// The request that placed it (docs/operations.md: one complaint followed end to end).
    #[serde(default)]
    pub request_id: Option<String>,
    pub version: u64,
}

/// An order still open, as the member's record keeps it: what the overview, the
/// providers' 変更中 and the readers show without reading the orders themselves. It is
/// written in the same commit as the order, and removed in the one that ends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenOrder {
    pub order_no: OrderNo,
    pub status: OrderStatus,
    pub details: OrderDetails,
}

impl Order {
    pub fn as_open(&self) -> OpenOrder {
        OpenOrder {
            order_no: self.order_no.clone(),
            status: self.status,
            details: self.details.clone(),
        }
    }
}

/// What a refused move says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidTransition {
    pub from: OrderStatus,
    pub to: OrderStatus,
}

/// What a reported step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moved {
    /// The order moved.
    Moved,
    /// The same event was reported before: nothing changed.
    AlreadyApplied,
}

impl Order {
    pub fn place(
        customer_id: &CustomerId,
        receipt_no: &str,
        details: OrderDetails,
        at: Timestamp,
    ) -> Self {
        Self::place_as(OrderNo::generate(at), customer_id, receipt_no, details, at)
    }

    /// An order under a number drawn beforehand (its details may name it: a reader's
    /// payment page is its order's).
    pub fn place_as(
        order_no: OrderNo,
        customer_id: &CustomerId,
        receipt_no: &str,
        details: OrderDetails,
        at: Timestamp,
    ) -> Self {
        let status = OrderStatus::first(details.kind());
        Self {
            order_no,
            customer_id: customer_id.clone(),
            status,
            placed_at: at,
            updated_at: at,
            receipt_no: receipt_no.to_owned(),
            details,
            steps: vec![OrderStep {
                status,
                at,
                event_id: None,
                reason: None,
            }],
            publication: Publication {
                pending: true,
                sequence: 1,
                ..Publication::default()
            },
            request_id: crate::trace::current(),
            version: 0,
        }
    }

    pub fn kind(&self) -> OrderKind {
        self.details.kind()
    }

    pub fn is_open(&self) -> bool {
        !self.status.is_final()
    }

    /// The failure reason, once failed.
    pub fn reason(&self) -> Option<&str> {
        self.steps
            .iter()
            .rev()
            .find(|s| s.status == OrderStatus::Failed)
            .and_then(|s| s.reason.as_deref())
    }

    /// Moves the order as a reported event says: the same `event_id` again changes nothing;
    /// a move its track does not allow is refused.
    pub fn advance(
        &mut self,
        event_id: Option<&str>,
        to: OrderStatus,
        reason: Option<String>,
        at: Timestamp,
    ) -> Result<Moved, InvalidTransition> {
        if let Some(id) = event_id
            && self.steps.iter().any(|s| s.event_id.as_deref() == Some(id))
        {
            return Ok(Moved::AlreadyApplied);
        }
        if !self.status.may_become(self.kind(), to) {
            return Err(InvalidTransition {
                from: self.status,
                to,
            });
        }
        self.status = to;
        self.updated_at = at;
        self.steps.push(OrderStep {
            status: to,
            at,
            event_id: event_id.map(str::to_owned),
            reason: reason.filter(|_| to == OrderStatus::Failed),
        });
        Ok(Moved::Moved)
    }

    /// Fails an open order on madoguchi's side (a member's withdrawal, a cancellation):
    /// the back office has to learn of it, so it is published again.
    pub fn withdraw(&mut self, reason: &str, at: Timestamp) -> Result<(), InvalidTransition> {
        self.advance(None, OrderStatus::Failed, Some(reason.to_owned()), at)?;
        // A publisher may be publishing the placement right now: its claim stands, so that
        // no second publisher starts beside it; the withdrawal is the next event.
        let publication = &mut self.publication;
        if publication.claimed_until.is_some_and(|until| until <= at) {
            // That publisher died: nothing to wait for, and the stream hands over only
            // what no publisher holds.
            publication.claim = None;
            publication.claimed_until = None;
        }
        publication.pending = true;
        publication.sequence = publication.sequence.max(1) + 1;
        publication.attempts = 0;
        publication.due_at = None;
        publication.last_error = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::OrderKind::*;
    use super::OrderStatus::*;
    use super::*;

    const NETWORK: [OrderKind; 5] = [
        LineNotification,
        ServiceSubscribe,
        ServiceChange,
        ServiceTerminate,
        LineTermination,
    ];

    #[test]
    fn each_kind_is_named_as_serde_writes_it() {
        for kind in NETWORK.into_iter().chain([Reader]) {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }

    /// Every pair of statuses, for every kind: exactly the forward moves of its own track.
    #[test]
    fn orders_move_forward_on_their_own_track_only() {
        let network_track = [Accepted, InProgress, Completed];
        let shipment_track = [AwaitingPayment, Paid, Shipped, Completed];
        for kind in NETWORK.into_iter().chain([Reader]) {
            let track: &[OrderStatus] = if kind.is_shipment() {
                &shipment_track
            } else {
                &network_track
            };
            for from in OrderStatus::ALL {
                for to in OrderStatus::ALL {
                    let on_track = |s| track.contains(&s) || s == Failed;
                    let place = |s| track.iter().position(|t| *t == s).unwrap_or(usize::MAX);
                    let expected = on_track(from)
                        && on_track(to)
                        && !from.is_final()
                        && (to == Failed || place(to) > place(from));
                    assert_eq!(
                        from.may_become(kind, to),
                        expected,
                        "{kind:?}: {from:?} → {to:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_member_withdraws_before_the_work_starts_or_the_reader_ships() {
        assert!(Accepted.withdrawable(LineNotification));
        assert!(!InProgress.withdrawable(LineNotification));
        assert!(AwaitingPayment.withdrawable(Reader));
        assert!(Paid.withdrawable(Reader));
        assert!(!Shipped.withdrawable(Reader));
        for kind in NETWORK.into_iter().chain([Reader]) {
            assert!(!Completed.withdrawable(kind));
            assert!(!Failed.withdrawable(kind));
        }
    }

    #[test]
    fn the_same_event_twice_is_one_step() {
        let at: Timestamp = "2026-12-06T00:00:00Z".parse().unwrap();
        let id = CustomerId::parse("CAF0000001").unwrap();
        let mut order = Order::place(&id, "R-1", OrderDetails::LineTermination, at);
        assert_eq!(
            order.advance(Some("e1"), InProgress, None, at),
            Ok(Moved::Moved)
        );
        assert_eq!(
            order.advance(Some("e1"), InProgress, None, at),
            Ok(Moved::AlreadyApplied)
        );
        assert_eq!(
            order.advance(Some("e2"), Accepted, None, at),
            Err(InvalidTransition {
                from: InProgress,
                to: Accepted
            })
        );
        assert_eq!(
            order.advance(Some("e3"), Failed, Some("回線設備の故障".into()), at),
            Ok(Moved::Moved)
        );
        assert_eq!(order.reason(), Some("回線設備の故障"));
        assert_eq!(order.steps.len(), 3);
        assert!(order.withdraw(reason::WITHDRAWN, at).is_err());
    }

    #[test]
    fn order_numbers_parse_back_and_refuse_other_shapes() {
        let at: Timestamp = "2026-12-06T00:00:00Z".parse().unwrap();
        let no = OrderNo::generate(at);
        assert!(no.as_str().starts_with("OD-20261206-"));
        assert_eq!(OrderNo::parse(&no.as_str().to_lowercase()), Some(no));
        for bad in [
            "",
            "OD-2026120-ABCDEF",
            "OD-20261206-ABCDEI",
            "R-20261206-ABCDEF",
            "OD-20261206-ABCDEF-1",
        ] {
            assert_eq!(OrderNo::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn statuses_map_to_tmf622_states() {
        assert_eq!(Accepted.tmf_state(), "acknowledged");
        assert_eq!(InProgress.tmf_state(), "inProgress");
        assert_eq!(Completed.tmf_state(), "completed");
        assert_eq!(Failed.tmf_state(), "failed");
    }
}
