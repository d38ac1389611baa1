//! The two lists read in order of a date: the expiry index (docs/reminders.md) and the outbox's
//! pending list (docs/mail.md), in the secondary index `gsi2`.
//!
//! - **Sharded**: each list is spread over `SHARDS` partitions (`EXPIRY#07`,
//!   `OUTBOX#PENDING#12`) by a hash of the serial or the mail's id, so that the writes of a
//!   busy day are not capped by what one partition takes (1,000 write units a second). A
//!   reader queries every shard for its page, at once, and merges the answers in order.
//! - **Keys only**: `gsi2` projects the table's and its own keys and nothing else, so an
//!   entry costs the index a small write, not a copy of the licence or of the mail's body.
//!   The readers list places (a licence's date and serial; a mail's address, due time and
//!   id) and read each record they act on by its key anyway, strongly consistent.
//!
//! The operators' list of failed mails stays in `gsi1` (whole items): it is short and read
//! whole, by operators only. The reminder job and the dispatcher query `gsi2` alone, which
//! is all their IAM policies allow them (infra/template.yaml).

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;

use super::DynamoStore;
use super::item::{Item, s};
use super::keys;
use crate::domain::{DuePlace, PendingMail};
use crate::domain::{Email, OrderNo, Serial};
use crate::store::{ExpiryPlace, PublishPlace, StoreError};

/// The keys-only index of the two lists.
pub(super) const GSI2: &str = "gsi2";
/// Partitions per list: 16 × 1,000 write units a second is far above either list's need.
const SHARDS: u32 = 16;

#[derive(Clone, Copy)]
enum List {
    Expiry,
    Pending,
    /// Orders whose hand-over to the back office is due (docs/orders.md).
    Publish,
}

impl List {
    fn partition(self, shard: u32) -> String {
        let name = match self {
            List::Expiry => "EXPIRY",
            List::Pending => "OUTBOX#PENDING",
            List::Publish => "ORDERS#PUBLISH",
        };
        format!("{name}#{shard:02}")
    }
}

/// An entry of a list: its shard's partition and its place, as sort key.
pub(super) struct Entry {
    pk: String,
    sk: String,
}

impl Entry {
    pub(super) fn attributes(self) -> Item {
        HashMap::from([
            ("gsi2pk".to_owned(), s(self.pk)),
            ("gsi2sk".to_owned(), s(self.sk)),
        ])
    }
}

/// A stable shard for an id: FNV-1a, so that every build files an id in the same shard.
fn shard_of(id: &str) -> u32 {
    let hash = id.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    hash % SHARDS
}

fn expiry_sk(date: Date, serial: &Serial) -> String {
    format!("{date}#{serial}")
}

/// A licence's entry in the expiry index.
pub(super) fn expiry_entry(date: Date, serial: &Serial) -> Entry {
    Entry {
        pk: List::Expiry.partition(shard_of(serial.as_str())),
        sk: expiry_sk(date, serial),
    }
}

/// An undelivered mail's place: when it is due (ns, 20 digits, as in mail ids), then its
/// id. A Query up to a time reads the mails due, never the ones waiting for a later retry.
fn pending_sk(place: &DuePlace) -> String {
    format!("{:020}#{}", place.due_at.as_nanosecond(), place.mail_id)
}

/// An undelivered mail's entry in the pending list.
pub(super) fn pending_entry(place: &DuePlace) -> Entry {
    Entry {
        pk: List::Pending.partition(shard_of(&place.mail_id)),
        sk: pending_sk(place),
    }
}

fn publish_sk(place: &PublishPlace) -> String {
    format!("{:020}#{}", place.due_at.as_nanosecond(), place.order_no)
}

/// An order's entry in the list of hand-overs due.
pub(super) fn publish_entry(place: &PublishPlace) -> Entry {
    Entry {
        pk: List::Publish.partition(shard_of(place.order_no.as_str())),
        sk: publish_sk(place),
    }
}

fn attribute<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    item.get(name)
        .and_then(|value| value.as_s().ok())
        .map(String::as_str)
        .ok_or_else(|| StoreError::Backend(format!("a list entry without {name}")))
}

fn malformed(what: &str) -> StoreError {
    StoreError::Backend(format!("a malformed list entry: {what}"))
}

fn expiry_place(item: &Item) -> Result<ExpiryPlace, StoreError> {
    let sk = attribute(item, "gsi2sk")?;
    let (date, serial) = sk.split_once('#').ok_or_else(|| malformed(sk))?;
    Ok(ExpiryPlace {
        expires_on: date.parse().map_err(|_| malformed(sk))?,
        serial: Serial::parse(serial).map_err(|_| malformed(sk))?,
    })
}

fn pending_mail(item: &Item) -> Result<PendingMail, StoreError> {
    let sk = attribute(item, "gsi2sk")?;
    let (due, mail_id) = sk.split_once('#').ok_or_else(|| malformed(sk))?;
    let due_at = due
        .parse::<i128>()
        .ok()
        .and_then(|ns| Timestamp::from_nanosecond(ns).ok())
        .ok_or_else(|| malformed(sk))?;
    let pk = attribute(item, "pk")?;
    let to = keys::mail_address(pk)
        .and_then(|address| Email::parse(address).ok())
        .ok_or_else(|| malformed(pk))?;
    Ok(PendingMail {
        to,
        place: DuePlace {
            due_at,
            mail_id: mail_id.to_owned(),
        },
    })
}

fn publish_place(item: &Item) -> Result<PublishPlace, StoreError> {
    let sk = attribute(item, "gsi2sk")?;
    let (due, no) = sk.split_once('#').ok_or_else(|| malformed(sk))?;
    Ok(PublishPlace {
        due_at: due
            .parse::<i128>()
            .ok()
            .and_then(|ns| Timestamp::from_nanosecond(ns).ok())
            .ok_or_else(|| malformed(sk))?,
        order_no: OrderNo::parse(no).ok_or_else(|| malformed(sk))?,
    })
}

impl DynamoStore {
    /// Up to `limit` entries of `list` whose sort keys are after `after` (when given) and
    /// at most `upto`, in order: each shard's first `limit` (one more when `after` is
    /// given, as its key condition includes `after` itself), merged.
    async fn list_page(
        &self,
        list: List,
        upto: String,
        after: Option<String>,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let wanted = limit.saturating_add(usize::from(after.is_some()));
        let query = |pk: String| {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI2)
                .expression_attribute_values(":pk", s(pk))
                .expression_attribute_values(":upto", s(upto.clone()))
                .set_limit(i32::try_from(wanted).ok());
            query = match &after {
                Some(after) => query
                    .key_condition_expression("gsi2pk = :pk AND gsi2sk BETWEEN :after AND :upto")
                    .expression_attribute_values(":after", s(after.clone())),
                None => query.key_condition_expression("gsi2pk = :pk AND gsi2sk <= :upto"),
            };
            self.query_pages(query, wanted)
        };
        let shards = (0..SHARDS).map(|shard| query(list.partition(shard)));
        let mut entries: Vec<(String, Item)> = futures::future::try_join_all(shards)
            .await?
            .into_iter()
            .flatten()
            .map(|item| Ok((attribute(&item, "gsi2sk")?.to_owned(), item)))
            .collect::<Result<_, StoreError>>()?;
        if let Some(after) = &after {
            entries.retain(|(sk, _)| sk > after);
        }
        entries.sort_by(|(a, _), (b, _)| a.cmp(b));
        entries.truncate(limit);
        Ok(entries.into_iter().map(|(_, item)| item).collect())
    }

    /// Up to `limit` places of `list` after `after`, read by `read`. An entry that does
    /// not read as a place (a key no longer valid by today's rules) is logged and passed
    /// over, and the page filled from further on, so that it holds back none of the others
    /// (docs/mail.md) and a short page still means the list's end.
    async fn read_list<T>(
        &self,
        list: List,
        upto: String,
        mut after: Option<String>,
        limit: usize,
        read: fn(&Item) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut found = Vec::new();
        while found.len() < limit {
            let wanted = limit - found.len();
            let items = self
                .list_page(list, upto.clone(), after.clone(), wanted)
                .await?;
            let full = items.len() == wanted;
            for item in &items {
                match read(item) {
                    Ok(place) => found.push(place),
                    Err(error) => {
                        tracing::error!(%error, "a list entry that cannot be read; passed over");
                    }
                }
            }
            match items.last() {
                Some(last) if full => after = Some(attribute(last, "gsi2sk")?.to_owned()),
                _ => break,
            }
        }
        Ok(found)
    }

    pub(super) async fn expiring(
        &self,
        until: Date,
        after: Option<&ExpiryPlace>,
        limit: usize,
    ) -> Result<Vec<ExpiryPlace>, StoreError> {
        // `~` sorts after every serial: the whole of the last day.
        let upto = format!("{until}#~");
        let after = after.map(|place| expiry_sk(place.expires_on, &place.serial));
        self.read_list(List::Expiry, upto, after, limit, expiry_place)
            .await
    }

    pub(super) async fn pending(
        &self,
        due_by: Timestamp,
        after: Option<&DuePlace>,
        limit: usize,
    ) -> Result<Vec<PendingMail>, StoreError> {
        let upto = format!("{:020}#~", due_by.as_nanosecond());
        self.read_list(
            List::Pending,
            upto,
            after.map(pending_sk),
            limit,
            pending_mail,
        )
        .await
    }

    pub(super) async fn to_publish(
        &self,
        due_by: Timestamp,
        after: Option<&PublishPlace>,
        limit: usize,
    ) -> Result<Vec<PublishPlace>, StoreError> {
        let upto = format!("{:020}#~", due_by.as_nanosecond());
        self.read_list(
            List::Publish,
            upto,
            after.map(publish_sk),
            limit,
            publish_place,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_spread_over_every_shard_and_stay_in_theirs() {
        let mut seen = [0u32; SHARDS as usize];
        for n in 0..16_000 {
            seen[shard_of(&format!("SSU-{n:08}")) as usize] += 1;
        }
        assert!(
            seen.iter().all(|&count| (800..1_200).contains(&count)),
            "{seen:?}"
        );
        assert_eq!(shard_of("SSU-00000042"), shard_of("SSU-00000042"));
    }
}
