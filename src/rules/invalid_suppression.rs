//! SL004 invalid-suppression: a `shardlint:ignore` comment without a `-- reason`, or one that
//! names no known rule. Reported by [`suppress`](crate::suppress); a suppression missing only
//! its reason still silences what it names.

use super::RuleMeta;
use crate::diagnostic::Severity;

pub static META: RuleMeta = RuleMeta {
    code: "SL004",
    name: "invalid-suppression",
    summary: "A suppression without a `-- reason`, or naming no known rule",
    severity: Severity::Warning,
    group: super::Group::Input,
    doc: include_str!("../../rules/SL004.md"),
};
