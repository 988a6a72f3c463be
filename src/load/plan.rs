//! Terraform plan JSON (`terraform show -json plan.out`) into the model.
//!
//! STUB — being implemented in its own branch.

use crate::diagnostic::InputError;
use crate::model::Model;
use crate::source::{FileId, SourceDb};

/// `Ok(None)`: the JSON is not a plan (skipped).
pub fn load(_db: &SourceDb, _file: FileId) -> Result<Option<Model>, InputError> {
    Ok(None)
}
