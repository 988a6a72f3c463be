//! SL405 consumer-falls-behind: with samples, a rate and a stated per-record processing time
//! (`--record-time`), the configured mapping cannot keep up: some ordering group receives records
//! faster than it processes them, so IteratorAge grows without bound. The help gives the smallest
//! ParallelizationFactor and BatchSize that keep up (steady-state model of `shardlint simulate`).
//! Keys reach ordering groups by the configured group model; the message says how many of the
//! three models (`ordering.rs`) also fall behind.

use super::iterator_age_growing::MIN_AGE_MS;
use super::{Ctx, RuleMeta, param_name};
use crate::diagnostic::{Finding, RelatedSpan, Severity};
use crate::numbers::duration_ms;
use crate::observed::{describe_age, function_label, growing};
use crate::ordering::GroupModel;
use crate::simulate::{SimConfig, Workload, assess};

pub static META: RuleMeta = RuleMeta {
    code: "SL405",
    name: "consumer-falls-behind",
    summary: "The mapping cannot keep up with the sampled rate: IteratorAge grows without bound",
    severity: Severity::Error,
    group: super::Group::Samples,
    doc: include_str!("../../rules/SL405.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let Some(record_time) = ctx.record_time else {
        return;
    };
    let observed = crate::observed::observe(ctx.model);
    for s in ctx.samples {
        let (Some(mi), Some(rate)) = (s.mapping, s.report.input.time.records_per_s) else {
            continue;
        };
        let m = &ctx.model.mappings[mi];
        let timeout = m
            .function_idx
            .map(|f| ctx.model.functions[f].timeout.get().copied().unwrap_or(3));
        // Out-of-range or unknown settings are SL301's / SL002's business.
        let Ok(mut cfg) = SimConfig::from_mapping(m, timeout) else {
            continue;
        };
        cfg.record_time = *record_time;
        cfg.group_model = ctx.config.group_model;
        let Some(map) = ctx.analysis.shard_maps[s.stream].map() else {
            continue;
        };
        let keyed = s.report.input.keyed_records.max(1) as f64;
        let bytes = s.report.shards.iter().map(|sh| sh.bytes).sum::<u64>() as f64 / keyed;
        let workload = Workload {
            record_time: *record_time,
            records_per_second: rate,
            record_bytes: bytes.round().max(1.0) as u32,
            shards: map.clone(),
            keys: s
                .report
                .hot_keys
                .iter()
                .map(|k| (k.key.clone(), k.count as f64 / keyed))
                .collect(),
        };
        let a = assess(&cfg, &workload);
        if !a.falls_behind {
            continue;
        }
        let behind: Vec<GroupModel> = GroupModel::ALL
            .into_iter()
            .filter(|&gm| {
                gm == cfg.group_model || {
                    let mut c = cfg.clone();
                    c.group_model = gm;
                    assess(&c, &workload).falls_behind
                }
            })
            .collect();
        let models = if behind.len() == GroupModel::ALL.len() {
            format!(
                "model `{}`, the same under all {} group models",
                cfg.group_model.name(),
                behind.len()
            )
        } else {
            let keeps_up: Vec<String> = GroupModel::ALL
                .iter()
                .filter(|m| !behind.contains(m))
                .map(|m| format!("`{}`", m.name()))
                .collect();
            format!(
                "model `{}`; falls behind under {} of {} group models, not under {}",
                cfg.group_model.name(),
                behind.len(),
                GroupModel::ALL.len(),
                keeps_up.join(", ")
            )
        };
        let (load, capacity) = a
            .busiest
            .as_ref()
            .map(|b| (b.records_per_second, b.capacity_per_second))
            .unwrap_or((rate, 0.0));
        let pf = param_name(m.origin.kind, "ParallelizationFactor");
        let bs = param_name(m.origin.kind, "BatchSize");
        let help = match (a.recommended, &a.hot_key) {
            (Some((f, b)), _) => format!("set `{pf}` to `{f}` and `{bs}` to `{b}` (the smallest settings that keep up with 10% headroom; check with `shardlint simulate`)"),
            (None, Some(k)) => format!("no mapping setting keeps up: key `{k}` alone exceeds one ordering group's capacity; spread the key or make the function faster"),
            (None, None) => "make the function faster or add shards: no ParallelizationFactor and BatchSize keep up".into(),
        };
        let mut message = format!(
            "the busiest ordering group receives `{load:.1}` records/s but processes `{capacity:.1}` records/s (`{:.0}%` utilization): IteratorAge grows without bound ({models})",
            a.utilization * 100.0
        );
        let mut related = Vec::new();
        // Observed against simulated: the function's IteratorAge from an export's metrics.
        if let Some((label, age)) = m.function.get().and_then(|f| {
            let label = function_label(f);
            observed.functions.get(label).map(|s| (label, s))
        }) {
            if growing(age, MIN_AGE_MS) {
                message.push_str(&format!(
                    "; observed: IteratorAge of `{label}` {}: the metrics confirm it",
                    describe_age(age)
                ));
            } else {
                let max = age.peak().map_or(0.0, |p| p.1);
                message.push_str(&format!(
                    "; observed: IteratorAge of `{label}` stayed at or below `{}` and did not keep growing over the window: the metrics do not show it (the samples' rate or `--record-time` may overstate the real load)",
                    duration_ms(max)
                ));
            }
            related.push(RelatedSpan {
                span: age.0.span,
                path: age.0.path.clone(),
                message: format!("observed IteratorAge of `{label}`"),
            });
        }
        let mut f = ctx.finding(
            &META,
            m.origin.span,
            m.origin.address.clone(),
            message,
            "falls behind",
            help,
        );
        f.related = related;
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{envelopes, file, pipeline, says};

    /// 150 records over 30 s from five devices: 5 records/s on one shard.
    fn samples() -> String {
        envelopes(
            &[("1", 30), ("2", 30), ("3", 30), ("4", 30), ("5", 30)],
            200,
        )
    }

    #[test]
    fn a_slow_function_falls_behind_at_the_mapping() {
        let out = file("main.tf", &pipeline(1, "$${topic(2)}", ""))
            .samples(&samples(), None)
            .record_time("300ms")
            .run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL405");
        assert!(
            out.text(f)
                .starts_with("resource \"aws_lambda_event_source_mapping\" \"m\""),
            "{}",
            out.text(f)
        );
        says(
            &f.message,
            &[
                "records/s but processes `3.3` records/s",
                "IteratorAge grows without bound",
            ],
        );
        says(&f.help, &["set `parallelization_factor` to `"]);
    }

    #[test]
    fn a_fast_function_or_no_record_time_is_quiet() {
        file("main.tf", &pipeline(1, "$${topic(2)}", ""))
            .samples(&samples(), None)
            .record_time("10ms")
            .run(super::check)
            .quiet();
        file("main.tf", &pipeline(1, "$${topic(2)}", ""))
            .samples(&samples(), None)
            .run(super::check)
            .quiet();
    }
}
