//! Items read together: one `BatchGetItem` for keys known at once, strongly consistent.
//! A renewal's reads (docs/renewal.md) take one of them with a session, whose member names
//! the serial's partition: the code, the serial and the member. Without one, they take two
//! instead of four `GetItem`s one after another: the code with the serial's owner pointer,
//! then the serial with its member. A serial's item is filed under its member (so usage is
//! one Query), and its key is known only once the pointer has been read.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::KeysAndAttributes;

use super::DynamoStore;
use super::item::{Item, record};
use super::keys::{self, Key};
use crate::domain::{CustomerId, RenewalCode, Serial, SerialRecord};
use crate::store::{RenewalView, StoreError};

/// Rounds of a batch read before giving up on keys DynamoDB keeps leaving unprocessed (it
/// does so when throttled): the caller's own backoff takes it from there.
const MOST_ROUNDS: u32 = 8;

impl DynamoStore {
    /// The items under `wanted`, in its order (`None` where nothing is stored), read with
    /// one `BatchGetItem` and again for whatever DynamoDB leaves unprocessed.
    pub(super) async fn items_together<const N: usize>(
        &self,
        wanted: [Key; N],
    ) -> Result<[Option<Item>; N], StoreError> {
        let places: Vec<(String, String)> = wanted
            .iter()
            .map(|k| (k.pk.clone(), k.sk.clone()))
            .collect();
        let mut found: HashMap<(String, String), Item> = HashMap::new();
        let mut asking = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(wanted.into_iter().map(Key::attributes).collect()))
                .consistent_read(true)
                .build()
                .map_err(|e| StoreError::Backend(e.to_string()))?,
        );
        let mut round = 0;
        while let Some(keys) = asking.take() {
            if round == MOST_ROUNDS {
                return Err(StoreError::Throttled(
                    "BatchGetItem left keys unprocessed round after round".to_owned(),
                ));
            }
            if round > 0 {
                tokio::time::sleep(crate::store::backoff::pause(round)).await;
            }
            round += 1;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, keys)
                .set_return_consumed_capacity(self.capacity())
                .send()
                .await?;
            self.consumed_reading(output.consumed_capacity());
            for item in output
                .responses
                .and_then(|mut tables| tables.remove(&self.table))
                .unwrap_or_default()
            {
                let place = |name: &str| {
                    item.get(name)
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_default()
                };
                found.insert((place("pk"), place("sk")), item);
            }
            asking = output
                .unprocessed_keys
                .and_then(|mut tables| tables.remove(&self.table))
                .filter(|keys| !keys.keys().is_empty());
        }
        Ok(std::array::from_fn(|i| found.remove(&places[i])))
    }

    /// docs/renewal.md, with a session: the code, and the serial and member under the caller's
    /// partition, in one request. Another member's serial is not there, so it reads as none.
    pub(super) async fn read_members_renewal(
        &self,
        code: &RenewalCode,
        serial: &Serial,
        owner: &CustomerId,
    ) -> Result<RenewalView, StoreError> {
        let [code_item, serial_item, member_item] = self
            .items_together([
                keys::code(code),
                keys::serial(owner, serial),
                keys::member(owner),
            ])
            .await?;
        let Some(code) = code_item.map(record).transpose()? else {
            return Ok(RenewalView::default());
        };
        let serial: Option<SerialRecord> = serial_item.map(record).transpose()?;
        // As without a session: no member past a serial that is not there.
        let member = match serial {
            Some(_) => member_item.map(record).transpose()?,
            None => None,
        };
        Ok(RenewalView {
            code: Some(code),
            serial,
            member,
        })
    }

    /// docs/renewal.md, without a session: the code and the serial's owner pointer together,
    /// then the serial and its member together. Neither is read for an unknown code.
    pub(super) async fn read_for_renewal(
        &self,
        code: &RenewalCode,
        serial: &Serial,
    ) -> Result<RenewalView, StoreError> {
        #[derive(serde::Deserialize)]
        struct Owner {
            owner: CustomerId,
        }
        let [code_item, owner_item] = self
            .items_together([keys::code(code), keys::serial_owner(serial)])
            .await?;
        let Some(code) = code_item.map(record).transpose()? else {
            return Ok(RenewalView::default());
        };
        let Some(owner) = owner_item.map(record::<Owner>).transpose()? else {
            return Ok(RenewalView {
                code: Some(code),
                serial: None,
                member: None,
            });
        };
        let [serial_item, member_item] = self
            .items_together([
                keys::serial(&owner.owner, serial),
                keys::member(&owner.owner),
            ])
            .await?;
        Ok(RenewalView {
            code: Some(code),
            serial: serial_item.map(record).transpose()?,
            member: member_item.map(record).transpose()?,
        })
    }
}
