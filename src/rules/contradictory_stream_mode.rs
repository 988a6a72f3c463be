//! SL201 contradictory-stream-mode: an ON_DEMAND stream that also sets a shard count. The AWS
//! provider and CloudFormation reject it at apply time.

use super::{Ctx, RuleMeta};
use crate::diagnostic::{Finding, Severity};
use crate::model::{StreamMode, ValState};

pub static META: RuleMeta = RuleMeta {
    code: "SL201",
    name: "contradictory-stream-mode",
    summary: "ON_DEMAND stream also sets a shard count",
    severity: Severity::Error,
    group: super::Group::Stream,
    doc: include_str!("../../rules/SL201.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for s in &ctx.model.streams {
        // Exports report the current shard count of an on-demand stream; that is not a contradiction.
        if s.origin.kind.dialect().deployed_state || s.mode.get() != Some(&StreamMode::OnDemand) {
            continue;
        }
        let Some(span) = s.shard_count.span else {
            continue;
        };
        let shown = match &s.shard_count.state {
            ValState::Known(0) | ValState::Absent => continue,
            ValState::Known(n) => format!("`{n}`"),
            ValState::Unknown(_) => format!("`{}`", ctx.db.text(span).trim()),
        };
        let name = super::param_name(s.origin.kind, "ShardCount");
        let mut f = ctx.finding(
            &META,
            span,
            s.shard_count.path.clone(),
            format!("stream `{}` is ON_DEMAND but sets `{name}` to {shown}; AWS rejects a shard count in on-demand mode", s.display_name()),
            "not allowed with ON_DEMAND",
            format!("remove `{name}`, or switch the stream to PROVISIONED"),
        );
        if let Some(mode_span) = s.mode.span {
            f.related.push(crate::diagnostic::RelatedSpan {
                span: mode_span,
                path: s.mode.path.clone(),
                message: "the stream is on-demand here".into(),
            });
        }
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, says};

    fn stream(shard_count: &str, mode: &str) -> String {
        format!(
            "resource \"aws_kinesis_stream\" \"s\" {{\n  name        = \"telemetry\"\n  {shard_count}\n  stream_mode_details {{\n    stream_mode = \"{mode}\"\n  }}\n}}\n"
        )
    }

    #[test]
    fn on_demand_with_a_shard_count_fires_at_the_count() {
        let out = file("main.tf", &stream("shard_count = 2", "ON_DEMAND")).run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL201");
        assert_eq!(out.text(f), "2");
        assert_eq!(out.at(f).1, 3);
        says(
            &f.message,
            &["`telemetry` is ON_DEMAND but sets `shard_count` to `2`"],
        );
        says(&f.help, &["remove `shard_count`"]);
        assert_eq!(out.db.text(f.related[0].span), "\"ON_DEMAND\"");
    }

    #[test]
    fn provisioned_with_a_count_or_on_demand_without_is_quiet() {
        file("main.tf", &stream("shard_count = 2", "PROVISIONED"))
            .run(super::check)
            .quiet();
        file("main.tf", &stream("", "ON_DEMAND"))
            .run(super::check)
            .quiet();
    }
}
