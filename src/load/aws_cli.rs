//! AWS CLI JSON exports (kinesis describe-stream/list-shards, iot get-topic-rule, lambda
//! event source mappings and functions), recognised by content, into the model.
//!
//! STUB — being implemented in its own branch.

use crate::diagnostic::InputError;
use crate::model::Model;
use crate::source::{FileId, SourceDb};

/// `Ok(None)`: the JSON is not an export shardlint reads (skipped).
pub fn load(_db: &SourceDb, _file: FileId) -> Result<Option<Model>, InputError> {
    Ok(None)
}
