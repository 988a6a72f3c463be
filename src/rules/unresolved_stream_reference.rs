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

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, says};

    #[test]
    fn a_module_output_without_the_module_is_unresolved() {
        let out = file(
            "main.tf",
            r#"resource "aws_iot_topic_rule" "r" {
  name        = "r"
  enabled     = true
  sql         = "SELECT * FROM 'a/+'"
  sql_version = "2016-03-23"
  kinesis {
    stream_name   = module.kinesis.stream_name
    partition_key = "$${clientid()}"
    role_arn      = "arn:aws:iam::123456789012:role/iot"
  }
}
"#,
        )
        .run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL002");
        assert_eq!(out.text(f), "module.kinesis.stream_name");
        says(&f.message, &["cannot resolve", "module"]);
    }

    #[test]
    fn a_declared_stream_resolves() {
        let out = file(
            "main.tf",
            &super::super::testkit::iot_rule("SELECT * FROM 'a/+'", ""),
        )
        .run(super::check);
        out.quiet();
    }
}
