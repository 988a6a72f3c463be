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
                "`{}` is `{}`, but the sampled keys of `{}` fill its ordering groups so unevenly that effective parallelism is `{:.1}` (largest group `{:.1}%` of the shard, model `{}`); {models}",
                param_name(m.origin.kind, "ParallelizationFactor"),
                s.factor,
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
