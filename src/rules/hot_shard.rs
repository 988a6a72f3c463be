//! SL401 hot-shard: with sampled records, one shard of the stream takes far more than its fair
//! share (at least `hot-shard-share`, default 50%, of a multi-shard stream, and more above the
//! fair share than sampling noise explains), or a shard's records/s or bytes/s breach the
//! 1,000 records/s / 1 MiB/s write limit when rates are known.
//!
//! The decision (and its noise test) is [`crate::distribution::hot::hot_shard`], shared with
//! `distribute` and the HTML report.

use super::{Ctx, RuleMeta};
use crate::diagnostic::{Finding, RelatedSpan, Severity};
use crate::numbers::{pct, thousands};

pub static META: RuleMeta = RuleMeta {
    code: "SL401",
    name: "hot-shard",
    summary: "Sampled records concentrate on one shard or breach a shard's write limit",
    severity: Severity::Error,
    group: super::Group::Samples,
    doc: include_str!("../../rules/SL401.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    shared_breaches(ctx, out);
    for s in ctx.samples {
        // On an AUTO stream keys do not pick shards: no key makes a shard hot.
        if ctx.auto_distribution(Some(s.stream)) {
            continue;
        }
        let r = &s.report;
        let stream = &ctx.model.streams[s.stream];
        let n = r.shards.len();
        let keyed = r.input.keyed_records;
        if keyed == 0 {
            continue;
        }
        let breaches: Vec<_> = r.limits.iter().filter(|l| l.scope == "shard").collect();
        let hot = crate::distribution::hot::hot_shard(r, ctx.config.hot_shard_share);
        if hot.is_none() && breaches.is_empty() {
            continue;
        }
        let (span, path) = super::sample_key_span(ctx.model, s);
        let mut parts = Vec::new();
        if let Some(hot) = &hot {
            parts.push(format!(
                "`{}` of `{}` {} records go to `{}` of `{}` ({}, fair share `{}`); effective shards `{:.1}`",
                pct(hot.share),
                thousands(keyed),
                super::sampled(r),
                hot.shard_id,
                stream.display_name(),
                crate::numbers::plural(n as u64, "shard", "shards"),
                pct(hot.fair_share),
                r.skew.effective_shards
            ));
        }
        for b in &breaches {
            let (unit, limit) = if b.metric == "records_per_s" {
                ("records", "1,000 records/s")
            } else {
                ("bytes", "1 MiB/s")
            };
            match (&b.at, b.basis) {
                (Some(at), "peak") => parts.push(format!(
                    "`{}` of `{}` takes `{}` {unit} in the second from `{at}`{}, above the {limit} write limit",
                    b.id,
                    stream.display_name(),
                    thousands(b.value as u64),
                    b.mean
                        .map(|m| format!(" (mean `{}`/s)", thousands(m.round() as u64)))
                        .unwrap_or_default()
                )),
                _ => parts.push(format!(
                    "`{}` of `{}` takes a mean `{}` {unit}/s, above the {limit} write limit",
                    b.id,
                    stream.display_name(),
                    thousands(b.value.round() as u64)
                )),
            }
        }
        let (label, help) = if let Some(hot) = &hot {
            (
                format!("{} of the records land on one shard", pct(hot.share)),
                match s.producer.and_then(|i| ctx.model.producers.get(i)) {
                    // Other producers: their own syntax.
                    Some(p) => format!(
                        "spread the key: key by a field with many values, e.g. `{}`; add shards only if the keys are already spread",
                        p.per_record_example
                    ),
                    None => "spread the key: key by a per-device field with many values, or by `${newuuid()}` when per-device order does not matter; add shards only if the keys are already spread".into(),
                },
            )
        } else {
            (
                "records from this action breach a shard's write limit".to_string(),
                "a shard takes 1,000 records/s and 1 MiB/s in every second: add shards (or make the stream on-demand) for the peak, or smooth the producer's bursts (retry throttled records with backoff)".to_string(),
            )
        };
        let mut f = ctx.finding(&META, span, path, parts.join("; "), label, help);
        f.related.push(RelatedSpan {
            span: stream.origin.span,
            path: stream.origin.address.clone(),
            message: format!(
                "the stream: {}",
                crate::numbers::plural(n as u64, "open shard", "open shards")
            ),
        });
        out.push(f);
    }
}

/// Several actions or producers writing to one stream: a shard's limit is per second whoever
/// writes, so records of different producers in the same second add up. Said once per stream,
/// at the first producer's key, for a shard over the limit together that no producer breaches
/// alone (those are reported per producer above).
fn shared_breaches(ctx: &Ctx, out: &mut Vec<Finding>) {
    use crate::model::limits::{SHARD_WRITE_BYTES_PER_S, SHARD_WRITE_RECORDS_PER_S};
    let mut seen: Vec<&std::sync::Arc<crate::distribution::SharedLoad>> = Vec::new();
    for s in ctx.samples {
        let Some(load) = &s.stream_load else { continue };
        if seen.iter().any(|l| std::sync::Arc::ptr_eq(l, load))
            || ctx.auto_distribution(Some(s.stream))
        {
            continue;
        }
        seen.push(load);
        let writers: Vec<_> = ctx
            .samples
            .iter()
            .filter(|o| {
                o.stream_load
                    .as_ref()
                    .is_some_and(|l| std::sync::Arc::ptr_eq(l, load))
            })
            .collect();
        // Rates from `--rate` replace timestamps: no per-second windows to add up then.
        if writers
            .iter()
            .any(|w| w.report.input.time.source != "timestamps")
        {
            continue;
        }
        let stream = &ctx.model.streams[s.stream];
        let mut parts = Vec::new();
        for (i, w) in load.shards.iter().enumerate() {
            let Some(w) = w else { continue };
            let Some(shard) = s.report.shards.get(i) else {
                continue;
            };
            let alone = |metric: &str| {
                writers.iter().any(|o| {
                    o.report
                        .limits
                        .iter()
                        .any(|l| l.scope == "shard" && l.id == shard.shard_id && l.metric == metric)
                })
            };
            for (metric, v, at, limit, unit) in [
                (
                    "records_per_s",
                    w.peak_records,
                    &w.peak_records_at,
                    SHARD_WRITE_RECORDS_PER_S,
                    "records",
                ),
                (
                    "bytes_per_s",
                    w.peak_bytes,
                    &w.peak_bytes_at,
                    SHARD_WRITE_BYTES_PER_S,
                    "bytes",
                ),
            ] {
                if v as f64 > limit && !alone(metric) {
                    parts.push(format!(
                        "`{}` of `{}` takes `{}` {unit} in the second from `{at}` from `{}` producers together, above the {} write limit (no producer breaches it alone)",
                        shard.shard_id,
                        stream.display_name(),
                        thousands(v),
                        writers.len(),
                        if unit == "records" { "1,000 records/s" } else { "1 MiB/s" },
                    ));
                }
            }
        }
        if parts.is_empty() {
            continue;
        }
        let (span, path) = super::sample_key_span(ctx.model, s);
        let mut f = ctx.finding(
            &META,
            span,
            path,
            parts.join("; "),
            "producers of this stream together breach a shard's write limit".to_string(),
            "a shard takes 1,000 records/s and 1 MiB/s in every second from all its producers: add shards (or make the stream on-demand) for the combined peak, or spread the producers' bursts".to_string(),
        );
        for o in writers.iter().skip(1) {
            let (span, path) = super::sample_key_span(ctx.model, o);
            f.related.push(RelatedSpan {
                span,
                path,
                message: "another producer writing to the same shard in that second".into(),
            });
        }
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{envelopes, file, pipeline, says};

    #[test]
    fn one_device_for_every_record_fires_at_the_key() {
        let out = file("main.tf", &pipeline(4, "$${topic(2)}", ""))
            .samples(&envelopes(&[("truck-7", 60)], 1000), None)
            .run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL401");
        assert_eq!(out.text(f), "\"$${topic(2)}\"");
        says(
            &f.message,
            &[
                "`100.0%` of `60` sampled records go to `shardId-",
                "of `telemetry` (4 shards, fair share `25.0%`); effective shards `1.0`",
            ],
        );
        says(&f.help, &["spread the key"]);
        says(&f.related[0].message, &["4 open shards"]);
    }

    #[test]
    fn many_devices_are_quiet() {
        let names: Vec<String> = (0..200).map(|i| format!("truck-{i}")).collect();
        let devices: Vec<(&str, usize)> = names.iter().map(|n| (n.as_str(), 1)).collect();
        file("main.tf", &pipeline(4, "$${topic(2)}", ""))
            .samples(&envelopes(&devices, 1000), None)
            .run(super::check)
            .quiet();
    }

    #[test]
    fn one_device_on_an_auto_stream_is_quiet() {
        file("main.tf", &pipeline(4, "$${topic(2)}", ""))
            .config("[streams.\"telemetry\"]\nrecord-distribution = \"auto\"\n")
            .samples(&envelopes(&[("truck-7", 60)], 1000), None)
            .run(super::check)
            .quiet();
    }
}
