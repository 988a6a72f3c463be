//! SL107 low-cardinality-partition-key: a producer's key takes only a few distinct values (an
//! EventBridge event's `source`, `str(random.randint(0, 3))`), so at most that many shards of the
//! stream ever receive records while the rest idle.

use super::{Ctx, RuleMeta, producer_stream};
use crate::diagnostic::{Finding, Severity};
use crate::model::KeyExpr;
use crate::numbers::plural;

pub static META: RuleMeta = RuleMeta {
    code: "SL107",
    name: "low-cardinality-partition-key",
    summary: "Partition key takes fewer distinct values than the stream has shards",
    severity: Severity::Warning,
    group: super::Group::PartitionKey,
    doc: include_str!("../../rules/SL107.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for p in &ctx.model.producers {
        let KeyExpr::LowCardinality { count, what } = &p.class else {
            continue;
        };
        let Some(span) = p.key.span else {
            continue;
        };
        if ctx.auto_distribution(p.stream) {
            continue;
        }
        let shards = p
            .stream
            .and_then(|i| ctx.model.streams.get(i))
            .and_then(|s| s.open_shard_count());
        // Enough values for every shard: not this rule's business (hashing may still collide).
        if let (Some(c), Some(n)) = (count, shards)
            && *c as i64 >= n
        {
            continue;
        }
        if shards == Some(1) {
            continue;
        }
        let stream = producer_stream(ctx.model, p);
        let written = p.key.get().cloned().unwrap_or_default();
        let message = match (count, shards) {
            (Some(c), Some(n)) => format!(
                "partition key `{written}` takes at most {}: at most {c} of {n} shards of `{}` can receive records",
                plural(*c, "value", "values"),
                p.stream
                    .and_then(|i| ctx.model.streams.get(i))
                    .map(|s| s.display_name())
                    .unwrap_or_default()
            ),
            (Some(c), None) => format!(
                "partition key `{written}` takes at most {}: at most {c} shards of {stream} can receive records",
                plural(*c, "value", "values")
            ),
            (None, _) => format!(
                "partition key `{written}` is {what}, which takes few distinct values: only that many shards of {stream} can receive records"
            ),
        };
        let label = match count {
            Some(c) => format!("at most {}", plural(*c, "distinct key", "distinct keys")),
            None => "few distinct keys".to_string(),
        };
        out.push(ctx.finding(
            &META,
            span,
            p.key.path.clone(),
            message,
            label,
            format!(
                "key by something with many values, such as a device or order id, e.g. `{}`",
                p.per_record_example
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, says};

    const STREAMS: &str = r#"resource "aws_kinesis_stream" "wide" {
  name        = "wide"
  shard_count = 16
}

resource "aws_kinesis_stream" "narrow" {
  name        = "narrow"
  shard_count = 2
}
"#;

    fn producer(stream: &str, key: &str) -> String {
        format!(
            "import random\n\nimport boto3\n\nkinesis = boto3.client(\"kinesis\")\n\n\ndef send(body):\n    kinesis.put_record(StreamName=\"{stream}\", Data=body, PartitionKey={key})\n"
        )
    }

    #[test]
    fn four_values_on_sixteen_shards_fire() {
        let out = file("streams.tf", STREAMS)
            .file(
                "producer.py",
                &producer("wide", "str(random.randint(0, 3))"),
            )
            .run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL107");
        assert_eq!(out.text(f), "str(random.randint(0, 3))");
        assert_eq!(out.at(f).0, "producer.py");
        says(
            &f.message,
            &["at most 4 values", "at most 4 of 16 shards of `wide`"],
        );
        assert_eq!(f.label, "at most 4 distinct keys");
    }

    #[test]
    fn an_event_source_path_fires() {
        let out = file(
            "main.tf",
            r#"resource "aws_kinesis_stream" "events" {
  name        = "events"
  shard_count = 16
}

resource "aws_cloudwatch_event_target" "by_source" {
  rule = "all-orders"
  arn  = aws_kinesis_stream.events.arn
  kinesis_target {
    partition_key_path = "$.source"
  }
}
"#,
        )
        .run(super::check);
        let f = out.only();
        assert_eq!(out.text(f), "\"$.source\"");
        says(&f.message, &["`$.source`", "few distinct values"]);
        says(&f.help, &["partition_key_path"]);
    }

    #[test]
    fn as_many_values_as_shards_is_quiet() {
        file("streams.tf", STREAMS)
            .file(
                "producer.py",
                &producer("narrow", "str(random.randint(0, 3))"),
            )
            .run(super::check)
            .quiet();
    }
}
