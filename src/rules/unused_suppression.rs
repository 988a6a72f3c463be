//! SL003 unused-suppression: a `shardlint:ignore` comment or a CloudFormation
//! `Metadata.shardlint.ignore` entry that silences no finding. Reported by
//! [`suppress`](crate::suppress) after the rules ran, as ruff reports an unused `noqa`.

use super::RuleMeta;
use crate::diagnostic::Severity;

pub static META: RuleMeta = RuleMeta {
    code: "SL003",
    name: "unused-suppression",
    summary: "A suppression that suppresses no finding",
    severity: Severity::Warning,
    group: super::Group::Input,
    doc: include_str!("../../rules/SL003.md"),
};
