//! The table's stream as Lambda hands it over (docs/cloud.md): a batch of records, each the new
//! image of one changed item. Only the fields the outbox dispatcher reads are kept; the
//! rest of Lambda's event is ignored.

use serde::Deserialize;
use serde_dynamo::{AttributeValue, Item};

use super::keys;
use crate::domain::{Email, OrderNo};

/// A batch of stream records (`{"Records":[…]}`).
#[derive(Debug, Clone, Deserialize)]
pub struct StreamEvent {
    #[serde(rename = "Records")]
    pub records: Vec<StreamRecord>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StreamRecord {
    /// `INSERT`, `MODIFY` or `REMOVE`.
    #[serde(rename = "eventName")]
    pub event_name: String,
    pub dynamodb: StreamChange,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamChange {
    #[serde(default)]
    pub keys: Item,
    #[serde(default)]
    pub new_image: Option<Item>,
    /// What a partial batch failure names the record by.
    #[serde(default)]
    pub sequence_number: Option<String>,
}

/// A mail the stream says was written: its recipient and id, its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailKey {
    pub to: Email,
    pub mail_id: String,
}

/// The fields of a mail's image that name it.
#[derive(Deserialize)]
struct Named {
    to: Email,
    mail_id: String,
}

impl StreamRecord {
    pub fn sequence_number(&self) -> Option<&str> {
        self.dynamodb.sequence_number.as_deref()
    }

    /// The mail this record put into the outbox, if it is the insertion of one. Marking a
    /// mail sent (a MODIFY) and every other item's record are no mail to send.
    pub fn inserted_mail(&self) -> Option<MailKey> {
        if self.event_name != "INSERT" {
            return None;
        }
        let key = |name: &str| match self.dynamodb.keys.get(name) {
            Some(AttributeValue::S(value)) => Some(value.as_str()),
            _ => None,
        };
        if !keys::is_mail(key("pk")?, key("sk")?) {
            return None;
        }
        let image = self.dynamodb.new_image.clone()?;
        match serde_dynamo::from_item::<_, Named>(image) {
            Ok(named) => Some(MailKey {
                to: named.to,
                mail_id: named.mail_id,
            }),
            Err(error) => {
                tracing::warn!(%error, sequence_number = ?self.sequence_number(), "a mail's stream image does not name it");
                None
            }
        }
    }

    /// The order this record wrote with a hand-over pending and unclaimed, if it is one
    /// (docs/orders.md): its placement or a withdrawal. A claim's own write, the mark that
    /// ends it, and every other item's record are nothing to hand over.
    pub fn order_to_hand_over(&self) -> Option<OrderNo> {
        if self.event_name == "REMOVE" {
            return None;
        }
        let key = |name: &str| match self.dynamodb.keys.get(name) {
            Some(AttributeValue::S(value)) => Some(value.as_str()),
            _ => None,
        };
        if !keys::is_order(key("pk")?, key("sk")?) {
            return None;
        }
        #[derive(Deserialize)]
        struct Publication {
            pending: bool,
            claim: Option<String>,
        }
        #[derive(Deserialize)]
        struct Named {
            order_no: OrderNo,
            publication: Publication,
        }
        let image = self.dynamodb.new_image.clone()?;
        match serde_dynamo::from_item::<_, Named>(image) {
            Ok(named) if named.publication.pending && named.publication.claim.is_none() => {
                Some(named.order_no)
            }
            Ok(_) => None,
            Err(error) => {
                tracing::warn!(%error, sequence_number = ?self.sequence_number(), "an order's stream image does not name it");
                None
            }
        }
    }
}
