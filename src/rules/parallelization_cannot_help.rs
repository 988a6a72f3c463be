//! SL403 parallelization-cannot-help: the mapping's ParallelizationFactor is N, but the sampled
//! keys fall into so few ordering groups (keys are grouped to keep per-key order) that the
//! effective parallelism of the busiest shard is at most N/2 under the configured group model.
//! AWS does not document the assignment, so the message says how many of the three models
//! (`ordering.rs`) agree and what the others give.

use super::{Ctx, RuleMeta, param_name};
use crate::diagnostic::{Finding, RelatedSpan, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "SL403",
    name: "parallelization-cannot-help",
    summary: "Sampled keys fill too few ordering groups for the ParallelizationFactor to help",
    severity: Severity::Warning,
    group: super::Group::Samples,
    doc: include_str!("../../rules/SL403.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for s in ctx.samples {
        // On an AUTO stream keys do not pick shards: no key makes a shard hot.
        if ctx.auto_distribution(Some(s.stream)) {
            continue;
        }
        if s.factor < 2 {
            continue;
        }
        let Some(mi) = s.mapping else { continue };
        let m = &ctx.model.mappings[mi];
        let Some(busiest) = s.report.groups.iter().max_by_key(|g| g.records) else {
            continue;
        };
        if busiest.records == 0 || busiest.effective_parallelism > s.factor as f64 / 2.0 {
            continue;
        }
        let model = ctx.config.group_model;
        let half = s.factor as f64 / 2.0;
        let agree = s
            .report
            .group_models
            .iter()
            .filter(|g| g.effective_parallelism <= half)
            .count();
        let others: Vec<String> = s
            .report
            .group_models
            .iter()
            .filter(|g| g.model != model.name() && g.effective_parallelism > half)
            .map(|g| format!("`{}` gives `{:.1}`", g.model, g.effective_parallelism))
            .collect();
        let models = if others.is_empty() {
            format!(
                "the same under all {} group models",
                s.report.group_models.len()
            )
        } else {
            format!(
                "holds under {agree} of {} group models: {}",
                s.report.group_models.len(),
                others.join(", ")
            )
        };
        let span = m.parallelization_factor.span.unwrap_or(m.origin.span);
        let (key_at, key_path) = super::sample_key_span(ctx.model, s);
        let mut f = ctx.finding(
            &META,
            span,
            m.parallelization_factor.path.clone(),
            format!(
                "`{}` is `{}`, but the {} keys of `{}` fill its ordering groups so unevenly that effective parallelism is `{:.1}` (largest group `{:.1}%` of the shard, model `{}`); {models}",
                param_name(m.origin.kind, "ParallelizationFactor"),
                s.factor,
                super::sampled(&s.report),
                busiest.shard_id,
                busiest.effective_parallelism,
                busiest.largest_group_share * 100.0,
                model.name()
            ),
            format!("effectively {:.1} of {}", busiest.effective_parallelism, s.factor),
            "spread the partition key over more values (a key never splits across groups), or lower the factor to what the keys can use".into(),
        );
        f.related.push(RelatedSpan {
            span: key_at,
            path: key_path,
            message: "the partition key that decides the groups".into(),
        });
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{envelopes, file, pipeline, says};

    #[test]
    fn two_keys_under_a_factor_of_ten_fire_at_the_factor() {
        let out = file(
            "main.tf",
            &pipeline(1, "$${topic(2)}", "parallelization_factor = 10"),
        )
        .samples(&envelopes(&[("a", 30), ("b", 30)], 1000), None)
        .run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL403");
        assert_eq!(out.text(f), "10");
        says(
            &f.message,
            &[
                "`parallelization_factor` is `10`",
                "of `shardId-000000000000` fill its ordering groups so unevenly",
            ],
        );
        assert_eq!(out.db.text(f.related[0].span), "\"$${topic(2)}\"");
    }

    #[test]
    fn many_keys_are_quiet() {
        let names: Vec<String> = (0..200).map(|i| format!("line-{i}")).collect();
        let devices: Vec<(&str, usize)> = names.iter().map(|n| (n.as_str(), 1)).collect();
        file(
            "main.tf",
            &pipeline(1, "$${topic(2)}", "parallelization_factor = 10"),
        )
        .samples(&envelopes(&devices, 1000), None)
        .run(super::check)
        .quiet();
    }
}
