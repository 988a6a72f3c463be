//! SL002 unresolved-stream-reference: a Kinesis action's or mapping's stream that is not in the
//! inputs, ambiguous, or not statically known. Said once per reference, so the stream-dependent
//! rules can stay quiet instead of guessing.

use super::{Ctx, RuleMeta};
use crate::diagnostic::{Finding, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "SL002",
    name: "unresolved-stream-reference",
    summary: "A stream reference is unknown or ambiguous; stream-dependent checks skip it",
    severity: Severity::Info,
    group: super::Group::Input,
    doc: include_str!("../../rules/SL002.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for u in &ctx.model.unlinked {
        out.push(ctx.finding(
            &META,
            u.span,
            u.path.clone(),
            format!("cannot resolve {}: {}", u.wanted, u.reason),
            "unresolved",
            "pass the files that declare the stream in the same run (or an export of it), or give the value a literal default".into(),
        ));
    }
}
