//! SL304 order-lost-on-auto-distribution: a stream with `RecordDistributionStrategy = AUTO`
//! ignores partition keys, so records of one key land on several shards and per-key order is
//! gone. Reported where something relies on that order or on key placement: a mapping that
//! looks order-dependent (ParallelizationFactor above 1, which exists to keep per-key order
//! while reading a shard concurrently, or a tumbling window, which keeps state per shard), and a
//! KPL producer, whose aggregation AWS does not support on such a stream.

use super::{Ctx, RuleMeta, param_name};
use crate::diagnostic::{Finding, RelatedSpan, Severity};
use crate::model::producer::ProducerKind;
use crate::model::{EventSourceType, SourceKind, Stream};
use crate::source::Span;

pub static META: RuleMeta = RuleMeta {
    code: "SL304",
    name: "order-lost-on-auto-distribution",
    summary: "An AUTO record distribution stream keeps no per-key order, yet its consumer or KPL producer relies on it",
    severity: Severity::Warning,
    group: super::Group::Consumer,
    doc: include_str!("../../rules/SL304.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    check_mappings(ctx, out);
    check_kpl(ctx, out);
}

fn check_mappings(ctx: &Ctx, out: &mut Vec<Finding>) {
    for m in &ctx.model.mappings {
        // DynamoDB streams have no distribution strategy; an unknown source is not assumed.
        if m.source_type() != Some(EventSourceType::Kinesis) || !ctx.auto_distribution(m.stream) {
            continue;
        }
        let Some(stream) = m.stream.and_then(|i| ctx.model.streams.get(i)) else {
            continue;
        };
        let factor = m.parallelization_factor.get().copied().filter(|&f| f > 1);
        let window = m.tumbling_window.get().copied().filter(|&w| w > 0);
        let (val, what) = match (factor, window) {
            (Some(f), _) => (
                &m.parallelization_factor,
                format!(
                    "`{}` is `{f}`, which reads each shard in {f} concurrent batches while keeping records of one partition key in order",
                    param_name(m.origin.kind, "ParallelizationFactor")
                ),
            ),
            (None, Some(w)) => (
                &m.tumbling_window,
                format!(
                    "`{}` is `{w}`: the function aggregates state per shard and window",
                    param_name(m.origin.kind, "TumblingWindowInSeconds")
                ),
            ),
            (None, None) => continue,
        };
        let span = val.span.unwrap_or(m.origin.span);
        let consequence = if factor.is_some() {
            "records of one key now arrive on several shards and are processed concurrently, out of order"
        } else {
            "records of one key now arrive on several shards and each shard's window holds only part of them"
        };
        let mut f = ctx.finding(
            &META,
            span,
            val.path.clone(),
            format!(
                "{what}, but `{}` uses `RecordDistributionStrategy = AUTO`: Kinesis ignores partition keys, so {consequence}",
                stream.display_name()
            ),
            "relies on per-key order",
            format!(
                "if this consumer needs per-key order, {}; if it does not, suppress this finding",
                restore_keys(ctx, stream)
            ),
        );
        f.related.extend(auto_setting(ctx, stream));
        out.push(f);
    }
}

fn check_kpl(ctx: &Ctx, out: &mut Vec<Finding>) {
    for p in &ctx.model.producers {
        // The KPL's `addUserRecord` (Java); the code reader labels the call it found.
        if p.kind != ProducerKind::Code
            || p.origin.kind != SourceKind::Java
            || !p.label.contains("addUserRecord")
            || !ctx.auto_distribution(p.stream)
        {
            continue;
        }
        // Aggregation is on by default; `setAggregationEnabled(false)` in the same file turns it
        // off (a properties file may too, which shardlint cannot see).
        if ctx
            .db
            .get(p.origin.span.file)
            .text
            .contains("setAggregationEnabled(false)")
        {
            continue;
        }
        let Some(stream) = p.stream.and_then(|i| ctx.model.streams.get(i)) else {
            continue;
        };
        let mut f = ctx.finding(
            &META,
            p.origin.span,
            p.origin.address.clone(),
            format!(
                "the KPL aggregates records by default, and `{}` uses `RecordDistributionStrategy = AUTO`, where aggregation is not supported: aggregated records are silently dropped by KCL de-aggregation or fail after about 30 s of retries, unless this KPL is a version that detects AUTO streams and may call `kinesis:DescribeStreamSummary`",
                stream.display_name()
            ),
            "aggregates by default",
            "disable aggregation (`config.setAggregationEnabled(false)`), or upgrade the KPL and grant it `kinesis:DescribeStreamSummary`".into(),
        );
        f.related.extend(auto_setting(ctx, stream));
        out.push(f);
    }
}

/// How to go back to key-based placement, in the stream's own format.
fn restore_keys(ctx: &Ctx, stream: &Stream) -> String {
    let configured = ctx
        .config
        .stream_rate(&stream.display_name())
        .and_then(|r| r.record_distribution)
        .is_some();
    match stream.origin.kind {
        SourceKind::CloudFormation if !configured => {
            "set the stream's `RecordDistributionStrategy` to `USER_PARTITION_KEY` (the default)"
                .into()
        }
        _ => format!(
            "switch the stream back with `aws kinesis update-stream-record-distribution-strategy --stream-arn {} --record-distribution-strategy USER_PARTITION_KEY`",
            stream
                .arn
                .clone()
                .unwrap_or_else(|| format!("<ARN of {}>", stream.display_name()))
        ),
    }
}

/// Where the stream is said to be AUTO: `shardlint.toml` when it says so, else the stream's
/// `RecordDistributionStrategy`.
fn auto_setting(ctx: &Ctx, stream: &Stream) -> Option<RelatedSpan> {
    let name = stream.display_name();
    if let Some(rate) = ctx
        .config
        .stream_rate(&name)
        .filter(|r| r.record_distribution.is_some())
    {
        let (file, range) = (ctx.config_file?, rate.span.clone()?);
        return Some(RelatedSpan {
            span: Span::new(file, range.start, range.end),
            path: format!("streams.\"{name}\""),
            message: "`record-distribution = \"auto\"` is configured here".into(),
        });
    }
    Some(RelatedSpan {
        span: stream.record_distribution.span?,
        path: stream.record_distribution.path.clone(),
        message: "the stream spreads records itself".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, says};

    fn template(distribution: &str, factor: u32) -> String {
        format!(
            "Resources:
  Stream:
    Type: AWS::Kinesis::Stream
    Properties:
      Name: telemetry
      StreamModeDetails: {{ StreamMode: ON_DEMAND }}
      RecordDistributionStrategy: {distribution}
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Stream.Arn
      FunctionName: consumer
      StartingPosition: LATEST
      ParallelizationFactor: {factor}
"
        )
    }

    #[test]
    fn a_parallelization_factor_on_an_auto_stream_fires_at_the_factor() {
        let out = file("template.yaml", &template("AUTO", 4)).run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL304");
        assert_eq!(out.text(f), "4");
        assert_eq!(out.at(f).1, 14);
        says(
            &f.message,
            &[
                "`ParallelizationFactor` is `4`",
                "`telemetry` uses `RecordDistributionStrategy = AUTO`",
                "out of order",
            ],
        );
        says(
            &f.help,
            &["`RecordDistributionStrategy` to `USER_PARTITION_KEY`"],
        );
        assert_eq!(out.db.text(f.related[0].span), "AUTO");
    }

    #[test]
    fn keyed_distribution_or_factor_one_is_quiet() {
        file("template.yaml", &template("USER_PARTITION_KEY", 4))
            .run(super::check)
            .quiet();
        file("template.yaml", &template("AUTO", 1))
            .run(super::check)
            .quiet();
    }
}
