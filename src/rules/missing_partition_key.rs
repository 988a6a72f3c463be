//! SL103 missing-partition-key: a Kinesis action without a partition key. AWS documents no
//! default for IoT's Kinesis action, so the distribution of records over shards is unknown.

use super::{Ctx, RuleMeta, key_example};
use crate::diagnostic::{Finding, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "SL103",
    name: "missing-partition-key",
    summary: "Kinesis action has no partition key; IoT's default is undocumented",
    severity: Severity::Warning,
    group: super::Group::PartitionKey,
    doc: include_str!("../../rules/SL103.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for rule in &ctx.model.rules {
        for action in &rule.actions {
            if !action.partition_key.is_absent() {
                continue;
            }
            out.push(ctx.finding(
                &META,
                action.span,
                action.partition_key.path.clone(),
                format!(
                    "Kinesis action to {} has no `{}`; AWS documents no default for it",
                    super::describe_stream(ctx.model, action.stream),
                    rule.origin.kind.dialect().key_param
                ),
                "no partition key",
                format!(
                    "set the key explicitly: `{}` keeps per-device order, `{}` spreads load evenly",
                    key_example(rule.origin.kind, "${clientid()}"),
                    key_example(rule.origin.kind, "${newuuid()}")
                ),
            ));
        }
    }
}
