//! CloudFormation and SAM templates (YAML with short-form tags, and JSON) into the model.
//!
//! STUB — being implemented in its own branch.

use crate::diagnostic::InputError;
use crate::model::Model;
use crate::source::{FileId, SourceDb};

/// Loads a YAML or JSON CloudFormation/SAM template. `Ok(None)`: not a template (skipped).
pub fn load(_db: &SourceDb, _file: FileId) -> Result<Option<Model>, InputError> {
    Ok(None)
}
