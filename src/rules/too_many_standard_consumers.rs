//! SL202 too-many-standard-consumers: more event source mappings without enhanced fan-out on one
//! stream than a shard's 5 GetRecords calls per second can serve (each mapping polls every shard
//! about once a second), so consumers throttle each other and fall behind.

use super::{Ctx, RuleMeta};
use crate::diagnostic::{Finding, RelatedSpan, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "SL202",
    name: "too-many-standard-consumers",
    summary: "More standard consumers on a stream than a shard's GetRecords budget serves",
    severity: Severity::Warning,
    group: super::Group::Stream,
    doc: include_str!("../../rules/SL202.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let limit = ctx.config.max_standard_consumers;
    for (si, s) in ctx.model.streams.iter().enumerate() {
        let standard: Vec<_> = ctx
            .model
            .mappings
            .iter()
            .filter(|m| m.stream == Some(si) && !m.is_efo() && m.enabled.get() != Some(&false))
            .collect();
        if standard.len() <= limit {
            continue;
        }
        // Point at the first mapping past the budget; list all of them as related.
        let culprit = standard[limit];
        let span = culprit.source_arn.span.unwrap_or(culprit.origin.span);
        let mut f = ctx.finding(
            &META,
            span,
            culprit.source_arn.path.clone(),
            format!(
                "stream `{}` has {} standard consumers; each shard serves {} GetRecords calls per second in all",
                s.display_name(),
                standard.len(),
                crate::model::limits::SHARD_GETRECORDS_PER_S
            ),
            format!("consumer {} of {}", limit + 1, standard.len()),
            "register an enhanced fan-out consumer (`aws_kinesis_stream_consumer`) for some mappings and use its ARN as their source, or merge the functions".into(),
        );
        f.related = standard
            .iter()
            .map(|m| RelatedSpan {
                span: m.origin.span,
                path: m.origin.address.clone(),
                message: "a standard consumer of the same stream".into(),
            })
            .collect();
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, says};

    /// A stream and `n` standard consumers (event source mappings) on it.
    fn consumers(n: usize) -> String {
        let mut tf = "resource \"aws_kinesis_stream\" \"s\" {\n  name        = \"shared\"\n  shard_count = 2\n}\n".to_string();
        for i in 0..n {
            tf.push_str(&format!(
                "\nresource \"aws_lambda_event_source_mapping\" \"reader_{i}\" {{\n  event_source_arn  = aws_kinesis_stream.s.arn\n  function_name     = \"reader-{i}\"\n  starting_position = \"LATEST\"\n}}\n"
            ));
        }
        tf
    }

    #[test]
    fn six_consumers_fire_at_the_sixth() {
        let out = file("main.tf", &consumers(6)).run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL202");
        assert_eq!(out.text(f), "aws_kinesis_stream.s.arn");
        // The sixth mapping's `event_source_arn`: 4 lines of stream, 6 per mapping before it,
        // then its blank line and `resource` line.
        assert_eq!(out.at(f).1, 4 + 6 * 5 + 3);
        says(
            &f.message,
            &["`shared` has 6 standard consumers", "5 GetRecords calls"],
        );
        assert_eq!(f.label, "consumer 6 of 6");
        assert_eq!(f.related.len(), 6);
    }

    #[test]
    fn five_consumers_are_quiet() {
        file("main.tf", &consumers(5)).run(super::check).quiet();
    }

    #[test]
    fn the_limit_follows_the_config() {
        file("main.tf", &consumers(5))
            .config("[thresholds]\nmax-standard-consumers = 4\n")
            .run(super::check)
            .only();
    }
}
