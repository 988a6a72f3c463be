//! SL005 unknown-shard-count: a provisioned stream whose shard count cannot be known statically
//! (CloudFormation `ShardCount` omitted, a variable without default, a module input). Said once,
//! so shard-dependent checks (hot shards, keyspace, consumer load) can skip it without guessing.

use super::{Ctx, RuleMeta, param_name};
use crate::diagnostic::{Finding, Severity};
use crate::model::{StreamMode, ValState};

pub static META: RuleMeta = RuleMeta {
    code: "SL005",
    name: "unknown-shard-count",
    summary: "A provisioned stream's shard count is unknown; shard-dependent checks skip it",
    severity: Severity::Info,
    group: super::Group::Input,
    doc: include_str!("../../rules/SL005.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for s in &ctx.model.streams {
        if s.shards.is_some() || s.mode.get() == Some(&StreamMode::OnDemand) {
            continue;
        }
        let name = param_name(s.origin.kind, "ShardCount");
        let reason = match &s.shard_count.state {
            ValState::Unknown(why) => why.clone(),
            ValState::Absent => format!("`{name}` is not set, and PROVISIONED streams require it"),
            ValState::Known(_) => continue,
        };
        out.push(ctx.finding(
            &META,
            s.shard_count.span.unwrap_or(s.origin.span),
            s.shard_count.path.clone(),
            format!("shard count of `{}` is unknown: {reason}", s.display_name()),
            "shard count unknown",
            format!("set `{name}` to a literal (or give the variable a default), or check an export of the deployed stream"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, says};

    #[test]
    fn a_provisioned_stream_without_shard_count_is_unknown() {
        let out = file(
            "template.yaml",
            "Resources:\n  Unsized:\n    Type: AWS::Kinesis::Stream\n    Properties:\n      Name: telemetry\n",
        )
        .run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL005");
        assert_eq!(out.at(f).1, 2);
        says(
            &f.message,
            &[
                "shard count of `telemetry` is unknown",
                "ShardCount is omitted",
            ],
        );
        says(&f.help, &["set `ShardCount` to a literal"]);
    }

    #[test]
    fn a_variable_without_default_is_unknown_at_the_reference() {
        let out = file(
            "main.tf",
            "variable \"shards\" {}\n\nresource \"aws_kinesis_stream\" \"s\" {\n  name        = \"telemetry\"\n  shard_count = var.shards\n}\n",
        )
        .run(super::check);
        let f = out.only();
        assert_eq!(out.text(f), "var.shards");
        says(&f.help, &["set `shard_count` to a literal"]);
    }

    #[test]
    fn a_literal_count_or_on_demand_is_quiet() {
        file(
            "template.yaml",
            "Resources:\n  Sized:\n    Type: AWS::Kinesis::Stream\n    Properties:\n      ShardCount: 2\n  OnDemand:\n    Type: AWS::Kinesis::Stream\n    Properties:\n      StreamModeDetails:\n        StreamMode: ON_DEMAND\n",
        )
        .run(super::check)
        .quiet();
    }
}
