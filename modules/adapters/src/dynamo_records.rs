use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use imagepipe_core::{Record, RecordStatus};

use crate::error::StoreError;
use crate::ports::{PutOutcome, RecordStore};
use crate::sdk_error::store_error;

/// The table's partition key: the record's `object_id` field (`s3://bucket/key`).
pub const OBJECT_ID_ATTRIBUTE: &str = "object_id";

/// The record's sequencer zero-padded to a fixed width, stored beside the record's own fields
/// because a condition expression can compare strings but not hex numbers of different
/// lengths.
pub const SEQUENCER_ORDER_ATTRIBUTE: &str = "sequencer_order";

/// The record's `status` field, which the guard reads to let a completion replace a failure.
const STATUS_ATTRIBUTE: &str = "status";

/// The record's `settings_digest` field, which the guard reads to let a reprocess with other
/// settings replace the same event's record.
const SETTINGS_DIGEST_ATTRIBUTE: &str = "settings_digest";

/// Replaces the item unless it holds the same or a newer event: [`Record::blocks_write_of`]
/// for a `failed` record, evaluated by DynamoDB atomically with the write. The same event's
/// item is replaced when other settings made it.
const NEWER_THAN_STORED: &str = "attribute_not_exists(#id) OR attribute_not_exists(#order) OR #order < :order OR (#order = :order AND #digest <> :digest)";

/// [`Record::blocks_write_of`] for a `complete` record: as [`NEWER_THAN_STORED`], and at the
/// same sequencer over a `failed` item (a redelivery that succeeded where an attempt failed).
const NEWER_THAN_STORED_OR_COMPLETING_IT: &str = "attribute_not_exists(#id) OR attribute_not_exists(#order) OR #order < :order OR (#order = :order AND (#status = :failed OR #digest <> :digest))";

/// [`Record::blocks_write_of`] for a record without a sequencer: it cannot be ordered, so it
/// never replaces an item that can.
const NOTHING_ORDERED_STORED: &str = "attribute_not_exists(#id) OR attribute_not_exists(#order)";

/// [`RecordStore`] over a DynamoDB table keyed by `object_id` (string). Items are the
/// record's fields as serde_dynamo maps them, plus [`SEQUENCER_ORDER_ATTRIBUTE`].
#[derive(Debug, Clone)]
pub struct DynamoRecordStore {
    client: Client,
    table: String,
}

impl DynamoRecordStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn what(&self, object_id: &str) -> String {
        format!("record {object_id} in table {}", self.table)
    }
}

/// [`RecordStatus::Failed`] as serde writes it into the item (a test holds them together).
const FAILED_STATUS: &str = "failed";

fn failed_status() -> AttributeValue {
    AttributeValue::S(FAILED_STATUS.to_owned())
}

impl RecordStore for DynamoRecordStore {
    async fn get_record(&self, object_id: &str) -> Result<Option<Record>, StoreError> {
        let what = self.what(object_id);
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(OBJECT_ID_ATTRIBUTE, AttributeValue::S(object_id.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("GetItem", &what, e))?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        serde_dynamo::from_item(item)
            .map(Some)
            .map_err(|e| StoreError::Invalid {
                what,
                detail: format!("the stored item is not a record: {e}"),
            })
    }

    async fn put_record(&self, record: &Record) -> Result<PutOutcome, StoreError> {
        let what = self.what(&record.object_id);
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(record).map_err(|e| StoreError::Invalid {
                what: what.clone(),
                detail: format!("the record cannot be an item: {e}"),
            })?;
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .expression_attribute_names("#id", OBJECT_ID_ATTRIBUTE)
            .expression_attribute_names("#order", SEQUENCER_ORDER_ATTRIBUTE);
        if let Some(sequencer) = record.sequencer() {
            let order = AttributeValue::S(sequencer.normalized());
            item.insert(SEQUENCER_ORDER_ATTRIBUTE.to_owned(), order.clone());
            let digest = AttributeValue::S(record.provenance.settings_digest.clone());
            request = request
                .expression_attribute_values(":order", order)
                .expression_attribute_names("#digest", SETTINGS_DIGEST_ATTRIBUTE)
                .expression_attribute_values(":digest", digest);
            request = match record.status {
                RecordStatus::Failed => request.condition_expression(NEWER_THAN_STORED),
                RecordStatus::Complete => request
                    .condition_expression(NEWER_THAN_STORED_OR_COMPLETING_IT)
                    .expression_attribute_names("#status", STATUS_ATTRIBUTE)
                    .expression_attribute_values(":failed", failed_status()),
            };
        } else {
            request = request.condition_expression(NOTHING_ORDERED_STORED);
        }
        match request.set_item(Some(item)).send().await {
            Ok(_) => Ok(PutOutcome::Written),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(PutOutcome::Stale)
            }
            Err(error) => Err(store_error("PutItem", &what, error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_condition_compares_the_status_as_items_store_it() {
        let stored: AttributeValue =
            serde_dynamo::to_attribute_value(RecordStatus::Failed).expect("status");
        assert_eq!(stored, failed_status());
    }

    #[test]
    fn the_condition_reads_the_digest_where_items_store_it() {
        use imagepipe_core::jsonl_summary::JsonLinesSummary;
        use imagepipe_core::{Failure, FailureKind, ObjectIdentity, PipelineSettings, Provenance};

        let provenance = Provenance::new(&JsonLinesSummary, &PipelineSettings::default());
        let failure = Failure::new(FailureKind::INTERNAL, "x");
        let record = Record::failed(ObjectIdentity::new("b", "k", 1), provenance, failure, 0);
        let item: HashMap<String, AttributeValue> = serde_dynamo::to_item(&record).expect("item");
        assert_eq!(
            item.get(SETTINGS_DIGEST_ATTRIBUTE),
            Some(&AttributeValue::S(
                record.provenance.settings_digest.clone()
            ))
        );
        assert_eq!(
            item.get("failed_kind"),
            Some(&AttributeValue::S("internal".to_owned()))
        );
    }
}
