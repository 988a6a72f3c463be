//! SL001 input-parse-error: a file shardlint should read but cannot (syntax error, binary, empty,
//! not UTF-8). Reported by the loaders as an input error, not by a check; the run goes on and
//! exits 2.

use super::RuleMeta;
use crate::diagnostic::Severity;

pub static META: RuleMeta = RuleMeta {
    code: "SL001",
    name: "input-parse-error",
    summary: "An input file could not be read or parsed",
    severity: Severity::Error,
    group: super::Group::Input,
    doc: include_str!("../../rules/SL001.md"),
};
