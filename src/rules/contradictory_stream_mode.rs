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
